//! `nslookup [-type=T] [-port=P] [-timeout=S] [-retry=N] NAME [SERVER]`:
//! ask a DNS server about a name and print the answer as BusyBox's
//! nslookup does. Without `-type`, A and AAAA are both asked; an IP
//! address as NAME asks for its PTR record.

use crate::applets::dnsd::{resolv_conf_servers, reverse_name};
use crate::common::{error_msg, print_usage_brief, EXIT_FAILURE};
use ibex_dns::{rcode, rtype, Header, Message, Name, Question, RData, CLASS_IN};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::ffi::OsString;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

pub const USAGE: &str = "[-type=QUERY_TYPE] [-port=PORT] [-timeout=SECS] [-retry=N] HOST [DNS_SERVER]\n\nQuery DNS about HOST\n\nQUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any";

/// BusyBox's names for the response codes, for "server can't find".
const RCODES: [&str; 16] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE", "11", "12", "13", "14", "15",
];

/// The settings from the command line.
struct Options {
    qtype: Option<u16>,
    port: u16,
    timeout: Duration,
    retry: u32,
    name: String,
    server: Option<String>,
}

/// Why the command line was refused.
#[derive(Debug)]
enum ArgError {
    /// An option that does not exist, or a bad value for one.
    Invalid(String),
    /// No NAME, or more than NAME and SERVER.
    Usage,
}

