//! `sysupgrade [-T] [-n] FILE|URL`, `sysupgrade --status`: write a signed
//! system image into the slot this system is not running from and boot it
//! once; init on the new system makes it permanent when its critical
//! services come up, and otherwise the firmware comes back to this slot
//! (see the `ibex_slots` crate for the mechanism).
//!
//! `sysupgrade --check URL` and `--from-repo URL` find the image in a
//! fleet's TUF repository instead (written by `ibex release`), verified
//! from the root in /etc/ibex/tuf (see [`crate::fleet`]).
//!
//! On a flash board (the image's kind says so) there is one firmware: it
//! is written over the `firmware` MTD partition in place, as OpenWrt does
//! (see [`crate::mtd`]), with no trial boot.
//!
//! Nothing is written unless the whole file checks out first: header,
//! signature by a key in /etc/ibex/keys, board, size, CRC32 and SHA-256.
//! The slot is written in 1 MiB steps with progress, synced, read back
//! and compared before the firmware is told to boot it.

use crate::common::{error_msg, getopt, Exit};
use ibex_image::sysimage::{self, Header, PayloadKind};
use ibex_slots::{Disk, Trial};
use std::ffi::OsString;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const USAGE: &str = "[-T] [-n] [--no-reboot] FILE|URL\n   or: sysupgrade [-T] [-n] [--no-reboot] --from-repo URL\n   or: sysupgrade --check URL\n   or: sysupgrade --status\n\nWrite a signed system image into the other A/B slot and reboot into it once;\nthe new system is kept only if its critical services come up.\nOn a flash board the image is written over the firmware MTD partition\n\n\t-T\t\tVerify the image only, write nothing\n\t-n\t\tDo not keep the saved configuration: forget what `lbu commit`\n\t\t\tsaved on the data partition (kept by default: upgrades\n\t\t\tnever write the data partition)\n\t--no-reboot\tWrite and arrange the trial boot, but do not reboot\n\t--status\tShow the slots, the pending trial and the last upgrade's outcome\n\t--check URL\tPrint the newest release for this board in the TUF\n\t\t\trepository at URL that is newer than the running one;\n\t\t\texit 0 if there is one, 1 if up to date, 2 on error\n\t--from-repo URL\tUpgrade to that release: verified through TUF from the\n\t\t\troot in /etc/ibex/tuf, then as an image file is";

const NAME: &str = "sysupgrade";
/// Largest system image accepted.
const MAX_IMAGE: u64 = 256 << 20;
/// Write and sync granularity (progress is reported per 10%).
const CHUNK: usize = 1 << 20;

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "TnrsC:F:",
        &[
            ("test", 'T'),
            ("no-reboot", 'r'),
            ("status", 's'),
            ("check", 'C'),
            ("from-repo", 'F'),
        ],
        true,
    ) {
        Ok(p) => p,
        // `--check` exits 1 for "up to date": a usage error must not look
        // like one to a script.
        Err(Exit(code))
            if code != 0 && args.iter().any(|a| a.as_bytes().starts_with(b"--check")) =>
        {
            return 2
        }
        Err(Exit(code)) => return code,
    };
    if p.has('s') {
        return status();
    }
    if let Some(url) = p.value('C') {
        return check(&url.to_string_lossy());
    }
    let result = if let Some(url) = p.value('F') {
        if !p.operands.is_empty() {
            return crate::common::usage_error(NAME, "--from-repo takes no image file");
        }
        from_repo(&url.to_string_lossy(), p.has('T'), !p.has('r'), p.has('n'))
    } else {
        let [source] = &p.operands[..] else {
            return crate::common::usage_error(NAME, "give one system image file or URL");
        };
        let source = source.to_string_lossy().into_owned();
        read_image(&source)
            .and_then(|file| upgrade(&source, file, None, p.has('T'), !p.has('r'), p.has('n')))
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            error_msg(NAME, &msg);
            1
        }
    }
}

/// `--check URL`: exit status 0 when a newer release for this board is in
/// the repository (printed as `VERSION TARGET`), 1 when this system is up
/// to date, 2 when the repository cannot be verified.
fn check(url: &str) -> i32 {
    let paths = crate::fleet::Paths::system();
    let verified = match crate::fleet::verify(url, &paths) {
        Ok(v) => v,
        Err(msg) => {
            error_msg(NAME, &msg);
            return 2;
        }
    };
    let running = paths.running_version();
    match crate::fleet::newest(&verified, &paths.board(), &running) {
        Some(r) => {
            println!("{} {}", r.version, r.name);
            0
        }
        None => {
            eprintln!("{NAME}: up to date (Ibex {running})");
            1
        }
    }
}

