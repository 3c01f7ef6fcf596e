//! Runs the built `ibox` as awk and checks output and exit status.
//! Expected outputs were checked against BusyBox awk, mawk and the
//! POSIX rules where those two differ.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{scratch, stderr};

/// `ibox awk ARGS...` in `dir` (if given) with `input` on stdin.
fn run(dir: Option<&Path>, args: &[&str], input: &[u8]) -> Output {
    common::ibox_in(dir, &[&["awk"], args].concat(), input)
}

/// `awk ARGS...` on `input`: stdout (checked to exit 0 with no stderr).
fn awk(args: &[&str], input: &str) -> String {
    awk_in(None, args, input)
}

fn awk_in(dir: Option<&Path>, args: &[&str], input: &str) -> String {
    let o = run(dir, args, input.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    assert_eq!(stderr(&o), "", "{args:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts that `awk ARGS` fails with status `code` and first message `msg`.
fn awk_fails(args: &[&str], code: i32, msg: &str) {
    let o = run(None, args, b"a\n");
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    assert_eq!(stderr(&o).lines().next(), Some(msg), "{args:?}");
}

const EMP: &str =
    "Beth 4.00 0\nDan 3.75 0\nKathy 4.00 10\nMark 5.00 20\nMary 5.50 22\nSusie 4.25 18\n";

#[test]
fn one_liners_from_the_book() {
    assert_eq!(awk(&["END { print NR }"], EMP), "6\n");
    assert_eq!(awk(&["NR == 3"], EMP), "Kathy 4.00 10\n");
    assert_eq!(awk(&["{ print $NF }"], "a b\nc\n"), "b\nc\n");
    assert_eq!(
        awk(&["$3 > 0 { print $1, $2 * $3 }"], EMP),
        "Kathy 40\nMark 100\nMary 121\nSusie 76.5\n"
    );
    assert_eq!(
        awk(
            &["{ pay = pay + $2 * $3 } END { print NR, pay, pay / NR }"],
            EMP
        ),
        "6 337.5 56.25\n"
    );
    assert_eq!(
        awk(
            &["$2 > maxrate { maxrate = $2; who = $1 } END { print maxrate, who }"],
            EMP
        ),
        "5.50 Mary\n"
    );
    assert_eq!(
        awk(&["{ names = names $1 \" \" } END { print names }"], EMP),
        "Beth Dan Kathy Mark Mary Susie \n"
    );
    assert_eq!(
        awk(&["{ last = $0 } END { print last }"], EMP),
        "Susie 4.25 18\n"
    );
    assert_eq!(
        awk(
            &["{ nc += length($0) + 1; nw += NF } END { print NR, nw, nc }"],
            EMP
        ),
        "6 18 77\n"
    );
    assert_eq!(awk(&["NF != 3"], "a b c\nd\n"), "d\n");
    assert_eq!(awk(&["length($0) > 3"], "abcd\nab\n"), "abcd\n");
    assert_eq!(
        awk(&["$1 == \"Dan\", $1 == \"Mark\" { print $1 }"], EMP),
        "Dan\nKathy\nMark\n"
    );
}

#[test]
fn field_sums_and_reversal() {
    assert_eq!(
        awk(&["{ s += $2 } END { print s }"], "a 1\nb 2.5\nc x\n"),
        "3.5\n"
    );
    assert_eq!(
        awk(
            &["{ for (i = NF; i > 0; i--) printf \"%s%s\", $i, (i > 1 ? OFS : ORS) }"],
            "1 2 3\na b\n"
        ),
        "3 2 1\nb a\n"
    );
    assert_eq!(
        awk(
            &["{ a[NR] = $0 } END { for (i = NR; i >= 1; i--) print a[i] }"],
            "x\ny\nz"
        ),
        "z\ny\nx\n"
    );
    assert_eq!(awk(&["{ $2 = \"\"; print }"], "a b c\n"), "a  c\n");
}

#[test]
fn uniq_and_word_frequency() {
    assert_eq!(awk(&["!seen[$0]++"], "a\nb\na\nc\nb\n"), "a\nb\nc\n");
    assert_eq!(
        awk(&["a != $0 { print; a = $0 }"], "a\na\nb\na\n"),
        "a\nb\na\n"
    );
    assert_eq!(
        awk(
            &["{ for (i = 1; i <= NF; i++) n[$i]++ } END { for (w in n) print w, n[w] }"],
            "the cat the dog\nthe end\n"
        ),
        "the 3\ncat 1\ndog 1\nend 1\n"
    );
}

#[test]
fn printf_formatting() {
    assert_eq!(
        awk(
            &["BEGIN { printf \"%5.2f|%-5s|%d|%c|%c\\n\", 3.14159, \"ab\", \"42x\", 65, \"hi\" }"],
            ""
        ),
        " 3.14|ab   |42|A|h\n"
    );
    assert_eq!(
        awk(&["BEGIN { printf \"%x %X %o %e %g %G %i %u\\n\", 255, 255, 8, 1234.5, 0.0001, 1e-5, -7.9, 3 }"], ""),
        "ff FF 10 1.234500e+03 0.0001 1E-05 -7 3\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { printf \"%*d|%-*d|%.3s|%%\\n\", 5, 42, 4, 7, \"abcdef\" }"],
            ""
        ),
        "   42|7   |abc|%\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { printf \"%+d % d %05d %.3d\\n\", 3, 4, -5, 6 }"],
            ""
        ),
        "+3  4 -0005 006\n"
    );
    assert_eq!(
        awk(&["BEGIN { printf \"%s %s|\\n\", \"only\" }"], ""),
        "only |\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { x = sprintf(\"%3d:%s\", 7, \"z\"); print x }"],
            ""
        ),
        "  7:z\n"
    );
    assert_eq!(
        awk(&["BEGIN { printf(\"%s-%s\\n\", \"a\", \"b\") }"], ""),
        "a-b\n"
    );
}

