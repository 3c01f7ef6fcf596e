//! `modprobe`: load (or with -r unload) kernel modules with their
//! dependencies from modules.dep, resolving aliases from modules.alias and
//! /etc/modprobe.d (`alias`, `blacklist`, `options`). Also the loading code
//! insmod, rmmod and mdev (for MODALIAS) use.
//!
//! `-d DIR` is a root directory, as in kmod: modules are read from
//! `DIR/lib/modules/VERSION` and configuration from `DIR/etc/modprobe.d`
//! and `DIR/lib/modprobe.d`, so that a scratch tree can be tried with -n
//! (dry run) or -D (show dependencies) without touching the kernel.

use crate::common::{error_msg, getopt, Exit};
use std::collections::{HashMap, HashSet};
use std::ffi::{CString, OsString};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "[-alrqvnDb] [-d DIR] [-S VERSION] MODULE [SYMBOL=VALUE]...\n\nLoad or unload kernel modules with their dependencies\n\n\t-a\tLoad multiple MODULEs\n\t-l\tList (MODULE is a pattern)\n\t-r\tRemove MODULE (stacks) or do autoclean\n\t-q\tQuiet\n\t-v\tVerbose\n\t-n\tDry run\n\t-D\tShow dependencies (insmod lines) without loading\n\t-b\tApply blacklist to module names too\n\t-s\tLog to syslog (ignored)\n\t-d DIR\tRoot directory for /lib/modules and /etc/modprobe.d\n\t-S VERSION\tKernel version instead of uname -r";

/// A module's name as the kernel knows it: the file's base name without
/// `.ko` (and compression suffix), dashes as underscores.
pub fn module_name(path: &[u8]) -> String {
    let base = crate::procfs::basename(path);
    let base = String::from_utf8_lossy(base);
    let stem = base.split(".ko").next().unwrap_or(&base);
    stem.replace('-', "_")
}

/// What modules.dep, modules.alias and modprobe.d say.
pub struct Db {
    /// `ROOT/lib/modules/VERSION`.
    pub dir: PathBuf,
    /// Module name → (path relative to `dir`, dependency names in
    /// modules.dep's order: load them last first).
    deps: HashMap<String, (String, Vec<String>)>,
    /// Module names in modules.dep order, for -l.
    order: Vec<String>,
    /// Aliases (glob patterns) from modprobe.d, then modules.alias.
    aliases: Vec<(Vec<u8>, String)>,
    /// Count of the aliases that came from modprobe.d (looked up first).
    config_aliases: usize,
    blacklist: HashSet<String>,
    options: HashMap<String, String>,
}

impl Db {
    /// Reads the tree under `root` for kernel `version`; an error names
    /// the modules.dep that could not be read.
    pub fn load(root: &Path, version: &str) -> Result<Db, String> {
        let dir = root.join("lib/modules").join(version);
        let dep_path = dir.join("modules.dep");
        let text = std::fs::read(&dep_path).map_err(|e| {
            format!(
                "can't open '{}': {}",
                dep_path.display(),
                crate::common::strerror(&e)
            )
        })?;
        let mut deps = HashMap::new();
        let mut order = Vec::new();
        for line in String::from_utf8_lossy(&text).lines() {
            let Some((file, rest)) = line.split_once(':') else {
                continue;
            };
            let file = file.trim();
            let name = module_name(file.as_bytes());
            let list = rest
                .split_whitespace()
                .map(|d| module_name(d.as_bytes()))
                .collect();
            order.push(name.clone());
            deps.insert(name, (file.to_string(), list));
        }
        let mut db = Db {
            dir: dir.clone(),
            deps,
            order,
            aliases: Vec::new(),
            config_aliases: 0,
            blacklist: HashSet::new(),
            options: HashMap::new(),
        };
        // Configuration first (its aliases win), then the depmod aliases.
        let mut conf_files: Vec<PathBuf> = Vec::new();
        for sub in ["etc/modprobe.d", "lib/modprobe.d"] {
            if let Ok(names) = crate::fsutil::read_dir_sorted(&root.join(sub)) {
                conf_files.extend(
                    names
                        .iter()
                        .filter(|n| n.as_bytes().ends_with(b".conf"))
                        .map(|n| root.join(sub).join(n)),
                );
            }
        }
        for file in conf_files {
            db.read_config(&std::fs::read(file).unwrap_or_default());
        }
        db.config_aliases = db.aliases.len();
        let aliases = std::fs::read(dir.join("modules.alias")).unwrap_or_default();
        for line in String::from_utf8_lossy(&aliases).lines() {
            let mut w = line.split_whitespace();
            if let (Some("alias"), Some(pat), Some(name)) = (w.next(), w.next(), w.next()) {
                db.aliases
                    .push((pat.as_bytes().to_vec(), module_name(name.as_bytes())));
            }
        }
        Ok(db)
    }

