//! Bringing one interface of `/etc/network/interfaces` up or down: the
//! steps each takes, in ifupdown-ng's phase order, carried out in-process
//! over rtnetlink, with hooks run by `/bin/sh -c`.
//!
//! Going up, every step that changed something leaves an [`Undo`]; if a
//! later step fails, those are undone at once (so an interface is never
//! left half-configured), and otherwise they go into the state file for
//! `ifdown`. Steps print themselves in `ip`'s syntax for `-v` and `-n`.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ifstate::Undo;
use crate::interfaces::{Cidr, Config, Iface, Method, Phase, VidRange};
use crate::netlink::{self, mac_text, LinkChange, Netlink};
use netlink_packet_route::AddressFamily;

/// The shell hooks run with.
const SHELL: &str = "/bin/sh";

/// `PATH` for hooks when ifup has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The DHCP client `inet dhcp` runs unless `dhcp-program` names another.
pub const UDHCPC: &str = "/sbin/udhcpc";

/// Where the DHCP client keeps its pid: `/run/udhcpc.IF.pid`, as BusyBox's
/// ifupdown names it.
pub fn dhcp_pidfile(dev: &str) -> PathBuf {
    PathBuf::from(format!("/run/udhcpc.{dev}.pid"))
}

/// Where IPv6 autoconfiguration is switched on for `dev`.
fn ipv6_conf(dev: &str, key: &str) -> PathBuf {
    PathBuf::from(format!("/proc/sys/net/ipv6/conf/{dev}/{key}"))
}

/// Why a step failed.
#[derive(Debug)]
pub enum Error {
    /// The kernel refused a change: the step and its answer.
    Netlink(String, netlink::Error),
    /// A device a step needs does not exist.
    NoDevice(String),
    /// The same, with the step that needed it.
    Missing(String, String),
    /// A hook or the DHCP client exited unsuccessfully: the command and
    /// how it ended.
    Command(String, String),
    /// A program could not be started, or a file not written.
    Io(String, io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Netlink(step, e) => write!(f, "{step}: {e}"),
            Error::NoDevice(d) => write!(f, "Cannot find device \"{d}\""),
            Error::Missing(step, d) => write!(f, "{step}: Cannot find device \"{d}\""),
            Error::Command(cmd, how) => write!(f, "'{cmd}' {how}"),
            Error::Io(what, e) => write!(f, "{what}: {}", crate::common::strerror(e)),
        }
    }
}

/// How the commands were asked to behave.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `-n`: print the steps, change nothing.
    pub no_act: bool,
    /// `-v`: print each step on standard error before it runs.
    pub verbose: bool,
}

/// One thing to do to the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create a bridge unless a link of that name exists.
    CreateBridge(String, bool),
    /// Create VLAN `id` on `raw` unless a link of that name exists.
    CreateVlan(String, String, u16),
    /// Run a hook command.
    Hook(Phase, String),
    /// Change a link.
    Link(String, LinkStep),
    /// Set a VLAN's raw device up, which `ifdown` leaves up: other VLANs
    /// may share it.
    RawUp(String),
    /// Add (`true`) or remove an address.
    Addr(String, Cidr, bool),
    /// Add (`true`) or remove the default route via a gateway with a metric.
    Route(String, IpAddr, u32, bool),
    /// Add VLANs to a port (or, with `true`, the bridge itself), with the
    /// port's pvid when `Some`.
    BridgeVlan(String, Vec<VidRange>, Option<u16>, bool),
    /// Write a value to a file under /proc/sys.
    Sysctl(PathBuf, &'static str),
    /// Start the DHCP client (the program) on a device.
    Dhcp(String, String),
    /// Stop the DHCP client whose pid is in the file and remove the IPv4
    /// addresses it configured, as BusyBox's ifdown does.
    StopDhcp(String, PathBuf),
    /// Delete a link.
    DelLink(String),
}

/// A link change, by device name (the index is looked up when it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStep {
    /// Up or down.
    Up(bool),
    /// The MTU.
    Mtu(u32),
    /// The hardware address.
    Address(Vec<u8>),
    /// Enslave to this bridge, or release with `None`.
    Master(Option<String>),
}