#[test]
fn number_output() {
    assert_eq!(
        awk(
            &["BEGIN { print 1e6, 0.1 + 0.2, 100000 * 100000, 2^53, 1/3, -0, 17/1 }"],
            ""
        ),
        "1000000 0.3 10000000000 9007199254740992 0.333333 0 17\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { OFMT = \"%.2f\"; x = 3.14159; print x, x \"\" }"],
            ""
        ),
        "3.14 3.14159\n"
    );
    assert_eq!(awk(&["BEGIN { CONVFMT = \"%.2g\"; x = 3.14159; print (x \"\"); a[x] = 1; for (k in a) print k }"], ""), "3.1\n3.1\n");
    assert_eq!(
        awk(
            &["BEGIN { x = 12; a[x] = 1; a[12.0]++; print a[\"12\"] }"],
            ""
        ),
        "2\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { print 2^3^2, -2^2, 7 % -3, -7 % 3, 1 - - 1 }"],
            ""
        ),
        "512 -4 1 -1 2\n"
    );
}

#[test]
fn getline_forms() {
    let d = scratch("getline");
    std::fs::write(d.join("f"), "l1\nl2\nl3\n").unwrap();
    assert_eq!(
        awk_in(
            Some(&d),
            &["BEGIN { while ((getline line < \"f\") > 0) n++; print n, line, NR }"],
            ""
        ),
        "3 l3 0\n"
    );
    assert_eq!(
        awk_in(
            Some(&d),
            &["BEGIN { getline < \"f\"; print $0, NF; close(\"f\"); getline x < \"f\"; print x }"],
            ""
        ),
        "l1 1\nl1\n"
    );
    assert_eq!(
        awk(&["BEGIN { print (getline x < \"/nonexistent/f\") }"], ""),
        "-1\n"
    );
    assert_eq!(
        awk(&["NR == 1 { getline; print \"now\", $0, NR }"], "a\nb\nc\n"),
        "now b 2\n"
    );
    assert_eq!(
        awk(&["NR == 1 { getline v; print v, $0, NR }"], "a\nb\n"),
        "b a 2\n"
    );
    assert_eq!(
        awk(&["BEGIN { getline; print \"got\", $0, NR }"], "first\n"),
        "got first 1\n"
    );
    assert_eq!(
        awk(&["BEGIN { \"echo hi there\" | getline; print $2, NF, NR; \"echo x\" | getline v; print v }"], ""),
        "there 2 1\nx\n"
    );
    assert_eq!(
        awk(&["BEGIN { while ((\"printf \\\"1\\\\n2\\\\n\\\"\" | getline y) > 0) s += y; print s }"], ""),
        "3\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { c = \"echo a; exit 3\"; c | getline; print $0, close(c) }"],
            ""
        ),
        "a 3\n"
    );
}

