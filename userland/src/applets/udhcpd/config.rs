//! `/etc/udhcpd.conf`: BusyBox's keywords, one setting per line, `#`
//! starts a comment. An unknown keyword or a bad value is an error naming
//! the line, so that a typo does not silently serve wrong settings.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use ibex_dhcp::Options;

/// BusyBox's default lease: ten days.
const DEFAULT_LEASE: u32 = 10 * 24 * 60 * 60;

/// A fixed address for one MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticLease {
    /// The client's hardware address.
    pub mac: [u8; 6],
    /// The address it always gets.
    pub ip: Ipv4Addr,
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// First address of the pool.
    pub start: Ipv4Addr,
    /// Last address of the pool.
    pub end: Ipv4Addr,
    /// Interface served.
    pub interface: String,
    /// Most leases handed out at once.
    pub max_leases: u32,
    /// Where leases are kept across restarts.
    pub lease_file: PathBuf,
    /// Where the pid is written.
    pub pidfile: Option<PathBuf>,
    /// Program run with the lease file's name after it is written.
    pub notify_file: Option<PathBuf>,
    /// Seconds between periodic writes of the lease file (0: only on
    /// changes, which happen anyway).
    pub auto_time: u32,
    /// Seconds an address a client declined stays unused.
    pub decline_time: u32,
    /// Seconds an address found in use stays unused.
    pub conflict_time: u32,
    /// Seconds an offered address is held for the client.
    pub offer_time: u32,
    /// Shortest lease granted when a client asks for less.
    pub min_lease: u32,
    /// Lease time granted (option `lease`).
    pub lease: u32,
    /// Next-server address put in replies.
    pub siaddr: Ipv4Addr,
    /// Server name put in replies.
    pub sname: Vec<u8>,
    /// Boot file put in replies.
    pub boot_file: Vec<u8>,
    /// Fixed addresses.
    pub static_leases: Vec<StaticLease>,
    /// Options sent to every client (subnet, router, dns, domain,
    /// hostname, broadcast, ntpsrv).
    pub options: Options,
}

impl Default for Config {
    /// BusyBox's defaults.
    fn default() -> Config {
        Config {
            start: Ipv4Addr::new(192, 168, 0, 20),
            end: Ipv4Addr::new(192, 168, 0, 254),
            interface: "eth0".into(),
            max_leases: 235,
            lease_file: PathBuf::from("/var/lib/misc/udhcpd.leases"),
            pidfile: Some(PathBuf::from("/var/run/udhcpd.pid")),
            notify_file: None,
            auto_time: 7200,
            decline_time: 3600,
            conflict_time: 3600,
            offer_time: 60,
            min_lease: 60,
            lease: DEFAULT_LEASE,
            siaddr: Ipv4Addr::UNSPECIFIED,
            sname: Vec::new(),
            boot_file: Vec::new(),
            static_leases: Vec::new(),
            options: Options::default(),
        }
    }
}

/// A line that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parses a MAC address `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let v = crate::mac::parse_mac(text)?;
    <[u8; 6]>::try_from(v.as_slice()).ok()
}

fn addr(text: &str) -> Result<Ipv4Addr, String> {
    text.parse().map_err(|_| format!("bad IP address '{text}'"))
}

fn number(text: &str) -> Result<u32, String> {
    text.parse().map_err(|_| format!("bad number '{text}'"))
}

fn yes_no(text: &str) -> Result<bool, String> {
    match text {
        "yes" | "1" | "on" | "true" => Ok(true),
        "no" | "0" | "off" | "false" => Ok(false),
        _ => Err(format!("bad yes/no value '{text}'")),
    }
}

/// Applies `opt NAME VALUE...`.
fn option(cfg: &mut Config, words: &[&str]) -> Result<(), String> {
    let (name, values) = words
        .split_first()
        .ok_or_else(|| "option needs a name".to_string())?;
    if values.is_empty() {
        return Err(format!("option {name} needs a value"));
    }
    let addrs = |v: &[&str]| v.iter().map(|a| addr(a)).collect::<Result<Vec<_>, _>>();
    let text = values.join(" ").into_bytes();
    let o = &mut cfg.options;
    match *name {
        "subnet" => o.subnet_mask = Some(addr(values[0])?),
        "router" => o.routers.extend(addrs(values)?),
        "dns" => o.dns_servers.extend(addrs(values)?),
        "ntpsrv" => o.ntp_servers.extend(addrs(values)?),
        "broadcast" => o.broadcast = Some(addr(values[0])?),
        "domain" => o.domain_name = Some(text),
        "hostname" => o.hostname = Some(text),
        "lease" => cfg.lease = number(values[0])?,
        // BusyBox's form: `opt staticroutes NET/LEN ROUTER [NET/LEN ROUTER]...`.
        "staticroutes" => {
            if values.len() % 2 == 1 {
                return Err("staticroutes needs NET/LEN ROUTER pairs".into());
            }
            for pair in values.chunks(2) {
                let (net, len) = pair[0]
                    .split_once('/')
                    .ok_or_else(|| format!("bad network '{}'", pair[0]))?;
                let prefix_len: u8 = len
                    .parse()
                    .ok()
                    .filter(|l| *l <= 32)
                    .ok_or_else(|| format!("bad prefix length '{len}'"))?;
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(prefix_len))
                    .unwrap_or(0);
                o.static_routes.push(ibex_dhcp::StaticRoute {
                    destination: Ipv4Addr::from(u32::from(addr(net)?) & mask),
                    prefix_len,
                    router: addr(pair[1])?,
                });
            }
        }
        _ => return Err(format!("unknown option '{name}'")),
    }
    Ok(())
}