impl fmt::Display for Step {
    /// The step as the `ip`, `bridge` or shell command that does the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::CreateBridge(n, false) => write!(f, "ip link add {n} type bridge"),
            Step::CreateBridge(n, true) => {
                write!(f, "ip link add {n} type bridge vlan_filtering 1")
            }
            Step::CreateVlan(n, raw, id) => {
                write!(f, "ip link add link {raw} name {n} type vlan id {id}")
            }
            Step::Hook(_, cmd) => write!(f, "{cmd}"),
            Step::Link(d, LinkStep::Up(true)) | Step::RawUp(d) => {
                write!(f, "ip link set {d} up")
            }
            Step::Link(d, LinkStep::Up(false)) => write!(f, "ip link set {d} down"),
            Step::Link(d, LinkStep::Mtu(m)) => write!(f, "ip link set {d} mtu {m}"),
            Step::Link(d, LinkStep::Address(a)) => {
                write!(f, "ip link set {d} address {}", mac_text(a))
            }
            Step::Link(d, LinkStep::Master(Some(m))) => write!(f, "ip link set {d} master {m}"),
            Step::Link(d, LinkStep::Master(None)) => write!(f, "ip link set {d} nomaster"),
            Step::Addr(d, c, add) => {
                let verb = if *add { "add" } else { "del" };
                write!(f, "ip addr {verb} {c} dev {d}")
            }
            Step::Route(d, gw, metric, add) => {
                let verb = if *add { "add" } else { "del" };
                write!(f, "ip route {verb} default via {gw} dev {d}")?;
                if *metric != 0 {
                    write!(f, " metric {metric}")?;
                }
                Ok(())
            }
            Step::BridgeVlan(d, ranges, pvid, on_bridge) => {
                let place = if *on_bridge { "self" } else { "master" };
                let mut first = true;
                for (lo, hi) in ranges {
                    if !first {
                        f.write_str("; ")?;
                    }
                    first = false;
                    let vid = if lo == hi {
                        lo.to_string()
                    } else {
                        format!("{lo}-{hi}")
                    };
                    write!(f, "bridge vlan add vid {vid} dev {d} {place}")?;
                }
                if let Some(p) = pvid {
                    if !first {
                        f.write_str("; ")?;
                    }
                    write!(f, "bridge vlan add vid {p} dev {d} pvid untagged {place}")?;
                }
                Ok(())
            }
            Step::Sysctl(path, v) => write!(f, "echo {v} > {}", path.display()),
            Step::Dhcp(d, program) => {
                write!(f, "{program} -b -p {} -i {d}", dhcp_pidfile(d).display())
            }
            Step::StopDhcp(d, pidfile) => {
                write!(
                    f,
                    "kill $(cat {}); ip -4 addr flush dev {d}",
                    pidfile.display()
                )
            }
            Step::DelLink(d) => write!(f, "ip link del {d}"),
        }
    }
}

impl Step {
    /// What undoes this step, when it changes something `ifdown` reverts.
    fn undo(&self) -> Option<Undo> {
        Some(match self {
            Step::CreateBridge(n, _) | Step::CreateVlan(n, _, _) => Undo::Created(n.clone()),
            Step::Link(d, LinkStep::Up(true)) => Undo::Up(d.clone()),
            Step::Link(d, LinkStep::Master(Some(_))) => Undo::Master(d.clone()),
            Step::Addr(d, c, true) => Undo::Addr(d.clone(), *c),
            Step::Route(d, gw, m, true) => Undo::Route(d.clone(), *gw, *m),
            Step::Dhcp(d, _) => Undo::Dhcp(d.clone(), dhcp_pidfile(d)),
            _ => return None,
        })
    }

    /// The step that reverts `undo`.
    pub fn reverting(undo: &Undo) -> Step {
        match undo {
            Undo::Created(d) => Step::DelLink(d.clone()),
            Undo::Master(d) => Step::Link(d.clone(), LinkStep::Master(None)),
            Undo::Up(d) => Step::Link(d.clone(), LinkStep::Up(false)),
            Undo::Addr(d, c) => Step::Addr(d.clone(), *c, false),
            Undo::Route(d, gw, m) => Step::Route(d.clone(), *gw, *m, false),
            Undo::Dhcp(d, pidfile) => Step::StopDhcp(d.clone(), pidfile.clone()),
        }
    }
}

