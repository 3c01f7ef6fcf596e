//! The kernel build driver: Linux 6.1 LTS from Debian's `linux-source-6.1`
//! tarball, configured as `tinyconfig` plus Ibex's fragments, checked, built
//! out of tree and cached by a hash of everything that goes into it.
//!
//! Layout under the work directory (`target/kernel/` in the repository):
//!
//! ```text
//! linux-source-6.1/        the unpacked tarball, shared by every build
//! build-<hash>/            one out-of-tree build per (source, arch, fragments)
//! ```
//!
//! The hash covers the tarball's identity and the bytes of every fragment, so
//! a changed fragment gets a fresh tree and an unchanged one is never rebuilt
//! from scratch. Changing only the built-in initramfs relinks the kernel.

pub mod check;
pub mod fragment;

use sha2::{Digest, Sha256};
use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Debian's kernel source package; `apt-get install linux-source-6.1` puts it here.
pub const DEFAULT_TARBALL: &str = "/usr/src/linux-source-6.1.tar.xz";
/// Directory name inside the tarball.
const SOURCE_DIR: &str = "linux-source-6.1";

/// Everything that can go wrong while configuring or building a kernel.
#[derive(Debug)]
pub enum Error {
    /// A file or directory could not be read or written.
    Io(PathBuf, std::io::Error),
    /// The source tarball is missing.
    NoSource(PathBuf),
    /// A build tool is missing; the string is the apt-get line that installs it.
    MissingTool(&'static str, &'static str),
    /// A command ran and failed; the string says which and where its log is.
    CommandFailed(String),
    /// Kconfig did not honour these requested symbols.
    ConfigMismatch(Vec<Mismatch>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(path, e) => write!(f, "{}: {e}", path.display()),
            Error::NoSource(path) => write!(
                f,
                "kernel source {} not found; install it with: apt-get install linux-source-6.1",
                path.display()
            ),
            Error::MissingTool(tool, install) => {
                write!(
                    f,
                    "'{tool}' is needed to build the kernel; install it with: {install}"
                )
            }
            Error::CommandFailed(what) => f.write_str(what),
            Error::ConfigMismatch(list) => {
                writeln!(
                    f,
                    "the kernel configuration dropped {} requested setting(s):",
                    list.len()
                )?;
                for m in list {
                    writeln!(f, "  {m}")?;
                }
                f.write_str("(an unmet dependency or a misspelt symbol: fix the fragment)")
            }
        }
    }
}

impl std::error::Error for Error {}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::Io(path.to_path_buf(), e)
}

/// What to build: one board's kernel.
#[derive(Debug, Clone)]
pub struct KernelSpec {
    /// Kernel `ARCH=` value (`x86_64`, `arm64`, …).
    pub arch: String,
    /// `CROSS_COMPILE=` prefix, empty for a native build.
    pub cross_compile: String,
    /// Fragments merged onto tinyconfig, in order (later ones win).
    pub fragments: Vec<PathBuf>,
    /// make target that produces the boot image (`bzImage`).
    pub make_target: String,
    /// Where that target lands, relative to the build tree (`arch/x86/boot/bzImage`).
    pub image_path: String,
}

/// A requested setting that Kconfig resolved differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Symbol, with its `CONFIG_` prefix.
    pub symbol: String,
    /// What a fragment asked for (`y`, `"string"`, `n` for "is not set").
    pub requested: String,
    /// What the final `.config` has (`n` when absent).
    pub actual: String,
    /// The fragment that asked.
    pub fragment: PathBuf,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: requested {} but got {} ({})",
            self.symbol,
            self.requested,
            self.actual,
            self.fragment.display()
        )
    }
}

/// Parses Kconfig lines (`CONFIG_X=v` and `# CONFIG_X is not set`) into
/// (symbol, value) pairs, with "is not set" as `n`.
pub fn parse_config(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("# ") {
            if let Some(sym) = rest.strip_suffix(" is not set") {
                if sym.starts_with("CONFIG_") {
                    out.push((sym.to_string(), "n".to_string()));
                }
            }
        } else if line.starts_with("CONFIG_") {
            if let Some((sym, value)) = line.split_once('=') {
                out.push((sym.to_string(), value.to_string()));
            }
        }
    }
    out
}

