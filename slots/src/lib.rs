//! A/B system slots on a UEFI machine: finding them, switching between
//! them with the firmware's boot entries, and remembering a trial boot
//! and how it ended. Used by `ibox sysupgrade` and by init.
//!
//! The mechanism (documented in `docs/formats.md`, "A/B slots"):
//!
//! 1. The disk has two GPT partitions named `ibex-a` and `ibex-b`, each a
//!    FAT filesystem holding the single-binary image as
//!    `EFI/BOOT/BOOTX64.EFI`. Each gets a `Boot####` entry whose optional
//!    data (the kernel command line) says `ibex.slot=a` or `ibex.slot=b`;
//!    a boot without it came from the firmware's removable-media path,
//!    which finds slot A.
//! 2. `ibox sysupgrade` writes the other slot, puts the running slot's
//!    entry first in `BootOrder`, sets `BootNext` to the new slot's entry
//!    (the firmware uses it once and deletes it) and records the trial in
//!    Ibex's `IbexTrial` variable.
//! 3. init, on the new slot, marks it good by moving its entry to the front
//!    of `BootOrder` once the image's critical services are up, and clears
//!    the trial. If they are not up within the deadline it reboots; if the
//!    kernel panics it reboots (`panic=5`); a hang is ended by a watchdog.
//!    Each way the firmware falls back to `BootOrder`, the old slot, whose
//!    init finds the trial unconfirmed and records the failure in
//!    `IbexResult`.
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod efivars;

use ibex_image::efi::{self, HardDrive, LoadOption};
use ibex_image::gpt;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Letters of the two slots, in partition order.
pub const SLOTS: [char; 2] = ['a', 'b'];
/// The program every slot holds, as the firmware names it.
pub const BOOT_FILE: &str = "\\EFI\\BOOT\\BOOTX64.EFI";
/// Ibex's variable holding a trial boot that has not been confirmed.
pub const TRIAL_VAR: &str = "IbexTrial";
/// Ibex's variable holding the outcome of the last upgrade, one line.
pub const RESULT_VAR: &str = "IbexResult";

/// Why the slots could not be used.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing a device or variable failed.
    Io(String, io::Error),
    /// No disk with partitions `ibex-a` and `ibex-b`.
    NoSlots,
    /// The system was not booted by UEFI firmware (no efivarfs).
    NoEfi,
    /// A variable holds something Ibex did not write.
    Malformed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(what, e) => write!(f, "{what}: {e}"),
            Error::NoSlots => f.write_str(
                "no disk with A/B system slots (GPT partitions ibex-a and ibex-b) was found",
            ),
            Error::NoEfi => f.write_str(
                "not booted by UEFI firmware (no variables in /sys/firmware/efi/efivars)",
            ),
            Error::Malformed(what) => write!(f, "malformed UEFI variable: {what}"),
        }
    }
}

impl std::error::Error for Error {}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |e| Error::Io(what, e)
}

/// One system slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// `'a'` or `'b'`.
    pub letter: char,
    /// Its block device (`/dev/vda1`).
    pub device: PathBuf,
    /// Its GPT entry (number, place, unique GUID).
    pub partition: gpt::Partition,
    /// 1-based GPT entry number, as EFI device paths name partitions.
    pub number: u32,
}

impl Slot {
    /// Size in bytes.
    pub fn size(&self) -> u64 {
        (self.partition.last_lba + 1 - self.partition.first_lba) * gpt::SECTOR
    }

    /// Its UEFI boot entry.
    pub fn load_option(&self) -> LoadOption {
        LoadOption {
            attributes: efi::LOAD_OPTION_ACTIVE,
            description: format!("Ibex slot {}", self.letter.to_ascii_uppercase()),
            hard_drive: Some(HardDrive {
                partition_number: self.number,
                start_lba: self.partition.first_lba,
                size_lba: self.partition.last_lba + 1 - self.partition.first_lba,
                partition_guid: self.partition.unique_guid,
            }),
            file_path: Some(BOOT_FILE.into()),
            optional_data: efi::ucs2(&format!("ibex.slot={}", self.letter)),
        }
    }
}

/// The disk that holds the slots.
#[derive(Debug, Clone)]
pub struct Disk {
    /// Whole-disk device (`/dev/vda`).
    pub device: PathBuf,
    /// Slot A and slot B.
    pub slots: [Slot; 2],
}

impl Disk {
    /// Finds the disk whose GPT has partitions named `ibex-a` and `ibex-b`.
    pub fn find() -> Result<Disk, Error> {
        for (name, table) in gpt_disks()? {
            let slot = |letter: char| {
                let wanted = format!("ibex-{letter}");
                table
                    .partitions
                    .iter()
                    .find(|p| p.name == wanted)
                    .map(|p| Slot {
                        letter,
                        device: partition_device(&name, p.number),
                        number: p.number,
                        partition: p.clone(),
                    })
            };
            if let (Some(a), Some(b)) = (slot('a'), slot('b')) {
                return Ok(Disk {
                    device: PathBuf::from("/dev").join(&name),
                    slots: [a, b],
                });
            }
        }
        Err(Error::NoSlots)
    }

