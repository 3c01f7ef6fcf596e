//! Runs the built `ibox` on the host and checks find, xargs, cmp, diff,
//! printf, test/[, split, env, id, whoami, which, nice, chrt, nohup,
//! timeout, chroot and date.
//!
//! Every test works in a fresh scratch directory of its own (the applet
//! runs with it as the current directory) and touches nothing outside it.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{output_of, run_in, scratch, stderr, stdout, IBOX};

/// Like [`run_in`] with arguments that need not be UTF-8.
fn run_os(dir: &Path, args: &[&[u8]], input: &[u8]) -> Output {
    let mut cmd = Command::new(IBOX);
    cmd.args(args.iter().map(|a| std::ffi::OsStr::from_bytes(a)))
        .current_dir(dir)
        .env("PWD", dir);
    output_of(&mut cmd, input)
}

/// Writes `data` to `dir/name`, creating parent directories.
fn put(dir: &Path, name: &str, data: &[u8]) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, data).unwrap();
}

/// The tree most find tests use.
fn tree(d: &Path) {
    put(d, "t/a.txt", b"hello\n");
    put(d, "t/B.TXT", b"");
    put(d, "t/sub/c.rs", &[b'x'; 1500]);
    put(d, "t/sub/deep/d", b"");
    put(d, "t/with space", b"1");
    std::fs::create_dir_all(d.join("t/empty")).unwrap();
    std::os::unix::fs::symlink("a.txt", d.join("t/link")).unwrap();
}

// ---------------------------------------------------------------- find

#[test]
fn find_lists_tree_sorted() {
    let d = scratch("find-list");
    tree(&d);
    let o = run_in(&d, &["find", "t"], b"");
    assert_eq!(
        stdout(&o),
        "t\nt/B.TXT\nt/a.txt\nt/empty\nt/link\nt/sub\nt/sub/c.rs\nt/sub/deep\nt/sub/deep/d\nt/with space\n"
    );
    assert!(o.status.success());
    // No path means ".".
    let o = run_in(&d.join("t/sub"), &["find"], b"");
    assert_eq!(stdout(&o), ".\n./c.rs\n./deep\n./deep/d\n");
    // A trailing slash is not doubled.
    let o = run_in(&d, &["find", "t/sub/", "-maxdepth", "1"], b"");
    assert_eq!(stdout(&o), "t/sub/\nt/sub/c.rs\nt/sub/deep\n");
}

#[test]
fn find_name_path_type() {
    let d = scratch("find-name");
    tree(&d);
    let o = run_in(&d, &["find", "t", "-name", "*.txt"], b"");
    assert_eq!(stdout(&o), "t/a.txt\n");
    let o = run_in(&d, &["find", "t", "-iname", "*.txt"], b"");
    assert_eq!(stdout(&o), "t/B.TXT\nt/a.txt\n");
    let o = run_in(&d, &["find", "t", "-path", "t/sub/*"], b"");
    assert_eq!(stdout(&o), "t/sub/c.rs\nt/sub/deep\nt/sub/deep/d\n");
    let o = run_in(&d, &["find", "t", "-ipath", "T/SUB/DEEP*"], b"");
    assert_eq!(stdout(&o), "t/sub/deep\nt/sub/deep/d\n");
    let o = run_in(&d, &["find", "t", "-type", "d"], b"");
    assert_eq!(stdout(&o), "t\nt/empty\nt/sub\nt/sub/deep\n");
    let o = run_in(&d, &["find", "t", "-type", "l"], b"");
    assert_eq!(stdout(&o), "t/link\n");
    let o = run_in(&d, &["find", "-L", "t", "-type", "l"], b"");
    assert_eq!(stdout(&o), "");
    let o = run_in(&d, &["find", "-L", "t", "-name", "link", "-type", "f"], b"");
    assert_eq!(stdout(&o), "t/link\n");
    let o = run_in(&d, &["find", "t", "-type", "f,l", "-name", "[al]*"], b"");
    assert_eq!(stdout(&o), "t/a.txt\nt/link\n");
    let o = run_in(&d, &["find", "t", "-regex", "t/[a-c].*"], b"");
    assert_eq!(stdout(&o), "t/a.txt\n");
    let o = run_in(&d, &["find", "t", "-iregex", ".*/b\\.txt"], b"");
    assert_eq!(stdout(&o), "t/B.TXT\n");
    let o = run_in(&d, &["find", "t", "-regex", "sub"], b"");
    assert_eq!(stdout(&o), "");
    let o = run_in(&d, &["find", "t", "-regex", "a\\("], b"");
    assert_eq!(stderr(&o), "find: bad regex 'a\\(': Unmatched ( or \\(\n");
    assert_eq!(o.status.code(), Some(1));
    // The name of a starting point is its last component.
    let o = run_in(&d, &["find", "t/sub/", "-name", "sub"], b"");
    assert_eq!(stdout(&o), "t/sub/\n");
}

#[test]
fn find_operators() {
    let d = scratch("find-ops");
    tree(&d);
    let o = run_in(
        &d,
        &[
            "find", "t", "-type", "f", "!", "-name", "*.*", "-o", "-name", "link",
        ],
        b"",
    );
    assert_eq!(stdout(&o), "t/link\nt/sub/deep/d\nt/with space\n");
    let o = run_in(
        &d,
        &[
            "find", "t", "(", "-name", "a*", "-or", "-name", "c*", ")", "-and", "-not", "-type",
            "d",
        ],
        b"",
    );
    assert_eq!(stdout(&o), "t/a.txt\nt/sub/c.rs\n");
    // -print inside -o only prints that branch.
    let o = run_in(
        &d,
        &[
            "find", "t", "-name", "sub", "-prune", "-o", "-type", "f", "-print",
        ],
        b"",
    );
    assert_eq!(stdout(&o), "t/B.TXT\nt/a.txt\nt/with space\n");
    let o = run_in(
        &d,
        &["find", "t", "-false", "-o", "-name", "d", "-quit"],
        b"",
    );
    assert_eq!(stdout(&o), "");
    let o = run_in(&d, &["find", "t", "-name", "d", "-print", "-quit"], b"");
    assert_eq!(stdout(&o), "t/sub/deep/d\n");
}

