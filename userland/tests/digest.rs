//! Runs the built `ibox` on the host and checks md5sum, sha1sum, sha256sum
//! and sha512sum, printing and checking. Each test has its own scratch
//! directory.

mod common;
use common::{run_in, scratch, stderr, stdout};

#[test]
fn sums_of_stdin_and_files() {
    let d = scratch("sums");
    std::fs::write(d.join("abc"), b"abc").unwrap();
    let cases = [
        ("md5sum", "900150983cd24fb0d6963f7d28e17f72"),
        ("sha1sum", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            "sha256sum",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            "sha512sum",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];
    for (applet, hex) in cases {
        let o = run_in(&d, &[applet], b"abc");
        assert_eq!(stdout(&o), format!("{hex}  -\n"));
        let o = run_in(&d, &[applet, "abc", "-"], b"abc");
        assert_eq!(stdout(&o), format!("{hex}  abc\n{hex}  -\n"));
        let o = run_in(&d, &[applet, "-b", "abc"], b"");
        assert_eq!(stdout(&o), format!("{hex} *abc\n"));
    }
    let o = run_in(&d, &["md5sum"], b"");
    assert_eq!(stdout(&o), "d41d8cd98f00b204e9800998ecf8427e  -\n");
}

#[test]
fn large_and_binary_input() {
    let d = scratch("large");
    let o = run_in(&d, &["md5sum"], &vec![b'a'; 1_000_000]);
    assert_eq!(stdout(&o), "7707d6ae4e027c70eea2a935c2296f21  -\n");
    let o = run_in(&d, &["sha1sum"], &vec![b'a'; 1_000_000]);
    assert_eq!(stdout(&o), "34aa973cd4c4daa4f61eeb2bdbad27316534016f  -\n");
}

#[test]
fn missing_files_and_directories() {
    let d = scratch("missing");
    std::fs::write(d.join("a"), b"abc").unwrap();
    let o = run_in(&d, &["md5sum", "nope", "a"], b"");
    assert_eq!(stdout(&o), "900150983cd24fb0d6963f7d28e17f72  a\n");
    assert_eq!(
        stderr(&o),
        "md5sum: can't open 'nope': No such file or directory\n"
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["md5sum", "."], b"");
    assert_eq!(stderr(&o), "md5sum: .: Is a directory\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["md5sum", "-z"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("md5sum: invalid option -- 'z'\n"));
}

#[test]
fn check_mode() {
    let d = scratch("check");
    std::fs::write(d.join("a"), b"abc").unwrap();
    std::fs::write(d.join("b b"), b"x").unwrap();
    let o = run_in(&d, &["md5sum", "a", "b b"], b"");
    std::fs::write(d.join("sums"), &o.stdout).unwrap();
    let o = run_in(&d, &["md5sum", "-c", "sums"], b"");
    assert_eq!(stdout(&o), "a: OK\nb b: OK\n");
    assert_eq!(o.status.code(), Some(0));
    std::fs::write(d.join("b b"), b"y").unwrap();
    let o = run_in(&d, &["md5sum", "-c", "sums"], b"");
    assert_eq!(stdout(&o), "a: OK\nb b: FAILED\n");
    assert_eq!(
        stderr(&o),
        "md5sum: WARNING: 1 computed checksum did NOT match\n"
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["md5sum", "-c", "-s", "sums"], b"");
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
    assert_eq!(o.status.code(), Some(1));
    // Binary markers, stdin as the list, bad lines with -w.
    let list = "900150983cd24fb0d6963f7d28e17f72 *a\nbad line\n";
    let o = run_in(&d, &["md5sum", "-c", "-w"], list.as_bytes());
    assert_eq!(stdout(&o), "a: OK\n");
    assert_eq!(
        stderr(&o),
        "md5sum: -: 2: improperly formatted checksum line\nmd5sum: WARNING: 1 line is improperly formatted\n"
    );
    assert_eq!(o.status.code(), Some(0));
    let o = run_in(&d, &["md5sum", "-c"], b"garbage\n");
    assert_eq!(
        stderr(&o),
        "md5sum: -: no properly formatted checksum lines found\n"
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(
        &d,
        &["md5sum", "-c"],
        b"d41d8cd98f00b204e9800998ecf8427e  gone\n",
    );
    assert_eq!(stdout(&o), "gone: FAILED open or read\n");
    assert_eq!(
        stderr(&o),
        "md5sum: can't open 'gone': No such file or directory\nmd5sum: WARNING: 1 listed file could not be read\n"
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["md5sum", "-c", "nolist"], b"");
    assert_eq!(
        stderr(&o),
        "md5sum: can't open 'nolist': No such file or directory\n"
    );
    let o = run_in(&d, &["sha1sum", "-s", "a"], b"");
    assert_eq!(o.status.code(), Some(1));
    // A sha256 list checked with sha256sum.
    let o = run_in(&d, &["sha256sum", "a"], b"");
    let o = run_in(&d, &["sha256sum", "-c"], &o.stdout);
    assert_eq!(stdout(&o), "a: OK\n");
}
