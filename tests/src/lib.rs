//! The test harness: builds images with the real linker, boots them in QEMU
//! (TCG) and talks to them over the serial console, the way a person at the
//! console would. Every VM is killed when its [`Vm`] is dropped, whatever the
//! test did.

use ibex_linker::build::{build, BuildOptions, Built};
use ibex_linker::qemu;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Generous: TCG on a loaded two-core machine can be slow, and a test must
/// never fail because the machine was slow.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(180);
/// Upper bound for one shell command.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(90);

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

/// Builds `board`/`image` into `out` (or the default output directory).
pub fn build_image(board: &str, image: &str, out: Option<PathBuf>) -> Result<Built, String> {
    let opts = BuildOptions {
        board: board.into(),
        image: image.into(),
        out,
        verbose: true,
        release: None,
    };
    build(&root(), &opts).map_err(|e| e.to_string())
}

/// Builds `board`/`image` as an OCI image layout into `out` (or the
/// default output directory); no kernel is built.
pub fn build_oci_image(
    board: &str,
    image: &str,
    out: Option<PathBuf>,
) -> Result<(Built, ibex_linker::oci::OciImage), String> {
    let opts = BuildOptions {
        board: board.into(),
        image: image.into(),
        out,
        verbose: true,
        release: None,
    };
    ibex_linker::build::build_oci(&root(), &opts).map_err(|e| e.to_string())
}

/// Whether this process runs as root (runc needs it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
}

/// The default image, built once per test process (the build is cached, so
/// after `ibex build` this only checks that everything is up to date).
pub fn default_image() -> &'static Built {
    static IMAGE: OnceLock<Result<Built, String>> = OnceLock::new();
    match IMAGE.get_or_init(|| build_image("qemu-x86_64", "default", None)) {
        Ok(built) => built,
        Err(e) => panic!("building the default image failed: {e}"),
    }
}

/// Everything the guest printed so far, shared with the reader thread.
struct Console {
    bytes: Mutex<Vec<u8>>,
    changed: Condvar,
}

/// A running QEMU guest.
pub struct Vm {
    child: Child,
    stdin: Option<ChildStdin>,
    console: Arc<Console>,
    /// Everything before this offset has been consumed by a wait.
    cursor: usize,
    started: Instant,
}

/// The result of one shell command.
#[derive(Debug)]
pub struct Output {
    /// What the command printed (both streams, as the console shows them),
    /// with `\r\n` turned into `\n` and the trailing newline removed.
    pub text: String,
    /// Its exit status, as `$?` reports it.
    pub status: i32,
}

impl Vm {
    /// Boots `built` and waits for the console shell's prompt.
    pub fn boot(built: &Built) -> Vm {
        let cmd = qemu::command(built, qemu::Console::Piped).expect("QEMU command");
        let mut vm = Vm::start(cmd);
        vm.wait_for("# ", BOOT_TIMEOUT);
        vm.plain_shell();
        vm
    }

    /// Boots `built` with network cards plugged in as `nics` lists them
    /// (the guest names them eth0, eth1… in that order) and waits for the
    /// console shell's prompt.
    pub fn boot_wired(built: &Built, nics: &[Nic]) -> Vm {
        Vm::boot_command(wired_command(built, nics))
    }

    /// Starts a QEMU command (see [`qemu::command`]) and waits for the
    /// console shell's prompt.
    pub fn boot_command(cmd: std::process::Command) -> Vm {
        let mut vm = Vm::start(cmd);
        vm.wait_for("# ", BOOT_TIMEOUT);
        vm.plain_shell();
        vm
    }

    /// After a reboot: waits for each of `markers` in turn (the last one
    /// printed by the system that comes up), then for its console shell,
    /// and makes it plain.
    pub fn shell_after(&mut self, markers: &[&str]) {
        for marker in markers {
            self.wait_for(marker, BOOT_TIMEOUT);
        }
        // The shell may have shown its prompt before the last marker: ask
        // for another.
        self.send("");
        self.wait_for("# ", BOOT_TIMEOUT);
        self.plain_shell();
    }

    /// Replaces the console shell at its prompt with one told the terminal
    /// is dumb. The console shell edits lines with escape sequences, which
    /// the tests would have to parse out of every echo (the line editor has
    /// its own tests over a pty). `$?` keeps the marker out of the echo.
    pub fn plain_shell(&mut self) {
        self.send("exec env TERM=dumb /bin/sh -c 'echo @@DUMB$?@@; exec /bin/sh'");
        self.wait_for("@@DUMB0@@", BOOT_TIMEOUT);
        self.wait_for("# ", BOOT_TIMEOUT);
    }