#[test]
fn output_redirection_and_commands() {
    let d = scratch("redir");
    assert_eq!(
        awk_in(
            Some(&d),
            &["BEGIN { print \"x\" > \"o\"; print \"y\" > \"o\"; close(\"o\"); print \"z\" >> \"o\"; close(\"o\"); while ((getline l < \"o\") > 0) print \"r\", l }"],
            ""
        ),
        "r x\nr y\nr z\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { print \"b\\na\" | \"sort\"; close(\"sort\"); print \"done\" }"],
            ""
        ),
        "a\nb\ndone\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { printf \"a\"; system(\"echo b\"); print \"c\" }"],
            ""
        ),
        "ab\nc\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { print system(\"exit 3\"), system(\"true\") }"],
            ""
        ),
        "3 0\n"
    );
    assert_eq!(
        awk(&["BEGIN { print (1, 2) > \"/dev/stdout\"; fflush() }"], ""),
        "1 2\n"
    );
    let o = run(None, &["BEGIN { print \"err\" > \"/dev/stderr\" }"], b"");
    assert_eq!(stderr(&o), "err\n");
}

#[test]
fn multiple_files_fnr_nr_and_assignments() {
    let d = scratch("files");
    std::fs::write(d.join("f1"), "a\nb\n").unwrap();
    std::fs::write(d.join("f2"), "c\n").unwrap();
    assert_eq!(
        awk_in(
            Some(&d),
            &["{ print FILENAME, FNR, NR, $0 }", "f1", "f2"],
            ""
        ),
        "f1 1 1 a\nf1 2 2 b\nf2 1 3 c\n"
    );
    assert_eq!(
        awk_in(
            Some(&d),
            &["FNR == 1 && NR != 1 { print \"second\" }", "f1", "f2"],
            ""
        ),
        "second\n"
    );
    assert_eq!(
        awk_in(Some(&d), &["{ print v, $0 }", "v=1", "f1", "v=2", "f2"], ""),
        "1 a\n1 b\n2 c\n"
    );
    assert_eq!(
        awk_in(Some(&d), &["-v", "x=a\\tb", "BEGIN { print x }"], ""),
        "a\tb\n"
    );
    assert_eq!(
        awk_in(Some(&d), &["{ print }", "-", "f2"], "in\n"),
        "in\nc\n"
    );
    assert_eq!(
        awk_in(
            Some(&d),
            &["FNR == 2 { nextfile } { print }", "f1", "f2"],
            ""
        ),
        "a\nc\n"
    );
    assert_eq!(
        awk(&["BEGIN { print ARGC, ARGV[0], ARGV[2] }", "x", "y"], ""),
        "3 awk y\n"
    );
    assert_eq!(
        awk_in(
            Some(&d),
            &["BEGIN { ARGV[1] = \"f2\" } { print }", "nosuch"],
            ""
        ),
        "c\n"
    );
    assert_eq!(awk(&["END { print $0, NF }"], "a b\nc d e\n"), "c d e 3\n");
}

#[test]
fn record_separators() {
    assert_eq!(
        awk(
            &["BEGIN { RS = \"\" } { print NR \": \" $1 \"|\" $NF \"|\" NF }"],
            "\n\none two\nthree\n\n\n\nfour\n\n"
        ),
        "1: one|three|3\n2: four|four|1\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { RS = \"\"; FS = \":\" } { print NF }"],
            "a:b\nc\n"
        ),
        "3\n"
    );
    assert_eq!(
        awk(&["BEGIN { RS = \";\" } { print NR, $0 }"], "a;b;c"),
        "1 a\n2 b\n3 c\n"
    );
    assert_eq!(awk(&["{ print NR }"], "no newline"), "1\n");
    assert_eq!(awk(&["END { print NR }"], ""), "0\n");
    assert_eq!(
        awk(
            &["BEGIN { ORS = \"|\"; OFS = \"-\" } { print $1, $2 }"],
            "a b\nc d\n"
        ),
        "a-b|c-d|"
    );
}

