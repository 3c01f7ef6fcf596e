//! `mount`: placeholder until implemented.

use std::ffi::OsString;

pub const USAGE: &str = "";

pub fn main(_args: Vec<OsString>) -> i32 {
    crate::common::error_msg("mount", "not implemented yet");
    1
}
