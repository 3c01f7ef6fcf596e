//! Checks written partition tables with util-linux, an independent GPT
//! implementation: `sfdisk` when it is on PATH, else `partx` (libblkid's
//! reader). Each check is skipped, with a note, when its tool is missing.

use ibex_image::gpt::{self, Guid, Table};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const COLUMNS: &str = "NR,START,END,SECTORS,NAME,UUID,TYPE,SCHEME";

/// 64 MiB.
const DISK: u64 = 131_072;

fn found(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("note: {tool} not found on PATH, skipping its check");
    }
    ok
}

/// A scratch directory from `mktemp -d`, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let out = Command::new("mktemp")
            .args(["-d", "-t", "ibex-image-test.XXXXXX"])
            .output()
            .expect("mktemp -d");
        assert!(out.status.success(), "mktemp -d failed");
        Scratch(PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn table() -> Table {
    let disk_guid = Guid::from_hash(b"util-linux test disk");
    let partitions = gpt::layout(
        DISK,
        &disk_guid,
        &[
            ("ibex-a", Guid::EFI_SYSTEM, Some(32_768)),
            ("ibex-b", Guid::EFI_SYSTEM, Some(32_768)),
            ("data", Guid::LINUX_FILESYSTEM, None),
        ],
    )
    .unwrap();
    Table {
        disk_guid,
        partitions,
    }
}

/// Writes a sparse disk image of `DISK` sectors holding `table`.
fn write_image(dir: &Path, table: &Table) -> PathBuf {
    let (primary, backup) = gpt::write(table, DISK).unwrap();
    let path = dir.join("disk.img");
    let file = File::create(&path).unwrap();
    file.set_len(DISK * gpt::SECTOR).unwrap();
    file.write_all_at(&primary, 0).unwrap();
    file.write_all_at(&backup, (DISK - 33) * gpt::SECTOR)
        .unwrap();
    path
}

fn run(tool: &str, args: &[&str], image: &Path) -> String {
    let out = Command::new(tool).args(args).arg(image).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} {args:?} failed: {stderr}");
    assert!(stderr.trim().is_empty(), "{tool} {args:?} warned: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn sfdisk_reads_what_we_write() {
    if !found("sfdisk") {
        return;
    }
    let scratch = Scratch::new();
    let t = table();
    let image = write_image(&scratch.0, &t);
    let verify = run("sfdisk", &["--verify"], &image);
    assert!(verify.contains("No errors detected"), "{verify}");
    let json = run("sfdisk", &["--json"], &image);
    // The JSON is checked by substrings, to need no parser.
    for want in [
        "\"label\": \"gpt\"".to_string(),
        format!("\"id\": \"{}\"", t.disk_guid),
        "\"firstlba\": 34".to_string(),
        format!("\"lastlba\": {}", DISK - 34),
    ] {
        assert!(json.contains(&want), "{want} not in {json}");
    }
    for p in &t.partitions {
        let entry = format!(
            "\"start\": {}, \"size\": {}, \"type\": \"{}\", \"uuid\": \"{}\", \"name\": \"{}\"",
            p.first_lba,
            p.sectors(),
            p.type_guid,
            p.unique_guid,
            p.name
        );
        assert!(json.contains(&entry), "{entry} not in {json}");
    }
}

#[test]
fn partx_reads_what_we_write() {
    if !found("partx") {
        return;
    }
    let scratch = Scratch::new();
    let t = table();
    let image = write_image(&scratch.0, &t);
    let out = run("partx", &["--pairs", "--output", COLUMNS], &image);
    check_partx(&out, &t);

    // With the primary header gone, libblkid reads the backup one.
    File::options()
        .write(true)
        .open(&image)
        .unwrap()
        .write_all_at(&[0; 512], gpt::SECTOR)
        .unwrap();
    let out = run("partx", &["--pairs", "--output", COLUMNS], &image);
    check_partx(&out, &t);
}

fn check_partx(out: &str, t: &Table) {
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), t.partitions.len(), "{out}");
    for (line, p) in lines.iter().zip(&t.partitions) {
        let want = format!(
            "NR=\"{}\" START=\"{}\" END=\"{}\" SECTORS=\"{}\" NAME=\"{}\" UUID=\"{:x}\" TYPE=\"{:x}\" SCHEME=\"gpt\"",
            p.number,
            p.first_lba,
            p.last_lba,
            p.sectors(),
            p.name,
            p.unique_guid,
            p.type_guid
        );
        assert_eq!(*line, want);
    }
}
