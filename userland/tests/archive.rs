//! gzip, gunzip, zcat, tar and cpio: round trips through the file system,
//! archives made by GNU tar, GNU gzip and GNU cpio (embedded below as hex,
//! generated once with those tools), corrupt and truncated input, and
//! hostile archives that try to write outside the target directory.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::{run_in as run, stderr as err, stdout as out, Scratch};

// `tar --owner=0 --group=0 --numeric-owner --mtime=2020-01-02 --sort=name
// -cf - *` (GNU format, then `gzip -9 -n`) of: "a b" (11 bytes), a file
// under a 60-byte directory with a 70-byte name (> 100 in all), one under
// 150 + 150 bytes (> 255: ././@LongLink), an empty mode-755 file,
// emptydir/ and a symlink `sl` to the long file.
const GNU_TGZ: &str = "1f8b0800000000000203edda4d6e8330108661af7b0a9f20f807dbdbeecb2568835ad4944481a8cded6bd851d49fa88550789f8d5136598c67f4312297f7626c2af269da9dd1c753296d85b65e5963b5e97ef72668219598c0a96ef2a39462a55ecbe649d687fca1b811589fed2f2417f47f70eef3fe8fcfbdfe37dab5fdefe8ffd16d924d729bedabc7acac9eaf34ff8d4a7b7721de96e0839019f59f77ff177f8221bcf0fa7f9fff747ffe5b6d8d27ff4d611747bfdc57a4bf952a5e0ecd7982f7bf8bf29f0a2a4602fa7faafa6fcb6332affabb36ff91ffd791ff53e707f93fc4fadf51ffd1bdcd52729ea505d6bfde8dff1fddfc8f0dfde3f96f9db7464833c55563fe5f7fff63d570ffe3d9ffac78fef362b6a0fa5f9cffad33c190ff579bff757730ffc9ffe4ff85ccff2ff7ff2a0ce73fdf7f4ca2ddff1747b6ff000000000000000000000000000000c07ff00ee5dd197800500000";
const PAX_TGZ: &str = "1f8b0800000000000203ed9a4d6ec2301085b3e6143901f178fc030bf65df60a29440515284a52156e5f832a15121588824d08efdb04612420e3f79ec7ce30794db72f593acbf22249e3b7c803c261943a5c1dd5ab105645c446b06492fbf74918a628de4601f82aca34773f257a4e58c469b9586513b263ed604b4396231663b27ae046a7b551a10ea36a108187c793e49be99ff854ffc26aebf42f1e49ffd53ff7207c2fca795c6cd26906393f23c3e3fc9fb5e096f92f955006f98ffc07be6923f9a441345aadffd7bf7b7daa7f16fbfcd7c8ff6ed7ff283ab2335cf27f263aad3f135bf87f104851bc49cbf9a4d544c86ec20061f458fabfb2ae97fbbfaafea59106fd5f08969febf7f8738dee0ffd9f0bf1d5a6dcdd61ffa7b6ff4bac34f2ff7efd9f3817b992d5684c7a04cbe8019e24dfaeff2337ff14f2ff3efe3f5be477f77f29dcc7e1ffdddcff238396ab5ffeef249f78fc8ee6fe4fc258ecff05f7ff62e9adfee7fc5fbb62d79eff80ff87f17fd2f172b1fe38ec016e3b49b2eb24fdd8adf424f9baff5b7bbdffbb7bc5328a6588d905fffff37f4fb7f8e2f90feb4afd95c6f94f18c8fc9eff74d4fb7126e49710456cbcfe67a3adc4fabf4ff53fbffeaf3cffc95a6901ff0fb3feefb6ff63eddf7ffdbb74a8fb3f9eff0ec2fefc3fcbb15202000000000000000000000000000000a00ffc00013c179f00500000";
const GNU_CPIO_GZ: &str = "1f8b08000000000002033330373037303430b07436b034733200021343571703ecc0c8d4d5c0c5d8c8024dd8cdd5003f30823152180c90ed73068959183a9a50d93e53b87dfa69860c94d96942869d460c0cf979a95c28f682c3d4d1d0cd0d877e43347b8d88b4d704616f31030303867f5d09f817dd5e4322edb544b2b7402131399581a18201613751805875e8c009c6080972f4f4710d5254546418056401005f8b756700040000";
const MULTI_GZ: &str = "1f8b0800000000000003cb48cdc9c9e7020020303a36060000001f8b08000000000000032bcf2fca49e10200a86138dd06000000";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Names in `dir` (recursively, relative, sorted), to check that nothing
/// else was created.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, p: &Path, acc: &mut Vec<String>) {
        if let Ok(rd) = fs::read_dir(p) {
            for e in rd.flatten() {
                let path = e.path();
                acc.push(
                    path.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
                if e.file_type().unwrap().is_dir() {
                    walk(base, &path, acc);
                }
            }
        }
    }
    let mut acc = Vec::new();
    walk(dir, dir, &mut acc);
    acc.sort();
    acc
}

