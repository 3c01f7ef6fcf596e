//! Runs the real `ibox sh` on scripts and checks what they print and how
//! they exit. External commands are host tools (`/bin/cat`) or `ibox`
//! itself, reached through `$IBOX`.

use std::process::{Command, Output, Stdio};

mod common;
use common::{output_of, scratch, stderr, stdout, Scratch, IBOX};

fn base() -> Command {
    let mut c = Command::new(IBOX);
    c.arg("sh")
        .env("IBOX", IBOX)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env_remove("IFS")
        .env_remove("ENV");
    c
}

/// `ibox sh -c SCRIPT ARGS...` in `dir`.
fn run_in(dir: Option<&Scratch>, script: &str, args: &[&str]) -> Output {
    let mut c = base();
    c.arg("-c").arg(script).args(args).stdin(Stdio::null());
    if let Some(d) = dir {
        c.current_dir(d);
    }
    c.output().expect("run ibox sh")
}

fn run(script: &str) -> Output {
    run_in(None, script, &[])
}

/// Feeds `input` to `ibox sh ARGS` on standard input.
fn run_stdin(input: &str, args: &[&str]) -> Output {
    output_of(base().args(args), input.as_bytes())
}

/// Asserts the output and status of `sh -c script`.
#[track_caller]
fn check(script: &str, out: &str, status: i32) {
    let o = run(script);
    assert_eq!(
        stdout(&o),
        out,
        "stdout of {script:?}; stderr: {}",
        stderr(&o)
    );
    assert_eq!(
        o.status.code(),
        Some(status),
        "status of {script:?}; stderr: {}",
        stderr(&o)
    );
}

// --- Simple commands, lists, pipelines ------------------------------------

#[test]
fn simple_commands_and_lists() {
    check("echo a b; echo c", "a b\nc\n", 0);
    check("echo a\necho b\n\n", "a\nb\n", 0);
    check("/bin/echo external", "external\n", 0);
    check("$IBOX echo via ibox", "via ibox\n", 0);
    check("", "", 0);
    check("# only a comment", "", 0);
    check("echo a # comment\necho b#c", "a\nb#c\n", 0);
}

#[test]
fn and_or_lists() {
    check("true && echo yes", "yes\n", 0);
    check("false && echo yes", "", 1);
    check("false || echo no", "no\n", 0);
    check("true || echo no", "", 0);
    check("false && echo a || echo b", "b\n", 0);
    check("true &&\necho continued", "continued\n", 0);
}

#[test]
fn pipelines() {
    check("echo piped | /bin/cat", "piped\n", 0);
    check("echo 3 | /bin/cat | /bin/cat | /bin/cat", "3\n", 0);
    check("false | true; echo $?", "0\n", 0);
    check("true | false; echo $?", "1\n", 0);
    check("! true; echo $?", "1\n", 0);
    check("! false | false; echo $?", "0\n", 0);
    check("echo a |\n/bin/cat", "a\n", 0);
    // Builtins in pipelines run in children; the shell's state is unchanged.
    check("X=1; X=2 | true; echo $X", "1\n", 0);
    check("echo hi | $IBOX sh -c 'read l; echo $l'", "hi\n", 0);
}

#[test]
fn assignments() {
    check("FOO=bar; echo $FOO", "bar\n", 0);
    check("FOO=bar sh -c 'echo $FOO'; echo \"[$FOO]\"", "bar\n[]\n", 0);
    check("A=1 B=2; echo $A$B", "12\n", 0);
    check("A='x y'; B=$A; echo \"$B\"", "x y\n", 0);
    check("A=$(echo sub); echo $A", "sub\n", 0);
    check("A=$(false); echo $?", "1\n", 0);
}

#[test]
fn background_and_wait() {
    check("sleep 0.1 & wait $!; echo $?", "0\n", 0);
    check("sh -c 'exit 7' & wait $!; echo $?", "7\n", 0);
    check(
        "echo bg > /dev/null & P=$!; [ -n \"$P\" ] && echo has-pid; wait",
        "has-pid\n",
        0,
    );
    check(
        "(sleep 0.1; echo late) & echo early; wait",
        "early\nlate\n",
        0,
    );
}

// --- Redirections ----------------------------------------------------------

#[test]
fn output_and_input_redirections() {
    let d = scratch("redir");
    let o = run_in(
        Some(&d),
        "echo one > f; echo two >> f; /bin/cat < f; echo three >| f; /bin/cat f",
        &[],
    );
    assert_eq!(stdout(&o), "one\ntwo\nthree\n");
    let o = run_in(
        Some(&d),
        "echo rw <> g; /bin/cat g; > empty; /bin/cat empty",
        &[],
    );
    // `<>` opened fd 0; the output still goes to standard output.
    assert_eq!(stdout(&o), "rw\n");
    assert!(d.join("empty").exists());
    let o = run_in(Some(&d), "echo x 1<>h; /bin/cat h", &[]);
    assert_eq!(stdout(&o), "x\n");
}

#[test]
fn descriptor_duplication() {
    check("echo err 1>&2", "", 0);
    let o = run("echo to-err >&2");
    assert_eq!(stderr(&o), "to-err\n");
    check("sh -c 'echo e >&2' 2>&1", "e\n", 0);
    check("(echo out; echo err >&2) 2>&1 | /bin/cat", "out\nerr\n", 0);
    check("echo closed >&-; echo $?", "0\n", 0);
    let o = run("echo x 3>&-; echo y >&7");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("7: Bad file descriptor"),
        "{}",
        stderr(&o)
    );
    check("exec 3>&1; echo via3 >&3", "via3\n", 0);
    check("/bin/cat 0<&- 2>/dev/null; echo done", "done\n", 0);
}

