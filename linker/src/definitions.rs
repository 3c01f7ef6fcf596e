//! Board and image definitions: the TOML files in `boards/` and `images/`,
//! read strictly (unknown fields are errors) and checked before any build.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// A board: the hardware an image runs on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// Name; must match the file name.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// CPU architecture as Linux distributions name it.
    pub arch: String,
    /// Rust target triple of the device binaries.
    pub rust_target: String,
    /// Console device name under /dev (`ttyS0`).
    pub console: String,
    /// Console speed.
    pub baud: u32,
    /// How to build its kernel.
    pub kernel: KernelDef,
    /// How to boot it under emulation, where QEMU can.
    pub qemu: Option<QemuDef>,
    /// Hardening rules of `ibex kernel check` this board cannot meet.
    #[serde(default)]
    pub hardening: HardeningDef,
    /// Where the image goes on the board's flash or disk, in order.
    #[serde(default)]
    pub layout: Option<LayoutDef>,
    /// The hardware watchdog init arms: its timeout on this board (a
    /// driver's own limit, as the BCM2835's 15 s, belongs here).
    #[serde(default)]
    pub watchdog: WatchdogDef,
}

/// The `[watchdog]` table of a board or image definition.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchdogDef {
    /// Seconds without init's pet before the watchdog resets the machine;
    /// 0 leaves the driver's default. The image's value wins over the
    /// board's, which wins over [`ibex_plan::DEFAULT_WATCHDOG_SECS`].
    #[serde(default)]
    pub timeout_secs: Option<u32>,
}

impl WatchdogDef {
    /// The timeout the boot plan carries for `image` on `board`.
    pub fn resolve(board: &WatchdogDef, image: &WatchdogDef) -> u32 {
        image
            .timeout_secs
            .or(board.timeout_secs)
            .unwrap_or(ibex_plan::DEFAULT_WATCHDOG_SECS)
    }
}

/// The storage an image is written to, as a simple table of parts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutDef {
    /// What the parts live on.
    pub medium: Medium,
    /// The parts, in the order they sit on the medium.
    #[serde(rename = "part")]
    pub parts: Vec<PartDef>,
    /// Size of the whole medium (required for flash).
    #[serde(default)]
    pub size_kib: Option<u64>,
    /// Erase block size; every flash part starts and ends on one
    /// (required for flash).
    #[serde(default)]
    pub erase_kib: Option<u64>,
}

/// Kinds of boot storage.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Medium {
    /// Raw NOR or NAND flash, partitioned by offsets.
    Flash,
    /// A disk (SATA, NVMe, USB) with a partition table.
    Disk,
    /// An SD card or eMMC with a partition table.
    Sd,
    /// Nothing to lay out: QEMU loads the image directly.
    None,
}

/// One part of a layout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartDef {
    /// Name (MTD partition or file system label).
    pub name: String,
    /// Size in KiB; absent for "the rest of the medium".
    pub size_kib: Option<u64>,
    /// What it holds, for people.
    pub contents: String,
    /// What the image writer puts there.
    #[serde(default)]
    pub role: PartRole,
}

/// What `ibex build --format disk` does with a part.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PartRole {
    /// Nothing: the part is described for people and left empty.
    #[default]
    Other,
    /// A system slot (A/B): a FAT filesystem holding the single-binary
    /// image as `EFI/BOOT/BOOTX64.EFI`, bootable by UEFI firmware. The
    /// first slot is written by the build, the second by `ibox sysupgrade`.
    Slot,
    /// Persistent data.
    Data,
    /// Flash that belongs to the board (boot loader, its environment,
    /// calibration data): never written.
    Kept,
    /// Flash: the single-binary image goes here (`ibex build --format
    /// flash`).
    Firmware,
}

/// Waived hardening rules, each with the reason a person reviewed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardeningDef {
    /// Rule name (as `ibex kernel check` prints it) → why it is waived.
    #[serde(default)]
    pub waive: std::collections::BTreeMap<String, String>,
}

/// The kernel part of a board definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelDef {
    /// Kernel `ARCH=`.
    pub arch: String,
    /// `CROSS_COMPILE=` prefix, empty for native.
    pub cross_compile: String,
    /// Fragment names under `kernel/config/`, merged in order.
    pub fragments: Vec<String>,
    /// make target producing the boot image.
    pub make_target: String,
    /// Path of that image inside the build tree.
    pub image: String,
    /// File name of the image in the output directory.
    pub image_name: String,
    /// How the boot loader takes the image; absent for QEMU-style direct loads.
    #[serde(default)]
    pub format: Option<ImageFormat>,
    /// Device trees to build, relative to `arch/<arch>/boot/dts/`
    /// (`broadcom/bcm2711-rpi-4-b.dtb`); empty on boards without one.
    #[serde(default)]
    pub dtbs: Vec<String>,
}

