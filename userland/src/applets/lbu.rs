//! `lbu status|list|diff|commit|revert|include|exclude`: save what the user
//! changed under /etc (and included paths) to the persistent medium, as
//! Alpine's lbu does for a system that runs from RAM; init restores it at
//! boot. The mechanism is the `ibex_lbu` crate.

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use ibex_lbu::archive::valid_path;
use ibex_lbu::archive::Kind;
use ibex_lbu::Change;
use std::ffi::OsString;
use std::path::Path;

pub const USAGE: &str = "COMMAND [OPTIONS] [PATH...]\n\nSave configuration changes to the persistent medium (LBU_MEDIA in\n/etc/lbu/lbu.conf; by default the GPT partition named 'data')\n\n\tstatus|st\tList what differs from the image (A added, M modified,\n\t\t\tD deleted)\n\tlist|ls\t\tList the files the next commit would save\n\tdiff [-u]\tList what changed since the last commit; -u also shows\n\t\t\tmodified files as unified diffs\n\tcommit|ci [-v]\tSave the changes; -v lists what is saved\n\trevert\t\tMake the previous commit the one restored at boot\n\tinclude [-r] [PATH...]\tAlso save PATH (-r: stop saving it); no PATH lists\n\texclude [-r] [PATH...]\tNever save PATH (-r: save it again); no PATH lists";

const NAME: &str = "lbu";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "vrlu", &[("verbose", 'v'), ("unified", 'u')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let Some((command, rest)) = p.operands.split_first() else {
        return usage_error(NAME, "give a command");
    };
    let root = Path::new("/");
    let rest: Vec<String> = rest.iter().map(|a| lossy(a).into_owned()).collect();
    let result = match lossy(command).as_ref() {
        "status" | "st" => status(root),
        "list" | "ls" => list(root),
        "diff" => diff(root, p.has('u')),
        "commit" | "ci" => commit(root, p.has('v')),
        "revert" => revert(root),
        "include" | "inc" => edit_list(root, ibex_lbu::INCLUDE, &rest, p.has('r')),
        "exclude" | "ex" => edit_list(root, ibex_lbu::EXCLUDE, &rest, p.has('r')),
        other => return usage_error(NAME, &format!("unknown command '{other}'")),
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            error_msg(NAME, &msg);
            1
        }
    }
}

fn print_changes(paths: &[(Change, String)]) {
    for (change, path) in paths {
        println!("{} {path}", change.letter());
    }
}

fn warn_problems(problems: &[String]) {
    for p in problems {
        error_msg(NAME, &format!("skipped {p}"));
    }
}

fn status(root: &Path) -> Result<(), String> {
    let c = ibex_lbu::changes(root).map_err(|e| e.to_string())?;
    warn_problems(&c.problems);
    print_changes(&c.paths);
    Ok(())
}

fn list(root: &Path) -> Result<(), String> {
    let c = ibex_lbu::changes(root).map_err(|e| e.to_string())?;
    warn_problems(&c.problems);
    for e in &c.archive.entries {
        if !matches!(e.kind, Kind::Dir) {
            println!("{}", e.path);
        }
    }
    Ok(())
}

fn diff(root: &Path, unified: bool) -> Result<(), String> {
    let m = ibex_lbu::open_medium(root, false).map_err(|e| e.to_string())?;
    let (seq, last) = ibex_lbu::last_commit(&m)
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let c = ibex_lbu::changes(root).map_err(|e| e.to_string())?;
    warn_problems(&c.problems);
    let changed = ibex_lbu::diff(&last, &c.archive);
    print_changes(&changed);
    if unified {
        for (change, path) in &changed {
            let old = last.entries.iter().find(|e| &e.path == path);
            if let (Change::Modified, Some(Kind::File(data))) = (change, old.map(|e| &e.kind)) {
                show_unified(seq, path, data)?;
            }
        }
    }
    Ok(())
}

/// Runs the `diff` applet between the committed contents of `path` (put in
/// a file under /tmp, which is RAM) and the file as it is now.
fn show_unified(seq: u64, path: &str, committed: &[u8]) -> Result<(), String> {
    let tmp = std::env::temp_dir().join(format!(".lbu-diff-{}", std::process::id()));
    std::fs::write(&tmp, committed).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let args: Vec<OsString> = [
        "diff".into(),
        "-u".into(),
        "-L".into(),
        format!("{path} (commit #{seq})"),
        "-L".into(),
        path.to_string(),
        tmp.display().to_string(),
        path.to_string(),
    ]
    .into_iter()
    .map(OsString::from)
    .collect();
    super::diff::main(args);
    let _ = std::fs::remove_file(&tmp);
    Ok(())
}

fn commit(root: &Path, verbose: bool) -> Result<(), String> {
    let m = ibex_lbu::open_medium(root, true).map_err(|e| e.to_string())?;
    let (seq, c) = ibex_lbu::commit(root, &m).map_err(|e| e.to_string())?;
    warn_problems(&c.problems);
    if verbose {
        print_changes(&c.paths);
    }
    eprintln!(
        "{NAME}: saved {} files to {} (commit #{seq})",
        c.archive.files(),
        m.path.display()
    );
    Ok(())
}

fn revert(root: &Path) -> Result<(), String> {
    let m = ibex_lbu::open_medium(root, true).map_err(|e| e.to_string())?;
    match ibex_lbu::record::revert(&m).map_err(|e| e.to_string())? {
        Some(h) => {
            eprintln!(
                "{NAME}: the previous commit is now commit #{}; it is restored at the next boot",
                h.seq
            );
            Ok(())
        }
        None => Err(format!(
            "{}: no previous commit to revert to",
            m.path.display()
        )),
    }
}

/// Adds (or with `remove`, removes) `paths` to a list file; lists it when
/// no path is given.
fn edit_list(root: &Path, rel: &str, paths: &[String], remove: bool) -> Result<(), String> {
    let mut list = ibex_lbu::read_list(root, rel);
    if paths.is_empty() {
        for p in &list {
            println!("{p}");
        }
        return Ok(());
    }
    for p in paths {
        let p = absolute(p)?;
        if remove {
            list.retain(|x| *x != p);
        } else if !list.contains(&p) {
            list.push(p);
        }
    }
    let file = root.join(rel);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text: String = list.iter().map(|p| format!("{p}\n")).collect();
    let tmp = file.with_extension("lbu-new");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &file))
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// `p` as an absolute, normalised path (relative to the working directory
/// when it is relative); refuses `..`.
fn absolute(p: &str) -> Result<String, String> {
    let full = if p.starts_with('/') {
        p.to_string()
    } else {
        let cwd = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
        format!("{}/{p}", cwd.display())
    };
    let parts: Vec<&str> = full
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let norm = format!("/{}", parts.join("/"));
    if valid_path(&norm) {
        Ok(norm)
    } else {
        Err(format!("'{p}': give a path below / without '..'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_absolute() {
        assert_eq!(absolute("/etc/ssh/").unwrap(), "/etc/ssh");
        assert_eq!(absolute("/srv/./www").unwrap(), "/srv/www");
        assert!(absolute("/etc/../root").is_err());
        assert!(absolute("/").is_err());
    }
}