/// `--from-repo URL`: the newest release for this board, verified through
/// TUF, then through the same checks and writing as an image file.
fn from_repo(url: &str, test_only: bool, reboot: bool, forget: bool) -> Result<(), String> {
    let paths = crate::fleet::Paths::system();
    let verified = crate::fleet::verify(url, &paths)?;
    let running = paths.running_version();
    let Some(release) = crate::fleet::newest(&verified, &paths.board(), &running) else {
        eprintln!("{NAME}: up to date (Ibex {running}): nothing to do");
        return Ok(());
    };
    eprintln!(
        "{NAME}: {url}: Ibex {} ({}), metadata verified",
        release.version, release.name
    );
    let file = crate::fleet::download(url, &verified, &release.name)?;
    upgrade(
        &release.name,
        file,
        Some(&release.version),
        test_only,
        reboot,
        forget,
    )
}

/// Verifies `file` (from `source`) and writes it into the other slot;
/// `version`, when the repository named one, must be the image's own.
fn upgrade(
    source: &str,
    file: Vec<u8>,
    version: Option<&str>,
    test_only: bool,
    reboot: bool,
    forget: bool,
) -> Result<(), String> {
    let keys = ibex_pkg::repo::trusted_keys(Path::new("/")).map_err(|e| e.to_string())?;
    if keys.is_empty() {
        return Err("no trusted keys in /etc/ibex/keys: cannot verify the image".into());
    }
    let (header, payload) =
        sysimage::open(&file, &keys).map_err(|e| format!("{source}: refused: {e}"))?;
    let board = fs::read_to_string("/etc/ibex/board").unwrap_or_default();
    if header.board != board.trim() {
        return Err(format!(
            "{source}: refused: the image is for board '{}', this system is '{}'",
            header.board,
            board.trim()
        ));
    }
    if version.is_some_and(|v| v != header.version) {
        return Err(format!(
            "{source}: refused: the repository calls it {}, the image says {}",
            version.unwrap_or_default(),
            header.version
        ));
    }
    eprintln!(
        "{NAME}: {source}: Ibex {} for {}, {} bytes, signature and checksums good",
        header.version,
        header.board,
        payload.len()
    );
    if header.kind == PayloadKind::Flash {
        return write_flash(payload, test_only, reboot, forget);
    }
    let disk = Disk::find().map_err(|e| e.to_string())?;
    let running = ibex_slots::current();
    let target = ibex_slots::other(running);
    let slot = disk.slot(target);
    if payload.len() as u64 > slot.size() {
        return Err(format!(
            "{source}: refused: {} bytes do not fit slot {target} ({} bytes)",
            payload.len(),
            slot.size()
        ));
    }
    if test_only {
        eprintln!(
            "{NAME}: would write slot {target} ({})",
            slot.device.display()
        );
        return Ok(());
    }
    let started = std::time::Instant::now();
    write_slot(&slot.device, payload, target)?;
    eprintln!(
        "{NAME}: slot {target}: {} bytes written and verified in {:.2} s",
        payload.len(),
        started.elapsed().as_secs_f64()
    );
    if forget {
        forget_saved_configuration()?;
    }
    ibex_slots::arrange_trial(&disk, target, &header.version).map_err(|e| e.to_string())?;
    eprintln!(
        "{NAME}: slot {target} holds Ibex {}; it boots once, and stays if its critical services come up",
        header.version
    );
    if reboot {
        eprintln!("{NAME}: rebooting");
        crate::common::ask_init_to_reboot()?;
    }
    Ok(())
}

/// A flash board's upgrade: the firmware is one raw flash partition
/// (`firmware` in /proc/mtd, as the board's layout names it), erased and
/// written in place, read back and compared. There is one firmware, so no
/// trial boot: as with OpenWrt, what was verified before the first erase
/// is what boots next.
fn write_flash(payload: &[u8], test_only: bool, reboot: bool, forget: bool) -> Result<(), String> {
    let mut part = crate::mtd::Mtd::open(crate::mtd::find(FLASH_PARTITION)?)?;
    if payload.len() as u64 > part.size {
        return Err(format!(
            "refused: {} bytes do not fit the {FLASH_PARTITION} partition ({} bytes)",
            payload.len(),
            part.size
        ));
    }
    if test_only {
        eprintln!(
            "{NAME}: would write the {FLASH_PARTITION} partition ({})",
            part.path.display()
        );
        return Ok(());
    }
    let started = std::time::Instant::now();
    let device = part.path.display().to_string();
    part.write(payload, |done| {
        eprintln!("{NAME}: writing {FLASH_PARTITION} ({device}): {done}%");
    })?;
    eprintln!(
        "{NAME}: {FLASH_PARTITION}: {} bytes written and verified in {:.2} s",
        payload.len(),
        started.elapsed().as_secs_f64()
    );
    if forget {
        forget_saved_configuration()?;
    }
    if reboot {
        eprintln!("{NAME}: rebooting");
        crate::common::ask_init_to_reboot()?;
    }
    Ok(())
}

/// The raw flash partition a flash board's firmware lives in.
const FLASH_PARTITION: &str = "firmware";

