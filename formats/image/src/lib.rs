//! Ibex's disk and system image formats, shared by the host linker (which
//! writes disk images and signed system images) and the device (where
//! `ibox sysupgrade` and init read them):
//!
//! - [`sysimage`]: the signed system image ("sysupgrade file") written
//!   into an A/B slot: a 512-byte signed header, then the payload;
//! - [`gpt`]: GUID partition tables (UEFI 2.x chapter 5), writer, reader
//!   and a 1 MiB-aligned partition layout;
//! - [`efi`]: UEFI load options (`Boot####` variables) with the
//!   hard-drive and file-path device-path nodes, `BootOrder` arrays and
//!   the efivarfs file framing.
//!
//! Byte layouts are in `docs/formats.md`. Every reader takes untrusted
//! bytes: it checks lengths before indexing and returns the module's
//! error enum instead of panicking, whatever the input.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod efi;
pub mod gpt;
pub mod sysimage;

pub use gpt::Guid;

/// Copies the `N` bytes at `at`. Callers check lengths first; should a
/// check ever be wrong this returns zeros rather than panic.
fn array<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut a = [0; N];
    if let Some(s) = at.checked_add(N).and_then(|end| b.get(at..end)) {
        a.copy_from_slice(s);
    }
    a
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(array(b, at))
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(array(b, at))
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(array(b, at))
}

#[cfg(test)]
mod tests;
