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
    cmd.args(["-m", &qemu.memory_mb.to_string()])
        .args(["-smp", "1", "-no-reboot"])
        // No network card: the image has no network drivers yet, and the
        // NIC's boot ROM (iPXE) only slows the boot down.
        .args(["-nic", "none"])
        .arg("-kernel")
        .arg(kernel)
        .args(["-append", append]);
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
    Ok(cmd)
}
