//! qemu-aarch64, the non-x86 board: its kernel is cross-built with Debian's
//! aarch64 compiler and booted in qemu-system-aarch64 to the point where it
//! runs /init from the built-in initramfs. Until Ibex's userland is built
//! for aarch64, /init is a tiny static C program (tests/aarch64-init/init.c)
//! that prints a marker on the console and powers the machine off.

use ibex_linker::definitions::Board;
use ibex_linker::qemu;
use ibex_tests::{kernel_builder, minimal_initramfs, root, Vm, BOOT_TIMEOUT};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// What init.c prints.
const MARKER: &str = "IBEX-AARCH64-INIT-OK";
/// The cross compiler scripts/setup installs (gcc-aarch64-linux-gnu).
const CC: &str = "aarch64-linux-gnu-gcc";

/// Cross-compiles the stand-in /init and returns its bytes.
fn cross_compile_init(out_dir: &Path) -> Vec<u8> {
    assert!(
        ibex_kernel::on_path(CC),
        "{CC} is not installed; run scripts/setup (apt-get install gcc-aarch64-linux-gnu)"
    );
    let source = root().join("tests/aarch64-init/init.c");
    let binary = out_dir.join("init");
    let output = Command::new(CC)
        .args(["-static", "-Os", "-s", "-o"])
        .arg(&binary)
        .arg(&source)
        .output()
        .expect("running the cross compiler");
    assert!(
        output.status.success(),
        "{CC} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(&binary).expect("reading the cross-compiled init")
}

#[test]
fn qemu_aarch64_boots_and_runs_init_from_the_initramfs() {
    let root = root();
    let board = Board::load(&root, "qemu-aarch64").expect("board definition");
    let out_dir = root.join("target/aarch64-test");
    std::fs::create_dir_all(&out_dir).unwrap();

    let init = cross_compile_init(&out_dir);
    let initramfs = out_dir.join("initramfs.cpio");
    std::fs::write(&initramfs, minimal_initramfs(Some(&init))).unwrap();

    let (builder, spec, _lock) = kernel_builder(&board);
    let started = Instant::now();
    let tree = builder
        .configure(&spec)
        .unwrap_or_else(|e| panic!("configuring the qemu-aarch64 kernel: {e}"));
    let image = builder
        .build_with_initramfs(&tree, &initramfs)
        .unwrap_or_else(|e| panic!("building the qemu-aarch64 kernel: {e}"));
    let size = std::fs::metadata(&image).unwrap().len();
    eprintln!(
        "qemu-aarch64: kernel ready in {:.0?}, {} is {size} bytes",
        started.elapsed(),
        image.display()
    );
    drop(_lock);

    let append = format!("console={},{} panic=-1", board.console, board.baud);
    let cmd = qemu::board_command(&board, &image, &append, qemu::Console::Piped)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut vm = Vm::start(cmd);
    vm.wait_for(MARKER, BOOT_TIMEOUT);
    eprintln!(
        "qemu-aarch64: /init ran {:.1?} after QEMU started",
        vm.uptime()
    );
    // init powers off through PSCI; with -no-reboot, QEMU then exits 0.
    let status = vm.wait_exit(BOOT_TIMEOUT);
    assert!(
        status.success(),
        "QEMU exited with {status}; console:\n{}",
        vm.transcript()
    );
    let console = vm.transcript();
    assert!(
        console.contains("reboot: Power down"),
        "the guest did not power off cleanly; console:\n{console}"
    );
}