/// Compares what the fragments request with a resolved `.config`.
pub fn check_requested(fragments: &[(PathBuf, String)], resolved_config: &str) -> Vec<Mismatch> {
    let resolved: std::collections::HashMap<String, String> =
        parse_config(resolved_config).into_iter().collect();
    // Later fragments override earlier ones, exactly as merge_config does.
    let mut requested: Vec<(String, String, PathBuf)> = Vec::new();
    for (path, text) in fragments {
        for (sym, value) in parse_config(text) {
            requested.retain(|(s, _, _)| *s != sym);
            requested.push((sym, value, path.clone()));
        }
    }
    requested
        .into_iter()
        .filter_map(|(symbol, value, fragment)| {
            let actual = resolved.get(&symbol).cloned().unwrap_or_else(|| "n".into());
            (actual != value).then_some(Mismatch {
                symbol,
                requested: value,
                actual,
                fragment,
            })
        })
        .collect()
}

/// The kernel build area: where the source is unpacked and trees live.
pub struct Builder {
    /// The `linux-source-6.1.tar.xz` to build from.
    pub tarball: PathBuf,
    /// Work directory (`target/kernel`).
    pub work_dir: PathBuf,
    /// Print progress on standard error.
    pub verbose: bool,
}

/// A configured build tree for one [`KernelSpec`].
pub struct Tree {
    /// Out-of-tree build directory (`O=`).
    pub dir: PathBuf,
    /// The unpacked source.
    pub source: PathBuf,
    /// What it builds.
    pub spec: KernelSpec,
    /// Hex hash naming the tree.
    pub hash: String,
}

impl Builder {
    /// A builder using Debian's tarball and `work_dir`.
    pub fn new(work_dir: impl Into<PathBuf>) -> Builder {
        Builder {
            tarball: PathBuf::from(DEFAULT_TARBALL),
            work_dir: work_dir.into(),
            verbose: true,
        }
    }

    fn say(&self, msg: &str) {
        if self.verbose {
            eprintln!("kernel: {msg}");
        }
    }

    /// Checks that the host tools a kernel build runs are installed.
    pub fn check_tools(spec: &KernelSpec) -> Result<(), Error> {
        const TOOLS: &[(&str, &str)] = &[
            ("make", "apt-get install make"),
            ("gcc", "apt-get install gcc"),
            ("flex", "apt-get install flex"),
            ("bison", "apt-get install bison"),
            ("bc", "apt-get install bc"),
            ("xz", "apt-get install xz-utils"),
            ("perl", "apt-get install perl"),
        ];
        for (tool, install) in TOOLS {
            if !on_path(tool) {
                return Err(Error::MissingTool(tool, install));
            }
        }
        if !spec.cross_compile.is_empty() {
            let gcc = format!("{}gcc", spec.cross_compile);
            if !on_path(&gcc) {
                return Err(Error::MissingTool(
                    "cross compiler",
                    "apt-get install gcc-<arch>-linux-gnu (see the board definition)",
                ));
            }
        }
        for header in ["/usr/include/libelf.h", "/usr/include/openssl/ssl.h"] {
            if !Path::new(header).exists() {
                return Err(Error::MissingTool(
                    header,
                    "apt-get install libelf-dev libssl-dev",
                ));
            }
        }
        Ok(())
    }

    /// Unpacks the source once; later calls find it in place.
    fn unpack(&self) -> Result<PathBuf, Error> {
        let meta =
            fs::metadata(&self.tarball).map_err(|_| Error::NoSource(self.tarball.clone()))?;
        let identity = format!("{} {}", meta.size(), meta.mtime());
        let source = self.work_dir.join(SOURCE_DIR);
        let stamp = source.join(".ibex-unpacked");
        if fs::read_to_string(&stamp).ok().as_deref().map(str::trim) == Some(identity.as_str()) {
            return Ok(source);
        }
        fs::create_dir_all(&self.work_dir).map_err(io_err(&self.work_dir))?;
        if source.exists() {
            fs::remove_dir_all(&source).map_err(io_err(&source))?;
        }
        self.say(&format!("unpacking {}", self.tarball.display()));
        run(Command::new("tar")
            .arg("-xf")
            .arg(&self.tarball)
            .arg("-C")
            .arg(&self.work_dir))?;
        fs::write(&stamp, identity).map_err(io_err(&stamp))?;
        Ok(source)
    }

