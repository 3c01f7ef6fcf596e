//! `ibex build --format flash`: the firmware part of a raw flash layout
//! (SPI NOR routers) and the signed system image that carries it.
//!
//! The board's `[layout]` gives the medium's size, its erase block and the
//! parts in order; offsets follow from the sizes. Parts with
//! `role = "kept"` (boot loader, its environment, calibration data) belong
//! to the board and are never written; the part with `role = "firmware"`
//! receives the single-binary image, padded with 0xFF (erased flash) to a
//! whole number of erase blocks.

use crate::build::{build, write_atomic, BuildOptions, Built};
use crate::definitions::{LayoutDef, Medium, PartRole};
use crate::Error;
use ibex_image::sysimage::PayloadKind;
use std::fs;
use std::path::{Path, PathBuf};

/// One part of a flash layout, placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashPart {
    /// Its name (the MTD partition's).
    pub name: String,
    /// Byte offset from the start of the flash.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
    /// What is written there.
    pub role: PartRole,
}

/// Places the parts of a flash layout: each starts where the previous
/// ends, the last one without a size takes the rest. Every offset and size
/// must be a whole number of erase blocks and everything must fit.
pub fn plan(board: &str, layout: &LayoutDef) -> Result<Vec<FlashPart>, Error> {
    let bad = |msg: String| Error::Invalid(format!("board '{board}': flash layout: {msg}"));
    if layout.medium != Medium::Flash {
        return Err(bad("the medium is not flash".into()));
    }
    let (Some(size_kib), Some(erase_kib)) = (layout.size_kib, layout.erase_kib) else {
        return Err(bad("size_kib and erase_kib are required".into()));
    };
    if erase_kib == 0 || size_kib % erase_kib != 0 {
        return Err(bad(format!(
            "the medium ({size_kib} KiB) is not a whole number of {erase_kib} KiB erase blocks"
        )));
    }
    let mut parts = Vec::new();
    let mut offset_kib = 0;
    for part in &layout.parts {
        let kib = match part.size_kib {
            Some(k) => k,
            None => size_kib.saturating_sub(offset_kib),
        };
        if kib == 0 || kib % erase_kib != 0 {
            return Err(bad(format!(
                "part '{}' ({kib} KiB) is not a whole number of {erase_kib} KiB erase blocks",
                part.name
            )));
        }
        if offset_kib + kib > size_kib {
            return Err(bad(format!(
                "part '{}' ends at {} KiB, past the end of the {size_kib} KiB medium",
                part.name,
                offset_kib + kib
            )));
        }
        parts.push(FlashPart {
            name: part.name.clone(),
            offset: offset_kib * 1024,
            size: kib * 1024,
            role: part.role,
        });
        offset_kib += kib;
    }
    let firmware = parts
        .iter()
        .filter(|p| p.role == PartRole::Firmware)
        .count();
    if firmware != 1 {
        return Err(bad(format!(
            "needs exactly one part with role = \"firmware\", it has {firmware}"
        )));
    }
    Ok(parts)
}

/// The contents of the firmware part for `image`: the image padded with
/// 0xFF to whole erase blocks. Refused when it does not fit.
pub fn firmware_image(
    board: &str,
    layout: &LayoutDef,
    image: &[u8],
) -> Result<(FlashPart, Vec<u8>), Error> {
    let parts = plan(board, layout)?;
    let Some(part) = parts.into_iter().find(|p| p.role == PartRole::Firmware) else {
        return Err(Error::Invalid(format!("board '{board}': no firmware part")));
    };
    if image.len() as u64 > part.size {
        return Err(Error::Invalid(format!(
            "board '{board}': the image ({} bytes) does not fit the firmware part '{}' ({} bytes)",
            image.len(),
            part.name,
            part.size
        )));
    }
    let erase = layout.erase_kib.unwrap_or(64) * 1024;
    let len = (image.len() as u64).div_ceil(erase).max(1) * erase;
    let mut bytes = image.to_vec();
    bytes.resize(len as usize, 0xff);
    Ok((part, bytes))
}

/// A finished flash build.
#[derive(Debug, Clone)]
pub struct FlashBuilt {
    /// The kernel build it contains.
    pub built: Built,
    /// The firmware part's contents (`firmware.bin`), to be written at
    /// `offset`.
    pub firmware: PathBuf,
    /// Where the firmware part starts on the flash.
    pub offset: u64,
    /// The signed system image for `ibox sysupgrade` (`sysupgrade.ibx`).
    pub sysupgrade: PathBuf,
}

