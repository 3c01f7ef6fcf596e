//! Booting a built image under QEMU (TCG: no KVM needed).

use crate::build::Built;
use crate::definitions::Board;
use crate::Error;
use std::path::Path;
use std::process::Command;

/// How QEMU's serial console is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// A person at a terminal: `-nographic` (Ctrl-A X quits QEMU).
    Interactive,
    /// A program on pipes: the serial port is QEMU's stdin/stdout, nothing else.
    Piped,
}

/// The kernel command line for `built`: console on the board's serial port,
/// reboot on panic (which, with `-no-reboot`, ends QEMU instead of hanging).
pub fn kernel_cmdline(built: &Built) -> String {
    format!(
        "console={},{} panic=-1 quiet",
        built.board.console, built.board.baud
    )
}

/// The QEMU command that boots `built`. QEMU exits when the guest powers off
/// or reboots.
pub fn command(built: &Built, console: Console) -> Result<Command, Error> {
    board_command(
        &built.board,
        &built.kernel_image,
        &kernel_cmdline(built),
        console,
    )
}

/// The QEMU command that boots `kernel` (any image of `board`, not
/// necessarily one `ibex build` made) with the command line `append`.
pub fn board_command(
    board: &Board,
    kernel: &Path,
    append: &str,
    console: Console,
) -> Result<Command, Error> {
    let mut cmd = emulator(board)?;
    cmd.arg("-no-reboot")
        .arg("-kernel")
        .arg(kernel)
        .args(["-append", append]);
    connect(&mut cmd, console);
    Ok(cmd)
}

/// QEMU for `board`'s machine, CPU and memory, one CPU and no network
/// card (the image has no network drivers yet, and the NIC's boot ROM
/// only slows the boot down).
fn emulator(board: &Board) -> Result<Command, Error> {
    let Some(qemu) = &board.qemu else {
        return Err(Error::Invalid(format!(
            "board '{}' cannot be emulated by QEMU",
            board.name
        )));
    };
    if !ibex_kernel::on_path(&qemu.binary) {
        return Err(Error::Tool(format!(
            "{} is not installed; install it with: apt-get install {}",
            qemu.binary, qemu.package
        )));
    }
    let mut cmd = Command::new(&qemu.binary);
    cmd.args(["-M", &qemu.machine]);
    if let Some(cpu) = &qemu.cpu {
        cmd.args(["-cpu", cpu]);
    }
    cmd.args(["-m", &qemu.memory_mb.to_string(), "-smp", "1"])
        .args(["-nic", "none"]);
    Ok(cmd)
}

/// Connects the guest's first serial port to `console`.
fn connect(cmd: &mut Command, console: Console) {
    match console {
        Console::Interactive => {
            cmd.arg("-nographic");
        }
        Console::Piped => {
            cmd.args(["-display", "none", "-monitor", "none"])
                .args(["-chardev", "stdio,id=console,signal=off"])
                .args(["-serial", "chardev:console"]);
        }
    }
}

/// Debian's `ovmf` package: UEFI firmware for x86_64 guests (4 MiB flash
/// layout, no Secure Boot enforcement).
pub const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
/// The template of OVMF's variable store; each machine gets a copy.
pub const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/// The QEMU command that boots `board` from the disk image `disk` under UEFI
/// firmware (OVMF), as a PC boots from its disk. `vars` is the machine's
/// own UEFI variable store (boot entries live there); it is made from the
/// template when missing and survives reboots and QEMU runs. `extra` disks
/// are attached after it, read-only. The guest may reboot (firmware and
/// all, as a real machine does); QEMU exits when it powers off.
pub fn firmware_command(
    board: &Board,
    disk: &Path,
    vars: &Path,
    extra: &[&Path],
    console: Console,
) -> Result<Command, Error> {
    if board.arch != "x86_64" {
        return Err(Error::Invalid(format!(
            "booting from a disk under UEFI is supported for x86_64 boards, not {}",
            board.arch
        )));
    }
    let mut cmd = emulator(board)?;
    if !Path::new(OVMF_CODE).exists() {
        return Err(Error::Tool(format!(
            "{OVMF_CODE} is missing; install UEFI firmware with: apt-get install ovmf"
        )));
    }
    if !vars.exists() {
        std::fs::copy(OVMF_VARS, vars).map_err(Error::io(vars))?;
    }
    let drive = |file: &Path, extra: &str| {
        let mut spec = std::ffi::OsString::from("file=");
        // QEMU's option syntax doubles commas inside values.
        spec.push(file.as_os_str().to_string_lossy().replace(',', ",,"));
        spec.push(extra);
        spec
    };
    // The watchdog init pets: a hung system is reset.
    cmd.args(["-device", "i6300esb"])
        .arg("-drive")
        .arg(drive(
            Path::new(OVMF_CODE),
            ",if=pflash,format=raw,unit=0,readonly=on",
        ))
        .arg("-drive")
        .arg(drive(vars, ",if=pflash,format=raw,unit=1"))
        .arg("-drive")
        .arg(drive(disk, ",if=virtio,format=raw"));
    for d in extra {
        cmd.arg("-drive")
            .arg(drive(d, ",if=virtio,format=raw,readonly=on"));
    }
    connect(&mut cmd, console);
    Ok(cmd)
}