    /// Unpacks the source if needed and returns the configured tree for
    /// `spec`, running tinyconfig + merge + verification only the first time.
    pub fn configure(&self, spec: &KernelSpec) -> Result<Tree, Error> {
        Self::check_tools(spec)?;
        let source = self.unpack()?;
        let mut fragments = Vec::new();
        for path in &spec.fragments {
            let text = fs::read_to_string(path).map_err(io_err(path))?;
            fragments.push((path.clone(), text));
        }
        let hash = {
            let mut h = Sha256::new();
            h.update(fs::read_to_string(source.join(".ibex-unpacked")).unwrap_or_default());
            h.update(format!(
                "{}\0{}\0{}\0",
                spec.arch, spec.cross_compile, spec.make_target
            ));
            for (_, text) in &fragments {
                h.update(text.as_bytes());
                h.update([0]);
            }
            hex(&h.finalize()[..8])
        };
        let dir = self.work_dir.join(format!("build-{hash}"));
        let tree = Tree {
            dir: dir.clone(),
            source,
            spec: spec.clone(),
            hash,
        };
        let stamp = dir.join(".ibex-configured");
        // A tree configured before the resolved copy was kept is configured
        // again (seconds; a later build finds the same .config and relinks
        // at most).
        if stamp.exists() && tree.resolved_path().exists() {
            return Ok(tree);
        }
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        self.say(&format!("configuring {} in {}", spec.arch, dir.display()));
        run(tree.make().arg("tinyconfig"))?;
        // merge_config.sh -m merges the fragments without running Kconfig;
        // olddefconfig then resolves dependencies once for the whole set.
        let mut merge = Command::new(tree.source.join("scripts/kconfig/merge_config.sh"));
        merge
            .current_dir(&tree.source)
            .env("ARCH", &spec.arch)
            .arg("-m")
            .arg("-O")
            .arg(&dir)
            .arg(dir.join(".config"));
        for path in &spec.fragments {
            merge.arg(fs::canonicalize(path).map_err(io_err(path))?);
        }
        run(&mut merge)?;
        run(tree.make().arg("olddefconfig"))?;
        let config_path = dir.join(".config");
        let resolved = fs::read_to_string(&config_path).map_err(io_err(&config_path))?;
        let mismatches = check_requested(&fragments, &resolved);
        if !mismatches.is_empty() {
            return Err(Error::ConfigMismatch(mismatches));
        }
        let resolved_path = tree.resolved_path();
        fs::write(&resolved_path, &resolved).map_err(io_err(&resolved_path))?;
        fs::write(&stamp, b"").map_err(io_err(&stamp))?;
        Ok(tree)
    }