fn set_mtime(path: &Path, secs: i64) {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

// ---------------------------------------------------------------- gzip

#[test]
fn gzip_round_trip_keeps_mode_and_mtime_and_removes_input() {
    let s = Scratch::new("gz-round");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 7 + i / 1000) as u8).collect();
    fs::write(s.path("f"), &data).unwrap();
    fs::set_permissions(s.path("f"), fs::Permissions::from_mode(0o640)).unwrap();
    set_mtime(&s.path("f"), 1_500_000_000);
    let o = run(&s, &["gzip", "f"], b"");
    assert!(o.status.success(), "{}", err(&o));
    assert!(!s.path("f").exists());
    let m = fs::metadata(s.path("f.gz")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o640);
    assert_eq!(m.mtime(), 1_500_000_000);
    assert!(m.len() < data.len() as u64 / 2);
    let gz = fs::read(s.path("f.gz")).unwrap();
    assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(
        u32::from_le_bytes([gz[4], gz[5], gz[6], gz[7]]),
        1_500_000_000
    );
    let o = run(&s, &["gunzip", "f.gz"], b"");
    assert!(o.status.success(), "{}", err(&o));
    assert!(!s.path("f.gz").exists());
    assert_eq!(fs::read(s.path("f")).unwrap(), data);
    let m = fs::metadata(s.path("f")).unwrap();
    assert_eq!((m.mode() & 0o7777, m.mtime()), (0o640, 1_500_000_000));
    assert_eq!(tree(&s), ["f"]);
}

#[test]
fn gzip_levels_keep_stdout_and_no_name() {
    let s = Scratch::new("gz-opts");
    let text = b"the quick brown fox jumps over the lazy dog\n".repeat(2000);
    fs::write(s.path("t"), &text).unwrap();
    let fast = run(&s, &["gzip", "-1", "-c", "t"], b"");
    let best = run(&s, &["gzip", "-9nc", "t"], b"");
    assert!(fast.status.success() && best.status.success());
    assert!(s.path("t").exists());
    assert_eq!(best.stdout[8], 2, "XFL of -9");
    assert_eq!(&best.stdout[4..8], &[0, 0, 0, 0], "-n stores no time");
    assert!(best.stdout.len() <= fast.stdout.len());
    for gz in [&fast.stdout, &best.stdout] {
        let o = run(&s, &["zcat"], gz);
        assert_eq!(o.stdout, text);
    }
    // stdin to stdout.
    let o = run(&s, &["gzip"], b"abc");
    let back = run(&s, &["gunzip"], &o.stdout);
    assert_eq!(back.stdout, b"abc");
    // -k keeps the input; -v reports.
    let o = run(&s, &["gzip", "-kv", "t"], b"");
    assert!(o.status.success());
    assert!(s.path("t").exists() && s.path("t.gz").exists());
    assert!(err(&o).contains("-- replaced with t.gz"), "{}", err(&o));
    // Empty input makes a valid member.
    let o = run(&s, &["gzip", "-c"], b"");
    assert_eq!(run(&s, &["zcat"], &o.stdout).stdout, b"");
    assert_eq!(o.stdout.len(), 20);
}

