//! `ping [-46q] [-c N] [-i SEC] [-W SEC] [-w SEC] [-s SIZE] HOST`: ICMP
//! echo requests with BusyBox's output and statistics; exit 0 if any reply
//! came back. `ping6` is `ping -6`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use crate::icmp;
use crate::resolve::{self, Family};

pub const USAGE: &str = "[OPTIONS] HOST\n\nSend ICMP ECHO_REQUESTs to HOST\n\n\t-4,-6\t\tForce IP or IPv6 name resolution\n\t-c CNT\t\tSend only CNT pings\n\t-s SIZE\t\tSend SIZE data bytes in packets (default 56)\n\t-i SECS\t\tInterval\n\t-W SEC\t\tSeconds to wait for the first response (default 10)\n\t\t\t(after all -c CNT packets are sent)\n\t-w SEC\t\tSeconds until ping exits (default:infinite)\n\t\t\t(can exit earlier with -c CNT)\n\t-q\t\tQuiet, only display output at start/finish";

/// Set by SIGINT: stop and print the statistics, as BusyBox does.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn note_interrupt(_: nix::libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// What the command line asked for.
struct Options {
    count: u64,
    interval: Duration,
    /// How long to wait after the last request when nothing came back.
    wait: Duration,
    deadline: Option<Duration>,
    size: usize,
    quiet: bool,
    family: Family,
}

/// Below this payload size BusyBox has no room for its time stamp and
/// shows no times.
const TIMESTAMP_LEN: usize = 4;

/// How many recent echoes are remembered for matching replies.
const REMEMBERED: usize = 1024;

/// The largest payload: an IPv4 datagram's limit minus the headers.
const MAX_SIZE: usize = 65535 - 20 - 8;

/// Parses a whole number the way BusyBox's xatou does, naming the text in
/// its error.
fn number(text: &std::ffi::OsStr) -> Result<u64, String> {
    let t = lossy(text);
    t.parse::<u64>()
        .map_err(|_| format!("invalid number '{t}'"))
}

/// Parses seconds, fractions allowed ("0.2").
fn seconds(text: &std::ffi::OsStr) -> Result<Duration, String> {
    let t = lossy(text);
    t.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("invalid number '{t}'"))
}

fn parse_options(p: &crate::common::Parsed, v6_name: bool) -> Result<Options, String> {
    let mut o = Options {
        count: 0,
        interval: Duration::from_secs(1),
        wait: Duration::from_secs(10),
        deadline: None,
        size: 56,
        quiet: p.has('q'),
        family: if v6_name { Family::V6 } else { Family::Any },
    };
    for (c, v) in &p.opts {
        let v = v.as_deref().unwrap_or_default();
        match c {
            'c' => o.count = number(v)?,
            'i' => o.interval = seconds(v)?,
            'W' => o.wait = Duration::from_secs(number(v)?),
            'w' => o.deadline = Some(Duration::from_secs(number(v)?)),
            's' => {
                o.size = usize::try_from(number(v)?).unwrap_or(usize::MAX);
                if o.size > MAX_SIZE {
                    return Err(format!("number {} is not in 0..{MAX_SIZE} range", lossy(v)));
                }
            }
            '4' => o.family = Family::V4,
            '6' => o.family = Family::V6,
            _ => {}
        }
    }
    Ok(o)
}

/// Running totals, in microseconds for the times.
#[derive(Default)]
struct Stats {
    transmitted: u64,
    received: u64,
    duplicates: u64,
    /// None until the first reply.
    min: Option<u128>,
    max: u128,
    sum: u128,
}

impl Stats {
    fn note(&mut self, us: u128) {
        self.min = Some(self.min.map_or(us, |m| m.min(us)));
        self.max = self.max.max(us);
        self.sum += us;
    }

    /// BusyBox's closing lines; the round trips only when `timed` (the
    /// payload had room for a time stamp, as BusyBox requires).
    fn summary(&self, host: &str, timed: bool) -> String {
        let mut s = format!(
            "\n--- {host} ping statistics ---\n{} packets transmitted, {} packets received, ",
            self.transmitted, self.received
        );
        if self.duplicates > 0 {
            s.push_str(&format!("{} duplicates, ", self.duplicates));
        }
        let loss = (self.transmitted.saturating_sub(self.received) * 100)
            .checked_div(self.transmitted)
            .unwrap_or(0);
        s.push_str(&format!("{loss}% packet loss\n"));
        if self.received > 0 && timed {
            let n = u128::from(self.received + self.duplicates);
            s.push_str(&format!(
                "round-trip min/avg/max = {}/{}/{} ms\n",
                millis(self.min.unwrap_or(0)),
                millis(self.sum / n),
                millis(self.max)
            ));
        }
        s
    }
}

