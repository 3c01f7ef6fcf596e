//! Service definitions (`images/<image>/services/<name>.toml`) and their
//! compilation into the boot plan's service list: names resolved to
//! indices, `before` turned into `after`, a dependency order computed, and
//! every mistake refused with the file and service it is in.

use crate::accounts::Accounts;
use crate::Error;
use ibex_plan::{
    Backoff, CgroupLimits, Kind, LogPolicy, Readiness, Resource, Restart, Rlimit, Service,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// One service as a person writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    /// Absolute program path and arguments.
    pub command: Vec<String>,
    /// `daemon` (default) or `oneshot`.
    #[serde(default, rename = "type")]
    pub kind: KindDef,
    /// Services (or provided names) that must be ready first.
    #[serde(default)]
    pub needs: Vec<String>,
    /// Services started first if present; their failure does not block.
    #[serde(default)]
    pub wants: Vec<String>,
    /// Start after these, if present (ordering only).
    #[serde(default)]
    pub after: Vec<String>,
    /// Start before these, if present (ordering only).
    #[serde(default)]
    pub before: Vec<String>,
    /// Virtual names this service stands for (`net`, `logger`).
    #[serde(default)]
    pub provides: Vec<String>,
    /// `always`, `on-failure` (default) or `never`.
    #[serde(default)]
    pub restart: RestartDef,
    /// Restart delays.
    #[serde(default)]
    pub backoff: BackoffDef,
    /// Consecutive failures before giving up; 0 (default) never gives up.
    #[serde(default)]
    pub failure_limit: u32,
    /// `console` for the board's console, or a device path.
    pub tty: Option<String>,
    /// Extra environment variables.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Working directory.
    pub working_directory: Option<String>,
    /// Signal that asks it to stop (`TERM` by default).
    #[serde(default = "default_stop_signal")]
    pub stop_signal: String,
    /// Milliseconds between the stop signal and SIGKILL.
    #[serde(default = "default_stop_timeout")]
    pub stop_timeout_ms: u32,
    /// User to run as (name or number); root when absent.
    pub user: Option<String>,
    /// Group to run as; the user's primary group when absent.
    pub group: Option<String>,
    /// Readiness: the daemon writes a newline to this descriptor when it
    /// is ready (s6/dinit style); ready at once when absent.
    pub notify_fd: Option<u8>,
    /// Resource limits by name (`nofile`, `nproc`, `core`, `as`, `data`,
    /// `stack`, `fsize`, `memlock`, `cpu`): a number or "unlimited" for
    /// both limits, or `{ soft = .., hard = .. }`.
    #[serde(default)]
    pub rlimits: BTreeMap<String, RlimitDef>,
    /// cgroup v2 limits.
    #[serde(default)]
    pub cgroup: CgroupDef,
    /// Log file rotation.
    #[serde(default)]
    pub log: LogDef,
}

/// A limit value: a number, or a word such as "unlimited" or "64M".
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    /// A plain number.
    Number(u64),
    /// "unlimited"/"max", or a number with a K, M or G suffix.
    Word(String),
}

/// One rlimit as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RlimitDef {
    /// Soft and hard limit alike.
    Both(Amount),
    /// Separate limits.
    Split {
        /// Soft limit.
        soft: Amount,
        /// Hard limit.
        hard: Amount,
    },
}

/// cgroup limits as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CgroupDef {
    /// memory.max: bytes, with an optional K/M/G suffix.
    pub memory_max: Option<Amount>,
    /// cpu.max as the kernel writes it: "QUOTA PERIOD" in microseconds.
    pub cpu_max: Option<String>,
    /// pids.max.
    pub pids_max: Option<u32>,
}

/// Log rotation as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogDef {
    /// Rotate when the file would pass this size (bytes, K/M suffix).
    pub rotate_size: Amount,
    /// Rotated files kept.
    pub keep: u8,
}

