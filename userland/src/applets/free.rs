//! `free [-bkmgh]`: memory and swap use from /proc/meminfo, in BusyBox's
//! columns.

use crate::common::{getopt, perror, Exit};
use crate::procfs;
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str = "[-bkmgh]\n\nDisplay free and used memory\n\n\t-b,-k,-m,-g\tShow in bytes, KiB, MiB or GiB (default KiB)\n\t-h\tHuman readable (K, M, G)";

/// How numbers are shown.
#[derive(Clone, Copy)]
enum Unit {
    /// Kilobytes shifted right by this many bits (-10 for bytes).
    Shift(i32),
    Human,
}

/// Entry point: the header, a Mem: line and a Swap: line.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "bkmgh", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if !p.operands.is_empty() {
        return crate::common::usage_error("free", "extra operand");
    }
    // The last unit option wins, as in BusyBox.
    let unit = p.opts.iter().fold(Unit::Shift(0), |_, (c, _)| match c {
        'b' => Unit::Shift(-10),
        'm' => Unit::Shift(10),
        'g' => Unit::Shift(20),
        'h' => Unit::Human,
        _ => Unit::Shift(0),
    });
    let path = procfs::system_file("meminfo");
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) => {
            perror("free", format!("can't open '{}'", path.display()), &e);
            return 1;
        }
    };
    let m = Meminfo::parse(&text);
    let buff_cache = m.buffers + m.cached + m.sreclaimable;
    let used = m.total.saturating_sub(m.free).saturating_sub(buff_cache);
    let show = |kb: u64| -> String {
        match unit {
            Unit::Human => crate::fsutil::human(kb, 1024),
            Unit::Shift(s) if s < 0 => kb.saturating_mul(1 << -s).to_string(),
            Unit::Shift(s) => (kb >> s).to_string(),
        }
    };
    let mut text = format!(
        "       {:>12}{:>12}{:>12}{:>12}{:>12}{:>12}\n",
        "total", "used", "free", "shared", "buff/cache", "available"
    );
    text.push_str(&format!(
        "Mem:   {:>12} {:>11} {:>11} {:>11} {:>11} {:>11}\n",
        show(m.total),
        show(used),
        show(m.free),
        show(m.shmem),
        show(buff_cache),
        show(m.available)
    ));
    text.push_str(&format!(
        "Swap:  {:>12} {:>11} {:>11}\n",
        show(m.swap_total),
        show(m.swap_total.saturating_sub(m.swap_free)),
        show(m.swap_free)
    ));
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("free", &e),
    }
}

/// The /proc/meminfo numbers free shows, in kilobytes.
#[derive(Default, Debug, PartialEq)]
struct Meminfo {
    total: u64,
    free: u64,
    available: u64,
    buffers: u64,
    cached: u64,
    sreclaimable: u64,
    shmem: u64,
    swap_total: u64,
    swap_free: u64,
}

impl Meminfo {
    /// Reads `Key:   N kB` lines; missing keys stay 0. Kernels before 3.14
    /// have no MemAvailable: free memory stands in for it, as in BusyBox.
    fn parse(text: &[u8]) -> Meminfo {
        let mut m = Meminfo::default();
        let mut have_available = false;
        for line in String::from_utf8_lossy(text).lines() {
            let mut words = line.split_whitespace();
            let (Some(key), Some(value)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(value) = value.parse::<u64>() else {
                continue;
            };
            let slot = match key {
                "MemTotal:" => &mut m.total,
                "MemFree:" => &mut m.free,
                "MemAvailable:" => {
                    have_available = true;
                    &mut m.available
                }
                "Buffers:" => &mut m.buffers,
                "Cached:" => &mut m.cached,
                "SReclaimable:" => &mut m.sreclaimable,
                "Shmem:" => &mut m.shmem,
                "SwapTotal:" => &mut m.swap_total,
                "SwapFree:" => &mut m.swap_free,
                _ => continue,
            };
            *slot = value;
        }
        if !have_available {
            m.available = m.free;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_meminfo() {
        let m = Meminfo::parse(
            b"MemTotal: 100 kB\nMemFree:  40 kB\nBuffers: 5 kB\nnonsense\nSwapFree: x kB\n",
        );
        assert_eq!(
            (m.total, m.free, m.buffers, m.available, m.swap_free),
            (100, 40, 5, 40, 0)
        );
    }
}