/// The kernel image formats boot loaders take.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum ImageFormat {
    /// x86 boot protocol image, with the EFI stub where configured.
    #[serde(rename = "bzImage")]
    BzImage,
    /// arm64 `Image`, loaded with a separate device tree.
    Image,
    /// Self-decompressing 32-bit ARM image, loaded with a separate device tree.
    #[serde(rename = "zImage")]
    ZImage,
    /// U-Boot legacy image.
    #[serde(rename = "uImage")]
    UImage,
}

/// How QEMU boots a board.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QemuDef {
    /// Emulator binary.
    pub binary: String,
    /// Debian package providing it.
    pub package: String,
    /// `-M` value.
    pub machine: String,
    /// Guest memory.
    pub memory_mb: u32,
    /// `-cpu` value; QEMU's default for the machine when absent.
    #[serde(default)]
    pub cpu: Option<String>,
}

/// An image profile: what runs on the board.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// Name; must match the file name.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// Host name of the running system.
    pub hostname: String,
    /// Applets linked into the root filesystem; `"*"` means all.
    pub applets: Vec<String>,
    /// In a container, the service whose exit ends the container and
    /// whose status init exits with (tini's child).
    #[serde(default)]
    pub main_service: Option<String>,
    /// Packages (with optional version constraints, as in a world file)
    /// installed at build time from the recipes in `packages/`, with the
    /// same engine `ibox pkg` uses on the device.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Put the checkout's development public key into `/etc/ibex/keys/`
    /// so that `ibox pkg` trusts packages it signed (an image with
    /// `packages` trusts it anyway).
    #[serde(default)]
    pub trust_dev_key: bool,
    /// A TUF repository's root (`ibex release` writes `REPO/root.json`),
    /// relative to the checkout: the image carries it as
    /// `/etc/ibex/tuf/root.json`, so `ibox sysupgrade --check/--from-repo`
    /// trusts that repository.
    #[serde(default)]
    pub tuf_root: Option<PathBuf>,
    /// How a trial boot after `ibox sysupgrade` is confirmed.
    #[serde(default)]
    pub upgrade: UpgradeDef,
    /// The hardware watchdog's timeout for this image, over the board's
    /// (a test image makes it short).
    #[serde(default)]
    pub watchdog: WatchdogDef,
    /// Where its service definitions live (`images/<name>/services/`),
    /// filled in by [`Image::load`].
    #[serde(skip)]
    pub services_dir: PathBuf,
    /// Files copied into its root filesystem as they are laid out
    /// (`images/<name>/files/`, see [`crate::overlay`]), filled in by
    /// [`Image::load`].
    #[serde(skip)]
    pub files_dir: PathBuf,
}

/// The `[upgrade]` table of an image definition.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeDef {
    /// Services that must be up before a newly written slot is marked good.
    #[serde(default)]
    pub critical: Vec<String>,
    /// Seconds they get, from init's start
    /// ([`ibex_plan::DEFAULT_CONFIRM_SECS`] when absent).
    #[serde(default)]
    pub deadline_secs: Option<u32>,
}

/// A definition that could not be used.
#[derive(Debug)]
pub struct DefinitionError {
    /// The file at fault.
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for DefinitionError {}

fn load<T: for<'de> Deserialize<'de>>(
    dir: &Path,
    kind: &str,
    name: &str,
) -> Result<(T, PathBuf), DefinitionError> {
    let path = dir.join(format!("{name}.toml"));
    let err = |message: String| DefinitionError {
        path: path.clone(),
        message,
    };
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(err(format!("'{name}' is not a valid {kind} name")));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let known = list(dir).join(", ");
        err(format!("no such {kind} ({e}); known: {known}"))
    })?;
    let value = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    Ok((value, path))
}

/// Names of the definitions (`*.toml`) in `dir`, sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".toml"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

impl Board {
    /// Reads and checks `boards/<name>.toml`.
    pub fn load(root: &Path, name: &str) -> Result<Board, DefinitionError> {
        let (board, path): (Board, _) = load(&root.join("boards"), "board", name)?;
        let err = |message: String| DefinitionError {
            path: path.clone(),
            message,
        };
        if board.name != name {
            return Err(err(format!(
                "name '{}' does not match the file name",
                board.name
            )));
        }
        for rule in board.hardening.waive.keys() {
            if !ibex_kernel::check::RULES.iter().any(|r| r.name == rule) {
                return Err(err(format!("waives unknown hardening rule '{rule}'")));
            }
        }
        for dtb in &board.kernel.dtbs {
            if !dtb.ends_with(".dtb") || dtb.starts_with('/') || dtb.contains("..") {
                return Err(err(format!(
                    "device tree '{dtb}' is not a .dtb path under arch/{}/boot/dts",
                    board.kernel.arch
                )));
            }
        }
        if let Some(layout) = &board.layout {
            let open_ended = layout.parts.iter().filter(|p| p.size_kib.is_none()).count();
            if layout.parts.is_empty() && layout.medium != Medium::None {
                return Err(err("layout has no parts".into()));
            }
            if open_ended > 1
                || layout
                    .parts
                    .iter()
                    .rev()
                    .skip(1)
                    .any(|p| p.size_kib.is_none())
            {
                return Err(err(
                    "only the last part of a layout may leave out size_kib".into()
                ));
            }
        }
        if let Some(layout) = board.layout.as_ref().filter(|l| l.medium == Medium::Flash) {
            if layout.size_kib.is_none() || layout.erase_kib.is_none() {
                return Err(err(
                    "a flash layout needs size_kib and erase_kib (the erase block)".into(),
                ));
            }
        }
        for fragment in &board.kernel.fragments {
            let f = root
                .join("kernel/config")
                .join(format!("{fragment}.config"));
            if !f.is_file() {
                return Err(err(format!(
                    "kernel fragment {} does not exist",
                    f.display()
                )));
            }
        }
        Ok(board)
    }
}

