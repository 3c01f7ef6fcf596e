//! `ibex kernel config --edit-with`: on a scratch copy of the project's
//! board and fragments, never the checkout's own. The scratch project's
//! `target/kernel` is a symlink to the checkout's, so the unpacked source and
//! configured trees are shared (trees are named by a hash of the fragments'
//! bytes, not their paths). Each resolve takes a few seconds.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BOARD: &str = "qemu-x86_64";

/// A scratch project with one board, removed when dropped.
struct Project(PathBuf);

impl Project {
    fn new(tag: &str) -> Project {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ibex-kconfig-test-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        fs::create_dir(&dir).unwrap();
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        fs::create_dir_all(dir.join("boards")).unwrap();
        fs::create_dir_all(dir.join("kernel/config")).unwrap();
        let toml = format!("boards/{BOARD}.toml");
        fs::copy(checkout.join(&toml), dir.join(&toml)).unwrap();
        for f in ["base", "net", "x86_64", BOARD] {
            let rel = format!("kernel/config/{f}.config");
            fs::copy(checkout.join(&rel), dir.join(&rel)).unwrap();
        }
        let work = checkout.join("target/kernel");
        fs::create_dir_all(&work).unwrap();
        fs::create_dir_all(dir.join("target")).unwrap();
        std::os::unix::fs::symlink(work.canonicalize().unwrap(), dir.join("target/kernel"))
            .unwrap();
        Project(dir)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn fragment(&self) -> PathBuf {
        self.path(&format!("kernel/config/{BOARD}.config"))
    }

    fn ibex(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ibex"))
            .current_dir(&self.0)
            .args(args)
            .output()
            .unwrap()
    }

    fn edit(&self, cmd: &str) -> Output {
        self.ibex(&[
            "kernel",
            "config",
            "--board",
            BOARD,
            "--quiet",
            "--edit-with",
            cmd,
        ])
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        // Only the directory this test created; remove_dir_all removes the
        // target/kernel symlink itself, not what it points at.
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The board's resolved configuration, as the build sees it.
fn resolved(p: &Project) -> String {
    let board = ibex_linker::definitions::Board::load(&p.0, BOARD).unwrap();
    ibex_linker::build::kernel_config(&p.0, &board, false).unwrap()
}

#[test]
fn disabling_a_symbol_writes_one_line() {
    let p = Project::new("disable");
    let before = fs::read_to_string(p.fragment()).unwrap();
    let o = p.edit(r#"scripts/config --file "$KCONFIG_CONFIG" --disable RD_GZIP"#);
    assert!(o.status.success(), "{}", text(&o));
    let after = fs::read_to_string(p.fragment()).unwrap();
    let added = after.strip_prefix(before.as_str()).expect("appended only");
    let lines: Vec<&str> = added
        .lines()
        .filter(|l| l.starts_with("CONFIG_") || l.ends_with(" is not set"))
        .collect();
    assert_eq!(lines, ["# CONFIG_RD_GZIP is not set"], "{}", text(&o));
    assert!(added.starts_with("# ibex kernel config, 20"), "{added}");
    assert_eq!(added.lines().count(), 2, "{added}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("-CONFIG_RD_GZIP"));
    assert!(resolved(&p)
        .lines()
        .any(|l| l == "# CONFIG_RD_GZIP is not set"));
}

#[test]
fn no_edit_is_no_change() {
    let p = Project::new("none");
    let before = fs::read(p.fragment()).unwrap();
    let o = p.edit("true");
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("no change"),
        "{}",
        text(&o)
    );
    assert_eq!(fs::read(p.fragment()).unwrap(), before);
}

/// The new fragment must resolve as written. An edit never produces such a
/// change on its own (every value it changes that Kconfig does not derive is
/// written), so the edit command here also takes away, in base.config, the
/// dependency its change needs, as a concurrent change to another fragment
/// would: the board fragment must come back byte for byte.
#[test]
fn a_change_that_does_not_resolve_is_refused() {
    let p = Project::new("refuse");
    let before = fs::read(p.fragment()).unwrap();
    let base = p.path("kernel/config/base.config");
    let cmd = format!(
        r#"scripts/config --file "$KCONFIG_CONFIG" --enable UNIX_DIAG && sed -i 's/^CONFIG_UNIX=y$/# CONFIG_UNIX is not set/' {}"#,
        base.display()
    );
    let o = p.edit(&cmd);
    assert!(!o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("refused"), "{}", text(&o));
    assert!(err.contains("CONFIG_UNIX_DIAG"), "{}", text(&o));
    assert_eq!(fs::read(p.fragment()).unwrap(), before);
}

#[test]
fn unknown_board_is_a_clear_error() {
    let p = Project::new("unknown");
    let o = p.ibex(&[
        "kernel",
        "config",
        "--board",
        "no-such-board",
        "--edit-with",
        "true",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no such board"), "{}", text(&o));
    assert!(err.contains(BOARD), "lists the known boards: {err}");
}
