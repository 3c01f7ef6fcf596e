//! Tests of the system applets (process matching, system information,
//! sysctl, mount dry runs, module resolution, device nodes).
//!
//! Safety: signals only ever go to processes a test started itself, found
//! by a unique name (a copy of `sleep` called `ibx<random>` in the test's
//! scratch directory); everything that would change the system is pointed
//! at a scratch tree or run in a fake/dry-run mode.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `ibox ARGS...` with stdin closed.
fn ibox(args: &[&str]) -> Output {
    ibox_env(args, &[], b"")
}

/// `ibox ARGS...` with extra environment variables and `input` on stdin.
fn ibox_env(args: &[&str], env: &[(&str, &str)], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ibox");
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().expect("wait for ibox")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts status 1, nothing on stdout and `message` as the first line of
/// stderr (a usage text may follow).
fn assert_fails(o: &Output, message: &str) {
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(o));
    assert_eq!(stdout(o), "");
    assert_eq!(stderr(o).lines().next(), Some(message), "{}", stderr(o));
}

/// A scratch directory, removed with everything in it when dropped.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, empty scratch directory for one test.
fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("ibox-sysapps-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// A name no other process on the machine has: `ibx` and random letters
/// (at most 15 bytes, so the kernel's comm holds all of it).
fn unique_name() -> String {
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ ((std::process::id() as u64) << 20);
    let mut name = String::from("ibx");
    for _ in 0..9 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        name.push((b'a' + ((seed >> 33) % 26) as u8) as char);
    }
    name
}

/// Processes started by a test under a unique name; killed (only they)
/// and reaped when dropped.
struct Sleepers {
    name: String,
    children: Vec<Child>,
    _dir: Scratch,
}

