//! Console logging for PID 1. Writing never fails loudly: if the console is
//! gone there is nobody to tell, and init must go on.

use std::io::Write;

/// Writes `init: <msg>` to the console (init's standard error).
pub fn log(msg: std::fmt::Arguments<'_>) {
    let line = format!("init: {msg}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `log!("...", args)`: one line on the console.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => { $crate::log::log(format_args!($($arg)*)) };
}