/// The steps of `ifup` for `iface`, in order. `config` tells which bridge
/// ports have stanzas of their own (those are brought up by their own
/// `ifup`; the others are brought up here).
pub fn up_steps(config: &Config, iface: &Iface) -> Vec<Step> {
    let name = &iface.name;
    let mut steps = Vec::new();
    // ifupdown-ng's "create" phase comes before pre-up, so that pre-up
    // hooks can already see the device.
    if iface.is_bridge() {
        steps.push(Step::CreateBridge(name.clone(), iface.bridge_vlan_aware));
    } else if let Some((raw, id)) = &iface.vlan {
        if config.get(raw).is_none() {
            // A VLAN passes nothing while its raw device is down; that
            // device may carry other VLANs, so it is not taken down again.
            steps.push(Step::RawUp(raw.clone()));
        }
        steps.push(Step::CreateVlan(name.clone(), raw.clone(), *id));
    }
    hooks(&mut steps, iface, Phase::PreUp);
    if let Some(mac) = &iface.hwaddress {
        steps.push(Step::Link(name.clone(), LinkStep::Address(mac.clone())));
    }
    if let Some(mtu) = iface.mtu {
        steps.push(Step::Link(name.clone(), LinkStep::Mtu(mtu)));
    }
    for port in iface.bridge_ports.iter().flatten() {
        steps.push(Step::Link(
            port.clone(),
            LinkStep::Master(Some(name.clone())),
        ));
        if iface.bridge_vlan_aware {
            // A port's own VLANs win over those its bridge lists.
            let own = config.get(port);
            let vids = own
                .map(|p| p.bridge_vids.clone())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| iface.bridge_vids.clone());
            let pvid = own.and_then(|p| p.bridge_pvid).or(iface.bridge_pvid);
            if !vids.is_empty() || pvid.is_some() {
                steps.push(Step::BridgeVlan(port.clone(), vids, pvid, false));
            }
        }
        if config.get(port).is_none() {
            steps.push(Step::Link(port.clone(), LinkStep::Up(true)));
        }
    }
    if iface.is_bridge() && iface.bridge_vlan_aware && !iface.bridge_vids.is_empty() {
        steps.push(Step::BridgeVlan(
            name.clone(),
            iface.bridge_vids.clone(),
            None,
            true,
        ));
    }
    let methods: Vec<Method> = iface.methods.iter().map(|m| m.1).collect();
    // `use dhcp` and `use ipv6-ra` ask for ifupdown-ng's executors by
    // name, whatever the stanza's method.
    let uses = |e: &str| iface.uses.iter().any(|u| u == e);
    if methods.contains(&Method::Auto) || uses("ipv6-ra") {
        // Set before the link comes up, so that the first router
        // advertisement is already taken.
        steps.push(Step::Sysctl(ipv6_conf(name, "accept_ra"), "1"));
        steps.push(Step::Sysctl(ipv6_conf(name, "autoconf"), "1"));
    }
    steps.push(Step::Link(name.clone(), LinkStep::Up(true)));
    for a in &iface.addresses {
        steps.push(Step::Addr(name.clone(), *a, true));
    }
    for gw in &iface.gateways {
        steps.push(Step::Route(
            name.clone(),
            *gw,
            iface.metric.unwrap_or(0),
            true,
        ));
    }
    if methods.contains(&Method::Dhcp) || uses("dhcp") {
        let program = match iface.dhcp_program.as_deref() {
            None | Some("udhcpc") => UDHCPC.to_string(),
            Some(p) => p.to_string(),
        };
        steps.push(Step::Dhcp(name.clone(), program));
    }
    hooks(&mut steps, iface, Phase::Up);
    hooks(&mut steps, iface, Phase::PostUp);
    steps
}

/// What `ifup` would leave to undo for `iface`: for `ifdown -f` on an
/// interface the state file does not know.
pub fn assumed_undo(config: &Config, iface: &Iface) -> Vec<Undo> {
    up_steps(config, iface)
        .iter()
        .filter_map(Step::undo)
        .collect()
}