#[test]
fn find_depth_limits() {
    let d = scratch("find-depth");
    tree(&d);
    let o = run_in(&d, &["find", "t", "-maxdepth", "0"], b"");
    assert_eq!(stdout(&o), "t\n");
    let o = run_in(&d, &["find", "t", "-mindepth", "2", "-maxdepth", "2"], b"");
    assert_eq!(stdout(&o), "t/sub/c.rs\nt/sub/deep\n");
    let o = run_in(&d, &["find", "t/sub", "-depth"], b"");
    assert_eq!(stdout(&o), "t/sub/c.rs\nt/sub/deep/d\nt/sub/deep\nt/sub\n");
}

#[test]
fn find_size_empty_links_perm() {
    let d = scratch("find-size");
    tree(&d);
    let o = run_in(&d, &["find", "t", "-type", "f", "-size", "-1"], b"");
    assert_eq!(stdout(&o), "t/B.TXT\nt/sub/deep/d\n");
    let o = run_in(&d, &["find", "t", "-type", "f", "-size", "+2"], b"");
    assert_eq!(stdout(&o), "t/sub/c.rs\n");
    let o = run_in(&d, &["find", "t", "-size", "6c"], b"");
    assert_eq!(stdout(&o), "t/a.txt\n");
    let o = run_in(&d, &["find", "t", "-type", "f", "-size", "2k"], b"");
    assert_eq!(stdout(&o), "t/sub/c.rs\n");
    let o = run_in(&d, &["find", "t", "-empty"], b"");
    assert_eq!(stdout(&o), "t/B.TXT\nt/empty\nt/sub/deep/d\n");
    let o = run_in(
        &d,
        &["find", "t", "-type", "f", "-links", "1", "-name", "a*"],
        b"",
    );
    assert_eq!(stdout(&o), "t/a.txt\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("t/a.txt"), std::fs::Permissions::from_mode(0o754)).unwrap();
    let o = run_in(&d, &["find", "t", "-perm", "754"], b"");
    assert_eq!(stdout(&o), "t/a.txt\n");
    let o = run_in(&d, &["find", "t", "-type", "f", "-perm", "-u+x"], b"");
    assert_eq!(stdout(&o), "t/a.txt\n");
    let o = run_in(&d, &["find", "t", "-type", "f", "-perm", "/g+x"], b"");
    assert_eq!(stdout(&o), "t/a.txt\n");
    let o = run_in(&d, &["find", "t", "-perm", "-g+w", "-type", "f"], b"");
    assert_eq!(stdout(&o), "");
}

#[test]
fn find_times_and_owners() {
    let d = scratch("find-time");
    tree(&d);
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 86400 + 100);
    let f = std::fs::File::options()
        .write(true)
        .open(d.join("t/a.txt"))
        .unwrap();
    f.set_modified(old).unwrap();
    let o = run_in(&d, &["find", "t", "-type", "f", "-mtime", "+2"], b"");
    assert_eq!(stdout(&o), "t/a.txt\n");
    let o = run_in(&d, &["find", "t", "-type", "f", "-mtime", "3"], b"");
    assert_eq!(stdout(&o), "t/a.txt\n");
    let o = run_in(&d, &["find", "t", "-name", "*.txt", "-mtime", "-1"], b"");
    assert_eq!(stdout(&o), "");
    let o = run_in(&d, &["find", "t", "-name", "*.*", "-mmin", "-60"], b"");
    assert_eq!(stdout(&o), "t/B.TXT\nt/sub/c.rs\n");
    let o = run_in(
        &d,
        &[
            "find", "t", "-type", "f", "-newer", "t/a.txt", "-name", "B*",
        ],
        b"",
    );
    assert_eq!(stdout(&o), "t/B.TXT\n");
    let uid = std::fs::metadata(&*d)
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap();
    let o = run_in(
        &d,
        &["find", "t", "-user", &uid.to_string(), "-name", "a.txt"],
        b"",
    );
    assert_eq!(stdout(&o), "t/a.txt\n");
    let o = run_in(&d, &["find", "t", "-user", "no-such-user-xyz"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "find: unknown user no-such-user-xyz\n");
    let o = run_in(&d, &["find", "t", "-group", "no-such-group-xyz"], b"");
    assert_eq!(stderr(&o), "find: unknown group no-such-group-xyz\n");
}

#[test]
fn find_exec_and_print0() {
    let d = scratch("find-exec");
    tree(&d);
    let o = run_in(
        &d,
        &["find", "t/sub", "-type", "f", "-exec", "echo", "[{}]", ";"],
        b"",
    );
    assert_eq!(stdout(&o), "[t/sub/c.rs]\n[t/sub/deep/d]\n");
    let o = run_in(&d, &["find", "t/sub", "-exec", "echo", "{}", "+"], b"");
    assert_eq!(stdout(&o), "t/sub t/sub/c.rs t/sub/deep t/sub/deep/d\n");
    // -exec is a test: its status decides what follows.
    let o = run_in(
        &d,
        &[
            "find", "t/sub", "-type", "f", "-exec", "false", ";", "-o", "-print",
        ],
        b"",
    );
    assert_eq!(stdout(&o), "t/sub\nt/sub/c.rs\nt/sub/deep\nt/sub/deep/d\n");
    let o = run_in(&d, &["find", "t", "-name", "with*", "-print0"], b"");
    assert_eq!(o.stdout, b"t/with space\0");
    let o = run_in(
        &d,
        &[
            "find",
            "t",
            "-name",
            "a.txt",
            "-exec",
            "no-such-cmd-xyz",
            "{}",
            ";",
        ],
        b"",
    );
    assert_eq!(
        stderr(&o),
        "find: no-such-cmd-xyz: No such file or directory\n"
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["find", "t", "-exec", "echo", "{}"], b"");
    assert_eq!(stderr(&o), "find: -exec requires an argument\n");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn find_delete() {
    let d = scratch("find-delete");
    tree(&d);
    let o = run_in(&d, &["find", "t/sub", "-delete"], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!d.join("t/sub").exists());
    let o = run_in(&d, &["find", "t", "-name", "*.txt", "-delete"], b"");
    assert!(o.status.success());
    assert!(!d.join("t/a.txt").exists());
    let o = run_in(&d, &["find", "t", "-name", "t", "-delete"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "find: t: Directory not empty\n");
}

#[test]
fn find_symlink_loops_and_errors() {
    let d = scratch("find-loop");
    tree(&d);
    std::os::unix::fs::symlink("..", d.join("t/sub/deep/up")).unwrap();
    let o = run_in(&d, &["find", "-L", "t/sub"], b"");
    assert_eq!(stdout(&o), "t/sub\nt/sub/c.rs\nt/sub/deep\nt/sub/deep/d\n");
    assert_eq!(
        stderr(&o),
        "find: File system loop detected; 't/sub/deep/up' is part of the same file system loop as 't/sub'.\n"
    );
    assert_eq!(o.status.code(), Some(1));
    // -H follows only the operand.
    std::os::unix::fs::symlink("t/sub", d.join("s")).unwrap();
    let o = run_in(&d, &["find", "-H", "s", "-maxdepth", "1"], b"");
    assert_eq!(stdout(&o), "s\ns/c.rs\ns/deep\n");
    let o = run_in(&d, &["find", "s", "-maxdepth", "1"], b"");
    assert_eq!(stdout(&o), "s\n");
    let o = run_in(&d, &["find", "nope", "t/empty"], b"");
    assert_eq!(stdout(&o), "t/empty\n");
    assert_eq!(stderr(&o), "find: nope: No such file or directory\n");
    assert_eq!(o.status.code(), Some(1));
    for (args, msg) in [
        (&["find", "-bogus"][..], "find: unrecognized: -bogus\n"),
        (&["find", "-name"][..], "find: -name requires an argument\n"),
        (&["find", "(", "-true"][..], "find: unpaired '('\n"),
        (
            &["find", "-type", "q"][..],
            "find: invalid argument 'q' to '-type'\n",
        ),
        (&["find", "-mtime", "x"][..], "find: invalid number 'x'\n"),
    ] {
        let o = run_in(&d, args, b"");
        assert_eq!(stderr(&o), msg);
        assert_eq!(o.status.code(), Some(1));
    }
}

#[test]
fn find_non_utf8_names() {
    let d = scratch("find-bytes");
    let name = std::ffi::OsStr::from_bytes(b"x\xffy\nz");
    std::fs::write(d.join(name), b"").unwrap();
    let o = run_os(&d, &[b"find", b".", b"-name", b"x\xff*"], b"");
    assert_eq!(o.stdout, b"./x\xffy\nz\n");
}

// ---------------------------------------------------------------- xargs

#[test]
fn xargs_defaults_and_quoting() {
    let d = scratch("xargs-q");
    let o = run_in(&d, &["xargs"], b"a  'b c'\n\"d\\\" e\\ f\tg\\\\");
    assert_eq!(stdout(&o), "a b c d\\ e f g\\\n");
    assert!(o.status.success());
    // Empty input runs the command once, unless -r.
    let o = run_in(&d, &["xargs", "echo", "X"], b"");
    assert_eq!(stdout(&o), "X\n");
    let o = run_in(&d, &["xargs", "-r", "echo", "X"], b"  \n\n");
    assert_eq!(stdout(&o), "");
    let o = run_in(&d, &["xargs"], b"a 'b\n");
    assert_eq!(stderr(&o), "xargs: unmatched single quote\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["xargs"], b"a \"b");
    assert_eq!(stderr(&o), "xargs: unmatched double quote\n");
    // Commands get /dev/null as stdin, not the rest of the items.
    let o = run_in(
        &d,
        &["xargs", "-n", "1", "sh", "-c", "cat; echo $0"],
        b"a b",
    );
    assert_eq!(stdout(&o), "a\nb\n");
    // No trailing newline, binary bytes.
    let o = run_in(&d, &["xargs", "printf", "%s|"], b"x\xffy z");
    assert_eq!(o.stdout, b"x\xffy|z|");
}

#[test]
fn xargs_limits() {
    let d = scratch("xargs-n");
    let o = run_in(&d, &["xargs", "-n", "2", "echo"], b"1 2 3 4 5\n");
    assert_eq!(stdout(&o), "1 2\n3 4\n5\n");
    let o = run_in(&d, &["xargs", "-s", "11", "echo"], b"a b c d e\n");
    assert_eq!(stdout(&o), "a b c\nd e\n");
    let o = run_in(&d, &["xargs", "-s", "5", "echo"], b"abcdefgh\n");
    assert_eq!(
        stderr(&o),
        "xargs: can't fit single argument within argument list size limit\n"
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(
        &d,
        &["xargs", "-x", "-n", "3", "-s", "10", "echo"],
        b"a b c\n",
    );
    assert_eq!(stderr(&o), "xargs: argument list too long\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["xargs", "-E", "STOP", "echo"], b"a b\nSTOP c\n");
    assert_eq!(stdout(&o), "a b\n");
    let o = run_in(&d, &["xargs", "-n", "0"], b"a");
    assert_eq!(stderr(&o), "xargs: invalid number '0'\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(
        &d,
        &["xargs", "-P", "3", "-n", "1", "sh", "-c", "echo $0"],
        b"1 2 3 4 5 6",
    );
    let mut lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    lines.sort();
    assert_eq!(lines, ["1", "2", "3", "4", "5", "6"]);
}

#[test]
fn xargs_delimiters_and_replace() {
    let d = scratch("xargs-d");
    let o = run_in(&d, &["xargs", "-0", "-n1", "echo"], b"a b\0c 'd\0\0");
    assert_eq!(stdout(&o), "a b\nc 'd\n\n");
    let o = run_in(&d, &["xargs", "-d", ":", "echo"], b"a b:c");
    assert_eq!(stdout(&o), "a b c\n");
    let o = run_in(&d, &["xargs", "-d", "\\n", "-n", "1", "echo"], b"a b\nc\n");
    assert_eq!(stdout(&o), "a b\nc\n");
    let o = run_in(
        &d,
        &["xargs", "-I", "{}", "echo", "[{}]", "x{}y"],
        b"  one two \n\nthree\n",
    );
    assert_eq!(stdout(&o), "[one two ] xone two y\n[three] xthreey\n");
    let o = run_in(&d, &["xargs", "-t", "-n", "2", "echo"], b"a b c");
    assert_eq!(stderr(&o), "echo a b\necho c\n");
    assert_eq!(stdout(&o), "a b\nc\n");
}

#[test]
fn xargs_exit_statuses() {
    let d = scratch("xargs-exit");
    let o = run_in(&d, &["xargs", "-n1", "sh", "-c", "exit $0"], b"0 3 0");
    assert_eq!(o.status.code(), Some(123));
    let o = run_in(
        &d,
        &["xargs", "-n1", "sh", "-c", "echo $0; exit $0"],
        b"0 255 0",
    );
    assert_eq!(o.status.code(), Some(124));
    assert_eq!(stdout(&o), "0\n255\n");
    assert_eq!(stderr(&o), "xargs: sh: exited with status 255; aborting\n");
    let o = run_in(&d, &["xargs", "sh", "-c", "kill -9 $$"], b"a");
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stderr(&o), "xargs: 'sh' terminated by signal 9\n");
    let o = run_in(&d, &["xargs", "no-such-cmd-xyz"], b"a");
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(
        stderr(&o),
        "xargs: no-such-cmd-xyz: No such file or directory\n"
    );
    std::fs::write(d.join("noexec"), b"#!/bin/sh\n").unwrap();
    let o = run_in(&d, &["xargs", "./noexec"], b"a");
    assert_eq!(o.status.code(), Some(126));
    let o = run_in(&d, &["xargs", "-Q"], b"");
    assert_eq!(o.status.code(), Some(1));
}

// ---------------------------------------------------------------- cmp

#[test]
fn cmp_reports() {
    let d = scratch("cmp");
    put(&d, "a", b"abc\ndef");
    put(&d, "b", b"abc\ndxf");
    put(&d, "short", b"abc");
    put(&d, "empty", b"");
    let o = run_in(&d, &["cmp", "a", "b"], b"");
    assert_eq!(stdout(&o), "a b differ: byte 6, line 2\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["cmp", "a", "a"], b"");
    assert_eq!(stdout(&o), "");
    assert_eq!(o.status.code(), Some(0));
    let o = run_in(&d, &["cmp", "a", "short"], b"");
    assert_eq!(stderr(&o), "cmp: EOF on short\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["cmp", "empty", "a"], b"");
    assert_eq!(stderr(&o), "cmp: EOF on empty\n");
    let o = run_in(&d, &["cmp", "-l", "a", "b"], b"");
    assert_eq!(stdout(&o), "6 145 170\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["cmp", "-s", "a", "b"], b"");
    assert_eq!(stdout(&o), "");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["cmp", "-s", "a", "short"], b"");
    assert_eq!(stderr(&o), "");
    assert_eq!(o.status.code(), Some(1));
    // Stdin, skips.
    let o = run_in(&d, &["cmp", "a", "-"], b"abc\ndef");
    assert_eq!(o.status.code(), Some(0));
    let o = run_in(&d, &["cmp", "a", "b", "5", "5"], b"");
    assert_eq!(stdout(&o), "a b differ: byte 1, line 1\n");
    let o = run_in(&d, &["cmp", "a", "nope"], b"");
    assert_eq!(stderr(&o), "cmp: nope: No such file or directory\n");
    assert_eq!(o.status.code(), Some(2));
    let o = run_in(&d, &["cmp", "-z", "a", "b"], b"");
    assert_eq!(o.status.code(), Some(2));
    let o = run_in(&d, &["cmp", "a", "b", "x"], b"");
    assert_eq!(o.status.code(), Some(2));
    // Binary data.
    put(&d, "bin1", b"\0\xff\x01");
    put(&d, "bin2", b"\0\xfe\x01");
    let o = run_in(&d, &["cmp", "-l", "bin1", "bin2"], b"");
    assert_eq!(stdout(&o), "2 377 376\n");
}

// ---------------------------------------------------------------- diff

const D1: &[u8] = b"a\nb\nc\nd\ne\nf\ng\nh\n";
const D2: &[u8] = b"a\nB\nc\nd\ne\nf\ng\nh\nI\n";

#[test]
fn diff_normal_format() {
    let d = scratch("diff-normal");
    put(&d, "1", D1);
    put(&d, "2", D2);
    let o = run_in(&d, &["diff", "1", "2"], b"");
    assert_eq!(stdout(&o), "2c2\n< b\n---\n> B\n8a9\n> I\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["diff", "2", "1"], b"");
    assert_eq!(stdout(&o), "2c2\n< B\n---\n> b\n9d8\n< I\n");
    let o = run_in(&d, &["diff", "1", "1"], b"");
    assert_eq!(stdout(&o), "");
    assert_eq!(o.status.code(), Some(0));
    put(&d, "x", b"x");
    put(&d, "y", b"y");
    let o = run_in(&d, &["diff", "x", "y"], b"");
    assert_eq!(
        stdout(&o),
        "1c1\n< x\n\\ No newline at end of file\n---\n> y\n\\ No newline at end of file\n"
    );
    put(&d, "e", b"");
    let o = run_in(&d, &["diff", "e", "1"], b"");
    assert_eq!(
        stdout(&o),
        "0a1,8\n> a\n> b\n> c\n> d\n> e\n> f\n> g\n> h\n"
    );
    let o = run_in(&d, &["diff", "-", "x"], b"x\n");
    assert_eq!(
        stdout(&o),
        "1c1\n< x\n---\n> x\n\\ No newline at end of file\n"
    );
}

#[test]
fn diff_unified_format() {
    let d = scratch("diff-unified");
    put(&d, "1", D1);
    put(&d, "2", D2);
    let o = run_in(&d, &["diff", "-u", "1", "2"], b"");
    assert_eq!(
        stdout(&o),
        "--- 1\n+++ 2\n@@ -1,8 +1,9 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n h\n+I\n"
    );
    let o = run_in(&d, &["diff", "-U", "1", "1", "2"], b"");
    assert_eq!(
        stdout(&o),
        "--- 1\n+++ 2\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -8 +8,2 @@\n h\n+I\n"
    );
    let o = run_in(
        &d,
        &["diff", "-U0", "-L", "old", "-L", "new", "1", "2"],
        b"",
    );
    assert_eq!(
        stdout(&o),
        "--- old\n+++ new\n@@ -2 +2 @@\n-b\n+B\n@@ -8,0 +9 @@\n+I\n"
    );
    put(&d, "e", b"");
    let o = run_in(&d, &["diff", "-u", "e", "2"], b"");
    assert!(stdout(&o).starts_with("--- e\n+++ 2\n@@ -0,0 +1,9 @@\n+a\n"));
    let o = run_in(&d, &["diff", "-U", "x", "1", "2"], b"");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn diff_options() {
    let d = scratch("diff-opts");
    put(&d, "a", b"one  two\nThree\n\nfour\n");
    put(&d, "b", b"one two \nthree\nfour\n");
    let o = run_in(&d, &["diff", "-q", "a", "b"], b"");
    assert_eq!(stdout(&o), "Files a and b differ\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["diff", "-b", "-i", "-B", "a", "b"], b"");
    assert_eq!(stdout(&o), "");
    assert_eq!(o.status.code(), Some(0));
    let o = run_in(&d, &["diff", "-w", "-i", "a", "b"], b"");
    assert_eq!(stdout(&o), "3d2\n< \n");
    // Blank-only changes inside a hunk are still shown, in place.
    put(&d, "B1", b"\na\nb\nc\n");
    put(&d, "B2", b"a\nB\nc\n\n");
    let o = run_in(&d, &["diff", "-B", "B1", "B2"], b"");
    assert_eq!(stdout(&o), "3c2\n< b\n---\n> B\n");
    let o = run_in(&d, &["diff", "-uB", "B1", "B2"], b"");
    assert_eq!(
        stdout(&o),
        "--- B1\n+++ B2\n@@ -1,4 +1,4 @@\n-\n a\n-b\n+B\n c\n+\n"
    );
    let o = run_in(&d, &["diff", "-s", "a", "a"], b"");
    assert_eq!(stdout(&o), "Files a and a are identical\n");
    put(&d, "bin", b"x\0y\n");
    let o = run_in(&d, &["diff", "a", "bin"], b"");
    assert_eq!(stdout(&o), "Binary files a and bin differ\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["diff", "a", "nope"], b"");
    assert_eq!(
        stderr(&o),
        "diff: can't stat 'nope': No such file or directory\n"
    );
    assert_eq!(o.status.code(), Some(2));
    let o = run_in(&d, &["diff", "-N", "a", "nope"], b"");
    assert_eq!(stdout(&o), "1,4d0\n< one  two\n< Three\n< \n< four\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["diff", "a"], b"");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn diff_recursive() {
    let d = scratch("diff-r");
    put(&d, "r1/s/f", b"a\n");
    put(&d, "r2/s/f", b"b\n");
    put(&d, "r1/only1", b"x\n");
    put(&d, "r2/only2", b"y\n");
    put(&d, "r1/same", b"z\n");
    put(&d, "r2/same", b"z\n");
    let o = run_in(&d, &["diff", "-r", "r1", "r2"], b"");
    assert_eq!(
        stdout(&o),
        "Only in r1: only1\nOnly in r2: only2\ndiff -r r1/s/f r2/s/f\n1c1\n< a\n---\n> b\n"
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["diff", "-ruN", "r1", "r2"], b"");
    assert_eq!(
        stdout(&o),
        "--- r1/only1\n+++ r2/only1\n@@ -1 +0,0 @@\n-x\n--- r1/only2\n+++ r2/only2\n@@ -0,0 +1 @@\n+y\n--- r1/s/f\n+++ r2/s/f\n@@ -1 +1 @@\n-a\n+b\n"
    );
    let o = run_in(&d, &["diff", "r1", "r2"], b"");
    assert_eq!(
        stdout(&o),
        "Only in r1: only1\nOnly in r2: only2\nCommon subdirectories: r1/s and r2/s\n"
    );
    // A file against a directory compares with the same name inside.
    let o = run_in(&d, &["diff", "r1/same", "r2"], b"");
    assert_eq!(o.status.code(), Some(0));
}

/// Applies the `-U0` diff `text` to `a`.
fn apply_u0(a: &str, text: &str) -> String {
    let old: Vec<&str> = a.lines().collect();
    let mut new: Vec<String> = Vec::new();
    let mut pos = 0;
    for line in text.lines().skip(2) {
        if let Some(h) = line.strip_prefix("@@ -") {
            let range = h.split(' ').next().unwrap();
            let mut it = range.split(',');
            let start: usize = it.next().unwrap().parse().unwrap();
            let len: usize = it.next().map_or(1, |l| l.parse().unwrap());
            let start0 = if len == 0 { start } else { start - 1 };
            new.extend(old[pos..start0].iter().map(|s| s.to_string()));
            pos = start0 + len;
        } else if let Some(l) = line.strip_prefix('+') {
            new.push(l.to_string());
        }
    }
    new.extend(old[pos..].iter().map(|s| s.to_string()));
    new.join("\n") + "\n"
}

#[test]
fn diff_large_input_is_correct() {
    let d = scratch("diff-large");
    let a: String = (0..3000)
        .map(|i| format!("{}\n", (i * 7919) % 1000))
        .collect();
    let b: String = (0..3000)
        .map(|i| format!("{}\n", (i * 7907) % 1000))
        .collect();
    put(&d, "a", a.as_bytes());
    put(&d, "b", b.as_bytes());
    let o = run_in(&d, &["diff", "-U0", "a", "b"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(apply_u0(&a, &stdout(&o)), b);
    // Inputs with almost nothing in common take the bounded-cost path.
    let mut s = 1u64;
    let mut rnd = || {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        s >> 40
    };
    let a: String = (0..12000).map(|_| format!("{}\n", rnd() % 5000)).collect();
    let b: String = (0..12000).map(|_| format!("{}\n", rnd() % 5000)).collect();
    put(&d, "a", a.as_bytes());
    put(&d, "b", b.as_bytes());
    let o = run_in(&d, &["diff", "-U0", "a", "b"], b"");
    assert_eq!(apply_u0(&a, &stdout(&o)), b);
}

// ---------------------------------------------------------------- printf, test, [

#[test]
fn printf_applet() {
    let d = scratch("printf");
    let o = run_in(
        &d,
        &[
            "printf",
            "%s-%d|%5s|%x|%c\\n",
            "a",
            "42",
            "ab",
            "255",
            "xyz",
        ],
        b"",
    );
    assert_eq!(stdout(&o), "a-42|   ab|ff|x\n");
    // The format is reused for extra arguments.
    let o = run_in(&d, &["printf", "<%s>", "a", "b", "c"], b"");
    assert_eq!(stdout(&o), "<a><b><c>");
    let o = run_in(
        &d,
        &[
            "printf",
            "%5.2f|%e|%g|%08.3f|%-6g|%+.1f\\n",
            "3.14159",
            "1234.5",
            "0.0001",
            "-3.5",
            "2.5",
            "1",
        ],
        b"",
    );
    assert_eq!(
        stdout(&o),
        " 3.14|1.234500e+03|0.0001|-003.500|2.5   |+1.0\n"
    );
    let o = run_in(&d, &["printf", "%b", "x\\ty\\0z"], b"");
    assert_eq!(o.stdout, b"x\ty\0z");
    let o = run_in(&d, &["printf", "%d\\n", "12x"], b"");
    assert_eq!(stderr(&o), "printf: 12x: invalid number\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["printf"], b"");
    assert_eq!(stderr(&o), "printf: usage: printf FORMAT [ARG]...\n");
    assert_eq!(o.status.code(), Some(2));
    let o = run_in(&d, &["printf", "--help"], b"");
    assert!(stdout(&o).starts_with("Usage: printf FORMAT"));
}

#[test]
fn test_and_bracket_applets() {
    let d = scratch("test");
    put(&d, "file", b"x");
    let cases: &[(&[&str], i32)] = &[
        (&["test", "a", "=", "a"], 0),
        (&["test", "a", "!=", "a"], 1),
        (&["test", "-f", "file"], 0),
        (&["test", "-d", "file"], 1),
        (&["test", "-s", "file", "-a", "!", "-e", "nope"], 0),
        (&["test", "1", "-lt", "2", "-o", "x", "=", "y"], 0),
        (&["test"], 1),
        (&["test", ""], 1),
        (&["test", "-n", "x"], 0),
        (&["[", "3", "-ge", "4", "]"], 1),
        (&["[", "(", "a", ")", "]"], 0),
        (&["[", "]"], 1),
    ];
    for (args, code) in cases {
        let o = run_in(&d, args, b"");
        assert_eq!(o.status.code(), Some(*code), "{args:?}");
    }
    let o = run_in(&d, &["[", "a", "=", "a"], b"");
    assert_eq!(stderr(&o), "[: missing ]\n");
    assert_eq!(o.status.code(), Some(2));
    let o = run_in(&d, &["test", "a", "-eq", "1"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("test: "));
}

// ---------------------------------------------------------------- split

/// The files in `dir` with their contents, sorted by name.
fn listing(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                String::from_utf8_lossy(&std::fs::read(e.path()).unwrap_or_default()).into_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn split_by_lines_and_bytes() {
    let d = scratch("split");
    let o = run_in(&d, &["split", "-l", "2"], b"1\n2\n3\n4\n5");
    assert!(o.status.success());
    assert_eq!(
        listing(&d),
        [
            ("xaa".to_string(), "1\n2\n".to_string()),
            ("xab".into(), "3\n4\n".into()),
            ("xac".into(), "5".into())
        ]
    );
    let d = scratch("split-b");
    put(&d, "in", b"abcdefghij");
    let o = run_in(
        &d,
        &["split", "-b", "4", "-d", "-a", "3", "in", "part."],
        b"",
    );
    assert!(o.status.success());
    assert_eq!(
        listing(&d),
        [
            ("in".to_string(), "abcdefghij".to_string()),
            ("part.000".into(), "abcd".into()),
            ("part.001".into(), "efgh".into()),
            ("part.002".into(), "ij".into())
        ]
    );
    let d = scratch("split-k");
    let data = vec![b'z'; 3000];
    let o = run_in(&d, &["split", "-b", "1k"], &data);
    assert!(o.status.success());
    let l = listing(&d);
    assert_eq!(l.len(), 3);
    assert_eq!(l[2].1.len(), 3000 - 2048);
    // Nothing in, nothing out.
    let d = scratch("split-empty");
    let o = run_in(&d, &["split"], b"");
    assert!(o.status.success());
    assert!(listing(&d).is_empty());
}

#[test]
fn split_chunks_and_errors() {
    let d = scratch("split-n");
    let o = run_in(&d, &["split", "-n", "3", "-", "c"], b"abcdefgh");
    assert!(o.status.success());
    assert_eq!(
        listing(&d),
        [
            ("caa".to_string(), "ab".to_string()),
            ("cab".into(), "cd".into()),
            ("cac".into(), "efgh".into())
        ]
    );
    let d = scratch("split-ex");
    let o = run_in(
        &d,
        &["split", "-l", "1", "-a", "1", "-d"],
        b"0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
    );
    assert_eq!(stderr(&o), "split: suffixes exhausted\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["split", "nope"], b"");
    assert_eq!(
        stderr(&o),
        "split: can't open 'nope': No such file or directory\n"
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["split", "-l", "0"], b"");
    assert_eq!(stderr(&o), "split: invalid number '0'\n");
    let o = run_in(&d, &["split", "-l", "1", "-b", "1"], b"");
    assert_eq!(o.status.code(), Some(1));
}

// ---------------------------------------------------------------- env

#[test]
fn env_applet() {
    let d = scratch("env");
    let o = run_in(&d, &["env", "-i", "A=1", "B=x y"], b"");
    assert_eq!(stdout(&o), "A=1\nB=x y\n");
    let o = run_in(&d, &["env", "-", "A=1", "-0"], b"");
    // After the first operand, "-0" is the command.
    assert_eq!(o.status.code(), Some(127));
    let o = run_in(&d, &["env", "-0", "-i", "A=1", "B=2"], b"");
    assert_eq!(o.stdout, b"A=1\0B=2\0");
    let o = run_in(&d, &["env", "-i", "A=1", "B=2", "-u", "A"], b"");
    assert_eq!(o.status.code(), Some(127));
    let o = run_in(&d, &["env", "-u", "A", "-i", "A=1", "B=2"], b"");
    assert_eq!(stdout(&o), "A=1\nB=2\n");
    let o = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args([
            "env",
            "-u",
            "IBOX_T1",
            "sh",
            "-c",
            "echo ${IBOX_T1-unset} $IBOX_T2",
        ])
        .env("IBOX_T1", "set")
        .env("IBOX_T2", "kept")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "unset kept\n");
    let o = run_in(&d, &["env", "X=1", "sh", "-c", "echo $X; exit 3"], b"");
    assert_eq!(stdout(&o), "1\n");
    assert_eq!(o.status.code(), Some(3));
    let o = run_in(&d, &["env", "no-such-cmd-xyz"], b"");
    assert_eq!(
        stderr(&o),
        "env: can't execute 'no-such-cmd-xyz': No such file or directory\n"
    );
    assert_eq!(o.status.code(), Some(127));
    put(&d, "noexec", b"#!/bin/sh\n");
    let o = run_in(&d, &["env", "./noexec"], b"");
    assert_eq!(o.status.code(), Some(126));
}

// ---------------------------------------------------------------- id, whoami

#[test]
fn id_and_whoami() {
    let d = scratch("id");
    let uid = nix_uid();
    let o = run_in(&d, &["id", "-u"], b"");
    assert_eq!(stdout(&o), format!("{uid}\n"));
    let o = run_in(&d, &["id", "-ru"], b"");
    assert_eq!(stdout(&o), format!("{uid}\n"));
    let o = run_in(&d, &["id"], b"");
    assert!(
        stdout(&o).starts_with(&format!("uid={uid}")),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains(" groups="));
    let o = run_in(&d, &["id", "-G"], b"");
    assert!(o.status.success());
    let o = run_in(&d, &["id", "no-such-user-xyz"], b"");
    assert_eq!(stderr(&o), "id: unknown user no-such-user-xyz\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["id", "-u", "-g"], b"");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["id", "-n"], b"");
    assert_eq!(o.status.code(), Some(1));
    if uid == 0 {
        let o = run_in(&d, &["id", "-un"], b"");
        assert_eq!(stdout(&o), "root\n");
        let o = run_in(&d, &["id", "root"], b"");
        assert!(stdout(&o).starts_with("uid=0(root) gid=0("));
        let o = run_in(&d, &["whoami"], b"");
        assert_eq!(stdout(&o), "root\n");
    }
    let o = run_in(&d, &["whoami", "x"], b"");
    assert_eq!(o.status.code(), Some(1));
}

/// The uid the tests run as, read from /proc.
fn nix_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

// ---------------------------------------------------------------- which

#[test]
fn which_applet() {
    let d = scratch("which");
    use std::os::unix::fs::PermissionsExt;
    for dir in ["b1", "b2"] {
        put(&d, &format!("{dir}/tool"), b"#!/bin/sh\n");
        std::fs::set_permissions(
            d.join(dir).join("tool"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    put(&d, "b1/plain", b"");
    let path = format!("{}/b1:{}/b2", d.display(), d.display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ibox"))
            .args(args)
            .current_dir(&*d)
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    let o = run(&["which", "tool"]);
    assert_eq!(stdout(&o), format!("{}/b1/tool\n", d.display()));
    let o = run(&["which", "-a", "tool", "plain"]);
    assert_eq!(
        stdout(&o),
        format!("{0}/b1/tool\n{0}/b2/tool\n", d.display())
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["which", "./b2/tool", "nope"]);
    assert_eq!(stdout(&o), "./b2/tool\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["which"]);
    assert_eq!(o.status.code(), Some(1));
}

// ---------------------------------------------------------------- nice, nohup

#[test]
fn nice_applet() {
    let d = scratch("nice");
    let o = run_in(&d, &["nice"], b"");
    let base: i32 = stdout(&o).trim().parse().unwrap();
    let o = run_in(&d, &["nice", "-n", "3", "nice"], b"");
    assert_eq!(stdout(&o).trim(), (base + 3).min(19).to_string());
    let o = run_in(&d, &["nice", "nice"], b"");
    assert_eq!(stdout(&o).trim(), (base + 10).min(19).to_string());
    let o = run_in(&d, &["nice", "-n", "x", "true"], b"");
    assert_eq!(stderr(&o), "nice: invalid number 'x'\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["nice", "no-such-cmd-xyz"], b"");
    assert_eq!(o.status.code(), Some(127));
    let o = run_in(&d, &["nice", "sh", "-c", "exit 4"], b"");
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn chrt_applet() {
    let d = scratch("chrt");
    let o = run_in(&d, &["chrt", "-m"], b"");
    assert!(
        stdout(&o).contains("SCHED_FIFO min/max priority\t: 1/99"),
        "{}",
        stdout(&o)
    );
    // Policies any user may take: SCHED_BATCH and SCHED_IDLE at priority 0,
    // shown by `chrt -p` on the process itself (our chrt, not the host's).
    let show = format!("{IBOX} chrt -p $$");
    let o = run_in(&d, &["chrt", "-b", "0", "sh", "-c", &show], b"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("current scheduling policy: SCHED_BATCH"),
        "{out}"
    );
    assert!(out.contains("current scheduling priority: 0"), "{out}");
    let o = run_in(&d, &["chrt", "-i", "0", "sh", "-c", &show], b"");
    assert!(stdout(&o).contains("SCHED_IDLE"), "{}", stdout(&o));
    // `-p PRIO PID` changes another process and shows before and after.
    let change = format!("{IBOX} sleep 2 & {IBOX} chrt -b -p 0 $!; kill $!");
    let o = run_in(&d, &["sh", "-c", &change], b"");
    let out = stdout(&o);
    assert!(
        out.contains("current scheduling policy: SCHED_OTHER"),
        "{out}"
    );
    assert!(out.contains("new scheduling policy: SCHED_BATCH"), "{out}");
    // Bad input is refused before anything runs.
    let o = run_in(&d, &["chrt", "-f", "x", "true"], b"");
    assert_eq!(stderr(&o), "chrt: invalid priority 'x'\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["chrt", "-o", "5", "true"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("can't set pid 0's policy"),
        "{}",
        stderr(&o)
    );
    let o = run_in(&d, &["chrt", "-o", "0", "no-such-cmd-xyz"], b"");
    assert_eq!(o.status.code(), Some(127));
    let o = run_in(&d, &["chrt", "-o", "0", "sh", "-c", "exit 4"], b"");
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn nohup_applet() {
    let d = scratch("nohup");
    // Not a terminal: output stays where it is and no nohup.out appears.
    let o = run_in(
        &d,
        &[
            "nohup",
            "sh",
            "-c",
            "echo out; echo err >&2; kill -HUP $$; echo alive",
        ],
        b"",
    );
    assert_eq!(stdout(&o), "out\nalive\n");
    assert_eq!(stderr(&o), "err\n");
    assert!(!d.join("nohup.out").exists());
    let o = run_in(&d, &["nohup", "no-such-cmd-xyz"], b"");
    assert_eq!(o.status.code(), Some(127));
    let o = run_in(&d, &["nohup"], b"");
    assert_eq!(o.status.code(), Some(127));
    let o = run_in(&d, &["nohup", "sh", "-c", "exit 5"], b"");
    assert_eq!(o.status.code(), Some(5));
}

// ---------------------------------------------------------------- timeout

#[test]
fn timeout_applet() {
    let d = scratch("timeout");
    let start = std::time::Instant::now();
    let o = run_in(&d, &["timeout", "0.3", "sleep", "10"], b"");
    assert_eq!(o.status.code(), Some(124));
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    let o = run_in(&d, &["timeout", "5", "sh", "-c", "echo hi; exit 3"], b"");
    assert_eq!(stdout(&o), "hi\n");
    assert_eq!(o.status.code(), Some(3));
    let o = run_in(&d, &["timeout", "-s", "KILL", "0.2", "sleep", "10"], b"");
    assert_eq!(o.status.code(), Some(137));
    let o = run_in(
        &d,
        &[
            "timeout",
            "-s",
            "INT",
            "-k",
            "0.2",
            "0.1",
            "sh",
            "-c",
            "trap '' INT; sleep 10",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(137));
    // The whole process group is signalled: a pipeline's members too.
    let start = std::time::Instant::now();
    let o = run_in(
        &d,
        &["timeout", "0.3", "sh", "-c", "sleep 10 | sleep 10; echo no"],
        b"",
    );
    assert_eq!(o.status.code(), Some(124));
    assert_eq!(stdout(&o), "");
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    // A TERM sent to timeout goes on to the command.
    let child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["timeout", "20", "sleep", "10"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143));
    let o = run_in(&d, &["timeout", "1", "no-such-cmd-xyz"], b"");
    assert_eq!(o.status.code(), Some(127));
    let o = run_in(&d, &["timeout", "x", "true"], b"");
    assert_eq!(stderr(&o), "timeout: invalid duration 'x'\n");
    assert_eq!(o.status.code(), Some(125));
    let o = run_in(&d, &["timeout", "-s", "BOGUS", "1", "true"], b"");
    assert_eq!(stderr(&o), "timeout: invalid signal 'BOGUS'\n");
    assert_eq!(o.status.code(), Some(125));
    let o = run_in(&d, &["timeout", "1"], b"");
    assert_eq!(o.status.code(), Some(125));
}

// ---------------------------------------------------------------- chroot

#[test]
fn chroot_refusals() {
    let d = scratch("chroot");
    let o = run_in(&d, &["chroot"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("Usage: chroot"));
    let o = run_in(&d, &["chroot", "no-such-dir", "true"], b"");
    assert_eq!(
        stderr(&o),
        "chroot: can't change root directory to 'no-such-dir': No such file or directory\n"
    );
    assert_eq!(o.status.code(), Some(1));
    put(&d, "file", b"");
    let o = run_in(&d, &["chroot", "file", "true"], b"");
    assert_eq!(
        stderr(&o),
        "chroot: can't change root directory to 'file': Not a directory\n"
    );
    let o = run_in(&d, &["chroot", "-x"], b"");
    assert_eq!(o.status.code(), Some(1));
}

// ---------------------------------------------------------------- date

#[test]
fn date_formats() {
    let d = scratch("date");
    let o = run_in(&d, &["date", "-d", "@1000000000"], b"");
    assert_eq!(stdout(&o), "Sun Sep  9 01:46:40 UTC 2001\n");
    let o = run_in(
        &d,
        &[
            "date",
            "-u",
            "-d",
            "@0",
            "+%Y-%m-%d %H:%M:%S|%s|%j|%a %A %b %B",
        ],
        b"",
    );
    assert_eq!(
        stdout(&o),
        "1970-01-01 00:00:00|0|001|Thu Thursday Jan January\n"
    );
    let o = run_in(&d, &["date", "-d", "2024-02-29 12:34", "+%F %T %u %V"], b"");
    assert_eq!(stdout(&o), "2024-02-29 12:34:00 4 09\n");
    let o = run_in(&d, &["date", "-d", "2024-03-01 01:02:03", "+%s"], b"");
    assert_eq!(stdout(&o), "1709254923\n");
    let o = run_in(&d, &["date", "-R", "-d", "@1000000000"], b"");
    assert_eq!(stdout(&o), "Sun, 09 Sep 2001 01:46:40 +0000\n");
    let o = run_in(&d, &["date", "-I", "-d", "@1000000000"], b"");
    assert_eq!(stdout(&o), "2001-09-09\n");
    let o = run_in(&d, &["date", "-Iseconds", "-d", "@1000000000"], b"");
    assert_eq!(stdout(&o), "2001-09-09T01:46:40+00:00\n");
    let o = run_in(&d, &["date", "-Ins", "-d", "@1.25"], b"");
    assert_eq!(stdout(&o), "1970-01-01T00:00:01,250000000+00:00\n");
    let o = run_in(
        &d,
        &["date", "-d", "@0", "+%%|%n|%t|%-d|%_H|%I %p|%y|%C|%e"],
        b"",
    );
    assert_eq!(stdout(&o), "%|\n|\t|1| 0|12 AM|70|19| 1\n");
    let o = run_in(&d, &["date", "+%s"], b"");
    let now: i64 = stdout(&o).trim().parse().unwrap();
    assert!(now > 1_600_000_000);
}

#[test]
fn date_reference_and_errors() {
    let d = scratch("date-err");
    put(&d, "f", b"");
    let f = std::fs::File::options()
        .write(true)
        .open(d.join("f"))
        .unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(86400 * 365))
        .unwrap();
    let o = run_in(&d, &["date", "-r", "f", "+%F %T"], b"");
    assert_eq!(stdout(&o), "1971-01-01 00:00:00\n");
    let o = run_in(&d, &["date", "-r", "nope"], b"");
    assert_eq!(
        stderr(&o),
        "date: can't stat 'nope': No such file or directory\n"
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["date", "-d", "2001-02-30"], b"");
    assert_eq!(stderr(&o), "date: invalid date '2001-02-30'\n");
    assert_eq!(o.status.code(), Some(1));
    // -s and a time operand are parsed; invalid times never reach the clock.
    let o = run_in(&d, &["date", "-s", "not a time"], b"");
    assert_eq!(stderr(&o), "date: invalid date 'not a time'\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["date", "13999999"], b"");
    assert_eq!(stderr(&o), "date: invalid date '13999999'\n");
    let o = run_in(&d, &["date", "-Ibogus"], b"");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["date", "+%Y", "+%m"], b"");
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(&d, &["date", "-R", "+%Y"], b"");
    assert_eq!(o.status.code(), Some(1));
}