/// Microseconds as BusyBox prints them: "0.075".
pub fn millis(us: u128) -> String {
    format!("{}.{:03}", us / 1000, us % 1000)
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let name = args
        .first()
        .map(|a| lossy(a).into_owned())
        .unwrap_or_default();
    let applet = if name == "ping6" { "ping6" } else { "ping" };
    let p = match getopt(&args, "46qc:i:W:w:s:", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let o = match parse_options(&p, applet == "ping6") {
        Ok(o) => o,
        Err(msg) => {
            error_msg(applet, &msg);
            return 1;
        }
    };
    let [host] = p.operands.as_slice() else {
        return usage_error(applet, "HOST expected");
    };
    let host = lossy(host).into_owned();
    let addr = match resolve::lookup(&host, o.family) {
        Ok(a) => a[0],
        Err(_) => {
            error_msg(applet, &format!("bad address '{host}'"));
            return 1;
        }
    };
    // SAFETY: the handler only stores into an atomic.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGINT,
            nix::sys::signal::SigHandler::Handler(note_interrupt),
        )
    };
    // BusyBox names the host before it finds out it may not ping it.
    println!("PING {host} ({addr}): {} data bytes", o.size);
    let socket = match icmp::Socket::echo(addr.is_ipv6()) {
        Ok(s) => s,
        Err(e) if matches!(e.raw_os_error(), Some(nix::libc::EPERM | nix::libc::EACCES)) => {
            error_msg(applet, "permission denied (are you root?)");
            return 1;
        }
        Err(e) => {
            perror(applet, "socket", &e);
            return 1;
        }
    };
    match run(&socket, addr, &o) {
        Ok(stats) => {
            print!("{}", stats.summary(&host, o.size >= TIMESTAMP_LEN));
            i32::from(stats.received == 0)
        }
        Err(e) => {
            // A failed send ends BusyBox's ping at once, without statistics.
            perror(applet, "sendto", &e);
            1
        }
    }
}

/// Sends and receives until the count, the deadline or an interrupt says
/// to stop.
fn run(socket: &icmp::Socket, addr: IpAddr, o: &Options) -> std::io::Result<Stats> {
    let v6 = addr.is_ipv6();
    let id = (std::process::id() & 0xffff) as u16;
    let payload = vec![0xffu8; o.size];
    // Send time of each recent sequence number and whether it was answered
    // (for "(DUP!)"); older ones are forgotten so that a long run stays small.
    let mut sent: HashMap<u16, (Instant, bool)> = HashMap::new();
    let mut stats = Stats::default();
    let start = Instant::now();
    let deadline = o.deadline.map(|d| start + d);
    let mut next_send = start;
    let mut last_wait: Option<Instant> = None;
    let mut buf = vec![0u8; MAX_SIZE + 128];
    loop {
        let now = Instant::now();
        if INTERRUPTED.load(Ordering::SeqCst)
            || deadline.is_some_and(|d| now >= d)
            || (o.count > 0 && stats.received >= o.count)
            || last_wait.is_some_and(|w| now >= w)
        {
            break;
        }
        if last_wait.is_none() && now >= next_send {
            let seq = (stats.transmitted & 0xffff) as u16;
            let message = icmp::echo_request(v6, id, seq, &payload);
            if sent.len() >= REMEMBERED {
                let oldest = seq.wrapping_sub(REMEMBERED as u16);
                sent.retain(|&s, _| s.wrapping_sub(oldest) < REMEMBERED as u16);
            }
            sent.insert(seq, (Instant::now(), false));
            socket.send_to(&message, addr)?;
            stats.transmitted += 1;
            next_send += o.interval;
            if o.count > 0 && stats.transmitted >= o.count {
                // Wait for the last answer: twice the slowest round trip
                // (at least a second) once anything came back, else -W.
                let wait = if stats.received > 0 {
                    let secs = (stats.max * 2 / 1_000_000).max(1);
                    Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX))
                } else {
                    o.wait
                };
                last_wait = Some(Instant::now() + wait);
            }
            continue;
        }
        let until = [last_wait.or(Some(next_send)), deadline]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now);
        let got = match socket.recv(&mut buf, until.saturating_duration_since(now)) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                perror("ping", "recvfrom", &e);
                break;
            }
        };
        let arrived = Instant::now();
        let msg = &buf[got.start..got.end];
        let reply = if v6 {
            icmp::ECHO_REPLY_V6
        } else {
            icmp::ECHO_REPLY_V4
        };
        if msg.len() < 8 || msg[0] != reply || got.from != addr {
            continue;
        }
        // A raw socket sees every echo reply on the host; datagram sockets
        // get only their own (the kernel chose the identifier).
        if socket.is_raw() && u16::from_be_bytes([msg[4], msg[5]]) != id {
            continue;
        }
        let seq = u16::from_be_bytes([msg[6], msg[7]]);
        let Some(&(when, answered)) = sent.get(&seq) else {
            continue;
        };
        let us = arrived.duration_since(when).as_micros();
        if answered {
            stats.duplicates += 1;
        } else {
            stats.received += 1;
            sent.insert(seq, (when, true));
        }
        stats.note(us);
        if !o.quiet {
            let ttl = got.ttl.map(u32::from).unwrap_or(0);
            let time = if o.size >= TIMESTAMP_LEN {
                format!(" time={} ms", millis(us))
            } else {
                String::new()
            };
            let dup = if answered { " (DUP!)" } else { "" };
            println!(
                "{} bytes from {}: seq={seq} ttl={ttl}{time}{dup}",
                msg.len(),
                got.from
            );
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_like_busybox() {
        let mut s = Stats {
            transmitted: 2,
            ..Stats::default()
        };
        s.received = 1;
        s.note(75);
        s.note(104);
        s.received = 2;
        assert_eq!(
            s.summary("h", true),
            "\n--- h ping statistics ---\n2 packets transmitted, 2 packets received, 0% packet loss\nround-trip min/avg/max = 0.075/0.089/0.104 ms\n"
        );
        let none = Stats {
            transmitted: 3,
            ..Stats::default()
        };
        assert!(none
            .summary("h", true)
            .ends_with("3 packets transmitted, 0 packets received, 100% packet loss\n"));
        assert_eq!(millis(1_234_567), "1234.567");
    }
}
