//! The boot plan: everything `init` needs to know about an image, computed on
//! the host by `ibex build` and read by `init` at boot.
//!
//! No configuration is parsed on the device: the host validates the image
//! definition and writes this typed, versioned structure; the device only
//! decodes it. The byte layout is documented in `docs/formats.md`:
//!
//! ```text
//! offset size  field
//! 0      4     magic "IBXP"
//! 4      2     format version, little endian (currently 5)
//! 6      ..    postcard encoding of `BootPlan`
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

/// Where the linker puts the plan in the root filesystem and `init` reads it.
pub const PATH: &str = "/etc/ibex/boot.plan";
/// Where packages install their services, one plan file per package
/// (`<package>.plan`, same format); init loads them after the boot plan
/// and again on `svc reload`.
pub const SERVICES_DIR: &str = "/etc/ibex/services.d";
/// First four bytes of every plan file.
pub const MAGIC: [u8; 4] = *b"IBXP";
/// The version this code writes and the only one it reads.
pub const VERSION: u16 = 5;
/// Plans are tiny; anything larger is not a plan and is refused before decoding.
pub const MAX_LEN: usize = 1 << 20;

/// What `init` does at boot.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BootPlan {
    /// Host name set with sethostname(2) before any service starts.
    pub hostname: String,
    /// Services in a dependency order: every service comes after all the
    /// services it needs, wants or is ordered after. Dependencies refer to
    /// services by their index in this list.
    pub services: Vec<Service>,
    /// Index of the service whose exit ends a container: in container mode
    /// init stops the rest and exits with this service's status, as tini
    /// does with its child. `None`: init exits once no service is left.
    pub main: Option<u16>,
    /// When a system booted for the first time after `ibox sysupgrade`
    /// counts as working.
    pub confirm: Confirm,
    /// Seconds the hardware watchdog waits for init's pet before it resets
    /// the machine (init pets it every third of that); 0 leaves the
    /// driver's own timeout. A driver that cannot do this many keeps its
    /// own, which init reads back and pets within.
    pub watchdog_secs: u32,
}

/// How init confirms a trial boot of a freshly written system slot: the
/// slot is marked good once every critical service is up (running and
/// ready, or a oneshot that finished successfully) within the deadline;
/// otherwise init reboots, and the firmware goes back to the old slot.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// Indices of the services that must be up. Empty: the boot is good
    /// once init has started its services.
    pub critical: Vec<u16>,
    /// Seconds from init's start.
    pub deadline_secs: u32,
}

impl Default for Confirm {
    fn default() -> Self {
        Confirm {
            critical: Vec::new(),
            deadline_secs: DEFAULT_CONFIRM_SECS,
        }
    }
}

/// How long a trial boot has by default to bring its critical services up.
pub const DEFAULT_CONFIRM_SECS: u32 = 300;

/// The hardware watchdog's timeout when neither board nor image sets one:
/// long enough for a loaded system's init to come round, short enough that
/// a hung device is back within a minute.
pub const DEFAULT_WATCHDOG_SECS: u32 = 30;

/// One supervised process.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Name used in logs.
    pub name: String,
    /// Program and arguments; `argv[0]` is an absolute path inside the image.
    pub argv: Vec<String>,
    /// Environment added to init's fixed base environment.
    pub env: Vec<(String, String)>,
    /// Working directory (`/` when `None`).
    pub cwd: Option<String>,
    /// Terminal device (e.g. `/dev/ttyS0`) to open as the service's
    /// controlling terminal and stdio, or `None` for `/dev/console`.
    pub tty: Option<String>,
    /// Long-running process, or a task that runs to completion.
    pub kind: Kind,
    /// Indices of services that must be ready first; if one fails, this
    /// service is not started.
    pub needs: Vec<u16>,
    /// Indices of services that are started first if they exist; their
    /// failure does not stop this one.
    pub wants: Vec<u16>,
    /// Indices of services this one starts after (ordering only).
    pub after: Vec<u16>,
    /// What init does when the process exits.
    pub restart: Restart,
    /// Restart delays.
    pub backoff: Backoff,
    /// Consecutive failed runs after which the service is marked failed
    /// and no longer restarted; 0 means never give up.
    pub failure_limit: u32,
    /// Signal number that asks the service to stop.
    pub stop_signal: i32,
    /// How long it gets to stop before SIGKILL, in milliseconds.
    pub stop_timeout_ms: u32,
    /// Identity to run as; `None` runs as root.
    pub user: Option<Credentials>,
    /// When a running daemon counts as ready for its dependents.
    pub readiness: Readiness,
    /// Resource limits set with setrlimit(2) before exec.
    pub rlimits: Vec<Rlimit>,
    /// cgroup v2 limits of the service's own group.
    pub cgroup: CgroupLimits,
    /// Where its standard output and error go.
    pub log: LogPolicy,
}