impl Image {
    /// Reads and checks `images/<name>.toml`.
    pub fn load(root: &Path, name: &str) -> Result<Image, DefinitionError> {
        let (mut image, path): (Image, _) = load(&root.join("images"), "image", name)?;
        let err = |message: String| DefinitionError {
            path: path.clone(),
            message,
        };
        if image.name != name {
            return Err(err(format!(
                "name '{}' does not match the file name",
                image.name
            )));
        }
        if !valid_hostname(&image.hostname) {
            return Err(err(format!(
                "'{}' is not a valid host name",
                image.hostname
            )));
        }
        for p in &image.packages {
            ibex_package::Dependency::parse(p).map_err(|e| err(format!("packages: {e}")))?;
        }
        image.services_dir = root.join("images").join(name).join("services");
        image.files_dir = root.join("images").join(name).join("files");
        Ok(image)
    }
}

/// RFC 1123 host name: labels of letters, digits and hyphens, 1–63 bytes each.
fn valid_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_images_watchdog_timeout_wins_over_the_boards_over_the_default() {
        let none = WatchdogDef::default();
        let some = |s| WatchdogDef {
            timeout_secs: Some(s),
        };
        assert_eq!(
            WatchdogDef::resolve(&none, &none),
            ibex_plan::DEFAULT_WATCHDOG_SECS
        );
        assert_eq!(WatchdogDef::resolve(&some(15), &none), 15);
        assert_eq!(WatchdogDef::resolve(&some(15), &some(10)), 10);
        // 0 (the driver's own timeout) is a choice, not an absence.
        assert_eq!(WatchdogDef::resolve(&some(15), &some(0)), 0);
        let image: Image = toml::from_str(
            "name = \"x\"\ndescription = \"\"\nhostname = \"x\"\napplets = []\n[watchdog]\ntimeout_secs = 10\n",
        )
        .unwrap();
        assert_eq!(image.watchdog.timeout_secs, Some(10));
    }

    #[test]
    fn host_names() {
        assert!(valid_hostname("ibex"));
        assert!(valid_hostname("router-1.lan"));
        assert!(!valid_hostname(""));
        assert!(!valid_hostname("-x"));
        assert!(!valid_hostname("a b"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = "name='x'\ndescription=''\nhostname='x'\napplets=[]\ncolour='red'\n";
        let e = toml::from_str::<Image>(text).unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn board_layout_and_image_format_parse() {
        let text = r#"
name = "b"
description = ""
arch = "mipsel"
rust_target = "mipsel-unknown-linux-musl"
console = "ttyS0"
baud = 115200
[kernel]
arch = "mips"
cross_compile = "mipsel-linux-gnu-"
fragments = []
make_target = "uImage"
image = "arch/mips/boot/uImage"
image_name = "uImage"
format = "uImage"
dtbs = ["ralink/x.dtb"]
[layout]
medium = "flash"
part = [
  { name = "u-boot", size_kib = 192, contents = "boot loader" },
  { name = "firmware", contents = "uImage" },
]
"#;
        let board: Board = toml::from_str(text).unwrap();
        assert_eq!(board.kernel.format, Some(ImageFormat::UImage));
        let layout = board.layout.unwrap();
        assert_eq!(layout.medium, Medium::Flash);
        assert_eq!(layout.parts[0].size_kib, Some(192));
        assert_eq!(layout.parts[1].size_kib, None);
        let bad = text.replace("\"uImage\"\ndtbs", "\"vmlinuz\"\ndtbs");
        assert!(toml::from_str::<Board>(&bad).is_err());
    }

    #[test]
    fn repository_definitions_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for name in list(&root.join("boards")) {
            Board::load(&root, &name).unwrap();
        }
        for name in list(&root.join("images")) {
            Image::load(&root, &name).unwrap();
        }
    }
}
