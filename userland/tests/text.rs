//! Host tests of the text applets (head, tail, wc, sort, uniq, cut, tr,
//! tee, seq, yes, rev, tac, basename, dirname, comm, paste, fold, nl,
//! cksum, base64, expr, strings, od, hexdump): the built `ibox` is run and
//! its output compared with bytes written out here (taken from GNU
//! coreutils, util-linux and BusyBox where they agree).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{scratch, text, Scratch};

/// `ibox ARGS...` with `input` on stdin, written from another thread so
/// that large inputs and outputs cannot deadlock.
fn run_in(dir: Option<&Path>, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Output {
    let mut cmd = common::ibox_cmd(args);
    cmd.envs(env.iter().copied());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    common::output_of(&mut cmd, input)
}

fn run(args: &[&str], input: &[u8]) -> Output {
    run_in(None, args, input, &[])
}

/// Asserts success, no stderr and exactly `expected` on stdout.
#[track_caller]
fn ok(args: &[&str], input: &[u8], expected: &[u8]) {
    let o = run(args, input);
    // Long outputs are shown shortened.
    let short = |b: &[u8]| text(&b[..b.len().min(200)]);
    assert!(
        o.stdout == expected,
        "{args:?}: got {:?} ({} bytes), want {:?} ({} bytes), stderr {:?}",
        short(&o.stdout),
        o.stdout.len(),
        short(expected),
        expected.len(),
        text(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "", "{args:?}");
}

/// Asserts exit status `code`, empty stdout and `message` as the first
/// line of stderr.
#[track_caller]
fn fails(args: &[&str], input: &[u8], code: i32, message: &str) {
    let o = run(args, input);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "", "{args:?}");
    assert_eq!(
        text(&o.stderr).lines().next(),
        Some(message),
        "{args:?}: {}",
        text(&o.stderr)
    );
}

/// A scratch directory holding `files` (name, contents).
fn with_files(name: &str, files: &[(&str, &[u8])]) -> Scratch {
    let dir = scratch(name);
    for (n, data) in files {
        std::fs::write(dir.join(n), data).unwrap();
    }
    dir
}

/// Every applet rejects an unknown option with BusyBox's message and
/// status 1, printing nothing on stdout.
#[test]
fn unknown_options_are_rejected() {
    for applet in [
        "head", "tail", "wc", "sort", "uniq", "cut", "tr", "tee", "seq", "rev", "tac", "basename",
        "dirname", "comm", "paste", "fold", "nl", "cksum", "base64", "strings", "od", "hexdump",
    ] {
        let o = run(&[applet, "-Z", "x"], b"");
        assert_eq!(o.status.code(), Some(1), "{applet}");
        assert_eq!(text(&o.stdout), "", "{applet}");
        let err = text(&o.stderr);
        assert_eq!(
            err.lines().next(),
            Some(format!("{applet}: invalid option -- 'Z'").as_str()),
            "{applet}"
        );
        assert!(err.contains(&format!("Usage: {applet}")), "{applet}: {err}");
    }
    let o = run(&["sort", "--bogus"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).starts_with("sort: unrecognized option '--bogus'"));
}

/// Every file-reading applet reports a missing file BusyBox-style, goes on
/// with the next file (whose name has a space) and exits 1.
#[test]
fn missing_files_are_reported_and_skipped() {
    let dir = with_files("missing", &[("a b", b"hello world\n")]);
    let cases: &[(&[&str], &str)] = &[
        (&["head"], "==> a b <==\nhello world\n"),
        (&["tail"], "==> a b <==\nhello world\n"),
        (&["wc"], "        1         2        12 a b\n        1         2        12 total\n"),
        (&["cut", "-c1-5"], "hello\n"),
        (&["rev"], "dlrow olleh\n"),
        (&["tac"], "hello world\n"),
        (&["paste"], "hello world\n"),
        (&["fold", "-w5"], "hello\n worl\nd\n"),
        (&["nl"], "     1\thello world\n"),
        (&["cksum"], "3733384285 12 a b\n"),
        (&["strings"], "hello world\n"),
        (&["od", "-c"], "0000000   h   e   l   l   o       w   o   r   l   d  \\n\n0000014\n"),
        (
            &["hexdump", "-C"],
            "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 0a              |hello world.|\n0000000c\n",
        ),
    ];
    for (args, expected) in cases {
        let mut full: Vec<&str> = args.to_vec();
        full.extend(["nofile", "a b"]);
        let o = run_in(Some(&dir), &full, b"", &[]);
        assert_eq!(o.status.code(), Some(1), "{full:?}");
        assert_eq!(text(&o.stdout), *expected, "{full:?}");
        assert_eq!(
            text(&o.stderr),
            format!(
                "{}: can't open 'nofile': No such file or directory\n",
                args[0]
            ),
            "{full:?}"
        );
    }
    // sort reports the file, sorts the others, and exits 2 (1 means
    // "unsorted" for sort -c).
    let o = run_in(Some(&dir), &["sort", "nofile", "a b"], b"", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&o.stdout), "hello world\n");
    assert_eq!(
        text(&o.stderr),
        "sort: can't open 'nofile': No such file or directory\n"
    );
    for args in [
        &["comm", "nofile", "a b"][..],
        &["uniq", "nofile"],
        &["base64", "nofile"],
    ] {
        let o = run_in(Some(&dir), args, b"", &[]);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(
            text(&o.stderr).lines().next(),
            Some(
                format!(
                    "{}: can't open 'nofile': No such file or directory",
                    args[0]
                )
                .as_str()
            )
        );
    }
    // tee cannot create a file in a missing directory but copies to the rest.
    let o = run_in(Some(&dir), &["tee", "no/such", "t 1"], b"abc\n", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout), "abc\n");
    assert_eq!(std::fs::read(dir.join("t 1")).unwrap(), b"abc\n");
    assert_eq!(
        text(&o.stderr),
        "tee: can't open 'no/such': No such file or directory\n"
    );
}