    /// One modprobe.d file: `alias`, `blacklist` and `options` lines
    /// (`#` comments, `\` continuations).
    fn read_config(&mut self, text: &[u8]) {
        let text = String::from_utf8_lossy(text).replace("\\\n", " ");
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut w = line.split_whitespace();
            match (w.next(), w.next()) {
                (Some("alias"), Some(pat)) => {
                    if let Some(name) = w.next() {
                        self.aliases
                            .push((pat.as_bytes().to_vec(), module_name(name.as_bytes())));
                    }
                }
                (Some("blacklist"), Some(name)) => {
                    self.blacklist.insert(module_name(name.as_bytes()));
                }
                (Some("options"), Some(name)) => {
                    let opts: Vec<&str> = w.collect();
                    let entry = self
                        .options
                        .entry(module_name(name.as_bytes()))
                        .or_default();
                    for o in opts {
                        if !entry.is_empty() {
                            entry.push(' ');
                        }
                        entry.push_str(o);
                    }
                }
                _ => {}
            }
        }
    }

    /// The modules `request` stands for: itself if modules.dep has it, else
    /// the targets of matching aliases (configuration first). Blacklisted
    /// modules are left out of alias results, and out of direct names with
    /// `blacklist_names` (-b).
    pub fn resolve(&self, request: &str, blacklist_names: bool) -> Vec<String> {
        let name = module_name(request.as_bytes());
        if self.deps.contains_key(&name) {
            if blacklist_names && self.blacklist.contains(&name) {
                return Vec::new();
            }
            return vec![name];
        }
        let matching = |range: &[(Vec<u8>, String)], subject: &[u8]| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for (pat, target) in range {
                let hit = super::sh::pattern::matches(pat, subject);
                if hit && !self.blacklist.contains(target) && !out.contains(target) {
                    out.push(target.clone());
                }
            }
            out
        };
        let (config, depmod) = self.aliases.split_at(self.config_aliases);
        let from_config = matching(config, request.as_bytes());
        if from_config.is_empty() {
            return matching(depmod, request.as_bytes());
        }
        // A configured alias may name a module or another alias.
        let mut out: Vec<String> = Vec::new();
        for t in from_config {
            let found = if self.deps.contains_key(&t) {
                vec![t]
            } else {
                matching(depmod, t.as_bytes())
            };
            for m in found {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        out
    }

    /// The modules to load for `name`, dependencies first.
    pub fn load_order(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some((_, deps)) = self.deps.get(name) {
            for d in deps.iter().rev() {
                if !out.contains(d) {
                    out.push(d.clone());
                }
            }
        }
        out.push(name.to_string());
        out
    }

    /// Where the file of module `name` is.
    pub fn path(&self, name: &str) -> PathBuf {
        match self.deps.get(name) {
            Some((file, _)) if file.starts_with('/') => PathBuf::from(file),
            Some((file, _)) => self.dir.join(file),
            None => self.dir.join(format!("{name}.ko")),
        }
    }

    /// Options modprobe.d gives `name`.
    pub fn options(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }
}

/// The loaded modules, from /proc/modules (`$IBOX_PROC_ROOT/modules`).
pub fn loaded() -> HashMap<String, Vec<String>> {
    let text = std::fs::read(crate::procfs::system_file("modules")).unwrap_or_default();
    String::from_utf8_lossy(&text)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let users = f
                .get(3)
                .map(|u| {
                    u.split(',')
                        .filter(|u| !u.is_empty() && *u != "-")
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Some((f.first()?.to_string(), users))
        })
        .collect()
}

