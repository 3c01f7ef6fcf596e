//! Runs the real `ibox sh` on scripts and checks what they print and how
//! they exit. External commands are host tools (`/bin/cat`) or `ibox`
//! itself, reached through `$IBOX`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const IBOX: &str = env!("CARGO_BIN_EXE_ibox");

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ibex-sh-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

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
fn run_in(dir: Option<&PathBuf>, script: &str, args: &[&str]) -> Output {
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
    let mut child = base()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ibox sh");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("write script");
    drop(stdin);
    child.wait_with_output().expect("wait ibox sh")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
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
        ("echo ${x%y}", "bad substitution"),
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

#[test]
fn unsupported_syntax_is_reported() {
    for (script, msg) in [
        ("echo $((1 + 2))", "arithmetic expansion is not supported"),
        ("cat <<EOF\nx\nEOF", "here-documents are not supported"),
    ] {
        let o = run(script);
        assert_eq!(o.status.code(), Some(2), "{script}");
        assert_eq!(stderr(&o), format!("sh: syntax error: {msg}\n"), "{script}");
    }
}
