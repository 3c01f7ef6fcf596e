//! `/run/ifstate`: which interfaces `ifup` brought up and what it did to
//! each, so that a second `ifup` does nothing and `ifdown` undoes exactly
//! that, even after the configuration file has changed.
//!
//! One line per interface: `NAME=NAME` first, as BusyBox's and
//! ifupdown-ng's state files begin, then what to undo, one `key=value`
//! word each, in the order it was done:
//!
//! ```text
//! br0=br0 created=br0 master=v0 up=v0 up=br0 addr=br0,10.0.0.1/24 route=br0,10.0.0.254,0
//! ```
//!
//! The file is replaced atomically (written beside it, then renamed), so a
//! crash leaves the old or the new state, never a torn one. Words this
//! version does not know are skipped, so that it reads newer files.

use std::fmt;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::interfaces::Cidr;

/// Where the state lives unless `-S FILE` says otherwise.
pub const DEFAULT_FILE: &str = "/run/ifstate";

/// One change `ifup` made that `ifdown` reverts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// The device was created (bridge, VLAN): delete it.
    Created(String),
    /// The device was made a bridge port: release it.
    Master(String),
    /// The device was set up: set it down.
    Up(String),
    /// An address was added to a device: remove it.
    Addr(String, Cidr),
    /// A default route via a gateway with a metric: remove it.
    Route(String, IpAddr, u32),
    /// A DHCP client was started that keeps its pid in this file: stop it.
    Dhcp(String, PathBuf),
}

impl fmt::Display for Undo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Undo::Created(d) => write!(f, "created={d}"),
            Undo::Master(d) => write!(f, "master={d}"),
            Undo::Up(d) => write!(f, "up={d}"),
            Undo::Addr(d, c) => write!(f, "addr={d},{c}"),
            Undo::Route(d, gw, metric) => write!(f, "route={d},{gw},{metric}"),
            Undo::Dhcp(d, pid) => write!(f, "dhcp={d},{}", pid.display()),
        }
    }
}

impl Undo {
    /// Reads one word written by [`Undo`]'s `Display`.
    fn parse(word: &str) -> Option<Undo> {
        let (key, value) = word.split_once('=')?;
        let mut parts = value.split(',');
        let dev = parts.next().filter(|d| !d.is_empty())?.to_string();
        let undo = match key {
            "created" => Undo::Created(dev),
            "master" => Undo::Master(dev),
            "up" => Undo::Up(dev),
            "addr" => {
                let (ip, len) = Cidr::parse(parts.next()?)?;
                Undo::Addr(dev, Cidr { ip, len: len? })
            }
            "route" => {
                let gw = parts.next()?.parse().ok()?;
                let metric = parts.next()?.parse().ok()?;
                Undo::Route(dev, gw, metric)
            }
            "dhcp" => Undo::Dhcp(dev, PathBuf::from(parts.next()?)),
            _ => return None,
        };
        Some(undo)
    }
}

/// The interfaces that are up, in the order they came up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Each interface and what to undo for it.
    pub entries: Vec<(String, Vec<Undo>)>,
}

impl State {
    /// Reads `path`; a missing file is an empty state (nothing is up yet).
    pub fn load(path: &Path) -> std::io::Result<State> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(State::parse(&String::from_utf8_lossy(&bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e),
        }
    }

    /// Parses the file's text, skipping what it cannot read.
    pub fn parse(text: &str) -> State {
        let mut entries = Vec::new();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let Some(first) = words.next() else {
                continue;
            };
            let name = first.split_once('=').map_or(first, |(n, _)| n);
            if name.is_empty() {
                continue;
            }
            let undo = words.filter_map(Undo::parse).collect();
            entries.push((name.to_string(), undo));
        }
        State { entries }
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, undo) in &self.entries {
            out.push_str(&format!("{name}={name}"));
            for u in undo {
                out.push(' ');
                out.push_str(&u.to_string());
            }
            out.push('\n');
        }
        out
    }

    /// Whether `name` is up.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| n == name)
    }

    /// What to undo for `name`.
    pub fn get(&self, name: &str) -> Option<&[Undo]> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, u)| u.as_slice())
    }

    /// Records `name` as up (replacing an older record).
    pub fn set(&mut self, name: &str, undo: Vec<Undo>) {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(e) => e.1 = undo,
            None => self.entries.push((name.to_string(), undo)),
        }
    }

    /// Forgets `name`.
    pub fn remove(&mut self, name: &str) {
        self.entries.retain(|(n, _)| n != name);
    }

    /// Writes the state to `path` atomically: a temporary file in the same
    /// directory, synced, then renamed over it.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "ifstate".into());
        let tmp = path.with_file_name(format!(".{name}.{}", std::process::id()));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.render().as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_skips_unknown_words() {
        let mut s = State::default();
        s.set("lo", vec![Undo::Up("lo".into())]);
        s.set(
            "br0",
            vec![
                Undo::Created("br0".into()),
                Undo::Master("v0".into()),
                Undo::Addr(
                    "br0".into(),
                    Cidr {
                        ip: "10.0.0.1".parse().unwrap(),
                        len: 24,
                    },
                ),
                Undo::Route("br0".into(), "10.0.0.254".parse().unwrap(), 0),
                Undo::Dhcp("br0".into(), "/run/udhcpc.br0.pid".into()),
            ],
        );
        let text = s.render();
        assert!(text.starts_with("lo=lo up=lo\nbr0=br0 created=br0 master=v0 "));
        assert_eq!(State::parse(&text), s);
        let old = State::parse("eth0=eth0 1 future=thing addr=eth0,bad\n\n");
        assert_eq!(old.entries, [("eth0".to_string(), vec![])]);
        s.remove("lo");
        assert!(!s.contains("lo") && s.contains("br0"));
    }

    #[test]
    fn saves_atomically() {
        let dir = std::env::temp_dir().join(format!("ibex-ifstate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("ifstate");
        assert_eq!(State::load(&path).expect("missing"), State::default());
        let mut s = State::default();
        s.set("eth0", vec![Undo::Up("eth0".into())]);
        s.save(&path).expect("save");
        assert_eq!(State::load(&path).expect("load"), s);
        let names: Vec<_> = std::fs::read_dir(&dir).expect("ls").flatten().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
