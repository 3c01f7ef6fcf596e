//! `ibex kernel config`: edit a board's kernel configuration (menuconfig or
//! a command) and write the change back into the board's own fragment.
//!
//! The board's fragments are merged onto tinyconfig in the order its
//! definition lists them, the board's own `kernel/config/<board>.config`
//! last, so a line there overrides base.config and the arch fragment. The
//! edit happens on a scratch copy of the resolved `.config`; the fragment is
//! only replaced (atomically) once the new set of fragments resolves with
//! every requested symbol as written, and put back as it was otherwise.

use crate::build::{kernel_builder, write_atomic};
use crate::definitions::Board;
use crate::Error;
use ibex_kernel::fragment::{self, Change};
use ibex_kernel::{check, parse_config, Tree};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How the configuration is edited.
#[derive(Debug, Clone)]
pub enum Editor {
    /// `make menuconfig` on this terminal.
    Menuconfig,
    /// A shell command (`sh -c`), with `$KCONFIG_CONFIG` the scratch
    /// `.config`, `$KERNEL_TREE` the kernel source (also its working
    /// directory) and `$KERNEL_BUILD` the board's build tree.
    Command(String),
}

/// What an edit did.
#[derive(Debug)]
pub struct Outcome {
    /// Every symbol whose resolved value changed (empty: nothing to do).
    pub changes: Vec<Change>,
    /// The lines written into the fragment (a subset of `changes`: values
    /// that follow from the others by Kconfig's own rules are left out).
    pub written: Vec<Change>,
    /// The board's fragment.
    pub fragment: PathBuf,
    /// Hardening check of the new configuration.
    pub report: check::Report,
    /// Rules that held (or were waived) before and fail now.
    pub broken: Vec<String>,
    /// Settings the edit made that Kconfig then undid (unmet dependencies):
    /// `old` is what the edit set, `new` what Kconfig resolved.
    pub dropped: Vec<Change>,
}