#[test]
fn builtin_redirections_are_undone() {
    let d = scratch("builtin-redir");
    let o = run_in(
        Some(&d),
        "pwd > p; echo after; read line < p; echo \"[$line]\" > q; /bin/cat q",
        &[],
    );
    assert_eq!(stdout(&o), format!("after\n[{}]\n", d.display()));
    let o = run_in(
        Some(&d),
        "exec > out; echo hidden; exec >&2; echo shown",
        &[],
    );
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "shown\n");
    assert_eq!(std::fs::read_to_string(d.join("out")).unwrap(), "hidden\n");
    let o = run_in(Some(&d), "{ echo a; echo b; } > grp; /bin/cat grp", &[]);
    assert_eq!(stdout(&o), "a\nb\n");
}

#[test]
fn bad_redirection_file() {
    let o = run("/bin/cat < /nonexistent/file; echo status $?");
    assert_eq!(stdout(&o), "status 1\n");
    assert!(
        stderr(&o).contains("can't open /nonexistent/file: No such file or directory"),
        "{}",
        stderr(&o)
    );
    let o = run("echo x > /nonexistent/dir/f; echo status $?");
    assert_eq!(stdout(&o), "status 1\n");
    assert!(
        stderr(&o).contains("can't create /nonexistent/dir/f"),
        "{}",
        stderr(&o)
    );
    // A failed redirection of a builtin does not run it.
    check("cd / > /nonexistent/x; pwd >/dev/null; echo $?", "0\n", 0);
}

// --- Quoting -----------------------------------------------------------------

#[test]
fn quoting() {
    check("echo 'single $HOME \\n'", "single $HOME \\n\n", 0);
    check("X=val; echo \"double $X ${X}\"", "double val val\n", 0);
    check("echo \"a\\$b \\\\ \\\" \\x\"", "a$b \\ \" \\x\n", 0);
    check("echo a\\ b\\$c", "a b$c\n", 0);
    check("echo 'it'\\''s'", "it's\n", 0);
    check("echo ''\"\" | /bin/cat", "\n", 0);
    check("printf '[%s]' '' \"\" x; echo", "[][][x]\n", 0);
    check("ec\\\nho cont\\\ninued", "continued\n", 0);
    check("echo \"multi\nline\"", "multi\nline\n", 0);
    check("echo \"$(echo 'a  b')\"", "a  b\n", 0);
}

// --- Expansion ---------------------------------------------------------------

#[test]
fn parameter_expansion() {
    check("X=abc; echo $X ${X} ${#X} ${X}def", "abc abc 3 abcdef\n", 0);
    check(
        "unset X; echo ${X:-d1} ${X-d2}; X=; echo [${X:-d3}] [${X-d4}]",
        "d1 d2\n[d3] []\n",
        0,
    );
    check("unset X; echo ${X:=set}; echo $X", "set\nset\n", 0);
    check("X=; echo [${X=no}] [${X:=yes}] $X", "[] [yes] yes\n", 0);
    check(
        "X=v; echo [${X:+alt}] [${Y:+alt}]; Y=; echo [${Y+set}] [${Y:+x}]",
        "[alt] []\n[set] []\n",
        0,
    );
    check(
        "unset X; echo \"${X:-a   b}\"; printf '<%s>' ${X:-a   b}; echo",
        "a   b\n<a><b>\n",
        0,
    );
    let o = run("unset X; echo ${X:?custom message}; echo not reached");
    assert_eq!(stdout(&o), "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("X: custom message"), "{}", stderr(&o));
    check("echo $UNSET_VARIABLE_XYZ.", ".\n", 0);
    check("echo $ \"$\" a$", "$ $ a$\n", 0);
}

#[test]
fn special_parameters() {
    let o = run_in(None, "echo $0 $# $1 $2 $3", &["zero", "one", "two"]);
    assert_eq!(stdout(&o), "zero 2 one two\n");
    let o = run_in(
        None,
        "printf '<%s>' \"$@\"; echo; printf '<%s>' \"$*\"; echo; printf '<%s>' $*; echo",
        &["sh0", "a b", "c"],
    );
    assert_eq!(stdout(&o), "<a b><c>\n<a b c>\n<a><b><c>\n");
    // With no positional parameters "$@" is no field at all, "$*" one empty field.
    let o = run_in(
        None,
        "sh -c 'echo $#' x \"$@\"; sh -c 'echo $#' x \"$*\"",
        &["zero"],
    );
    assert_eq!(stdout(&o), "0\n1\n");
    let o = run_in(None, "printf '<%s>' \"x$@y\"; echo", &["0", "a", "b"]);
    assert_eq!(stdout(&o), "<xa><by>\n");
    check("false; echo $?; true; echo $?", "1\n0\n", 0);
    let o = run("echo $$; sh -c 'echo $PPID'");
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], lines[1], "$$ is the shell's pid");
    assert!(lines[0].parse::<u32>().is_ok_and(|p| p > 1), "{}", lines[0]);
    check("(echo $$) | /bin/cat >/dev/null; echo ok", "ok\n", 0);
    check(
        "set -- a b c; echo $# $2; shift; echo $1; shift 2; echo $#",
        "3 b\nb\n0\n",
        0,
    );
    check("set a b; echo $*", "a b\n", 0);
}