    /// The slot with this letter.
    pub fn slot(&self, letter: char) -> &Slot {
        if letter == 'b' {
            &self.slots[1]
        } else {
            &self.slots[0]
        }
    }
}

/// The whole disks in /sys/block that have a valid primary GPT, by name
/// (`vda`) in name order, with their tables. Disks without one (or that
/// cannot be read) are left out.
pub fn gpt_disks() -> Result<Vec<(String, gpt::Table)>, Error> {
    let mut names: Vec<String> = fs::read_dir("/sys/block")
        .map_err(io_err("/sys/block"))?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    ibex_sort::sort(&mut names);
    Ok(names
        .into_iter()
        .filter_map(|name| {
            let table = read_table(&PathBuf::from("/dev").join(&name))?;
            Some((name, table))
        })
        .collect())
}

/// Reads the primary GPT of a whole-disk device, if it has one.
fn read_table(device: &Path) -> Option<gpt::Table> {
    let mut f = fs::File::open(device).ok()?;
    let mut head = vec![0u8; gpt::PRIMARY_LEN];
    f.read_exact(&mut head).ok()?;
    gpt::read(&head).ok()
}

/// `vda` + 2 → `/dev/vda2`; `nvme0n1` + 2 → `/dev/nvme0n1p2`.
pub fn partition_device(disk: &str, number: u32) -> PathBuf {
    let sep = if disk.ends_with(|c: char| c.is_ascii_digit()) {
        "p"
    } else {
        ""
    };
    PathBuf::from(format!("/dev/{disk}{sep}{number}"))
}

/// The slot this system booted from: `ibex.slot=` on the kernel command
/// line, which the slots' boot entries pass; slot A without it (the
/// firmware's removable-media path finds slot A).
pub fn current() -> char {
    let cmdline = fs::read_to_string("/proc/cmdline").unwrap_or_default();
    slot_from_cmdline(&cmdline)
}

/// The slot named by the last `ibex.slot=` of a kernel command line.
pub fn slot_from_cmdline(cmdline: &str) -> char {
    cmdline
        .split_whitespace()
        .rev()
        .find_map(|w| w.strip_prefix("ibex.slot="))
        .and_then(|v| match v {
            "a" | "A" => Some('a'),
            "b" | "B" => Some('b'),
            _ => None,
        })
        .unwrap_or('a')
}

/// The other slot.
pub fn other(letter: char) -> char {
    if letter == 'a' {
        'b'
    } else {
        'a'
    }
}

/// The firmware's boot entries: number → decoded option (entries that do
/// not decode are left out).
fn boot_entries() -> Vec<(u16, LoadOption)> {
    efivars::list("Boot", efivars::GLOBAL)
        .into_iter()
        .filter_map(|name| {
            let hex = name.strip_prefix("Boot")?;
            if hex.len() != 4 {
                return None;
            }
            let n = u16::from_str_radix(hex, 16).ok()?;
            let bytes = efivars::read(&name, efivars::GLOBAL).ok()??;
            Some((n, efi::decode_load_option(&bytes).ok()?))
        })
        .collect()
}

/// The number of the boot entry that starts `slot`, made if missing (or
/// replaced if it points at the partition with other arguments).
pub fn ensure_entry(slot: &Slot) -> Result<u16, Error> {
    let wanted = slot.load_option();
    let entries = boot_entries();
    let same_partition = |o: &LoadOption| {
        o.hard_drive
            .as_ref()
            .is_some_and(|hd| hd.partition_guid == slot.partition.unique_guid)
    };
    if let Some((n, _)) = entries.iter().find(|(_, o)| *o == wanted) {
        return Ok(*n);
    }
    let n = match entries.iter().find(|(_, o)| same_partition(o)) {
        Some((n, _)) => *n,
        None => (0..=u16::MAX)
            .find(|n| !entries.iter().any(|(m, _)| m == n))
            .ok_or_else(|| Error::Malformed("no free Boot#### number".into()))?,
    };
    let name = format!("Boot{n:04X}");
    let bytes =
        efi::encode_load_option(&wanted).map_err(|e| Error::Malformed(format!("{name}: {e}")))?;
    efivars::write(&name, efivars::GLOBAL, &bytes).map_err(io_err(name))?;
    Ok(n)
}

/// `BootOrder`, empty when unset.
pub fn boot_order() -> Result<Vec<u16>, Error> {
    match efivars::read("BootOrder", efivars::GLOBAL).map_err(io_err("BootOrder"))? {
        None => Ok(Vec::new()),
        Some(bytes) => {
            efi::decode_boot_order(&bytes).map_err(|e| Error::Malformed(format!("BootOrder: {e}")))
        }
    }
}

