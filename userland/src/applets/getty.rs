//! `getty`: open a terminal line, make it the controlling terminal, set its
//! speed, show /etc/issue and a login prompt, and exec login with the name.

use crate::accounts;
use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use nix::sys::termios::{self, BaudRate, ControlFlags, InputFlags, LocalFlags, OutputFlags};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::fd::IntoRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

pub const USAGE: &str = "[OPTIONS] BAUD_RATE[,BAUD_RATE]... TTY [TERMTYPE]\n\n\
Open TTY, prompt for login name, then invoke /bin/login\n\n\
\t-h\t\tEnable hardware RTS/CTS flow control\n\
\t-L\t\tSet CLOCAL (ignore Carrier Detect state)\n\
\t-n\t\tDon't prompt for login name\n\
\t-w\t\tWait for CR or LF before sending /etc/issue\n\
\t-i\t\tDon't display /etc/issue\n\
\t-l LOGIN\tInvoke LOGIN instead of /bin/login\n\
\t-t SEC\t\tTerminate after SEC if no login name is read\n\
\t-I INITSTR\tSend INITSTR before anything else\n\
\t-H HOST\t\tLog HOST into the utmp file as the hostname";

const APPLET: &str = "getty";

/// The speeds termios can set, by their number.
const SPEEDS: &[(u32, BaudRate)] = &[
    (0, BaudRate::B0),
    (50, BaudRate::B50),
    (75, BaudRate::B75),
    (110, BaudRate::B110),
    (134, BaudRate::B134),
    (150, BaudRate::B150),
    (200, BaudRate::B200),
    (300, BaudRate::B300),
    (600, BaudRate::B600),
    (1200, BaudRate::B1200),
    (1800, BaudRate::B1800),
    (2400, BaudRate::B2400),
    (4800, BaudRate::B4800),
    (9600, BaudRate::B9600),
    (19200, BaudRate::B19200),
    (38400, BaudRate::B38400),
    (57600, BaudRate::B57600),
    (115200, BaudRate::B115200),
    (230400, BaudRate::B230400),
    (460800, BaudRate::B460800),
    (500000, BaudRate::B500000),
    (576000, BaudRate::B576000),
    (921600, BaudRate::B921600),
    (1000000, BaudRate::B1000000),
    (1152000, BaudRate::B1152000),
    (1500000, BaudRate::B1500000),
    (2000000, BaudRate::B2000000),
    (2500000, BaudRate::B2500000),
    (3000000, BaudRate::B3000000),
    (3500000, BaudRate::B3500000),
    (4000000, BaudRate::B4000000),
];

/// The termios speed for `text`.
fn speed(text: &[u8]) -> Option<BaudRate> {
    let n: u32 = std::str::from_utf8(text).ok()?.parse().ok()?;
    SPEEDS.iter().find(|(s, _)| *s == n).map(|(_, b)| *b)
}

nix::ioctl_write_int_bad!(tiocsctty, nix::libc::TIOCSCTTY);

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "hLnwil:t:I:H:m", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.len() < 2 || p.operands.len() > 3 {
        return usage_error(APPLET, "need BAUD_RATE and TTY");
    }
    // BusyBox also accepts TTY before the speeds.
    let (mut speeds_arg, mut tty) = (p.operands[0].as_bytes(), p.operands[1].as_bytes());
    if !speeds_arg.first().is_some_and(u8::is_ascii_digit) {
        std::mem::swap(&mut speeds_arg, &mut tty);
    }
    let mut speeds = Vec::new();
    for s in speeds_arg.split(|&b| b == b',') {
        match speed(s) {
            Some(b) => speeds.push(b),
            None => {
                error_msg(
                    APPLET,
                    &format!("bad speed: {}", lossy(OsStr::from_bytes(s))),
                );
                return 1;
            }
        }
    }
    let timeout = match p.value('t') {
        Some(t) => match std::str::from_utf8(t.as_bytes())
            .ok()
            .and_then(|t| t.parse::<u32>().ok())
        {
            Some(n) => Some(n),
            None => {
                error_msg(APPLET, &format!("invalid number '{}'", lossy(t)));
                return 1;
            }
        },
        None => None,
    };
    let login = p
        .value('l')
        .map_or_else(|| OsString::from("/bin/login"), OsStr::to_os_string);
    let term = p.operands.get(2).cloned();

    // "-" means the line is already on stdin.
    let tty_name: Vec<u8> = if tty == b"-" {
        b"-".to_vec()
    } else {
        tty.strip_prefix(b"/dev/").unwrap_or(tty).to_vec()
    };
    if tty != b"-" {
        if let Err(e) = open_tty(tty) {
            return e;
        }
    }
    if let Err(e) = setup_termios(&speeds, p.has('L'), p.has('h')) {
        perror(APPLET, "tcsetattr", &e);
        return 1;
    }
    if let Some(t) = &term {
        // SAFETY: getty is single-threaded here; nothing reads the
        // environment concurrently.
        unsafe { std::env::set_var("TERM", t) };
    }
    let mut out = std::io::stdout().lock();
    if let Some(init) = p.value('I') {
        let _ = out.write_all(init.as_bytes());
        let _ = out.flush();
    }
    if p.has('w') {
        let _ = accounts::read_line_fd(0);
    }
    let host = nix::unistd::gethostname()
        .map(|h| h.as_bytes().to_vec())
        .unwrap_or_else(|_| b"?".to_vec());
    if !p.has('i') {
        if let Ok(issue) = std::fs::read(accounts::under_root(b"/etc/issue")) {
            let _ = out.write_all(&expand_issue(&issue, &host, &tty_name));
        }
    }
    let mut login_args: Vec<OsString> = Vec::new();
    if let Some(h) = p.value('H') {
        login_args.push("-h".into());
        login_args.push(h.to_os_string());
    }
    if !p.has('n') {
        if let Some(t) = timeout {
            // The default SIGALRM action ends getty if nobody answers.
            nix::unistd::alarm::set(t);
        }
        let name = loop {
            let _ = out.write_all(&host);
            let _ = out.write_all(b" login: ");
            let _ = out.flush();
            match accounts::read_line_fd(0) {
                Some(n) if n.is_empty() => continue,
                Some(n) => break n,
                None => return 0,
            }
        };
        nix::unistd::alarm::cancel();
        if name.starts_with(b"-") {
            // login would take it for an option.
            error_msg(APPLET, "bad user name");
            return 1;
        }
        login_args.push("--".into());
        login_args.push(OsStr::from_bytes(&name).to_os_string());
    }
    let _ = out.flush();
    drop(out);
    let e = std::process::Command::new(&login).args(&login_args).exec();
    perror(APPLET, format!("can't execute '{}'", lossy(&login)), &e);
    1
}

