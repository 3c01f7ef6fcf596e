//! Editing fragments: what changed between two resolved configurations, and
//! writing such a change into a fragment with as few edits as possible.

use crate::parse_config;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// One symbol whose resolved value differs between two configurations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Symbol, with its `CONFIG_` prefix.
    pub symbol: String,
    /// Value before (`n` when unset or absent).
    pub old: String,
    /// Value after (`n` when unset or absent).
    pub new: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.old == "n" {
            write!(f, "+{}={}", self.symbol, self.new)
        } else if self.new == "n" {
            write!(f, "-{}", self.symbol)
        } else {
            write!(f, "{}: {} -> {}", self.symbol, self.old, self.new)
        }
    }
}

impl Change {
    /// The fragment line that requests the new value.
    pub fn line(&self) -> String {
        config_line(&self.symbol, &self.new)
    }
}

/// `CONFIG_X=v`, or `# CONFIG_X is not set` for `n`.
pub fn config_line(symbol: &str, value: &str) -> String {
    if value == "n" {
        format!("# {symbol} is not set")
    } else {
        format!("{symbol}={value}")
    }
}

/// Every symbol whose value differs between `before` and `after` (both
/// `.config` texts), sorted by name. A symbol missing from one side counts as
/// `n`, so one that disappears because its dependencies went away is a change
/// to `n`.
pub fn diff(before: &str, after: &str) -> Vec<Change> {
    let old: HashMap<String, String> = parse_config(before).into_iter().collect();
    let new: HashMap<String, String> = parse_config(after).into_iter().collect();
    let mut symbols: BTreeMap<&str, ()> = BTreeMap::new();
    for s in old.keys().chain(new.keys()) {
        symbols.insert(s, ());
    }
    let value = |m: &HashMap<String, String>, s: &str| m.get(s).cloned().unwrap_or("n".into());
    symbols
        .keys()
        .filter_map(|s| {
            let (o, n) = (value(&old, s), value(&new, s));
            (o != n).then(|| Change {
                symbol: s.to_string(),
                old: o,
                new: n,
            })
        })
        .collect()
}

/// Writes `changes` into the fragment `text`: a line that already sets a
/// changed symbol is replaced in place, the other symbols are appended below
/// one `# <stamp>` comment line; every other line is kept byte for byte.
pub fn apply(text: &str, changes: &[Change], stamp: &str) -> String {
    let wanted: HashMap<&str, &Change> = changes.iter().map(|c| (c.symbol.as_str(), c)).collect();
    let mut replaced: Vec<&str> = Vec::new();
    let mut out = String::with_capacity(text.len() + 64 * changes.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let sets = parse_config(body).into_iter().next().map(|(s, _)| s);
        match sets.as_deref().and_then(|s| wanted.get(s)) {
            Some(change) => {
                out.push_str(&change.line());
                out.push('\n');
                replaced.push(change.symbol.as_str());
            }
            None => out.push_str(line),
        }
    }
    let appended: Vec<&Change> = changes
        .iter()
        .filter(|c| !replaced.contains(&c.symbol.as_str()))
        .collect();
    if !appended.is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("# {stamp}\n"));
        for c in appended {
            out.push_str(&c.line());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_counts_absent_as_unset() {
        let before = "CONFIG_A=y\nCONFIG_B=m\nCONFIG_C=y\n# CONFIG_D is not set\n";
        let after = "# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_D=y\nCONFIG_E=\"x\"\n";
        let d = diff(before, after);
        let shown: Vec<String> = d.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            shown,
            [
                "-CONFIG_A",
                "CONFIG_B: m -> y",
                "-CONFIG_C",
                "+CONFIG_D=y",
                "+CONFIG_E=\"x\""
            ]
        );
        assert!(diff(before, before).is_empty());
    }

    #[test]
    fn apply_replaces_in_place_and_appends_once() {
        let text = "# comment\nCONFIG_A=y\n\n# CONFIG_B is not set\nCONFIG_C=y";
        let changes = diff(
            "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_D=y\n",
            "# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_E=m\n",
        );
        let out = apply(text, &changes, "ibex kernel config, 2026-01-01");
        assert_eq!(
            out,
            "# comment\n# CONFIG_A is not set\n\nCONFIG_B=y\nCONFIG_C=y\n\
             # ibex kernel config, 2026-01-01\n# CONFIG_D is not set\nCONFIG_E=m\n"
        );
        assert_eq!(apply(text, &[], "x"), text);
    }
}
