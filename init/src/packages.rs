//! Services that packages bring: each package installs its compiled
//! service definitions as `/etc/ibex/services.d/<package>.plan`, a boot plan
//! of its own (its host name and main service are ignored, its dependency
//! indexes are local to the file). They are loaded after the boot plan at
//! boot, and again on `svc reload`.
//!
//! Services are matched between loads by file and name. A reload stops the
//! services whose file or definition is gone, and adds the new and changed
//! ones at the end of the list (a changed one starts once its old run has
//! stopped). Retired services keep their slot until init exits, so that
//! every index into the list stays valid; a slot costs a few hundred bytes.

use crate::logs::Logs;
use crate::supervisor::Supervisor;
use ibex_plan::{BootPlan, Service};
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Where a service of the services directory came from, and its definition
/// as its file gave it (dependencies by name), to tell a changed definition
/// from an unchanged one whatever the positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The plan file's name, e.g. `nginx.plan`.
    pub file: String,
    /// The definition.
    definition: Definition,
}

/// A service as its file defines it, with its dependencies as names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Definition {
    /// The definition with empty `needs`, `wants` and `after`.
    service: Service,
    needs: Vec<String>,
    wants: Vec<String>,
    after: Vec<String>,
}

/// One plan file of the services directory.
#[derive(Debug)]
struct PlanFile {
    /// Its name.
    name: String,
    /// Its services, or why it could not be used.
    services: Result<Vec<Definition>, String>,
}

/// The services directory: `IBEX_SERVICES_DIR` if set (an init run for
/// tests), else the system's.
pub fn dir() -> PathBuf {
    std::env::var_os("IBEX_SERVICES_DIR")
        .map_or_else(|| PathBuf::from(ibex_plan::SERVICES_DIR), PathBuf::from)
}

/// Loads the services directory at boot, after the boot plan.
pub fn load_at_boot(supervisor: &mut Supervisor, logs: &mut Logs, dir: &Path) {
    match reload(supervisor, logs, dir) {
        Ok((started, _)) if !started.is_empty() => {
            crate::log!(
                "{}: {} service{}",
                dir.display(),
                started.len(),
                if started.len() == 1 { "" } else { "s" }
            );
        }
        Ok(_) => {}
        Err(e) => crate::log!("{e}"),
    }
}

/// Reads the services directory again and brings the services in line with
/// it; returns the names of the services started and stopped.
pub fn reload(
    supervisor: &mut Supervisor,
    logs: &mut Logs,
    dir: &Path,
) -> Result<(Vec<String>, Vec<String>), String> {
    let files = read_dir(dir)?;
    for file in &files {
        if let Err(e) = &file.services {
            // A file being rewritten by a package transaction, or broken:
            // whatever it started before keeps running as it was.
            crate::log!("{}/{}: {e}; skipped", dir.display(), file.name);
        }
    }
    let current: Vec<(usize, &Origin)> = supervisor
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.retired)
        .filter_map(|(i, s)| Some((i, s.package.as_ref()?)))
        .collect();
    let base: Vec<&str> = supervisor
        .services
        .iter()
        .filter(|s| s.package.is_none())
        .map(|s| s.service.name.as_str())
        .collect();
    let changes = compare(dir, &base, &current, &files);

    let mut stopped = Vec::new();
    for &i in &changes.retire {
        let name = supervisor.services[i].service.name.clone();
        crate::log!("{name}: removed by reload; stopping");
        supervisor.retire(i);
        stopped.push(name);
    }
    let mut started = Vec::new();
    for origin in changes.add {
        if supervisor.services.len() > usize::from(u16::MAX) {
            crate::log!(
                "{}: too many services; not added",
                origin.definition.service.name
            );
            continue;
        }
        let service = origin.definition.service.clone();
        logs.push(service.name.clone(), service.log);
        let name = service.name.clone();
        supervisor.push(service, origin);
        started.push(name);
    }
    resolve_dependencies(supervisor);
    Ok((started, stopped))
}

/// What a reload does.
#[derive(Debug, Default)]
struct Changes {
    /// Indexes of the services to stop for good.
    retire: Vec<usize>,
    /// Services to add, in this order.
    add: Vec<Origin>,
}