    /// Builds the boot image of `tree` with `initramfs` (an uncompressed newc
    /// cpio) built in, and returns the image's path inside the tree.
    pub fn build_with_initramfs(&self, tree: &Tree, initramfs: &Path) -> Result<PathBuf, Error> {
        let initramfs = fs::canonicalize(initramfs).map_err(io_err(initramfs))?;
        // The kernel only takes a path; it copies the file into the tree, so
        // the path itself never reaches the image.
        let config = tree.dir.join(".config");
        let text = fs::read_to_string(&config).map_err(io_err(&config))?;
        let wanted = format!("CONFIG_INITRAMFS_SOURCE=\"{}\"", initramfs.display());
        if !text.lines().any(|l| l == wanted) {
            let mut scripts_config = Command::new(tree.source.join("scripts/config"));
            scripts_config
                .arg("--file")
                .arg(&config)
                .arg("--set-str")
                .arg("INITRAMFS_SOURCE")
                .arg(&initramfs)
                .arg("--enable")
                .arg("INITRAMFS_COMPRESSION_NONE");
            run(&mut scripts_config)?;
            run(tree.make().arg("olddefconfig"))?;
        }
        // make relinks on every run (the initramfs rule is forced); when the
        // initramfs and configuration are those of the last build, the
        // image in the tree is already the answer.
        let image = tree.dir.join(&tree.spec.image_path);
        let initramfs_bytes = fs::read(&initramfs).map_err(io_err(&initramfs))?;
        let config_now = fs::read(&config).map_err(io_err(&config))?;
        let mut h = Sha256::new();
        h.update(&initramfs_bytes);
        h.update(&config_now);
        h.update(build_timestamp());
        let inputs = hex(&h.finalize());
        let stamp = tree.dir.join(".ibex-last-build");
        if image.is_file() && fs::read_to_string(&stamp).ok().as_deref() == Some(inputs.as_str()) {
            self.say("kernel image up to date");
            return Ok(image);
        }
        let _ = fs::remove_file(&stamp);
        self.say(&format!(
            "building {} in {}",
            tree.spec.make_target,
            tree.dir.display()
        ));
        let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut make = tree.make();
        make.arg(format!("-j{jobs}")).arg(&tree.spec.make_target);
        self.run_with_progress(&mut make, &tree.dir.join("build.log"))?;
        fs::write(&stamp, inputs).map_err(io_err(&stamp))?;
        Ok(image)
    }

    /// Runs a long make, writing its full output to `log` and a compile count
    /// every 200 files to the terminal.
    fn run_with_progress(&self, cmd: &mut Command, log: &Path) -> Result<(), Error> {
        let mut log_file = fs::File::create(log).map_err(io_err(log))?;
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::CommandFailed(format!("cannot run make: {e}")))?;
        // stderr is folded into the log from a thread so neither pipe fills up.
        let stderr = child.stderr.take();
        let err_thread = std::thread::spawn(move || {
            let mut lines = Vec::new();
            if let Some(stderr) = stderr {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    lines.push(line);
                }
            }
            lines
        });
        let mut compiled = 0usize;
        if let Some(stdout) = child.stdout.take() {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(log_file, "{line}");
                if line.trim_start().starts_with("CC ") {
                    compiled += 1;
                    if compiled.is_multiple_of(200) {
                        self.say(&format!("compiled {compiled} files"));
                    }
                }
            }
        }
        let err_lines = err_thread.join().unwrap_or_default();
        for line in &err_lines {
            let _ = writeln!(log_file, "{line}");
        }
        let status = child
            .wait()
            .map_err(|e| Error::CommandFailed(format!("make: {e}")))?;
        if !status.success() {
            let tail: Vec<&String> = err_lines.iter().rev().take(20).collect();
            let tail: Vec<&str> = tail.iter().rev().map(|s| s.as_str()).collect();
            return Err(Error::CommandFailed(format!(
                "kernel build failed ({status}); last errors:\n{}\nfull log: {}",
                tail.join("\n"),
                log.display()
            )));
        }
        self.say(&format!("done ({compiled} files compiled)"));
        Ok(())
    }
}

impl Tree {
    /// A `make` command for this tree, with everything that would make two
    /// builds differ (time, user, host, build counter) pinned.
    pub fn make(&self) -> Command {
        let mut cmd = Command::new("make");
        cmd.current_dir(&self.source)
            .arg(format!("O={}", self.dir.display()))
            .arg(format!("ARCH={}", self.spec.arch))
            .env("KBUILD_BUILD_USER", "ibex")
            .env("KBUILD_BUILD_HOST", "ibex")
            .env("KBUILD_BUILD_VERSION", "1")
            .env("KBUILD_BUILD_TIMESTAMP", build_timestamp())
            .env("LOCALVERSION", "")
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS");
        if !self.spec.cross_compile.is_empty() {
            cmd.arg(format!("CROSS_COMPILE={}", self.spec.cross_compile));
        }
        cmd
    }