#[test]
fn field_separators_and_assignment() {
    assert_eq!(awk(&["-F:", "{ print $2, NF }"], "a:b:c\n"), "b 3\n");
    assert_eq!(awk(&["-F", "[:b]+", "{ print $2 }"], "a:b:c\n"), "c\n");
    assert_eq!(awk(&["-F", "\\t", "{ print $2 }"], "a b\tc\n"), "c\n");
    assert_eq!(awk(&["-F|", "{ print $2 }"], "a|b\n"), "b\n");
    assert_eq!(
        awk(&["BEGIN { FS = \",\" } { print $2 }"], "a,b,c\n"),
        "b\n"
    );
    assert_eq!(
        awk(&["{ print NF, \"[\" $1 \"]\" }"], "  lead  trail  \n"),
        "2 [lead]\n"
    );
    assert_eq!(awk(&["{ $1 = $1; print }"], "  a   b  \n"), "a b\n");
    assert_eq!(
        awk(
            &["BEGIN { OFS = \"-\" } { $3 = \"x\"; print; print NF }"],
            "a\n"
        ),
        "a--x\n3\n"
    );
    assert_eq!(
        awk(&["{ NF = 2; print; NF = 4; print }"], "a b c\n"),
        "a b\na b  \n"
    );
    assert_eq!(awk(&["{ $0 = \"x y z\"; print NF, $3 }"], "a\n"), "3 z\n");
    assert_eq!(awk(&["{ $2++; print }"], "a 1 b\n"), "a 2 b\n");
    assert_eq!(
        awk(&["BEGIN { FS = \"\" } { print NF, $2 }"], "abc\n"),
        "3 b\n"
    );
    assert_eq!(
        awk(&["{ FS = \":\"; print $1 }"], "a:b c\nd:e f\n"),
        "a:b\nd\n"
    );
    assert_eq!(awk(&["{ print NF }"], "\n"), "0\n");
}

#[test]
fn regex_dynamic_strings() {
    assert_eq!(
        awk(&["$1 ~ \"^[ab]$\" { print $2 }"], "a 1\nc 2\nb 3\n"),
        "1\n3\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { r = \"^[0-9]+$\"; print (\"123\" ~ r), (\"12a\" ~ r), (\"x\" !~ r) }"],
            ""
        ),
        "1 0 1\n"
    );
    assert_eq!(awk(&["/a\\/b/ { print \"slash\" }"], "a/b\n"), "slash\n");
    assert_eq!(
        awk(
            &["BEGIN { print (\"a.c\" ~ \"a\\\\.c\"), (\"abc\" ~ \"a\\\\.c\") }"],
            ""
        ),
        "1 0\n"
    );
    assert_eq!(awk(&["/x{2}/"], "x\nxx\n"), "xx\n");
    assert_eq!(
        awk(
            &["BEGIN { print match(\"foobar\", /o+b/), RSTART, RLENGTH }"],
            ""
        ),
        "2 2 3\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { print match(\"abc\", \"z\"), RSTART, RLENGTH }"],
            ""
        ),
        "0 0 -1\n"
    );
}