#[test]
fn gzip_refuses_to_overwrite_without_force() {
    let s = Scratch::new("gz-force");
    fs::write(s.path("a"), b"new").unwrap();
    fs::write(s.path("a.gz"), b"old").unwrap();
    let o = run(&s, &["gzip", "a"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "gzip: can't open 'a.gz': File exists\n");
    assert_eq!(fs::read(s.path("a.gz")).unwrap(), b"old");
    assert!(s.path("a").exists());
    let o = run(&s, &["gzip", "-f", "a"], b"");
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(run(&s, &["zcat", "a.gz"], b"").stdout, b"new");
    assert!(!s.path("a").exists());
    // Already compressed, unknown suffix, missing file, directory.
    let o = run(&s, &["gzip", "a.gz"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("already has .gz suffix"));
    fs::write(s.path("b.txt"), b"x").unwrap();
    let o = run(&s, &["gunzip", "b.txt"], b"");
    assert_eq!(err(&o), "gunzip: b.txt: unknown suffix -- ignored\n");
    let o = run(&s, &["gzip", "nope", "b.txt"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).starts_with("gzip: can't open 'nope': No such file or directory\n"));
    assert!(
        s.path("b.txt.gz").exists(),
        "the other operand is still done"
    );
}

#[test]
fn gunzip_reads_gnu_multi_member_files() {
    let s = Scratch::new("gz-multi");
    fs::write(s.path("m.gz"), unhex(MULTI_GZ)).unwrap();
    let o = run(&s, &["zcat", "m.gz"], b"");
    assert_eq!(out(&o), "hello\nworld\n");
    let o = run(&s, &["gunzip", "-c"], &unhex(MULTI_GZ));
    assert_eq!(out(&o), "hello\nworld\n");
    let o = run(&s, &["gzip", "-d", "m.gz"], b"");
    assert!(o.status.success());
    assert_eq!(fs::read(s.path("m")).unwrap(), b"hello\nworld\n");
    // Trailing zeros (tape padding) are ignored.
    let mut padded = unhex(MULTI_GZ);
    padded.extend([0u8; 100]);
    assert_eq!(out(&run(&s, &["zcat"], &padded)), "hello\nworld\n");
}

#[test]
fn gunzip_corrupt_input_is_an_error_and_kept() {
    let s = Scratch::new("gz-corrupt");
    let good = unhex(MULTI_GZ);
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "magic.gz",
            b"not gzip at all".to_vec(),
            "gunzip: invalid magic\n",
        ),
        ("short.gz", b"xy".to_vec(), "gunzip: invalid magic\n"),
        (
            "crc.gz",
            {
                let mut b = good.clone();
                let n = b.len();
                b[n - 5] ^= 0xff; // second member's CRC
                b
            },
            "gunzip: crc error\n",
        ),
        (
            "trunc.gz",
            good[..good.len() - 10].to_vec(),
            "gunzip: unexpected end of file\n",
        ),
    ];
    for (name, bytes, msg) in &cases {
        fs::write(s.path(name), bytes).unwrap();
        let o = run(&s, &["gunzip", name], b"");
        assert_eq!(o.status.code(), Some(1), "{name}");
        assert_eq!(err(&o), *msg, "{name}");
        assert_eq!(&fs::read(s.path(name)).unwrap(), bytes, "{name} kept");
        let o = run(&s, &["gunzip", "-t", name], b"");
        assert_eq!(o.status.code(), Some(1), "{name} -t");
    }
    // No output file and no temporary file was left behind.
    assert_eq!(tree(&s), ["crc.gz", "magic.gz", "short.gz", "trunc.gz"]);
    fs::write(s.path("ok.gz"), &good).unwrap();
    let o = run(&s, &["gunzip", "-t", "ok.gz"], b"");
    assert!(o.status.success());
    assert!(s.path("ok.gz").exists() && !s.path("ok").exists());
    // Corrupt deflate data.
    let mut bad = good.clone();
    bad[10] = 0xff;
    bad[11] = 0xff;
    let o = run(&s, &["zcat"], &bad);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn gzip_bad_options() {
    let s = Scratch::new("gz-opt");
    let o = run(&s, &["gzip", "-Z"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).starts_with("gzip: invalid option -- 'Z'\n"));
    let o = run(&s, &["gunzip", "--bogus"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).starts_with("gunzip: unrecognized option '--bogus'\n"));
}

// ---------------------------------------------------------------- tar

/// A ustar header for `name` of type `kind` with `size` bytes and link
/// target `link`, checksum set.
fn tar_header(name: &[u8], kind: u8, size: u64, link: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"13600000000\0");
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A tar archive of (name, kind, data, link) members.
fn tar_of(members: &[(&str, u8, &[u8], &str)]) -> Vec<u8> {
    let mut t = Vec::new();
    for (name, kind, data, link) in members {
        t.extend(tar_header(
            name.as_bytes(),
            *kind,
            data.len() as u64,
            link.as_bytes(),
        ));
        t.extend_from_slice(data);
        t.resize(t.len().div_ceil(512) * 512, 0);
    }
    t.extend([0u8; 1024]);
    t
}

/// A tree with every kind tar stores, long and odd names, and a 5 MB file.
fn make_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let long1 = format!("{}/{}", "d".repeat(60), "e".repeat(70));
    let long2 = format!("{}/{}/{}", "x".repeat(120), "y".repeat(100), "z".repeat(90));
    let big: Vec<u8> = (0..5_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let files: Vec<(String, Vec<u8>)> = vec![
        ("t/plain".into(), b"plain\n".to_vec()),
        ("t/with space".into(), b"sp".to_vec()),
        ("t/new\nline".into(), b"nl".to_vec()),
        ("t/empty".into(), Vec::new()),
        (format!("t/{long1}"), b"long1".to_vec()),
        (format!("t/{long2}"), b"long2".to_vec()),
        ("t/big".into(), big),
        ("t/binary".into(), (0..=255u8).collect()),
    ];
    for (name, data) in &files {
        let p = root.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, data).unwrap();
    }
    fs::set_permissions(root.join("t/plain"), fs::Permissions::from_mode(0o754)).unwrap();
    fs::set_permissions(root.join("t/empty"), fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("plain", root.join("t/link")).unwrap();
    std::os::unix::fs::symlink(
        format!("{long2}-target-that-is-long"),
        root.join("t/longlink"),
    )
    .unwrap();
    fs::hard_link(root.join("t/plain"), root.join("t/hard")).unwrap();
    fs::create_dir(root.join("t/emptydir")).unwrap();
    fs::set_permissions(root.join("t/emptydir"), fs::Permissions::from_mode(0o710)).unwrap();
    set_mtime(&root.join("t/plain"), 1_000_000_000);
    files
}

/// Checks that `dst` holds what `make_tree` made.
fn check_tree(src: &Path, dst: &Path, files: &[(String, Vec<u8>)]) {
    for (name, data) in files {
        assert_eq!(&fs::read(dst.join(name)).unwrap(), data, "{name:?}");
        let (a, b) = (
            fs::metadata(src.join(name)).unwrap(),
            fs::metadata(dst.join(name)).unwrap(),
        );
        assert_eq!(a.mode(), b.mode(), "{name:?}");
    }
    assert_eq!(
        fs::metadata(dst.join("t/plain")).unwrap().mtime(),
        1_000_000_000
    );
    assert_eq!(
        fs::read_link(dst.join("t/link")).unwrap(),
        Path::new("plain")
    );
    assert_eq!(
        fs::read_link(dst.join("t/longlink")).unwrap(),
        fs::read_link(src.join("t/longlink")).unwrap()
    );
    let (p, h) = (
        fs::metadata(dst.join("t/plain")).unwrap(),
        fs::metadata(dst.join("t/hard")).unwrap(),
    );
    assert_eq!(p.ino(), h.ino(), "hard link kept");
    assert_eq!(
        fs::metadata(dst.join("t/emptydir")).unwrap().mode() & 0o7777,
        0o710
    );
}

#[test]
fn tar_round_trip_plain_and_gzip() {
    let s = Scratch::new("tar-round");
    fs::create_dir(s.path("src")).unwrap();
    let files = make_tree(&s.path("src"));
    let o = run(&s.path("src"), &["tar", "-cf", "../a.tar", "t"], b"");
    assert!(o.status.success(), "{}", err(&o));
    let o = run(&s, &["tar", "-tf", "a.tar"], b"");
    assert!(o.status.success(), "{}", err(&o));
    let listed = out(&o);
    for (name, _) in &files {
        assert!(listed.contains(&format!("{name}\n")), "{name:?} listed");
    }
    assert!(listed.starts_with("t/\n"));
    assert!(listed.contains("t/emptydir/\n"));
    let o = run(&s, &["tar", "-tvf", "a.tar"], b"");
    assert!(
        out(&o).contains(" t/hard link to t/plain\n")
            || out(&o).contains(" t/plain link to t/hard\n"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains(" t/link -> plain\n"), "{}", out(&o));
    fs::create_dir(s.path("x")).unwrap();
    let o = run(&s, &["tar", "-xf", "a.tar", "-C", "x"], b"");
    assert!(o.status.success(), "{}", err(&o));
    check_tree(&s.path("src"), &s.path("x"), &files);
    // The same through gzip and the old option syntax, via stdin/stdout.
    let o = run(&s.path("src"), &["tar", "czf", "-", "t"], b"");
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(&o.stdout[..2], &[0x1f, 0x8b]);
    fs::create_dir(s.path("y")).unwrap();
    let x = run(&s.path("y"), &["tar", "xzf", "-"], &o.stdout);
    assert!(x.status.success(), "{}", err(&x));
    check_tree(&s.path("src"), &s.path("y"), &files);
    // gzip is recognised without -z.
    fs::create_dir(s.path("z")).unwrap();
    let x = run(&s.path("z"), &["tar", "-x"], &o.stdout);
    assert!(x.status.success(), "{}", err(&x));
    check_tree(&s.path("src"), &s.path("z"), &files);
}

#[test]
fn tar_reads_gnu_and_pax_archives() {
    let s = Scratch::new("tar-gnu");
    let long1 = format!("{}/{}", "d".repeat(60), "e".repeat(70));
    let long2 = format!("{}/{}", "x".repeat(150), "y".repeat(150));
    for hex in [GNU_TGZ, PAX_TGZ] {
        let o = run(&s, &["tar", "-tvzf", "-"], &unhex(hex));
        assert!(o.status.success(), "{}", err(&o));
        let expected = format!(
            "-rw-r--r-- 0/0        11 2020-01-02 00:00 a b\n\
             drwxr-xr-x 0/0         0 2020-01-02 00:00 {d}/\n\
             -rw-r--r-- 0/0         9 2020-01-02 00:00 {long1}\n\
             -rwxr-xr-x 0/0         0 2020-01-02 00:00 empty\n\
             drwxr-xr-x 0/0         0 2020-01-02 00:00 emptydir/\n\
             lrwxrwxrwx 0/0         0 2020-01-02 00:00 sl -> {long2}\n\
             drwxr-xr-x 0/0         0 2020-01-02 00:00 {x}/\n\
             -rw-r--r-- 0/0         7 2020-01-02 00:00 {long2}\n",
            d = "d".repeat(60),
            x = "x".repeat(150),
        );
        assert_eq!(out(&o), expected);
        let dir = s.path(if hex == GNU_TGZ { "gnu" } else { "pax" });
        fs::create_dir(&dir).unwrap();
        let o = run(&dir, &["tar", "-xzf", "-"], &unhex(hex));
        assert!(o.status.success(), "{}", err(&o));
        assert_eq!(fs::read(dir.join("a b")).unwrap(), b"with space\n");
        assert_eq!(fs::read(dir.join(&long1)).unwrap(), b"long one\n");
        assert_eq!(fs::read(dir.join(&long2)).unwrap(), b"longer\n");
        assert_eq!(fs::read(dir.join("sl")).unwrap(), b"longer\n");
        assert_eq!(
            fs::metadata(dir.join("empty")).unwrap().mode() & 0o777,
            0o755
        );
        assert_eq!(
            fs::metadata(dir.join("a b")).unwrap().mtime(),
            1_577_923_200
        );
    }
}

#[test]
fn tar_extract_never_escapes_the_target() {
    let s = Scratch::new("tar-hostile");
    let target = s.path("target");
    fs::create_dir(&target).unwrap();
    fs::create_dir(s.path("outside")).unwrap();
    let outside = s.path("outside");
    let outside_s = outside.to_str().unwrap();
    let abs = format!("{outside_s}/abs");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            tar_of(&[("../escape", b'0', b"bad", "")]),
            "tar: removing leading '../' from member names\n",
        ),
        (
            tar_of(&[("a/../../../escape", b'0', b"bad", "")]),
            "tar: removing leading 'a/../../../' from member names\n",
        ),
        (
            tar_of(&[(&abs, b'0', b"bad", "")]),
            "tar: removing leading '/' from member names\n",
        ),
        (
            tar_of(&[
                ("lnk", b'2', b"", outside_s),
                ("lnk/evil", b'0', b"bad", ""),
            ]),
            "tar: can't create 'lnk/evil': path goes through the archive's own symlink 'lnk'\n",
        ),
        (
            tar_of(&[("up", b'2', b"", ".."), ("up/evil", b'0', b"bad", "")]),
            "tar: can't create 'up/evil': path goes through the archive's own symlink 'up'\n",
        ),
        (
            tar_of(&[
                ("s", b'2', b"", outside_s),
                ("h", b'1', b"", "s"),
                ("h/evil", b'0', b"bad", ""),
            ]),
            "tar: can't create 'h/evil': path goes through the archive's own symlink 'h'\n",
        ),
    ];
    for (archive, msg) in &cases {
        let o = run(&target, &["tar", "-xf", "-"], archive);
        assert_eq!(err(&o), *msg);
        assert_eq!(tree(&outside), Vec::<String>::new(), "{msg}");
        assert!(!s.path("escape").exists());
    }
    // What could be placed safely was placed inside.
    assert_eq!(fs::read(target.join("escape")).unwrap(), b"bad");
    assert_eq!(fs::read(target.join(&abs[1..])).unwrap(), b"bad");
    // A hard link may not point outside either.
    fs::write(outside.join("secret"), b"s").unwrap();
    let rel = format!("../../../../../../../../..{outside_s}/secret");
    let o = run(
        &target,
        &["tar", "-xf", "-"],
        &tar_of(&[("hl", b'1', b"", &rel)]),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!target.join("hl").exists());
    assert_eq!(fs::metadata(outside.join("secret")).unwrap().nlink(), 1);
}

