//! `ifup`, `ifdown` and `ifquery`: the interfaces of
//! `/etc/network/interfaces` up and down in dependency order, as Alpine's
//! ifupdown-ng does, with the state in `/run/ifstate`.
//!
//! The whole configuration is read and checked, and the order worked out,
//! before anything changes, so that a mistake stops the command with the
//! file and line instead of leaving the network half-configured. An
//! interface whose bringing-up fails is rolled back and the ones that
//! depend on it are skipped; the others still come up, and the status is 1.
//!
//! Where this differs from ifupdown-ng: `dhcp-program` takes `udhcpc` (the
//! default, `/sbin/udhcpc`) or the absolute path of a program that takes
//! udhcpc's arguments, rather than a choice of clients; `inet6 dhcp`,
//! `mapping` and `template` are not there; `--allow=CLASS` is
//! Debian's (`ifup --allow=hotplug IF` from a hotplug handler acts only on
//! an `allow-hotplug` interface); `-S FILE` moves the state file as
//! ifupdown-ng's does.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

use crate::common::{error_msg, getopt, lossy, usage_error, Exit, Parsed};
use crate::ifstate::{State, DEFAULT_FILE as STATE_FILE};
use crate::ifupdown::{self, HookEnv, Options, Runner};
use crate::interfaces::{self, Config, DEFAULT_FILE};

/// Usage text of `ifup`.
pub const USAGE: &str = "[-anvf] [--allow=CLASS] [-i FILE] [-S FILE] [IFACE...]

Bring network interfaces up

	-a	All interfaces marked auto (with --allow, those in allow-CLASS)
	-n	Print what would be done, do nothing
	-v	Print each step as it is done
	-f	Force: even if the state file says it is up
	-i FILE	Read FILE instead of /etc/network/interfaces
	-S FILE	Keep the state in FILE instead of /run/ifstate
	--allow=CLASS	Only interfaces listed in allow-CLASS";

/// Usage text of `ifdown`.
pub const IFDOWN_USAGE: &str = "[-anvf] [--allow=CLASS] [-i FILE] [-S FILE] [IFACE...]

Take network interfaces down

	-a	All interfaces that are up
	-n	Print what would be done, do nothing
	-v	Print each step as it is done
	-f	Force: even if the state file says it is down
	-i FILE	Read FILE instead of /etc/network/interfaces
	-S FILE	Keep the state in FILE instead of /run/ifstate
	--allow=CLASS	Only interfaces listed in allow-CLASS";

/// Usage text of `ifquery`.
pub const IFQUERY_USAGE: &str = "[-L [-a]] [-s] [-i FILE] [-S FILE] [IFACE...]

Show the configuration or state of network interfaces

	-L, --list	List the interfaces (-a: those marked auto)
	-s, --state	Show which of them are up
	-i FILE		Read FILE instead of /etc/network/interfaces
	-S FILE		Read the state from FILE instead of /run/ifstate";

const LONG: &[(&str, char)] = &[
    ("all", 'a'),
    ("no-act", 'n'),
    ("verbose", 'v'),
    ("force", 'f'),
    ("interfaces", 'i'),
    ("state-file", 'S'),
    ("allow", 'A'),
];

/// What every command starts from: its options, the configuration and
/// where the state lives.
struct Setup {
    parsed: Parsed,
    config: Config,
    state_file: PathBuf,
}

/// Parses the command line and reads the configuration, or returns the
/// exit status. With `optional`, a missing default file is an empty
/// configuration: taking down what the state file lists, or showing it,
/// does not need one.
fn setup(
    args: &[OsString],
    short: &str,
    long: &[(&str, char)],
    optional: bool,
) -> Result<Setup, i32> {
    let applet = applet_name(args);
    let parsed = getopt(args, short, long, true).map_err(|Exit(code)| code)?;
    let file = parsed
        .value('i')
        .map_or_else(|| PathBuf::from(DEFAULT_FILE), PathBuf::from);
    let missing = optional && !parsed.has('i') && !file.exists();
    let config = if missing {
        Config::default()
    } else {
        interfaces::load(&file).map_err(|e| {
            error_msg(applet, &e.to_string());
            1
        })?
    };
    let state_file = parsed
        .value('S')
        .map_or_else(|| PathBuf::from(STATE_FILE), PathBuf::from);
    Ok(Setup {
        parsed,
        config,
        state_file,
    })
}

