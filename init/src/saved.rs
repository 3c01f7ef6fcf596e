//! The saved configuration (`ibox lbu commit`): restored at boot before
//! the plan is read and any service starts, so that services see the
//! user's /etc and not the image's. The mechanism is the `ibex_lbu` crate;
//! this is only where init calls it and what it logs.

use crate::log;
use std::path::Path;

/// Restores the archive in force on the configured medium under `root`,
/// logging what happened. Never fails: without a usable archive the system
/// boots with the image's configuration.
pub fn restore(root: &Path) {
    let outcome = ibex_lbu::restore_at_boot(root);
    match &outcome {
        // No data partition: a system that saves nothing; say so quietly.
        ibex_lbu::Restored::NoMedium(_) => {}
        ibex_lbu::Restored::Done { errors, .. } => {
            for e in errors {
                log!("lbu: cannot restore {e}");
            }
        }
        _ => {}
    }
    if !matches!(outcome, ibex_lbu::Restored::NoMedium(_)) {
        log!("{outcome}");
    }
}

/// The host name to set: the first line of `root`/etc/hostname when it has
/// one (the user may have changed it, as on Alpine), else the plan's.
pub fn hostname(root: &Path, plan: &str) -> String {
    let text = std::fs::read_to_string(root.join("etc/hostname")).unwrap_or_default();
    match text.lines().next().map(str::trim) {
        Some(name) if !name.is_empty() && name.len() <= 64 => name.to_string(),
        _ => plan.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_prefers_etc_hostname() {
        let dir = std::env::temp_dir().join(format!("ibex-init-saved-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        assert_eq!(hostname(&dir, "ibex"), "ibex");
        std::fs::write(dir.join("etc/hostname"), "\n").unwrap();
        assert_eq!(hostname(&dir, "ibex"), "ibex");
        std::fs::write(dir.join("etc/hostname"), "box \nmore\n").unwrap();
        assert_eq!(hostname(&dir, "ibex"), "box");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
