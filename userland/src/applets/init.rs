//! `init`: Ibex's PID 1 (the `ibex-init` crate), linked into ibox as
//! BusyBox links its init, so that an image carries one copy of glibc and
//! std instead of two. The kernel runs `/sbin/init`, a link to `/bin/ibox`,
//! and `argv[0]` selects this applet; `ibox init ARGS` runs it too.

use std::ffi::OsString;

pub const USAGE: &str = "[--container] [-- COMMAND [ARGS]...]\n\n\
Ibex's init: mount the pseudo filesystems, start and supervise the services\n\
of the boot plan, and stop everything on poweroff, reboot or halt\n\n\
\t--container\tContainer mode: no mounts, exit with the main service's status\n\
\t-- COMMAND\tIn container mode, run COMMAND as the main service";

/// Entry point. Everything is init's own, including its options: an
/// argument it does not know is ignored, never a reason for PID 1 to stop.
/// Only `init --help` from a process that is not PID 1 (someone at a shell)
/// prints the usage instead of starting a second supervisor.
pub fn main(args: Vec<OsString>) -> i32 {
    if args.len() == 2 && args[1] == "--help" && nix::unistd::getpid().as_raw() != 1 {
        crate::common::print_usage("init");
        return 0;
    }
    ibex_init::main(args)
}
