//! Helper of `scripts/bench-init`, which compares Ibex's init with tini, s6,
//! runit and BusyBox init.
//!
//! `init-bench plan OUT N [LINES [TEXT]]` writes a boot plan of N daemons,
//! `/bin/sleep 100001` to `/bin/sleep 10000N`; with LINES, the first one
//! prints that many log lines (TEXT, or about 80 bytes of text) before it
//! becomes its `sleep`.
//!
//! `init-bench measure [--runs R] [--settle-ms MS] [--out FILE] N -- CMD...`
//! starts CMD R times (default 1; CMD is `unshare --pid --fork ...` around a
//! supervisor). Each run it times the start of CMD up to the moment N
//! processes named `sleep` run below it (polled in /proc every
//! millisecond), waits MS for the supervisor to go idle, sums
//! /proc/PID/smaps_rollup and /proc/PID/schedstat over the supervisor's
//! processes (every process of the new PID namespace except the `sleep`
//! services), then kills the namespace's PID 1 with SIGKILL, which ends the
//! whole namespace. The supervisor's output is appended to FILE. It prints
//! one line per run: `start_ms rss_kb private_dirty_kb pss_kb processes
//! cpu_ms`, cpu_ms being the CPU time the supervisor's processes have used
//! since they started.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use ibex_plan::{BootPlan, Restart, Service};

/// How long a supervisor gets to start all its services.
const PATIENCE: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("plan") => plan(&args[1..]),
        Some("measure") => measure(&args[1..]),
        _ => Err(usage()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("init-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> String {
    "usage: init-bench plan OUT N [LINES [TEXT]]\n       \
     init-bench measure [--runs R] [--settle-ms MS] [--out FILE] N -- CMD..."
        .into()
}

fn number<T: std::str::FromStr>(s: Option<&String>, what: &str) -> Result<T, String> {
    s.and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{what}: a number is needed\n{}", usage()))
}

fn plan(args: &[String]) -> Result<(), String> {
    let out = args.first().ok_or_else(usage)?;
    let n: usize = number(args.get(1), "N")?;
    let lines: usize = match args.get(2) {
        Some(_) => number(args.get(2), "LINES")?,
        None => 0,
    };
    let mut services: Vec<Service> = (0..n)
        .map(|i| {
            // BusyBox init merges identical inittab lines, so every
            // supervisor's services differ in their argument.
            let seconds = format!("{}", 100_001 + i);
            Service::daemon(
                &format!("sleep{i}"),
                &["/bin/sleep", &seconds],
                Restart::Always,
            )
        })
        .collect();
    if lines > 0 && n > 0 {
        // About 80 bytes a line by default, like a chatty daemon's.
        let text = args.get(3).map_or(
            "log line: the quick brown fox jumps over the lazy dog 0123456789abcdefghijklm",
            String::as_str,
        );
        if text.contains('\'') {
            return Err("TEXT may not hold a single quote".into());
        }
        let script = format!(
            "yes '{text}' | head -n {lines}; exec /bin/sleep {}",
            100_001
        );
        services[0] = Service::daemon("chatty", &["/bin/sh", "-c", &script], Restart::Always);
    }
    let plan = BootPlan {
        hostname: "bench".into(),
        services,
        main: None,
        confirm: Default::default(),
        watchdog_secs: 0,
    };
    std::fs::write(out, plan.encode()).map_err(|e| format!("{out}: {e}"))
}

/// One process as /proc/PID/stat shows it.
struct Proc {
    ppid: u32,
    comm: String,
}

/// Every process of the system, by pid.
fn processes() -> HashMap<u32, Proc> {
    let mut all = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return all;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let Some(ppid) = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
        else {
            continue;
        };
        all.insert(pid, Proc { ppid, comm });
    }
    all
}

/// `root` and all its descendants.
fn subtree(all: &HashMap<u32, Proc>, root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, p) in all {
        children.entry(p.ppid).or_default().push(pid);
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        if let Some(c) = children.get(&found[i]) {
            found.extend(c);
        }
        i += 1;
    }
    found
}

fn sleeps_below(root: u32) -> usize {
    let all = processes();
    subtree(&all, root)
        .iter()
        .filter(|pid| all.get(pid).is_some_and(|p| p.comm == "sleep"))
        .count()
}