/// A user and its groups, resolved by the linker from the image's
/// /etc/passwd and /etc/group so that init reads no files to find them.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Supplementary group ids.
    pub groups: Vec<u32>,
    /// User name, for `USER`, `LOGNAME`.
    pub name: String,
    /// Home directory, for `HOME`.
    pub home: String,
}

/// When a daemon is ready.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// As soon as it has been started.
    Started,
    /// When it writes a newline to this file descriptor (the s6 and dinit
    /// convention); init gives it the write end of a pipe there.
    NotifyFd(u8),
}

/// Which resource a [`Rlimit`] limits.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// RLIMIT_NOFILE: open files.
    Nofile,
    /// RLIMIT_NPROC: processes of the user.
    Nproc,
    /// RLIMIT_CORE: core file size in bytes.
    Core,
    /// RLIMIT_AS: address space in bytes.
    As,
    /// RLIMIT_DATA: data segment in bytes.
    Data,
    /// RLIMIT_STACK: stack in bytes.
    Stack,
    /// RLIMIT_FSIZE: largest file written, in bytes.
    Fsize,
    /// RLIMIT_MEMLOCK: locked memory in bytes.
    Memlock,
    /// RLIMIT_CPU: CPU seconds.
    Cpu,
}

/// One resource limit; `u64::MAX` means unlimited.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    /// The resource.
    pub resource: Resource,
    /// Soft limit.
    pub soft: u64,
    /// Hard limit.
    pub hard: u64,
}

/// Limits written into the service's cgroup (`/sys/fs/cgroup/<name>`);
/// `None` leaves the kernel's default (no limit).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CgroupLimits {
    /// memory.max in bytes.
    pub memory_max: Option<u64>,
    /// cpu.max as (quota, period) in microseconds.
    pub cpu_max: Option<(u32, u32)>,
    /// pids.max.
    pub pids_max: Option<u32>,
}

/// What init does with a service's standard output and error (services on
/// a terminal write to the terminal instead).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPolicy {
    /// Rotate `/var/log/<name>.log` when it would grow past this many bytes.
    pub rotate_bytes: u32,
    /// Rotated files kept (`<name>.log.1` .. `.N`); 0 keeps none.
    pub keep: u8,
}

impl Default for LogPolicy {
    fn default() -> Self {
        LogPolicy {
            rotate_bytes: 1 << 20,
            keep: 3,
        }
    }
}

/// What kind of process a service is.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Runs until stopped; ready as soon as it has started.
    Daemon,
    /// Runs to completion; ready when it exited with status 0.
    Oneshot,
}

/// Restart policy of a service.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// Start it again whenever it exits (a console shell, a getty).
    Always,
    /// Start it again when it exits with a non-zero status or a signal.
    OnFailure,
    /// Run it once.
    Never,
}

