//! `sysctl [-enq] { -a | -p [FILE]... | [-w] [KEY[=VALUE]]... }`: show and
//! set kernel parameters under /proc/sys. The root is `$IBOX_SYSCTL_ROOT`
//! when set, so that tests read and write a scratch tree.

use crate::common::{error_msg, getopt, perror, Exit, Parsed};
use std::ffi::OsString;
use std::io::{ErrorKind, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "[-enNq] { -a | -p [FILE]... | [-w] [KEY[=VALUE]]... }\n\nShow/set kernel parameters\n\n\t-e\tDon't warn about unknown keys\n\t-n\tDon't show key names\n\t-N\tShow only key names\n\t-q\tQuiet\n\t-a\tShow all values\n\t-p\tSet values from FILEs (default /etc/sysctl.conf)\n\t-w\tSet values";

/// Where the parameters live.
fn root() -> PathBuf {
    match std::env::var_os("IBOX_SYSCTL_ROOT") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => PathBuf::from("/proc/sys"),
    }
}

/// What the options ask for.
struct Ctx<'a> {
    p: &'a Parsed,
    root: PathBuf,
    out: std::io::StdoutLock<'static>,
}

/// Entry point: status 1 if any key failed.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "enqawpNA",
        &[("all", 'a'), ("write", 'w'), ("load", 'p')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut ctx = Ctx {
        p: &p,
        root: root(),
        out: std::io::stdout().lock(),
    };
    let mut status = 0;
    if p.has('p') {
        let files = if p.operands.is_empty() {
            vec![OsString::from("/etc/sysctl.conf")]
        } else {
            p.operands.clone()
        };
        for file in &files {
            status |= load(&mut ctx, file);
        }
    } else if p.has('a') || p.has('A') {
        let root = ctx.root.clone();
        status = show_tree(&mut ctx, &root);
    } else if p.operands.is_empty() {
        return crate::common::usage_error("sysctl", "no keys given");
    } else {
        for arg in &p.operands {
            let arg = arg.as_bytes();
            status |= match arg.iter().position(|&b| b == b'=') {
                Some(eq) => set(&mut ctx, &arg[..eq], &arg[eq + 1..]),
                None if p.has('w') => {
                    error_msg(
                        "sysctl",
                        &format!(
                            "error: '{}' must be of the form name=value",
                            String::from_utf8_lossy(arg)
                        ),
                    );
                    1
                }
                None => show_key(&mut ctx, arg),
            };
        }
    }
    match ctx.out.flush() {
        Ok(()) => status,
        Err(e) => crate::text::write_failed("sysctl", &e),
    }
}

/// The file of `key`: dots become slashes unless the key has slashes
/// already (then dots are part of names, like `eth0.1`).
fn key_path(root: &Path, key: &[u8]) -> PathBuf {
    let key = key.strip_prefix(b"/").unwrap_or(key);
    let rel: Vec<u8> = if key.contains(&b'/') {
        key.to_vec()
    } else {
        key.iter()
            .map(|&b| if b == b'.' { b'/' } else { b })
            .collect()
    };
    root.join(std::ffi::OsStr::from_bytes(&rel))
}

/// The dotted name shown for the file at `path`.
fn key_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.to_string_lossy().replace('/', ".")
}

/// Shows one key, or every key under it if it is a directory.
fn show_key(ctx: &mut Ctx, key: &[u8]) -> i32 {
    let path = key_path(&ctx.root, key);
    if path.is_dir() {
        return show_tree(ctx, &path);
    }
    show_file(ctx, &path, true)
}

/// Shows every readable key under `dir`, sorted by name.
fn show_tree(ctx: &mut Ctx, dir: &Path) -> i32 {
    let names = match crate::fsutil::read_dir_sorted(dir) {
        Ok(n) => n,
        Err(e) => {
            perror("sysctl", dir.display(), &e);
            return 1;
        }
    };
    let mut status = 0;
    for name in names {
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => status |= show_tree(ctx, &path),
            // Write-only keys (like vm.compact_memory) are skipped.
            Ok(m) if m.permissions().mode() & 0o444 == 0 => {}
            Ok(_) => status |= show_file(ctx, &path, false),
            Err(_) => {}
        }
    }
    status
}

