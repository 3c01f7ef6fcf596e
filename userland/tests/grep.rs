//! Runs the built `ibox` as grep, egrep and fgrep and checks output and exit
//! status. Expected outputs were checked against GNU grep and BusyBox.

use std::time::{Duration, Instant};

mod common;
use common::{ibox_in as run, scratch, stderr};

/// `grep ARGS...` on `input`; returns stdout and the exit status.
fn grep(args: &[&str], input: &str) -> (String, i32) {
    let mut all = vec!["grep"];
    all.extend_from_slice(args);
    let o = run(None, &all, input.as_bytes());
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

const TEXT: &str = "foo bar\nbaz\nfoobar\nqux foo\n\nend";

#[test]
fn basic_selection_and_exit_status() {
    assert_eq!(
        grep(&["foo"], TEXT),
        ("foo bar\nfoobar\nqux foo\n".into(), 0)
    );
    assert_eq!(grep(&["nothing"], TEXT), ("".into(), 1));
    assert_eq!(grep(&["-v", "foo"], TEXT), ("baz\n\nend\n".into(), 0));
    assert_eq!(grep(&["-c", "foo"], TEXT), ("3\n".into(), 0));
    assert_eq!(grep(&["-c", "zz"], TEXT), ("0\n".into(), 1));
    assert_eq!(
        grep(&["-n", "ba"], TEXT),
        ("1:foo bar\n2:baz\n3:foobar\n".into(), 0)
    );
    assert_eq!(grep(&["-q", "baz"], TEXT), ("".into(), 0));
    assert_eq!(grep(&["-q", "zz"], TEXT), ("".into(), 1));
    // The last line has no newline; grep adds one.
    assert_eq!(grep(&["end"], TEXT), ("end\n".into(), 0));
    assert_eq!(grep(&["x"], ""), ("".into(), 1));
    assert_eq!(grep(&["-c", "^"], ""), ("0\n".into(), 1));
    assert_eq!(grep(&["^$"], TEXT), ("\n".into(), 0));
    assert_eq!(grep(&["-e", ""], "a\nb\n"), ("a\nb\n".into(), 0));
}

#[test]
fn words_lines_case_and_only_matching() {
    assert_eq!(grep(&["-w", "foo"], TEXT), ("foo bar\nqux foo\n".into(), 0));
    assert_eq!(grep(&["-x", "baz"], TEXT), ("baz\n".into(), 0));
    assert_eq!(grep(&["-x", "-E", "ba|baz"], TEXT), ("baz\n".into(), 0));
    assert_eq!(grep(&["-i", "FOO B"], TEXT), ("foo bar\n".into(), 0));
    assert_eq!(grep(&["-y", "BAZ"], TEXT), ("baz\n".into(), 0));
    // Case folding happens before a bracket's negation.
    assert_eq!(grep(&["-i", "^[^a]$"], "A\nb\n"), ("b\n".into(), 0));
    assert_eq!(grep(&["-io", "[[:upper:]]x"], "ax\n"), ("ax\n".into(), 0));
    assert_eq!(
        grep(&["-o", "-E", "b.."], TEXT),
        ("bar\nbaz\nbar\n".into(), 0)
    );
    assert_eq!(
        grep(&["-on", "o"], "foo\nxo\n"),
        ("1:o\n1:o\n2:o\n".into(), 0)
    );
    // Empty matches print nothing with -o, but the line still counts.
    assert_eq!(grep(&["-o", "x*"], "ab\n"), ("".into(), 0));
    // -w retries after a match that is not a whole word.
    assert_eq!(grep(&["-ow", "ab"], "abc ab\n"), ("ab\n".into(), 0));
    assert_eq!(grep(&["-w", "@"], "a@b\nx @ y\n"), ("x @ y\n".into(), 0));
    // Leftmost-longest across alternatives and several patterns.
    assert_eq!(grep(&["-oE", "a|ab|abc"], "xabcd\n"), ("abc\n".into(), 0));
    assert_eq!(
        grep(&["-o", "-e", "b", "-e", "bcd"], "abcde\n"),
        ("bcd\n".into(), 0)
    );
}

#[test]
fn bre_ere_and_fixed_strings() {
    assert_eq!(grep(&["a+"], "aa\na+\n"), ("a+\n".into(), 0));
    assert_eq!(grep(&["a\\+"], "aa\nb\n"), ("aa\n".into(), 0));
    assert_eq!(grep(&["-E", "a+"], "aa\nb\n"), ("aa\n".into(), 0));
    assert_eq!(grep(&["-E", "(ab){2}"], "ab\nabab\n"), ("abab\n".into(), 0));
    assert_eq!(
        grep(&["\\(ab\\)\\{2\\}"], "ab\nabab\n"),
        ("abab\n".into(), 0)
    );
    assert_eq!(grep(&["a\\|c"], "a\nb\nc\n"), ("a\nc\n".into(), 0));
    assert_eq!(grep(&["a|c"], "a\na|c\n"), ("a|c\n".into(), 0));
    assert_eq!(grep(&["-E", "a?b"], "b\nc\n"), ("b\n".into(), 0));
    assert_eq!(grep(&["-G", "a?b"], "b\na?b\n"), ("a?b\n".into(), 0));
    assert_eq!(grep(&["-F", "a.b"], "axb\na.b\n"), ("a.b\n".into(), 0));
    assert_eq!(grep(&["-F", "-i", "A.B"], "a.b\n"), ("a.b\n".into(), 0));
    assert_eq!(grep(&["-F", "-x", "ab"], "ab\nabc\n"), ("ab\n".into(), 0));
    assert_eq!(grep(&["-E", "^(1|2)$"], "1\n12\n2\n"), ("1\n2\n".into(), 0));
    assert_eq!(grep(&["[[:digit:]]x"], "1x\nax\n"), ("1x\n".into(), 0));
    assert_eq!(grep(&["[]a]"], "]\nb\n"), ("]\n".into(), 0));
    assert_eq!(grep(&["[^]a]"], "]\nb\n"), ("b\n".into(), 0));
    assert_eq!(grep(&["\\<ab\\>"], "cab\nab c\n"), ("ab c\n".into(), 0));
    // A `{` that starts no interval is literal in an ERE (GNU).
    assert_eq!(grep(&["-E", "a{1"], "a{1\n"), ("a{1\n".into(), 0));
    // Back-references, in BRE and ERE.
    assert_eq!(grep(&["\\(.\\)\\1"], "abc\nabbc\n"), ("abbc\n".into(), 0));
    assert_eq!(
        grep(&["-E", "(a|b)x\\1"], "axb\nbxb\n"),
        ("bxb\n".into(), 0)
    );
    assert_eq!(grep(&["-i", "\\(a\\)\\1"], "aA\n"), ("aA\n".into(), 0));
}

#[test]
fn egrep_and_fgrep() {
    let o = run(None, &["egrep", "a+|z"], b"aa\nz\nb\n");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "aa\nz\n");
    let o = run(None, &["fgrep", "a+"], b"aa\na+\n");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a+\n");
}

