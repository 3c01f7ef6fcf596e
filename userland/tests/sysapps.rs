//! Tests of the system applets (process matching, system information,
//! sysctl, mount dry runs, module resolution, device nodes).
//!
//! Safety: signals only ever go to processes a test started itself, found
//! by a unique name (a copy of `sleep` called `ibx<random>` in the test's
//! scratch directory); everything that would change the system is pointed
//! at a scratch tree or run in a fake/dry-run mode.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

mod common;
use common::{assert_fails, ibox, scratch, stderr, stdout, Scratch};

/// `ibox ARGS...` with extra environment variables and `input` on stdin.
fn ibox_env(args: &[&str], env: &[(&str, &str)], input: &[u8]) -> Output {
    common::output_of(common::ibox_cmd(args).envs(env.iter().copied()), input)
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
        Sleepers::start_named(test, secs, "")
    }

    /// Like `start`, with `suffix` after the unique part of the name.
    fn start_named(test: &str, secs: &[&str], suffix: &str) -> Sleepers {
        let dir = scratch(test);
        let name = unique_name() + suffix;
        let exe = dir.join(&name);
        let sleep = ["/bin/sleep", "/usr/bin/sleep"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("a sleep binary");
        std::fs::copy(sleep, &exe).unwrap();
        let mut children = Vec::new();
        for arg in secs {
            let child = spawn_copied(&exe, arg);
            // The kernel keeps the first 15 bytes of the name.
            wait_for_comm(child.id(), &name[..name.len().min(15)]);
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

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A fake /proc with fixed memory and uptime numbers.
fn fake_proc(test: &str) -> Scratch {
    let dir = scratch(test);
    std::fs::write(
        dir.join("meminfo"),
        "MemTotal:        8055356 kB\nMemFree:         3338076 kB\nMemAvailable:    5176776 kB\n\
         Buffers:          100000 kB\nCached:          2000000 kB\nSwapCached:            0 kB\n\
         Shmem:            206508 kB\nSReclaimable:     236836 kB\nSwapTotal:       2097148 kB\n\
         SwapFree:        2000000 kB\n",
    )
    .unwrap();
    std::fs::write(dir.join("uptime"), "273645.12 500000.00\n").unwrap();
    std::fs::write(dir.join("loadavg"), "0.08 0.15 1.00 1/123 4567\n").unwrap();
    dir
}

#[test]
fn free_columns_and_units() {
    let dir = fake_proc("free");
    let env = [("IBOX_PROC_ROOT", s(&dir))];
    let head = "              total        used        free      shared  buff/cache   available\n";
    let o = ibox_env(&["free"], &env, b"");
    assert_eq!(
        stdout(&o),
        format!(
            "{head}Mem:        8055356     2380444     3338076      206508     2336836     5176776\n\
             Swap:       2097148       97148     2000000\n"
        )
    );
    let o = ibox_env(&["free", "-m"], &env, b"");
    assert_eq!(
        stdout(&o),
        format!(
            "{head}Mem:           7866        2324        3259         201        2282        5055\n\
             Swap:          2047          94        1953\n"
        )
    );
    let o = ibox_env(&["free", "-b"], &env, b"");
    assert!(
        stdout(&o).contains("\nMem:     8248684544  2437574656  3418189824"),
        "{}",
        stdout(&o)
    );
    let o = ibox_env(&["free", "-g"], &env, b"");
    assert!(stdout(&o).contains(
        "\nMem:              7           2           3           0           2           4\n"
    ));
    let o = ibox_env(&["free", "-h"], &env, b"");
    assert!(
        stdout(&o).contains(
            "\nMem:           7.7G        2.3G        3.2G      201.7M        2.2G        4.9G\n"
        ),
        "{}",
        stdout(&o)
    );
    // An old kernel without MemAvailable; an empty file: zeros.
    std::fs::write(dir.join("meminfo"), "MemTotal: 10 kB\nMemFree: 4 kB").unwrap();
    let o = ibox_env(&["free"], &env, b"");
    assert!(stdout(&o).contains(
        "\nMem:             10           6           4           0           0           4\n"
    ));
    std::fs::write(dir.join("meminfo"), "").unwrap();
    assert_eq!(ibox_env(&["free"], &env, b"").status.code(), Some(0));
    std::fs::remove_file(dir.join("meminfo")).unwrap();
    let o = ibox_env(&["free"], &env, b"");
    assert_fails(
        &o,
        &format!(
            "free: can't open '{}/meminfo': No such file or directory",
            s(&dir)
        ),
    );
    assert_fails(&ibox(&["free", "-x"]), "free: invalid option -- 'x'");
    assert_fails(&ibox(&["free", "x"]), "free: extra operand");
    // The real /proc works too.
    assert!(stdout(&ibox(&["free"])).starts_with(head));
}

#[test]
fn uptime_from_proc() {
    let dir = fake_proc("uptime");
    let env = [("IBOX_PROC_ROOT", s(&dir))];
    let o = ibox_env(&["uptime"], &env, b"");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0));
    // " hh:mm:ss up ..." with the clock first.
    assert_eq!(&out[..1], " ");
    assert_eq!(
        &out[9..],
        " up 3 days,  4:00,  0 users,  load average: 0.08, 0.15, 1.00\n",
        "{out}"
    );
    let o = ibox_env(&["uptime", "-p"], &env, b"");
    assert_eq!(stdout(&o), "up 3 days, 4 hours\n");
    std::fs::write(dir.join("uptime"), "59.99 1.00\n").unwrap();
    assert!(stdout(&ibox_env(&["uptime"], &env, b""))
        .ends_with(" up 0 min,  0 users,  load average: 0.08, 0.15, 1.00\n"));
    std::fs::remove_file(dir.join("loadavg")).unwrap();
    let o = ibox_env(&["uptime"], &env, b"");
    assert_fails(
        &o,
        &format!(
            "uptime: can't open '{}/loadavg': No such file or directory",
            s(&dir)
        ),
    );
    assert!(stdout(&ibox(&["uptime"])).contains(" load average: "));
    assert_fails(&ibox(&["uptime", "-z"]), "uptime: invalid option -- 'z'");
}

#[test]
fn hostname_shows_without_setting() {
    let full = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let o = ibox(&["hostname"]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), full.clone()));
    let short = full.trim_end().split('.').next().unwrap().to_string();
    assert_eq!(stdout(&ibox(&["hostname", "-s"])), format!("{short}\n"));
    let o = ibox(&["hostname", "-f"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with(&short));
    assert_eq!(ibox(&["hostname", "-d"]).status.code(), Some(0));
    // Only errors that come before any change are tried here.
    let dir = scratch("hostname");
    let o = ibox(&["hostname", "-F", s(&dir.join("missing"))]);
    assert_fails(
        &o,
        &format!(
            "hostname: can't open '{}': No such file or directory",
            s(&dir.join("missing"))
        ),
    );
    assert_fails(
        &ibox(&["hostname", "a", "b"]),
        "hostname: too many arguments",
    );
    assert_fails(
        &ibox(&["hostname", "-F", "x", "y"]),
        "hostname: too many arguments",
    );
    assert_fails(
        &ibox(&["hostname", "-q"]),
        "hostname: invalid option -- 'q'",
    );
}