impl Sleepers {
    /// Starts one copy of `sleep` per argument, all called by one unique
    /// name, and waits until each has exec'd (its comm is the name).
    fn start(test: &str, secs: &[&str]) -> Sleepers {
        let dir = scratch(test);
        let name = unique_name();
        let exe = dir.join(&name);
        let sleep = ["/bin/sleep", "/usr/bin/sleep"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("a sleep binary");
        std::fs::copy(sleep, &exe).unwrap();
        let mut children = Vec::new();
        for arg in secs {
            let child = Command::new(&exe).arg(arg).spawn().unwrap();
            wait_for_comm(child.id(), &name);
            children.push(child);
            // Distinct start times for -n/-o.
            std::thread::sleep(Duration::from_millis(20));
        }
        Sleepers {
            name,
            children,
            _dir: dir,
        }
    }

    fn pids(&self) -> Vec<String> {
        self.children.iter().map(|c| c.id().to_string()).collect()
    }

    /// How child `i` ended, waiting at most 5 seconds.
    fn wait_signal(&mut self, i: usize) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(status) = self.children[i].try_wait().unwrap() {
                return status.signal();
            }
            assert!(Instant::now() < deadline, "child {i} still running");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn running(&mut self, i: usize) -> bool {
        self.children[i].try_wait().unwrap().is_none()
    }
}

impl Drop for Sleepers {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits until process `pid` runs a program whose comm is `name`.
fn wait_for_comm(pid: u32, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim_end()
        != name
    {
        assert!(Instant::now() < deadline, "{pid} never became {name}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn pidof_finds_only_the_named_processes() {
    let sl = Sleepers::start("pidof", &["30", "31"]);
    let pids = sl.pids();
    let o = ibox(&["pidof", &sl.name]);
    assert_eq!(o.status.code(), Some(0));
    let mut got: Vec<String> = stdout(&o).split_whitespace().map(String::from).collect();
    got.sort();
    let mut want = pids.clone();
    want.sort();
    assert_eq!(got, want);
    assert!(stdout(&o).ends_with('\n') && stdout(&o).lines().count() == 1);

    let o = ibox(&["pidof", "-s", &sl.name]);
    assert_eq!(stdout(&o).split_whitespace().count(), 1);
    let o = ibox(&["pidof", "-o", &pids[0], &sl.name]);
    assert_eq!(stdout(&o), format!("{}\n", pids[1]));
    let o = ibox(&["pidof", "-o", &format!("{},{}", pids[0], pids[1]), &sl.name]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(1), String::new()));
    // Two names: one line; a missing name alone: status 1, no output.
    let o = ibox(&["pidof", "ibx-no-such-name", &sl.name]);
    assert_eq!(stdout(&o).split_whitespace().count(), 2);
    let o = ibox(&["pidof", "ibx-no-such-name"]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(1), String::new()));
    let o = ibox(&["pidof"]);
    assert_eq!(o.status.code(), Some(1));
    assert_fails(&ibox(&["pidof", "-z"]), "pidof: invalid option -- 'z'");
}

#[test]
fn pgrep_selects_by_pattern_parent_and_age() {
    let sl = Sleepers::start("pgrep", &["30", "31"]);
    let pids = sl.pids();
    let both = format!("{}\n{}\n", pids[0], pids[1]);
    let prefix = &sl.name[..8];
    assert_eq!(stdout(&ibox(&["pgrep", prefix])), both);
    assert_eq!(stdout(&ibox(&["pgrep", &format!("^{prefix}.*$")])), both);
    // -x wants the whole name.
    let o = ibox(&["pgrep", "-x", prefix]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(1), String::new()));
    assert_eq!(stdout(&ibox(&["pgrep", "-x", &sl.name])), both);
    assert_eq!(
        stdout(&ibox(&["pgrep", "-l", &sl.name])),
        format!("{} {n}\n{} {n}\n", pids[0], pids[1], n = sl.name)
    );
    // -f matches and -a shows the whole command line.
    let o = ibox(&["pgrep", "-f", &format!("{} 31$", sl.name)]);
    assert_eq!(stdout(&o), format!("{}\n", pids[1]));
    let o = ibox(&["pgrep", "-a", "-x", &sl.name]);
    let lines: Vec<String> = stdout(&o).lines().map(String::from).collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with(&format!("{} /", pids[0]))
            && lines[0].ends_with(&format!("/{} 30", sl.name)),
        "{lines:?}"
    );
    assert_eq!(
        stdout(&ibox(&["pgrep", "-n", &sl.name])),
        format!("{}\n", pids[1])
    );
    assert_eq!(
        stdout(&ibox(&["pgrep", "-o", &sl.name])),
        format!("{}\n", pids[0])
    );
    // Parent: our children are exactly the two sleepers (plus none else
    // with that name); -v inverts only the pattern.
    let me = std::process::id().to_string();
    assert_eq!(stdout(&ibox(&["pgrep", "-P", &me, &sl.name])), both);
    let o = ibox(&["pgrep", "-P", &me, "-v", &sl.name]);
    assert!(!stdout(&o).lines().any(|l| pids.contains(&l.to_string())));
    let o = ibox(&["pgrep", "-P", "1", &sl.name]);
    assert_eq!(o.status.code(), Some(1));
    let uid = std::fs::read_to_string("/proc/self/status").unwrap();
    let uid = uid
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(stdout(&ibox(&["pgrep", "-u", &uid, &sl.name])), both);
    assert_eq!(stdout(&ibox(&["pgrep", "-U", &uid, &sl.name])), both);
    let o = ibox(&["pgrep", "-u", "ibx-no-such-user", &sl.name]);
    assert_fails(&o, "pgrep: unknown user ibx-no-such-user");
}