/// Opens `/dev/TTY` (or the absolute path) as stdin, stdout and stderr in
/// a new session and makes it the controlling terminal; `Err(status)`
/// after reporting a failure.
fn open_tty(tty: &[u8]) -> Result<(), i32> {
    let path = if tty.starts_with(b"/") {
        PathBuf::from(OsStr::from_bytes(tty))
    } else {
        PathBuf::from("/dev").join(OsStr::from_bytes(tty))
    };
    // Already a session leader (started by init that way) is fine.
    let _ = nix::unistd::setsid();
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) => {
            perror(APPLET, format!("can't open '{}'", path.display()), &e);
            return Err(1);
        }
    };
    let fd = file.into_raw_fd();
    for target in 0..3 {
        if fd != target {
            // SAFETY: dup2 onto the standard descriptors, which getty owns.
            if unsafe { nix::libc::dup2(fd, target) } < 0 {
                perror(APPLET, "dup2", &std::io::Error::last_os_error());
                return Err(1);
            }
        }
    }
    if fd > 2 {
        // SAFETY: fd came from into_raw_fd above and is not used again.
        unsafe { nix::libc::close(fd) };
    }
    // SAFETY: TIOCSCTTY on stdin with argument 0 (do not steal the tty
    // from another session) only changes this process's session.
    if let Err(e) = unsafe { tiocsctty(0, 0) } {
        // Opening the tty as session leader may already have made it ours.
        let ours = termios::tcgetsid(std::io::stdin()).ok() == nix::unistd::getsid(None).ok();
        if !ours {
            perror(APPLET, "TIOCSCTTY", &crate::fsutil::io_err(e));
            return Err(1);
        }
    }
    Ok(())
}

/// Puts the line in a sane cooked mode at the first speed, with CLOCAL
/// (`-L`) and RTS/CTS (`-h`) as asked.
fn setup_termios(speeds: &[BaudRate], local: bool, hardware: bool) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut t = termios::tcgetattr(&stdin).map_err(crate::fsutil::io_err)?;
    if let Some(&b) = speeds.first() {
        // The speed bits of c_cflag, set directly: the libc crate binds
        // cfset*speed to versioned glibc symbols that a static link cannot
        // resolve. On Linux the B* constants are those bits, and an input
        // speed of zero means "same as output".
        t.control_flags.remove(ControlFlags::CBAUD);
        t.control_flags |= ControlFlags::from_bits_retain(b as nix::libc::tcflag_t);
    }
    t.control_flags |= ControlFlags::CS8 | ControlFlags::CREAD | ControlFlags::HUPCL;
    t.control_flags.set(ControlFlags::CLOCAL, local);
    t.control_flags.set(ControlFlags::CRTSCTS, hardware);
    t.input_flags = InputFlags::ICRNL | InputFlags::IXON | InputFlags::BRKINT;
    t.output_flags = OutputFlags::OPOST | OutputFlags::ONLCR;
    t.local_flags = LocalFlags::ICANON
        | LocalFlags::ISIG
        | LocalFlags::ECHO
        | LocalFlags::ECHOE
        | LocalFlags::ECHOK
        | LocalFlags::ECHOCTL
        | LocalFlags::ECHOKE
        | LocalFlags::IEXTEN;
    termios::tcsetattr(&stdin, termios::SetArg::TCSANOW, &t).map_err(crate::fsutil::io_err)?;
    Ok(())
}

/// /etc/issue with agetty's escapes: `\n` host name, `\l` tty, `\s`
/// system, `\r` release, `\m` machine, `\v` version, `\\` backslash.
fn expand_issue(text: &[u8], host: &[u8], tty: &[u8]) -> Vec<u8> {
    let uts = nix::sys::utsname::uname().ok();
    let field = |c: u8| -> Option<Vec<u8>> {
        let u = uts.as_ref();
        Some(match c {
            b'n' => host.to_vec(),
            b'l' => tty.to_vec(),
            b's' => u?.sysname().as_bytes().to_vec(),
            b'r' => u?.release().as_bytes().to_vec(),
            b'm' => u?.machine().as_bytes().to_vec(),
            b'v' => u?.version().as_bytes().to_vec(),
            b'\\' => b"\\".to_vec(),
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' && i + 1 < text.len() {
            if let Some(v) = field(text[i + 1]) {
                out.extend_from_slice(&v);
                i += 2;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}
