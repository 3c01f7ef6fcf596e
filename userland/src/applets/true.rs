//! `true`: do nothing, successfully.

use std::ffi::OsString;

pub const USAGE: &str = "\n\nReturn an exit code of TRUE (0)";

pub fn main(_args: Vec<OsString>) -> i32 {
    0
}
