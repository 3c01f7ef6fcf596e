//! `losetup`: attach files to loop devices, detach them, and list them,
//! with the loop driver's ioctls (LOOP_SET_FD, LOOP_SET_STATUS64, ...).

use crate::common::{error_msg, getopt, perror, usage_error, Exit};
use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-rP] [-o OFS] {-f|LOOPDEV} FILE: associate loop devices\n\tlosetup -c LOOPDEV: reread file size\n\tlosetup -d LOOPDEV: disassociate\n\tlosetup -a: show status\n\tlosetup -f: show next free loop device\n\n\t-o OFS\tStart OFS bytes into FILE\n\t-P\tScan for partitions\n\t-r\tRead-only\n\t-f\tFind/use next free loop device\n\t--show\tPrint the device used (with -f FILE)";

const LOOP_SET_FD: u64 = 0x4C00;
const LOOP_CLR_FD: u64 = 0x4C01;
const LOOP_SET_STATUS64: u64 = 0x4C04;
const LOOP_GET_STATUS64: u64 = 0x4C05;
const LOOP_SET_CAPACITY: u64 = 0x4C07;
const LOOP_CTL_GET_FREE: u64 = 0x4C82;
const LO_FLAGS_READ_ONLY: u32 = 1;
const LO_FLAGS_PARTSCAN: u32 = 8;
const LO_NAME_SIZE: usize = 64;

/// The kernel's `struct loop_info64`.
#[repr(C)]
#[derive(Clone, Copy)]
struct LoopInfo64 {
    lo_device: u64,
    lo_inode: u64,
    lo_rdevice: u64,
    lo_offset: u64,
    lo_sizelimit: u64,
    lo_number: u32,
    lo_encrypt_type: u32,
    lo_encrypt_key_size: u32,
    lo_flags: u32,
    lo_file_name: [u8; LO_NAME_SIZE],
    lo_crypt_name: [u8; LO_NAME_SIZE],
    lo_encrypt_key: [u8; 32],
    lo_init: [u64; 2],
}

impl LoopInfo64 {
    fn zeroed() -> LoopInfo64 {
        LoopInfo64 {
            lo_device: 0,
            lo_inode: 0,
            lo_rdevice: 0,
            lo_offset: 0,
            lo_sizelimit: 0,
            lo_number: 0,
            lo_encrypt_type: 0,
            lo_encrypt_key_size: 0,
            lo_flags: 0,
            lo_file_name: [0; LO_NAME_SIZE],
            lo_crypt_name: [0; LO_NAME_SIZE],
            lo_encrypt_key: [0; 32],
            lo_init: [0; 2],
        }
    }
}