/// Empty input gives empty output (or the documented fixed text).
#[test]
fn empty_input() {
    for args in [
        &["head"][..],
        &["tail"],
        &["tail", "-c", "5"],
        &["sort"],
        &["uniq"],
        &["cut", "-f1"],
        &["tr", "a", "b"],
        &["tee"],
        &["rev"],
        &["tac"],
        &["paste"],
        &["fold"],
        &["nl"],
        &["base64"],
        &["base64", "-d"],
        &["strings"],
        &["hexdump", "-C"],
        &["hexdump"],
    ] {
        ok(args, b"", b"");
    }
    ok(&["wc"], b"", b"        0         0         0\n");
    ok(&["wc", "-l"], b"", b"0\n");
    ok(&["cksum"], b"", b"4294967295 0\n");
    ok(&["od"], b"", b"0000000\n");
    ok(&["paste", "-s"], b"", b"\n");
    ok(&["comm", "-", "/dev/null"], b"", b"");
}

/// The last line without a newline is handled like the others.
#[test]
fn no_trailing_newline() {
    ok(&["head", "-n1"], b"a", b"a");
    ok(&["head", "-n", "-1"], b"a\nb", b"a\n");
    ok(&["tail", "-n1"], b"a\nb", b"b");
    ok(&["tail", "-n2"], b"a\nb", b"a\nb");
    ok(&["wc"], b"a\nb", b"        1         2         3\n");
    ok(&["sort"], b"b\na", b"a\nb\n");
    ok(&["uniq"], b"a\na", b"a\n");
    ok(&["cut", "-c2"], b"ab", b"b\n");
    ok(&["rev"], b"ab\ncd", b"ba\ndc");
    ok(&["tac"], b"a\nb", b"ba\n");
    ok(&["paste", "-", "-"], b"a\nb", b"a\tb\n");
    ok(&["fold", "-w1"], b"ab", b"a\nb");
    ok(&["nl"], b"a", b"     1\ta\n");
    ok(&["tr", "a", "b"], b"a", b"b");
    ok(&["base64", "-d"], b"YWI=", b"ab");
    ok(&["strings"], b"abcd", b"abcd\n");
    ok(&["comm", "-", "/dev/null"], b"a", b"a\n");
}

/// NUL bytes and bytes that are not UTF-8 pass through unharmed.
#[test]
fn binary_data() {
    let bin: &[u8] = b"\x00\xff\xfe\n\x80a\x00b\n";
    ok(&["head", "-c", "3"], bin, b"\x00\xff\xfe");
    ok(&["tail", "-c", "3"], bin, b"\x00b\n");
    ok(&["head", "-n1"], bin, b"\x00\xff\xfe\n");
    ok(&["tac"], bin, b"\x80a\x00b\n\x00\xff\xfe\n");
    ok(&["rev"], bin, b"\xfe\xff\x00\nb\x00a\x80\n");
    ok(&["wc", "-c"], bin, b"9\n");
    ok(&["cut", "-b", "2-3"], bin, b"\xff\xfe\na\x00\n");
    ok(&["sort"], bin, b"\x00\xff\xfe\n\x80a\x00b\n");
    ok(
        &["uniq", "-c"],
        b"\x00\n\x00\n\xff\n",
        b"      2 \x00\n      1 \xff\n",
    );
    ok(&["tr", "\\000\\377", "xy"], bin, b"xy\xfe\n\x80axb\n");
    ok(&["tr", "-d", "\\000"], bin, b"\xff\xfe\n\x80ab\n");
    ok(&["cksum"], bin, b"1393308372 9\n");
    ok(&["base64"], bin, b"AP/+CoBhAGIK\n");
    ok(&["base64", "-d"], b"AP/+CoBhAGIK\n", bin);
    ok(&["strings", "-n", "1"], bin, b"a\nb\n");
    ok(&["sort", "-z"], b"b\0a\nc\0", b"a\nc\0b\0");
    ok(
        &["paste", "-s", "-d", ","],
        bin,
        b"\x00\xff\xfe,\x80a\x00b\n",
    );
}

/// Lines longer than any buffer (100 KiB) stay whole.
#[test]
fn long_lines() {
    let mut line = vec![b'x'; 100 * 1024];
    line.push(b'y');
    let mut input = line.clone();
    input.push(b'\n');
    input.extend_from_slice(b"short\n");
    let mut both_rev = b"short\n".to_vec();
    both_rev.extend_from_slice(&input[..line.len() + 1]);
    ok(&["head", "-n1"], &input, &input[..line.len() + 1]);
    ok(&["tail", "-n2"], &input, &input);
    ok(&["tail", "-n", "+2"], &input, b"short\n");
    ok(&["tac"], &input, &both_rev);
    ok(&["sort"], &input, &both_rev);
    ok(&["sort", "-r"], &input, &input);
    ok(&["uniq"], &input, &input);
    ok(&["cat"], &input, &input);
    ok(&["wc", "-L"], &input, b"102401\n");
    ok(&["cut", "-c", "102401-"], &input, b"y\n\n");
    ok(
        &["tr", "x", "z"],
        &input,
        &input
            .iter()
            .map(|&b| if b == b'x' { b'z' } else { b })
            .collect::<Vec<_>>(),
    );
    let mut rev = vec![b'y'];
    rev.extend_from_slice(&line[..line.len() - 1]);
    rev.extend_from_slice(b"\ntrohs\n");
    ok(&["rev"], &input, &rev);
    let encoded = run(&["base64", "-w", "0"], &input).stdout;
    assert_eq!(encoded.len(), input.len().div_ceil(3) * 4);
    ok(&["base64", "-d"], &encoded, &input);
    let mut numbered = b"     1\t".to_vec();
    numbered.extend_from_slice(&input[..line.len() + 1]);
    numbered.extend_from_slice(b"     2\tshort\n");
    ok(&["nl"], &input, &numbered);
    ok(&["tee"], &input, &input);
    ok(&["comm", "-3", "-", "/dev/null"], &input, &input);
    let mut pasted = input[..line.len()].to_vec();
    pasted.extend_from_slice(b"\tshort\n");
    ok(&["paste", "-s"], &input, &pasted);
    ok(&["cut", "-f", "2"], &pasted, b"short\n");
    let mut counted = b"      1 ".to_vec();
    counted.extend_from_slice(&input[..line.len() + 1]);
    counted.extend_from_slice(b"      1 short\n");
    ok(&["uniq", "-c"], &input, &counted);
    ok(&["strings", "-n", "6"], &input, &input[..line.len() + 1]);
    ok(&["cksum"], &input, b"3852248312 102408\n");
    let dumped = run(&["od", "-A", "n", "-c", "-v"], &input).stdout;
    assert_eq!(dumped.len(), 416033);
    let folded = run(&["fold", "-w", "1000"], &input).stdout;
    assert_eq!(folded.len(), input.len() + 102);
}

