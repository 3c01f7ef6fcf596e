//! `logread [-f] [SERVICE]`: show what services wrote, from the ring
//! buffers init keeps (BusyBox logread, for init's service logs).

use crate::common::{error_msg, getopt};
use crate::control::{ask, Connection};
use ibex_control::{LogLine, Request, Response};
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str = "[-f] [SERVICE]\n\n\
Show the newest lines every service (or SERVICE) wrote, oldest first\n\n\
\t-f\tThen keep showing new lines as they come";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let parsed = match getopt(&args, "fF", &[("follow", 'f')], true) {
        Ok(p) => p,
        Err(crate::common::Exit(code)) => return code,
    };
    if parsed.operands.len() > 1 {
        return crate::common::usage_error("logread", "too many arguments");
    }
    let service = parsed
        .operands
        .first()
        .map(|s| s.to_string_lossy().into_owned());
    let follow = parsed.has('f') || parsed.has('F');
    let request = Request::Log { service, follow };
    let result = if follow {
        stream(&request)
    } else {
        ask(&request).and_then(|r| show(r).map(|_| ()))
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            error_msg("logread", &msg);
            1
        }
    }
}

/// Prints what init sends until it closes the connection or stdout goes.
fn stream(request: &Request) -> Result<(), String> {
    let mut conn = Connection::request(request)?;
    while let Some(response) = conn.next()? {
        if response == Response::Denied {
            return Err("permission denied: only root may read service logs".into());
        }
        if !show(response)? {
            return Ok(());
        }
    }
    Ok(())
}

/// Prints log lines; false once stdout is closed (the reader went away).
fn show(response: Response) -> Result<bool, String> {
    let lines = match response {
        Response::Log(lines) => lines,
        Response::NoSuchService(name) => return Err(format!("service '{name}' does not exist")),
        other => return Err(format!("unexpected answer from init: {other:?}")),
    };
    let mut out = std::io::stdout().lock();
    for LogLine {
        time_ms,
        service,
        text,
    } in lines
    {
        let head = format!("{} {service}: ", ibex_control::format_time(time_ms));
        let written = out
            .write_all(head.as_bytes())
            .and_then(|()| out.write_all(&text))
            .and_then(|()| out.write_all(b"\n"));
        if written.is_err() {
            return Ok(false);
        }
    }
    Ok(out.flush().is_ok())
}