#[test]
fn tar_truncated_or_corrupt_archive_leaves_no_half_file() {
    let s = Scratch::new("tar-trunc");
    let data = vec![b'a'; 5000];
    let archive = tar_of(&[("f", b'0', &data, ""), ("g", b'0', b"x", "")]);
    fs::write(s.path("f"), b"previous").unwrap();
    let o = run(&s, &["tar", "-xf", "-"], &archive[..512 + 3000]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "tar: can't create 'f': unexpected end of file\n");
    assert_eq!(fs::read(s.path("f")).unwrap(), b"previous");
    assert_eq!(tree(&s), ["f"], "no temporary file left");
    // A broken checksum.
    let mut bad = archive.clone();
    bad[0] = b'F';
    let o = run(&s, &["tar", "-tf", "-"], &bad);
    assert_eq!(
        (o.status.code(), err(&o).as_str()),
        (Some(1), "tar: invalid tar header checksum\n")
    );
    // A header cut short.
    let o = run(&s, &["tar", "-tf", "-"], &archive[..100]);
    assert_eq!(err(&o), "tar: unexpected end of file\n");
    // Empty input is an empty archive.
    let o = run(&s, &["tar", "-tf", "-"], b"");
    assert!(o.status.success());
}

#[test]
fn tar_selection_exclude_and_stdout() {
    let s = Scratch::new("tar-select");
    fs::create_dir_all(s.path("d/sub")).unwrap();
    fs::write(s.path("d/a.txt"), b"A").unwrap();
    fs::write(s.path("d/b.o"), b"B").unwrap();
    fs::write(s.path("d/sub/c.o"), b"C").unwrap();
    fs::write(s.path("d/sub/d.txt"), b"D").unwrap();
    let o = run(
        &s,
        &["tar", "-c", "--exclude", "*.o", "-f", "x.tar", "d"],
        b"",
    );
    assert!(o.status.success(), "{}", err(&o));
    let o = run(&s, &["tar", "-tf", "x.tar"], b"");
    assert_eq!(out(&o), "d/\nd/a.txt\nd/sub/\nd/sub/d.txt\n");
    let o = run(&s, &["tar", "-cf", "y.tar", "--exclude=sub", "d"], b"");
    assert!(o.status.success());
    assert_eq!(
        out(&run(&s, &["tar", "-tf", "y.tar"], b"")),
        "d/\nd/a.txt\nd/b.o\n"
    );
    // -X reads patterns from a file.
    fs::write(s.path("pats"), b"*.txt\nsub/\n").unwrap();
    let o = run(&s, &["tar", "-cf", "w.tar", "-X", "pats", "d"], b"");
    assert!(o.status.success());
    assert_eq!(out(&run(&s, &["tar", "-tf", "w.tar"], b"")), "d/\nd/b.o\n");
    // -O prints selected members; unknown members are reported.
    let o = run(&s, &["tar", "-xOf", "x.tar", "d/sub", "nothere"], b"");
    assert_eq!(out(&o), "D");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "tar: nothere: not found in archive\n");
    // -T takes names from a file; -v on create lists them.
    fs::write(s.path("list"), b"d/a.txt\nd/b.o\n").unwrap();
    let o = run(&s, &["tar", "-cvf", "z.tar", "-T", "list"], b"");
    assert_eq!(out(&o), "d/a.txt\nd/b.o\n");
    // Leading '/' is removed on create too.
    let abs = s.path("d/a.txt");
    let o = run(&s, &["tar", "-cf", "-", abs.to_str().unwrap()], b"");
    assert_eq!(err(&o), "tar: removing leading '/' from member names\n");
    let names = out(&run(&s, &["tar", "-t"], &o.stdout));
    assert_eq!(names, format!("{}\n", &abs.to_str().unwrap()[1..]));
    // -m leaves the time at now.
    fs::create_dir(s.path("m")).unwrap();
    let o = run(&s.path("m"), &["tar", "-xmf", "../x.tar"], b"");
    assert!(o.status.success());
    let age = std::time::SystemTime::now()
        .duration_since(
            fs::metadata(s.path("m/d/a.txt"))
                .unwrap()
                .modified()
                .unwrap(),
        )
        .map(|d| d.as_secs())
        .unwrap_or(0);
    assert!(age < 100);
}