/// Parses the configuration's text.
pub fn parse(text: &str) -> Result<Config, ConfigError> {
    let mut cfg = Config::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&key, rest)) = words.split_first() else {
            continue;
        };
        let err = |message: String| ConfigError {
            line: i + 1,
            message,
        };
        let one = || -> Result<&str, ConfigError> {
            match rest {
                [v] => Ok(v),
                [] => Err(err(format!("{key} needs a value"))),
                _ => Err(err(format!("{key} takes one value"))),
            }
        };
        let r: Result<(), String> = match key {
            "start" => addr(one()?).map(|a| cfg.start = a),
            "end" => addr(one()?).map(|a| cfg.end = a),
            "interface" => {
                cfg.interface = one()?.to_string();
                Ok(())
            }
            "max_leases" => number(one()?).map(|n| cfg.max_leases = n),
            "lease_file" => {
                cfg.lease_file = PathBuf::from(one()?);
                Ok(())
            }
            "pidfile" => {
                cfg.pidfile = Some(PathBuf::from(one()?));
                Ok(())
            }
            "notify_file" => {
                cfg.notify_file = Some(PathBuf::from(one()?));
                Ok(())
            }
            // Lease times are kept as absolute times (docs/formats.md);
            // the keyword is read for BusyBox configurations' sake.
            "remaining" => yes_no(one()?).map(|_| ()),
            "auto_time" => number(one()?).map(|n| cfg.auto_time = n),
            "decline_time" => number(one()?).map(|n| cfg.decline_time = n),
            "conflict_time" => number(one()?).map(|n| cfg.conflict_time = n),
            "offer_time" => number(one()?).map(|n| cfg.offer_time = n),
            "min_lease" => number(one()?).map(|n| cfg.min_lease = n),
            "siaddr" => addr(one()?).map(|a| cfg.siaddr = a),
            "sname" => {
                cfg.sname = one()?.as_bytes().to_vec();
                Ok(())
            }
            "boot_file" => {
                cfg.boot_file = one()?.as_bytes().to_vec();
                Ok(())
            }
            "static_lease" => match rest {
                [mac, ip] | [mac, ip, _] => match parse_mac(mac) {
                    Some(mac) => addr(ip).map(|ip| {
                        cfg.static_leases.retain(|s| s.mac != mac);
                        cfg.static_leases.push(StaticLease { mac, ip });
                    }),
                    None => Err(format!("bad MAC address '{mac}'")),
                },
                _ => Err("static_lease needs a MAC and an IP address".into()),
            },
            "opt" | "option" => option(&mut cfg, rest),
            _ => Err(format!("unknown keyword '{key}'")),
        };
        r.map_err(err)?;
    }
    if u32::from(cfg.start) > u32::from(cfg.end) {
        return Err(ConfigError {
            line: 0,
            message: "start is after end".into(),
        });
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_busybox_keywords() {
        let c = parse(
            "# comment\nstart 10.0.0.10\nend 10.0.0.20\ninterface v0\n\
             opt dns 1.1.1.1 8.8.8.8\noption subnet 255.255.255.0\nopt router 10.0.0.1\n\
             opt lease 600 # ten minutes\nstatic_lease 02:00:00:00:00:01 10.0.0.5\n\
             remaining yes\n",
        )
        .expect("parse");
        assert_eq!(c.start, Ipv4Addr::new(10, 0, 0, 10));
        assert_eq!(c.interface, "v0");
        assert_eq!(c.options.dns_servers.len(), 2);
        assert_eq!(c.lease, 600);
        assert_eq!(c.static_leases[0].ip, Ipv4Addr::new(10, 0, 0, 5));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("start 10.0.0.1\nbogus 1\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("\n\nopt dns 1.2.3\n").unwrap_err();
        assert_eq!(e.to_string(), "line 3: bad IP address '1.2.3'");
        assert!(parse("static_lease zz 10.0.0.1").is_err());
    }
}