impl Default for LogDef {
    fn default() -> Self {
        let p = LogPolicy::default();
        LogDef {
            rotate_size: Amount::Number(u64::from(p.rotate_bytes)),
            keep: p.keep,
        }
    }
}

impl Amount {
    /// The value in units, `u64::MAX` for unlimited.
    fn value(&self) -> Result<u64, String> {
        match self {
            Amount::Number(n) => Ok(*n),
            Amount::Word(w) if w == "unlimited" || w == "infinity" || w == "max" => Ok(u64::MAX),
            Amount::Word(w) => {
                let (digits, scale) = match w.char_indices().last() {
                    Some((i, 'K' | 'k')) => (&w[..i], 1u64 << 10),
                    Some((i, 'M' | 'm')) => (&w[..i], 1 << 20),
                    Some((i, 'G' | 'g')) => (&w[..i], 1 << 30),
                    _ => (w.as_str(), 1),
                };
                digits
                    .parse::<u64>()
                    .ok()
                    .and_then(|n| n.checked_mul(scale))
                    .ok_or_else(|| {
                        format!("'{w}' is not a number, a size like 64M, or \"unlimited\"")
                    })
            }
        }
    }
}

/// rlimit names as written, and what they limit.
const RESOURCES: &[(&str, Resource)] = &[
    ("nofile", Resource::Nofile),
    ("nproc", Resource::Nproc),
    ("core", Resource::Core),
    ("as", Resource::As),
    ("data", Resource::Data),
    ("stack", Resource::Stack),
    ("fsize", Resource::Fsize),
    ("memlock", Resource::Memlock),
    ("cpu", Resource::Cpu),
];

/// Checks and converts the settings of one service that do not involve
/// other services.
fn settings(d: &ServiceDef, accounts: &Accounts) -> Result<Settings, String> {
    let user = match (&d.user, &d.group) {
        (None, None) => None,
        (user, group) => {
            Some(accounts.resolve(user.as_deref().unwrap_or("root"), group.as_deref())?)
        }
    };
    let readiness = match d.notify_fd {
        None => Readiness::Started,
        Some(fd) if fd < 3 => {
            return Err(format!(
                "notify_fd {fd} would replace standard input, output or error; use 3 or more"
            ))
        }
        Some(_) if d.kind == KindDef::Oneshot => {
            return Err("notify_fd is for daemons; a oneshot is ready when it exits".into())
        }
        Some(fd) => Readiness::NotifyFd(fd),
    };
    let mut rlimits = Vec::new();
    for (name, def) in &d.rlimits {
        let resource = RESOURCES
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| *r)
            .ok_or_else(|| {
                format!(
                    "unknown rlimit '{name}' (known: {})",
                    RESOURCES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let (soft, hard) = match def {
            RlimitDef::Both(a) => (a.value()?, a.value()?),
            RlimitDef::Split { soft, hard } => (soft.value()?, hard.value()?),
        };
        if soft > hard {
            return Err(format!(
                "rlimit '{name}': soft limit is above the hard limit"
            ));
        }
        rlimits.push(Rlimit {
            resource,
            soft,
            hard,
        });
    }
    let cpu_max = match &d.cgroup.cpu_max {
        None => None,
        Some(text) => {
            let bad = || {
                format!("cgroup cpu_max '{text}' is not \"QUOTA PERIOD\" in microseconds (e.g. \"50000 100000\")")
            };
            let mut words = text.split_whitespace();
            let quota: u32 = words.next().and_then(|w| w.parse().ok()).ok_or_else(bad)?;
            let period: u32 = words
                .next()
                .map_or(Some(100_000), |w| w.parse().ok())
                .ok_or_else(bad)?;
            if words.next().is_some() || quota == 0 || !(1000..=1_000_000).contains(&period) {
                return Err(bad());
            }
            Some((quota, period))
        }
    };
    let memory_max = d
        .cgroup
        .memory_max
        .as_ref()
        .map(Amount::value)
        .transpose()?;
    let cgroup = CgroupLimits {
        memory_max: memory_max.filter(|&m| m != u64::MAX),
        cpu_max,
        pids_max: d.cgroup.pids_max,
    };
    let rotate = d.log.rotate_size.value()?;
    if !(1024..=u64::from(u32::MAX)).contains(&rotate) {
        return Err("log rotate_size must be between 1K and 4G".into());
    }
    if d.log.keep > 99 {
        return Err("log keep must be at most 99".into());
    }
    Ok(Settings {
        user,
        readiness,
        rlimits,
        cgroup,
        log: LogPolicy {
            rotate_bytes: rotate as u32,
            keep: d.log.keep,
        },
    })
}

/// The per-service settings [`settings`] computed.
struct Settings {
    user: Option<ibex_plan::Credentials>,
    readiness: Readiness,
    rlimits: Vec<Rlimit>,
    cgroup: CgroupLimits,
    log: LogPolicy,
}

fn default_stop_signal() -> String {
    "TERM".into()
}

fn default_stop_timeout() -> u32 {
    5000
}

/// Service type as written.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KindDef {
    /// Long-running.
    #[default]
    Daemon,
    /// Runs to completion.
    Oneshot,
}

/// Restart policy as written.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RestartDef {
    /// Whenever it exits.
    Always,
    /// When it fails.
    #[default]
    OnFailure,
    /// Never.
    Never,
}