    /// Starts a QEMU command whose serial console is on its standard input
    /// and output ([`qemu::Console::Piped`]), without waiting for anything.
    pub fn start(mut cmd: std::process::Command) -> Vm {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting QEMU");
        let mut stdout = child.stdout.take().expect("QEMU stdout");
        let console = Arc::new(Console {
            bytes: Mutex::new(Vec::new()),
            changed: Condvar::new(),
        });
        let sink = Arc::clone(&console);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = stdout.read(&mut buf).unwrap_or(0);
                let mut bytes = sink.bytes.lock().unwrap_or_else(|p| p.into_inner());
                if n == 0 {
                    sink.changed.notify_all();
                    return;
                }
                bytes.extend_from_slice(&buf[..n]);
                sink.changed.notify_all();
            }
        });
        Vm {
            stdin: child.stdin.take(),
            child,
            console,
            cursor: 0,
            started: Instant::now(),
        }
    }

    /// Seconds since QEMU started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Everything the console showed so far.
    pub fn transcript(&self) -> String {
        let bytes = self.console.bytes.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
    }

    /// Waits until `needle` appears after the cursor; returns what came
    /// before it and moves the cursor past it. Panics with the transcript on
    /// timeout or if QEMU exits first.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let mut bytes = self.console.bytes.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(pos) = find(&bytes[self.cursor..], needle.as_bytes()) {
                let before = String::from_utf8_lossy(&bytes[self.cursor..self.cursor + pos])
                    .replace("\r\n", "\n");
                self.cursor += pos + needle.len();
                return before;
            }
            let now = Instant::now();
            let exited = matches!(self.child.try_wait(), Ok(Some(_)));
            if now >= deadline || exited {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                drop(bytes);
                panic!(
                    "waited {:?} for {needle:?} (QEMU {}); console so far:\n{text}",
                    timeout,
                    if exited { "exited" } else { "still running" }
                );
            }
            let wait = (deadline - now).min(Duration::from_millis(200));
            bytes = self
                .console
                .changed
                .wait_timeout(bytes, wait)
                .map(|(b, _)| b)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Types `line` and a newline at the console.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("QEMU stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|_| stdin.flush())
            .expect("writing to the console");
    }

    /// Runs `command` in the console shell and returns its output (without
    /// init's own console lines) and status.
    /// The command is followed by `echo @@DONE$?@@`: the terminal echoes the
    /// typed `$?` literally, so only the shell's own output can match the
    /// marker with a number in it.
    pub fn run(&mut self, command: &str) -> Output {
        self.send(&format!("{command}; echo @@DONE$?@@"));
        // Skip the terminal's echo of the line we typed.
        self.wait_for("@@DONE$?@@", COMMAND_TIMEOUT);
        let text = self.wait_for("@@DONE", COMMAND_TIMEOUT);
        let status = self.wait_for("@@", COMMAND_TIMEOUT);
        self.wait_for("# ", COMMAND_TIMEOUT);
        // The output starts after the newline that ends the echoed line.
        let text = text.strip_prefix('\n').unwrap_or(&text);
        // init reports services starting and stopping on the same console:
        // its lines are not the command's output.
        let text: Vec<&str> = text
            .split('\n')
            .filter(|line| !line.starts_with("init: "))
            .collect();
        Output {
            text: text.join("\n").trim_end_matches('\n').to_string(),
            status: status.trim().parse().unwrap_or(-1),
        }
    }

    /// Runs `command`, asserts it succeeded, and returns its output.
    pub fn ok(&mut self, command: &str) -> String {
        let out = self.run(command);
        assert_eq!(
            out.status, 0,
            "`{command}` failed with {}:\n{}",
            out.status, out.text
        );
        out.text
    }

    /// The RAM the guest's kernel manages, in KiB (`free -k`'s total):
    /// what a test checks to show that an image runs in a small machine.
    pub fn memory_total_kib(&mut self) -> u64 {
        let memory = self.ok("free -k");
        memory
            .lines()
            .find(|l| l.starts_with("Mem:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("no total in free's output:\n{memory}"))
    }

    /// Waits for QEMU to exit by itself (poweroff, reboot) within `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() >= deadline {
                panic!(
                    "QEMU still running after {timeout:?}; console:\n{}",
                    self.transcript()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The kernel builder for `board`'s kernel in the shared work area
/// (`target/kernel`), its spec, and the work area's lock (the same one
/// `ibex build` takes: build trees are shared, so one build at a time).
pub fn kernel_builder(
    board: &ibex_linker::definitions::Board,
) -> (ibex_kernel::Builder, ibex_kernel::KernelSpec, std::fs::File) {
    ibex_linker::build::kernel_builder(&root(), board, true).expect("kernel work area")
}

/// A minimal initramfs: /dev/console (so that the kernel gives /init a
/// console) and, when given, `init` as /init.
pub fn minimal_initramfs(init: Option<&[u8]>) -> Vec<u8> {
    use ibex_linker::cpio::{Node, Tree};
    let mut tree = Tree::new();
    tree.add("dev", Node::Dir { mode: 0o755 }).unwrap();
    tree.add(
        "dev/console",
        Node::CharDev {
            mode: 0o600,
            major: 5,
            minor: 1,
        },
    )
    .unwrap();
    if let Some(init) = init {
        tree.add(
            "init",
            Node::File {
                mode: 0o755,
                data: init.to_vec(),
            },
        )
        .unwrap();
    }
    tree.write(0).expect("writing the initramfs")
}

/// The QEMU command that boots `built` with the network cards `nics`
/// (eth0, eth1… in that order), for a test to add to before starting it.
pub fn wired_command(built: &Built, nics: &[Nic]) -> std::process::Command {
    let mut cmd = qemu::command(built, qemu::Console::Piped).expect("QEMU command");
    for (index, nic) in nics.iter().enumerate() {
        cmd.args(nic.qemu_args(index));
    }
    cmd
}

/// One Ethernet cable between two guests: QEMU's `dgram` network back-end
/// with each end a UDP socket on 127.0.0.1. Guests' frames travel only
/// over the host's loopback, so guest addresses exist on these virtual
/// links alone and the host's network is never touched.
#[derive(Debug, Clone, Copy)]
pub struct Cable {
    ports: [u16; 2],
}

impl Cable {
    /// A cable with two free UDP ports on 127.0.0.1 for its ends.
    pub fn new() -> Cable {
        // Bound at the same time, so the two ports differ; released just
        // before QEMU binds them.
        let a = std::net::UdpSocket::bind("127.0.0.1:0").expect("a free UDP port");
        let b = std::net::UdpSocket::bind("127.0.0.1:0").expect("a free UDP port");
        let port = |s: &std::net::UdpSocket| s.local_addr().expect("bound address").port();
        Cable {
            ports: [port(&a), port(&b)],
        }
    }

    /// The network card at one end (0 or 1) of the cable.
    pub fn end(&self, side: usize) -> Nic {
        Nic::Cable {
            local: self.ports[side],
            remote: self.ports[1 - side],
        }
    }
}

impl Default for Cable {
    fn default() -> Self {
        Cable::new()
    }
}

/// A guest's network card (virtio-net) and what it is plugged into.
#[derive(Debug, Clone, Copy)]
pub enum Nic {
    /// One end of a [`Cable`].
    Cable {
        /// UDP port of this end on 127.0.0.1.
        local: u16,
        /// UDP port of the other end.
        remote: u16,
    },
    /// QEMU's user-mode network (slirp): the guest is 10.0.2.15/24 behind
    /// a NAT whose gateway 10.0.2.2 is the host's 127.0.0.1.
    User,
}

impl Nic {
    /// QEMU arguments for this card as the guest's `index`th.
    pub fn qemu_args(&self, index: usize) -> Vec<String> {
        let id = format!("net{index}");
        let (netdev, mac_tail) = match *self {
            Nic::Cable { local, remote } => (
                format!(
                    "dgram,id={id},local.type=inet,local.host=127.0.0.1,local.port={local},\
                     remote.type=inet,remote.host=127.0.0.1,remote.port={remote}"
                ),
                local,
            ),
            Nic::User => (format!("user,id={id}"), index as u16),
        };
        // Every card on a link needs its own MAC: the local port is unique
        // on the host, so it makes one.
        let mac = format!(
            "52:54:00:{:02x}:{:02x}:{:02x}",
            matches!(self, Nic::User) as u8,
            mac_tail >> 8,
            mac_tail & 0xff
        );
        vec![
            "-netdev".into(),
            netdev,
            "-device".into(),
            format!("virtio-net-pci,netdev={id},mac={mac}"),
        ]
    }
}