/// A directory of this run in the system's temporary directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, Error> {
        let base = std::env::temp_dir();
        for n in 0..1000u32 {
            let dir = base.join(format!("ibex-kernel-config-{}-{n}", std::process::id()));
            match fs::create_dir(&dir) {
                Ok(()) => return Ok(Scratch(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::Io(dir, e)),
            }
        }
        Err(Error::Invalid("cannot make a scratch directory".into()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Only the directory created above.
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Edits `board_name`'s configuration with `editor` and writes the change
/// into `kernel/config/<board>.config` under `root`.
pub fn config(
    root: &Path,
    board_name: &str,
    editor: &Editor,
    verbose: bool,
) -> Result<Outcome, Error> {
    let board = Board::load(root, board_name)?;
    let fragment = root
        .join("kernel/config")
        .join(format!("{}.config", board.name));
    if board.kernel.fragments.last() != Some(&board.name) {
        return Err(Error::Invalid(format!(
            "board '{}' must list its own fragment '{}' last in kernel.fragments \
             (the last fragment wins), found {:?}",
            board.name, board.name, board.kernel.fragments
        )));
    }
    // One kernel operation at a time in the work area, for the whole edit:
    // the build trees and their `defconfig` scratch name are shared.
    let (builder, spec, _lock) = kernel_builder(root, &board, verbose)?;
    let tree = builder.configure(&spec)?;
    let before_path = tree.resolved_path();
    let before = fs::read_to_string(&before_path).map_err(Error::io(&before_path))?;

    let scratch = Scratch::new()?;
    let edited = scratch.0.join("config");
    fs::write(&edited, &before).map_err(Error::io(&edited))?;
    match editor {
        Editor::Menuconfig => tree.menuconfig(&edited)?,
        Editor::Command(cmd) => run_edit_command(&tree, &edited, cmd)?,
    }
    let raw = fs::read_to_string(&edited).map_err(Error::io(&edited))?;
    tree.kconfig(&edited, "olddefconfig")?;
    let after = fs::read_to_string(&edited).map_err(Error::io(&edited))?;
    let changes = fragment::diff(&before, &after);
    let edit_set: HashSet<String> = fragment::diff(&before, &raw)
        .into_iter()
        .map(|c| c.symbol)
        .collect();
    let dropped: Vec<Change> = fragment::diff(&raw, &after)
        .into_iter()
        .filter(|c| edit_set.contains(&c.symbol))
        .collect();
    if changes.is_empty() {
        return Ok(Outcome {
            changes,
            written: Vec::new(),
            fragment,
            report: check::check(&before, &board.kernel.arch, &waivers(&board)),
            broken: Vec::new(),
            dropped,
        });
    }

    // What to write: the symbols either configuration sets to something
    // other than its Kconfig default (savedefconfig's list; values that
    // follow from those are left to Kconfig), and every changed symbol a
    // fragment requests otherwise (the board's line must override it).
    let before_file = scratch.0.join("before");
    fs::write(&before_file, &before).map_err(Error::io(&before_file))?;
    // A symbol explicit only before that the edit made disappear (its
    // dependencies went) follows from the others too.
    let visible_after: HashSet<String> = parse_config(&after).into_iter().map(|(s, _)| s).collect();
    let mut explicit: HashSet<String> = HashSet::new();
    for (config, is_before) in [(&before_file, true), (&edited, false)] {
        let min = tree.savedefconfig(config)?;
        explicit.extend(
            parse_config(&min)
                .into_iter()
                .map(|(s, _)| s)
                .filter(|s| !is_before || visible_after.contains(s)),
        );
    }
    let mut texts = Vec::new();
    for path in &spec.fragments {
        texts.push((
            path.clone(),
            fs::read_to_string(path).map_err(Error::io(path))?,
        ));
    }
    let mut requested: HashMap<String, String> = HashMap::new();
    for (_, text) in &texts {
        requested.extend(parse_config(text));
    }
    let mut written: Vec<Change> = changes
        .iter()
        .filter(|c| {
            explicit.contains(&c.symbol) || requested.get(&c.symbol).is_some_and(|v| *v != c.new)
        })
        .cloned()
        .collect();

    let old_bytes = fs::read(&fragment).map_err(Error::io(&fragment))?;
    let old_text = String::from_utf8_lossy(&old_bytes).into_owned();
    let stamp = format!("ibex kernel config, {}", today());
    // Kconfig may not derive a left-out value the same way from the
    // fragments as it did in the edited copy (a value the copy held
    // explicitly but the fragments never set, say): then the symbols that are
    // explicit settings are written too and the fragments resolved again.
    // What still differs after that cannot be said in a fragment.
    let result = (|| -> Result<String, Error> {
        for _round in 0..3 {
            let new_text = fragment::apply(&old_text, &written, &stamp);
            write_atomic(&fragment, new_text.as_bytes())?;
            // configure() refuses fragments whose requested symbols do not
            // all resolve as written.
            let tree = builder.configure(&spec)?;
            let path = tree.resolved_path();
            let resolved = fs::read_to_string(&path).map_err(Error::io(&path))?;
            let differ = fragment::diff(&after, &resolved);
            if differ.is_empty() {
                return Ok(resolved);
            }
            let more: Vec<Change> = differ
                .iter()
                .filter(|c| explicit.contains(&c.symbol))
                .filter(|c| !written.iter().any(|w| w.symbol == c.symbol))
                .map(|c| Change {
                    symbol: c.symbol.clone(),
                    old: c.new.clone(),
                    new: c.old.clone(),
                })
                .collect();
            if more.is_empty() {
                let list: Vec<String> = differ
                    .iter()
                    .map(|c| format!("  {}: edited {}, fragments give {}", c.symbol, c.old, c.new))
                    .collect();
                return Err(Error::Invalid(format!(
                    "the fragments do not reproduce the edited configuration:\n{}",
                    list.join("\n")
                )));
            }
            written.extend(more);
            written.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        }
        Err(Error::Invalid(
            "the fragments do not reproduce the edited configuration".into(),
        ))
    })();
    let resolved = match result {
        Ok(resolved) => resolved,
        Err(e) => {
            write_atomic(&fragment, &old_bytes)?;
            return Err(Error::Invalid(format!(
                "{e}\nrefused: {} is unchanged",
                fragment.display()
            )));
        }
    };

    let waivers = waivers(&board);
    let old_report = check::check(&before, &board.kernel.arch, &waivers);
    let report = check::check(&resolved, &board.kernel.arch, &waivers);
    let failing = |r: &check::Report| -> HashSet<&'static str> {
        r.findings
            .iter()
            .filter(|f| matches!(f.verdict, check::Verdict::Fail(_)))
            .map(|f| f.rule.name)
            .collect()
    };
    let was = failing(&old_report);
    let mut broken: Vec<String> = failing(&report)
        .into_iter()
        .filter(|r| !was.contains(r))
        .map(str::to_string)
        .collect();
    broken.sort();
    Ok(Outcome {
        changes,
        written,
        fragment,
        report,
        broken,
        dropped,
    })
}

fn waivers(board: &Board) -> HashMap<String, String> {
    board.hardening.waive.clone().into_iter().collect()
}

fn run_edit_command(tree: &Tree, config: &Path, cmd: &str) -> Result<(), Error> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(&tree.source)
        .env("KCONFIG_CONFIG", config)
        .env("KERNEL_TREE", &tree.source)
        .env("KERNEL_BUILD", &tree.dir)
        .env("ARCH", &tree.spec.arch)
        .status()
        .map_err(|e| Error::Tool(format!("cannot run sh: {e}")))?;
    if !status.success() {
        return Err(Error::Tool(format!(
            "edit command failed ({status}); nothing was written"
        )));
    }
    Ok(())
}

/// Today's date (UTC) as YYYY-MM-DD.
fn today() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    ibex_control::format_time(ms)[..10].to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn today_is_a_date() {
        let d = super::today();
        assert_eq!(d.len(), 10);
        assert!(d.starts_with("20"));
    }
}