/// Reads BusyBox's `-opt=value` options: they are not getopt-style (one
/// dash, long names, `=`), so [`crate::common::getopt`] cannot parse them.
/// A prefix of an option's name is accepted, as BusyBox accepts it.
fn parse_args(args: &[OsString]) -> Result<Options, ArgError> {
    let mut o = Options {
        qtype: None,
        port: 53,
        timeout: Duration::from_secs(5),
        retry: 2,
        name: String::new(),
        server: None,
    };
    let mut operands = Vec::new();
    for a in args.iter().skip(1) {
        let a = a.to_string_lossy();
        let Some(opt) = a.strip_prefix('-').filter(|s| !s.is_empty()) else {
            operands.push(a.into_owned());
            continue;
        };
        let (key, value) = opt.split_once('=').unwrap_or((opt, ""));
        let is = |full: &str| full.starts_with(key);
        let bad = || ArgError::Invalid(a.to_string());
        if is("type") || is("querytype") {
            o.qtype = Some(rtype::from_name(value).ok_or_else(bad)?);
        } else if is("port") {
            o.port = value.parse().map_err(|_| bad())?;
        } else if is("retry") {
            o.retry = value.parse().map_err(|_| bad())?;
        } else if is("timeout") {
            o.timeout = Duration::from_secs(value.parse().map_err(|_| bad())?);
        } else if !is("debug") {
            return Err(bad());
        }
    }
    let mut operands = operands.into_iter();
    o.name = operands.next().ok_or(ArgError::Usage)?;
    o.server = operands.next();
    if operands.next().is_some() {
        return Err(ArgError::Usage);
    }
    Ok(o)
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    if args.iter().skip(1).any(|a| a == "--help") {
        crate::common::print_usage("nslookup");
        return 0;
    }
    let o = match parse_args(&args) {
        Ok(o) => o,
        Err(ArgError::Usage) => {
            print_usage_brief("nslookup");
            return EXIT_FAILURE;
        }
        Err(ArgError::Invalid(a)) => {
            error_msg("nslookup", &format!("invalid option '{a}'"));
            print_usage_brief("nslookup");
            return EXIT_FAILURE;
        }
    };
    // SERVER is an address, or address and port as BusyBox also takes.
    let (server_text, server) = match &o.server {
        Some(s) => match (s.parse::<IpAddr>(), s.parse::<SocketAddr>()) {
            (Ok(ip), _) => (s.clone(), SocketAddr::new(ip, o.port)),
            (_, Ok(sa)) => (s.clone(), sa),
            _ => {
                error_msg("nslookup", &format!("bad address '{s}'"));
                return EXIT_FAILURE;
            }
        },
        None => {
            let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
            let ip = resolv_conf_servers(&conf)
                .into_iter()
                .next()
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            (ip.to_string(), SocketAddr::new(ip, o.port))
        }
    };
    let questions = match questions(&o) {
        Some(q) => q,
        None => {
            error_msg("nslookup", &format!("bad name '{}'", o.name));
            return EXIT_FAILURE;
        }
    };
    let replies = match exchange(server, &questions, o.timeout, o.retry) {
        Ok(r) => r,
        Err(e) => {
            crate::common::perror("nslookup", format!("write to '{server}'"), &e);
            return EXIT_FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let status = print(&mut out, &server_text, server, &questions, &replies);
    match out.flush() {
        Ok(()) => status,
        Err(e) => crate::text::write_failed("nslookup", &e),
    }
}

/// The questions to ask: PTR for an address, the given type, or A and
/// AAAA.
fn questions(o: &Options) -> Option<Vec<Question>> {
    let (name, types) = match o.name.parse::<IpAddr>() {
        Ok(ip) => (reverse_name(ip), vec![o.qtype.unwrap_or(rtype::PTR)]),
        Err(_) => (
            o.name.clone(),
            o.qtype.map_or(vec![rtype::A, rtype::AAAA], |t| vec![t]),
        ),
    };
    let name = Name::from_dotted(&name).ok()?;
    Some(
        types
            .into_iter()
            .map(|qtype| Question {
                name: name.clone(),
                qtype,
                qclass: CLASS_IN,
            })
            .collect(),
    )
}

/// Sends every question at once and collects the replies, resending the
/// unanswered ones `retry` times within `timeout`. A reply is taken only
/// from the server, with a pending id and the same question.
fn exchange(
    server: SocketAddr,
    questions: &[Question],
    timeout: Duration,
    retry: u32,
) -> std::io::Result<Vec<Option<Message>>> {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => "0.0.0.0:0".parse().map_err(std::io::Error::other)?,
        SocketAddr::V6(_) => "[::]:0".parse().map_err(std::io::Error::other)?,
    };
    let sock = UdpSocket::bind(local)?;
    sock.connect(server)?;
    let mut rng = crate::applets::dnsd::Rng::new();
    let queries: Vec<(u16, Vec<u8>)> = questions
        .iter()
        .map(|q| {
            let id = rng.next_u16();
            let m = Message {
                header: Header {
                    id,
                    rd: true,
                    ..Header::default()
                },
                questions: vec![q.clone()],
                ..Message::default()
            };
            (id, m.encode().unwrap_or_default())
        })
        .collect();
    let mut replies: Vec<Option<Message>> = vec![None; questions.len()];
    let rounds = retry.max(1);
    let interval = timeout / rounds;
    let mut buf = [0u8; 65536];
    for _ in 0..rounds {
        for (i, (_, q)) in queries.iter().enumerate() {
            if replies[i].is_none() {
                sock.send(q)?;
            }
        }
        let deadline = Instant::now() + interval;
        while replies.iter().any(Option::is_none) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let ms = PollTimeout::try_from(left.as_millis() + 1).unwrap_or(PollTimeout::MAX);
            let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, ms) {
                Ok(0) => break,
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
            // ICMP "port unreachable" shows up here: treated as no answer
            // yet, as BusyBox keeps waiting.
            let Ok(n) = sock.recv(&mut buf) else { continue };
            let Ok(reply) = Message::parse(&buf[..n]) else {
                continue;
            };
            if let Some(i) = queries.iter().position(|(id, _)| *id == reply.header.id) {
                if reply.header.qr && reply.questions.first() == Some(&questions[i]) {
                    replies[i] = Some(reply);
                }
            }
        }
        if replies.iter().all(Option::is_some) {
            break;
        }
    }
    Ok(replies)
}