/// The steps of `ifdown`: hooks from the configuration (when the
/// interface is still in it) around the reverse of what `ifup` did.
pub fn down_steps(iface: Option<&Iface>, undo: &[Undo]) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Some(i) = iface {
        hooks(&mut steps, i, Phase::PreDown);
        hooks(&mut steps, i, Phase::Down);
    }
    steps.extend(undo.iter().rev().map(Step::reverting));
    if let Some(i) = iface {
        hooks(&mut steps, i, Phase::PostDown);
    }
    steps
}

fn hooks(steps: &mut Vec<Step>, iface: &Iface, phase: Phase) {
    for (p, cmd) in &iface.hooks {
        if *p == phase {
            steps.push(Step::Hook(phase, cmd.clone()));
        }
    }
}

/// The environment of an interface's hooks, as ifupdown gives it.
pub struct HookEnv {
    name: String,
    vars: BTreeMap<String, String>,
}

impl HookEnv {
    /// `IFACE`, `LOGICAL`, `MODE` (`start`/`stop`), `METHOD`, `ADDRFAM`,
    /// `VERBOSE` and the options as `IF_*`; `PHASE` is set per hook.
    pub fn new(name: &str, iface: Option<&Iface>, up: bool, verbose: bool) -> HookEnv {
        let mut vars = iface.map(Iface::env).unwrap_or_default();
        vars.insert("IFACE".into(), name.into());
        vars.insert("LOGICAL".into(), name.into());
        vars.insert("MODE".into(), if up { "start" } else { "stop" }.into());
        let method = iface.map_or(Method::Manual, Iface::method);
        vars.insert("METHOD".into(), method.name().into());
        let addrfam = iface.map(Iface::addrfam).unwrap_or_else(|| "inet".into());
        vars.insert("ADDRFAM".into(), addrfam);
        vars.insert("VERBOSE".into(), if verbose { "1" } else { "0" }.into());
        // Started by init, ifup may have no PATH at all; hooks name
        // programs as a shell user would.
        if std::env::var_os("PATH").is_none() {
            vars.insert("PATH".into(), DEFAULT_PATH.into());
        }
        HookEnv {
            name: name.to_string(),
            vars,
        }
    }
}

/// Carries steps out.
pub struct Runner {
    nl: Option<Netlink>,
    opts: Options,
    applet: &'static str,
}

/// An error the kernel gives when what a removal targets is already gone
/// (or was never made): taking an interface down is then done anyway.
fn already_gone(e: &netlink::Error) -> bool {
    use nix::errno::Errno;
    [
        Errno::ENODEV,
        Errno::EADDRNOTAVAIL,
        Errno::ESRCH,
        Errno::ENOENT,
    ]
    .iter()
    .any(|x| e.errno() == Some(*x as i32))
}

impl Runner {
    /// A runner printing as `applet`; the netlink socket opens on first use.
    pub fn new(applet: &'static str, opts: Options) -> Runner {
        Runner {
            nl: None,
            opts,
            applet,
        }
    }

    fn nl(&mut self) -> Result<&mut Netlink, Error> {
        let nl = match self.nl.take() {
            Some(nl) => nl,
            None => Netlink::open().map_err(|e| Error::Netlink("open".into(), e))?,
        };
        Ok(self.nl.insert(nl))
    }

    fn index(&mut self, dev: &str) -> Result<u32, Error> {
        let step = format!("find {dev}");
        self.nl()?
            .link_index(dev)
            .map_err(|e| Error::Netlink(step, e))?
            .ok_or_else(|| Error::NoDevice(dev.to_string()))
    }

    /// Runs `steps` for interface `name` going up. On success returns what
    /// to undo later; on failure undoes what it did and returns the error.
    pub fn up(&mut self, steps: &[Step], env: &HookEnv) -> Result<Vec<Undo>, Error> {
        let mut done = Vec::new();
        for step in steps {
            match self.run(step, env, true) {
                Ok(Some(u)) => done.push(u),
                Ok(None) => {}
                Err(e) => {
                    for u in done.iter().rev() {
                        let _ = self.run(&Step::reverting(u), env, false);
                    }
                    return Err(e);
                }
            }
        }
        Ok(done)
    }

    /// Runs `steps` going down: every step is tried; the errors are
    /// returned (what was already gone is not one).
    pub fn down(&mut self, steps: &[Step], env: &HookEnv) -> Vec<Error> {
        steps
            .iter()
            .filter_map(|s| self.run(s, env, false).err())
            .collect()
    }