#[test]
fn pgrep_errors() {
    let o = ibox(&["pgrep"]);
    assert_fails(&o, "pgrep: no matching criteria specified");
    let o = ibox(&["pgrep", "a", "b"]);
    assert_fails(&o, "pgrep: no matching criteria specified");
    assert_fails(
        &ibox(&["pgrep", "a("]),
        "pgrep: bad regex 'a(': Unmatched ( or \\(",
    );
    assert_fails(&ibox(&["pgrep", "-P", "x1"]), "pgrep: invalid number 'x1'");
    assert_fails(&ibox(&["pgrep", "-q", "x"]), "pgrep: invalid option -- 'q'");
    let o = ibox(&["pgrep", "-x", "ibx-no-such-process-name"]);
    assert_eq!(
        (o.status.code(), stdout(&o), stderr(&o)),
        (Some(1), String::new(), String::new())
    );
    let o = ibox(&["pgrep", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("Usage: pgrep "));
}

#[test]
fn pkill_signals_only_the_selected_processes() {
    let mut sl = Sleepers::start("pkill", &["30", "31", "32"]);
    let pids = sl.pids();
    // Signal 0 only checks.
    let o = ibox(&["pkill", "-0", "-x", &sl.name]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    assert!(sl.running(0) && sl.running(1) && sl.running(2));
    // -f on the argument picks one; the default signal is TERM.
    let o = ibox(&["pkill", "-f", &format!("{} 31$", sl.name)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(sl.wait_signal(1), Some(15));
    assert!(sl.running(0) && sl.running(2));
    // A signal by name, and the oldest only.
    let o = ibox(&["pkill", "-USR1", "-o", "-x", &sl.name]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(sl.wait_signal(0), Some(10));
    let o = ibox(&["pkill", "--signal", "KILL", "-x", &sl.name]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(sl.wait_signal(2), Some(9));
    let _ = pids;
    let o = ibox(&["pkill", "-x", &sl.name]);
    assert_eq!(o.status.code(), Some(1));
    let o = ibox(&["pkill", "-l"]);
    assert!(stdout(&o).contains(" 9) KILL\n"));
    assert_fails(
        &ibox(&["pkill", "--signal", "NOPE", "x"]),
        "pkill: bad signal name 'NOPE'",
    );
    assert_fails(&ibox(&["pkill"]), "pkill: no matching criteria specified");
}

#[test]
fn killall_signals_by_name_and_reports_misses() {
    let mut sl = Sleepers::start("killall", &["30", "31"]);
    let o = ibox(&["killall", "-0", &sl.name]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    assert!(sl.running(0) && sl.running(1));
    let o = ibox(&["killall", "-q", "ibx-none-such", "-HUP"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(1), String::new()));
    let o = ibox(&["killall", "-s", &sl.name]);
    assert_fails(&o, "killall: bad signal name 's'");
    let o = ibox(&["killall", "-USR2", &sl.name, "ibx-none-such"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "killall: ibx-none-such: no process killed\n");
    assert_eq!(sl.wait_signal(0), Some(12));
    assert_eq!(sl.wait_signal(1), Some(12));
    let o = ibox(&["killall", &sl.name]);
    assert_eq!(
        stderr(&o),
        format!("killall: {}: no process killed\n", sl.name)
    );
    assert_eq!(stdout(&ibox(&["killall", "-l", "9"])), "KILL\n");
    assert_fails(&ibox(&["killall"]), "killall: no process name given");
}

#[test]
fn killall_wait_returns_once_the_process_is_gone() {
    let mut sl = Sleepers::start("killallw", &["30"]);
    // Reap in the background so the process does not linger as a zombie.
    let mut child = sl.children.remove(0);
    let reaper = std::thread::spawn(move || child.wait().unwrap().signal());
    let started = Instant::now();
    let o = ibox(&["killall", "-w", "-KILL", &sl.name]);
    assert_eq!(o.status.code(), Some(0));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(reaper.join().unwrap(), Some(9));
}

#[test]
fn ps_still_lists_our_children() {
    let sl = Sleepers::start("ps", &["30"]);
    let o = ibox(&["ps"]);
    assert!(stdout(&o).starts_with("  PID USER       VSZ STAT COMMAND\n"));
    let line = stdout(&o)
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{} ", sl.pids()[0])))
        .map(String::from)
        .unwrap();
    assert!(line.ends_with(&format!("/{} 30", sl.name)), "{line}");
    assert!(line.contains(" S "), "{line}");
}