/// Backoff as written; omitted fields take the plan's defaults.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackoffDef {
    /// First delay.
    pub initial_ms: u32,
    /// Growth factor.
    pub factor: u32,
    /// Largest delay.
    pub max_ms: u32,
    /// Stable run that resets the delay.
    pub reset_after_ms: u32,
}

impl Default for BackoffDef {
    fn default() -> Self {
        let b = Backoff::default();
        BackoffDef {
            initial_ms: b.initial_ms,
            factor: b.factor,
            max_ms: b.max_ms,
            reset_after_ms: b.reset_after_ms,
        }
    }
}

/// A loaded definition and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Service name: the file name without `.toml`.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Its contents.
    pub def: ServiceDef,
}

/// Reads every `*.toml` in `dir`, sorted by name. A missing directory
/// means no services.
pub fn load_dir(dir: &Path) -> Result<Vec<Loaded>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::Io(dir.to_path_buf(), e)),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut loaded = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
        let def: ServiceDef = toml::from_str(&text)
            .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        loaded.push(Loaded { name, path, def });
    }
    Ok(loaded)
}

/// Signal numbers by name, for `stop_signal`.
const SIGNALS: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("KILL", 9),
    ("USR1", 10),
    ("USR2", 12),
    ("TERM", 15),
    ("PWR", 30),
];