/// The applet's name for messages (the table's, so it lives forever).
fn applet_name(args: &[OsString]) -> &'static str {
    let called = args
        .first()
        .map(|a| lossy(a).into_owned())
        .unwrap_or_default();
    let base = called.rsplit('/').next().unwrap_or("");
    match base {
        "ifdown" => "ifdown",
        "ifquery" => "ifquery",
        _ => "ifup",
    }
}

/// Takes the state file's lock (a `.lock` file beside it), so that two
/// `ifup`s at once (boot and a hotplug event) do not lose each other's
/// records.
fn lock(applet: &str, state_file: &Path) -> Result<Flock<std::fs::File>, i32> {
    let mut name = state_file.as_os_str().to_os_string();
    name.push(".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&name)
        .map_err(|e| {
            crate::common::perror(applet, Path::new(&name).display(), &e);
            1
        })?;
    Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| {
        error_msg(
            applet,
            &format!("lock {}: {}", Path::new(&name).display(), e.desc()),
        );
        1
    })
}

fn load_state(applet: &str, state_file: &Path) -> Result<State, i32> {
    State::load(state_file).map_err(|e| {
        crate::common::perror(applet, state_file.display(), &e);
        1
    })
}

fn save_state(applet: &str, state: &State, state_file: &Path) -> bool {
    match state.save(state_file) {
        Ok(()) => true,
        Err(e) => {
            crate::common::perror(applet, state_file.display(), &e);
            false
        }
    }
}

fn options(p: &Parsed) -> Options {
    Options {
        no_act: p.has('n'),
        verbose: p.has('v'),
    }
}

fn operands(p: &Parsed) -> Vec<String> {
    p.operands.iter().map(|o| lossy(o).into_owned()).collect()
}

/// `ifup`'s entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let applet = "ifup";
    let s = match setup(&args, "anvfi:S:A:", LONG, false) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let p = &s.parsed;
    let class = p.value('A').map(|c| lossy(c).into_owned());
    let mut targets: Vec<String> = match (&class, p.has('a')) {
        (Some(c), true) => s
            .config
            .ifaces
            .iter()
            .filter(|i| i.allowed(c))
            .map(|i| i.name.clone())
            .collect(),
        (None, true) => s.config.auto(),
        (_, false) => Vec::new(),
    };
    if targets.is_empty() && !p.has('a') && p.operands.is_empty() {
        return usage_error(applet, "no interface given");
    }
    // Named interfaces outside the class are skipped quietly, as
    // Debian's ifup does: a hotplug handler names every new device.
    targets.extend(
        operands(p)
            .into_iter()
            .filter(|n| class.as_ref().is_none_or(|c| allowed(&s.config, n, c))),
    );
    for t in &targets {
        if s.config.get(t).is_none() {
            error_msg(applet, &format!("unknown interface {t}"));
            return 1;
        }
    }
    let order = match s.config.up_order(&targets) {
        Ok(o) => o,
        Err(cycle) => {
            error_msg(applet, &format!("dependency loop: {}", cycle.join(" -> ")));
            return 1;
        }
    };
    let opts = options(p);
    let _lock = if opts.no_act {
        None
    } else {
        match lock(applet, &s.state_file) {
            Ok(l) => Some(l),
            Err(code) => return code,
        }
    };
    let mut state = match load_state(applet, &s.state_file) {
        Ok(st) => st,
        Err(code) => return code,
    };
    let mut runner = Runner::new(applet, opts);
    let mut failed: Vec<String> = Vec::new();
    let mut status = 0;
    for name in order {
        // A name without a stanza is a device made elsewhere (a bridge
        // port, a VLAN's raw device): the interface using it handles it.
        let Some(iface) = s.config.get(&name) else {
            continue;
        };
        if let Some(dep) = iface
            .dependencies()
            .into_iter()
            .find(|d| failed.contains(d))
        {
            error_msg(applet, &format!("{name}: skipped: {dep} failed"));
            failed.push(name);
            status = 1;
            continue;
        }
        if state.contains(&name) && !p.has('f') {
            if opts.verbose {
                eprintln!("{applet}: {name}: already up");
            }
            continue;
        }
        let env = HookEnv::new(&name, Some(iface), true, opts.verbose);
        match runner.up(&ifupdown::up_steps(&s.config, iface), &env) {
            Ok(undo) => {
                if opts.no_act {
                    continue;
                }
                // After `-f` on an interface already up, what the first
                // ifup did is still to be undone too.
                let mut all = state.get(&name).map(<[_]>::to_vec).unwrap_or_default();
                for u in undo {
                    if !all.contains(&u) {
                        all.push(u);
                    }
                }
                state.set(&name, all);
                // Saved after each interface, so that the file is right
                // even if a later one hangs or the system goes down.
                if !save_state(applet, &state, &s.state_file) {
                    status = 1;
                }
            }
            Err(e) => {
                error_msg(applet, &format!("{name}: {e}"));
                failed.push(name);
                status = 1;
            }
        }
    }
    status
}