/// Compares the services loaded from the directory (`current`: index and
/// origin) with what its files now say, given the boot plan's names.
///
/// A name belongs to the boot plan first, then to the file whose service
/// already has it, then to the first file (by name) that defines it; any
/// other service by that name is skipped. A file that cannot be read keeps
/// its services as they are.
fn compare(dir: &Path, base: &[&str], current: &[(usize, &Origin)], files: &[PlanFile]) -> Changes {
    let mut owner: HashMap<&str, &str> = base.iter().map(|&n| (n, "the boot plan")).collect();
    let broken: HashSet<&str> = files
        .iter()
        .filter(|f| f.services.is_err())
        .map(|f| f.name.as_str())
        .collect();
    let defines = |file: &str, name: &str| {
        files.iter().any(|f| {
            f.name == file
                && f.services
                    .as_ref()
                    .is_ok_and(|s| s.iter().any(|d| d.service.name == name))
        })
    };
    for (_, origin) in current {
        let name = origin.definition.service.name.as_str();
        if broken.contains(origin.file.as_str()) || defines(&origin.file, name) {
            owner.entry(name).or_insert(origin.file.as_str());
        }
    }
    let mut changes = Changes::default();
    let mut wanted: HashSet<(&str, &str)> = HashSet::new();
    for file in files {
        let Ok(services) = &file.services else {
            continue;
        };
        let mut seen = HashSet::new();
        for definition in services {
            let name = definition.service.name.as_str();
            let first = seen.insert(name);
            let owned_by = *owner.entry(name).or_insert(file.name.as_str());
            if owned_by != file.name || !first {
                let other = if first {
                    owned_by
                } else {
                    "an earlier service of its file"
                };
                crate::log!(
                    "{}/{}: service {name} has the name of one in {other}; skipped",
                    dir.display(),
                    file.name
                );
                continue;
            }
            wanted.insert((file.name.as_str(), name));
            let running = current
                .iter()
                .find(|(_, o)| o.file == file.name && o.definition.service.name == name);
            match running {
                Some((_, o)) if o.definition == *definition => {}
                found => {
                    if let Some((i, _)) = found {
                        changes.retire.push(*i);
                    }
                    changes.add.push(Origin {
                        file: file.name.clone(),
                        definition: definition.clone(),
                    });
                }
            }
        }
    }
    for (i, origin) in current {
        let key = (
            origin.file.as_str(),
            origin.definition.service.name.as_str(),
        );
        if !broken.contains(key.0) && !wanted.contains(&key) {
            changes.retire.push(*i);
        }
    }
    ibex_sort::sort(&mut changes.retire);
    changes
}

/// Gives every service of the directory its dependencies as indexes into
/// the current list: each name is the service by that name that is not
/// retired (a name that was skipped is the service that has it). A service
/// also waits for an earlier run by its name to stop, so that two never
/// run at once (they would share a cgroup and a log file).
fn resolve_dependencies(supervisor: &mut Supervisor) {
    let mut index: HashMap<String, u16> = HashMap::new();
    let mut stopping: HashMap<String, Vec<u16>> = HashMap::new();
    for (i, s) in supervisor.services.iter().enumerate() {
        let Ok(i) = u16::try_from(i) else { break };
        let name = s.service.name.clone();
        if !s.retired {
            index.insert(name, i);
        } else if s.pid().is_some() {
            stopping.entry(name).or_default().push(i);
        }
    }
    let resolve = |names: &[String]| -> Vec<u16> {
        names
            .iter()
            .filter_map(|n| index.get(n.as_str()).copied())
            .collect()
    };
    for s in &mut supervisor.services {
        if s.retired {
            continue;
        }
        let Some(origin) = &s.package else { continue };
        let d = &origin.definition;
        s.service.needs = resolve(&d.needs);
        s.service.wants = resolve(&d.wants);
        s.service.after = resolve(&d.after);
        if let Some(earlier) = stopping.get(&s.service.name) {
            s.service.after.extend(earlier);
        }
    }
}

/// A retired service that has stopped: its pipes are closed, and its log
/// goes to the service that replaced it, if any. Called on every turn.
pub fn release_retired(supervisor: &mut Supervisor, logs: &mut Logs) {
    for i in 0..supervisor.services.len() {
        let s = &supervisor.services[i];
        if !s.retired || s.pid().is_some() || logs.released(i) {
            continue;
        }
        crate::drain_output(supervisor, logs, i);
        let name = &supervisor.services[i].service.name;
        let successor = supervisor
            .services
            .iter()
            .position(|t| !t.retired && t.service.name == *name);
        logs.release(i, successor);
        let s = &mut supervisor.services[i];
        s.output = None;
        s.notify = None;
    }
}

/// Reads every `*.plan` file of `dir` (not hidden, sorted by name). A
/// missing directory has no files.
fn read_dir(dir: &Path) -> Result<Vec<PlanFile>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut names: Vec<OsString> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|n| {
            let n = n.as_encoded_bytes();
            n.ends_with(b".plan") && !n.starts_with(b".")
        })
        .collect();
    ibex_sort::sort(&mut names);
    Ok(names
        .into_iter()
        .map(|name| PlanFile {
            services: read_plan(&dir.join(&name)),
            name: name.to_string_lossy().into_owned(),
        })
        .collect())
}