/// Prints the replies in BusyBox's format; returns the exit status.
fn print(
    out: &mut impl Write,
    server_text: &str,
    server: SocketAddr,
    questions: &[Question],
    replies: &[Option<Message>],
) -> i32 {
    if replies.iter().all(Option::is_none) {
        let _ = out.write_all(b";; connection timed out; no servers could be reached\n\n");
        return EXIT_FAILURE;
    }
    let mut status = 0;
    let _ = write!(out, "Server:\t\t{server_text}\nAddress:\t{server}\n\n");
    for (q, reply) in questions.iter().zip(replies) {
        let Some(reply) = reply else { continue };
        let code = usize::from(reply.header.rcode & 0xf);
        if code != usize::from(rcode::NOERROR) {
            let _ = writeln!(out, "** server can't find {}: {}", q.name, RCODES[code]);
            status = EXIT_FAILURE;
        } else {
            if !reply.header.aa {
                let _ = writeln!(out, "Non-authoritative answer:");
            }
            // No data prints nothing more: BusyBox 1.35 says nothing either.
            for r in &reply.answers {
                print_record(out, r);
            }
        }
        let _ = writeln!(out);
    }
    status
}

/// Prints one answer record as BusyBox does; types it does not print
/// (and empty TXT) are skipped.
fn print_record(out: &mut impl Write, r: &ibex_dns::Record) {
    let name = &r.name;
    let _ = match &r.data {
        RData::A(a) => write!(out, "Name:\t{name}\nAddress: {a}\n"),
        RData::Aaaa(a) => write!(out, "Name:\t{name}\nAddress: {a}\n"),
        RData::Ns(n) => writeln!(out, "{name}\tnameserver = {n}"),
        RData::Cname(n) => writeln!(out, "{name}\tcanonical name = {n}"),
        RData::Ptr(n) => writeln!(out, "{name}\tname = {n}"),
        RData::Mx {
            preference,
            exchange,
        } => writeln!(out, "{name}\tmail exchanger = {preference} {exchange}"),
        RData::Txt(strings) => match strings.first().filter(|s| !s.is_empty()) {
            Some(s) => writeln!(out, "{name}\ttext = \"{}\"", String::from_utf8_lossy(s)),
            None => return,
        },
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => writeln!(out, "{name}\tservice = {priority} {weight} {port} {target}"),
        RData::Soa {
            mname,
            rname,
            serial,
            refresh,
            retry,
            expire,
            minimum,
        } => write!(
            out,
            "{name}\n\torigin = {mname}\n\tmail addr = {rname}\n\tserial = {serial}\n\trefresh = {refresh}\n\tretry = {retry}\n\texpire = {expire}\n\tminimum = {minimum}\n"
        ),
        RData::Raw(_) => return,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_and_questions() {
        let o = parse_args(&args(&[
            "nslookup",
            "-q=MX",
            "-po=5353",
            "example.org",
            "::1",
        ]))
        .unwrap();
        assert_eq!(o.qtype, Some(rtype::MX));
        assert_eq!(o.port, 5353);
        assert_eq!(o.server.as_deref(), Some("::1"));
        assert_eq!(questions(&o).unwrap().len(), 1);
        let o = parse_args(&args(&["nslookup", "example.org"])).unwrap();
        let qs = questions(&o).unwrap();
        assert_eq!(
            qs.iter().map(|q| q.qtype).collect::<Vec<_>>(),
            [rtype::A, rtype::AAAA]
        );
        let o = parse_args(&args(&["nslookup", "192.0.2.1"])).unwrap();
        let qs = questions(&o).unwrap();
        assert_eq!(qs[0].name.to_string(), "1.2.0.192.in-addr.arpa");
        assert_eq!(qs[0].qtype, rtype::PTR);
        assert!(matches!(
            parse_args(&args(&["nslookup", "-type=bogus", "x"])),
            Err(ArgError::Invalid(_))
        ));
        assert!(matches!(
            parse_args(&args(&["nslookup"])),
            Err(ArgError::Usage)
        ));
        assert!(matches!(
            parse_args(&args(&["nslookup", "a", "b", "c"])),
            Err(ArgError::Usage)
        ));
    }
}