/// Whether interface `name` is in `allow-CLASS` (unknown ones are not).
fn allowed(config: &Config, name: &str, class: &str) -> bool {
    config.get(name).is_some_and(|i| i.allowed(class))
}

/// `ifdown`'s entry point.
pub fn ifdown_main(args: Vec<OsString>) -> i32 {
    let applet = "ifdown";
    let s = match setup(&args, "anvfi:S:A:", LONG, true) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let p = &s.parsed;
    let opts = options(p);
    let _lock = if opts.no_act {
        None
    } else {
        match lock(applet, &s.state_file) {
            Ok(l) => Some(l),
            Err(code) => return code,
        }
    };
    let mut state = match load_state(applet, &s.state_file) {
        Ok(st) => st,
        Err(code) => return code,
    };
    let mut targets: Vec<String> = if p.has('a') {
        state.entries.iter().map(|(n, _)| n.clone()).collect()
    } else {
        Vec::new()
    };
    if targets.is_empty() && !p.has('a') && p.operands.is_empty() {
        return usage_error(applet, "no interface given");
    }
    targets.extend(operands(p));
    if let Some(c) = p.value('A') {
        let c = lossy(c);
        targets.retain(|n| allowed(&s.config, n, &c));
    }
    for t in &targets {
        if s.config.get(t).is_none() && !state.contains(t) {
            error_msg(applet, &format!("unknown interface {t}"));
            return 1;
        }
    }
    let order = match s.config.down_order(&targets) {
        Ok(o) => o,
        Err(cycle) => {
            error_msg(applet, &format!("dependency loop: {}", cycle.join(" -> ")));
            return 1;
        }
    };
    let mut runner = Runner::new(applet, opts);
    let mut status = 0;
    for name in order {
        let iface = s.config.get(&name);
        let undo = match (state.get(&name), iface) {
            (Some(u), _) => u.to_vec(),
            (None, Some(i)) if p.has('f') => ifupdown::assumed_undo(&s.config, i),
            _ => {
                error_msg(applet, &format!("interface {name} not configured"));
                continue;
            }
        };
        let env = HookEnv::new(&name, iface, false, opts.verbose);
        let errors = runner.down(&ifupdown::down_steps(iface, &undo), &env);
        for e in &errors {
            error_msg(applet, &format!("{name}: {e}"));
            status = 1;
        }
        if opts.no_act {
            continue;
        }
        // Forgotten even after an error: what could be undone was, and a
        // second ifdown would only fail the same way.
        state.remove(&name);
        if !save_state(applet, &state, &s.state_file) {
            status = 1;
        }
    }
    status
}

/// `ifquery`'s entry point.
pub fn ifquery_main(args: Vec<OsString>) -> i32 {
    let applet = "ifquery";
    let long = &[
        ("list", 'L'),
        ("all", 'a'),
        ("state", 's'),
        ("interfaces", 'i'),
        ("state-file", 'S'),
    ];
    let optional = args.iter().any(|a| a == "-s" || a == "--state");
    let s = match setup(&args, "Lasi:S:", long, optional) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let p = &s.parsed;
    let names = operands(p);
    if p.has('s') {
        let state = match load_state(applet, &s.state_file) {
            Ok(st) => st,
            Err(code) => return code,
        };
        let mut status = 0;
        if names.is_empty() {
            for (n, _) in &state.entries {
                println!("{n}={n}");
            }
        }
        for n in &names {
            if state.contains(n) {
                println!("{n}={n}");
            } else {
                status = 1;
            }
        }
        return status;
    }
    if p.has('L') {
        for i in &s.config.ifaces {
            if !p.has('a') || i.auto {
                println!("{}", i.name);
            }
        }
        return 0;
    }
    if names.is_empty() {
        return usage_error(applet, "no interface given");
    }
    let mut status = 0;
    for n in &names {
        match s.config.get(n) {
            Some(i) => {
                for o in &i.options {
                    println!("{}: {}", o.key, o.value);
                }
            }
            None => {
                error_msg(applet, &format!("unknown interface {n}"));
                status = 1;
            }
        }
    }
    status
}