#[test]
fn tar_bad_options() {
    let s = Scratch::new("tar-opts");
    let o = run(&s, &["tar", "-f", "x"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).starts_with("tar: need exactly one of -c, -x or -t\n"));
    let o = run(&s, &["tar", "-cx"], b"");
    assert_eq!(o.status.code(), Some(1));
    let o = run(&s, &["tar", "-tQ"], b"");
    assert!(err(&o).starts_with("tar: invalid option -- 'Q'\n"));
    let o = run(&s, &["tar", "-cf", "x.tar"], b"");
    assert_eq!(
        (o.status.code(), err(&o).as_str()),
        (Some(1), "tar: empty archive\n")
    );
    let o = run(&s, &["tar", "-tf", "missing.tar"], b"");
    assert_eq!(
        err(&o),
        "tar: can't open 'missing.tar': No such file or directory\n"
    );
    let o = run(&s, &["tar", "-cf", "x.tar", "missing"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "tar: missing: No such file or directory\n");
}

// ---------------------------------------------------------------- cpio

/// A newc member header and name (data not included).
fn newc(name: &str, mode: u32, size: usize) -> Vec<u8> {
    let mut h = format!(
        "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
        1,
        mode,
        0,
        0,
        1,
        1_600_000_000u32,
        size,
        0,
        0,
        0,
        0,
        name.len() + 1,
        0
    )
    .into_bytes();
    h.extend_from_slice(name.as_bytes());
    h.push(0);
    h.resize(h.len().div_ceil(4) * 4, 0);
    h
}

/// A newc archive of (name, mode, data) members.
fn cpio_of(members: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut a = Vec::new();
    for (name, mode, data) in members {
        a.extend(newc(name, *mode, data.len()));
        a.extend_from_slice(data);
        a.resize(a.len().div_ceil(4) * 4, 0);
    }
    a.extend(newc("TRAILER!!!", 0, 0));
    a.resize(a.len().div_ceil(512) * 512, 0);
    a
}

#[test]
fn cpio_round_trip() {
    let s = Scratch::new("cpio-round");
    fs::create_dir(s.path("src")).unwrap();
    let files = make_tree(&s.path("src"));
    let mut names = [
        "t",
        "t/plain",
        "t/hard",
        "t/link",
        "t/longlink",
        "t/emptydir",
        "t/with space",
        "t/empty",
        "t/big",
        "t/binary",
    ]
    .join("\n");
    names.push('\n');
    let o = run(
        &s.path("src"),
        &["cpio", "-o", "-H", "newc"],
        names.as_bytes(),
    );
    assert!(o.status.success(), "{}", err(&o));
    let blocks = o.stdout.len() / 512;
    assert_eq!(err(&o), format!("{blocks} blocks\n"));
    assert_eq!(o.stdout.len() % 512, 0);
    fs::write(s.path("a.cpio"), &o.stdout).unwrap();
    let l = run(&s, &["cpio", "-t", "--quiet", "-F", "a.cpio"], b"");
    assert_eq!(out(&l), names);
    assert_eq!(err(&l), "");
    fs::create_dir(s.path("x")).unwrap();
    let x = run(&s.path("x"), &["cpio", "-idm", "--quiet"], &o.stdout);
    assert!(x.status.success(), "{}", err(&x));
    for (name, data) in &files {
        if name.starts_with("t/new") || name.matches('/').count() > 1 {
            continue;
        }
        assert_eq!(&fs::read(s.path("x").join(name)).unwrap(), data, "{name}");
    }
    let m = fs::metadata(s.path("x/t/plain")).unwrap();
    assert_eq!((m.mode() & 0o7777, m.mtime()), (0o754, 1_000_000_000));
    assert_eq!(m.ino(), fs::metadata(s.path("x/t/hard")).unwrap().ino());
    assert_eq!(
        fs::read_link(s.path("x/t/link")).unwrap(),
        Path::new("plain")
    );
    assert_eq!(
        fs::metadata(s.path("x/t/emptydir")).unwrap().mode() & 0o7777,
        0o710
    );
    // A second extraction replaces nothing (same age) unless -u.
    fs::write(s.path("x/t/binary"), b"changed").unwrap();
    set_mtime(&s.path("x/t/binary"), 4_000_000_000);
    let x = run(
        &s.path("x"),
        &["cpio", "-i", "--quiet", "t/binary"],
        &o.stdout,
    );
    assert_eq!(
        err(&x),
        "cpio: t/binary not created: newer or same age version exists\n"
    );
    assert_eq!(fs::read(s.path("x/t/binary")).unwrap(), b"changed");
    let x = run(
        &s.path("x"),
        &["cpio", "-iuv", "--quiet", "t/bin*"],
        &o.stdout,
    );
    assert!(x.status.success());
    assert_eq!(err(&x), "t/binary\n");
    assert_eq!(
        fs::read(s.path("x/t/binary")).unwrap(),
        (0..=255u8).collect::<Vec<u8>>()
    );
}

#[test]
fn cpio_reads_gnu_archives_with_hard_links() {
    let s = Scratch::new("cpio-gnu");
    // GNU cpio -o -H newc stores hard links' data with the last of them.
    let gz = run(&s, &["zcat"], &unhex(GNU_CPIO_GZ));
    let archive = gz.stdout;
    let o = run(&s, &["cpio", "-tv"], &archive);
    assert_eq!(
        out(&o),
        "drwxr-xr-x 0/0         0 2020-01-02 00:00 d\n\
         -rw-r--r-- 0/0         0 2020-01-02 00:00 d/f1\n\
         -rw-r--r-- 0/0         4 2020-01-02 00:00 d/f2\n\
         lrwxrwxrwx 0/0         0 2020-01-02 00:00 d/s -> f1\n\
         -rw-r--r-- 0/0         1 2020-01-02 00:00 d/sp ace\n"
    );
    assert_eq!(err(&o), "2 blocks\n");
    let o = run(&s, &["cpio", "-i", "-d", "-m"], &archive);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(fs::read(s.path("d/f1")).unwrap(), b"one\n");
    assert_eq!(
        fs::metadata(s.path("d/f1")).unwrap().ino(),
        fs::metadata(s.path("d/f2")).unwrap().ino()
    );
    assert_eq!(fs::read(s.path("d/s")).unwrap(), b"one\n");
    assert_eq!(fs::metadata(s.path("d")).unwrap().mtime(), 1_577_923_200);
    // Without -d a missing directory is an error.
    fs::create_dir(s.path("nod")).unwrap();
    let o = run(
        &s.path("nod"),
        &["cpio", "-i", "--quiet", "d/sp ace"],
        &archive,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        "cpio: can't create 'd/sp ace': No such file or directory\n"
    );
}

#[test]
fn cpio_extract_never_escapes_the_target() {
    let s = Scratch::new("cpio-hostile");
    let target = s.path("target");
    fs::create_dir(&target).unwrap();
    fs::create_dir(s.path("outside")).unwrap();
    let outside = s.path("outside");
    let abs = format!("{}/abs", outside.to_str().unwrap());
    let a = cpio_of(&[
        ("../escape", 0o100644, b"bad"),
        (&abs, 0o100644, b"bad"),
        ("lnk", 0o120777, outside.to_str().unwrap().as_bytes()),
        ("lnk/evil", 0o100644, b"bad"),
    ]);
    let o = run(&target, &["cpio", "-id", "--quiet"], &a);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        "cpio: removing leading '../' from member names\n\
         cpio: removing leading '/' from member names\n\
         cpio: can't create 'lnk/evil': path goes through the archive's own symlink 'lnk'\n"
    );
    assert_eq!(tree(&outside), Vec::<String>::new());
    assert!(!s.path("escape").exists());
    assert_eq!(fs::read(target.join("escape")).unwrap(), b"bad");
}