/// The first child of `pid`: for `unshare --fork`, the new namespace's PID 1.
fn first_child(pid: u32) -> Option<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Memory of one process from /proc/PID/smaps_rollup, in kB, and its CPU
/// time from /proc/PID/schedstat, in ns.
#[derive(Default, Clone, Copy)]
struct Usage {
    rss: u64,
    private_dirty: u64,
    pss: u64,
    cpu_ns: u64,
}

fn usage_of(pid: u32) -> Usage {
    let mut m = Usage {
        cpu_ns: std::fs::read_to_string(format!("/proc/{pid}/schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or(0),
        ..Usage::default()
    };
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(key), Some(kb)) = (words.next(), words.next().and_then(|v| v.parse().ok()))
        else {
            continue;
        };
        match key {
            "Rss:" => m.rss = kb,
            "Private_Dirty:" => m.private_dirty = kb,
            "Pss:" => m.pss = kb,
            _ => {}
        }
    }
    m
}

/// Kills the namespace below our `unshare` and waits for it to end.
fn stop(child: &mut Child, ns_init: Option<u32>) -> Result<(), String> {
    // Only the PID 1 we started, found as our own child's child, is
    // signalled; the kernel then kills everything else in its namespace.
    if let Some(pid) = ns_init.filter(|&p| first_child(child.id()) == Some(p)) {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the namespace did not end after SIGKILL".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

struct Run {
    start: Duration,
    usage: Usage,
    processes: usize,
}

fn one_run(cmd: &[String], n: usize, settle: Duration, out: Option<&str>) -> Result<Run, String> {
    let output = |what: &str| -> Result<Stdio, String> {
        Ok(match out {
            Some(path) => OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map(Stdio::from)
                .map_err(|e| format!("{path} ({what}): {e}"))?,
            None => Stdio::null(),
        })
    };
    let t0 = Instant::now();
    let mut child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .stdout(output("stdout")?)
        .stderr(output("stderr")?)
        .spawn()
        .map_err(|e| format!("{}: {e}", cmd[0]))?;
    let root = child.id();
    let started = loop {
        if sleeps_below(root) >= n {
            break t0.elapsed();
        }
        if t0.elapsed() > PATIENCE || child.try_wait().ok().flatten().is_some() {
            let ns = first_child(root);
            stop(&mut child, ns)?;
            return Err(format!(
                "{}: {n} services not running after {:?}",
                cmd.join(" "),
                t0.elapsed()
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    std::thread::sleep(settle);
    let ns_init = first_child(root);
    let all = processes();
    let supervisors: Vec<u32> = ns_init
        .map(|p| subtree(&all, p))
        .unwrap_or_default()
        .into_iter()
        .filter(|pid| all.get(pid).is_some_and(|p| p.comm != "sleep"))
        .collect();
    let mut total = Usage::default();
    for &pid in &supervisors {
        let m = usage_of(pid);
        total.rss += m.rss;
        total.private_dirty += m.private_dirty;
        total.pss += m.pss;
        total.cpu_ns += m.cpu_ns;
    }
    let still = sleeps_below(root);
    stop(&mut child, ns_init)?;
    if still < n {
        return Err(format!(
            "{}: only {still} of {n} services left after settling",
            cmd.join(" ")
        ));
    }
    Ok(Run {
        start: started,
        usage: total,
        processes: supervisors.len(),
    })
}

fn measure(args: &[String]) -> Result<(), String> {
    let mut runs = 1usize;
    let mut settle = Duration::from_millis(1000);
    let mut out: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--runs" => runs = number(args.get(i + 1), "--runs")?,
            "--settle-ms" => {
                settle = Duration::from_millis(number(args.get(i + 1), "--settle-ms")?)
            }
            "--out" => out = Some(args.get(i + 1).ok_or_else(usage)?.clone()),
            _ => break,
        }
        i += 2;
    }
    let n: usize = number(args.get(i), "N")?;
    if args.get(i + 1).map(String::as_str) != Some("--") || args.len() < i + 3 {
        return Err(usage());
    }
    let cmd = &args[i + 2..];
    for _ in 0..runs.max(1) {
        let run = one_run(cmd, n, settle, out.as_deref())?;
        let u = run.usage;
        println!(
            "{:.1} {} {} {} {} {:.1}",
            run.start.as_secs_f64() * 1000.0,
            u.rss,
            u.private_dirty,
            u.pss,
            run.processes,
            u.cpu_ns as f64 / 1e6
        );
    }
    Ok(())
}
