//! Service definitions (`images/<image>/services/<name>.toml`) and their
//! compilation into the boot plan's service list: names resolved to
//! indices, `before` turned into `after`, a dependency order computed, and
//! every mistake refused with the file and service it is in.

use crate::Error;
use ibex_plan::{Backoff, Kind, Restart, Service};
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
    Ok(order
        .iter()
        .map(|&i| {
            let s = &services[i];
            let d = &s.def;
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
        compile(list, "ttyS0", |p| p.starts_with("/bin/")).map_err(|e| e.to_string())
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
        let e = toml::from_str::<ServiceDef>("command=['/bin/a']\ncolour='red'").unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }
}
