//! Saving and restoring whole trees, with a file standing in for the
//! partition.

use super::*;
use std::sync::atomic::{AtomicU32, Ordering};

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "ibex-lbu-t-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// An "image" root with a few files under /etc, its manifest written as
/// the linker would, and lbu.conf naming `medium` (a 64 KiB file).
fn image(dir: &Path, name: &str, medium: &Path) -> PathBuf {
    let root = dir.join(name);
    fs::create_dir_all(root.join("etc/ibex")).unwrap();
    fs::create_dir_all(root.join("etc/lbu")).unwrap();
    fs::write(root.join("etc/hostname"), "ibex\n").unwrap();
    fs::write(root.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
    fs::write(
        root.join(medium::CONF),
        format!("LBU_MEDIA={}\n", medium.display()),
    )
    .unwrap();
    let mut problems = Vec::new();
    let now = tree::scan(&root, &[ETC.into()], &[], &mut problems);
    let mut m = Manifest::default();
    for e in now.values() {
        m.insert(e);
    }
    fs::write(root.join(manifest::PATH), m.to_text().unwrap()).unwrap();
    if !medium.exists() {
        fs::File::create(medium).unwrap().set_len(64 << 10).unwrap();
    }
    root
}

fn letters(c: &[(Change, String)]) -> Vec<String> {
    c.iter()
        .map(|(k, p)| format!("{} {p}", k.letter()))
        .collect()
}

#[test]
fn unchanged_image_has_no_changes() {
    let s = Scratch::new();
    let root = image(&s.0, "a", &s.0.join("disk"));
    let c = changes(&root).unwrap();
    assert!(c.paths.is_empty(), "{:?}", c.paths);
    assert!(c.archive.entries.is_empty());
    assert!(c.archive.removed.is_empty());
}

#[test]
fn status_lists_added_modified_deleted_and_honours_lists() {
    let s = Scratch::new();
    let root = image(&s.0, "a", &s.0.join("disk"));
    fs::write(root.join("etc/hostname"), "box\n").unwrap();
    fs::write(root.join("etc/motd"), "hello\n").unwrap();
    fs::remove_file(root.join("etc/group")).unwrap();
    fs::create_dir_all(root.join("etc/ssh")).unwrap();
    fs::write(root.join("etc/ssh/key"), "secret").unwrap();
    fs::create_dir_all(root.join("srv/www")).unwrap();
    fs::write(root.join("srv/www/index.html"), "<p>").unwrap();
    fs::write(root.join(INCLUDE), "/srv/www/\n").unwrap();
    fs::write(root.join(EXCLUDE), "# secrets\n/etc/ssh\n").unwrap();
    let c = changes(&root).unwrap();
    assert_eq!(
        letters(&c.paths),
        [
            "D /etc/group",
            "M /etc/hostname",
            "A /etc/lbu/exclude",
            "A /etc/lbu/include",
            "A /etc/motd",
            "A /srv/www/index.html",
        ]
    );
    assert_eq!(c.archive.removed, ["/etc/group"]);
    // The included directory itself is saved so that its mode comes back.
    assert!(c.archive.entries.iter().any(|e| e.path == "/srv/www"));
    assert!(!c
        .archive
        .entries
        .iter()
        .any(|e| e.path.starts_with("/etc/ssh")));
}

#[test]
fn commit_then_restore_on_a_fresh_image() {
    let s = Scratch::new();
    let disk = s.0.join("disk");
    let root = image(&s.0, "a", &disk);
    fs::write(root.join("etc/hostname"), "box\n").unwrap();
    fs::write(root.join("etc/motd"), "hello\n").unwrap();
    std::os::unix::fs::symlink("motd", root.join("etc/issue")).unwrap();
    fs::remove_file(root.join("etc/group")).unwrap();
    let m = open_medium(&root, true).unwrap();
    let (seq, saved) = commit(&root, &m).unwrap();
    assert_eq!(seq, 1);
    assert_eq!(saved.paths.len(), 4);

    // Reboot: a fresh copy of the image.
    let fresh = image(&s.0, "b", &disk);
    match restore_at_boot(&fresh) {
        Restored::Done {
            seq, files, errors, ..
        } => {
            assert_eq!((seq, files), (1, 3));
            assert!(errors.is_empty(), "{errors:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fs::read_to_string(fresh.join("etc/hostname")).unwrap(),
        "box\n"
    );
    assert_eq!(
        fs::read_to_string(fresh.join("etc/motd")).unwrap(),
        "hello\n"
    );
    assert_eq!(
        fs::read_link(fresh.join("etc/issue")).unwrap(),
        PathBuf::from("motd")
    );
    assert!(!fresh.join("etc/group").exists());
    // No temporary files are left behind.
    assert!(!fs::read_dir(fresh.join("etc")).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("lbu-new")));
    // And the restored system differs from the image as the saved one did.
    assert_eq!(
        letters(&changes(&fresh).unwrap().paths),
        letters(&saved.paths)
    );
}

#[test]
fn diff_against_the_last_commit() {
    let s = Scratch::new();
    let root = image(&s.0, "a", &s.0.join("disk"));
    fs::write(root.join("etc/motd"), "hello\n").unwrap();
    fs::write(root.join("etc/hostname"), "box\n").unwrap();
    let m = open_medium(&root, true).unwrap();
    commit(&root, &m).unwrap();
    let (_, last) = last_commit(&m).unwrap().unwrap();
    assert!(diff(&last, &changes(&root).unwrap().archive).is_empty());
    fs::write(root.join("etc/motd"), "changed\n").unwrap();
    fs::write(root.join("etc/hostname"), "ibex\n").unwrap();
    fs::write(root.join("etc/new"), "x").unwrap();
    fs::remove_file(root.join("etc/passwd")).unwrap();
    assert_eq!(
        letters(&diff(&last, &changes(&root).unwrap().archive)),
        [
            "M /etc/hostname",
            "M /etc/motd",
            "A /etc/new",
            "D /etc/passwd"
        ]
    );
}

#[test]
fn restore_reports_empty_corrupt_and_missing_media() {
    let s = Scratch::new();
    let disk = s.0.join("disk");
    let root = image(&s.0, "a", &disk);
    assert_eq!(restore_at_boot(&root), Restored::Nothing(disk.clone()));
    fs::write(root.join("etc/motd"), "hello\n").unwrap();
    commit(&root, &open_medium(&root, true).unwrap()).unwrap();
    // Damage the payload of the only record.
    let mut bytes = fs::read(&disk).unwrap();
    bytes[record::HEADER_LEN + 3] ^= 0xff;
    fs::write(&disk, &bytes).unwrap();
    let fresh = image(&s.0, "b", &disk);
    let r = restore_at_boot(&fresh);
    assert!(
        r.to_string()
            .ends_with("; booting with the image's configuration"),
        "{r}"
    );
    assert!(r.to_string().contains("payload checksum"), "{r}");
    assert!(!fresh.join("etc/motd").exists());

    fs::write(fresh.join(medium::CONF), "LBU_MEDIA=/nonexistent/disk\n").unwrap();
    assert!(matches!(restore_at_boot(&fresh), Restored::NoMedium(_)));
    assert!(matches!(open_medium(&fresh, true), Err(Error::NoMedium(_))));
}
