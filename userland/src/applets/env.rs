//! `env [-i0] [-u NAME]... [-] [NAME=VALUE]... [COMMAND [ARG]...]`: run a
//! command in a modified environment, or print the environment.
//!
//! [`exec`] is also how nice, nohup and chroot replace themselves with
//! their command, so that all report failures and exit 126/127 alike.

use crate::common::{getopt, lossy, perror, Exit};
use crate::text;
use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

pub const USAGE: &str = "[-i0] [-u NAME]... [-] [NAME=VALUE]... [COMMAND [ARG]...]\n\nPrint current environment or run PROG after setting up\nthe specified environment\n\n\t-, -i\tStart with an empty environment\n\t-u NAME\tRemove variable from the environment\n\t-0\tEnd each output line with NUL";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "iu:0",
        &[("ignore-environment", 'i'), ("unset", 'u'), ("null", '0')],
        false,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return 125.min(code.max(1)),
    };
    let mut clear = p.has('i');
    let mut ops = p.operands.as_slice();
    // A lone `-` is the old spelling of -i.
    if ops.first().is_some_and(|a| a.as_bytes() == b"-") {
        clear = true;
        ops = &ops[1..];
    }
    let mut vars: Vec<(OsString, OsString)> = if clear {
        Vec::new()
    } else {
        std::env::vars_os().collect()
    };
    for (c, v) in &p.opts {
        if let ('u', Some(name)) = (c, v) {
            vars.retain(|(k, _)| k != name);
        }
    }
    let mut i = 0;
    while let Some(a) = ops.get(i) {
        let b = a.as_bytes();
        let Some(eq) = b.iter().position(|&c| c == b'=') else {
            break;
        };
        let (k, v) = (&b[..eq], &b[eq + 1..]);
        vars.retain(|(name, _)| name.as_bytes() != k);
        vars.push((OsStr::from_bytes(k).into(), OsStr::from_bytes(v).into()));
        i += 1;
    }
    let cmd = &ops[i..];
    if cmd.is_empty() {
        let mut out = text::stdout();
        let end = if p.has('0') { b'\0' } else { b'\n' };
        for (k, v) in &vars {
            let r = out
                .write_all(k.as_bytes())
                .and_then(|()| out.write_all(b"="))
                .and_then(|()| out.write_all(v.as_bytes()))
                .and_then(|()| out.write_all(&[end]));
            if let Err(e) = r {
                return text::write_failed("env", &e);
            }
        }
        return text::finish("env", &mut out, 0);
    }
    let mut command = Command::new(&cmd[0]);
    command.args(&cmd[1..]).env_clear().envs(vars);
    exec("env", command, &cmd[0])
}

/// Replaces this process with `command` (named `name` in messages). It
/// only returns on failure: 127 if the program does not exist, else 126,
/// after `applet: can't execute 'NAME': REASON`.
pub fn exec(applet: &str, mut command: Command, name: &OsStr) -> i32 {
    let _ = io::stdout().flush();
    let e = command.exec();
    perror(applet, format!("can't execute '{}'", lossy(name)), &e);
    if e.kind() == io::ErrorKind::NotFound {
        127
    } else {
        126
    }
}