#[test]
fn field_splitting() {
    check("A='a  b\tc'; printf '<%s>' $A; echo", "<a><b><c>\n", 0);
    check(
        "A='  lead trail  '; printf '<%s>' $A; echo",
        "<lead><trail>\n",
        0,
    );
    check("IFS=:; A='a::b:'; printf '<%s>' $A; echo", "<a><><b>\n", 0);
    check("IFS=; A='a b'; printf '<%s>' $A; echo", "<a b>\n", 0);
    check("A=''; printf '<%s>' $A x; echo", "<x>\n", 0);
    check("A='1 2'; printf '<%s>' pre$A\"q\"; echo", "<pre1><2q>\n", 0);
    check("printf '<%s>' $(echo a; echo b); echo", "<a><b>\n", 0);
}

#[test]
fn tilde_expansion() {
    let o = base()
        .env("HOME", "/home/test")
        .args(["-c", "echo ~ ~/x a~ '~' \"~\""])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "/home/test /home/test/x a~ ~ ~\n");
    check("echo ~root", "/root\n", 0);
}

#[test]
fn command_substitution() {
    check("echo $(echo a; echo b)", "a b\n", 0);
    check("echo \"$(echo a; echo b)\"", "a\nb\n", 0);
    check("echo \"[$(printf 'x\\n\\n\\n')]\"", "[x]\n", 0);
    check("echo $(echo $(echo nested))", "nested\n", 0);
    check(
        "echo `echo back` `echo \\`echo inner\\``",
        "back inner\n",
        0,
    );
    check("X=$(exit 3); echo $?", "3\n", 0);
    check("echo $(cd /; pwd); pwd >/dev/null", "/\n", 0);
}

// --- Builtins ------------------------------------------------------------------