#[test]
fn split_sub_gsub_edge_cases() {
    assert_eq!(
        awk(&["BEGIN { n = split(\"  a  b  \", x); print n, x[1], x[2]; n = split(\"a1b22c\", x, /[0-9]+/); print n, x[3] }"], ""),
        "2 a b\n3 c\n"
    );
    assert_eq!(awk(&["BEGIN { n = split(\"\", x); print n, length(x); n = split(\"a.b\", x, \".\"); print n, x[2] }"], ""), "0 0\n2 b\n");
    assert_eq!(awk(&["BEGIN { n = split(\"abc\", x, \"\"); print n, x[3]; n = split(\"a|b\", x, \"|\"); print n }"], ""), "3 c\n2\n");
    assert_eq!(
        awk(&["BEGIN { split(\"10 9\", x); print (x[1] > x[2]) }"], ""),
        "1\n"
    );
    assert_eq!(
        awk(&["BEGIN { s = \"hello\"; print gsub(/l/, \"[&]\", s), s; t = \"aaa\"; print gsub(/x*/, \"-\", t), t }"], ""),
        "2 he[l][l]o\n4 -a-a-a-\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { s = \"abc\"; gsub(/b*/, \"-\", s); print s }"],
            ""
        ),
        "-a-c-\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { s = \"a&b\"; gsub(/&/, \"\\\\&\\\\&\", s); print s }"],
            ""
        ),
        "a&&b\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { s = \"a.b\"; gsub(/\\./, \"\\\\\\\\&\", s); print s }"],
            ""
        ),
        "a\\.b\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { s = \"hello\"; sub(/^/, \">\", s); sub(/$/, \"<\", s); print s }"],
            ""
        ),
        ">hello<\n"
    );
    assert_eq!(
        awk(
            &["{ n = gsub(/[a-z]/, \"<&>\"); print n, $0, $1 }"],
            "ab 1\n"
        ),
        "2 <a><b> 1 <a><b>\n"
    );
    assert_eq!(
        awk(&["{ sub(/[0-9]+/, \"N\", $2); print }"], "x a12b 3\n"),
        "x aNb 3\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { a[1] = \"xx\"; gsub(\"x\", \"y\", a[1]); print a[1] }"],
            ""
        ),
        "yy\n"
    );
    assert_eq!(
        awk(&["BEGIN { print substr(\"hello\", 2, 3), substr(\"hello\", 0, 2), substr(\"hello\", -1), substr(\"hello\", 10) \"|\" }"], ""),
        "ell h hello |\n"
    );
    assert_eq!(awk(&["BEGIN { print index(\"hello\", \"ll\"), index(\"a\", \"\"), length(\"abc\"), length(12345) }"], ""), "3 0 3 5\n");
    assert_eq!(
        awk(
            &["BEGIN { print toupper(\"abC1\"), tolower(\"XyZ\"), int(-3.7), int(\"4x\") }"],
            ""
        ),
        "ABC1 xyz -3 4\n"
    );
    assert_eq!(
        awk(&["{ print length, length() }"], "hello world\n"),
        "11 11\n"
    );
}

#[test]
fn uninitialised_and_comparisons() {
    assert_eq!(awk(&["BEGIN { if (u == 0 && u == \"\") print \"both\"; print length(u), u + 0, \"[\" u \"]\" }"], ""), "both\n0 0 []\n");
    assert_eq!(
        awk(
            &["BEGIN { print (\"10\" < \"9\"), (10 < 9), (\"a\" < \"b\"), (2 < 10) }"],
            ""
        ),
        "1 0 1 1\n"
    );
    assert_eq!(
        awk(
            &["{ print ($1 > $2), ($1 \"\" > $2 \"\"), ($1 == 10) }"],
            "10 9\n"
        ),
        "1 0 1\n"
    );
    assert_eq!(
        awk(&["{ print ($1 == 100), ($1 == \"+1e2\") }"], " +1e2 \n"),
        "1 1\n"
    );
    assert_eq!(awk(&["{ print ($1 < $2) }"], "abc abd\n"), "1\n");
    assert_eq!(
        awk(&["BEGIN { x = \"3.0\"; y = 3; print (x == y) }"], ""),
        "0\n"
    );
    assert_eq!(
        awk(&["{ print !$1, ($1 ? \"t\" : \"f\") }"], "0\n0.0\nx\n"),
        "1 f\n1 f\n0 t\n"
    );
    assert_eq!(
        awk(&["BEGIN { print !\"\", !\"a\", !\"0\", -\"3\" }"], ""),
        "1 0 0 -3\n"
    );
    assert_eq!(awk(&["BEGIN { x[1]; if (1 in x) print \"in\"; if (!(2 in x)) print \"out\"; print length(x) }"], ""), "in\nout\n1\n");
    assert_eq!(awk(&["BEGIN { a[1, 2] = 3; if ((1, 2) in a) print \"yes\"; for (k in a) { split(k, p, SUBSEP); print p[1], p[2] } }"], ""), "yes\n1 2\n");
}

