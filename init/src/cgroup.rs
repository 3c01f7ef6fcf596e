//! cgroup v2: every service runs in its own group under
//! `/sys/fs/cgroup/<name>`, so that its memory.max, cpu.max and pids.max
//! apply to everything it starts, and stopping it can kill all of it
//! (`cgroup.kill`) instead of only its main process.

use ibex_plan::Service;
use std::ffi::CString;
use std::path::{Path, PathBuf};

/// Where init mounts the unified hierarchy.
pub const ROOT: &str = "/sys/fs/cgroup";

/// The groups of the running system, if cgroup v2 is usable.
pub struct Cgroups {
    root: PathBuf,
}

impl Cgroups {
    /// Enables the memory, cpu and pids controllers for the groups below
    /// `root`. Returns `None` (and services run without groups) when the
    /// kernel has no cgroup v2 there.
    pub fn enable(root: &Path) -> Option<Cgroups> {
        let control = root.join("cgroup.subtree_control");
        if !control.exists() {
            crate::log!(
                "no cgroup2 at {}: services run without limits",
                root.display()
            );
            return None;
        }
        for controller in ["+memory", "+cpu", "+pids"] {
            if let Err(e) = std::fs::write(&control, controller) {
                crate::log!("cgroup controller {controller}: {e}");
            }
        }
        Some(Cgroups {
            root: root.to_path_buf(),
        })
    }

    /// Creates (or reuses) the group of `service` and writes its limits;
    /// returns the path of its `cgroup.procs`, which the child writes
    /// itself into between fork and exec.
    pub fn prepare(&self, service: &Service) -> Option<CString> {
        let dir = self.root.join(&service.name);
        if let Err(e) = std::fs::create_dir(&dir) {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                crate::log!("{}: {e}", dir.display());
                return None;
            }
        }
        let limits = service.cgroup;
        let write = |file: &str, value: String| {
            if let Err(e) = std::fs::write(dir.join(file), &value) {
                crate::log!("{}: cannot set {file} to {value}: {e}", service.name);
            }
        };
        write(
            "memory.max",
            limits.memory_max.map_or("max".into(), |m| m.to_string()),
        );
        write(
            "cpu.max",
            limits
                .cpu_max
                .map_or("max 100000".into(), |(q, p)| format!("{q} {p}")),
        );
        write(
            "pids.max",
            limits.pids_max.map_or("max".into(), |p| p.to_string()),
        );
        CString::new(
            dir.join("cgroup.procs")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .ok()
    }

    /// Kills every process in the group of `name` (cgroup.kill, Linux 5.14+).
    pub fn kill(&self, name: &str) -> bool {
        std::fs::write(self.root.join(name).join("cgroup.kill"), "1").is_ok()
    }
}
