//! Runs the built `ibox` as sed and checks output and exit status.
//! Expected outputs were checked against GNU sed and BusyBox.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

mod common;
use common::{scratch, stderr};

/// `ibox sed ARGS...` in `dir` (if given) with `input` on stdin.
fn run(dir: Option<&Path>, args: &[&str], input: &[u8]) -> Output {
    common::ibox_in(dir, &[&["sed"], args].concat(), input)
}

/// `sed ARGS...` on `input`: stdout (checked to exit 0 with no stderr).
fn sed(args: &[&str], input: &str) -> String {
    let o = run(None, args, input.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    assert_eq!(stderr(&o), "", "{args:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts that `sed ARGS` fails with status `code` and first message `msg`.
fn sed_fails(args: &[&str], code: i32, msg: &str) {
    let o = run(None, args, b"a\n");
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    assert_eq!(stderr(&o).lines().next(), Some(msg), "{args:?}");
}

/// Names of the files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const ABCD: &str = "a\nb\nc\nd\n";
const WORDS: &str = "one two\nthree four\nfive";

#[test]
fn substitution() {
    assert_eq!(sed(&["s/o/0/g"], WORDS), "0ne tw0\nthree f0ur\nfive");
    assert_eq!(sed(&["s/o/0/2"], WORDS), "one tw0\nthree four\nfive");
    assert_eq!(sed(&["s/./(&)/3g"], "abcd\n"), "ab(c)(d)\n");
    assert_eq!(sed(&["-n", "s/o/0/gp"], WORDS), "0ne tw0\nthree f0ur\n");
    assert_eq!(sed(&["s/\\(t\\)\\(w\\)/\\2\\1/"], "two\n"), "wto\n");
    assert_eq!(sed(&["-E", "s/(t)(w)/\\2\\1/"], "two\n"), "wto\n");
    assert_eq!(sed(&["-r", "s/(a|b)+/X/"], "cabbad\n"), "cXd\n");
    assert_eq!(sed(&["s/.*/[&]/"], "x y\n"), "[x y]\n");
    assert_eq!(sed(&["s/a/\\&\\n\\\\/"], "a\n"), "&\n\\\n");
    assert_eq!(sed(&["s/b*/X/g"], "abc\n"), "XaXcX\n");
    assert_eq!(sed(&["s/x*/-/g"], "abc\n"), "-a-b-c-\n");
    assert_eq!(sed(&["s|o|/|g"], "foo\n"), "f//\n");
    assert_eq!(sed(&["s,a\\,b,X,"], "a,b\n"), "X\n");
    assert_eq!(sed(&["s/[/]/X/"], "a/b\n"), "aXb\n");
    assert_eq!(sed(&["s/A/x/I"], "bab\n"), "bxb\n");
    assert_eq!(sed(&["s/a/b/;s//c/"], "aaa\n"), "bca\n");
    assert_eq!(
        sed(&["s/\\(l\\+\\)o/\\U\\1x\\E-&/"], "hello\n"),
        "heLLX-llo\n"
    );
    assert_eq!(sed(&["s/w\\(.\\)/\\u\\1/"], "world\n"), "Orld\n");
    assert_eq!(sed(&["s/a/\\\n/"], "bab\n"), "b\nb\n");
    assert_eq!(sed(&["N;s/\\n/-/"], "a\nb\n"), "a-b\n");
    assert_eq!(sed(&["N;s/[\\n]/-/"], "a\nb\n"), "a-b\n");
    assert_eq!(sed(&["s/[ \\t]*$//"], "at \t\n"), "at\n");
    assert_eq!(sed(&["s/\\x41\\x2e/\\x42/"], "xAAA.\n"), "xBA.\n");
    assert_eq!(sed(&["N;s/a$/X/"], "a\nb\n"), "a\nb\n");
    assert_eq!(sed(&["N;s/a.b/X/"], "a\nb\n"), "X\n");
    // Leftmost-longest: the longest alternative wins, \1 spans the most.
    assert_eq!(sed(&["-E", "s/a|ab|abc/X/"], "abcd\n"), "Xd\n");
    assert_eq!(
        sed(&["s/\\(a*\\)\\(a*\\)/[\\1][\\2]/"], "aaa\n"),
        "[aaa][]\n"
    );
    // Back-references in the pattern.
    assert_eq!(sed(&["-n", "/\\(.\\)\\1/p"], "abc\nabbc\n"), "abbc\n");
    assert_eq!(
        sed(&["s/\\(a*\\) \\(b*\\)/\\2 \\1/"], "aaa bbb\n"),
        "bbb aaa\n"
    );
}

#[test]
fn addresses() {
    assert_eq!(sed(&["-n", "2p"], ABCD), "b\n");
    assert_eq!(sed(&["-n", "$p"], ABCD), "d\n");
    assert_eq!(sed(&["-n", "/b/,/c/p"], ABCD), "b\nc\n");
    assert_eq!(sed(&["-n", "\\%c%p"], ABCD), "c\n");
    assert_eq!(sed(&["/b/,/c/!d"], ABCD), "b\nc\n");
    assert_eq!(sed(&["-n", "2,1p"], ABCD), "b\n");
    assert_eq!(sed(&["-n", "1~2p"], ABCD), "a\nc\n");
    assert_eq!(sed(&["-n", "0~2p"], ABCD), "b\nd\n");
    assert_eq!(sed(&["-n", "2,+1p"], ABCD), "b\nc\n");
    assert_eq!(sed(&["-n", "/a/,~2p"], ABCD), "a\nb\n");
    assert_eq!(sed(&["-n", "0,/a/p"], ABCD), "a\n");
    assert_eq!(sed(&["-n", "1,/a/p"], "a\nb\na\nc\n"), "a\nb\na\n");
    assert_eq!(sed(&["-n", "/a/I,+1p"], "x\nA\ny\nz\n"), "A\ny\n");
    assert_eq!(sed(&["-n", "3,$p"], ABCD), "c\nd\n");
    assert_eq!(sed(&["2!d"], ABCD), "b\n");
    assert_eq!(sed(&["-n", "$="], "a\nb\nc"), "3\n");
}

#[test]
fn commands() {
    assert_eq!(sed(&["2,3c\\\nX"], ABCD), "a\nX\nd\n");
    assert_eq!(sed(&["2,3!c\\\nX"], ABCD), "X\nb\nc\nX\n");
    assert_eq!(sed(&["2c X"], ABCD), "a\nX\nc\nd\n");
    assert_eq!(sed(&["2i\\\n  x"], "a\nb\n"), "a\n  x\nb\n");
    assert_eq!(sed(&["1a\\\nl1\\\nl2"], "a\nb\n"), "a\nl1\nl2\nb\n");
    assert_eq!(sed(&["$a end"], WORDS), "one two\nthree four\nfive\nend\n");
    assert_eq!(sed(&["-e", "1a\\", "-e", "foo"], "a\n"), "a\nfoo\n");
    assert_eq!(sed(&["-n", "-e", "1{a X", "-e", "p}"], "a\nb\n"), "a\nX\n");
    assert_eq!(sed(&["-e", "1r /nonexistent", "-e", "p"], "a\n"), "a\na\n");
    assert_eq!(sed(&["$!N;P;D"], ABCD), ABCD);
    assert_eq!(sed(&["1!G;h;$!d"], ABCD), "d\nc\nb\na\n");
    assert_eq!(sed(&["-n", "2{p;p}"], ABCD), "b\nb\n");
    assert_eq!(sed(&["-n", "/b/{n;p}"], ABCD), "c\n");
    assert_eq!(sed(&["n;d"], ABCD), "a\nc\n");
    assert_eq!(sed(&["2q"], ABCD), "a\nb\n");
    assert_eq!(sed(&["2Q"], ABCD), "a\n");
    assert_eq!(sed(&["$!N"], "a\nb\nc\n"), "a\nb\nc\n");
    assert_eq!(sed(&["N"], "a\nb\nc\n"), "a\nb\nc\n");
    assert_eq!(sed(&[":a;N;$!ba;s/\\n/+/g"], ABCD), "a+b+c+d\n");
    assert_eq!(sed(&["s/o/O/;t;s/e/E/"], "one\nee\n"), "One\nEe\n");
    assert_eq!(sed(&["s/o/O/;T;s/e/E/"], "one\nee\n"), "OnE\nee\n");
    assert_eq!(sed(&["s/b/x/;tl;s/$/!/;:l"], "a\nb\n"), "a!\nx\n");
    assert_eq!(sed(&["x;G"], "a\nb\n"), "\na\na\nb\n");
    assert_eq!(sed(&["-n", "h;H;x;p"], "a\n"), "a\na\n");
    assert_eq!(sed(&["y/abc/xyz/"], "aabbcc\n"), "xxyyzz\n");
    assert_eq!(sed(&["y/a\\nb/\\tx /"], "a\nb\n"), "\t\n \n");
    assert_eq!(sed(&["="], "a\nb\n"), "1\na\n2\nb\n");
    assert_eq!(sed(&["-n", "l"], "a\tb\u{1}\\\n"), "a\\tb\\001\\\\$\n");
    assert_eq!(sed(&["-n", "l 5"], "abcdefgh\n"), "abcd\\\nefgh$\n");
    assert_eq!(sed(&["-n", "-l", "4", "l"], "abcdef\n"), "abc\\\ndef$\n");
    assert_eq!(
        sed(&["-n", "l 0"], &"x".repeat(100)),
        format!("{}$\n", "x".repeat(100))
    );
    assert_eq!(sed(&["z;s/^$/empty/"], "a\n"), "empty\n");
    assert_eq!(sed(&["s/a/b/w /dev/stdout\ns/b/c/"], "a\n"), "b\nc\n");
    assert_eq!(sed(&["-n", "F"], "a\n"), "-\n");
    assert_eq!(sed(&["P;D"], "a\nb\n"), "a\nb\n");
    assert_eq!(sed(&["# comment\np"], "a\n"), "a\na\n");
    assert_eq!(sed(&["#n\np"], "a\n"), "a\n");
    assert_eq!(sed(&["-n", "/a/ { p ; p } ; $ ="], "a\n"), "a\na\n1\n");
    assert_eq!(sed(&["-z", "s/\\n/,/g"], "a\nb\n"), "a,b,");
}

#[test]
fn options_files_and_missing_newlines() {
    let dir = scratch("files");
    let d = Some(&*dir);
    std::fs::write(dir.join("f 1"), "a\nb\n").unwrap();
    std::fs::write(dir.join("f2"), "c\nd").unwrap();
    std::fs::write(dir.join("script"), "s/a/A/\n# comment\n$s/$/!/\n").unwrap();
    let o = run(d, &["-n", "$p;1p", "f 1", "f2"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a\nd");
    let o = run(d, &["-s", "-n", "$p;1p", "f 1", "f2"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a\nb\nc\nd");
    let o = run(d, &["-f", "script", "f 1", "-", "f2"], b"x\n");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "A\nb\nx\nc\nd!");
    let o = run(d, &["-e", "s/a/1/", "-e", "s/c/3/", "f 1", "f2"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "1\nb\n3\nd");
    // A last line without a newline gets none, even after `p`.
    assert_eq!(sed(&["p"], "a"), "a\na");
    assert_eq!(sed(&["s/x/y/"], ""), "");
    assert_eq!(sed(&["2r f2"], "1\n2\n3\n").len(), 6);
    let o = run(d, &["2r f2", "f 1"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a\nb\nc\nd");
    let o = run(d, &["1r missing", "f 1"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a\nb\n");
    let o = run(d, &["-n", "/[ac]/w out", "f 1", "f2"], b"");
    assert_eq!(std::fs::read_to_string(dir.join("out")).unwrap(), "a\nc\n");
    assert_eq!(o.stdout, b"");
    let o = run(d, &["s/b/B/w out2", "f 1"], b"");
    assert_eq!(std::fs::read_to_string(dir.join("out2")).unwrap(), "B\n");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a\nB\n");
    // A missing file: a message, the others still read, status 2.
    let o = run(d, &["p", "missing", "f2"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "c\nc\nd\nd");
    assert_eq!(stderr(&o), "sed: missing: No such file or directory\n");
    assert_eq!(o.status.code(), Some(2));
    let o = run(None, &["--help"], b"");
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("Usage: sed "));
}

#[test]
fn binary_and_long_lines() {
    let o = run(None, &["s/\u{1}/X/;s/b/B/"], b"a\0b\x01\xff\n");
    assert_eq!(o.stdout, b"a\0BX\xff\n");
    let o = run(None, &["s/[^a]/./g"], b"a\xe9\x80a\n");
    assert_eq!(o.stdout, b"a..a\n");
    let long = "ab".repeat(100_000);
    let out = sed(&["s/b/c/g"], &format!("{long}\n"));
    assert_eq!(out, format!("{}\n", "ac".repeat(100_000)));
    let out = sed(&["-E", "s/^(ab)+$/all/"], &format!("{long}\n"));
    assert_eq!(out, "all\n");
}

#[test]
fn pathological_patterns_finish_quickly() {
    let line = format!("{}\n", "a".repeat(30_000));
    let start = Instant::now();
    assert_eq!(sed(&["-E", "s/(a*)*b/X/"], &line), line);
    assert_eq!(sed(&["-E", "s/(a|aa)*$/X/"], &line), "X\n");
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn script_errors() {
    sed_fails(&["{p"], 1, "sed: unmatched '{'");
    sed_fails(&["p}"], 1, "sed: unexpected '}'");
    sed_fails(&["k"], 1, "sed: unsupported command k");
    sed_fails(&["s/a/b"], 1, "sed: unterminated 's' command");
    sed_fails(&["s/a/b/q"], 1, "sed: unknown option to 's'");
    sed_fails(
        &["y/ab/c/"],
        1,
        "sed: strings for 'y' command are different lengths",
    );
    sed_fails(
        &["s/\\(a\\)/\\2/"],
        1,
        "sed: invalid reference \\2 on 's' command's RHS",
    );
    sed_fails(&["b foo"], 1, "sed: can't find label for jump to 'foo'");
    sed_fails(&["/a"], 1, "sed: unterminated address regex");
    sed_fails(&["s/a\\{/x/"], 1, "sed: bad regex 'a\\{': Unmatched \\{");
    sed_fails(&["0,3p"], 1, "sed: invalid usage of line address 0");
    sed_fails(&["pq"], 1, "sed: extra characters after command: q");
    sed_fails(&["a"], 1, "sed: expected \\ after 'a', 'c' or 'i'");
    sed_fails(&["1,2q"], 1, "sed: command only uses one address: q");
    sed_fails(
        &["-f", "/nonexistent/script"],
        1,
        "sed: couldn't open file /nonexistent/script: No such file or directory",
    );
    sed_fails(&["-X", "p"], 1, "sed: invalid option -- 'X'");
    sed_fails(&["s//x/"], 1, "sed: no previous regular expression");
    let o = run(None, &[], b"");
    assert_eq!(o.status.code(), Some(1));
    let o = run(None, &["2q5"], b"a\nb\nc\n");
    assert_eq!(o.status.code(), Some(5));
    assert_eq!(o.stdout, b"a\nb\n");
}

#[test]
fn in_place_editing() {
    let dir = scratch("inplace");
    let d = Some(&*dir);
    std::fs::write(dir.join("f"), "a\nb\n").unwrap();
    std::fs::write(dir.join("g h"), "a\n").unwrap();
    std::fs::set_permissions(
        dir.join("f"),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    // Each file separately: `$` and line numbers restart.
    let o = run(d, &["-i", "1s/a/A/;$s/$/!/", "f", "g h"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, b"");
    assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "A\nb!\n");
    assert_eq!(std::fs::read_to_string(dir.join("g h")).unwrap(), "A!\n");
    let mode = std::fs::metadata(dir.join("f")).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o640
    );
    // With a backup suffix, and `*` standing for the name.
    let o = run(d, &["-i.bak", "s/A/a/", "f"], b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("f.bak")).unwrap(),
        "A\nb!\n"
    );
    assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "a\nb!\n");
    let o = run(d, &["-n", "--in-place=old_*", "1p", "g h"], b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("old_g h")).unwrap(),
        "A!\n"
    );
    assert_eq!(std::fs::read_to_string(dir.join("g h")).unwrap(), "A!\n");
    // q keeps only what was output so far.
    std::fs::write(dir.join("q"), "1\n2\n3\n").unwrap();
    assert_eq!(run(d, &["-i", "2q", "q"], b"").status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(dir.join("q")).unwrap(), "1\n2\n");

    // Errors leave the files intact and no temporary file behind.
    let before = listing(&dir);
    let o = run(d, &["-i", "s/a/\\2/", "f"], b"");
    assert_eq!(o.status.code(), Some(1));
    let o = run(d, &["-i", "s//x/", "f"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "sed: no previous regular expression\n");
    assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "a\nb!\n");
    std::fs::create_dir(dir.join("sub")).unwrap();
    let o = run(d, &["-i", "s/a/x/", "sub", "missing", "f"], b"");
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(
        stderr(&o),
        "sed: couldn't edit sub: not a regular file\nsed: can't read missing: No such file or directory\n"
    );
    assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "x\nb!\n");
    std::fs::remove_dir(dir.join("sub")).unwrap();
    assert_eq!(listing(&dir), before);
    let o = run(d, &["-i", "p"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "sed: no input files\n");
}