#[test]
fn several_patterns_and_pattern_files() {
    assert_eq!(
        grep(&["-e", "baz", "-e", "end"], TEXT),
        ("baz\nend\n".into(), 0)
    );
    assert_eq!(grep(&["baz\nend"], TEXT), ("baz\nend\n".into(), 0));
    let dir = scratch("patfile");
    std::fs::write(dir.join("pats"), "baz\nqux\n").unwrap();
    std::fs::write(dir.join("empty"), "").unwrap();
    let pats = dir.join("pats");
    let (out, code) = grep(&["-f", pats.to_str().unwrap()], TEXT);
    assert_eq!((out.as_str(), code), ("baz\nqux foo\n", 0));
    let empty = dir.join("empty");
    assert_eq!(grep(&["-f", empty.to_str().unwrap()], TEXT), ("".into(), 1));
    let o = run(None, &["grep", "-f", "/nonexistent/pats", "x"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "grep: /nonexistent/pats: No such file or directory\n"
    );
}

#[test]
fn context_lines_and_separators() {
    let nums: String = (1..=12).map(|i| format!("{i}\n")).collect();
    assert_eq!(
        grep(&["-C1", "-e", "^3$", "-e", "^9$"], &nums),
        ("2\n3\n4\n--\n8\n9\n10\n".into(), 0)
    );
    assert_eq!(
        grep(&["-A1", "-e", "^3$", "-e", "^4$"], &nums),
        ("3\n4\n5\n".into(), 0)
    );
    assert_eq!(grep(&["-B2", "^5$"], &nums), ("3\n4\n5\n".into(), 0));
    assert_eq!(grep(&["-A0", "-C1", "^5$"], &nums), ("4\n5\n".into(), 0));
    assert_eq!(
        grep(&["-n", "-A1", "^1[01]$"], &nums),
        ("10:10\n11:11\n12-12\n".into(), 0)
    );
    assert_eq!(grep(&["-m1", "-A1", "1"], &nums), ("1\n2\n".into(), 0));
    assert_eq!(grep(&["-m2", "1"], &nums), ("1\n10\n".into(), 0));
    assert_eq!(grep(&["-m2", "-c", "1"], &nums), ("2\n".into(), 0));
    let o = run(None, &["grep", "-A", "x", "1"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "grep: invalid number 'x'\n");
}

#[test]
fn files_names_lists_and_missing_files() {
    let dir = scratch("files");
    std::fs::write(dir.join("a b"), "hello world\nbye\n").unwrap();
    std::fs::write(dir.join("c"), "nothing\n").unwrap();
    let d = Some(&*dir);
    let o = run(d, &["grep", "hello", "a b", "c"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a b:hello world\n");
    let o = run(d, &["grep", "-h", "hello", "a b", "c"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "hello world\n");
    let o = run(d, &["grep", "-H", "-n", "bye", "a b"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a b:2:bye\n");
    let o = run(d, &["grep", "-c", "o", "a b", "c"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a b:1\nc:1\n");
    let o = run(d, &["grep", "-l", "hello", "a b", "c"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a b\n");
    let o = run(d, &["grep", "-L", "hello", "a b", "c"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "c\n");
    let o = run(d, &["grep", "hello", "-", "c"], b"hello stdin\n");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "(standard input):hello stdin\n"
    );

    // A missing file: a message, the others still searched, status 2.
    let o = run(d, &["grep", "hello", "missing", "a b"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a b:hello world\n");
    assert_eq!(stderr(&o), "grep: missing: No such file or directory\n");
    assert_eq!(o.status.code(), Some(2));
    let o = run(d, &["grep", "-s", "hello", "missing", "a b"], b"");
    assert_eq!(stderr(&o), "");
    assert_eq!(o.status.code(), Some(2));
    // -q with a match wins over the error.
    let o = run(d, &["grep", "-q", "hello", "missing", "a b"], b"");
    assert_eq!(o.status.code(), Some(0));
    // A directory without -r.
    std::fs::create_dir(dir.join("sub")).unwrap();
    let o = run(d, &["grep", "x", "sub"], b"");
    assert_eq!(stderr(&o), "grep: sub: Is a directory\n");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn recursive_search() {
    let dir = scratch("recursive");
    std::fs::create_dir_all(dir.join("t/sub")).unwrap();
    std::fs::write(dir.join("t/a"), "hello\n").unwrap();
    std::fs::write(dir.join("t/sub/b c"), "hello there\n").unwrap();
    std::fs::write(dir.join("t/z"), "no\n").unwrap();
    std::os::unix::fs::symlink("a", dir.join("t/link")).unwrap();
    let d = Some(&*dir);
    let o = run(d, &["grep", "-r", "hello", "t"], b"");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "t/a:hello\nt/sub/b c:hello there\n"
    );
    let o = run(d, &["grep", "-R", "-l", "hello", "t"], b"");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "t/a\nt/link\nt/sub/b c\n"
    );
    let o = run(Some(&dir.join("t")), &["grep", "-rc", "hello"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a:1\nsub/b c:1\nz:0\n");
    let o = run(d, &["grep", "-rh", "there", "t/"], b"");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "hello there\n");
    // A link back up the tree: -r does not follow it, -R notices the loop.
    std::os::unix::fs::symlink("..", dir.join("t/sub/up")).unwrap();
    let o = run(d, &["grep", "-r", "there", "t"], b"");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "t/sub/b c:hello there\n"
    );
    assert_eq!(o.status.code(), Some(0));
    let o = run(d, &["grep", "-R", "there", "t"], b"");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "t/sub/b c:hello there\n"
    );
    assert_eq!(stderr(&o), "grep: t/sub/up: recursive directory loop\n");
}

#[test]
fn binary_data_nul_lines_and_long_lines() {
    let o = run(None, &["grep", "b\u{1}"], b"a\0b\x01c\n\xff\xfe\nzz\n");
    assert_eq!(o.stdout, b"a\0b\x01c\n");
    let o = run(None, &["grep", "-c", "."], b"\xff\n\x80x\n");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "2\n");
    let o = run(None, &["grep", "-o", "[^a]"], b"a\xe9a\n");
    assert_eq!(o.stdout, b"\xe9\n");
    let o = run(None, &["grep", "-z", "b"], b"a\nb\0c\0");
    assert_eq!(o.stdout, b"a\nb\0");
    let mut long = "x".repeat(200_000);
    long.push_str("needle");
    long.push_str(&"y".repeat(100_000));
    let input = format!("short\n{long}\nend\n");
    let (out, code) = grep(&["-c", "needle"], &input);
    assert_eq!((out.as_str(), code), ("1\n", 0));
    let (out, _) = grep(&["-o", "x[n]e*dle"], &input);
    assert_eq!(out, "xneedle\n");
    let (out, _) = grep(&["-E", "^x+needley+$"], &input);
    assert_eq!(out.len(), long.len() + 1);
}

#[test]
fn invalid_patterns_and_options() {
    for (args, msg) in [
        (&["a\\{"][..], "grep: bad regex 'a\\{': Unmatched \\{\n"),
        (
            &["-E", "(a"][..],
            "grep: bad regex '(a': Unmatched ( or \\(\n",
        ),
        (
            &["[a"][..],
            "grep: bad regex '[a': Unmatched [, [^, [:, [., or [=\n",
        ),
        (
            &["\\(a\\)\\2"][..],
            "grep: bad regex '\\(a\\)\\2': Invalid back reference\n",
        ),
        (
            &["[[:nope:]]"][..],
            "grep: bad regex '[[:nope:]]': Invalid character class name\n",
        ),
        (
            &["[z-a]"][..],
            "grep: bad regex '[z-a]': Invalid range end\n",
        ),
        (&["a\\"][..], "grep: bad regex 'a\\': Trailing backslash\n"),
    ] {
        let mut all = vec!["grep"];
        all.extend_from_slice(args);
        let o = run(None, &all, b"abc\n");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&o), msg);
        assert!(o.stdout.is_empty());
    }
    let o = run(None, &["grep", "-X", "a"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("grep: invalid option -- 'X'\nUsage: grep "));
    let o = run(None, &["grep"], b"");
    assert_eq!(o.status.code(), Some(2));
    let o = run(
        None,
        &["grep", "--color=auto", "-a", "--line-buffered", "b"],
        b"a\nb\n",
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), "b\n");
    let o = run(None, &["grep", "--help"], b"");
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("Usage: grep "));
}

#[test]
fn pathological_patterns_finish_quickly() {
    let line = "a".repeat(30_000);
    let input = format!("{line}\n{line}\n");
    let start = Instant::now();
    assert_eq!(grep(&["-E", "(a*)*b"], &input), ("".into(), 1));
    assert_eq!(grep(&["-c", "-E", "(a|aa)*$"], &input), ("2\n".into(), 0));
    assert_eq!(
        grep(&["-c", "\\(a*\\)*\\1b"], &"a".repeat(200)),
        ("0\n".into(), 1)
    );
    // No literal to rule the lines out: the automata (or, with a
    // back-reference, the backtracker's budget) have to be quick.
    assert_eq!(grep(&["-c", "-E", "(a*)*[bc]"], &input), ("0\n".into(), 1));
    assert_eq!(grep(&["-c", "\\(a*\\)*[bc]\\1"], &input), ("0\n".into(), 1));
    let (out, _) = grep(&["-o", "-E", "(a|aa)*[bc]"], &format!("{line}b\n"));
    assert_eq!(out.len(), line.len() + 2);
    assert!(start.elapsed() < Duration::from_secs(30));
    let o = run(None, &["grep", "-E", "((a{255}){255}){255}"], b"a\n");
    assert_eq!(o.status.code(), Some(2));
}

/// Lines are skipped block by block up to the next line holding the
/// pattern's required string: line numbers, context, -m, -c, -w, -i and a
/// last line without a newline must come out as if each line were tested,
/// also across the reader's 256 KiB buffer boundaries.
#[test]
fn block_search_keeps_line_semantics() {
    let mut input = String::new();
    let mut want_n = String::new();
    let mut want_w = String::new();
    for i in 1..=40_000u32 {
        let line = match i % 997 {
            0 => format!("x{i} Quartz here"),
            500 => format!("quartzite {i}"),
            _ => format!("filler line {i} with no needle"),
        };
        if line.to_ascii_lowercase().contains("quartz") {
            want_n.push_str(&format!("{i}:{line}\n"));
        }
        if line.contains(" Quartz ") {
            want_w.push_str(&format!("{i}:{line}\n"));
        }
        input.push_str(&line);
        input.push('\n');
    }
    input.push_str("last quartz");
    want_n.push_str("40001:last quartz\n");
    assert_eq!(grep(&["-n", "-i", "quartz"], &input), (want_n.clone(), 0));
    assert_eq!(grep(&["-n", "-i", "-F", "QUARTZ"], &input), (want_n, 0));
    assert_eq!(grep(&["-n", "-w", "Quartz"], &input), (want_w, 0));
    assert_eq!(grep(&["-c", "quartz"], &input), ("41\n".into(), 0));
    assert_eq!(grep(&["-c", "-v", "quartz"], &input), ("39960\n".into(), 0));
    let (out, _) = grep(&["-n", "-A1", "-m2", "Quartz"], &input);
    assert_eq!(
        out,
        "997:x997 Quartz here\n998-filler line 998 with no needle\n--\n\
         1994:x1994 Quartz here\n1995-filler line 1995 with no needle\n"
    );
    assert_eq!(grep(&["-n", "nowhere"], &input), ("".into(), 1));
}
