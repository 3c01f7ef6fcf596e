//! `uname [-asnrvmpio]`: print system information.

use crate::common::{getopt, Exit};
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str = "[-snrvmpioa]\n\nPrint system information\n\n\t-a\tPrint all\n\t-m\tMachine (hardware) type\n\t-n\tHostname\n\t-r\tKernel release\n\t-s\tKernel name (default)\n\t-p\tProcessor type\n\t-v\tKernel version\n\t-i\tHardware platform\n\t-o\tOS name";

/// Entry point: prints the selected fields of uname(2) on one line.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "asnrvmpio",
        &[
            ("all", 'a'),
            ("kernel-name", 's'),
            ("nodename", 'n'),
            ("kernel-release", 'r'),
            ("kernel-version", 'v'),
            ("machine", 'm'),
            ("processor", 'p'),
            ("hardware-platform", 'i'),
            ("operating-system", 'o'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if let Some(extra) = p.operands.first() {
        return crate::common::usage_error(
            "uname",
            &format!("extra operand '{}'", extra.to_string_lossy()),
        );
    }
    let u = match nix::sys::utsname::uname() {
        Ok(u) => u,
        Err(e) => {
            crate::common::error_msg("uname", e.desc());
            return 1;
        }
    };
    let all = p.has('a');
    let machine = u.machine().to_string_lossy().into_owned();
    let fields: [(char, String); 8] = [
        ('s', u.sysname().to_string_lossy().into_owned()),
        ('n', u.nodename().to_string_lossy().into_owned()),
        ('r', u.release().to_string_lossy().into_owned()),
        ('v', u.version().to_string_lossy().into_owned()),
        ('m', machine),
        // Linux has no portable answer for these; BusyBox and coreutils say so.
        ('p', "unknown".to_string()),
        ('i', "unknown".to_string()),
        // Ibex's userland is ibox, not GNU.
        ('o', "Linux".to_string()),
    ];
    let any = fields.iter().any(|(c, _)| p.has(*c));
    let selected: Vec<&str> = fields
        .iter()
        .filter(|(c, _)| {
            // -a prints everything but the unknown -p and -i, as BusyBox does.
            (all && *c != 'p' && *c != 'i') || p.has(*c) || (!all && !any && *c == 's')
        })
        .map(|(_, v)| v.as_str())
        .collect();
    let line = format!("{}\n", selected.join(" "));
    let mut out = std::io::stdout().lock();
    match out.write_all(line.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => {
            crate::common::perror("uname", "write error", &e);
            1
        }
    }
}
