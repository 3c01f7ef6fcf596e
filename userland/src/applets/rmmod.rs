//! `rmmod [-wf] MODULE...`: unload kernel modules by name (a path or a
//! `.ko` file name is reduced to the module's name).

use crate::common::{error_msg, getopt, Exit};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-wf] MODULE...\n\nUnload kernel modules\n\n\t-w\tWait until the module is no longer used\n\t-f\tForce unload";

/// Entry point: every MODULE is tried.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "wfs",
        &[("wait", 'w'), ("force", 'f'), ("syslog", 's')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        return crate::common::usage_error("rmmod", "no module name given");
    }
    let mut status = 0;
    for m in &p.operands {
        let name = super::modprobe::module_name(m.as_bytes());
        if let Err(e) = super::modprobe::remove(&name, p.has('w'), p.has('f')) {
            error_msg(
                "rmmod",
                &format!(
                    "can't unload module '{name}': {}",
                    crate::common::strerror(&e)
                ),
            );
            status = 1;
        }
    }
    status
}