/// `-n`: the new system starts with its image's configuration.
fn forget_saved_configuration() -> Result<(), String> {
    let root = Path::new("/");
    match ibex_lbu::open_medium(root, true) {
        Ok(m) => {
            let n = ibex_lbu::record::forget(&m).map_err(|e| e.to_string())?;
            eprintln!(
                "{NAME}: forgot {n} saved configuration record(s) on {}",
                m.path.display()
            );
        }
        Err(e) => eprintln!("{NAME}: no saved configuration to forget ({e})"),
    }
    Ok(())
}

/// The header and payload of the image at `source` (a file, a block
/// device, or an http:// URL), without anything after the payload.
fn read_image(source: &str) -> Result<Vec<u8>, String> {
    if source.starts_with("http://") {
        return ibex_pkg::http::get(source, MAX_IMAGE).map_err(|e| format!("{source}: {e}"));
    }
    let mut f =
        fs::File::open(source).map_err(|e| format!("{source}: {}", crate::common::strerror(&e)))?;
    let mut head = vec![0u8; sysimage::HEADER_LEN];
    f.read_exact(&mut head)
        .map_err(|_| format!("{source}: refused: too short to be a system image"))?;
    let header: Header =
        sysimage::parse_header(&head).map_err(|e| format!("{source}: refused: {e}"))?;
    if header.payload_size > MAX_IMAGE {
        return Err(format!(
            "{source}: refused: payload of {} bytes is larger than {MAX_IMAGE}",
            header.payload_size
        ));
    }
    let is_file = f.metadata().map(|m| m.is_file()).unwrap_or(false);
    let mut rest = Vec::new();
    if is_file {
        // A file must be exactly the image: `open` refuses trailing bytes.
        f.read_to_end(&mut rest)
            .map_err(|e| format!("{source}: {}", crate::common::strerror(&e)))?;
    } else {
        // A block device is padded to whole sectors: take what the header says.
        rest.resize(header.payload_size as usize, 0);
        f.read_exact(&mut rest)
            .map_err(|_| format!("{source}: refused: the payload is truncated"))?;
    }
    head.extend_from_slice(&rest);
    Ok(head)
}

/// Writes `payload` at the start of the slot device, syncing every chunk,
/// then reads it back and compares.
fn write_slot(device: &Path, payload: &[u8], letter: char) -> Result<(), String> {
    let what = |e: std::io::Error| format!("{}: {}", device.display(), crate::common::strerror(&e));
    let mut dev = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(device)
        .map_err(what)?;
    // Test hook: stop for good once this percentage is written, so that a
    // test can cut the power at a known point.
    let hold_at: Option<usize> = std::env::var("IBEX_SYSUPGRADE_HOLD_AT")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut reported = 0;
    for (i, chunk) in payload.chunks(CHUNK).enumerate() {
        dev.write_all(chunk).map_err(what)?;
        dev.sync_data().map_err(what)?;
        let done = ((i * CHUNK + chunk.len()) * 100 / payload.len().max(1)) / 10 * 10;
        if done > reported {
            reported = done;
            eprintln!(
                "{NAME}: writing slot {letter} ({}): {done}%",
                device.display()
            );
            if hold_at.is_some_and(|h| done >= h) {
                eprintln!("{NAME}: holding at {done}% (IBEX_SYSUPGRADE_HOLD_AT)");
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(3600));
                }
            }
        }
    }
    dev.seek(SeekFrom::Start(0)).map_err(what)?;
    let mut back = vec![0u8; payload.len()];
    dev.read_exact(&mut back).map_err(what)?;
    if back != payload {
        return Err(format!(
            "{}: what was read back differs from what was written; slot {letter} is not bootable",
            device.display()
        ));
    }
    Ok(())
}

/// `--status`: the slots, the boot order, the pending trial and the last
/// outcome.
fn status() -> i32 {
    let running = ibex_slots::current();
    let version = fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_ID=").map(str::to_string))
        .unwrap_or_default();
    println!("running: slot {running}, Ibex {version}");
    match Disk::find() {
        Ok(disk) => {
            for slot in &disk.slots {
                println!(
                    "slot {}: {} ({} bytes)",
                    slot.letter,
                    slot.device.display(),
                    slot.size()
                );
            }
        }
        Err(e) => {
            error_msg(NAME, &e.to_string());
            return 1;
        }
    }
    if !ibex_slots::efivars::available() {
        error_msg(NAME, &ibex_slots::Error::NoEfi.to_string());
        return 1;
    }
    match Trial::pending() {
        Ok(Some(t)) => println!(
            "trial: slot {} (Ibex {}) not confirmed yet",
            t.slot, t.version
        ),
        Ok(None) => println!("trial: none"),
        Err(e) => println!("trial: {e}"),
    }
    match ibex_slots::last_result() {
        Ok(Some(line)) => println!("last upgrade: {line}"),
        Ok(None) => println!("last upgrade: none recorded"),
        Err(e) => println!("last upgrade: {e}"),
    }
    0
}