/// Compiles definitions into plan services in dependency order.
/// `console` is the board's console device; `exists` says whether a path
/// is in the image.
pub fn compile(
    services: &[Loaded],
    console: &str,
    accounts: &Accounts,
    exists: impl Fn(&str) -> bool,
) -> Result<Vec<Service>, Error> {
    let fail = |s: &Loaded, msg: String| {
        Error::Invalid(format!("{}: service '{}': {msg}", s.path.display(), s.name))
    };
    // Names and provided names → index into `services`.
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, s) in services.iter().enumerate() {
        names.insert(&s.name, i);
    }
    for (i, s) in services.iter().enumerate() {
        for p in &s.def.provides {
            if let Some(&other) = names.get(p.as_str()) {
                if other != i {
                    return Err(fail(
                        s,
                        format!(
                            "provides '{p}', which is already the name or provided name of '{}'",
                            services[other].name
                        ),
                    ));
                }
            }
            names.insert(p, i);
        }
    }
    let resolve = |s: &Loaded, list: &[String], required: bool| -> Result<Vec<usize>, Error> {
        let mut out = Vec::new();
        for target in list {
            match names.get(target.as_str()) {
                Some(&i) => out.push(i),
                None if required => {
                    return Err(fail(
                        s,
                        format!("needs '{target}', which no service is or provides"),
                    ))
                }
                None => {}
            }
        }
        Ok(out)
    };
    let mut needs = Vec::new();
    let mut wants = Vec::new();
    let mut after: Vec<Vec<usize>> = Vec::new();
    for s in services {
        needs.push(resolve(s, &s.def.needs, true)?);
        wants.push(resolve(s, &s.def.wants, false)?);
        after.push(resolve(s, &s.def.after, false)?);
    }
    // `A before B` is `B after A`.
    for (i, s) in services.iter().enumerate() {
        for j in resolve(s, &s.def.before, false)? {
            after[j].push(i);
        }
    }
    let mut settings_of = Vec::with_capacity(services.len());
    for s in services {
        settings_of.push(settings(&s.def, accounts).map_err(|msg| fail(s, msg))?);
    }
    for (i, s) in services.iter().enumerate() {
        if needs[i].contains(&i) || wants[i].contains(&i) || after[i].contains(&i) {
            return Err(fail(s, "depends on itself".into()));
        }
        let program = s.def.command.first().map(String::as_str).unwrap_or("");
        if !program.starts_with('/') {
            return Err(fail(
                s,
                "command must start with an absolute program path".into(),
            ));
        }
        if !exists(program) {
            return Err(fail(
                s,
                format!("runs {program}, which is not in the image"),
            ));
        }
        if !SIGNALS
            .iter()
            .any(|(n, _)| *n == s.def.stop_signal.trim_start_matches("SIG"))
        {
            return Err(fail(
                s,
                format!("unknown stop_signal '{}'", s.def.stop_signal),
            ));
        }
        if s.def.backoff.factor == 0 || s.def.backoff.initial_ms > s.def.backoff.max_ms {
            return Err(fail(
                s,
                "backoff needs factor >= 1 and initial_ms <= max_ms".into(),
            ));
        }
    }
    let deps: Vec<Vec<usize>> = (0..services.len())
        .map(|i| {
            let mut d: Vec<usize> = needs[i]
                .iter()
                .chain(&wants[i])
                .chain(&after[i])
                .copied()
                .collect();
            d.sort_unstable();
            d.dedup();
            d
        })
        .collect();
    let order = topological_order(&deps).map_err(|cycle| {
        let path: Vec<&str> = cycle.iter().map(|&i| services[i].name.as_str()).collect();
        Error::Invalid(format!(
            "dependency cycle: {} (in {})",
            path.join(" -> "),
            services[cycle[0]]
                .path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ))
    })?;
    if order.len() > usize::from(u16::MAX) {
        return Err(Error::Invalid("too many services".into()));
    }
    let mut position = vec![0u16; services.len()];
    for (pos, &i) in order.iter().enumerate() {
        position[i] = pos as u16;
    }
    let remap = |list: &[usize]| list.iter().map(|&i| position[i]).collect::<Vec<u16>>();
    let mut settings_of: Vec<Option<Settings>> = settings_of.into_iter().map(Some).collect();
    Ok(order
        .iter()
        .map(|&i| {
            let s = &services[i];
            let d = &s.def;
            // Each index appears once in `order`.
            let set = settings_of[i].take().unwrap_or(Settings {
                user: None,
                readiness: Readiness::Started,
                rlimits: Vec::new(),
                cgroup: CgroupLimits::default(),
                log: LogPolicy::default(),
            });
            Service {
                name: s.name.clone(),
                argv: d.command.clone(),
                env: d.environment.clone().into_iter().collect(),
                cwd: d.working_directory.clone(),
                tty: d.tty.as_ref().map(|t| match t.as_str() {
                    "console" => format!("/dev/{console}"),
                    other => other.to_string(),
                }),
                kind: match d.kind {
                    KindDef::Daemon => Kind::Daemon,
                    KindDef::Oneshot => Kind::Oneshot,
                },
                needs: remap(&needs[i]),
                wants: remap(&wants[i]),
                after: remap(&after[i]),
                restart: match d.restart {
                    RestartDef::Always => Restart::Always,
                    RestartDef::OnFailure => Restart::OnFailure,
                    RestartDef::Never => Restart::Never,
                },
                backoff: Backoff {
                    initial_ms: d.backoff.initial_ms,
                    factor: d.backoff.factor,
                    max_ms: d.backoff.max_ms,
                    reset_after_ms: d.backoff.reset_after_ms,
                },
                failure_limit: d.failure_limit,
                stop_signal: SIGNALS
                    .iter()
                    .find(|(n, _)| *n == d.stop_signal.trim_start_matches("SIG"))
                    .map_or(15, |(_, v)| *v),
                stop_timeout_ms: d.stop_timeout_ms,
                user: set.user,
                readiness: set.readiness,
                rlimits: set.rlimits,
                cgroup: set.cgroup,
                log: set.log,
            }
        })
        .collect())
}