#[test]
fn cpio_errors() {
    let s = Scratch::new("cpio-err");
    let o = run(&s, &["cpio", "-o", "-H", "odc"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).starts_with("cpio: unsupported format 'odc'\n"));
    let o = run(&s, &["cpio"], b"");
    assert!(err(&o).starts_with("cpio: need exactly one of -i, -o or -t\n"));
    let o = run(&s, &["cpio", "-t"], b"070707garbage-old-format-header-0000000000000000000000000000000000000000000000000000000000000000000000000000");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).starts_with("cpio: unsupported cpio format, use newc or crc\n"));
    let a = cpio_of(&[("f", 0o100644, b"0123456789")]);
    let o = run(&s, &["cpio", "-i", "--quiet"], &a[..120]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "cpio: can't create 'f': unexpected end of file\n");
    assert_eq!(tree(&s), Vec::<String>::new());
    let o = run(&s, &["cpio", "-o", "--quiet"], b"missing\n");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        "cpio: can't stat 'missing': No such file or directory\n"
    );
}

/// Whether the tests run as root (device nodes, owners).
fn root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

#[test]
fn tar_devices_fifos_and_owners() {
    use std::os::unix::fs::FileTypeExt;
    let s = Scratch::new("tar-dev");
    let mut dev = tar_header(b"null", b'3', 0, b"");
    dev[329..337].copy_from_slice(b"0000001\0");
    dev[337..345].copy_from_slice(b"0000003\0");
    dev[148..156].fill(b' ');
    let sum: u32 = dev.iter().map(|&b| u32::from(b)).sum();
    dev[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut owned = tar_header(b"owned", b'0', 1, b"");
    owned[108..116].copy_from_slice(b"0002322\0"); // uid 1234
    owned[116..124].copy_from_slice(b"0013056\0"); // gid 5678
    owned[265..279].copy_from_slice(b"no-such-user-x");
    owned[148..156].fill(b' ');
    let sum: u32 = owned.iter().map(|&b| u32::from(b)).sum();
    owned[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut archive = dev;
    archive.extend(owned);
    archive.extend(b"x");
    archive.resize(archive.len().div_ceil(512) * 512, 0);
    archive.extend(tar_of(&[("fifo", b'6', b"", "")]));
    let o = run(&s, &["tar", "-xvf", "-"], &archive);
    if !root() {
        assert_eq!(o.status.code(), Some(1));
        assert!(fs::symlink_metadata(s.path("fifo"))
            .unwrap()
            .file_type()
            .is_fifo());
        return;
    }
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "null\nowned\nfifo\n");
    let m = fs::symlink_metadata(s.path("null")).unwrap();
    assert!(m.file_type().is_char_device());
    assert_eq!(m.rdev(), 0x103);
    let m = fs::metadata(s.path("owned")).unwrap();
    assert_eq!((m.uid(), m.gid()), (1234, 5678));
    assert!(fs::symlink_metadata(s.path("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    // tar -c stores them back; -tv shows major,minor.
    let o = run(&s, &["tar", "-cf", "-", "null", "fifo", "owned"], b"");
    let l = run(&s, &["tar", "-tvf", "-"], &o.stdout);
    let listing = out(&l);
    assert!(
        listing.starts_with("crw-r--r-- root/root       1,3 "),
        "{listing}"
    );
    assert!(
        listing.contains("\nprw-r--r-- root/root         0 "),
        "{listing}"
    );
    assert!(
        listing.contains("\n-rw-r--r-- 1234/5678         1 "),
        "{listing}"
    );
    // -o (no same owner) leaves files to the extracting user.
    fs::create_dir(s.path("o")).unwrap();
    let x = run(&s.path("o"), &["tar", "-xof", "-"], &o.stdout);
    assert!(x.status.success());
    assert_eq!(fs::metadata(s.path("o/owned")).unwrap().uid(), 0);
}

#[test]
fn tar_dereference_and_self() {
    let s = Scratch::new("tar-deref");
    fs::create_dir(s.path("d")).unwrap();
    fs::write(s.path("d/f"), b"data").unwrap();
    std::os::unix::fs::symlink("f", s.path("d/l")).unwrap();
    let o = run(&s, &["tar", "-chf", "h.tar", "d/l"], b"");
    assert!(o.status.success());
    let o = run(&s, &["tar", "-xOf", "h.tar"], b"");
    assert_eq!(out(&o), "data");
    let o = run(&s, &["tar", "-cf", "d/self.tar", "d"], b"");
    assert_eq!(
        err(&o),
        "tar: d/self.tar: file is the archive; not dumped\n"
    );
    let o = run(&s, &["tar", "-tf", "d/self.tar"], b"");
    assert_eq!(out(&o), "d/\nd/f\nd/l\n");
}

#[test]
fn gzip_refuses_a_terminal_without_force() {
    let s = Scratch::new("gz-tty");
    let Ok(pty) = nix::pty::openpty(None, None) else {
        return;
    };
    let tty = fs::File::from(pty.slave);
    let o = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["gzip"])
        .current_dir(&s)
        .stdin(Stdio::null())
        .stdout(tty.try_clone().unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        "gzip: compressed data not written to a terminal. Use -f to force compression.\n"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["gunzip"])
        .current_dir(&s)
        .stdin(tty)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        "gunzip: compressed data not read from a terminal. Use -f to force decompression.\n"
    );
    drop(pty.master);
}
