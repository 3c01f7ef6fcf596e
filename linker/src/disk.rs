//! `ibex build --format disk`: a GPT disk image that UEFI firmware boots
//! with no boot loader, and the signed system image `ibox sysupgrade`
//! writes into the other slot.
//!
//! The board's `[layout]` names the parts. Each part with `role = "slot"`
//! is a system slot: a small FAT filesystem holding the single-binary image
//! (the kernel with its EFI stub and the root filesystem inside) as
//! `EFI/BOOT/BOOTX64.EFI`. The first slot has the EFI system partition's
//! type, so firmware with no boot entries yet finds it by the removable-media
//! path; the second stays empty until the first upgrade. A/B switching and
//! rollback use UEFI boot entries (see `docs/formats.md`, "A/B slots").
//!
//! Everything is derived from the inputs: partition GUIDs hash the board,
//! image and part names, the FAT filesystem has fixed dates and volume id,
//! so two builds give the same bytes.

use crate::build::{build, write_atomic, write_atomic_with, BuildOptions, Built};
use crate::definitions::{Medium, PartRole};
use crate::Error;
use ibex_image::gpt::{self, Guid};
use ibex_image::sysimage::{self, PayloadKind};
use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Size given to an open-ended last part in a written disk image (the
/// device can grow it to the medium's size).
const OPEN_ENDED_KIB: u64 = 16 * 1024;
/// The path UEFI firmware boots from a removable medium (x86_64).
pub const BOOT_PATH: [&str; 3] = ["EFI", "BOOT", "BOOTX64.EFI"];

/// A finished disk build.
#[derive(Debug, Clone)]
pub struct DiskBuilt {
    /// The kernel build it contains.
    pub built: Built,
    /// The whole-disk image (`disk.img`).
    pub disk: PathBuf,
    /// The signed system image for `ibox sysupgrade` (`sysupgrade.ibx`).
    pub sysupgrade: PathBuf,
    /// Size of the slot filesystem (the system image's payload).
    pub slot_bytes: u64,
}

/// Builds the image, then its disk image and signed system image.
pub fn build_disk(root: &Path, opts: &BuildOptions) -> Result<DiskBuilt, Error> {
    // Check the layout before spending minutes on a build.
    let board = crate::definitions::Board::load(root, &opts.board)?;
    let layout = match &board.layout {
        Some(l) if l.medium == Medium::Disk => l.clone(),
        _ => {
            return Err(Error::Invalid(format!(
                "board '{}' has no disk layout: --format disk needs a [layout] with \
                 medium = \"disk\"",
                board.name
            )))
        }
    };
    let slots = layout
        .parts
        .iter()
        .filter(|p| p.role == PartRole::Slot)
        .count();
    if slots != 2 {
        return Err(Error::Invalid(format!(
            "board '{}': a disk layout needs exactly two parts with role = \"slot\" (A and B), \
             it has {slots}",
            board.name
        )));
    }
    let built = build(root, opts)?;
    if !built.image.trust_dev_key && built.image.packages.is_empty() {
        opts.say(&format!(
            "warning: image '{}' does not trust the development key that signs its system \
             image: `ibox sysupgrade` on it will refuse the file (set trust_dev_key = true)",
            built.image.name
        ));
    }

    let kernel = fs::read(&built.kernel_image).map_err(Error::io(&built.kernel_image))?;
    let seed = format!("{}/{}", built.board.name, built.image.name);
    let slot = slot_filesystem(&kernel, volume_id(&seed))?;
    opts.say(&format!(
        "disk: slot filesystem {} bytes (kernel {} bytes)",
        slot.len(),
        kernel.len()
    ));

    let sealed = seal_with_dev_key(
        root,
        &built.board.name,
        opts.release(),
        PayloadKind::EfiSlot,
        &slot,
    )?;
    let sysupgrade = built.dir.join("sysupgrade.ibx");
    write_atomic(&sysupgrade, &sealed)?;

    // Parts in order; sizes in 512-byte sectors.
    let mut requests = Vec::new();
    for part in &layout.parts {
        let kib = part.size_kib.unwrap_or(OPEN_ENDED_KIB);
        let sectors = kib * 1024 / gpt::SECTOR;
        if part.role == PartRole::Slot && sectors * gpt::SECTOR < slot.len() as u64 {
            return Err(Error::Invalid(format!(
                "board '{}': slot '{}' holds {} KiB but the slot filesystem needs {} KiB",
                built.board.name,
                part.name,
                kib,
                slot.len().div_ceil(1024)
            )));
        }
        let type_guid = if part.role == PartRole::Slot {
            Guid::EFI_SYSTEM
        } else {
            Guid::LINUX_FILESYSTEM
        };
        requests.push((part.name.clone(), type_guid, sectors));
    }
    let total_sectors: u64 = 2048
        + requests
            .iter()
            .map(|r| r.2.div_ceil(2048) * 2048)
            .sum::<u64>()
        + 2048;
    let disk_guid = Guid::from_hash(seed.as_bytes());
    let partitions = gpt::layout(
        total_sectors,
        &disk_guid,
        &requests
            .iter()
            .map(|(name, ty, sectors)| (name.as_str(), *ty, Some(*sectors)))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| Error::Invalid(format!("disk layout: {e}")))?;
    let table = gpt::Table {
        disk_guid,
        partitions,
    };
    let (primary, backup) = gpt::write(&table, total_sectors)
        .map_err(|e| Error::Invalid(format!("partition table: {e}")))?;

    let first_slot = layout
        .parts
        .iter()
        .position(|p| p.role == PartRole::Slot)
        .unwrap_or(0);
    let slot_offset = table.partitions[first_slot].first_lba * gpt::SECTOR;
    let disk = built.dir.join("disk.img");
    write_sparse(
        &disk,
        total_sectors * gpt::SECTOR,
        &[
            (0, &primary),
            (slot_offset, &slot),
            ((total_sectors - 33) * gpt::SECTOR, &backup),
        ],
    )?;
    opts.say(&format!(
        "disk: {} ({} MiB: {}), system image {} ({} bytes)",
        disk.display(),
        (total_sectors * gpt::SECTOR) >> 20,
        table
            .partitions
            .iter()
            .map(|p| format!("{} {} MiB", p.name, (p.sectors() * gpt::SECTOR) >> 20))
            .collect::<Vec<_>>()
            .join(", "),
        sysupgrade.display(),
        sealed.len()
    ));
    Ok(DiskBuilt {
        built,
        disk,
        sysupgrade,
        slot_bytes: slot.len() as u64,
    })
}

/// A FAT volume id derived from the image's name (reproducible).
fn volume_id(seed: &str) -> u32 {
    let digest = ibex_package::sha256(seed.as_bytes());
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A FAT filesystem just large enough for `kernel` as the removable-media
/// boot program, rounded up to whole MiB.
pub fn slot_filesystem(kernel: &[u8], volume_id: u32) -> Result<Vec<u8>, Error> {
    let size = (kernel.len() as u64 + (1 << 20)).div_ceil(1 << 20) << 20;
    let mut image = vec![0u8; size as usize];
    let fat_err =
        |e: std::io::Error| Error::Tool(format!("writing the slot's FAT filesystem: {e}"));
    fatfs::format_volume(
        std::io::Cursor::new(&mut image[..]),
        fatfs::FormatVolumeOptions::new()
            .volume_id(volume_id)
            .volume_label(*b"IBEX       "),
    )
    .map_err(fat_err)?;
    {
        let fs = fatfs::FileSystem::new(
            std::io::Cursor::new(&mut image[..]),
            fatfs::FsOptions::new(),
        )
        .map_err(fat_err)?;
        let mut dir = fs.root_dir();
        for name in &BOOT_PATH[..BOOT_PATH.len() - 1] {
            dir = dir.create_dir(name).map_err(fat_err)?;
        }
        let mut file = dir
            .create_file(BOOT_PATH[BOOT_PATH.len() - 1])
            .map_err(fat_err)?;
        file.truncate().map_err(fat_err)?;
        file.write_all(kernel).map_err(fat_err)?;
        file.flush().map_err(fat_err)?;
        drop(file);
        drop(dir);
        fs.unmount().map_err(fat_err)?;
    }
    Ok(image)
}

/// Writes a file of `len` bytes holding `pieces` at their offsets and
/// zeros (holes) elsewhere, atomically.
fn write_sparse(path: &Path, len: u64, pieces: &[(u64, &[u8])]) -> Result<(), Error> {
    write_atomic_with(path, |f| {
        f.set_len(len)?;
        for (offset, bytes) in pieces {
            f.seek(SeekFrom::Start(*offset))?;
            f.write_all(bytes)?;
        }
        Ok(())
    })
}

/// `payload` sealed as a system image for `board`, signed with the
/// checkout's development key (made on first use).
pub fn seal_with_dev_key(
    root: &Path,
    board: &str,
    release: &str,
    kind: PayloadKind,
    payload: &[u8],
) -> Result<Vec<u8>, Error> {
    let (secret, _) = crate::pkg::dev_key(root)?;
    let key_text = fs::read_to_string(&secret).map_err(Error::io(&secret))?;
    let key = ibex_package::SigningKey::from_text(&key_text)
        .ok_or_else(|| Error::Invalid(format!("{}: not a signing key", secret.display())))?;
    sysimage::seal(board, release, kind, payload, &key)
        .map_err(|e| Error::Invalid(format!("sealing the system image: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn slot_filesystem_holds_the_kernel_and_is_reproducible() {
        let kernel: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let a = slot_filesystem(&kernel, 0x1234_5678).unwrap();
        let b = slot_filesystem(&kernel, 0x1234_5678).unwrap();
        assert!(a == b, "two slot filesystems of the same kernel differ");
        assert_eq!(a.len() % (1 << 20), 0);
        let fs = fatfs::FileSystem::new(std::io::Cursor::new(a), fatfs::FsOptions::new()).unwrap();
        let mut file = fs
            .root_dir()
            .open_file(&BOOT_PATH.join("/"))
            .expect("EFI/BOOT/BOOTX64.EFI");
        let mut back = Vec::new();
        file.read_to_end(&mut back).unwrap();
        assert!(back == kernel, "the boot program differs from the kernel");
        assert_eq!(fs.volume_id(), 0x1234_5678);
    }
}
