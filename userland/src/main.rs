//! `ibox`: one binary, many programs. It dispatches on the base name of
//! `argv[0]` (so `/bin/ls` linked to `/bin/ibox` runs `ls`), or on its first
//! argument when called as `ibox APPLET ARGS`.
//!
//! The C `main` is ours rather than Rust's (`no_main`): Rust's runtime
//! set-up finds the main thread's stack by reading `/proc/self/maps` and
//! installs a stack-overflow handler on an alternate signal stack, about
//! 110 000 instructions and a dozen system calls that every `sh -c`, every
//! pipeline member and every applet would pay. What of it matters to a Unix
//! tool is done here instead: the standard descriptors are made to exist
//! and SIGPIPE gets its default action. A stack overflow is then a plain
//! SIGSEGV instead of a message followed by SIGABRT.

#![cfg_attr(not(test), no_main)]
// An ibox with only some applets (see `applets`) leaves parts of the shared
// helpers unused; the full build, the default, is the one that checks for
// dead code.
#![cfg_attr(not(feature = "all"), allow(dead_code, unused_imports, unused_macros))]

mod accounts;
mod applets;
#[cfg(any(feature = "cpio", feature = "gzip", feature = "tar"))]
mod archive;
#[cfg(feature = "awk")]
mod awk;
mod calendar;
mod common;
mod control;
#[cfg(any(feature = "udhcpc", feature = "udhcpd"))]
mod dhcpnet;
mod digest;
#[cfg(feature = "fw")]
mod firewall;
#[cfg(feature = "sysupgrade")]
mod fleet;
#[cfg(any(feature = "blkid", feature = "mount"))]
mod fsprobe;
mod fsutil;
#[cfg(any(
    feature = "nc",
    feature = "ping",
    feature = "traceroute",
    feature = "arp"
))]
mod icmp;
#[cfg(feature = "ifup")]
mod ifstate;
#[cfg(feature = "ifup")]
mod ifupdown;
#[cfg(feature = "ifup")]
mod interfaces;
mod mac;
#[cfg(any(test, all(target_feature = "crt-static", target_arch = "x86_64")))]
mod malloc_cache;
#[cfg(feature = "mtd")]
mod mtd;
#[cfg(feature = "ip")]
mod netlink;
#[cfg(feature = "fw")]
mod nftables;
#[cfg(all(panic = "abort", not(test)))]
mod no_unwind;
mod procfs;
mod regex;
#[cfg(any(
    feature = "nc",
    feature = "ping",
    feature = "netstat",
    feature = "traceroute",
    feature = "arp",
    feature = "wget",
    feature = "syslogd",
    feature = "ntpd"
))]
mod resolve;
#[cfg(any(feature = "ssh", feature = "sshd", feature = "ssh-keygen"))]
mod ssh;
mod text;
#[cfg(feature = "vi")]
mod vi;

use std::ffi::OsString;

/// The static x86_64 build links musl, whose malloc is slow for the many
/// small blocks a shell frees and takes again; see [`malloc_cache`].
#[cfg(all(target_feature = "crt-static", target_arch = "x86_64", not(test)))]
#[global_allocator]
static ALLOCATOR: malloc_cache::CachedMalloc = malloc_cache::CachedMalloc;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The C entry point. The arguments are taken from `argv` here, not from
/// `std::env::args_os`: the standard library for `*-linux-gnu` collects
/// those in an `.init_array` function that only glibc calls with `argc`
/// and `argv`, and the x86_64 device build links musl (`build.rs`).
#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    let args = (0..usize::try_from(argc).unwrap_or(0))
        .map_while(|i| {
            // SAFETY: the C start-up passes `argc` valid pointers in `argv`,
            // each to a NUL-terminated string that lives as long as the
            // process; a null one ends the list early.
            let arg = unsafe { *argv.add(i) };
            (!arg.is_null()).then(|| {
                let bytes = unsafe { std::ffi::CStr::from_ptr(arg) }.to_bytes();
                OsString::from(std::ffi::OsStr::from_bytes(bytes))
            })
        })
        .collect();
    // A panic ends the process with status 101, as under Rust's own `main`,
    // instead of unwinding into C.
    let code = std::panic::catch_unwind(|| start(args)).unwrap_or(101);
    // `exit` flushes Rust's standard output; a plain return would not.
    std::process::exit(code)
}