    /// Runs one step: what it leaves to undo, if anything. A missing
    /// device is reported with the step that needed it.
    fn run(&mut self, step: &Step, env: &HookEnv, up: bool) -> Result<Option<Undo>, Error> {
        if self.opts.no_act {
            println!("{step}");
            return Ok(step.undo());
        }
        if self.opts.verbose {
            eprintln!("{}: {}: {step}", self.applet, env.name);
        }
        self.apply(step, env, up).map_err(|e| match e {
            Error::NoDevice(d) => Error::Missing(step.to_string(), d),
            e => e,
        })
    }

    fn apply(&mut self, step: &Step, env: &HookEnv, up: bool) -> Result<Option<Undo>, Error> {
        let kernel = |e: netlink::Error| Error::Netlink(step.to_string(), e);
        // Going down, what is gone already needs no removing.
        let tolerate = |r: Result<(), netlink::Error>| match r {
            Err(e) if !up && already_gone(&e) => Ok(()),
            r => r.map_err(kernel),
        };
        match step {
            Step::CreateBridge(name, vlan_aware) => {
                if self.nl()?.link_index(name).map_err(kernel)?.is_some() {
                    return Ok(None);
                }
                self.nl()?.add_bridge(name, *vlan_aware).map_err(kernel)?;
            }
            Step::CreateVlan(name, raw, id) => {
                if self.nl()?.link_index(name).map_err(kernel)?.is_some() {
                    return Ok(None);
                }
                let raw = self.index(raw)?;
                self.nl()?.add_vlan(name, raw, *id).map_err(kernel)?;
            }
            Step::Hook(phase, cmd) => {
                let status = Command::new(SHELL)
                    .arg("-c")
                    .arg(cmd)
                    .envs(&env.vars)
                    .env("PHASE", phase.name())
                    .status()
                    .map_err(|e| Error::Io(SHELL.into(), e))?;
                if !status.success() {
                    return Err(Error::Command(cmd.clone(), exit_text(status)));
                }
            }
            Step::RawUp(dev) => {
                let index = self.index(dev)?;
                self.nl()?
                    .set_link(index, &LinkChange::Up(true))
                    .map_err(kernel)?;
            }
            Step::Link(dev, change) => {
                let index = match self.index(dev) {
                    Err(Error::NoDevice(_)) if !up => return Ok(None),
                    r => r?,
                };
                let change = match change {
                    LinkStep::Up(u) => LinkChange::Up(*u),
                    LinkStep::Mtu(m) => LinkChange::Mtu(*m),
                    LinkStep::Address(a) => LinkChange::Address(a.clone()),
                    LinkStep::Master(None) => LinkChange::Controller(0),
                    LinkStep::Master(Some(m)) => LinkChange::Controller(self.index(m)?),
                };
                tolerate(self.nl()?.set_link(index, &change))?;
            }
            Step::Addr(dev, c, add) => {
                let index = match self.index(dev) {
                    Err(Error::NoDevice(_)) if !up => return Ok(None),
                    r => r?,
                };
                match self.nl()?.address(*add, index, c.ip, c.len) {
                    // Already there (ifup -f): kept, and not ours to remove.
                    Err(e) if *add && e.errno() == Some(nix::errno::Errno::EEXIST as i32) => {
                        return Ok(None)
                    }
                    r => tolerate(r)?,
                }
            }
            Step::Route(dev, gw, metric, add) => {
                let index = match self.index(dev) {
                    Err(Error::NoDevice(_)) if !up => return Ok(None),
                    r => r?,
                };
                match self.nl()?.default_route(*add, index, *gw, *metric) {
                    Err(e) if *add && e.errno() == Some(nix::errno::Errno::EEXIST as i32) => {
                        return Ok(None)
                    }
                    r => tolerate(r)?,
                }
            }
            Step::BridgeVlan(dev, ranges, pvid, on_bridge) => {
                let index = self.index(dev)?;
                for r in ranges {
                    self.nl()?
                        .bridge_vlan(index, *r, false, *on_bridge)
                        .map_err(kernel)?;
                }
                if let Some(p) = pvid {
                    self.nl()?
                        .bridge_vlan(index, (*p, *p), true, *on_bridge)
                        .map_err(kernel)?;
                }
            }
            Step::Sysctl(path, value) => {
                std::fs::write(path, value)
                    .map_err(|e| Error::Io(path.display().to_string(), e))?;
            }
            Step::Dhcp(dev, program) => {
                let pidfile = dhcp_pidfile(dev);
                let status = Command::new(program)
                    .arg("-b")
                    .arg("-p")
                    .arg(&pidfile)
                    .arg("-i")
                    .arg(dev)
                    .status()
                    .map_err(|e| Error::Io(program.clone(), e))?;
                if !status.success() {
                    return Err(Error::Command(step.to_string(), exit_text(status)));
                }
            }
            Step::StopDhcp(dev, pidfile) => {
                stop_pidfile(pidfile)?;
                let index = match self.index(dev) {
                    Err(Error::NoDevice(_)) => return Ok(None),
                    r => r?,
                };
                let flush = self.nl()?.flush_addresses(index, AddressFamily::Inet);
                tolerate(flush)?;
            }
            Step::DelLink(dev) => {
                let index = match self.index(dev) {
                    Err(Error::NoDevice(_)) => return Ok(None),
                    r => r?,
                };
                tolerate(self.nl()?.del_link(index))?;
            }
        }
        Ok(step.undo())
    }
}