/// Puts `first` at the front of `BootOrder`, then `second`, then the rest
/// in their order.
pub fn set_order(first: u16, second: u16) -> Result<(), Error> {
    let mut order = vec![first, second];
    order.extend(
        boot_order()?
            .into_iter()
            .filter(|n| *n != first && *n != second),
    );
    efivars::write(
        "BootOrder",
        efivars::GLOBAL,
        &efi::encode_boot_order(&order),
    )
    .map_err(io_err("BootOrder"))
}

/// A trial boot that has not been confirmed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    /// The slot being tried.
    pub slot: char,
    /// The release it holds.
    pub version: String,
}

impl Trial {
    /// The text stored in the variable: `slot=b version=1.2.3`.
    pub fn encode(&self) -> String {
        format!("slot={} version={}", self.slot, self.version)
    }

    /// Reads the text form back.
    pub fn decode(text: &str) -> Option<Trial> {
        let mut slot = None;
        let mut version = None;
        for word in text.split_whitespace() {
            match word.split_once('=') {
                Some(("slot", "a")) => slot = Some('a'),
                Some(("slot", "b")) => slot = Some('b'),
                Some(("version", v)) if !v.is_empty() => version = Some(v.to_string()),
                _ => return None,
            }
        }
        Some(Trial {
            slot: slot?,
            version: version?,
        })
    }

    /// The pending trial, if any.
    pub fn pending() -> Result<Option<Trial>, Error> {
        let Some(bytes) = efivars::read(TRIAL_VAR, efivars::IBEX).map_err(io_err(TRIAL_VAR))?
        else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&bytes);
        Trial::decode(&text)
            .map(Some)
            .ok_or_else(|| Error::Malformed(format!("{TRIAL_VAR}: {text:?}")))
    }

    /// Records this trial.
    pub fn save(&self) -> Result<(), Error> {
        efivars::write(TRIAL_VAR, efivars::IBEX, self.encode().as_bytes())
            .map_err(io_err(TRIAL_VAR))
    }

    /// Forgets the pending trial.
    pub fn clear() -> Result<(), Error> {
        efivars::remove(TRIAL_VAR, efivars::IBEX).map_err(io_err(TRIAL_VAR))
    }
}

/// Arranges a one-time boot of `target` (after its slot was written):
/// entries for both slots, the running slot first in `BootOrder` so that
/// any failure comes back to it, `BootNext` for the target, and the trial
/// recorded for init.
pub fn arrange_trial(disk: &Disk, target: char, version: &str) -> Result<(), Error> {
    if !efivars::available() {
        return Err(Error::NoEfi);
    }
    let running = ensure_entry(disk.slot(other(target)))?;
    let next = ensure_entry(disk.slot(target))?;
    set_order(running, next)?;
    Trial {
        slot: target,
        version: version.into(),
    }
    .save()?;
    efivars::write("BootNext", efivars::GLOBAL, &next.to_le_bytes()).map_err(io_err("BootNext"))
}

/// Makes `slot` the one the firmware boots from now on.
pub fn mark_good(disk: &Disk, slot: char) -> Result<(), Error> {
    let good = ensure_entry(disk.slot(slot))?;
    let fallback = ensure_entry(disk.slot(other(slot)))?;
    set_order(good, fallback)
}

/// Records the outcome of the last upgrade (one line).
pub fn record_result(line: &str) -> Result<(), Error> {
    efivars::write(RESULT_VAR, efivars::IBEX, line.as_bytes()).map_err(io_err(RESULT_VAR))
}

/// The outcome of the last upgrade, if one was recorded.
pub fn last_result() -> Result<Option<String>, Error> {
    Ok(efivars::read(RESULT_VAR, efivars::IBEX)
        .map_err(io_err(RESULT_VAR))?
        .map(|b| String::from_utf8_lossy(&b).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_from_the_command_line() {
        assert_eq!(slot_from_cmdline("console=ttyS0 panic=5"), 'a');
        assert_eq!(slot_from_cmdline("console=ttyS0 ibex.slot=b"), 'b');
        assert_eq!(slot_from_cmdline("ibex.slot=b ibex.slot=a"), 'a');
        assert_eq!(slot_from_cmdline("ibex.slot=c"), 'a');
    }

    #[test]
    fn trial_text_round_trips() {
        let t = Trial {
            slot: 'b',
            version: "1.2.3-r1".into(),
        };
        assert_eq!(Trial::decode(&t.encode()), Some(t));
        assert_eq!(Trial::decode("slot=c version=1"), None);
        assert_eq!(Trial::decode("slot=a"), None);
        assert_eq!(Trial::decode("slot=a version=1 extra"), None);
    }

    #[test]
    fn partition_device_names() {
        assert_eq!(partition_device("vda", 2), PathBuf::from("/dev/vda2"));
        assert_eq!(
            partition_device("nvme0n1", 1),
            PathBuf::from("/dev/nvme0n1p1")
        );
        assert_eq!(
            partition_device("mmcblk0", 3),
            PathBuf::from("/dev/mmcblk0p3")
        );
    }
}