#[test]
fn dmesg_prints_or_says_why_not() {
    let o = ibox(&["dmesg"]);
    match o.status.code() {
        Some(0) => {
            let out = stdout(&o);
            assert!(out.is_empty() || out.ends_with('\n'));
            // Levels are stripped unless -r.
            assert!(!out.lines().any(|l| l.starts_with("<6>")));
        }
        _ => assert_eq!(stderr(&o), "dmesg: klogctl: Operation not permitted\n"),
    }
    let o = ibox(&["dmesg", "-r", "-s", "100"]);
    if o.status.code() == Some(0) && !o.stdout.is_empty() {
        assert!(stdout(&o).starts_with('<'));
    }
    assert_fails(&ibox(&["dmesg", "-s", "x"]), "dmesg: invalid number 'x'");
    assert_fails(
        &ibox(&["dmesg", "-n"]),
        "dmesg: option requires an argument -- 'n'",
    );
    assert_fails(&ibox(&["dmesg", "extra"]), "dmesg: extra operand");
}

/// A scratch /proc/sys.
fn sysctl_tree(test: &str) -> Scratch {
    let dir = scratch(test);
    std::fs::create_dir_all(dir.join("kernel")).unwrap();
    std::fs::create_dir_all(dir.join("net/ipv4/conf/eth0.1")).unwrap();
    std::fs::write(dir.join("kernel/ostype"), "Linux\n").unwrap();
    std::fs::write(dir.join("kernel/printk"), "4\t4\t1\t7\n").unwrap();
    std::fs::write(dir.join("net/ipv4/ip_forward"), "0\n").unwrap();
    std::fs::write(dir.join("net/ipv4/conf/eth0.1/rp_filter"), "1\n").unwrap();
    dir
}

#[test]
fn sysctl_reads_a_scratch_tree() {
    let dir = sysctl_tree("sysctl-read");
    let env = [("IBOX_SYSCTL_ROOT", s(&dir))];
    let o = ibox_env(&["sysctl", "kernel.ostype", "kernel.printk"], &env, b"");
    assert_eq!(
        stdout(&o),
        "kernel.ostype = Linux\nkernel.printk = 4\t4\t1\t7\n"
    );
    let o = ibox_env(&["sysctl", "-n", "kernel.ostype"], &env, b"");
    assert_eq!(stdout(&o), "Linux\n");
    let o = ibox_env(&["sysctl", "net/ipv4/conf/eth0.1/rp_filter"], &env, b"");
    assert_eq!(stdout(&o), "net.ipv4.conf.eth0.1.rp_filter = 1\n");
    let all = "kernel.ostype = Linux\nkernel.printk = 4\t4\t1\t7\nnet.ipv4.conf.eth0.1.rp_filter = 1\nnet.ipv4.ip_forward = 0\n";
    assert_eq!(stdout(&ibox_env(&["sysctl", "-a"], &env, b"")), all);
    // A directory key shows what is under it.
    assert_eq!(
        stdout(&ibox_env(&["sysctl", "kernel"], &env, b"")),
        "kernel.ostype = Linux\nkernel.printk = 4\t4\t1\t7\n"
    );
    // Unknown keys: an error unless -e, and the other keys still shown.
    let o = ibox_env(&["sysctl", "kernel.nope", "kernel.ostype"], &env, b"");
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(1), "kernel.ostype = Linux\n".to_string())
    );
    assert_eq!(
        stderr(&o),
        "sysctl: error: 'kernel.nope' is an unknown key\n"
    );
    let o = ibox_env(&["sysctl", "-e", "kernel.nope"], &env, b"");
    assert_eq!((o.status.code(), stderr(&o)), (Some(1), String::new()));
    assert_fails(&ibox_env(&["sysctl"], &env, b""), "sysctl: no keys given");
    assert_fails(
        &ibox_env(&["sysctl", "-w", "kernel.ostype"], &env, b""),
        "sysctl: error: 'kernel.ostype' must be of the form name=value",
    );
    assert_fails(
        &ibox_env(&["sysctl", "-x"], &env, b""),
        "sysctl: invalid option -- 'x'",
    );
}

#[test]
fn sysctl_writes_only_the_scratch_tree() {
    let dir = sysctl_tree("sysctl-write");
    let env = [("IBOX_SYSCTL_ROOT", s(&dir))];
    let o = ibox_env(&["sysctl", "-w", "net.ipv4.ip_forward=1"], &env, b"");
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), "net.ipv4.ip_forward = 1\n".to_string())
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("net/ipv4/ip_forward")).unwrap(),
        "1"
    );
    // Without -w a KEY=VALUE writes too; -q says nothing.
    let o = ibox_env(&["sysctl", "-q", "kernel.printk=3 4 1 7"], &env, b"");
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    assert_eq!(
        std::fs::read_to_string(dir.join("kernel/printk")).unwrap(),
        "3 4 1 7"
    );
    // Unknown keys are never created.
    let o = ibox_env(&["sysctl", "-w", "kernel.newkey=1"], &env, b"");
    assert_fails(&o, "sysctl: error: 'kernel.newkey' is an unknown key");
    assert!(!dir.join("kernel/newkey").exists());
    let o = ibox_env(&["sysctl", "-w", "=1"], &env, b"");
    assert_fails(&o, "sysctl: error: malformed setting '=1'");
    // -p FILE: comments, blank lines, spaces around '='.
    let conf = dir.join("sysctl.conf");
    std::fs::write(&conf, "# comment\n; also\n\n  net.ipv4.ip_forward = 0  \nkernel.ostype=Ibex\nbroken line\nkernel.gone = 2").unwrap();
    let o = ibox_env(&["sysctl", "-p", s(&conf)], &env, b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "net.ipv4.ip_forward = 0\nkernel.ostype = Ibex\n"
    );
    assert_eq!(
        stderr(&o),
        "sysctl: error: 'broken line' must be of the form name=value\nsysctl: error: 'kernel.gone' is an unknown key\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("kernel/ostype")).unwrap(),
        "Ibex"
    );
    let o = ibox_env(&["sysctl", "-p", s(&dir.join("none.conf"))], &env, b"");
    assert_fails(
        &o,
        &format!(
            "sysctl: can't open '{}': No such file or directory",
            s(&dir.join("none.conf"))
        ),
    );
}