/// "exited with status N" or "was killed by signal N".
fn exit_text(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(s)) => format!("was killed by signal {s}"),
        (None, None) => "failed".into(),
    }
}

/// Sends SIGTERM to the process whose pid `pidfile` holds, as BusyBox's
/// ifdown does for udhcpc. A missing file or a process that is gone is
/// not an error; a file that does not hold a plain pid above 1 is never
/// acted on (kill(-1) or kill(0) would hit far more than the client).
fn stop_pidfile(pidfile: &Path) -> Result<(), Error> {
    let text = match std::fs::read_to_string(pidfile) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::Io(pidfile.display().to_string(), e)),
    };
    let pid = text.trim().parse::<i32>().ok().filter(|p| *p > 1);
    let Some(pid) = pid else {
        return Err(Error::Io(
            pidfile.display().to_string(),
            io::Error::from_raw_os_error(nix::errno::Errno::EINVAL as i32),
        ));
    };
    use nix::sys::signal::{kill, Signal};
    match kill(nix::unistd::Pid::from_raw(pid), Signal::SIGTERM) {
        Ok(()) => {}
        Err(nix::errno::Errno::ESRCH) => return Ok(()),
        Err(e) => {
            return Err(Error::Io(
                format!("kill {pid}"),
                io::Error::from_raw_os_error(e as i32),
            ))
        }
    }
    // Give the client a second to release its lease and exit before its
    // addresses go: removed under a running client, they could come back.
    for _ in 0..20 {
        if !running(pid) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(())
}