#[test]
fn head_options() {
    let input = b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
    ok(&["head"], input, b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
    ok(&["head", "-n", "2"], input, b"1\n2\n");
    ok(&["head", "-3"], input, b"1\n2\n3\n");
    ok(&["head", "-n", "-10"], input, b"1\n2\n");
    ok(&["head", "-c", "5"], input, b"1\n2\n3");
    ok(&["head", "-c", "-20"], input, b"1\n2\n3\n4");
    ok(&["head", "-c", "1k"], b"ab", b"ab");
    ok(&["head", "-n", "0"], input, b"");
    let dir = with_files("head", &[("f 1", b"a\nb\n"), ("f2", b"c\n")]);
    let o = run_in(Some(&dir), &["head", "-n1", "f 1", "f2"], b"", &[]);
    assert_eq!(text(&o.stdout), "==> f 1 <==\na\n\n==> f2 <==\nc\n");
    let o = run_in(Some(&dir), &["head", "-q", "-n1", "f 1", "f2"], b"", &[]);
    assert_eq!(text(&o.stdout), "a\nc\n");
    let o = run_in(Some(&dir), &["head", "-v", "f2"], b"", &[]);
    assert_eq!(text(&o.stdout), "==> f2 <==\nc\n");
    let o = run_in(Some(&dir), &["head", "-v", "-"], b"x\n", &[]);
    assert_eq!(text(&o.stdout), "==> standard input <==\nx\n");
    fails(&["head", "-n", "abc"], b"", 1, "head: invalid number 'abc'");
}

/// head leaves a seekable standard input just past the lines it printed,
/// so the next reader of the same file goes on from there (POSIX).
#[test]
fn head_leaves_stdin_offset_after_what_it_used() {
    let dir = with_files("headoff", &[("f", b"1\n2\n3\n4\n")]);
    let file = std::fs::File::open(dir.join("f")).unwrap();
    let mut same = file.try_clone().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["head", "-n", "2"])
        .stdin(Stdio::from(file))
        .output()
        .unwrap();
    assert_eq!(text(&o.stdout), "1\n2\n");
    let mut rest = String::new();
    same.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "3\n4\n");
}

#[test]
fn tail_options() {
    let input = b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
    ok(&["tail"], input, b"3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n");
    ok(&["tail", "-n", "2"], input, b"11\n12\n");
    ok(&["tail", "-2"], input, b"11\n12\n");
    ok(&["tail", "-n", "+11"], input, b"11\n12\n");
    ok(&["tail", "-n", "+0"], b"a\nb\n", b"a\nb\n");
    ok(&["tail", "+11"], input, b"11\n12\n");
    ok(&["tail", "-c", "3"], input, b"12\n");
    ok(&["tail", "-c", "+22"], input, b"11\n12\n");
    ok(&["tail", "-n", "0"], input, b"");
    // Regular files are read from the end.
    let mut big = Vec::new();
    for i in 0..100_000 {
        big.extend_from_slice(format!("line {i}\n").as_bytes());
    }
    let dir = with_files("tail", &[("big file", &big), ("f2", b"x\ny")]);
    let o = run_in(Some(&dir), &["tail", "-n", "2", "big file"], b"", &[]);
    assert_eq!(text(&o.stdout), "line 99998\nline 99999\n");
    let o = run_in(Some(&dir), &["tail", "-c", "6", "big file", "f2"], b"", &[]);
    assert_eq!(
        text(&o.stdout),
        "==> big file <==\n99999\n\n==> f2 <==\nx\ny"
    );
    let o = run_in(Some(&dir), &["tail", "-q", "-n1", "f2", "f2"], b"", &[]);
    assert_eq!(text(&o.stdout), "yy");
    ok(
        &["tail", "-n", "3"],
        &big,
        b"line 99997\nline 99998\nline 99999\n",
    );
    fails(&["tail", "-c", "x"], b"", 1, "tail: invalid number 'x'");
    // /proc files claim size 0 but have contents.
    let o = run(&["tail", "-n", "1", "/proc/self/status"], b"");
    assert!(text(&o.stdout).starts_with("nonvoluntary_ctxt_switches:"));
}

