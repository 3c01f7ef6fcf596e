//! UEFI variables through efivarfs (`/sys/firmware/efi/efivars`).
//!
//! Each variable is a file named `Name-vendor-guid` whose contents are a
//! 4-byte little-endian attributes word followed by the data. A variable
//! must be written with one write(2). The kernel marks the variables the
//! firmware itself interprets (Boot####, BootOrder, …) immutable so that a
//! stray `rm -rf` cannot brick a machine; changing one means clearing the
//! inode's immutable flag first, as efibootmgr does.

use std::fs;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// Where efivarfs is mounted.
pub const DIR: &str = "/sys/firmware/efi/efivars";
/// Vendor GUID of the variables the firmware's boot manager reads.
pub const GLOBAL: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
/// Vendor GUID of Ibex's own variables.
pub const IBEX: &str = "8699a8a2-a3e1-454f-a096-ccdc5198b2c7";
/// Kept across power cycles, visible to the boot manager and to the OS.
pub const NV_BS_RT: u32 = 0x1 | 0x2 | 0x4;

/// `FS_IMMUTABLE_FL` of `FS_IOC_GETFLAGS`/`FS_IOC_SETFLAGS`.
const IMMUTABLE: libc_long = 0x10;
#[allow(non_camel_case_types)]
type libc_long = i64;

nix::ioctl_read!(get_flags, b'f', 1, libc_long);
nix::ioctl_write_ptr!(set_flags, b'f', 2, libc_long);

/// Whether this system was booted by UEFI firmware with efivarfs mounted.
pub fn available() -> bool {
    fs::read_dir(DIR).is_ok_and(|mut d| d.next().is_some())
}

fn path(name: &str, vendor: &str) -> PathBuf {
    PathBuf::from(DIR).join(format!("{name}-{vendor}"))
}

/// The data of a variable (without the attributes word), or `None` when
/// it does not exist.
pub fn read(name: &str, vendor: &str) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path(name, vendor)) {
        Ok(bytes) if bytes.len() >= 4 => Ok(Some(bytes[4..].to_vec())),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{name}: shorter than its attributes"),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates or replaces a variable (non-volatile, boot and runtime access).
pub fn write(name: &str, vendor: &str, data: &[u8]) -> io::Result<()> {
    let p = path(name, vendor);
    if p.exists() {
        make_mutable(&p)?;
    }
    let mut bytes = NV_BS_RT.to_le_bytes().to_vec();
    bytes.extend_from_slice(data);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&p)?;
    f.write_all(&bytes)
}

/// Deletes a variable; one that does not exist is not an error.
pub fn remove(name: &str, vendor: &str) -> io::Result<()> {
    let p = path(name, vendor);
    if !p.exists() {
        return Ok(());
    }
    make_mutable(&p)?;
    match fs::remove_file(&p) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Names of the variables of `vendor` whose names start with `prefix`.
pub fn list(prefix: &str, vendor: &str) -> Vec<String> {
    let suffix = format!("-{vendor}");
    let mut names: Vec<String> = fs::read_dir(DIR)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(&suffix).map(str::to_string))
        .filter(|n| n.starts_with(prefix))
        .collect();
    ibex_sort::sort(&mut names);
    names
}

/// Clears the immutable flag efivarfs puts on the firmware's variables.
fn make_mutable(p: &std::path::Path) -> io::Result<()> {
    let f = fs::File::open(p)?;
    let mut flags: libc_long = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one int into `flags`, which is larger.
    unsafe { get_flags(f.as_raw_fd(), &mut flags) }.map_err(io::Error::from)?;
    if flags & IMMUTABLE != 0 {
        flags &= !IMMUTABLE;
        // SAFETY: FS_IOC_SETFLAGS reads one int from `flags`.
        unsafe { set_flags(f.as_raw_fd(), &flags) }.map_err(io::Error::from)?;
    }
    Ok(())
}