#[test]
fn cd_and_pwd() {
    check("cd /; pwd; echo $PWD", "/\n/\n", 0);
    check("cd /tmp; cd /; cd -; echo $OLDPWD", "/tmp\n/\n", 0);
    let o = base()
        .env("HOME", "/")
        .args(["-c", "cd; pwd"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "/\n");
    let o = run("cd /nonexistent-dir; echo $?");
    assert_eq!(stdout(&o), "1\n");
    assert!(
        stderr(&o).contains("cd: can't cd to /nonexistent-dir"),
        "{}",
        stderr(&o)
    );
    check("cd /tmp/../; pwd", "/\n", 0);
    let d = scratch("cd");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    let o = run_in(Some(&d), "cd sub && pwd && cd .. && pwd", &[]);
    assert_eq!(stdout(&o), format!("{0}/sub\n{0}\n", d.display()));
}

#[test]
fn exit_builtin() {
    check("exit 5", "", 5);
    check("false; exit", "", 1);
    check("echo before; exit 0; echo after", "before\n", 0);
    check("exit 256", "", 0);
    check("(exit 4); echo $?", "4\n", 0);
    check("echo x | exit 9; echo $?", "9\n", 0);
    let o = run("exit abc");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Illegal number"));
}

#[test]
fn export_and_unset() {
    check("export A=1; sh -c 'echo $A'", "1\n", 0);
    check(
        "B=2; sh -c 'echo [$B]'; export B; sh -c 'echo [$B]'",
        "[]\n[2]\n",
        0,
    );
    check(
        "export C=\"it's\"; export -p | grep '^export C='",
        "export C='it'\\''s'\n",
        0,
    );
    check(
        "export D=1; unset D; sh -c 'echo [$D]'; echo [$D]",
        "[]\n[]\n",
        0,
    );
    check("X=1 Y=2; unset X Y; echo [$X$Y]", "[]\n", 0);
    let o = run("export 1bad=2; echo $?");
    assert_eq!(stdout(&o), "1\n");
    assert!(stderr(&o).contains("bad variable name"));
    // The inherited environment reaches children.
    let o = base()
        .env("INHERITED", "yes")
        .args(["-c", "sh -c 'echo $INHERITED'"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "yes\n");
}

#[test]
fn misc_builtins() {
    check(":; echo $?", "0\n", 0);
    check("true; false; echo $?", "1\n", 0);
    check("eval 'echo a; echo b'", "a\nb\n", 0);
    check("X='echo evaled'; eval $X", "evaled\n", 0);
    check(
        "printf 'x y z\\n' | { read a b; echo \"$b-$a\"; }",
        "y z-x\n",
        0,
    );
    check(
        "printf 'one\\n' | { read -r l; echo $l; read l; echo $?; }",
        "one\n1\n",
        0,
    );
    check("set -x; echo traced 2>/dev/null", "traced\n", 0);
    let o = run("set -x; echo t");
    assert_eq!(stderr(&o), "+ echo t\n");
    check("set -e; true; false; echo no", "", 1);
    check("set -e; false || true; ! true; echo yes", "yes\n", 0);
    let d = scratch("dot");
    std::fs::write(d.join("lib.sh"), "LIBVAR=loaded\n").unwrap();
    let o = run_in(Some(&d), ". ./lib.sh; echo $LIBVAR", &[]);
    assert_eq!(stdout(&o), "loaded\n");
}

#[test]
fn exec_builtin() {
    check("exec /bin/echo replaced; echo not-reached", "replaced\n", 0);
    check("exec sh -c 'exit 6'", "", 6);
    let o = run("exec /nonexistent-program; echo not-reached");
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(stdout(&o), "");
}

// --- Command lookup and statuses ------------------------------------------------

#[test]
fn command_not_found() {
    let o = run("no-such-command-xyz arg; echo $?");
    assert_eq!(stdout(&o), "127\n");
    assert_eq!(stderr(&o), "sh: no-such-command-xyz: not found\n");
    let o = run("/no/such/path; echo $?");
    assert_eq!(stdout(&o), "127\n");
    assert_eq!(stderr(&o), "sh: /no/such/path: not found\n");
    let o = run("no-such-command-xyz");
    assert_eq!(o.status.code(), Some(127));
}

#[test]
fn not_executable() {
    let d = scratch("noexec");
    std::fs::write(d.join("plain"), "echo hi\n").unwrap();
    let o = run_in(Some(&d), "./plain; echo $?", &[]);
    assert_eq!(stdout(&o), "126\n");
    assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
    let o = run_in(Some(&d), "/tmp; echo $?", &[]);
    assert_eq!(stdout(&o), "126\n");
}

#[test]
fn scripts_without_shebang_run_in_the_shell() {
    use std::os::unix::fs::PermissionsExt;
    let d = scratch("noshebang");
    let f = d.join("script");
    std::fs::write(&f, "echo script $1\nexit 4\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = run_in(Some(&d), "./script arg; echo $?", &[]);
    assert_eq!(stdout(&o), "script arg\n4\n");
}

#[test]
fn path_search() {
    check("PATH=/nonexistent; ls; echo $?", "127\n", 0);
    let d = scratch("path");
    let o = run_in(Some(&d), "ln -s \"$IBOX\" echo2 2>/dev/null; PATH=/nonexistent:.: ; PATH=/bin; cat /dev/null; echo $?", &[]);
    assert_eq!(stdout(&o), "0\n");
}

#[test]
fn signal_death_status() {
    check("sh -c 'kill -9 $$'; echo $?", "137\n", 0);
    check("sh -c 'kill -15 $$'; echo $?", "143\n", 0);
}

// --- Syntax errors -----------------------------------------------------------------

#[test]
fn syntax_errors() {
    for (script, msg) in [
        ("echo 'open", "unterminated quoted string"),
        ("echo \"open", "unterminated quoted string"),
        ("| echo", "unexpected \"|\""),
        ("echo a &&", "unexpected end of file"),
        ("echo a ;; b", "unexpected \";;\""),
        ("echo >", "unexpected end of file"),
        ("echo ${", "missing '}'"),
        ("echo ${x!y}", "bad substitution"),
        ("case a in b) echo;; c", "unexpected end of file"),
        ("case a in b echo;; esac", "unexpected \"echo\""),
        ("f() echo hi", "function body must be a compound command"),
        ("cat <<EOF\nno end", "missing here-document delimiter"),
        ("echo $((1 + 2", "missing '))'"),
        ("( )", "unexpected \")\""),
    ] {
        let o = run(script);
        assert_eq!(o.status.code(), Some(2), "{script}");
        assert_eq!(stderr(&o), format!("sh: syntax error: {msg}\n"), "{script}");
    }
    // Commands before the bad one have already run.
    let o = run("echo first\necho 'open");
    assert_eq!(stdout(&o), "first\n");
    assert_eq!(o.status.code(), Some(2));
}

// --- Invocation and input ----------------------------------------------------------

#[test]
fn script_from_stdin() {
    let o = run_stdin("echo one\nX=two\necho $X\nexit 3\necho never\n", &[]);
    assert_eq!(stdout(&o), "one\ntwo\n");
    assert_eq!(o.status.code(), Some(3));
    let o = run_stdin("false\n", &[]);
    assert_eq!(o.status.code(), Some(1));
    let o = run_stdin("echo no-newline", &[]);
    assert_eq!(stdout(&o), "no-newline\n");
    let o = run_stdin("echo \"multi\nline\" &&\n echo next\n", &[]);
    assert_eq!(stdout(&o), "multi\nline\nnext\n");
    let o = run_stdin("echo $1 $2\n", &["-s", "a", "b"]);
    assert_eq!(stdout(&o), "a b\n");
    // No prompt when not interactive.
    assert_eq!(stderr(&o), "");
}

#[test]
fn stdin_is_shared_with_commands() {
    let o = run_stdin(
        "read x\nhello world\necho got: $x\n/bin/cat\nrest 1\nrest 2\n",
        &[],
    );
    assert_eq!(stdout(&o), "got: hello world\nrest 1\nrest 2\n");
    let o = run_stdin("$IBOX sh -c 'read l; echo \"$l\"'\nnot a command\n", &[]);
    assert_eq!(stdout(&o), "not a command\n");
}

#[test]
fn syntax_error_on_stdin() {
    let o = run_stdin("echo ok\necho )\necho never\n", &[]);
    assert_eq!(stdout(&o), "ok\n");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("sh: syntax error:"),
        "{}",
        stderr(&o)
    );
    let o = run_stdin("echo 'unterminated\n", &[]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn script_file() {
    let d = scratch("file");
    std::fs::write(d.join("s.sh"), "echo $0 $1 $#\nexit 5\n").unwrap();
    let o = base()
        .current_dir(&d)
        .args(["s.sh", "arg"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "s.sh arg 1\n");
    assert_eq!(o.status.code(), Some(5));
    let o = base().args(["/nonexistent/script"]).output().unwrap();
    assert_eq!(o.status.code(), Some(127));
    assert!(
        stderr(&o).contains("can't open '/nonexistent/script'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn dash_c_arguments() {
    let o = run_in(None, "echo $0-$1", &["name", "first"]);
    assert_eq!(stdout(&o), "name-first\n");
    let o = base().arg("-c").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = base()
        .args(["-e", "-c", "false; echo no"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
}

#[test]
fn interactive_mode_on_stdin() {
    // `-i` forces the prompts and survives errors that end a script.
    let o = run_stdin("echo 'a\nb'\necho )\necho still here\nexit 4\n", &["-i"]);
    assert_eq!(stdout(&o), "a\nb\nstill here\n");
    assert_eq!(o.status.code(), Some(4));
    let err = stderr(&o);
    assert!(
        err.starts_with("$ > $ ") || err.starts_with("# > # "),
        "{err}"
    );
    assert!(err.contains("syntax error"), "{err}");
    // EOF exits with the last status.
    let o = run_stdin("false\n", &["-i"]);
    assert_eq!(o.status.code(), Some(1));
    let o = base()
        .env("PS1", "custom> ")
        .arg("-i")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(stderr(&o), "custom> ");
}

#[test]
fn subshells_and_groups() {
    check("X=1; (X=2; echo $X); echo $X", "2\n1\n", 0);
    check("X=1; { X=2; echo $X; }; echo $X", "2\n2\n", 0);
    check(
        "(cd /; pwd); (exit 3) || echo failed $?",
        "/\nfailed 3\n",
        0,
    );
    check("{ echo a; echo b; } | /bin/cat", "a\nb\n", 0);
}

#[test]
fn if_while_until_for() {
    check("if true; then echo t; else echo f; fi", "t\n", 0);
    check(
        "if false; then echo t; elif true; then echo e; else echo f; fi",
        "e\n",
        0,
    );
    check("if false; then echo t; fi; echo $?", "0\n", 0);
    check("if false\nthen\n echo t\nelse\n echo f\nfi", "f\n", 0);
    check(
        "i=0; while [ $i != 3 ]; do i=$(expr $i + 1); echo $i; done",
        "1\n2\n3\n",
        0,
    );
    check("until true; do echo never; done; echo end", "end\n", 0);
    check(
        "for x in a 'b c' d; do echo \"<$x>\"; done",
        "<a>\n<b c>\n<d>\n",
        0,
    );
    let o = run_in(None, "for p; do echo $p; done", &["sh", "1", "2"]);
    assert_eq!(stdout(&o), "1\n2\n");
    check(
        "for i in 1 2 3; do [ $i = 2 ] && continue; [ $i = 3 ] && break; echo $i; done",
        "1\n",
        0,
    );
    check(
        "for i in 1 2; do for j in a b c; do [ $j = b ] && continue 2; echo $i$j; done; done",
        "1a\n2a\n",
        0,
    );
    check(
        "while true; do while true; do break 2; done; done; echo out",
        "out\n",
        0,
    );
    check(
        "for x in a b; do echo $x; done > /dev/null; echo quiet",
        "quiet\n",
        0,
    );
    check(
        "set -e; if false; then :; fi; while false; do :; done; echo ok",
        "ok\n",
        0,
    );
    check("echo if then fi do done", "if then fi do done\n", 0);
    let o = run("fi");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "sh: syntax error: unexpected \"fi\"\n");
    let o = run_stdin("for x in 1 2\ndo\n  echo $x\ndone\n", &[]);
    assert_eq!(stdout(&o), "1\n2\n");
}

// --- case, functions, arithmetic, patterns, here-documents, traps ----------------

#[test]
fn case_command() {
    check("case abc in a*) echo A;; *) echo B;; esac", "A\n", 0);
    check("case xyz in a*) echo A;; *) echo B;; esac", "B\n", 0);
    check("case foo in bar|foo) echo alt;; esac", "alt\n", 0);
    check("case xy in x?) echo q;; esac", "q\n", 0);
    check("case b in [abc]) echo in;; esac", "in\n", 0);
    check("case z in [!a-c]) echo out;; esac", "out\n", 0);
    check("case z in [!a-z]) echo out;; esac; echo $?", "0\n", 0);
    // Quoted parts of patterns are literal, also through variables.
    check("case 'a*' in \"a*\") echo lit;; esac", "lit\n", 0);
    check("case ab in \"a*\") echo lit;; *) echo no;; esac", "no\n", 0);
    check("case ab in a\\*) echo lit;; *) echo no;; esac", "no\n", 0);
    check("p='a*'; case abc in $p) echo var;; esac", "var\n", 0);
    check(
        "p='a*'; case abc in \"$p\") echo var;; *) echo q;; esac",
        "q\n",
        0,
    );
    // The word is expanded but not split or globbed.
    check("x='a b'; case $x in 'a b') echo sp;; esac", "sp\n", 0);
    check("case x in (x) echo paren;; esac", "paren\n", 0);
    check("case x in x) echo last; esac", "last\n", 0);
    check("case x in y) ;; esac; echo $?", "0\n", 0);
    check("case x in x) false;; esac", "", 1);
    check("case x in x) ;; esac", "", 0);
    check(
        "for w in 1 a -; do case $w in\n  [0-9]) echo digit ;;\n  [a-z])\n    echo letter\n    ;;\n  *) echo other\nesac; done",
        "digit\nletter\nother\n",
        0,
    );
    check("case a in a) echo x;; esac > /dev/null; echo q", "q\n", 0);
    check("echo case esac in", "case esac in\n", 0);
}

#[test]
fn functions() {
    check("f() { echo \"f: $# $1 $2\"; }; f a b", "f: 2 a b\n", 0);
    check("f() { return 3; }; f; echo $?", "3\n", 0);
    check("f() { false; return; }; f; echo $?", "1\n", 0);
    check("f() { echo in; return; echo never; }; f", "in\n", 0);
    // Positional parameters come back after the call.
    let o = run_in(None, "f() { echo $1; }; f inner; echo $1", &["sh", "outer"]);
    assert_eq!(stdout(&o), "inner\nouter\n");
    check(
        "g() { local x=inner y; y=set; echo $x $y; }; x=outer; y=old; g; echo $x $y",
        "inner set\nouter old\n",
        0,
    );
    check(
        "g() { local x; echo \"[$x]\"; x=2; }; x=1; g; echo $x",
        "[1]\n1\n",
        0,
    );
    check("g() { local n=1; }; g; echo \"[$n]\"", "[]\n", 0);
    check(
        "f() { case $1 in 0) echo done;; *) f $(($1 - 1));; esac; }; f 50",
        "done\n",
        0,
    );
    check("f() (cd /; pwd); f", "/\n", 0);
    check(
        "f() { echo redirected; } > /dev/null; f; echo after",
        "after\n",
        0,
    );
    check(
        "f() {\n  for i in 1 2 3; do\n    [ $i = 2 ] && return $i\n  done\n}\nf; echo $?",
        "2\n",
        0,
    );
    check("f() { echo a; }; unset -f f; f", "", 127);
    check("f() { echo one; }; f() { echo two; }; f", "two\n", 0);
    check("f() { echo $X; }; X=tmp f; echo \"[$X]\"", "tmp\n[]\n", 0);
    check("f() { exit 4; }; f; echo never", "", 4);
    let o = run("local x=1");
    assert_eq!(o.status.code(), Some(2));
    let o = run("f() { f; }; f");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nested too deeply"), "{}", stderr(&o));
}

#[test]
fn arithmetic_expansion() {
    check("echo $((1 + 2 * 3)) $(( (1 + 2) * 3 ))", "7 9\n", 0);
    check("echo $((7 / 2)) $((-7 % 3)) $((2 ** 10))", "3 -1 1024\n", 0);
    check(
        "echo $((1 << 4 | 1)) $((6 & 3)) $((6 ^ 3)) $((~0))",
        "17 2 5 -1\n",
        0,
    );
    check(
        "echo $((1 < 2)) $((2 <= 1)) $((3 == 3)) $((3 != 3))",
        "1 0 1 0\n",
        0,
    );
    check("echo $((!0)) $((1 && 0)) $((0 || 2))", "1 0 1\n", 0);
    check(
        "x=5; echo $((x > 3 ? 10 : 20)) $(($x * 2)) $((x * 2))",
        "10 10 10\n",
        0,
    );
    check("echo $((x = 5, x += 2)) $x", "7 7\n", 0);
    check("x=3; : $((x *= 4)); echo $x", "12\n", 0);
    check(
        "i=1; echo $((i++)) $i $((++i)) $((i--)) $((--i))",
        "1 2 3 3 1\n",
        0,
    );
    check("echo $((0x1f + 010))", "39\n", 0);
    check("unset u; echo $((u + 1))", "1\n", 0);
    check("echo $(( $(echo 6) * 7 ))", "42\n", 0);
    check("echo \"$((1 + 1))\"", "2\n", 0);
    check(
        "echo $((9223372036854775807 + 1))",
        "-9223372036854775808\n",
        0,
    );
    check("x=0; echo $((x ? 1/x : 0))", "0\n", 0);
    // Division by zero ends a non-interactive shell with status 2.
    let o = run("echo $((1 / 0)); echo not reached");
    assert_eq!(stdout(&o), "");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "sh: 1 / 0: division by zero\n");
    let o = run("echo $((1 +)); echo not reached");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "sh: 1 +: arithmetic syntax error\n");
    // `$( (...) )` is still a command substitution.
    check("echo $( (echo sub) )", "sub\n", 0);
}

#[test]
fn parameter_trimming_and_substitution() {
    check(
        "x=a.b.c; echo ${x%.*} ${x%%.*} ${x#*.} ${x##*.}",
        "a.b a b.c c\n",
        0,
    );
    check(
        "x=/usr/lib/libc.so; echo ${x##*/} ${x%/*}",
        "libc.so /usr/lib\n",
        0,
    );
    check("x=abc; echo ${x%x} ${x#} ${x%\"c\"}", "abc abc ab\n", 0);
    check("x='a*c'; echo ${x%'*c'} ${x%*c} ${x%\\*c}", "a a* a\n", 0);
    check("x=a.b; echo \"${x%.*}\"", "a\n", 0);
    check("unset x; echo \"[${x%a}]\"", "[]\n", 0);
    check(
        "x=a.b.c; echo ${x/./-} ${x//./-} ${x/#a/A} ${x/%c/C} ${x/b}",
        "a-b.c a-b-c A.b.c a.b.C a..c\n",
        0,
    );
    check("x=hello; echo ${x/l*/L} ${x//[aeiou]/_}", "heL h_ll_\n", 0);
    check(
        "x=hello; echo ${x:1:3} ${x:2} ${x: -3} ${x:1:-1} ${x:9}",
        "ell llo llo ell\n",
        0,
    );
    check("x=hello; n=1; echo ${x:n+1:2}", "ll\n", 0);
    let o = run("set -u; echo ${nope%x}");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn pathname_expansion() {
    let dir = scratch("glob");
    for f in ["b.txt", "a.txt", "c.rs", ".hidden", "sub/x.txt", "sub/y.rs"] {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }
    let chk = |script: &str, out: &str| {
        let o = run_in(Some(&dir), script, &[]);
        assert_eq!(stdout(&o), out, "{script}; stderr: {}", stderr(&o));
    };
    chk("echo *.txt", "a.txt b.txt\n");
    chk("echo *", "a.txt b.txt c.rs sub\n");
    chk("echo .h*", ".hidden\n");
    chk("echo ?.rs [ab].txt", "c.rs a.txt b.txt\n");
    chk("echo [!a].txt", "b.txt\n");
    chk("echo */*.txt s*/y*", "sub/x.txt sub/y.rs\n");
    chk("echo *.none", "*.none\n");
    chk("echo \"*.txt\" '*'.txt \\*.txt", "*.txt *.txt *.txt\n");
    chk("p='*.rs'; echo $p \"$p\"", "c.rs *.rs\n");
    chk("echo */", "sub/\n");
    chk("echo $PWD/c.*", &format!("{}/c.rs\n", dir.display()));
    chk("set -f; echo *; set +f; echo c*", "*\nc.rs\n");
    chk(
        "for f in *.txt; do echo \"<$f>\"; done",
        "<a.txt>\n<b.txt>\n",
    );
    chk("x=*.txt; echo \"$x\"", "*.txt\n");
    chk("case $- in *f*) echo f;; *) echo nof;; esac", "nof\n");
}

#[test]
fn here_documents() {
    check(
        "cat <<EOF\nhello\nworld\nEOF\necho after",
        "hello\nworld\nafter\n",
        0,
    );
    check(
        "x=val; cat <<EOF\n$x ${x}s $(echo cmd) $((1 + 2)) \"q\" 'q' \\$x \\\\\nEOF",
        "val vals cmd 3 \"q\" 'q' $x \\\n",
        0,
    );
    check(
        "x=val; cat <<'EOF'\n$x $(echo no) \\$x\nEOF",
        "$x $(echo no) \\$x\n",
        0,
    );
    check("cat <<\"E\"\n$HOME\nE", "$HOME\n", 0);
    check("cat <<\\E\n$HOME\nE", "$HOME\n", 0);
    check("cat <<-EOF\n\t\ttabbed\n\tEOF", "tabbed\n", 0);
    check("cat <<EOF\n\tkept\nEOF", "\tkept\n", 0);
    check("cat <<A; cat <<B\none\nA\ntwo\nB", "one\ntwo\n", 0);
    check("cat <<A /dev/stdin <<B\nunused\nA\nused\nB", "used\n", 0);
    check("cat <<EOF | cat\npiped\nEOF", "piped\n", 0);
    check("read x <<EOF\nline\nEOF\necho $x", "line\n", 0);
    check("cat 3<<EOF <&3\nfd three\nEOF", "fd three\n", 0);
    check("cat <<EOF\nEOF", "", 0);
    check("f() { cat <<EOF\nin $1\nEOF\n}; f func", "in func\n", 0);
    check(
        "for i in 1 2; do cat <<EOF\nloop $i\nEOF\ndone",
        "loop 1\nloop 2\n",
        0,
    );
    check("x=$(cat <<EOF\nsub\nEOF\n); echo $x", "sub\n", 0);
    // Bigger than a pipe buffer.
    let big = "x".repeat(200_000);
    let o = run_stdin(&format!("cat <<EOF | wc -c\n{big}\nEOF\n"), &[]);
    assert_eq!(stdout(&o).trim(), "200001");
    // Here-documents typed on standard input.
    let o = run_stdin("cat <<EOF\nfrom\nstdin\nEOF\necho done\n", &[]);
    assert_eq!(stdout(&o), "from\nstdin\ndone\n");
}

#[test]
fn traps() {
    check("trap 'echo bye' EXIT; echo hi", "hi\nbye\n", 0);
    check("trap 'echo bye $?' 0; exit 3", "bye 3\n", 3);
    check("trap 'echo bye; exit 5' EXIT; true", "bye\n", 5);
    check(
        "trap 'echo got' TERM; kill -TERM $$; echo after",
        "got\nafter\n",
        0,
    );
    check(
        "trap 'echo got' SIGUSR1; kill -USR1 $$; echo after",
        "got\nafter\n",
        0,
    );
    check(
        "trap 'echo got; exit 7' 10; kill -10 $$; echo never",
        "got\n",
        7,
    );
    check("trap 'echo x' INT; trap", "trap -- 'echo x' INT\n", 0);
    check("trap 'echo x' INT; trap - INT; trap", "", 0);
    check("trap 'echo x' INT; trap INT; trap", "", 0);
    // Ignored signals stay ignored in children; caught ones do not.
    check(
        "trap '' INT; sh -c 'kill -INT $$; echo survived'",
        "survived\n",
        0,
    );
    check(
        "trap 'echo caught' TERM; sh -c 'kill -TERM $$; echo no'; echo $?",
        "143\n",
        0,
    );
    check("trap 'echo sub' EXIT; (echo in)", "in\nsub\n", 0);
    check(
        "(trap 'echo sub' EXIT; echo in); echo out",
        "in\nsub\nout\n",
        0,
    );
    check("trap 'false' USR1; kill -USR1 $$; echo $?", "0\n", 0);
    let o = run("trap 'echo x' NOPE");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad trap"), "{}", stderr(&o));
}

#[test]
fn test_builtin() {
    check(
        "[ 1 -lt 2 ] && echo lt; [ 2 -le 1 ] || echo le",
        "lt\nle\n",
        0,
    );
    check("test 3 -eq 3 -a 4 -ne 3 && echo y", "y\n", 0);
    check("test 1 -gt 2 -o 2 -ge 2 && echo y", "y\n", 0);
    check("[ a = a ] && [ a != b ] && echo s", "s\n", 0);
    check(
        "[ -n x ] && [ -z '' ] && [ x ] && ! [ '' ] && echo s",
        "s\n",
        0,
    );
    check("[ -d / ] && [ -e / ] && ! [ -f / ] && echo d", "d\n", 0);
    check("[ -f /bin/sh ] && [ -x /bin/sh ] && echo f", "f\n", 0);
    check("[ ! -e /nonexistent ] && echo no", "no\n", 0);
    check("[ \\( a = b \\) -o -n x ] && echo p", "p\n", 0);
    check(
        "[ ! = x ]; echo $?; [ -n ]; echo $?; test; echo $?",
        "1\n0\n1\n",
        0,
    );
    check("[ a \\< b ] && echo lt", "lt\n", 0);
    let o = run("[ 1 -eq x ]; echo $?; [ a; echo $?");
    assert_eq!(stdout(&o), "2\n2\n");
    assert_eq!(stderr(&o), "sh: test: x: bad number\nsh: [: missing ]\n");
}

#[test]
fn printf_builtin() {
    check(
        "printf '%s-%d|%5s|%-5s|%05d\\n' a 42 r l 7",
        "a-42|    r|l    |00007\n",
        0,
    );
    check(
        "printf '%x %X %o %c %%\\n' 255 255 8 xyz",
        "ff FF 10 x %\n",
        0,
    );
    check("printf '%s\\n' a b c", "a\nb\nc\n", 0);
    check("printf '%s=%s\\n' a 1 b", "a=1\nb=\n", 0);
    check("printf '%3.1s|%.2s|\\n' abc xyz", "  a|xy|\n", 0);
    check(
        "printf '%+d % d %.3d %#x %#o\\n' 5 5 5 255 8",
        "+5  5 005 0xff 010\n",
        0,
    );
    check("printf '%b|%s\\n' 'a\\tb' 'a\\tb'", "a\tb|a\\tb\n", 0);
    check("printf '%b' 'x\\cy' z; echo", "x\n", 0);
    check("printf 'a\\101\\t\\\\\\n'", "aA\t\\\n", 0);
    check("printf '%d %d\\n' \"'A\" 0x10", "65 16\n", 0);
    check("printf '%*d|%-*d|\\n' 4 1 3 2", "   1|2  |\n", 0);
    check("printf 'no newline'", "no newline", 0);
    let o = run("printf '%d\\n' abc");
    assert_eq!(stdout(&o), "0\n");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn readonly_builtin() {
    let o = run("readonly r=1; r=2; echo not reached");
    assert_eq!(stdout(&o), "");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "sh: r: is read only\n");
    check("readonly r=1; readonly", "readonly r='1'\n", 0);
    check("r=1; readonly r; unset r; echo $? $r", "1 1\n", 0);
    check("readonly r=1; export r=2; echo $? $r", "1 1\n", 0);
    check("readonly r=1; readonly r=2; echo $? $r", "1 1\n", 0);
}

#[test]
fn type_and_command() {
    check(
        "f() { :; }; type f echo if /bin/sh",
        "f is a function\necho is a shell builtin\nif is a shell keyword\n/bin/sh is /bin/sh\n",
        0,
    );
    let o = run("type nosuch");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "sh: type: nosuch: not found\n");
    check(
        "f() { :; }; command -v f echo cat",
        "f\necho\n/usr/bin/cat\n",
        0,
    );
    check("command -v nosuch; echo $?", "1\n", 0);
    check(
        "echo() { printf 'fn\\n'; }; echo x; command echo real",
        "fn\nreal\n",
        0,
    );
    check(
        "cat() { echo fn; }; command cat /dev/null; echo $?",
        "0\n",
        0,
    );
    check("command nosuch; echo $?", "127\n", 0);
}

#[test]
fn umask_builtin() {
    check("umask 022; umask", "0022\n", 0);
    check("umask 027; umask -S", "u=rwx,g=rx,o=\n", 0);
    check(
        "umask u=rwx,g=rx,o=; umask; umask g+w,o+r; umask",
        "0027\n0003\n",
        0,
    );
    check("umask a-w; umask", "0222\n", 0);
    let o = run("umask 999; echo $?");
    assert_eq!(stdout(&o), "1\n");
}