/// A stable topological order (smallest index first among the ready ones),
/// or one dependency cycle as a path that ends where it starts.
fn topological_order(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let n = deps.len();
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let next = (0..n).find(|&i| !placed[i] && deps[i].iter().all(|&d| placed[d]));
        match next {
            Some(i) => {
                placed[i] = true;
                order.push(i);
            }
            None => {
                // Every unplaced service waits for another unplaced one:
                // walk those edges until a service repeats.
                let start = (0..n).find(|&i| !placed[i]).unwrap_or(0);
                let mut path = vec![start];
                let mut at = start;
                loop {
                    let Some(&next) = deps[at].iter().find(|&&d| !placed[d]) else {
                        return Err(path);
                    };
                    if let Some(pos) = path.iter().position(|&p| p == next) {
                        let mut cycle = path[pos..].to_vec();
                        cycle.push(next);
                        return Err(cycle);
                    }
                    path.push(next);
                    at = next;
                }
            }
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str, toml_text: &str) -> Loaded {
        Loaded {
            name: name.into(),
            path: PathBuf::from(format!("images/t/services/{name}.toml")),
            def: toml::from_str(toml_text).unwrap(),
        }
    }

    fn compile_all(list: &[Loaded]) -> Result<Vec<Service>, String> {
        compile(list, "ttyS0", &Accounts::standard(), |p| {
            p.starts_with("/bin/")
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn orders_by_dependencies_and_resolves_provides() {
        let list = [
            svc("app", "command=['/bin/app']\nneeds=['net']\nafter=['log']"),
            svc("log", "command=['/bin/log']\nbefore=['net-up']"),
            svc(
                "net-up",
                "command=['/bin/ip']\ntype='oneshot'\nprovides=['net']\nwants=['missing']",
            ),
        ];
        let plan = compile_all(&list).unwrap();
        let names: Vec<&str> = plan.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["log", "net-up", "app"]);
        assert_eq!(plan[2].needs, vec![1]);
        assert_eq!(plan[2].after, vec![0]);
        assert_eq!(plan[1].after, vec![0]);
        assert_eq!(plan[1].kind, Kind::Oneshot);
        assert!(plan[1].wants.is_empty(), "absent wants are dropped");
        assert_eq!(plan[0].restart, Restart::OnFailure);
        assert_eq!(plan[0].stop_signal, 15);
    }

    #[test]
    fn compiles_users_readiness_limits_and_logs() {
        let list = [svc(
            "web",
            "command=['/bin/httpd']\nuser='nobody'\nnotify_fd=3\n\
             rlimits.nofile=1024\nrlimits.core={soft=0,hard='unlimited'}\n\
             cgroup.memory_max='64M'\ncgroup.cpu_max='50000 100000'\ncgroup.pids_max=32\n\
             log.rotate_size='16K'\nlog.keep=2",
        )];
        let s = &compile_all(&list).unwrap()[0];
        let user = s.user.as_ref().unwrap();
        assert_eq!(
            (user.uid, user.gid, user.name.as_str()),
            (65534, 65534, "nobody")
        );
        assert_eq!(s.readiness, Readiness::NotifyFd(3));
        assert_eq!(
            s.rlimits[0],
            Rlimit {
                resource: Resource::Core,
                soft: 0,
                hard: u64::MAX
            }
        );
        assert_eq!(
            s.rlimits[1],
            Rlimit {
                resource: Resource::Nofile,
                soft: 1024,
                hard: 1024
            }
        );
        assert_eq!(
            s.cgroup,
            CgroupLimits {
                memory_max: Some(64 << 20),
                cpu_max: Some((50_000, 100_000)),
                pids_max: Some(32)
            }
        );
        assert_eq!(
            s.log,
            LogPolicy {
                rotate_bytes: 16 << 10,
                keep: 2
            }
        );
    }

    #[test]
    fn refuses_each_kind_of_mistake_by_name() {
        let e = compile_all(&[svc("a", "command=['/bin/a']\nneeds=['nope']")]).unwrap_err();
        assert!(e.contains("a.toml: service 'a': needs 'nope'"), "{e}");
        let e = compile_all(&[
            svc("a", "command=['/bin/a']\nneeds=['b']"),
            svc("b", "command=['/bin/b']\nafter=['c']"),
            svc("c", "command=['/bin/c']\nwants=['a']"),
        ])
        .unwrap_err();
        assert!(e.contains("dependency cycle: a -> b -> c -> a"), "{e}");
        let e = compile_all(&[
            svc("a", "command=['/bin/a']\nprovides=['x']"),
            svc("b", "command=['/bin/b']\nprovides=['x']"),
        ])
        .unwrap_err();
        assert!(e.contains("service 'b': provides 'x'"), "{e}");
        let e = compile_all(&[svc("a", "command=['/sbin/nothere']")]).unwrap_err();
        assert!(
            e.contains("runs /sbin/nothere, which is not in the image"),
            "{e}"
        );
        let e = compile_all(&[svc("a", "command=['/bin/a']\nstop_signal='NOPE'")]).unwrap_err();
        assert!(e.contains("unknown stop_signal"), "{e}");
        let e = compile_all(&[svc("a", "command=['/bin/a']\nneeds=['a']")]).unwrap_err();
        assert!(e.contains("depends on itself"), "{e}");
        let bad = |text: &str| {
            compile_all(&[svc("a", &format!("command=['/bin/a']\n{text}"))]).unwrap_err()
        };
        assert!(bad("user='nosuch'").contains("a.toml: service 'a': user 'nosuch'"));
        assert!(bad("user='daemon'\ngroup='nosuch'").contains("group 'nosuch'"));
        assert!(bad("notify_fd=1").contains("notify_fd 1"));
        assert!(bad("notify_fd=3\ntype='oneshot'").contains("notify_fd is for daemons"));
        assert!(bad("rlimits.nofiles=5").contains("unknown rlimit 'nofiles'"));
        assert!(bad("rlimits.nofile={soft=10,hard=5}").contains("soft limit is above"));
        assert!(bad("rlimits.core='lots'").contains("'lots' is not a number"));
        assert!(bad("cgroup.cpu_max='half'").contains("cpu_max 'half'"));
        assert!(bad("cgroup.memory_max='64X'").contains("'64X'"));
        assert!(bad("log.rotate_size=10").contains("rotate_size"));
        assert!(bad("log.keep=100").contains("keep"));
        let e = toml::from_str::<ServiceDef>("command=['/bin/a']\ncgroup.swap=1").unwrap_err();
        assert!(e.to_string().contains("swap"), "{e}");
        let e = toml::from_str::<ServiceDef>("command=['/bin/a']\ncolour='red'").unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }
}