/// Reads what `child` has written to its stdout until `want` appears.
fn read_until(child: &mut Child, got: &mut Vec<u8>, want: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let out = child.stdout.as_mut().expect("stdout");
    let mut buf = [0u8; 4096];
    while !got.windows(want.len()).any(|w| w == want) {
        assert!(Instant::now() < deadline, "timed out: {:?}", text(got));
        let n = out.read(&mut buf).expect("read");
        assert!(n > 0, "EOF before {:?}: {:?}", text(want), text(got));
        got.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn tail_follows_growing_and_replaced_files() {
    let dir = with_files("follow", &[("log file", b"one\ntwo\n")]);
    let path = dir.join("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["tail", "-s", "0.05", "-n", "1", "-F", "log file"])
        .current_dir(&*dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut got = Vec::new();
    read_until(&mut child, &mut got, b"two\n");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"three\n")
        .unwrap();
    read_until(&mut child, &mut got, b"three\n");
    // Rename and recreate, as log rotation does: -F switches to the new file.
    std::fs::rename(&path, dir.join("old")).unwrap();
    std::fs::write(&path, b"new\n").unwrap();
    read_until(&mut child, &mut got, b"new\n");
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(text(&got), "two\nthree\nnew\n");

    // -f keeps following the open file.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["tail", "-s", "0.05", "-f", "log file"])
        .current_dir(&*dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut got = Vec::new();
    read_until(&mut child, &mut got, b"new\n");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"more")
        .unwrap();
    read_until(&mut child, &mut got, b"more");
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(text(&got), "new\nmore");
}

/// With several files, -f marks each change of file with a header.
#[test]
fn tail_follows_several_files() {
    let dir = with_files("follow2", &[("a", b"1\n"), ("b b", b"2\n")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["tail", "-s", "0.05", "-f", "a", "b b"])
        .current_dir(&*dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut got = Vec::new();
    read_until(&mut child, &mut got, b"==> b b <==\n2\n");
    let append = |name: &str, data: &[u8]| {
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join(name))
            .unwrap()
            .write_all(data)
            .unwrap();
    };
    append("a", b"x\n");
    read_until(&mut child, &mut got, b"x\n");
    append("a", b"y\n");
    read_until(&mut child, &mut got, b"y\n");
    append("b b", b"z\n");
    read_until(&mut child, &mut got, b"z\n");
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(
        text(&got),
        "==> a <==\n1\n\n==> b b <==\n2\n\n==> a <==\nx\ny\n\n==> b b <==\nz\n"
    );
}

#[test]
fn wc_options() {
    let input = "héllo wörld\tx\nsecond line\n\nlast".as_bytes();
    ok(&["wc"], input, b"        3         6        33\n");
    ok(&["wc", "-l"], input, b"3\n");
    ok(&["wc", "-w"], input, b"6\n");
    ok(&["wc", "-c"], input, b"33\n");
    ok(&["wc", "-m"], input, b"31\n");
    ok(&["wc", "-L"], input, b"17\n");
    // Tabs reach the next multiple of 8, \r and \f restart the line,
    // \v and control characters take no column.
    ok(&["wc", "-L"], b"a\r\t\x0b1\t \x0c\t\x01", b"17\n");
    ok(&["wc", "-lc"], input, b"        3        33\n");
    let dir = with_files("wc", &[("a", b"a b\n"), ("b c", b"x\ny\n")]);
    let o = run_in(Some(&dir), &["wc", "-l", "a", "b c"], b"", &[]);
    assert_eq!(
        text(&o.stdout),
        "        1 a\n        2 b c\n        3 total\n"
    );
    let o = run_in(Some(&dir), &["wc", "a"], b"", &[]);
    assert_eq!(text(&o.stdout), "        1         2         4 a\n");
    let o = run_in(Some(&dir), &["wc", "-w", "a"], b"", &[]);
    assert_eq!(text(&o.stdout), "2 a\n");
}

#[test]
fn sort_options() {
    let input = b"b 2\na 10\nC 1\nb 2\n  d 3\n";
    ok(&["sort"], input, b"  d 3\nC 1\na 10\nb 2\nb 2\n");
    ok(&["sort", "-r"], input, b"b 2\nb 2\na 10\nC 1\n  d 3\n");
    ok(&["sort", "-u"], input, b"  d 3\nC 1\na 10\nb 2\n");
    ok(&["sort", "-f"], input, b"  d 3\na 10\nb 2\nb 2\nC 1\n");
    ok(&["sort", "-b"], input, b"C 1\na 10\nb 2\nb 2\n  d 3\n");
    ok(&["sort", "-k2,2n"], input, b"C 1\nb 2\nb 2\n  d 3\na 10\n");
    // A key with options of its own does not take the global -r.
    ok(
        &["sort", "-k2n", "-r"],
        input,
        b"C 1\nb 2\nb 2\n  d 3\na 10\n",
    );
    ok(
        &["sort", "-k2", "-n", "-r"],
        input,
        b"a 10\n  d 3\nb 2\nb 2\nC 1\n",
    );
    ok(
        &["sort", "-k2,2nr", "-k1,1"],
        input,
        b"a 10\n  d 3\nb 2\nb 2\nC 1\n",
    );
    ok(
        &["sort", "-n"],
        b"10\n9\n-1\n2.5\nx\n",
        b"-1\nx\n2.5\n9\n10\n",
    );
    ok(&["sort", "-h"], b"2K\n1M\n10\n1G\n", b"10\n2K\n1M\n1G\n");
    ok(
        &["sort", "-V"],
        b"v1.10\nv1.9\nv1.9a\n",
        b"v1.9\nv1.9a\nv1.10\n",
    );
    ok(
        &["sort", "-V"],
        b"a-1.10.tar.gz\n~\n\na-1.9.tar.gz\n.x\n",
        b"\n.x\n~\na-1.9.tar.gz\na-1.10.tar.gz\n",
    );
    // -f and -d apply before numeric and version comparisons (GNU).
    ok(&["sort", "-f", "-V"], b"b2\nB1\n", b"B1\nb2\n");
    ok(&["sort", "-k1.2b,2"], b"~ b\nx a\n", b"x a\n~ b\n");
    ok(
        &["sort", "-t", ":", "-k", "2"],
        b"a:z\nb:y\n",
        b"b:y\na:z\n",
    );
    ok(
        &["sort", "-t:", "-k2,2", "-s"],
        b"b:1\na:1\nc:0\n",
        b"c:0\nb:1\na:1\n",
    );
    ok(
        &["sort", "-s", "-k1,1"],
        b"a 2\nb 1\na 1\n",
        b"a 2\na 1\nb 1\n",
    );
    ok(&["sort", "-k1.2,1.2"], b"ab\nba\n", b"ba\nab\n");
    ok(&["sort", "-z"], b"b\0a\0", b"a\0b\0");
    ok(&["sort", "-c"], b"a\nb\n", b"");
    fails(&["sort", "-c"], b"a\nc\nb\n", 1, "sort: -:3: disorder: b");
    fails(
        &["sort", "-k", "0"],
        b"",
        2,
        "sort: bad field specification: '0'",
    );
    fails(
        &["sort", "-k", "1x"],
        b"",
        2,
        "sort: unknown key option: '1x'",
    );
    // -o may name an input file.
    let dir = with_files("sort", &[("in put", b"b\na\n")]);
    let o = run_in(Some(&dir), &["sort", "-o", "in put", "in put"], b"", &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read(dir.join("in put")).unwrap(), b"a\nb\n");
}

/// Past the memory limit, sort spills sorted runs to $TMPDIR and merges
/// them; the result (stable, -u, -r) must match an in-memory sort, and no
/// temporary file may be left behind.
#[test]
fn sort_external_merge() {
    let mut input = Vec::new();
    let mut x: u64 = 12345;
    for i in 0..5000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        input.extend_from_slice(format!("{} {}\n", (x >> 33) % 300, i).as_bytes());
    }
    let tmp = scratch("sorttmp");
    let tmp_s = tmp.to_str().unwrap();
    for args in [
        &["sort"][..],
        &["sort", "-n"],
        &["sort", "-s", "-k1,1n"],
        &["sort", "-u", "-k1,1n"],
        &["sort", "-r", "-k1,1"],
        &["sort", "-r"],
        &["sort", "-ru"],
    ] {
        let in_memory = run(args, &input);
        let spilled = run_in(
            None,
            args,
            &input,
            &[("IBOX_SORT_MEM", "2000"), ("TMPDIR", tmp_s)],
        );
        assert_eq!(spilled.status.code(), Some(0), "{}", text(&spilled.stderr));
        assert!(in_memory.stdout.len() > 1000);
        assert_eq!(spilled.stdout, in_memory.stdout, "{args:?}");
        assert_eq!(std::fs::read_dir(&*tmp).unwrap().count(), 0);
    }
    // Whole lines byte by byte (lines shorter and longer than the eight
    // bytes compared as one number), forwards and reversed.
    let mut lines: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').collect();
    lines.sort();
    assert_eq!(run(&["sort"], &input).stdout, lines.concat());
    lines.reverse();
    assert_eq!(run(&["sort", "-r"], &input).stdout, lines.concat());
    // Stable merge: equal keys keep input order across runs.
    let s = run_in(
        None,
        &["sort", "-s", "-k1,1n"],
        &input,
        &[("IBOX_SORT_MEM", "500"), ("TMPDIR", tmp_s)],
    );
    let lines: Vec<(u64, u64)> = text(&s.stdout)
        .lines()
        .map(|l| {
            let mut w = l.split(' ').map(|n| n.parse::<u64>().unwrap());
            (w.next().unwrap(), w.next().unwrap())
        })
        .collect();
    assert_eq!(lines.len(), 5000);
    assert!(lines.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn uniq_options() {
    let input = b"a\na\nA\nb x\nc x\nc x\nd";
    ok(&["uniq"], input, b"a\nA\nb x\nc x\nd\n");
    ok(
        &["uniq", "-c"],
        input,
        b"      2 a\n      1 A\n      1 b x\n      2 c x\n      1 d\n",
    );
    ok(&["uniq", "-d"], input, b"a\nc x\n");
    ok(&["uniq", "-u"], input, b"A\nb x\nd\n");
    ok(&["uniq", "-i"], input, b"a\nb x\nc x\nd\n");
    ok(&["uniq", "-f", "1"], input, b"a\nb x\nd\n");
    ok(
        &["uniq", "-s", "1", "-c"],
        b"ab\nbb\ncc\n",
        b"      2 ab\n      1 cc\n",
    );
    ok(&["uniq", "-w", "1"], b"ab\nac\nbc\n", b"ab\nbc\n");
    let dir = with_files("uniq", &[("in", b"x\nx\n")]);
    let o = run_in(Some(&dir), &["uniq", "in", "out file"], b"", &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read(dir.join("out file")).unwrap(), b"x\n");
}

#[test]
fn cut_options() {
    let input = b"a:b:c\nnodelim\nabcdef\n";
    ok(&["cut", "-d:", "-f1,3"], input, b"a:c\nnodelim\nabcdef\n");
    ok(&["cut", "-d:", "-f2-", "-s"], input, b"b:c\n");
    ok(&["cut", "-b", "1-2,4-"], input, b"a::c\nnoelim\nabdef\n");
    ok(&["cut", "-c", "-2"], input, b"a:\nno\nab\n");
    ok(&["cut", "-d:", "-f3-"], input, b"c\nnodelim\nabcdef\n");
    ok(&["cut", "-f2"], b"a\tb\tc\n", b"b\n");
    ok(
        &["cut", "-d:", "-f1,3", "--output-delimiter", "XX"],
        input,
        b"aXXc\nnodelim\nabcdef\n",
    );
    ok(
        &["cut", "-b", "1,3-4", "--output-delimiter=-"],
        b"abcdef\n",
        b"a-cd\n",
    );
    fails(
        &["cut", "-f", "0"],
        b"",
        1,
        "cut: fields and positions are numbered from 1",
    );
    fails(
        &["cut", "-d", "ab", "-f1"],
        b"",
        1,
        "cut: the delimiter must be a single character",
    );
    fails(
        &["cut"],
        b"",
        1,
        "cut: expected a list of bytes, characters, or fields",
    );
}

#[test]
fn tr_options() {
    let input = b"Hello,  World!\n\taaa bbb\n";
    ok(&["tr", "a-z", "A-Z"], input, b"HELLO,  WORLD!\n\tAAA BBB\n");
    ok(
        &["tr", "[:lower:]", "[:upper:]"],
        input,
        b"HELLO,  WORLD!\n\tAAA BBB\n",
    );
    ok(&["tr", "-d", "[:space:]"], input, b"Hello,World!aaabbb");
    ok(&["tr", "-s", " a"], input, b"Hello, World!\n\ta bbb\n");
    ok(&["tr", "-ds", "l", " "], input, b"Heo, Word!\n\taaa bbb\n");
    ok(
        &["tr", "-c", "a-z\\n", "_"],
        input,
        b"_ello____orld_\n_aaa_bbb\n",
    );
    ok(&["tr", "-cd", "[:alpha:]"], input, b"HelloWorldaaabbb");
    ok(&["tr", "-C", "a", "b"], b"abc", b"abb");
    ok(&["tr", "\\n\\t", "NT"], input, b"Hello,  World!NTaaa bbbN");
    ok(&["tr", "\\101-\\132", "a*"], b"AZ*", b"a**");
    ok(&["tr", "a-f", "[x*2]yz"], b"abcdef", b"xxyzzz");
    ok(&["tr", "lo", "[x*]"], b"hello", b"hexxx");
    ok(&["tr", "-t", "abc", "x"], b"abc", b"xbc");
    ok(&["tr", "[=a=]", "b"], b"aa", b"bb");
    ok(&["tr", "a", "-x"], b"abc", b"-bc");
    ok(&["tr", "--", "-a", "x_"], b"a-b", b"_xb");
    fails(
        &["tr", "z-a", "x"],
        b"",
        1,
        "tr: range-endpoints of 'z-a' are in reverse collating sequence order",
    );
    fails(&["tr", "a"], b"", 1, "tr: missing operand");
    fails(
        &["tr", "[:nope:]", "x"],
        b"",
        1,
        "tr: invalid character class 'nope'",
    );
}

#[test]
fn tee_options() {
    let dir = with_files("tee", &[("a f", b"old\n")]);
    let o = run_in(Some(&dir), &["tee", "-a", "a f", "b"], b"new\n", &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), "new\n");
    assert_eq!(std::fs::read(dir.join("a f")).unwrap(), b"old\nnew\n");
    assert_eq!(std::fs::read(dir.join("b")).unwrap(), b"new\n");
    let o = run_in(Some(&dir), &["tee", "-i", "a f"], b"x", &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read(dir.join("a f")).unwrap(), b"x");
}

#[test]
fn seq_options() {
    ok(&["seq", "3"], b"", b"1\n2\n3\n");
    ok(&["seq", "2", "4"], b"", b"2\n3\n4\n");
    ok(&["seq", "1", "0.5", "2"], b"", b"1.0\n1.5\n2.0\n");
    ok(&["seq", "0.1", "0.1", "0.3"], b"", b"0.1\n0.2\n0.3\n");
    ok(&["seq", "5", "-2", "1"], b"", b"5\n3\n1\n");
    ok(&["seq", "-3", "-1", "-5"], b"", b"-3\n-4\n-5\n");
    ok(&["seq", "3", "1"], b"", b"");
    ok(&["seq", "0.5"], b"", b"");
    ok(&["seq", "1", "0.3", "2"], b"", b"1.0\n1.3\n1.6\n1.9\n");
    ok(&["seq", "-w", "8", "10"], b"", b"08\n09\n10\n");
    ok(&["seq", "-s", ", ", "3"], b"", b"1, 2, 3\n");
    ok(&["seq", "-f", "%03g.", "2"], b"", b"001.\n002.\n");
    ok(&["seq", "-f", "%.2f%%", "1"], b"", b"1.00%\n");
    fails(&["seq", "x"], b"", 1, "seq: invalid number 'x'");
    fails(
        &["seq", "-f", "%d", "1"],
        b"",
        1,
        "seq: invalid format string: '%d'",
    );
    fails(
        &["seq", "1", "0", "2"],
        b"",
        1,
        "seq: invalid Zero increment value: '0'",
    );
    fails(&["seq"], b"", 1, "seq: missing operand");
}

#[test]
fn yes_repeats_until_the_reader_leaves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["yes", "a", "b"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut got = vec![0u8; 200_000];
    child.stdout.as_mut().unwrap().read_exact(&mut got).unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(got.chunks(4).all(|c| c == b"a b\n"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .arg("yes")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut got = vec![0u8; 10];
    child.stdout.as_mut().unwrap().read_exact(&mut got).unwrap();
    drop(child.stdout.take());
    let _ = child.wait();
    assert_eq!(got, b"y\ny\ny\ny\ny\n");
}

#[test]
fn rev_and_tac() {
    ok(
        &["rev"],
        "héllo\n€uro\n".as_bytes(),
        "olléh\noru€\n".as_bytes(),
    );
    ok(&["tac"], b"1\n2\n3\n", b"3\n2\n1\n");
    let dir = with_files("tac", &[("x y", b"1\n2\n"), ("z", b"3\n")]);
    let o = run_in(Some(&dir), &["tac", "x y", "z"], b"", &[]);
    assert_eq!(text(&o.stdout), "2\n1\n3\n");
}

#[test]
fn basename_and_dirname() {
    ok(&["basename", "/usr/lib/libc.so"], b"", b"libc.so\n");
    ok(&["basename", "/usr/lib/"], b"", b"lib\n");
    ok(&["basename", "/"], b"", b"/\n");
    ok(&["basename", "a b.c", ".c"], b"", b"a b\n");
    ok(&["basename", ".c", ".c"], b"", b".c\n");
    ok(&["basename", "-s", ".c", "a.c", "/x/b.c"], b"", b"a\nb\n");
    ok(&["basename", "-a", "a/b", "c/d"], b"", b"b\nd\n");
    fails(&["basename"], b"", 1, "basename: missing operand");
    fails(
        &["basename", "a", "b", "c"],
        b"",
        1,
        "basename: extra operand 'c'",
    );
    ok(&["dirname", "/usr/lib/"], b"", b"/usr\n");
    ok(&["dirname", "a b/c"], b"", b"a b\n");
    ok(&["dirname", "file"], b"", b".\n");
    ok(&["dirname", "/"], b"", b"/\n");
    ok(&["dirname", "//a//b//"], b"", b"//a\n");
    ok(&["dirname", "a/b", "/c"], b"", b"a\n/\n");
    fails(&["dirname"], b"", 1, "dirname: missing operand");
}

#[test]
fn comm_options() {
    let dir = with_files("comm", &[("one", b"a\nb\nd\n"), ("two 2", b"b\nc\nd\ne")]);
    let cases: &[(&[&str], &str)] = &[
        (&[], "a\n\t\tb\n\tc\n\t\td\n\te\n"),
        (&["-1"], "\tb\nc\n\td\ne\n"),
        (&["-2"], "a\n\tb\n\td\n"),
        (&["-3"], "a\n\tc\n\te\n"),
        (&["-12"], "b\nd\n"),
        (&["-23"], "a\n"),
        (&["-123"], ""),
    ];
    for (opts, expected) in cases {
        let mut args = vec!["comm"];
        args.extend_from_slice(opts);
        args.extend(["one", "two 2"]);
        let o = run_in(Some(&dir), &args, b"", &[]);
        assert_eq!(text(&o.stdout), *expected, "{args:?}");
        assert_eq!(o.status.code(), Some(0));
    }
    fails(&["comm", "a"], b"", 1, "comm: missing operand");
}

#[test]
fn paste_options() {
    let dir = with_files("paste", &[("p 1", b"a\nb\n"), ("p2", b"1\n2\n3")]);
    let cases: &[(&[&str], &str)] = &[
        (&["p 1", "p2"], "a\t1\nb\t2\n\t3\n"),
        (&["-d", ":,", "p 1", "p2", "p 1"], "a:1,a\nb:2,b\n:3,\n"),
        (&["-s", "p 1", "p2"], "a\tb\n1\t2\t3\n"),
        (&["-s", "-d", "\\0", "p 1"], "ab\n"),
        (&["-s", "-d", "\\n", "p2"], "1\n2\n3\n"),
        (&["-", "p 1"], "x\ta\n\tb\n"),
    ];
    for (args, expected) in cases {
        let mut full = vec!["paste"];
        full.extend_from_slice(args);
        let o = run_in(Some(&dir), &full, b"x\n", &[]);
        assert_eq!(text(&o.stdout), *expected, "{full:?}");
    }
}

#[test]
fn fold_options() {
    let input = b"a\tb\n\nccc dd eeeeeeeee\n";
    ok(
        &["fold", "-w", "5"],
        input,
        b"a\n\t\nb\n\nccc d\nd eee\neeeee\ne\n",
    );
    ok(
        &["fold", "-s", "-w", "6"],
        input,
        b"a\n\t\nb\n\nccc \ndd \neeeeee\neee\n",
    );
    ok(&["fold", "-b", "-w", "3"], b"a\tbcd\n", b"a\tb\ncd\n");
    ok(
        &["fold", "-w", "2"],
        "ééé\n".as_bytes(),
        "éé\né\n".as_bytes(),
    );
    fails(&["fold", "-w", "x"], b"", 1, "fold: invalid number 'x'");
}

#[test]
fn nl_options() {
    let input = b"a\n\nb\n";
    ok(&["nl"], input, b"     1\ta\n       \n     2\tb\n");
    ok(
        &["nl", "-b", "a"],
        input,
        b"     1\ta\n     2\t\n     3\tb\n",
    );
    ok(&["nl", "-b", "n"], input, b"       a\n       \n       b\n");
    ok(
        &["nl", "-n", "ln", "-w", "3"],
        input,
        b"1  \ta\n    \n2  \tb\n",
    );
    ok(
        &["nl", "-n", "rz", "-w", "3", "-s", ": "],
        input,
        b"001: a\n     \n002: b\n",
    );
    ok(
        &["nl", "-v", "10", "-i", "5", "-ba"],
        input,
        b"    10\ta\n    15\t\n    20\tb\n",
    );
    fails(
        &["nl", "-b", "x"],
        b"",
        1,
        "nl: invalid body numbering style: 'x'",
    );
}

#[test]
fn cksum_matches_gnu() {
    ok(&["cksum"], b"abc\n", b"1112837078 4\n");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    ok(&["cksum"], &big, b"2309913354 300000\n");
    let dir = with_files("cksum", &[("a b", b"abc\n"), ("e", b"")]);
    let o = run_in(Some(&dir), &["cksum", "a b", "e"], b"", &[]);
    assert_eq!(text(&o.stdout), "1112837078 4 a b\n4294967295 0 e\n");
}

#[test]
fn base64_options() {
    ok(&["base64"], b"abc", b"YWJj\n");
    ok(&["base64"], b"ab", b"YWI=\n");
    ok(&["base64"], b"a", b"YQ==\n");
    ok(&["base64", "-w", "4"], b"abcdef", b"YWJj\nZGVm\n");
    ok(&["base64", "-w", "0"], b"abcdef", b"YWJjZGVm");
    let long: Vec<u8> = (0..100u8).collect();
    let enc = run(&["base64"], &long).stdout;
    assert_eq!(
        text(&enc).lines().map(|l| l.len()).collect::<Vec<_>>(),
        [76, 60]
    );
    ok(&["base64", "-d"], &enc, &long);
    ok(&["base64", "-d"], b"YW\nJj ZGVm\n", b"abcdef");
    let dir = with_files("base64", &[("in put", b"abc")]);
    let o = run_in(Some(&dir), &["base64", "in put"], b"", &[]);
    assert_eq!(text(&o.stdout), "YWJj\n");
    fails(&["base64", "a", "b"], b"", 1, "base64: extra operand 'b'");
    let o = run(&["base64", "-d"], b"YWJj!!!");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(o.stdout, b"abc");
    assert_eq!(text(&o.stderr), "base64: invalid input\n");
}

#[test]
fn expr_operators() {
    let cases: &[(&[&str], &str, i32)] = &[
        (&["5", "+", "3"], "8\n", 0),
        (&["3", "-", "10"], "-7\n", 0),
        (&["6", "*", "7"], "42\n", 0),
        (&["7", "/", "2"], "3\n", 0),
        (&["-5", "%", "3"], "-2\n", 0),
        (&["1", "+", "2", "*", "3"], "7\n", 0),
        (&["(", "1", "+", "2", ")", "*", "3"], "9\n", 0),
        (&["0", "|", "3"], "3\n", 0),
        (&["", "|", "0"], "0\n", 1),
        (&["2", "|", "3"], "2\n", 0),
        (&["0", "&", "3"], "0\n", 1),
        (&["2", "&", "3"], "2\n", 0),
        (&["10", "<", "9"], "0\n", 1),
        (&["a10", "<", "a9"], "1\n", 0),
        (&["2", "<=", "2"], "1\n", 0),
        (&["3", ">", "2"], "1\n", 0),
        (&["3", ">=", "4"], "0\n", 1),
        (&["abc", "=", "abc"], "1\n", 0),
        (&["abc", "!=", "abc"], "0\n", 1),
        (&["abc", ":", "a\\(.\\)"], "b\n", 0),
        (&["abc", ":", ".*"], "3\n", 0),
        (&["abc", ":", "b"], "0\n", 1),
        (&["abc", ":", "x\\(.\\)"], "\n", 1),
        (&["match", "abc", "ab"], "2\n", 0),
        (&["substr", "hello", "2", "3"], "ell\n", 0),
        (&["substr", "abc", "0", "1"], "\n", 1),
        (&["index", "hello", "lo"], "3\n", 0),
        (&["index", "hello", "z"], "0\n", 1),
        (&["length", "hello world"], "11\n", 0),
        (&["+", "length"], "length\n", 0),
        (&["a"], "a\n", 0),
        // The unneeded side of | and & is not evaluated.
        (&["1", "|", "1", "/", "0"], "1\n", 0),
        (&["0", "&", "1", "/", "0"], "0\n", 1),
        // Operators in operand position are strings.
        (&["12", "=", "&"], "0\n", 1),
    ];
    for (args, expected, code) in cases {
        let mut full = vec!["expr"];
        full.extend_from_slice(args);
        let o = run(&full, b"");
        assert_eq!(text(&o.stdout), *expected, "{full:?}");
        assert_eq!(o.status.code(), Some(*code), "{full:?}");
    }
    fails(&["expr", "5", "/", "0"], b"", 2, "expr: division by zero");
    fails(
        &["expr", "x", "+", "1"],
        b"",
        2,
        "expr: non-numeric argument",
    );
    fails(&["expr", "1", "2"], b"", 2, "expr: syntax error");
    fails(&["expr", "(", "1"], b"", 2, "expr: syntax error");
    fails(&["expr"], b"", 2, "expr: missing operand");
    fails(&["expr", "match"], b"", 2, "expr: syntax error");
    fails(&["expr", ")"], b"", 2, "expr: syntax error");
    fails(
        &["expr", "9223372036854775807", "+", "1"],
        b"",
        2,
        "expr: arithmetic overflow",
    );
}

#[test]
fn strings_options() {
    let input = b"abc\tdef\0ghijk\n\x01xyz\xffhello";
    ok(&["strings"], input, b"abc\tdef\nghijk\nhello\n");
    ok(
        &["strings", "-n", "3"],
        input,
        b"abc\tdef\nghijk\nxyz\nhello\n",
    );
    ok(
        &["strings", "-t", "x"],
        input,
        b"      0 abc\tdef\n      8 ghijk\n     13 hello\n",
    );
    ok(
        &["strings", "-t", "d", "-a"],
        input,
        b"      0 abc\tdef\n      8 ghijk\n     19 hello\n",
    );
    ok(
        &["strings", "-o"],
        input,
        b"      0 abc\tdef\n     10 ghijk\n     23 hello\n",
    );
    let dir = with_files("strings", &[("s f", b"\0word\0")]);
    let o = run_in(Some(&dir), &["strings", "-f", "s f"], b"", &[]);
    assert_eq!(text(&o.stdout), "s f: word\n");
    fails(
        &["strings", "-t", "q"],
        b"",
        1,
        "strings: invalid radix 'q'",
    );
}

#[test]
fn od_formats() {
    let input = b"hello\0\x01\xff world\nabcdefghij";
    ok(
        &["od"],
        input,
        b"0000000 062550 066154 000157 177401 073440 071157 062154 060412\n0000020 061542 062544 063546 064550 000152\n0000031\n",
    );
    ok(
        &["od", "-c"],
        input,
        b"0000000   h   e   l   l   o  \\0 001 377       w   o   r   l   d  \\n   a\n0000020   b   c   d   e   f   g   h   i   j\n0000031\n",
    );
    ok(
        &["od", "-A", "x", "-t", "x1"],
        input,
        b"000000 68 65 6c 6c 6f 00 01 ff 20 77 6f 72 6c 64 0a 61\n000010 62 63 64 65 66 67 68 69 6a\n000019\n",
    );
    ok(
        &["od", "-t", "a"],
        input,
        b"0000000   h   e   l   l   o nul soh del  sp   w   o   r   l   d  nl   a\n0000020   b   c   d   e   f   g   h   i   j\n0000031\n",
    );
    ok(
        &["od", "-A", "n", "-t", "d4"],
        input,
        b"  1819043176   -16711569  1919907616  1628071020\n  1701077858  1768449894         106\n",
    );
    ok(
        &["od", "-t", "o2", "-N", "5", "-j", "2"],
        input,
        b"0000002 066154 000157 000001\n0000007\n",
    );
    ok(
        &["od", "-A", "d", "-t", "x1", "-t", "c", "-N", "4"],
        input,
        b"0000000  68  65  6c  6c\n          h   e   l   l\n0000004\n",
    );
    let same = [b'a'; 49];
    ok(
        &["od", "-t", "x1"],
        &same,
        b"0000000 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61\n*\n0000060 61\n0000061\n",
    );
    let o = run(&["od", "-v", "-t", "x1", "-A", "n"], &same);
    assert_eq!(text(&o.stdout).lines().count(), 4);
    fails(&["od", "-t", "q"], b"", 1, "od: invalid type string 'q'");
    fails(
        &["od", "-A", "q"],
        b"",
        1,
        "od: invalid output address radix 'q'",
    );
}

#[test]
fn hexdump_formats() {
    let input = b"hello\0\x01\xff world\nabcdefghij";
    ok(
        &["hexdump", "-C"],
        input,
        b"00000000  68 65 6c 6c 6f 00 01 ff  20 77 6f 72 6c 64 0a 61  |hello... world.a|\n00000010  62 63 64 65 66 67 68 69  6a                       |bcdefghij|\n00000019\n",
    );
    ok(
        &["hexdump", "-C", "-n", "5", "-s", "2"],
        input,
        b"00000002  6c 6c 6f 00 01                                    |llo..|\n00000007\n",
    );
    ok(
        &["hexdump"],
        input,
        b"0000000 6568 6c6c 006f ff01 7720 726f 646c 610a\n0000010 6362 6564 6766 6968 006a               \n0000019\n",
    );
    let same = [b'a'; 48];
    ok(
        &["hexdump", "-C"],
        &same,
        b"00000000  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|\n*\n00000030\n",
    );
    let o = run(&["hexdump", "-C", "-v"], &same);
    assert_eq!(text(&o.stdout).lines().count(), 4);
    fails(
        &["hexdump", "-n", "x"],
        b"",
        1,
        "hexdump: invalid number 'x'",
    );
}

/// Output to a closed pipe ends the applet quietly.
#[test]
fn closed_pipe_is_quiet() {
    for args in [&["seq", "1000000"][..], &["yes"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ibox"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 2];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert!(!o.status.success());
        assert_eq!(text(&o.stderr), "", "{args:?}");
    }
}