#[test]
fn statements_and_functions() {
    assert_eq!(
        awk(&["BEGIN { do i++; while (i < 5); print i; for (;;) if (++j > 3) break; print j; while (k < 6) { k++; if (k % 2) continue; s = s k }; print s }"], ""),
        "5\n4\n246\n"
    );
    assert_eq!(
        awk(
            &["function f(n) { return n <= 1 ? 1 : n * f(n - 1) } BEGIN { print f(10) }"],
            ""
        ),
        "3628800\n"
    );
    assert_eq!(
        awk(
            &["function g(a) { a[\"k\"] = 5 } BEGIN { g(arr); print arr[\"k\"] }"],
            ""
        ),
        "5\n"
    );
    assert_eq!(awk(&["function h(n,   loc) { loc = n * 2; return loc } BEGIN { print h(3), \"[\" loc \"]\" }"], ""), "6 []\n");
    assert_eq!(awk(&["function fill(a, n) { split(\"x y\", a); return n } function w(b) { return fill(b, 1) } BEGIN { w(q); print q[2] }"], ""), "y\n");
    assert_eq!(awk(&["BEGIN { x[\"a\"]; delete x[\"a\"]; print length(x); x[1]; x[2]; delete x; print length(x) }"], ""), "0\n0\n");
    assert_eq!(
        awk(
            &["{ print; next; print \"no\" } END { print NR }"],
            "a\nb\n"
        ),
        "a\nb\n2\n"
    );
    assert_eq!(
        awk(
            &["BEGIN { a = 1; a += a++ + ++a; print a; $0 = \"3 4\"; $1++; print }"],
            ""
        ),
        "7\n4 4\n"
    );
    assert_eq!(
        awk(&["\n# comment\nfunction add(a, b) {\n  return a + b  # trailing\n}\nBEGIN {\n  if (1)\n    print add(2, \\\n 3)\n  else\n    print \"no\"\n}\n"], ""),
        "5\n"
    );
    assert_eq!(
        awk(&["BEGIN { for (i = 1;\n i <= 2;\n i++)\n print i }"], ""),
        "1\n2\n"
    );
}

#[test]
fn exit_statuses() {
    let o = run(None, &["BEGIN { exit 3 } END { print \"end\" }"], b"");
    assert_eq!(
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned()
        ),
        (Some(3), "end\n".into())
    );
    let o = run(None, &["{ exit } END { print \"end\", NR }"], b"a\nb\n");
    assert_eq!(
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned()
        ),
        (Some(0), "end 1\n".into())
    );
    let o = run(None, &["END { exit 4 }"], b"");
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn program_files() {
    let d = scratch("progfile");
    std::fs::write(d.join("a.awk"), "function f(x) { return x * 2 }\n").unwrap();
    std::fs::write(d.join("b.awk"), "{ print f($1) }\n").unwrap();
    assert_eq!(
        awk_in(Some(&d), &["-f", "a.awk", "-f", "b.awk"], "4\n"),
        "8\n"
    );
    assert_eq!(
        awk_in(Some(&d), &["-f", "a.awk", "-f", "b.awk", "--", "-"], "1\n"),
        "2\n"
    );
    std::fs::write(d.join("bad.awk"), "BEGIN {\n  x = \n}\n").unwrap();
    let o = run(Some(&d), &["-f", "bad.awk"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "awk: bad.awk:3: syntax error near '}'\n");
}

#[test]
fn error_paths() {
    awk_fails(
        &["BEGIN { x"],
        2,
        "awk: cmd. line:1: syntax error near 'end of file'",
    );
    awk_fails(
        &["BEGIN {\n print 1 +\n}"],
        2,
        "awk: cmd. line:2: syntax error near 'newline'",
    );
    awk_fails(
        &["BEGIN { print \"abc }"],
        2,
        "awk: cmd. line:1: unterminated string",
    );
    awk_fails(
        &["BEGIN { f(1) }"],
        2,
        "awk: cmd. line:1: calling undefined function f",
    );
    awk_fails(
        &["BEGIN { print 1 / 0 }"],
        2,
        "awk: cmd. line:1: division by zero",
    );
    awk_fails(
        &["BEGIN { x[1] = 1; x = 2 }"],
        2,
        "awk: cmd. line:1: can't assign to x; it's an array name.",
    );
    awk_fails(
        &["BEGIN { \"a\" ~ \"(\" }"],
        2,
        "awk: cmd. line:1: bad regex '(': Unmatched ( or \\(",
    );
    awk_fails(
        &["function f(n) { return f(n + 1) } BEGIN { f(1) }"],
        2,
        "awk: cmd. line:1: function 'f': call nesting too deep",
    );
    awk_fails(
        &["-f", "/nonexistent/prog.awk"],
        2,
        "awk: can't open '/nonexistent/prog.awk': No such file or directory",
    );
    awk_fails(&[], 1, "awk: no program given");
    awk_fails(&["-q", "1"], 1, "awk: invalid option -- 'q'");
    let o = run(None, &["{ print }", "/nonexistent/file", "-"], b"still\n");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "still\n");
    assert_eq!(
        stderr(&o),
        "awk: can't open '/nonexistent/file': No such file or directory\n"
    );
    let deep = format!(
        "BEGIN {{ x = {}1{} }}",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    awk_fails(&[&deep], 2, "awk: cmd. line:1: program too deeply nested");
}

#[test]
fn binary_and_long_lines() {
    let o = run(None, &["{ print length($0), NF }"], b"a\xff\x00b c\n");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "6 2\n");
    let long = "x".repeat(300_000) + " y\n";
    assert_eq!(awk(&["{ print length($1), $2 }"], &long), "300000 y\n");
}