/// Prints `key = value` (or the value alone with -n). `named` says the key
/// was asked for by name, so that a missing one is an error.
fn show_file(ctx: &mut Ctx, path: &Path, named: bool) -> i32 {
    let name = key_name(&ctx.root, path);
    let value = match std::fs::read(path) {
        Ok(v) => v,
        Err(e) => return report(ctx, &name, &e, "read", named),
    };
    let value = value.strip_suffix(b"\n").unwrap_or(&value);
    print(ctx, &name, value)
}

/// Writes `key = value` (or the value alone) to standard output.
fn print(ctx: &mut Ctx, name: &str, value: &[u8]) -> i32 {
    let mut line = Vec::new();
    if ctx.p.has('N') {
        line.extend_from_slice(name.as_bytes());
        line.push(b'\n');
        return match ctx.out.write_all(&line) {
            Ok(()) => 0,
            Err(e) => crate::text::write_failed("sysctl", &e),
        };
    }
    if !ctx.p.has('n') {
        line.extend_from_slice(name.as_bytes());
        line.extend_from_slice(b" = ");
    }
    line.extend_from_slice(value);
    line.push(b'\n');
    match ctx.out.write_all(&line) {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("sysctl", &e),
    }
}

/// BusyBox's messages for a key that could not be read or written.
fn report(ctx: &Ctx, name: &str, e: &std::io::Error, verb: &str, named: bool) -> i32 {
    match e.kind() {
        // Unreadable keys are quietly left out of a listing.
        ErrorKind::PermissionDenied if !named => return 0,
        ErrorKind::NotFound | ErrorKind::NotADirectory => {
            if !ctx.p.has('e') {
                error_msg("sysctl", &format!("error: '{name}' is an unknown key"));
            }
        }
        _ => perror("sysctl", format!("error {verb}ing key '{name}'"), e),
    }
    1
}

/// Writes `value` to `key` and shows the new setting (unless -q).
fn set(ctx: &mut Ctx, key: &[u8], value: &[u8]) -> i32 {
    let key = key.trim_ascii();
    let value = value.trim_ascii();
    if key.is_empty() {
        error_msg(
            "sysctl",
            &format!(
                "error: malformed setting '={}'",
                String::from_utf8_lossy(value)
            ),
        );
        return 1;
    }
    let path = key_path(&ctx.root, key);
    let name = key_name(&ctx.root, &path);
    // Never create: a key that does not exist is unknown, as in /proc/sys.
    let result = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .and_then(|mut f| f.write_all(value));
    if let Err(e) = result {
        let verb = "sett";
        return report(ctx, &name, &e, verb, true);
    }
    if ctx.p.has('q') {
        return 0;
    }
    print(ctx, &name, value)
}

/// -p FILE: `key = value` lines; `#` and `;` start comments.
fn load(ctx: &mut Ctx, file: &OsString) -> i32 {
    let text = match crate::text::read_all(file) {
        Ok(t) => t,
        Err(e) => {
            crate::text::report_open("sysctl", file, &e);
            return 1;
        }
    };
    let mut status = 0;
    for line in text.split(|&b| b == b'\n') {
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") || line.starts_with(b";") {
            continue;
        }
        match line.iter().position(|&b| b == b'=') {
            Some(eq) => status |= set(ctx, &line[..eq], &line[eq + 1..]),
            None => {
                error_msg(
                    "sysctl",
                    &format!(
                        "error: '{}' must be of the form name=value",
                        String::from_utf8_lossy(line)
                    ),
                );
                status = 1;
            }
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_paths() {
        let root = Path::new("/r");
        assert_eq!(
            key_path(root, b"net.ipv4.ip_forward"),
            Path::new("/r/net/ipv4/ip_forward")
        );
        assert_eq!(
            key_path(root, b"net/ipv4/conf/eth0.1/rp_filter"),
            Path::new("/r/net/ipv4/conf/eth0.1/rp_filter")
        );
        assert_eq!(
            key_name(root, Path::new("/r/kernel/ostype")),
            "kernel.ostype"
        );
    }
}
