//! `mtd [-q] [-r] write FILE|- DEVICE`, `verify FILE|- DEVICE`,
//! `erase DEVICE`, `unlock DEVICE`: OpenWrt's tool for raw flash
//! partitions. DEVICE is a partition's name from /proc/mtd (`firmware`),
//! `mtdN` or `/dev/mtdN`; see [`crate::mtd`].

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use crate::mtd::{self, Mtd};
use std::ffi::OsString;
use std::io::Read;

pub const USAGE: &str = "[-q] [-r] COMMAND [FILE] DEVICE\n\nWrite, verify or erase a raw flash (MTD) partition. DEVICE is its name\nin /proc/mtd (firmware), mtdN or /dev/mtdN\n\n\twrite FILE|-\tErase the partition and write FILE (- for stdin)\n\t\t\tinto it, then read it back and compare\n\tverify FILE|-\tCompare the partition with FILE\n\terase\t\tErase the whole partition\n\tunlock\t\tUnlock the partition (erase and write do it too)\n\n\t-q\tNo progress messages\n\t-r\tReboot after success";

const NAME: &str = "mtd";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "qr", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let quiet = p.has('q');
    let operands: Vec<String> = p.operands.iter().map(|a| lossy(a).into_owned()).collect();
    let operands: Vec<&str> = operands.iter().map(String::as_str).collect();
    if !matches!(
        operands[..],
        ["write" | "verify", _, _] | ["erase" | "unlock", _]
    ) {
        return usage_error(NAME, "a command and a device are needed");
    }
    if let Err(e) = run(&operands, quiet) {
        error_msg(NAME, &e);
        return 1;
    }
    if p.has('r') {
        if let Err(e) = crate::common::ask_init_to_reboot() {
            error_msg(NAME, &e);
            return 1;
        }
    }
    0
}

/// Carries out one command (its operands checked by `main`).
fn run(operands: &[&str], quiet: bool) -> Result<(), String> {
    let device = operands[operands.len() - 1];
    let mut part = Mtd::open(mtd::find(device)?)?;
    match operands[0] {
        "write" => {
            let data = read(operands[1])?;
            part.write(&data, |done| {
                if !quiet {
                    eprintln!("{NAME}: writing {device}: {done}%");
                }
            })?;
            if !quiet {
                eprintln!(
                    "{NAME}: {device}: {} bytes written and verified",
                    data.len()
                );
            }
        }
        "verify" => {
            part.verify(&read(operands[1])?)?;
            if !quiet {
                eprintln!("{NAME}: {device}: the same as {}", operands[1]);
            }
        }
        "erase" => {
            part.erase_all()?;
            if !quiet {
                eprintln!("{NAME}: {device}: {} bytes erased", part.size);
            }
        }
        _ => part.unlock_all(),
    }
    Ok(())
}

/// The whole of `file`, or of standard input for `-`.
fn read(file: &str) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    let got = if file == "-" {
        std::io::stdin().lock().read_to_end(&mut data)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut data))
    };
    got.map_err(|e| format!("{file}: {}", crate::common::strerror(&e)))?;
    Ok(data)
}