/// Builds the image, then its firmware part and signed system image.
pub fn build_flash(root: &Path, opts: &BuildOptions) -> Result<FlashBuilt, Error> {
    let board = crate::definitions::Board::load(root, &opts.board)?;
    let layout = match &board.layout {
        Some(l) if l.medium == Medium::Flash => l.clone(),
        _ => {
            return Err(Error::Invalid(format!(
                "board '{}' has no flash layout: --format flash needs a [layout] with \
                 medium = \"flash\"",
                board.name
            )))
        }
    };
    // Check the layout before spending minutes on a build.
    plan(&board.name, &layout)?;
    let built = build(root, opts)?;
    let kernel = fs::read(&built.kernel_image).map_err(Error::io(&built.kernel_image))?;
    let (part, bytes) = firmware_image(&board.name, &layout, &kernel)?;
    let firmware = built.dir.join("firmware.bin");
    write_atomic(&firmware, &bytes)?;
    let sealed = crate::disk::seal_with_dev_key(
        root,
        &board.name,
        opts.release(),
        PayloadKind::Flash,
        &bytes,
    )?;
    let sysupgrade = built.dir.join("sysupgrade.ibx");
    write_atomic(&sysupgrade, &sealed)?;
    opts.say(&format!(
        "flash: {} ({} bytes for part '{}' at {:#x}, {} bytes free), system image {}",
        firmware.display(),
        bytes.len(),
        part.name,
        part.offset,
        part.size - bytes.len() as u64,
        sysupgrade.display()
    ));
    Ok(FlashBuilt {
        built,
        firmware,
        offset: part.offset,
        sysupgrade,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::Board;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn every_flash_board_layout_matches_its_definition() {
        for name in crate::definitions::list(&root().join("boards")) {
            let board = Board::load(&root(), &name).unwrap();
            let Some(layout) = board.layout.as_ref().filter(|l| l.medium == Medium::Flash) else {
                continue;
            };
            let parts = plan(&name, layout).unwrap();
            let erase = layout.erase_kib.unwrap() * 1024;
            let mut end = 0;
            for (part, def) in parts.iter().zip(&layout.parts) {
                assert_eq!(
                    part.offset, end,
                    "{name}: {} is not right after the previous part",
                    part.name
                );
                assert_eq!(part.offset % erase, 0, "{name}: {} misaligned", part.name);
                assert_eq!(
                    part.size % erase,
                    0,
                    "{name}: {} not whole erase blocks",
                    part.name
                );
                if let Some(kib) = def.size_kib {
                    assert_eq!(part.size, kib * 1024, "{name}: {}", part.name);
                }
                end = part.offset + part.size;
            }
            assert_eq!(
                end,
                layout.size_kib.unwrap() * 1024,
                "{name}: parts do not fill the flash"
            );
        }
    }

    #[test]
    fn mt7621_is_openwrts_16_mib_layout() {
        let board = Board::load(&root(), "mt7621").unwrap();
        let parts = plan("mt7621", board.layout.as_ref().unwrap()).unwrap();
        let placed: Vec<(&str, u64, u64)> = parts
            .iter()
            .map(|p| (p.name.as_str(), p.offset, p.size))
            .collect();
        assert_eq!(
            placed,
            [
                ("u-boot", 0, 0x30000),
                ("u-boot-env", 0x30000, 0x10000),
                ("factory", 0x40000, 0x10000),
                ("firmware", 0x50000, 0x1000000 - 0x50000),
            ]
        );
    }

    #[test]
    fn firmware_is_padded_with_erased_flash_and_must_fit() {
        let board = Board::load(&root(), "mt7621").unwrap();
        let layout = board.layout.as_ref().unwrap();
        let image = vec![0x5a; 100_000];
        let (part, bytes) = firmware_image("mt7621", layout, &image).unwrap();
        assert_eq!(part.name, "firmware");
        assert_eq!(bytes.len(), 2 * 65536);
        assert_eq!(&bytes[..100_000], &image[..]);
        assert!(bytes[100_000..].iter().all(|&b| b == 0xff));
        let too_big = vec![0; part.size as usize + 1];
        let e = firmware_image("mt7621", layout, &too_big)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not fit"), "{e}");
    }

    #[test]
    fn bad_flash_layouts_are_refused() {
        let board = Board::load(&root(), "mt7621").unwrap();
        let mut layout = board.layout.clone().unwrap();
        layout.parts[0].size_kib = Some(100);
        let e = plan("x", &layout).unwrap_err().to_string();
        assert!(e.contains("erase blocks"), "{e}");
        let mut layout = board.layout.clone().unwrap();
        layout.parts[0].size_kib = Some(32768);
        let e = plan("x", &layout).unwrap_err().to_string();
        assert!(e.contains("past the end"), "{e}");
        let mut layout = board.layout.clone().unwrap();
        layout.parts[3].role = PartRole::Kept;
        let e = plan("x", &layout).unwrap_err().to_string();
        assert!(e.contains("role = \"firmware\""), "{e}");
    }
}