/// Whether process `pid` exists and has not yet exited (a zombie has).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name's closing parenthesis.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interfaces::parse_str;

    fn config(text: &str) -> Config {
        parse_str(Path::new("/etc/network/interfaces"), text).expect("parse")
    }

    fn lines(steps: &[Step]) -> Vec<String> {
        steps.iter().map(Step::to_string).collect()
    }

    #[test]
    fn up_steps_follow_the_phases() {
        let c = config(
            "iface br0 inet static\n\
             \tbridge-ports v0 v1\n\
             \taddress 10.0.0.1/24\n\
             \tgateway 10.0.0.254\n\
             \tmetric 7\n\
             \tmtu 1400\n\
             \tpre-up echo pre\n\
             \tup echo up\n\
             \tpost-up echo post\n\
             iface v1 inet manual\n",
        );
        let br = c.get("br0").expect("br0");
        assert_eq!(
            lines(&up_steps(&c, br)),
            [
                "ip link add br0 type bridge",
                "echo pre",
                "ip link set br0 mtu 1400",
                "ip link set v0 master br0",
                "ip link set v0 up",
                "ip link set v1 master br0",
                "ip link set br0 up",
                "ip addr add 10.0.0.1/24 dev br0",
                "ip route add default via 10.0.0.254 dev br0 metric 7",
                "echo up",
                "echo post",
            ]
        );
        let undo = assumed_undo(&c, br);
        assert_eq!(
            lines(&down_steps(Some(br), &undo)),
            [
                "ip route del default via 10.0.0.254 dev br0 metric 7",
                "ip addr del 10.0.0.1/24 dev br0",
                "ip link set br0 down",
                "ip link set v1 nomaster",
                "ip link set v0 down",
                "ip link set v0 nomaster",
                "ip link del br0",
            ]
        );
    }

    #[test]
    fn vlans_dhcp_and_autoconf() {
        let c = config(
            "iface v0.10 inet dhcp\n\tdhcp-program /bin/fake\n\
             iface v0.10 inet6 auto\n\
             iface br0\n\tbridge-ports p0\n\tbridge-vlan-aware yes\n\tbridge-vids 10 20-30\n\
             iface p0\n\tbridge-pvid 5\n",
        );
        let v = c.get("v0.10").expect("vlan");
        // The raw device is brought up but, perhaps shared, never down.
        let undo: Vec<Undo> = up_steps(&c, v).iter().filter_map(Step::undo).collect();
        assert!(!undo.contains(&Undo::Up("v0".into())), "{undo:?}");
        assert_eq!(
            lines(&up_steps(&c, v)),
            [
                "ip link set v0 up",
                "ip link add link v0 name v0.10 type vlan id 10",
                "echo 1 > /proc/sys/net/ipv6/conf/v0.10/accept_ra",
                "echo 1 > /proc/sys/net/ipv6/conf/v0.10/autoconf",
                "ip link set v0.10 up",
                "/bin/fake -b -p /run/udhcpc.v0.10.pid -i v0.10",
            ]
        );
        assert_eq!(
            lines(&down_steps(Some(v), &assumed_undo(&c, v))),
            [
                "kill $(cat /run/udhcpc.v0.10.pid); ip -4 addr flush dev v0.10",
                "ip link set v0.10 down",
                "ip link del v0.10",
            ]
        );
        let br = c.get("br0").expect("br0");
        assert_eq!(
            lines(&up_steps(&c, br)),
            [
                "ip link add br0 type bridge vlan_filtering 1",
                "ip link set p0 master br0",
                "bridge vlan add vid 10 dev p0 master; bridge vlan add vid 20-30 dev p0 master; \
                 bridge vlan add vid 5 dev p0 pvid untagged master",
                "bridge vlan add vid 10 dev br0 self; bridge vlan add vid 20-30 dev br0 self",
                "ip link set br0 up",
            ]
        );
    }

    #[test]
    fn executors_named_by_use() {
        let c = config("iface e inet manual\n\tuse dhcp ipv6-ra\n");
        let e = c.get("e").expect("e");
        assert_eq!(
            lines(&up_steps(&c, e)),
            [
                "echo 1 > /proc/sys/net/ipv6/conf/e/accept_ra",
                "echo 1 > /proc/sys/net/ipv6/conf/e/autoconf",
                "ip link set e up",
                "/sbin/udhcpc -b -p /run/udhcpc.e.pid -i e",
            ]
        );
    }

    #[test]
    fn hook_environment() {
        let c = config("iface e inet static\n\taddress 10.0.0.1/8\n\tfoo-bar baz\n");
        let env = HookEnv::new("e", c.get("e"), true, false);
        assert_eq!(env.vars["IFACE"], "e");
        assert_eq!(env.vars["MODE"], "start");
        assert_eq!(env.vars["METHOD"], "static");
        assert_eq!(env.vars["ADDRFAM"], "inet");
        assert_eq!(env.vars["IF_ADDRESS"], "10.0.0.1/8");
        assert_eq!(env.vars["IF_FOO_BAR"], "baz");
        assert_eq!(HookEnv::new("x", None, false, true).vars["MODE"], "stop");
    }

    #[test]
    fn pidfiles_are_checked_before_killing() {
        let dir = std::env::temp_dir().join(format!("ibex-ifupdown-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        assert!(stop_pidfile(&dir.join("none")).is_ok());
        for bad in ["-1", "0", "1", "abc", ""] {
            std::fs::write(dir.join("p"), bad).expect("write");
            assert!(stop_pidfile(&dir.join("p")).is_err(), "{bad:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
