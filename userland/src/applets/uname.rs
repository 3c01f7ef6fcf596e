//! `uname [-asnrvmpio]`: print system information.

use crate::common::{getopt, Exit};
use std::ffi::OsString;

pub const USAGE: &str = "[-snrvmpioa]\n\nPrint system information\n\n\t-a\tPrint all\n\t-m\tMachine (hardware) type\n\t-n\tHostname\n\t-r\tKernel release\n\t-s\tKernel name (default)\n\t-p\tProcessor type\n\t-v\tKernel version\n\t-i\tHardware platform\n\t-o\tOS name";

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
        ('m', machine.clone()),
        ('p', machine.clone()),
        ('i', machine),
        ('o', "GNU/Linux".to_string()),
    ];
    let any = fields.iter().any(|(c, _)| p.has(*c));
    let selected: Vec<&str> = fields
        .iter()
        .filter(|(c, _)| {
            // -a prints everything but the duplicates -p and -i, as BusyBox does.
            (all && *c != 'p' && *c != 'i') || p.has(*c) || (!all && !any && *c == 's')
        })
        .map(|(_, v)| v.as_str())
        .collect();
    println!("{}", selected.join(" "));
    0
}