#[test]
fn logger_sends_syslog_datagrams() {
    use std::os::unix::net::UnixDatagram;
    let dir = scratch("logger");
    let sock_path = dir.join("log");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let env = [("IBOX_LOG_SOCKET", s(&sock_path))];
    let recv = || {
        let mut buf = [0u8; 4096];
        let n = sock.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    let o = ibox_env(&["logger", "-t", "mytag", "hello", "world"], &env, b"");
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    let msg = recv();
    // "<13>Nov 24 21:18:15 mytag: hello world"
    assert!(msg.starts_with("<13>"), "{msg}");
    assert_eq!(&msg[4 + 15..], " mytag: hello world", "{msg}");
    assert_eq!(&msg[4 + 6..4 + 7], " ");
    let o = ibox_env(
        &["logger", "-s", "-p", "local3.err", "-t", "t"],
        &env,
        b"line one\n\nline two",
    );
    assert_eq!(stderr(&o), "t: line one\nt: line two\n");
    assert!(recv().starts_with("<155>"));
    assert!(recv().ends_with(" t: line two"));
    let o = ibox_env(&["logger", "-p", "daemon.info", "-t", "t", "x"], &env, b"");
    assert_eq!(o.status.code(), Some(0));
    assert!(recv().starts_with("<30>"));
    // No socket: the message goes to stderr rather than nowhere.
    let none = [("IBOX_LOG_SOCKET", "/nonexistent/ibox-log")];
    let o = ibox_env(&["logger", "-t", "t", "lost?"], &none, b"");
    assert_eq!(
        (o.status.code(), stderr(&o)),
        (Some(0), "t: lost?\n".to_string())
    );
    let o = ibox_env(&["logger", "late", "-t", "t2", "tag"], &none, b"");
    assert_eq!(stderr(&o), "t2: late tag\n");
    assert_fails(
        &ibox_env(&["logger", "-p", "nope.info", "x"], &none, b""),
        "logger: unknown facility name: nope",
    );
    assert_fails(
        &ibox_env(&["logger", "-p", "user.nope", "x"], &none, b""),
        "logger: unknown priority name: user.nope",
    );
}

#[test]
fn watch_runs_the_command_a_bounded_number_of_times() {
    // `sh` is ibox's own shell here, first in PATH.
    let dir = scratch("watch");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ibox"), dir.join("sh")).unwrap();
    let path = format!("{}:{}", s(&dir), std::env::var("PATH").unwrap_or_default());
    let env = [("PATH", path.as_str()), ("IBOX_WATCH_COUNT", "3")];
    let started = Instant::now();
    let o = ibox_env(
        &["watch", "-t", "-n", "0.1", "echo", "hi;", "echo", "there"],
        &env,
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "\x1b[H\x1b[Jhi\nthere\n".repeat(3));
    assert!(started.elapsed() >= Duration::from_millis(200));
    let env = [
        ("PATH", path.as_str()),
        ("IBOX_WATCH_COUNT", "1"),
        ("COLUMNS", "50"),
    ];
    let o = ibox_env(&["watch", "-n", "5", "echo", "x"], &env, b"");
    let out = stdout(&o);
    assert!(
        out.starts_with("\x1b[H\x1b[JEvery 5.0s: echo x          "),
        "{out:?}"
    );
    let (header, rest) = out[6..].split_once('\n').unwrap();
    assert_eq!(header.len(), 49, "{header:?}");
    assert_eq!(rest, "\nx\n");
    assert_fails(&ibox(&["watch"]), "watch: no command given");
    assert_fails(
        &ibox(&["watch", "-n", "x", "true"]),
        "watch: invalid number 'x'",
    );
    assert_fails(
        &ibox(&["watch", "-n", "1e300", "true"]),
        "watch: invalid number '1e300'",
    );
    assert_fails(
        &ibox(&["watch", "-n", "-1", "true"]),
        "watch: invalid number '-1'",
    );
}

/// Safety of the mount tests: every run is fake (`-f`/`--fake`), and the
/// fstab entries use a filesystem type that does not exist and mount
/// points in the scratch directory, so even a real mount(2) would fail.
#[test]
fn mount_all_fake_reads_the_given_fstab() {
    let dir = scratch("mount-a");
    let fstab = dir.join("fstab");
    let d = s(&dir);
    std::fs::write(
        &fstab,
        format!(
            "# device dir type options\n\
             /dev/ibx0\t{d}/a ibxfakefs defaults 0 0\n\
             \n\
             /dev/ibx1 {d}/b ibxfakefs noauto 0 0\n\
             /dev/ibx2 none swap sw 0 0\n\
             /dev/ibx3 {d}/with\\040space ibxfakefs ro,nosuid,mode=755,nofail\n\
             proc /proc ibxfakefs defaults 0 0\n\
             {d}/src {d}/bound none rbind\n\
             /dev/ibx4 {d}/other ibxotherfs rw\n"
        ),
    )
    .unwrap();
    let o = ibox(&["mount", "-a", "-f", "-v", "-T", s(&fstab)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // noauto, swap and the already-mounted /proc are skipped.
    assert_eq!(
        stdout(&o),
        format!(
            "/dev/ibx0 on {d}/a type ibxfakefs (rw)\n\
             /dev/ibx3 on {d}/with space type ibxfakefs (ro,nosuid,mode=755)\n\
             {d}/src on {d}/bound type none (rw,rbind)\n\
             /dev/ibx4 on {d}/other type ibxotherfs (rw)\n"
        )
    );
    // -t picks types; -o adds options to every entry.
    let o = ibox(&[
        "mount",
        "-fav",
        "-t",
        "ibxotherfs",
        "-o",
        "noexec",
        "-T",
        s(&fstab),
    ]);
    assert_eq!(
        stdout(&o),
        format!("/dev/ibx4 on {d}/other type ibxotherfs (rw,noexec)\n")
    );
    // Without -v a fake run is silent.
    let o = ibox(&["mount", "-a", "-f", "-T", s(&fstab)]);
    assert_eq!(
        (o.status.code(), stdout(&o), stderr(&o)),
        (Some(0), String::new(), String::new())
    );
    // A lone mount point or device is looked up in the fstab.
    let o = ibox(&["mount", "-f", "-v", "-T", s(&fstab), &format!("{d}/b")]);
    assert_eq!(
        stdout(&o),
        format!("/dev/ibx1 on {d}/b type ibxfakefs (rw)\n")
    );
    let o = ibox(&["mount", "-f", "-v", "-r", "-T", s(&fstab), "/dev/ibx0"]);
    assert_eq!(
        stdout(&o),
        format!("/dev/ibx0 on {d}/a type ibxfakefs (ro)\n")
    );
    let o = ibox(&["mount", "-f", "-T", s(&fstab), "/dev/none"]);
    assert_fails(&o, &format!("mount: can't find /dev/none in {d}/fstab"));
    let o = ibox(&["mount", "-a", "-f", "-T", s(&dir.join("missing"))]);
    assert_fails(
        &o,
        &format!("mount: can't read '{d}/missing': No such file or directory"),
    );
}

#[test]
fn mount_fake_shows_bind_remount_and_propagation() {
    let dir = scratch("mount-f");
    let d = s(&dir);
    let (src, dst) = (format!("{d}/src"), format!("{d}/dst"));
    let show = |args: &[&str]| stdout(&ibox(args));
    assert_eq!(
        show(&["mount", "-f", "-v", "--bind", &src, &dst]),
        format!("{src} on {dst} type none (rw,bind)\n")
    );
    assert_eq!(
        show(&["mount", "-fv", "--rbind", &src, &dst]),
        format!("{src} on {dst} type none (rw,rbind)\n")
    );
    assert_eq!(
        show(&["mount", "-fv", "-o", "bind,ro", &src, &dst]),
        format!("{src} on {dst} type none (ro,bind)\n")
    );
    assert_eq!(
        show(&["mount", "-fv", "--move", &src, &dst]),
        format!("{src} on {dst} type none (rw,move)\n")
    );
    assert_eq!(
        show(&["mount", "-fv", "-o", "remount,ro,noatime", &dst]),
        format!("none on {dst} type none (ro,remount,noatime)\n")
    );
    assert_eq!(
        show(&["mount", "-fv", "-o", "rprivate", &dst]),
        format!("none on {dst} type none (rw,rprivate)\n")
    );
    assert_eq!(
        show(&[
            "mount",
            "-fv",
            "-t",
            "tmpfs",
            "-o",
            "size=1m,mode=700,nodev",
            "tmpfs",
            &dst
        ]),
        format!("tmpfs on {dst} type tmpfs (rw,nodev,size=1m,mode=700)\n")
    );
    // No type and a fake run: nothing is probed.
    assert_eq!(
        show(&["mount", "-fv", "/dev/ibx9", &dst]),
        format!("/dev/ibx9 on {dst} type auto (rw)\n")
    );
    assert_fails(
        &ibox(&["mount", "-f", "a", "b", "c"]),
        "mount: wrong number of arguments",
    );
}

#[test]
fn umount_all_fake_walks_the_table_backwards() {
    let dir = scratch("umount-a");
    let table = dir.join("mounts");
    std::fs::write(
        &table,
        "ibx0 /ibx/a ibxfs rw 0 0\nibx1 /ibx/with\\040space ibxfs rw 0 0\nibx2 /ibx/c ibxother rw 0 0\n",
    )
    .unwrap();
    let env = [("IBOX_MOUNTS", s(&table))];
    let o = ibox_env(&["umount", "-a", "--fake", "-v"], &env, b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "umount: /ibx/c unmounted\numount: /ibx/with space unmounted\numount: /ibx/a unmounted\n"
    );
    let o = ibox_env(
        &["umount", "-a", "--fake", "-v", "-t", "ibxother,none"],
        &env,
        b"",
    );
    assert_eq!(stdout(&o), "umount: /ibx/c unmounted\n");
    let o = ibox_env(&["umount", "-a", "-l", "-f", "--fake"], &env, b"");
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    let o = ibox_env(&["umount", "--fake", "-v", "/ibx/x"], &env, b"");
    assert_eq!(stdout(&o), "umount: /ibx/x unmounted\n");
    let missing = [("IBOX_MOUNTS", "/nonexistent/mounts")];
    let o = ibox_env(&["umount", "-a", "--fake"], &missing, b"");
    assert_fails(&o, "umount: /nonexistent/mounts: No such file or directory");
    assert_fails(&ibox(&["umount", "--fake"]), "umount: missing operand");
    // --fake is long only: -F is no option.
    assert_fails(
        &ibox(&["umount", "-F", "/ibx/x"]),
        "umount: invalid option -- 'F'",
    );
}

/// Writes `patches` (offset, bytes) into a zero-filled image of `size`.
fn image(path: &Path, size: usize, patches: &[(usize, &[u8])]) {
    let mut data = vec![0u8; size];
    for (at, bytes) in patches {
        data[*at..at + bytes.len()].copy_from_slice(bytes);
    }
    std::fs::write(path, data).unwrap();
}

#[test]
fn blkid_identifies_crafted_images() {
    let dir = scratch("blkid");
    let p = |n: &str| dir.join(n);
    let uuid: Vec<u8> = (0x10..0x20).collect();
    // ext4: magic, extents (incompat 0x40), UUID, label.
    image(
        &p("ext4.img"),
        4096,
        &[
            (1024 + 56, &[0x53, 0xEF]),
            (1024 + 96, &[0x40, 0, 0, 0]),
            (1024 + 104, &uuid),
            (1024 + 120, b"rootfs"),
        ],
    );
    // ext3: a journal (compat 0x4); ext2: nothing else, no label.
    image(
        &p("ext3.img"),
        4096,
        &[
            (1024 + 56, &[0x53, 0xEF]),
            (1024 + 92, &[4, 0, 0, 0]),
            (1024 + 104, &uuid),
        ],
    );
    image(&p("ext2.img"), 4096, &[(1024 + 56, &[0x53, 0xEF])]);
    // FAT32 and FAT16 boot sectors.
    image(
        &p("fat32.img"),
        1024,
        &[
            (67, &[0x78, 0x56, 0x34, 0x12]),
            (71, b"BOOT       "),
            (82, b"FAT32   "),
            (510, &[0x55, 0xAA]),
        ],
    );
    image(
        &p("fat16.img"),
        1024,
        &[
            (39, &[0xEF, 0xBE, 0xAD, 0xDE]),
            (43, b"NO NAME    "),
            (54, b"FAT16   "),
            (510, &[0x55, 0xAA]),
        ],
    );
    image(&p("squash.img"), 4096, &[(0, b"hsqs")]);
    image(
        &p("iso.img"),
        36 * 1024,
        &[
            (32768, b"\x01CD001"),
            (32768 + 40, b"MY_DISC                         "),
            (32768 + 813, b"2024010203040500"),
        ],
    );
    image(
        &p("swap.img"),
        8192,
        &[
            (4086, b"SWAPSPACE2"),
            (1024 + 12, &uuid),
            (1024 + 28, b"swappy"),
        ],
    );
    image(&p("oldswap.img"), 8192, &[(4086, b"SWAP-SPACE")]);
    image(&p("zero.img"), 8192, &[]);
    std::fs::write(p("empty.img"), b"").unwrap();
    let names = [
        "ext4.img",
        "ext3.img",
        "ext2.img",
        "fat32.img",
        "fat16.img",
        "squash.img",
        "iso.img",
        "swap.img",
        "oldswap.img",
        "zero.img",
        "empty.img",
    ];
    let paths: Vec<String> = names.iter().map(|n| s(&p(n)).to_string()).collect();
    let mut args = vec!["blkid"];
    args.extend(paths.iter().map(String::as_str));
    let o = ibox(&args);
    let u = "10111213-1415-1617-1819-1a1b1c1d1e1f";
    let d = s(&dir);
    assert_eq!(
        stdout(&o),
        format!(
            "{d}/ext4.img: LABEL=\"rootfs\" UUID=\"{u}\" TYPE=\"ext4\"\n\
             {d}/ext3.img: UUID=\"{u}\" TYPE=\"ext3\"\n\
             {d}/ext2.img: TYPE=\"ext2\"\n\
             {d}/fat32.img: LABEL=\"BOOT\" UUID=\"1234-5678\" TYPE=\"vfat\"\n\
             {d}/fat16.img: UUID=\"DEAD-BEEF\" TYPE=\"vfat\"\n\
             {d}/squash.img: TYPE=\"squashfs\"\n\
             {d}/iso.img: LABEL=\"MY_DISC\" UUID=\"2024-01-02-03-04-05-00\" TYPE=\"iso9660\"\n\
             {d}/swap.img: LABEL=\"swappy\" UUID=\"{u}\" TYPE=\"swap\"\n\
             {d}/oldswap.img: TYPE=\"swap\"\n"
        )
    );
    assert_eq!(o.status.code(), Some(0));
    // Nothing recognised: status 2; a missing file: a message, status 2.
    let o = ibox(&["blkid", s(&p("zero.img"))]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(2), String::new()));
    let o = ibox(&["blkid", s(&p("none.img")), s(&p("squash.img"))]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), format!("{d}/squash.img: TYPE=\"squashfs\"\n"));
    assert_eq!(
        stderr(&o),
        format!("blkid: can't open '{d}/none.img': No such file or directory\n")
    );
    // A label with a space and non-UTF-8 bytes is shown as it is.
    image(
        &p("odd.img"),
        4096,
        &[(1024 + 56, &[0x53, 0xEF]), (1024 + 120, b"a b\xff")],
    );
    let o = ibox(&["blkid", s(&p("odd.img"))]);
    let mut want = format!("{d}/odd.img: LABEL=\"a b").into_bytes();
    want.extend_from_slice(b"\xff\" TYPE=\"ext2\"\n");
    assert_eq!(o.stdout, want);
    assert_fails(&ibox(&["blkid", "-z"]), "blkid: invalid option -- 'z'");
}

#[test]
fn switch_root_refuses_before_changing_anything() {
    let dir = scratch("switch_root");
    // Not a mount point (a directory on its parent's filesystem).
    let o = ibox(&["switch_root", s(&dir), "/init"]);
    assert_fails(
        &o,
        &format!("switch_root: '{}' is not a mount point", s(&dir)),
    );
    // `/` itself is never a new root.
    assert_fails(
        &ibox(&["switch_root", "/", "/init"]),
        "switch_root: '/' is not a mount point",
    );
    // A mount point without the init program.
    let o = ibox(&["switch_root", "/proc", "/ibx-no-such-init"]);
    assert_fails(
        &o,
        "switch_root: '/proc/ibx-no-such-init' is not an executable file",
    );
    // All good but we are not PID 1 (and / is no ramfs either).
    let o = ibox(&["switch_root", "/proc", "self/exe"]);
    assert_fails(&o, "switch_root: PID must be 1");
    let o = ibox(&["switch_root", s(&dir.join("missing")), "/init"]);
    assert_fails(
        &o,
        &format!(
            "switch_root: can't access '{}': No such file or directory",
            s(&dir.join("missing"))
        ),
    );
    assert_fails(
        &ibox(&["switch_root", "/proc"]),
        "switch_root: NEW_ROOT and NEW_INIT are required",
    );
    assert_fails(
        &ibox(&["switch_root", "-x"]),
        "switch_root: invalid option -- 'x'",
    );
}

#[test]
fn losetup_lists_and_refuses() {
    // Listing only reads; each line is "DEVICE: OFFSET FILE".
    for args in [&["losetup", "-a"][..], &["losetup"][..]] {
        let o = ibox(args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        for line in stdout(&o).lines() {
            let (dev, rest) = line.split_once(": ").unwrap();
            assert!(dev.starts_with("/dev/loop"), "{line}");
            assert!(
                rest.split(' ').next().unwrap().parse::<u64>().is_ok(),
                "{line}"
            );
        }
    }
    let dir = scratch("losetup");
    let o = ibox(&["losetup", s(&dir.join("loop9"))]);
    assert_fails(
        &o,
        &format!(
            "losetup: {}: No such file or directory",
            s(&dir.join("loop9"))
        ),
    );
    let o = ibox(&[
        "losetup",
        s(&dir.join("loop9")),
        s(&dir.join("missing.img")),
    ]);
    assert_fails(
        &o,
        &format!(
            "losetup: can't open '{}': No such file or directory",
            s(&dir.join("missing.img"))
        ),
    );
    assert_fails(&ibox(&["losetup", "-d"]), "losetup: no loop device given");
    assert_fails(
        &ibox(&["losetup", "-a", "x"]),
        "losetup: -a takes no operands",
    );
    assert_fails(
        &ibox(&["losetup", "a", "b", "c"]),
        "losetup: too many arguments",
    );
    assert_fails(
        &ibox(&["losetup", "-o", "x", "a", "b"]),
        "losetup: invalid number 'x'",
    );
    assert_fails(
        &ibox(&["losetup", "-c"]),
        "losetup: one loop device expected",
    );
    assert_fails(&ibox(&["losetup", "-z"]), "losetup: invalid option -- 'z'");
}

/// A fake module tree: `ROOT/lib/modules/9.9.9-ibx` with modules.dep,
/// modules.alias and a modprobe.d configuration. Every modprobe run on it
/// is a dry run (-n) or shows dependencies (-D): nothing reaches the kernel.
fn module_tree(test: &str) -> Scratch {
    let dir = scratch(test);
    let m = dir.join("lib/modules/9.9.9-ibx");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::create_dir_all(dir.join("etc/modprobe.d")).unwrap();
    std::fs::write(
        m.join("modules.dep"),
        "kernel/drivers/net/ibx_e1000e.ko: kernel/lib/ibx_ptp.ko kernel/lib/ibx_pps.ko\n\
         kernel/lib/ibx_ptp.ko: kernel/lib/ibx_pps.ko\n\
         kernel/lib/ibx_pps.ko:\n\
         kernel/sound/ibx-snd-hda.ko.xz: kernel/lib/ibx_pps.ko\n\
         kernel/drivers/ibx_bad.ko:\n",
    )
    .unwrap();
    std::fs::write(
        m.join("modules.alias"),
        "# Aliases extracted from modules themselves.\n\
         alias pci:v00008086d000010D3sv*sd*bc*sc*i* ibx_e1000e\n\
         alias pci:v00008086d* ibx_snd_hda\n\
         alias usb:v1234* ibx_bad\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("etc/modprobe.d/ibx.conf"),
        "# test\nblacklist ibx_bad\noptions ibx_e1000e debug=1 \\\n  copybreak=0\nalias ibxnet ibx_e1000e\nalias ibxsound pci:v00008086d0000FFFF\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("etc/modprobe.d/ignored.txt"),
        "blacklist ibx_pps\n",
    )
    .unwrap();
    dir
}

#[test]
fn modprobe_resolves_dependencies_aliases_and_options() {
    let dir = module_tree("modprobe");
    let d = s(&dir);
    let m = format!("{d}/lib/modules/9.9.9-ibx/kernel");
    let no_modules = scratch("modprobe-proc");
    std::fs::write(no_modules.join("modules"), "").unwrap();
    let env = [("IBOX_PROC_ROOT", s(&no_modules))];
    let run = |args: &[&str]| {
        let mut all = vec!["modprobe", "-d", d, "-S", "9.9.9-ibx"];
        all.extend_from_slice(args);
        ibox_env(&all, &env, b"")
    };
    let e1000e = format!(
        "insmod {m}/lib/ibx_pps.ko\ninsmod {m}/lib/ibx_ptp.ko\ninsmod {m}/drivers/net/ibx_e1000e.ko debug=1 copybreak=0\n"
    );
    let o = run(&["-D", "ibx_e1000e"]);
    assert_eq!(
        (o.status.code(), stdout(&o), stderr(&o)),
        (Some(0), e1000e.clone(), String::new())
    );
    assert_eq!(stdout(&run(&["-n", "-v", "ibx-e1000e"])), e1000e);
    let o = run(&["-n", "ibx_e1000e"]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    // Aliases: modprobe.d's, then modules.alias globs (all that match).
    assert_eq!(stdout(&run(&["-D", "ibxnet"])), e1000e);
    // ... and may name a device alias in turn.
    assert_eq!(
        stdout(&run(&["-D", "ibxsound"])),
        format!("insmod {m}/lib/ibx_pps.ko\ninsmod {m}/sound/ibx-snd-hda.ko.xz\n")
    );
    let o = run(&[
        "-D",
        "pci:v00008086d000010D3sv00001028sd00000123bc02sc00i00",
    ]);
    assert_eq!(
        stdout(&o),
        format!("{e1000e}insmod {m}/lib/ibx_pps.ko\ninsmod {m}/sound/ibx-snd-hda.ko.xz\n")
    );
    // Parameters after the name; -a takes every word as a module.
    let o = run(&["-D", "ibx_pps", "a=1", "b=x y"]);
    assert_eq!(stdout(&o), format!("insmod {m}/lib/ibx_pps.ko a=1 b=x y\n"));
    // Options may follow the module, as with GNU getopt.
    let o = run(&["ibx_pps", "-D"]);
    assert_eq!(stdout(&o), format!("insmod {m}/lib/ibx_pps.ko\n"));
    let o = run(&["-D", "-a", "ibx_pps", "ibx-snd-hda"]);
    assert_eq!(
        stdout(&o),
        format!("insmod {m}/lib/ibx_pps.ko\ninsmod {m}/lib/ibx_pps.ko\ninsmod {m}/sound/ibx-snd-hda.ko.xz\n")
    );
    // The blacklist stops aliases, and names too with -b.
    let o = run(&["-D", "usb:v1234p0001"]);
    assert_fails(
        &o,
        "modprobe: module usb:v1234p0001 not found in modules.dep",
    );
    let o = run(&["-q", "-D", "usb:v1234p0001"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(1), String::new()));
    assert_eq!(
        stdout(&run(&["-D", "ibx_bad"])),
        format!("insmod {m}/drivers/ibx_bad.ko\n")
    );
    assert_fails(
        &run(&["-D", "-b", "ibx_bad"]),
        "modprobe: module ibx_bad not found in modules.dep",
    );
    assert_fails(
        &run(&["-n", "ibx_nothing"]),
        "modprobe: module ibx_nothing not found in modules.dep",
    );
    // -l lists module files.
    assert_eq!(
        stdout(&run(&["-l", "ibx_p*"])),
        format!("{m}/lib/ibx_ptp.ko\n{m}/lib/ibx_pps.ko\n")
    );
    assert_fails(&run(&[]), "modprobe: no module name given");
    let o = ibox(&["modprobe", "-d", d, "-S", "0.0-none", "-n", "x"]);
    assert_fails(&o, &format!("modprobe: can't open '{d}/lib/modules/0.0-none/modules.dep': No such file or directory"));
    assert_fails(
        &ibox(&["modprobe", "-Z"]),
        "modprobe: invalid option -- 'Z'",
    );
}

#[test]
fn modprobe_knows_what_is_loaded() {
    let dir = module_tree("modprobe-loaded");
    let d = s(&dir);
    let m = format!("{d}/lib/modules/9.9.9-ibx/kernel");
    let proc = scratch("modprobe-loaded-proc");
    std::fs::write(
        proc.join("modules"),
        "ibx_e1000e 100 0 - Live 0x0\nibx_ptp 10 1 ibx_e1000e, Live 0x0\n\
         ibx_pps 10 2 ibx_ptp,ibx_snd_hda, Live 0x0\nibx_snd_hda 10 0 - Live 0x0\n",
    )
    .unwrap();
    let env = [("IBOX_PROC_ROOT", s(&proc))];
    let run = |args: &[&str]| {
        let mut all = vec!["modprobe", "-d", d, "-S", "9.9.9-ibx"];
        all.extend_from_slice(args);
        ibox_env(&all, &env, b"")
    };
    // Loaded modules are skipped, except by -D.
    let o = run(&["-n", "-v", "ibx_e1000e"]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    assert!(stdout(&run(&["-D", "ibx_e1000e"])).contains("ibx_pps.ko"));
    std::fs::write(proc.join("modules"), "ibx_pps 10 0 - Live 0x0\n").unwrap();
    assert_eq!(
        stdout(&run(&["-n", "-v", "ibx_e1000e"])),
        format!(
            "insmod {m}/lib/ibx_ptp.ko\ninsmod {m}/drivers/net/ibx_e1000e.ko debug=1 copybreak=0\n"
        )
    );
    // -r removes the module, then dependencies nothing else uses.
    std::fs::write(
        proc.join("modules"),
        "ibx_e1000e 100 0 - Live 0x0\nibx_ptp 10 1 ibx_e1000e, Live 0x0\n\
         ibx_pps 10 2 ibx_ptp,ibx_snd_hda, Live 0x0\nibx_snd_hda 10 0 - Live 0x0\n",
    )
    .unwrap();
    let o = run(&["-r", "-n", "-v", "ibx_e1000e"]);
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), "rmmod ibx_e1000e\nrmmod ibx_ptp\n".to_string())
    );
    let o = run(&["-r", "-n", "-v", "ibx_snd_hda", "ibx_e1000e"]);
    assert_eq!(
        stdout(&o),
        "rmmod ibx_snd_hda\nrmmod ibx_e1000e\nrmmod ibx_ptp\n"
    );
    let o = run(&["-r", "-n", "ibx_bad"]);
    assert_fails(&o, "modprobe: module ibx_bad is not loaded");

    // lsmod shows the same table.
    let o = ibox_env(&["lsmod"], &env, b"");
    assert_eq!(
        stdout(&o),
        "Module                  Size  Used by\n\
         ibx_e1000e               100  0\n\
         ibx_ptp                   10  1 ibx_e1000e\n\
         ibx_pps                   10  2 ibx_ptp,ibx_snd_hda\n\
         ibx_snd_hda               10  0\n"
    );
    let none = [("IBOX_PROC_ROOT", "/nonexistent")];
    assert_fails(
        &ibox_env(&["lsmod"], &none, b""),
        "lsmod: can't open '/nonexistent/modules': No such file or directory",
    );
}

#[test]
fn insmod_and_rmmod_refuse_without_touching_the_kernel() {
    assert_fails(&ibox(&["insmod"]), "insmod: no module file given");
    let dir = scratch("insmod");
    let o = ibox(&["insmod", s(&dir.join("ibx.ko")), "a=1"]);
    assert_fails(
        &o,
        &format!(
            "insmod: can't open '{}': No such file or directory",
            s(&dir.join("ibx.ko"))
        ),
    );
    assert_fails(&ibox(&["rmmod"]), "rmmod: no module name given");
    // No module has this name: nothing to unload (ENOENT as root).
    let o = ibox(&["rmmod", "/x/ibx-no-such-mod.ko", "ibx_none_either"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("rmmod: can't unload module 'ibx_no_such_mod': "),
        "{err}"
    );
    assert!(
        lines[1].starts_with("rmmod: can't unload module 'ibx_none_either': "),
        "{err}"
    );
    assert_fails(&ibox(&["rmmod", "-x", "a"]), "rmmod: invalid option -- 'x'");
}

/// Whether the tests run as root (mknod needs it).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        .unwrap_or(false)
}

/// A scratch root for mdev, with `sh` (ibox) first in PATH for commands.
fn mdev_root(test: &str) -> (Scratch, String) {
    let dir = scratch(test);
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("sys/class/tty/ttyS0/dev", "4:64\n");
    w("sys/class/mem/null/dev", "1:3\n");
    w("sys/class/input/event0/dev", "13:64\n");
    w(
        "sys/class/input/event0/uevent",
        "MAJOR=13\nMINOR=64\nDEVNAME=input/event0\n",
    );
    w("sys/class/misc/nodev/uevent", "");
    w("sys/block/sda/dev", "8:0\n");
    w("sys/block/sda/sda1/dev", "8:1\n");
    w("sys/block/sda/queue/rotational", "0\n");
    w("sys/class/block/sda/dev", "8:0\n");
    w(
        "etc/mdev.conf",
        "# mdev.conf\n\
         -null 0:0 666 @echo \"$MDEV $ACTION\" >> ../log\n\
         null 0:0 666\n\
         sd[a-z]([0-9]*) 0:6 0640 =disk/\n\
         ttyS([0-9]+) 0:5 620 >serial/port%1\n\
         ibx([0-9]) 0:0 600 =ibx/%1 *echo \"$MDEV $ACTION\" >> ../hlog\n\
         hidden.* 0:0 600 !\n",
    );
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ibox"), dir.join("bin/sh")).unwrap();
    let path = format!(
        "{}:{}",
        s(&dir.join("bin")),
        std::env::var("PATH").unwrap_or_default()
    );
    (dir, path)
}

/// Type letter, major, minor, permissions, gid of a node.
fn node(path: &Path) -> (char, u64, u64, u32, u32) {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let m = std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let t = if m.file_type().is_block_device() {
        'b'
    } else if m.file_type().is_char_device() {
        'c'
    } else {
        '?'
    };
    let rdev = m.rdev();
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    (t, major, minor, m.mode() & 0o7777, m.gid())
}

#[test]
fn mdev_scan_creates_nodes_by_the_rules() {
    if !is_root() {
        return;
    }
    let (dir, path) = mdev_root("mdev-s");
    let env = [("IBOX_MDEV_ROOT", s(&dir)), ("PATH", path.as_str())];
    let o = ibox_env(&["mdev", "-s"], &env, b"");
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    let dev = dir.join("dev");
    assert_eq!(node(&dev.join("null")), ('c', 1, 3, 0o666, 0));
    assert_eq!(node(&dev.join("disk/sda")), ('b', 8, 0, 0o640, 6));
    assert_eq!(node(&dev.join("disk/sda1")), ('b', 8, 1, 0o640, 6));
    assert_eq!(node(&dev.join("serial/port0")), ('c', 4, 64, 0o620, 5));
    assert_eq!(
        std::fs::read_link(dev.join("ttyS0")).unwrap(),
        Path::new("serial/port0")
    );
    // No rule: 0:0 660 under DEVNAME from uevent.
    assert_eq!(node(&dev.join("input/event0")), ('c', 13, 64, 0o660, 0));
    assert!(
        !dev.join("nodev").exists() && !dev.join("queue").exists() && !dev.join("sda").exists()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("log")).unwrap(),
        "null add\n"
    );
    // A second scan reuses the nodes (and fixes their modes).
    std::fs::set_permissions(
        dev.join("null"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let o = ibox_env(&["mdev", "-s"], &env, b"");
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    assert_eq!(node(&dev.join("null")).3, 0o666);
}

#[test]
fn mdev_hotplug_adds_removes_and_loads_modules() {
    let (dir, path) = mdev_root("mdev-hotplug");
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("sys/devices/virtual/ibx/ibx7/dev", "240:7\n");
    w("sys/devices/virtual/ibx/hidden0/dev", "240:8\n");
    let base = [("IBOX_MDEV_ROOT", s(&dir)), ("PATH", path.as_str())];
    let event = |action: &str, devpath: &str, extra: &[(&str, &str)]| {
        let mut env = base.to_vec();
        env.push(("ACTION", action));
        env.push(("DEVPATH", devpath));
        env.push(("SUBSYSTEM", "ibx"));
        env.extend_from_slice(extra);
        ibox_env(&["mdev"], &env, b"")
    };
    if is_root() {
        let o = event("add", "/devices/virtual/ibx/ibx7", &[]);
        assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
        assert_eq!(node(&dir.join("dev/ibx/7")), ('c', 240, 7, 0o600, 0));
        // `!`: no node, for this name.
        let o = event("add", "/devices/virtual/ibx/hidden0", &[]);
        assert_eq!(o.status.code(), Some(0));
        assert!(!dir.join("dev/hidden0").exists());
        // By removal time the sysfs directory is usually gone.
        std::fs::remove_dir_all(dir.join("sys/devices/virtual/ibx/ibx7")).unwrap();
        let o = event("remove", "/devices/virtual/ibx/ibx7", &[]);
        assert_eq!(o.status.code(), Some(0));
        assert!(!dir.join("dev/ibx/7").exists());
        assert!(dir.join("dev/ibx").is_dir());
        assert_eq!(
            std::fs::read_to_string(dir.join("hlog")).unwrap(),
            "ibx/7 add\nibx/7 remove\n"
        );
        // MAJOR/MINOR and DEVNAME from the event win over sysfs.
        let o = event(
            "add",
            "/devices/virtual/ibx/none",
            &[("MAJOR", "240"), ("MINOR", "9"), ("DEVNAME", "ibxalt")],
        );
        assert_eq!(o.status.code(), Some(0));
        assert_eq!(node(&dir.join("dev/ibxalt")), ('c', 240, 9, 0o660, 0));
    }
    // MODALIAS: the modules are shown (scratch root), not loaded; the
    // blacklist applies; an unknown alias is no error.
    let version = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let m = format!("lib/modules/{}", version.trim());
    w(
        &format!("{m}/modules.dep"),
        "kernel/ibx_nic.ko: kernel/ibx_core.ko\nkernel/ibx_core.ko:\nkernel/ibx_bad.ko:\n",
    );
    w(
        &format!("{m}/modules.alias"),
        "alias pci:v0000ABCDd* ibx_nic\nalias pci:v0000BAD0d* ibx_bad\n",
    );
    w("etc/modprobe.d/b.conf", "blacklist ibx_bad\n");
    let proc = scratch("mdev-hotplug-proc");
    std::fs::write(proc.join("modules"), "").unwrap();
    let pci = "/devices/pci0000:00/0000:00:03.0";
    let o = event(
        "add",
        pci,
        &[
            ("MODALIAS", "pci:v0000ABCDd00001234sv0sd0bc02sc00i00"),
            ("IBOX_PROC_ROOT", s(&proc)),
        ],
    );
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    let k = format!("{}/{m}/kernel", s(&dir));
    assert_eq!(
        stdout(&o),
        format!("insmod {k}/ibx_core.ko\ninsmod {k}/ibx_nic.ko\n")
    );
    let o = event(
        "add",
        pci,
        &[
            ("MODALIAS", "pci:v0000BAD0d00000001"),
            ("IBOX_PROC_ROOT", s(&proc)),
        ],
    );
    assert_eq!(
        (o.status.code(), stdout(&o), stderr(&o)),
        (Some(0), String::new(), String::new())
    );
    let o = event(
        "add",
        pci,
        &[("MODALIAS", "usb:v9999"), ("IBOX_PROC_ROOT", s(&proc))],
    );
    assert_eq!(
        (o.status.code(), stdout(&o), stderr(&o)),
        (Some(0), String::new(), String::new())
    );
}

#[test]
fn mdev_errors() {
    let (dir, _) = mdev_root("mdev-errors");
    let env = [("IBOX_MDEV_ROOT", s(&dir))];
    let o = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .arg("mdev")
        .env_remove("ACTION")
        .envs(env)
        .output()
        .unwrap();
    assert_fails(&o, "mdev: no ACTION in the environment (or use -s)");
    std::fs::write(dir.join("etc/mdev.conf"), "null 0:0 666\nsda 0:0\n").unwrap();
    let o = ibox_env(&["mdev", "-s"], &env, b"");
    assert_fails(&o, "mdev: bad line 2 in mdev.conf: too few fields");
    std::fs::write(dir.join("etc/mdev.conf"), "null 0:0 9x9\n").unwrap();
    assert_fails(
        &ibox_env(&["mdev", "-s"], &env, b""),
        "mdev: bad line 1 in mdev.conf: bad mode",
    );
    std::fs::write(dir.join("etc/mdev.conf"), "nu(ll 0:0 666\n").unwrap();
    assert_fails(
        &ibox_env(&["mdev", "-s"], &env, b""),
        "mdev: bad line 1 in mdev.conf: Unmatched ( or \\(",
    );
    std::fs::write(dir.join("etc/mdev.conf"), "null 0:0 666 ?what\n").unwrap();
    assert_fails(
        &ibox_env(&["mdev", "-s"], &env, b""),
        "mdev: bad line 1 in mdev.conf: unknown field",
    );
    assert_fails(&ibox(&["mdev", "-x"]), "mdev: invalid option -- 'x'");
}

#[test]
fn names_with_spaces_and_long_names() {
    let mut sp = Sleepers::start_named("names-sp", &["30"], " s");
    let pid = sp.pids()[0].clone();
    assert_eq!(stdout(&ibox(&["pidof", &sp.name])), format!("{pid}\n"));
    assert_eq!(
        stdout(&ibox(&["pgrep", "-l", "-x", &sp.name])),
        format!("{pid} {}\n", sp.name)
    );
    let o = ibox(&["killall", "-KILL", &sp.name]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(sp.wait_signal(0), Some(9));

    // 20 bytes: the comm is cut to 15, argv[0]'s base name is whole.
    let long = Sleepers::start_named("names-long", &["30"], "longer");
    let pid = long.pids()[0].clone();
    assert_eq!(long.name.len(), 18);
    assert_eq!(stdout(&ibox(&["pidof", &long.name])), format!("{pid}\n"));
    // Its first 15 bytes are the comm, but a cut comm alone is not a
    // match (BusyBox's rule: the name could be longer than asked).
    let o = ibox(&["pidof", &long.name[..15]]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(1), String::new()));
    // pgrep matches the 15-byte comm, unless -f.
    let o = ibox(&["pgrep", "-x", &long.name]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&ibox(&["pgrep", "-f", &format!("/{} 30$", long.name)])),
        format!("{pid}\n")
    );
}

#[test]
fn sysctl_names_only_and_watch_without_a_shell() {
    let dir = sysctl_tree("sysctl-names");
    let env = [("IBOX_SYSCTL_ROOT", s(&dir))];
    let o = ibox_env(&["sysctl", "-N", "-a"], &env, b"");
    assert_eq!(
        stdout(&o),
        "kernel.ostype\nkernel.printk\nnet.ipv4.conf.eth0.1.rp_filter\nnet.ipv4.ip_forward\n"
    );
    let env = [
        ("PATH", "/nonexistent-ibox-path"),
        ("IBOX_WATCH_COUNT", "5"),
    ];
    let o = ibox_env(&["watch", "-t", "true"], &env, b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "watch: can't run 'sh': No such file or directory\n"
    );
}

/// Runs a freshly copied executable. Another test thread forking while the
/// copy's file was still open for writing leaves a writable descriptor in
/// that child until it execs, and exec then fails with ETXTBSY: retry.
fn spawn_copied(exe: &Path, arg: &str) -> Child {
    let mut tries = 0;
    loop {
        match Command::new(exe).arg(arg).spawn() {
            Ok(child) => return child,
            Err(e) if e.raw_os_error() == Some(26) && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("{}: {e}", exe.display()),
        }
    }
}