/// ioctl(2) on `file`; -1 becomes the error.
fn ioctl<T>(file: &File, request: u64, arg: T) -> std::io::Result<i32> {
    // SAFETY: each request here is given the argument type the loop
    // driver expects (an fd, an integer, or a pointer to a LoopInfo64 that
    // lives for the call).
    let r = unsafe { nix::libc::ioctl(file.as_raw_fd(), request as _, arg) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "acdfo:rP",
        &[
            ("show", 'S'),
            ("all", 'a'),
            ("detach", 'd'),
            ("find", 'f'),
            ("offset", 'o'),
            ("read-only", 'r'),
            ("partscan", 'P'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let offset = match p.value('o') {
        Some(o) => match crate::text::parse_num::<u64>("losetup", o) {
            Some(n) => n,
            None => return 1,
        },
        None => 0,
    };
    let ops = &p.operands;
    if p.has('d') {
        if ops.is_empty() {
            return usage_error("losetup", "no loop device given");
        }
        let mut status = 0;
        for dev in ops {
            if let Err(e) = File::open(dev).and_then(|f| ioctl(&f, LOOP_CLR_FD, 0)) {
                perror("losetup", dev.to_string_lossy(), &e);
                status = 1;
            }
        }
        return status;
    }
    if p.has('c') {
        let [dev] = ops.as_slice() else {
            return usage_error("losetup", "one loop device expected");
        };
        return match File::open(dev).and_then(|f| ioctl(&f, LOOP_SET_CAPACITY, 0)) {
            Ok(_) => 0,
            Err(e) => {
                perror("losetup", dev.to_string_lossy(), &e);
                1
            }
        };
    }
    if p.has('a') || (ops.is_empty() && !p.has('f')) {
        if !ops.is_empty() {
            return usage_error("losetup", "-a takes no operands");
        }
        return list_all();
    }
    let flags = (if p.has('r') { LO_FLAGS_READ_ONLY } else { 0 })
        | (if p.has('P') { LO_FLAGS_PARTSCAN } else { 0 });
    let (device, file) = match (p.has('f'), ops.as_slice()) {
        (true, []) => {
            return match free_device() {
                Ok(dev) => say(&dev),
                Err(e) => {
                    perror("losetup", "can't find free loop device", &e);
                    1
                }
            }
        }
        (true, [file]) => match free_device() {
            Ok(dev) => (OsString::from(dev), file),
            Err(e) => {
                perror("losetup", "can't find free loop device", &e);
                return 1;
            }
        },
        (false, [dev]) => return show_one(dev),
        (false, [dev, file]) => (dev.clone(), file),
        _ => return usage_error("losetup", "too many arguments"),
    };
    match attach(&device, file, offset, flags) {
        Ok(()) if p.has('S') => say(&device.to_string_lossy()),
        Ok(()) => 0,
        Err(msg) => {
            error_msg("losetup", &msg);
            1
        }
    }
}

/// Prints one line on standard output.
fn say(line: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("losetup", &e),
    }
}

/// The first free loop device, from /dev/loop-control.
fn free_device() -> std::io::Result<String> {
    let ctl = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/loop-control")?;
    let n = ioctl(&ctl, LOOP_CTL_GET_FREE, 0)?;
    Ok(format!("/dev/loop{n}"))
}

/// Attaches `file` to `device` with the offset and flags.
fn attach(device: &OsStr, file: &OsStr, offset: u64, flags: u32) -> Result<(), String> {
    let read_only = flags & LO_FLAGS_READ_ONLY != 0;
    let open = |path: &OsStr, ro: bool| OpenOptions::new().read(true).write(!ro).open(path);
    // A file we may not write is attached read-only, as BusyBox does.
    let backing = open(file, read_only)
        .or_else(|_| open(file, true))
        .map_err(|e| {
            format!(
                "can't open '{}': {}",
                file.to_string_lossy(),
                crate::common::strerror(&e)
            )
        })?;
    let dev = open(device, read_only).map_err(|e| {
        format!(
            "can't open '{}': {}",
            device.to_string_lossy(),
            crate::common::strerror(&e)
        )
    })?;
    ioctl(&dev, LOOP_SET_FD, backing.as_raw_fd()).map_err(|e| {
        format!(
            "{}: {}",
            device.to_string_lossy(),
            crate::common::strerror(&e)
        )
    })?;
    let mut info = LoopInfo64::zeroed();
    info.lo_offset = offset;
    info.lo_flags = flags;
    let name = std::fs::canonicalize(file)
        .map(|p| p.into_os_string())
        .unwrap_or_else(|_| file.to_os_string());
    let n = name.len().min(LO_NAME_SIZE - 1);
    info.lo_file_name[..n].copy_from_slice(&name.as_bytes()[..n]);
    if let Err(e) = ioctl(&dev, LOOP_SET_STATUS64, &info as *const LoopInfo64) {
        let _ = ioctl(&dev, LOOP_CLR_FD, 0);
        return Err(format!(
            "{}: {}",
            device.to_string_lossy(),
            crate::common::strerror(&e)
        ));
    }
    Ok(())
}

/// The status of a loop device; ENXIO means it is free.
fn status(device: &OsStr) -> Result<LoopInfo64, std::io::Error> {
    let dev = File::open(device)?;
    let mut info = LoopInfo64::zeroed();
    ioctl(&dev, LOOP_GET_STATUS64, &mut info as *mut LoopInfo64)?;
    Ok(info)
}

/// BusyBox's status line: `DEVICE: OFFSET FILE`.
fn line(device: &OsStr, info: &LoopInfo64) -> String {
    let end = info
        .lo_file_name
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(LO_NAME_SIZE);
    format!(
        "{}: {} {}",
        device.to_string_lossy(),
        info.lo_offset,
        String::from_utf8_lossy(&info.lo_file_name[..end])
    )
}

/// `losetup LOOPDEV`.
fn show_one(device: &OsStr) -> i32 {
    match status(device) {
        Ok(info) => say(&line(device, &info)),
        Err(e) => {
            perror("losetup", device.to_string_lossy(), &e);
            1
        }
    }
}

/// `losetup -a`: every loop device in use, by number.
fn list_all() -> i32 {
    let mut numbers: Vec<u32> = std::fs::read_dir("/dev")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str()?.strip_prefix("loop")?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    ibex_sort::sort(&mut numbers);
    let mut out = String::new();
    for n in numbers {
        let dev = OsString::from(format!("/dev/loop{n}"));
        // Free devices (ENXIO) and ones we may not open are not shown.
        if let Ok(info) = status(&dev) {
            out.push_str(&line(&dev, &info));
            out.push('\n');
        }
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("losetup", &e),
    }
}