/// Exponential restart delay: `initial_ms`, multiplied by `factor` after
/// each consecutive failure, at most `max_ms`; the sequence starts over
/// after a run of at least `reset_after_ms`.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First delay.
    pub initial_ms: u32,
    /// Growth per consecutive failure.
    pub factor: u32,
    /// Largest delay.
    pub max_ms: u32,
    /// A run this long counts as stable and resets delay and failure count.
    pub reset_after_ms: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_ms: 250,
            factor: 2,
            max_ms: 30_000,
            reset_after_ms: 10_000,
        }
    }
}

impl Service {
    /// A daemon running `argv` with every other setting at its default.
    pub fn daemon(name: &str, argv: &[&str], restart: Restart) -> Service {
        Service {
            name: name.into(),
            argv: argv.iter().map(|a| String::from(*a)).collect(),
            env: Vec::new(),
            cwd: None,
            tty: None,
            kind: Kind::Daemon,
            needs: Vec::new(),
            wants: Vec::new(),
            after: Vec::new(),
            restart,
            backoff: Backoff::default(),
            failure_limit: 0,
            stop_signal: 15,
            stop_timeout_ms: 5000,
            user: None,
            readiness: Readiness::Started,
            rlimits: Vec::new(),
            cgroup: CgroupLimits::default(),
            log: LogPolicy::default(),
        }
    }

    /// Every index this service waits for.
    pub fn dependencies(&self) -> impl Iterator<Item = u16> + '_ {
        self.needs
            .iter()
            .chain(&self.wants)
            .chain(&self.after)
            .copied()
    }
}

/// Why a byte string is not a plan this code can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the header, or longer than [`MAX_LEN`].
    BadLength(usize),
    /// The first four bytes are not [`MAGIC`].
    BadMagic,
    /// Written by a different format version.
    UnsupportedVersion(u16),
    /// The body is not a valid postcard encoding of [`BootPlan`].
    Malformed,
    /// Service number N depends on itself or a later service.
    BadDependency(usize),
    /// The main service index is not a service.
    BadMain(u16),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadLength(n) => write!(f, "plan has impossible length {n}"),
            DecodeError::BadMagic => f.write_str("not a boot plan (bad magic)"),
            DecodeError::UnsupportedVersion(v) => {
                write!(
                    f,
                    "boot plan version {v} is not supported (expected {VERSION})"
                )
            }
            DecodeError::Malformed => f.write_str("boot plan body is malformed"),
            DecodeError::BadDependency(i) => {
                write!(f, "boot plan service {i} depends on a later service")
            }
            DecodeError::BadMain(i) => write!(f, "boot plan main service {i} does not exist"),
        }
    }
}