    /// The configuration exactly as the fragments resolved, before a build
    /// put its initramfs into the tree's `.config`.
    pub fn resolved_path(&self) -> PathBuf {
        self.dir.join(".config.ibex-resolved")
    }

    /// Runs a Kconfig `target` (`olddefconfig`, `savedefconfig`, …) of this
    /// tree on the configuration file `config` instead of the tree's own
    /// `.config`, capturing its output.
    pub fn kconfig(&self, config: &Path, target: &str) -> Result<(), Error> {
        run(self.make().env("KCONFIG_CONFIG", config).arg(target))
    }

    /// `make savedefconfig` on `config`: the symbols a user set to something
    /// other than their Kconfig default, as `.config` text.
    pub fn savedefconfig(&self, config: &Path) -> Result<String, Error> {
        // The target writes `defconfig` in the build directory; the caller
        // holds the work area's lock, so nothing else uses that name.
        self.kconfig(config, "savedefconfig")?;
        let out = self.dir.join("defconfig");
        let text = fs::read_to_string(&out).map_err(io_err(&out))?;
        let _ = fs::remove_file(&out);
        Ok(text)
    }

    /// `make menuconfig` on `config`, on this terminal.
    pub fn menuconfig(&self, config: &Path) -> Result<(), Error> {
        let headers = [
            "/usr/include/ncurses.h",
            "/usr/include/ncursesw/curses.h",
            "/usr/include/curses.h",
        ];
        if !headers.iter().any(|h| Path::new(h).exists()) {
            return Err(Error::MissingTool(
                "ncurses (for menuconfig)",
                "apt-get install libncurses-dev",
            ));
        }
        let status = self
            .make()
            .env("KCONFIG_CONFIG", config)
            .arg("menuconfig")
            .status()
            .map_err(|e| Error::CommandFailed(format!("cannot run make menuconfig: {e}")))?;
        if !status.success() {
            return Err(Error::CommandFailed(format!(
                "make menuconfig failed ({status}); if it could not build its \
                 ncurses interface, install it with: apt-get install libncurses-dev"
            )));
        }
        Ok(())
    }
}

/// The build time written into the kernel (`uname -v`): SOURCE_DATE_EPOCH
/// when set, else the epoch, so that builds are reproducible. Formatted by
/// date(1) as the kernel would format the current time.
fn build_timestamp() -> String {
    let secs: i64 = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Command::new("date")
        .env("LC_ALL", "C")
        .args(["-u", "-d", &format!("@{secs}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| format!("@{secs}"))
}

fn run(cmd: &mut Command) -> Result<(), Error> {
    let output = cmd
        .output()
        .map_err(|e| Error::CommandFailed(format!("cannot run {:?}: {e}", cmd.get_program())))?;
    if output.status.success() {
        return Ok(());
    }
    Err(Error::CommandFailed(format!(
        "{:?} failed ({}):\n{}{}",
        cmd.get_program(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )))
}

/// Whether `tool` is an executable somewhere on PATH.
pub fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_set_and_unset_lines() {
        let parsed = parse_config("CONFIG_A=y\n# CONFIG_B is not set\n# comment\nCONFIG_C=\"x\"\n");
        assert_eq!(
            parsed,
            vec![
                ("CONFIG_A".into(), "y".into()),
                ("CONFIG_B".into(), "n".into()),
                ("CONFIG_C".into(), "\"x\"".into())
            ]
        );
    }

    #[test]
    fn reports_dropped_symbols_and_honours_later_fragments() {
        let fragments = vec![
            (
                PathBuf::from("base"),
                "CONFIG_A=y\nCONFIG_B=y\n# CONFIG_D is not set\n".to_string(),
            ),
            (
                PathBuf::from("board"),
                "# CONFIG_B is not set\n".to_string(),
            ),
        ];
        let resolved = "CONFIG_B=y\n";
        let m = check_requested(&fragments, resolved);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].symbol, "CONFIG_A");
        assert_eq!(m[0].actual, "n");
        assert_eq!(m[1].symbol, "CONFIG_B");
        assert_eq!(m[1].fragment, PathBuf::from("board"));
    }
}