/// Reads and decodes one plan file.
fn read_plan(path: &Path) -> Result<Vec<Definition>, String> {
    // Not opening a device, nor blocking on a FIFO someone left there
    // (checked again on the open file, which may have been replaced).
    if !std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .is_file()
    {
        return Err("not a regular file".into());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| e.to_string())?;
    if !file.metadata().map_err(|e| e.to_string())?.is_file() {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    file.take(ibex_plan::MAX_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    let plan = BootPlan::decode(&bytes).map_err(|e| e.to_string())?;
    Ok(definitions(&plan.services))
}

/// The services of a file with their dependencies as names.
fn definitions(services: &[Service]) -> Vec<Definition> {
    let names = |indexes: &[u16]| -> Vec<String> {
        indexes
            .iter()
            .filter_map(|&d| services.get(usize::from(d)))
            .map(|s| s.name.clone())
            .collect()
    };
    services
        .iter()
        .map(|s| {
            let mut service = s.clone();
            service.needs = Vec::new();
            service.wants = Vec::new();
            service.after = Vec::new();
            Definition {
                needs: names(&s.needs),
                wants: names(&s.wants),
                after: names(&s.after),
                service,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibex_plan::Restart;

    fn file(name: &str, services: &[Service]) -> PlanFile {
        PlanFile {
            name: name.into(),
            services: Ok(definitions(services)),
        }
    }

    fn daemon(name: &str, arg: &str) -> Service {
        Service::daemon(name, &["/bin/sleep", arg], Restart::Always)
    }

    fn origins(files: &[PlanFile]) -> Vec<Origin> {
        compare(Path::new("d"), &[], &[], files).add
    }

    fn names(origins: &[Origin]) -> Vec<&str> {
        origins
            .iter()
            .map(|o| o.definition.service.name.as_str())
            .collect()
    }

    #[test]
    fn dependencies_become_names() {
        let mut b = daemon("b", "1");
        b.needs = vec![0];
        b.after = vec![7];
        let d = definitions(&[daemon("a", "1"), b]);
        assert_eq!(d[1].needs, ["a"]);
        assert!(d[1].after.is_empty());
        assert!(d[1].service.needs.is_empty());
    }

    #[test]
    fn first_owner_of_a_name_wins() {
        let files = [
            file(
                "a.plan",
                &[daemon("web", "1"), daemon("x", "1"), daemon("x", "2")],
            ),
            file(
                "b.plan",
                &[daemon("web", "2"), daemon("y", "1"), daemon("base", "1")],
            ),
        ];
        let changes = compare(Path::new("d"), &["base"], &[], &files);
        assert_eq!(names(&changes.add), ["web", "x", "y"]);
        assert_eq!(changes.add[0].file, "a.plan");
        assert!(changes.retire.is_empty());
    }

    #[test]
    fn reload_keeps_replaces_removes_and_adds() {
        let before = origins(&[
            file("a.plan", &[daemon("same", "1"), daemon("changed", "1")]),
            file("b.plan", &[daemon("gone", "1")]),
            file("c.plan", &[daemon("kept", "1")]),
        ]);
        let current: Vec<(usize, &Origin)> = before
            .iter()
            .enumerate()
            .map(|(i, o)| (i + 10, o))
            .collect();
        let files = [
            file(
                "a.plan",
                &[
                    daemon("new", "1"),
                    daemon("same", "1"),
                    daemon("changed", "2"),
                ],
            ),
            PlanFile {
                name: "c.plan".into(),
                services: Err("broken".into()),
            },
            // Added before c.plan by name, but c.plan's service keeps its
            // name while c.plan is unreadable.
            file("b2.plan", &[daemon("kept", "2")]),
        ];
        let changes = compare(Path::new("d"), &[], &current, &files);
        assert_eq!(changes.retire, [11, 12]);
        assert_eq!(names(&changes.add), ["new", "changed"]);
        // A service that keeps its name keeps it against an earlier file.
        let files = [
            file("0.plan", &[daemon("same", "1")]),
            file("a.plan", &[daemon("same", "1")]),
        ];
        let changes = compare(Path::new("d"), &[], &current[..1], &files);
        assert!(
            changes.retire.is_empty() && changes.add.is_empty(),
            "{changes:?}"
        );
    }

    #[test]
    fn a_missing_directory_is_empty_and_bad_files_say_why() {
        let dir = std::env::temp_dir().join(format!("ibex-packages-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(read_dir(&dir).unwrap().is_empty());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.plan"), b"IBXP\x05\x00\xff").unwrap();
        let plan = BootPlan {
            hostname: String::new(),
            services: vec![daemon("a", "1")],
            main: None,
            confirm: Default::default(),
            watchdog_secs: 0,
        };
        std::fs::write(dir.join("a.plan"), plan.encode()).unwrap();
        std::fs::write(dir.join(".c.plan"), plan.encode()).unwrap();
        std::fs::write(dir.join("d.toml"), plan.encode()).unwrap();
        std::fs::create_dir(dir.join("e.plan")).unwrap();
        let files = read_dir(&dir).unwrap();
        let got: Vec<(&str, Result<usize, &str>)> = files
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.services.as_ref().map(Vec::len).map_err(String::as_str),
                )
            })
            .collect();
        assert_eq!(got[0], ("a.plan", Ok(1)));
        assert_eq!(got[1], ("b.plan", Err("boot plan body is malformed")));
        assert_eq!(got[2].0, "e.plan");
        assert!(got[2].1.is_err());
        assert_eq!(got.len(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