/// Under `cargo test` the harness has the C `main`; this one is unused.
#[cfg(test)]
fn main() {
    std::process::exit(start(std::env::args_os().collect()));
}

/// Prepares the process as Rust's runtime would for a Unix tool, then runs
/// the applet named by `args` and returns its exit status.
fn start(args: Vec<OsString>) -> i32 {
    open_standard_fds();
    // A Unix tool must die quietly when its reader goes away (`ls | head`),
    // and children started by `sh` inherit this default; the parent may
    // have left SIGPIPE ignored.
    // SAFETY: setting a signal to SIG_DFL installs no handler code.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        )
    };
    run(args)
}

/// Opens `/dev/null` on whichever of descriptors 0, 1 and 2 is closed, so
/// that a file the applet opens cannot become its standard output by
/// accident (what Rust's runtime does before `main`). One `poll` finds them.
fn open_standard_fds() {
    use nix::libc;
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `poll` reads and writes only the three entries it is given.
    let closed: [bool; 3] = if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } >= 0 {
        fds.map(|p| p.revents & libc::POLLNVAL != 0)
    } else {
        [0, 1, 2].map(|fd| {
            nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD) == Err(nix::errno::Errno::EBADF)
        })
    };
    for closed in closed {
        if closed {
            // It lands on `fd`, the lowest free descriptor: those below are
            // open by now. If it cannot be opened, there is no safe way to
            // go on (Rust's runtime aborts too).
            let null = nix::fcntl::open(
                "/dev/null",
                nix::fcntl::OFlag::O_RDWR,
                nix::sys::stat::Mode::empty(),
            );
            if null.is_err() {
                std::process::abort();
            }
        }
    }
}

/// Runs the applet named by `args[0]` (or by `args[1]` when `args[0]` is `ibox`).
fn run(args: Vec<OsString>) -> i32 {
    let argv0 = args.first().cloned().unwrap_or_default();
    let name = Path::new(&argv0)
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    // A login shell is started as "-sh".
    let name = name
        .as_bytes()
        .strip_prefix(b"-")
        .unwrap_or(name.as_bytes());
    if name != b"ibox" {
        return match applets::find(name) {
            Some(applet) => (applet.main)(args),
            None => {
                common::error_msg(
                    "ibox",
                    &format!("applet not found: {}", String::from_utf8_lossy(name)),
                );
                127
            }
        };
    }
    multi_call(args)
}

/// `ibox --list`, `ibox --install DIR`, `ibox APPLET ARGS`.
fn multi_call(args: Vec<OsString>) -> i32 {
    let Some(first) = args.get(1) else {
        usage();
        return 1;
    };
    match first.as_bytes() {
        b"--list" => {
            for applet in applets::APPLETS {
                println!("{}", applet.name);
            }
            0
        }
        b"--install" => match args.get(2) {
            Some(dir) if args.len() == 3 => install(Path::new(dir)),
            _ => {
                common::error_msg("ibox", "usage: ibox --install DIR");
                1
            }
        },
        b"--help" | b"-h" => {
            usage();
            0
        }
        name => match applets::find(name) {
            Some(applet) => (applet.main)(args[1..].to_vec()),
            None => {
                common::error_msg(
                    "ibox",
                    &format!("applet not found: {}", String::from_utf8_lossy(name)),
                );
                127
            }
        },
    }
}

/// Creates one symbolic link per applet in `dir`, each pointing at this binary.
/// Existing entries are left alone so that an install never clobbers a file.
fn install(dir: &Path) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            common::error_msg("ibox", &format!("can't find own executable: {e}"));
            return 1;
        }
    };
    let mut status = 0;
    for applet in applets::APPLETS {
        let link = dir.join(applet.name);
        if link.symlink_metadata().is_ok() {
            continue;
        }
        if let Err(e) = std::os::unix::fs::symlink(&exe, &link) {
            common::error_msg("ibox", &format!("{}: {e}", link.display()));
            status = 1;
        }
    }
    status
}

fn usage() {
    println!("ibox: Ibex multi-call binary\n");
    println!("Usage: ibox APPLET [ARGS...]\n   or: APPLET [ARGS...]   (via a link named APPLET)");
    println!("   or: ibox --list | --install DIR\n\nApplets:");
    let names: Vec<&str> = applets::APPLETS.iter().map(|a| a.name).collect();
    println!("  {}", names.join(", "));
}