#[test]
fn operands_environment_and_odd_inputs() {
    let d = scratch("odd");
    std::fs::write(d.join("f"), "x\n").unwrap();
    std::fs::create_dir(d.join("dir")).unwrap();
    let o = run(Some(&d), &["{ print }", "dir", "f"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "x\n");
    assert_eq!(stderr(&o), "awk: read error on 'dir': Is a directory\n");
    assert_eq!(
        awk_in(Some(&d), &["END { print v, NR }", "f", "v=7"], ""),
        "7 1\n"
    );
    assert_eq!(
        awk(&["--", "BEGIN { print \"dashdash\" }"], ""),
        "dashdash\n"
    );
    assert_eq!(
        awk(&["BEGIN { RS = \"[,;]\" } { print NR \": \" $0 }"], "a,b;c"),
        "1: a\n2: b\n3: c\n"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["awk", "BEGIN { print ENVIRON[\"IBOX_AWK_T\"] }"])
        .env("IBOX_AWK_T", "from env")
        .output()
        .expect("run ibox");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "from env\n");
    assert_eq!(awk(&["BEGIN { c = \"cat >/dev/null; exit 5\"; print \"\" | c; print close(c), close(\"never\") }"], ""), "5 -1\n");
    assert_eq!(awk(&["{ print $2 }", "FS=:", "-"], "a:b\n"), "b\n");
    assert_eq!(
        awk(
            &["BEGIN { printf \"%d %s\\n\", \"0x1A\", 1e300 * 1e300 }"],
            ""
        ),
        "0 inf\n"
    );
}

#[test]
fn paragraph_mode_with_a_regex_fs() {
    assert_eq!(
        awk(
            &["BEGIN { FS = \"::\"; RS = \"\" } { print NF \": \" $1 \"|\" $3; print split(\"x::y\\nz\", q, \"::\") }"],
            "a::b\nc\n\nd"
        ),
        "3: a|c\n2\n1: d|\n2\n"
    );
}

#[test]
fn hostile_formats_are_bounded() {
    let out = awk(
        &["BEGIN { s = sprintf(\"%.1000000d|%.1000000f|%1000000s|%.*e\", 5, 1/3, \"x\", 99999999, 2); print (length(s) > 100000) }"],
        "",
    );
    assert_eq!(out, "1\n");
    assert_eq!(
        awk(&["BEGIN { CONVFMT = \"%s\"; x = 0.5; print (x \"\") }"], ""),
        "0.5\n"
    );
}
