//! `blkid [DEVICE|FILE]...`: identify filesystems by their superblocks
//! (ext2/3/4, vfat, squashfs, iso9660, swap) and show their LABEL, UUID and
//! TYPE. Without operands, every device in /proc/partitions.

use crate::common::{getopt, perror, Exit};
use crate::fsprobe::{partitions, probe};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[BLOCKDEV]...\n\nPrint UUIDs of all filesystems";

/// Entry point: one line per identified device; status 2 if none was.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let (names, listed) = if p.operands.is_empty() {
        (partitions(), true)
    } else {
        (p.operands.clone(), false)
    };
    let mut out = std::io::stdout().lock();
    let mut found = false;
    let mut status = 0;
    for name in &names {
        let probe = match std::fs::File::open(name) {
            Ok(mut f) => probe(&mut f),
            Err(e) => {
                // Devices from /proc/partitions we may not read are skipped.
                if !listed {
                    perror(
                        "blkid",
                        format!("can't open '{}'", name.to_string_lossy()),
                        &e,
                    );
                    status = 2;
                }
                continue;
            }
        };
        let Some(pr) = probe else {
            continue;
        };
        found = true;
        let mut line = name.as_bytes().to_vec();
        line.push(b':');
        if !pr.label.is_empty() {
            line.extend_from_slice(b" LABEL=\"");
            line.extend_from_slice(&pr.label);
            line.push(b'"');
        }
        if !pr.uuid.is_empty() {
            line.extend_from_slice(format!(" UUID=\"{}\"", pr.uuid).as_bytes());
        }
        line.extend_from_slice(format!(" TYPE=\"{}\"\n", pr.fstype).as_bytes());
        if let Err(e) = out.write_all(&line) {
            return crate::text::write_failed("blkid", &e);
        }
    }
    if !found && status == 0 {
        status = 2;
    }
    crate::text::finish("blkid", &mut out, status)
}
