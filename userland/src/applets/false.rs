//! `false`: do nothing, unsuccessfully.

use std::ffi::OsString;

pub const USAGE: &str = "\n\nReturn an exit code of FALSE (1)";

pub fn main(_args: Vec<OsString>) -> i32 {
    1
}
