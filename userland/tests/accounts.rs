//! Tests of the account applets (adduser, addgroup, passwd, login, su).
//!
//! Safety: every run sets `IBOX_ROOT` to the test's own scratch tree, so
//! only scratch copies of /etc/passwd, /etc/shadow and /etc/group are read
//! or written. Identity switching (login, su) is tested only as root, for a
//! scratch user with uid 65534, whose "shell" is a link to ibox in the
//! scratch tree.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{is_root, output_of, stderr as err, stdout as out, Scratch, IBOX};

/// A fresh scratch root with `etc/` holding `passwd`, `group` and, if
/// given, `shadow` (mode 0600), and `bin/` with links to ibox.
/// World-readable so a user switched to uid 65534 can run its shell there.
fn new_root(name: &str, passwd: &str, group: &str, shadow: Option<&str>) -> Scratch {
    let dir = Scratch::new(name);
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::set_permissions(&*dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.join("etc/passwd"),
        passwd.replace("ROOT", dir.to_str().unwrap()),
    )
    .unwrap();
    std::fs::write(dir.join("etc/group"), group).unwrap();
    if let Some(s) = shadow {
        std::fs::write(dir.join("etc/shadow"), s).unwrap();
        std::fs::set_permissions(
            dir.join("etc/shadow"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    for a in ["sh", "env", "pwd", "id", "echo", "su"] {
        std::os::unix::fs::symlink(IBOX, dir.join("bin").join(a)).unwrap();
    }
    dir
}

impl Scratch {
    fn read(&self, rel: &str) -> String {
        String::from_utf8_lossy(&std::fs::read(self.path(rel)).unwrap()).into_owned()
    }

    /// `ibox ARGS` with IBOX_ROOT at this tree and `input` on stdin.
    fn run(&self, args: &[&str], input: &[u8]) -> Output {
        output_of(
            common::ibox_cmd(args)
                .env("IBOX_ROOT", &**self)
                .env(
                    "PATH",
                    format!("{}:/usr/bin:/bin", self.path("bin").display()),
                )
                .env("TERM", "dumb"),
            input,
        )
    }
}

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n# a comment that is not an entry\nbroken line without colons\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP: &str = "root:x:0:\nweird:line\nusers:x:100:\n";
const SHADOW: &str = "root:!:19000:0:99999:7:::\nnobody:*:19000::::::\n";

/// Drepper's first test vector: "Hello world!" with salt "saltstring".
const HELLO: &str = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
/// The vector with 10000 rounds and a salt cut to 16 characters.
const HELLO_ROUNDS: &str = "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.";

#[test]
fn adduser_creates_user_group_shadow_and_home() {
    let s = new_root("add", PASSWD, GROUP, Some(SHADOW));
    let o = s.run(&["adduser", "-D", "alice"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
    assert_eq!(
        s.read("etc/passwd"),
        format!("{PASSWD}alice:x:1000:1000:Linux User,,,:/home/alice:/bin/sh\n")
    );
    assert_eq!(s.read("etc/group"), format!("{GROUP}alice:x:1000:\n"));
    let shadow = s.read("etc/shadow");
    let last = shadow.lines().last().unwrap();
    assert!(shadow.starts_with(SHADOW));
    assert!(
        last.starts_with("alice:!:") && last.ends_with(":0:99999:7:::"),
        "{last}"
    );
    let home = std::fs::metadata(s.path("home/alice")).unwrap();
    assert!(home.is_dir());
    assert_eq!(home.mode() & 0o7777, 0o755);
    if is_root() {
        assert_eq!((home.uid(), home.gid()), (1000, 1000));
    }
    // Modes survive the rewrite.
    assert_eq!(
        std::fs::metadata(s.path("etc/shadow")).unwrap().mode() & 0o777,
        0o600
    );
    // The next user gets the next id; the lock is gone.
    let o = s.run(&["adduser", "-D", "-H", "bob"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(s
        .read("etc/passwd")
        .ends_with("bob:x:1001:1001:Linux User,,,:/home/bob:/bin/sh\n"));
    assert!(!s.path("home/bob").exists());
    assert!(!s.path("etc/passwd.lock").exists());
}

#[test]
fn adduser_refuses_existing_names_and_ids() {
    let s = new_root("refuse", PASSWD, GROUP, None);
    let o = s.run(&["adduser", "-D", "-H", "root"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "adduser: user 'root' in use\n");
    let o = s.run(&["adduser", "-D", "-H", "-u", "65534", "x"], b"");
    assert_eq!(err(&o), "adduser: uid '65534' in use\n");
    let o = s.run(&["adduser", "-D", "-H", "users"], b"");
    assert_eq!(err(&o), "adduser: group 'users' in use\n");
    let o = s.run(&["adduser", "-D", "-H", "-G", "nosuch", "x"], b"");
    assert_eq!(err(&o), "adduser: unknown group nosuch\n");
    let o = s.run(&["adduser", "-D", "-H", "-u", "12x", "x"], b"");
    assert_eq!(err(&o), "adduser: invalid number '12x'\n");
    for bad in ["a:b", "-x", "a b", "a\nb", ""] {
        let o = s.run(&["adduser", "-D", "-H", "--", bad], b"");
        assert_eq!(o.status.code(), Some(1), "{bad:?}");
    }
    let o = s.run(&["adduser", "-D", "-H", "-s", "/bin/a:b", "x"], b"");
    assert_eq!(err(&o), "adduser: invalid value for -s\n");
    let o = s.run(&["adduser"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).starts_with("adduser: missing operand\nUsage: adduser"));
    let o = s.run(&["adduser", "-Z", "x"], b"");
    assert!(err(&o).starts_with("adduser: invalid option -- 'Z'\n"));
    // Nothing was written by any of these.
    assert_eq!(s.read("etc/passwd"), PASSWD);
    assert_eq!(s.read("etc/group"), GROUP);
    assert!(!s.path("etc/shadow").exists());
}

#[test]
fn adduser_options() {
    let s = new_root("opts", PASSWD, GROUP, None);
    let o = s.run(
        &[
            "adduser", "-D", "-S", "-H", "-s", "/bin/ash", "-g", "A Daemon", "-h", "/var/d",
            "daemon1",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // uid 100 is taken by group "users", so a system user gets 101.
    let o = s.run(
        &[
            "adduser",
            "-D",
            "-G",
            "users",
            "-u",
            "2000",
            "-h",
            "/srv/carol",
            "carol",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        s.read("etc/passwd"),
        format!(
            "{PASSWD}daemon1:!:101:101:A Daemon:/var/d:/bin/ash\ncarol:!:2000:100:Linux User,,,:/srv/carol:/bin/sh\n"
        )
    );
    assert_eq!(s.read("etc/group"), format!("{GROUP}daemon1:x:101:\n"));
    assert!(s.path("srv/carol").is_dir());
    // `adduser USER GROUP` adds a member.
    let o = s.run(&["adduser", "carol", "daemon1"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(s.read("etc/group").ends_with("daemon1:x:101:carol\n"));
}

#[test]
fn adduser_copies_skeleton_and_asks_password() {
    let s = new_root("skel", PASSWD, GROUP, Some(SHADOW));
    std::fs::create_dir_all(s.path("etc/skel/.config")).unwrap();
    std::fs::write(s.path("etc/skel/.profile"), "echo hi\n").unwrap();
    std::fs::write(s.path("etc/skel/.config/x"), "y").unwrap();
    let o = s.run(&["adduser", "dave"], b"secret\nsecret\n");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "New password: \nRetype password: \n");
    assert_eq!(s.read("home/dave/.profile"), "echo hi\n");
    assert_eq!(s.read("home/dave/.config/x"), "y");
    if is_root() {
        assert_eq!(
            std::fs::metadata(s.path("home/dave/.config/x"))
                .unwrap()
                .uid(),
            1000
        );
    }
    let line = s.read("etc/shadow").lines().last().unwrap().to_string();
    assert!(line.starts_with("dave:$6$"), "{line}");
}

#[test]
fn malformed_lines_and_missing_newline_are_kept() {
    let passwd: &[u8] =
        b"root:x:0:0:root:/root:/bin/sh\n\xff\xfe binary:\n+::::::\nlast:x:5:5::/:/bin/sh";
    let s = new_root("malformed", "", "root:x:0:", None);
    std::fs::write(s.path("etc/passwd"), passwd).unwrap();
    let o = s.run(&["adduser", "-D", "-H", "new"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let bytes = std::fs::read(s.path("etc/passwd")).unwrap();
    let mut want = passwd.to_vec();
    want.extend_from_slice(b"\nnew:!:1000:1000:Linux User,,,:/home/new:/bin/sh\n");
    assert_eq!(bytes, want);
    assert_eq!(s.read("etc/group"), "root:x:0:\nnew:x:1000:\n");
}

#[test]
fn lock_held_by_another_fails_without_writing() {
    let s = new_root("lock", PASSWD, GROUP, None);
    std::fs::write(s.path("etc/passwd.lock"), "1\n").unwrap();
    let o = s.run(&["adduser", "-D", "-H", "x"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "adduser: can't lock '/etc/passwd': File exists\n");
    assert_eq!(s.read("etc/passwd"), PASSWD);
    // The other holder's lock is left alone.
    assert!(s.path("etc/passwd.lock").exists());
}

#[test]
fn addgroup_creates_and_adds_members() {
    let s = new_root("addgroup", PASSWD, GROUP, None);
    for args in [
        &["addgroup", "wheel"][..],
        &["addgroup", "-g", "500", "five"],
        &["addgroup", "-S", "sys"],
        &["addgroup", "nobody", "wheel"],
        &["addgroup", "root", "wheel"],
    ] {
        let o = s.run(args, b"");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
    }
    assert_eq!(
        s.read("etc/group"),
        format!("{GROUP}wheel:x:1000:nobody,root\nfive:x:500:\nsys:x:101:\n")
    );
    for (args, msg) in [
        (
            &["addgroup", "wheel"][..],
            "addgroup: group 'wheel' in use\n",
        ),
        (
            &["addgroup", "-g", "500", "other"],
            "addgroup: gid '500' in use\n",
        ),
        (
            &["addgroup", "-g", "x", "other"],
            "addgroup: invalid number 'x'\n",
        ),
        (
            &["addgroup", "ghost", "wheel"],
            "addgroup: unknown user ghost\n",
        ),
        (
            &["addgroup", "root", "ghost"],
            "addgroup: unknown group ghost\n",
        ),
        (
            &["addgroup", "root", "wheel"],
            "addgroup: 'root' already in group 'wheel'\n",
        ),
        (
            &["addgroup", "bad:name"],
            "addgroup: invalid group name 'bad:name'\n",
        ),
    ] {
        let o = s.run(args, b"");
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(err(&o), msg);
    }
    let o = s.run(&["addgroup"], b"");
    assert!(err(&o).starts_with("addgroup: missing operand\n"));
    assert!(s.read("etc/group").ends_with("sys:x:101:\n"));
}

#[test]
fn passwd_sets_locks_unlocks_and_deletes() {
    let s = new_root("passwd", PASSWD, GROUP, Some(SHADOW));
    let o = s.run(&["passwd", "nobody"], b"pw 1\npw 1\n");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        "Changing password for nobody\nNew password: \nRetype password: \npasswd: password for nobody changed by root\n"
    );
    let shadow = s.read("etc/shadow");
    let line = shadow.lines().nth(1).unwrap();
    let f: Vec<&str> = line.split(':').collect();
    assert_eq!(f.len(), 9);
    assert_eq!(f[0], "nobody");
    let hash = f[1];
    // $6$, 16 salt characters, $, 86 hash characters.
    assert_eq!(hash.len(), 3 + 16 + 1 + 86, "{hash}");
    assert!(hash.starts_with("$6$") && hash.as_bytes()[19] == b'$');
    assert_eq!(&f[3..], &["", "", "", "", "", ""]);
    assert_ne!(f[2], "19000");
    // Other lines untouched.
    assert!(shadow.starts_with("root:!:19000:0:99999:7:::\n"));
    assert_eq!(s.read("etc/passwd"), PASSWD);

    let o = s.run(&["passwd", "-l", "nobody"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        s.read("etc/shadow")
            .lines()
            .nth(1)
            .unwrap()
            .split(':')
            .nth(1)
            .unwrap(),
        format!("!{hash}")
    );
    let o = s.run(&["passwd", "-u", "nobody"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        s.read("etc/shadow")
            .lines()
            .nth(1)
            .unwrap()
            .split(':')
            .nth(1)
            .unwrap(),
        hash
    );
    let o = s.run(&["passwd", "-d", "nobody"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        s.read("etc/shadow")
            .lines()
            .nth(1)
            .unwrap()
            .split(':')
            .nth(1)
            .unwrap(),
        ""
    );
    let o = s.run(&["passwd", "-u", "root"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "passwd: can't unlock: no password set\n");
}

#[test]
fn passwd_errors() {
    let s = new_root("passwd-err", PASSWD, GROUP, Some(SHADOW));
    let o = s.run(&["passwd", "nobody"], b"one\ntwo\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).ends_with("Passwords don't match\n"), "{}", out(&o));
    assert_eq!(err(&o), "passwd: password for nobody is unchanged\n");
    let o = s.run(&["passwd", "nobody"], b"only one\n");
    assert_eq!(o.status.code(), Some(1));
    let o = s.run(&["passwd", "ghost"], b"");
    assert_eq!(err(&o), "passwd: unknown user ghost\n");
    let o = s.run(&["passwd", "-a", "md5", "nobody"], b"");
    assert_eq!(err(&o), "passwd: unsupported algorithm 'md5'\n");
    let o = s.run(&["passwd", "-l", "-u", "nobody"], b"");
    assert_eq!(o.status.code(), Some(1));
    let o = s.run(&["passwd", "-x"], b"");
    assert!(err(&o).starts_with("passwd: invalid option -- 'x'\n"));
    assert_eq!(s.read("etc/shadow"), SHADOW);
}

#[test]
fn passwd_without_shadow_writes_passwd_field() {
    let s = new_root("noshadow", PASSWD, GROUP, None);
    std::fs::set_permissions(s.path("etc/passwd"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let o = s.run(&["passwd", "-a", "sha512", "nobody"], b"pw\npw\n");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let passwd = s.read("etc/passwd");
    let line = passwd.lines().nth(3).unwrap();
    assert!(
        line.starts_with("nobody:$6$")
            && line.ends_with(":65534:65534:nobody:/nonexistent:/bin/false")
    );
    assert!(passwd.contains("broken line without colons\n"));
    assert!(!s.path("etc/shadow").exists());
    assert_eq!(
        std::fs::metadata(s.path("etc/passwd")).unwrap().mode() & 0o777,
        0o640
    );
}

/// A passwd with users of uid 65534 whose shells are ibox links.
fn login_tree(name: &str) -> Scratch {
    let passwd = "root:x:0:0:root:/root:/bin/sh\n\
         hello:x:65534:65534:Hello:/home/hello:ROOT/bin/env\n\
         rounds:x:65534:65534::/home/hello:ROOT/bin/pwd\n\
         locked:x:65534:65534::/home/hello:ROOT/bin/env\n\
         open:x:65534:65534::/home/hello:ROOT/bin/id\n\
         nob:x:65534:65534::/home/hello:ROOT/bin/sh\n";
    let shadow = format!(
        "hello:{HELLO}:19000:0:99999:7:::\nrounds:{HELLO_ROUNDS}:19000:0:99999:7:::\nlocked:!{HELLO}:1::::::\nopen::1::::::\nnob:*:1::::::\n"
    );
    let s = new_root(
        name,
        passwd,
        "root:x:0:\nextra:x:4242:open,nob\n",
        Some(&shadow),
    );
    std::fs::create_dir_all(s.path("home/hello")).unwrap();
    std::fs::set_permissions(s.path("home/hello"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(s.path("etc/motd"), "Welcome to Ibex\n").unwrap();
    s
}

#[test]
fn login_with_password_starts_login_shell() {
    if !is_root() {
        return;
    }
    let s = login_tree("login");
    let o = s.run(&["login"], b"hello\nHello world!\n");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let root = s.display();
    assert_eq!(
        out(&o),
        format!(
            "login: Password: \nWelcome to Ibex\nHOME=/home/hello\nLOGNAME=hello\nPATH=/bin:/usr/bin\nSHELL={root}/bin/env\nTERM=dumb\nUSER=hello\n"
        )
    );
    // The spec's vector with rounds=10000; the shell is `pwd`, run in the home.
    let o = s.run(&["login", "rounds"], b"Hello world!\n");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        format!("Password: \nWelcome to Ibex\n{root}/home/hello\n")
    );
    // An empty password asks nothing; `-f` skips authentication; the
    // shell runs with uid 65534 and the groups from /etc/group.
    std::fs::write(s.path("home/hello/.hushlogin"), "").unwrap();
    let o = s.run(&["login", "open"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).starts_with("uid=65534"), "{}", out(&o));
    assert!(out(&o).contains("4242"), "{}", out(&o));
    let o = s.run(&["login", "-f", "hello"], b"");
    assert!(out(&o).starts_with("HOME=/home/hello\n"), "{}", out(&o));
}

#[test]
fn login_refuses_wrong_locked_and_unknown() {
    if !is_root() {
        return;
    }
    let s = login_tree("login-bad");
    let o = s.run(
        &["login"],
        b"hello\nwrong\nlocked\nHello world!\nghost\nx\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        out(&o),
        "login: Password: \nLogin incorrect\nlogin: Password: \nLogin incorrect\nlogin: Password: \nLogin incorrect\n"
    );
    // End of input at the prompt.
    let o = s.run(&["login"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(out(&o), "login: ");
}

#[test]
fn su_runs_commands_as_the_user() {
    if !is_root() {
        return;
    }
    let s = login_tree("su");
    let o = s.run(
        &["su", "-c", "id -u; id -G; echo $HOME $USER $LOGNAME", "nob"],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "65534\n65534 4242\n/home/hello nob nob\n");
    let o = s.run(&["su", "-", "nob", "-c", "pwd; echo $PATH"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        format!("{}/home/hello\n/bin:/usr/bin\n", s.display())
    );
    let sh = s.path("bin/sh");
    let o = s.run(
        &["su", "-s", sh.to_str().unwrap(), "-c", "exit 7", "hello"],
        b"",
    );
    assert_eq!(o.status.code(), Some(7), "{}", err(&o));
    let o = s.run(&["su", "ghost"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "su: unknown user ghost\n");
    let o = s.run(&["su", "-x"], b"");
    assert!(err(&o).starts_with("su: invalid option -- 'x'\n"));
}

#[test]
fn help_lists_usage() {
    let s = new_root("help", PASSWD, GROUP, None);
    for a in [
        "adduser", "addgroup", "deluser", "delgroup", "passwd", "login", "su", "getty",
    ] {
        let o = s.run(&[a, "--help"], b"");
        assert_eq!(o.status.code(), Some(0));
        assert!(out(&o).starts_with(&format!("Usage: {a} ")), "{}", out(&o));
    }
    let _ = Path::new("/");
}

/// Collects what the pty's master gets (sent by a reader thread) until
/// `until` shows up or nothing arrives for five seconds.
fn read_master(rx: &std::sync::mpsc::Receiver<Vec<u8>>, got: &mut Vec<u8>, until: &[u8]) {
    while !got.windows(until.len().max(1)).any(|w| w == until) {
        match rx.recv_timeout(std::time::Duration::from_secs(5)) {
            Ok(chunk) => got.extend_from_slice(&chunk),
            Err(_) => return,
        }
    }
}

/// Runs getty on a fresh pty (never a real terminal) and types `input`
/// after the text `prompt` appears; returns what the terminal showed and
/// getty's stderr.
fn getty_on_pty(
    s: &Scratch,
    args: &[&str],
    prompt: &[u8],
    input: &[u8],
    end: &[u8],
) -> (String, String) {
    let pty = nix::pty::openpty(None, None).unwrap();
    let slave = nix::unistd::ttyname(&pty.slave).unwrap();
    let mut full: Vec<&str> = vec!["getty"];
    full.extend_from_slice(args);
    full.push(slave.to_str().unwrap());
    let child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(&full)
        .env("IBOX_ROOT", s.as_os_str())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = std::fs::File::from(pty.master.try_clone().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    // Ends with EIO once every slave descriptor is closed.
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut got = Vec::new();
    if !prompt.is_empty() {
        read_master(&rx, &mut got, prompt);
        nix::unistd::write(&pty.master, input).unwrap();
    }
    read_master(&rx, &mut got, end);
    let o = child.wait_with_output().unwrap();
    drop(pty.slave);
    (String::from_utf8_lossy(&got).into_owned(), err(&o))
}

#[test]
fn getty_shows_issue_prompts_and_execs_login() {
    let s = new_root("getty", PASSWD, GROUP, None);
    std::fs::write(s.path("etc/issue"), "Ibex \\n on \\l \\\\ \\x\n").unwrap();
    let host = nix::unistd::gethostname()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let echo = s.path("bin/echo");
    let (screen, e) = getty_on_pty(
        &s,
        &["-L", "-l", echo.to_str().unwrap(), "38400,9600"],
        b"login: ",
        b"alice\n",
        b"-- alice\r\n",
    );
    assert_eq!(e, "");
    let issue_end = screen.find(&format!("{host} login: ")).expect(&screen);
    let issue = &screen[..issue_end];
    assert!(
        issue.starts_with(&format!("Ibex {host} on pts/")),
        "{screen:?}"
    );
    assert!(issue.ends_with(" \\ \\x\r\n"), "{screen:?}");
    assert!(
        screen.ends_with(&format!("{host} login: alice\r\n-- alice\r\n")),
        "{screen:?}"
    );

    // -n: no prompt, login gets no name; -i: no issue.
    let (screen, e) = getty_on_pty(
        &s,
        &["-n", "-i", "-l", echo.to_str().unwrap(), "115200"],
        b"",
        b"",
        b"\r\n",
    );
    assert_eq!(e, "");
    assert_eq!(screen, "\r\n");
}

#[test]
fn getty_argument_errors() {
    let s = new_root("getty-args", PASSWD, GROUP, None);
    let o = s.run(&["getty", "12x", "ttyS9"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "getty: bad speed: 12x\n");
    let o = s.run(&["getty", "9600,7", "ttyS9"], b"");
    assert_eq!(err(&o), "getty: bad speed: 7\n");
    let o = s.run(&["getty", "9600"], b"");
    assert!(err(&o).starts_with("getty: need BAUD_RATE and TTY\nUsage: getty"));
    let o = s.run(&["getty", "-t", "x", "9600", "tty1"], b"");
    assert_eq!(err(&o), "getty: invalid number 'x'\n");
    let o = s.run(&["getty", "-q", "9600", "tty1"], b"");
    assert!(err(&o).starts_with("getty: invalid option -- 'q'\n"));
    // Either order of speed and line; a missing line is reported.
    let o = s.run(&["getty", "ibox-no-such-tty", "9600"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        "getty: can't open '/dev/ibox-no-such-tty': No such file or directory\n"
    );
}

#[test]
fn deluser_and_delgroup() {
    let s = new_root("del", PASSWD, GROUP, Some(SHADOW));
    for args in [
        &["adduser", "-D", "erin"][..],
        &["adduser", "-D", "-H", "-G", "users", "fred"],
        &["addgroup", "erin", "users"],
        &["addgroup", "fred", "erin"],
    ] {
        let o = s.run(args, b"");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
    }
    std::fs::write(s.path("home/erin/file"), "x").unwrap();
    // erin's group is fred's supplementary group only, so it goes too.
    let o = s.run(&["deluser", "--remove-home", "erin"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(err(&o), "");
    assert_eq!(
        s.read("etc/passwd"),
        format!("{PASSWD}fred:x:1001:100:Linux User,,,:/home/fred:/bin/sh\n")
    );
    assert_eq!(s.read("etc/group"), GROUP);
    assert!(s
        .read("etc/shadow")
        .starts_with(&format!("{SHADOW}fred:!:")));
    assert!(!s.path("home/erin").exists());
    assert!(s.path("home").exists());

    let o = s.run(&["delgroup", "users"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        "delgroup: 'fred' still has 'users' as their primary group!\n"
    );
    let o = s.run(&["addgroup", "fred", "root"], b"");
    assert_eq!(o.status.code(), Some(0));
    let o = s.run(&["delgroup", "fred", "root"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = s.run(&["deluser", "fred", "root"], b"");
    assert_eq!(err(&o), "deluser: can't find fred in group root\n");
    let o = s.run(&["deluser", "ghost"], b"");
    assert_eq!(err(&o), "deluser: unknown user ghost\n");
    let o = s.run(&["delgroup", "ghost"], b"");
    assert_eq!(err(&o), "delgroup: unknown group ghost\n");
    let o = s.run(&["addgroup", "-g", "700", "spare"], b"");
    assert_eq!(o.status.code(), Some(0));
    let o = s.run(&["delgroup", "spare"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(s.read("etc/group"), GROUP);
    // Malformed lines are still there after all of this.
    assert!(s
        .read("etc/passwd")
        .contains("broken line without colons\n"));
}

#[test]
fn deluser_never_removes_the_root_as_home() {
    let passwd =
        "root:x:0:0:root:/root:/bin/sh\nbad:x:1:1::/home/..:/bin/sh\nslash:x:2:2::/:/bin/sh\n";
    let s = new_root("del-root", passwd, GROUP, None);
    std::fs::create_dir_all(s.path("home")).unwrap();
    for u in ["bad", "slash"] {
        let o = s.run(&["deluser", "--remove-home", u], b"");
        assert_eq!(o.status.code(), Some(1), "{}", err(&o));
        assert!(
            err(&o).starts_with("deluser: not removing home directory"),
            "{}",
            err(&o)
        );
    }
    assert!(s.path("etc/group").exists());
    assert!(s.path("home").exists());
}

#[test]
fn stale_lock_of_a_dead_process_is_broken() {
    let s = new_root("stale", PASSWD, "root:x:0:\nnogroup:x:65533:\n", None);
    // pid_max is at most 2^22, so this pid never exists.
    std::fs::write(s.path("etc/passwd.lock"), "99999999\n").unwrap();
    let o = s.run(&["adduser", "-D", "-S", "-H", "svc"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // A system user joins nogroup and gets /bin/false.
    assert!(s
        .read("etc/passwd")
        .ends_with("svc:!:100:65533:Linux User,,,:/home/svc:/bin/false\n"));
    assert_eq!(s.read("etc/group"), "root:x:0:\nnogroup:x:65533:\n");
    assert!(!s.path("etc/passwd.lock").exists());
}

#[test]
fn su_by_an_ordinary_user_asks_the_password() {
    if !is_root() {
        return;
    }
    let s = login_tree("su-user");
    // As uid 65534 the root-only shadow file is unreadable (a real su is
    // setuid), so the target's hash is in its passwd field.
    let mut passwd = s.read("etc/passwd");
    passwd.push_str(&format!("inpw:{HELLO}:65534:65534::/home/hello:/bin/sh\n"));
    std::fs::write(s.path("etc/passwd"), passwd).unwrap();
    // su to "inpw" (Drepper's vector): the wrong password is refused; the
    // right one passes and only setgroups, which needs root, stops it.
    let o = s.run(
        &[
            "su",
            "-c",
            "echo wrong | su -c 'echo in' inpw; echo \"rc=$?\"; echo 'Hello world!' | su -c 'echo in' inpw; echo \"rc=$?\"",
            "nob",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "Password: \nrc=1\nPassword: \nrc=1\n");
    assert_eq!(
        err(&o),
        "su: incorrect password\nsu: can't set user id: Operation not permitted\n"
    );
    // An account whose hash is out of reach (`x`, shadow unreadable) is refused.
    let o = s.run(&["su", "-c", "echo 'Hello world!' | su locked", "nob"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err(&o), "su: incorrect password\n");
}