/// finit_module(2) of `path` with `params`; the error is BusyBox's text.
pub fn insert(path: &Path, params: &str) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| {
        format!(
            "can't open '{}': {}",
            path.display(),
            crate::common::strerror(&e)
        )
    })?;
    let params = CString::new(params).map_err(|_| "parameters contain a NUL byte".to_string())?;
    let compressed = [".gz", ".xz", ".zst"]
        .iter()
        .any(|s| path.as_os_str().as_bytes().ends_with(s.as_bytes()));
    // MODULE_INIT_COMPRESSED_FILE: the kernel decompresses it.
    let flags = if compressed { 4 } else { 0 };
    // SAFETY: finit_module reads the open file and the NUL-terminated
    // parameter string, both alive for the call.
    let r = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_finit_module,
            file.as_raw_fd(),
            params.as_ptr(),
            flags,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    Err(format!(
        "can't insert '{}': {}",
        path.display(),
        moderror(&err)
    ))
}

/// delete_module(2); `wait` blocks until the module is unused, `force`
/// unloads it even so (O_TRUNC).
pub fn remove(name: &str, wait: bool, force: bool) -> std::io::Result<()> {
    let cname =
        CString::new(name).map_err(|_| std::io::Error::from_raw_os_error(nix::libc::EINVAL))?;
    let mut flags = if wait { 0 } else { nix::libc::O_NONBLOCK };
    if force {
        flags |= nix::libc::O_TRUNC;
    }
    // SAFETY: delete_module reads the NUL-terminated name.
    let r = unsafe { nix::libc::syscall(nix::libc::SYS_delete_module, cname.as_ptr(), flags) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// What the kernel's errors mean when loading a module (BusyBox's moderror).
fn moderror(err: &std::io::Error) -> String {
    match err.raw_os_error() {
        Some(nix::libc::ENOEXEC) => "invalid module format".into(),
        Some(nix::libc::ENOENT) => "unknown symbol in module, or unknown parameter".into(),
        Some(nix::libc::ESRCH) => "module has wrong symbol version".into(),
        Some(nix::libc::ENOSYS) => "kernel does not support requested operation".into(),
        _ => crate::common::strerror(err),
    }
}

/// The running kernel's release (`uname -r`).
pub fn kernel_version() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// How one modprobe run behaves.
pub struct Run<'a> {
    /// The module database.
    pub db: &'a Db,
    /// Only print, never call the kernel (-n).
    pub dry_run: bool,
    /// Print `insmod`/`rmmod` lines (-v, -n -v).
    pub verbose: bool,
    /// -D: print every insmod line, loaded or not, and load nothing.
    pub show_depends: bool,
    /// -q: no message for modules that do not exist.
    pub quiet: bool,
    /// -b: the blacklist applies to names too.
    pub blacklist_names: bool,
    /// Where the lines go.
    pub out: &'a mut dyn Write,
}

impl Run<'_> {
    /// Loads `request` (a name or an alias) with `params`; false on failure.
    pub fn load(&mut self, request: &str, params: &str) -> bool {
        let names = self.db.resolve(request, self.blacklist_names);
        if names.is_empty() {
            if !self.quiet {
                error_msg(
                    "modprobe",
                    &format!("module {request} not found in modules.dep"),
                );
            }
            return false;
        }
        let loaded = loaded();
        let mut ok = true;
        for name in names {
            for m in self.db.load_order(&name) {
                if loaded.contains_key(&m) && !self.show_depends {
                    continue;
                }
                let mut opts = self.db.options(&m).unwrap_or_default().to_string();
                if m == name && !params.is_empty() {
                    if !opts.is_empty() {
                        opts.push(' ');
                    }
                    opts.push_str(params);
                }
                let path = self.db.path(&m);
                if self.verbose || self.show_depends {
                    let line = if opts.is_empty() {
                        format!("insmod {}\n", path.display())
                    } else {
                        format!("insmod {} {opts}\n", path.display())
                    };
                    let _ = self.out.write_all(line.as_bytes());
                }
                if self.dry_run || self.show_depends {
                    continue;
                }
                if let Err(msg) = insert(&path, &opts) {
                    // Another loader may have won the race.
                    if !msg.ends_with(": File exists") {
                        error_msg("modprobe", &msg);
                        ok = false;
                        break;
                    }
                }
            }
        }
        ok
    }

    /// -r: unloads `request` and then its dependencies that nothing else
    /// uses; false on failure.
    pub fn unload(&mut self, request: &str) -> bool {
        let names = self.db.resolve(request, self.blacklist_names);
        let loaded = loaded();
        let name = names
            .first()
            .cloned()
            .unwrap_or_else(|| module_name(request.as_bytes()));
        if !loaded.contains_key(&name) {
            if !self.quiet {
                error_msg("modprobe", &format!("module {name} is not loaded"));
            }
            return false;
        }
        let mut order = self.db.load_order(&name);
        order.reverse();
        let mut removed: Vec<String> = Vec::new();
        for (i, m) in order.iter().enumerate() {
            let Some(users) = loaded.get(m) else {
                continue;
            };
            // A dependency still used by a module we keep stays.
            if i > 0 && users.iter().any(|u| !removed.contains(u)) {
                continue;
            }
            if self.verbose {
                let _ = self.out.write_all(format!("rmmod {m}\n").as_bytes());
            }
            if !self.dry_run {
                if let Err(e) = remove(m, false, false) {
                    error_msg(
                        "modprobe",
                        &format!("can't unload module '{m}': {}", crate::common::strerror(&e)),
                    );
                    return i > 0;
                }
            }
            removed.push(m.clone());
        }
        true
    }
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "alrqvnDbsd:S:",
        &[
            ("all", 'a'),
            ("list", 'l'),
            ("remove", 'r'),
            ("quiet", 'q'),
            ("verbose", 'v'),
            ("dry-run", 'n'),
            ("show", 'n'),
            ("show-depends", 'D'),
            ("use-blacklist", 'b'),
            ("syslog", 's'),
            ("dirname", 'd'),
            ("set-version", 'S'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let root = p
        .value('d')
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"));
    let version = p
        .value('S')
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_else(kernel_version);
    let db = match Db::load(&root, &version) {
        Ok(db) => db,
        Err(msg) => {
            error_msg("modprobe", &msg);
            return 1;
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if p.has('l') {
        let pattern = p
            .operands
            .first()
            .map(|o| o.as_bytes().to_vec())
            .unwrap_or_else(|| b"*".to_vec());
        for name in &db.order {
            if super::sh::pattern::matches(&pattern, name.as_bytes()) {
                let line = format!("{}\n", db.path(name).display());
                if let Err(e) = out.write_all(line.as_bytes()) {
                    return crate::text::write_failed("modprobe", &e);
                }
            }
        }
        return crate::text::finish("modprobe", &mut out, 0);
    }
    if p.operands.is_empty() {
        return crate::common::usage_error("modprobe", "no module name given");
    }
    let ops: Vec<String> = p
        .operands
        .iter()
        .map(|o| o.to_string_lossy().into_owned())
        .collect();
    // Without -a (or -r) the words after the module are its parameters.
    let (modules, params): (Vec<&String>, String) = if p.has('a') || p.has('r') {
        (ops.iter().collect(), String::new())
    } else {
        (vec![&ops[0]], ops[1..].join(" "))
    };
    let mut run = Run {
        db: &db,
        dry_run: p.has('n'),
        verbose: p.has('v'),
        show_depends: p.has('D'),
        quiet: p.has('q'),
        blacklist_names: p.has('b'),
        out: &mut out,
    };
    let mut status = 0;
    for m in modules {
        let ok = if p.has('r') {
            run.unload(m)
        } else {
            run.load(m, &params)
        };
        if !ok {
            status = 1;
        }
    }
    crate::text::finish("modprobe", &mut out, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(module_name(b"kernel/drivers/net/e1000e.ko.xz"), "e1000e");
        assert_eq!(module_name(b"snd-hda-intel.ko"), "snd_hda_intel");
        assert_eq!(module_name(b"snd-hda-intel"), "snd_hda_intel");
    }
}