impl BootPlan {
    /// Encodes the plan with its header.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        // Serializing owned strings and vectors into a Vec cannot fail.
        let body = postcard::to_allocvec(self).unwrap_or_default();
        out.extend_from_slice(&body);
        out
    }

    /// Decodes a plan, refusing anything that is not exactly a plan of
    /// this [`VERSION`].
    pub fn decode(bytes: &[u8]) -> Result<BootPlan, DecodeError> {
        if bytes.len() < 6 || bytes.len() > MAX_LEN {
            return Err(DecodeError::BadLength(bytes.len()));
        }
        if bytes[..4] != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let plan = match postcard::take_from_bytes::<BootPlan>(&bytes[6..]) {
            Ok((plan, [])) => plan,
            _ => return Err(DecodeError::Malformed),
        };
        // The linker writes services in dependency order; init relies on
        // it, so a plan whose dependencies point forward is refused.
        for (i, service) in plan.services.iter().enumerate() {
            if service.dependencies().any(|d| usize::from(d) >= i) {
                return Err(DecodeError::BadDependency(i));
            }
        }
        if let Some(main) = plan.main {
            if usize::from(main) >= plan.services.len() {
                return Err(DecodeError::BadMain(main));
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use proptest::prelude::*;

    fn sample() -> BootPlan {
        let mut shell = Service::daemon("console", &["/bin/sh"], Restart::Always);
        shell.tty = Some("/dev/ttyS0".to_string());
        let mut setup = Service::daemon("setup", &["/bin/true"], Restart::Never);
        setup.kind = Kind::Oneshot;
        shell.needs = vec![0];
        BootPlan {
            hostname: "ibex".to_string(),
            services: vec![setup, shell],
            main: None,
            confirm: Default::default(),
            watchdog_secs: DEFAULT_WATCHDOG_SECS,
        }
    }

    #[test]
    fn round_trip() {
        let plan = sample();
        assert_eq!(BootPlan::decode(&plan.encode()), Ok(plan));
    }

    #[test]
    fn refuses_wrong_header_trailing_bytes_and_forward_dependencies() {
        let mut bytes = sample().encode();
        bytes[0] = b'X';
        assert_eq!(BootPlan::decode(&bytes), Err(DecodeError::BadMagic));
        let mut bytes = sample().encode();
        bytes[4] = 1;
        assert_eq!(
            BootPlan::decode(&bytes),
            Err(DecodeError::UnsupportedVersion(1))
        );
        let mut bytes = sample().encode();
        bytes.push(0);
        assert_eq!(BootPlan::decode(&bytes), Err(DecodeError::Malformed));
        assert_eq!(BootPlan::decode(b"IBX"), Err(DecodeError::BadLength(3)));
        let mut plan = sample();
        plan.services[0].after = vec![1];
        assert_eq!(
            BootPlan::decode(&plan.encode()),
            Err(DecodeError::BadDependency(0))
        );
        let mut plan = sample();
        plan.main = Some(2);
        assert_eq!(
            BootPlan::decode(&plan.encode()),
            Err(DecodeError::BadMain(2))
        );
    }

    fn arb_service(index: u16) -> impl Strategy<Value = Service> {
        let deps = proptest::collection::vec(0..index.max(1), 0..3);
        (
            ".{0,12}",
            proptest::collection::vec(".{0,12}", 0..4),
            proptest::option::of(".{0,12}"),
            any::<bool>(),
            deps,
            any::<u32>(),
            (
                proptest::option::of((any::<u32>(), any::<u32>())),
                proptest::option::of(0u8..10),
                any::<Option<u64>>(),
                any::<u64>(),
            ),
        )
            .prop_map(
                move |(name, argv, tty, oneshot, deps, limit, (ids, notify, memory, nofile))| {
                    let mut s = Service::daemon(&name, &[], Restart::OnFailure);
                    s.argv = argv;
                    s.tty = tty;
                    s.kind = if oneshot { Kind::Oneshot } else { Kind::Daemon };
                    s.needs = if index == 0 { vec![] } else { deps };
                    s.failure_limit = limit;
                    s.user = ids.map(|(uid, gid)| Credentials {
                        uid,
                        gid,
                        groups: vec![gid],
                        name: "u".into(),
                        home: "/".into(),
                    });
                    s.readiness = notify.map_or(Readiness::Started, Readiness::NotifyFd);
                    s.cgroup.memory_max = memory;
                    s.rlimits = vec![Rlimit {
                        resource: Resource::Nofile,
                        soft: nofile,
                        hard: u64::MAX,
                    }];
                    s
                },
            )
    }

    proptest! {
        #[test]
        fn any_plan_round_trips(hostname in ".{0,20}", watchdog_secs in any::<u32>(), a in arb_service(0), b in arb_service(1), c in arb_service(2)) {
            let plan = BootPlan { hostname, services: vec![a, b, c], main: None, confirm: Default::default(), watchdog_secs };
            prop_assert_eq!(BootPlan::decode(&plan.encode()), Ok(plan));
        }

        #[test]
        fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&VERSION.to_le_bytes());
            bytes.extend_from_slice(&body);
            let _ = BootPlan::decode(&bytes);
            let _ = BootPlan::decode(&body);
        }

        #[test]
        fn mutated_plans_never_panic(flip in 6usize..200, value in any::<u8>()) {
            let mut bytes = sample().encode();
            let at = flip % bytes.len();
            bytes[at] = value;
            let _ = BootPlan::decode(&bytes);
        }
    }
}
