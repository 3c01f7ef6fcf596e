//! Dependency solving: from the world (what the user asked for) and the
//! packages on offer, the set of packages to have installed.
//!
//! A depth-first search with backtracking over the candidates of each
//! dependency, newest first (or the installed version first unless
//! upgrading). Repositories on a router are small, so this is plenty; a
//! step limit keeps a pathological repository from hanging the device.
//! When nothing works, the error names the deepest chain that failed,
//! from the world down to the dependency nobody satisfies.

use ibex_package::{version, Dependency, Provide};
use std::cmp::Ordering;

/// One package that could be installed.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Package name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// What it needs.
    pub depends: Vec<Dependency>,
    /// What else it answers to.
    pub provides: Vec<Provide>,
    /// What it cannot be installed with.
    pub conflicts: Vec<Dependency>,
    /// Whether this exact version is the one installed now.
    pub installed: bool,
}

impl Candidate {
    /// Whether this package satisfies `dep` by name or by a provide.
    pub fn satisfies(&self, dep: &Dependency) -> bool {
        dep.matches(&self.name, Some(&self.version))
            || self
                .provides
                .iter()
                .any(|p| dep.matches(&p.name, p.version.as_deref()))
    }

    fn conflicts_with(&self, other: &Candidate) -> bool {
        self.conflicts.iter().any(|d| other.satisfies(d))
    }

    fn label(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }
}

#[derive(Clone)]
struct Pending {
    dep: Dependency,
    /// Who asked for it: "world", then package labels.
    chain: Vec<String>,
}

struct Search<'a> {
    candidates: &'a [Candidate],
    upgrade: bool,
    steps: usize,
    failure: Option<(usize, String)>,
}

const STEP_LIMIT: usize = 200_000;

impl Search<'_> {
    fn fail(&mut self, p: &Pending, why: String) {
        let depth = p.chain.len();
        if self.failure.as_ref().is_none_or(|(d, _)| depth >= *d) {
            let mut chain = p.chain.join(" → ");
            chain.push_str(&format!(" → {}", p.dep));
            self.failure = Some((depth, format!("{chain}: {why}")));
        }
    }

    fn prefer(&self, a: usize, b: usize) -> Ordering {
        let (a, b) = (&self.candidates[a], &self.candidates[b]);
        if !self.upgrade && a.name == b.name && a.installed != b.installed {
            return b.installed.cmp(&a.installed);
        }
        version::compare(&b.version, &a.version)
            .then(b.installed.cmp(&a.installed))
            .then(a.name.cmp(&b.name))
    }

    fn go(&mut self, chosen: &mut Vec<usize>, pending: &[Pending]) -> bool {
        let Some((first, rest)) = pending.split_first() else {
            return true;
        };
        let cands = self.candidates;
        if chosen.iter().any(|&c| cands[c].satisfies(&first.dep)) {
            return self.go(chosen, rest);
        }
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            self.fail(first, "too many combinations to try".into());
            return false;
        }
        let mut options: Vec<usize> = (0..cands.len())
            .filter(|&i| cands[i].satisfies(&first.dep))
            .collect();
        if options.is_empty() {
            let others: Vec<String> = cands
                .iter()
                .filter(|c| c.name == first.dep.name)
                .map(Candidate::label)
                .collect();
            let why = if others.is_empty() {
                "no such package".to_string()
            } else {
                format!("no version matches (available: {})", others.join(", "))
            };
            self.fail(first, why);
            return false;
        }
        ibex_sort::sort_by(&mut options, |&a, &b| self.prefer(a, b));
        for o in options {
            let c = &cands[o];
            if let Some(&same) = chosen.iter().find(|&&x| cands[x].name == c.name) {
                self.fail(
                    first,
                    format!("needs {} but {} is chosen", c.label(), cands[same].label()),
                );
                continue;
            }
            if let Some(&x) = chosen
                .iter()
                .find(|&&x| c.conflicts_with(&cands[x]) || cands[x].conflicts_with(c))
            {
                self.fail(
                    first,
                    format!("{} conflicts with {}", c.label(), cands[x].label()),
                );
                continue;
            }
            chosen.push(o);
            let mut next = rest.to_vec();
            let mut chain = first.chain.clone();
            chain.push(c.label());
            next.extend(c.depends.iter().map(|d| Pending {
                dep: d.clone(),
                chain: chain.clone(),
            }));
            if self.go(chosen, &next) {
                return true;
            }
            chosen.pop();
        }
        false
    }
}

/// Chooses packages from `candidates` that satisfy every dependency in
/// `world` and each other's, without conflicts and with one version per
/// name. Returns the chosen candidates' indexes, or why it is impossible.
pub fn solve(
    world: &[Dependency],
    candidates: &[Candidate],
    upgrade: bool,
) -> Result<Vec<usize>, String> {
    let mut search = Search {
        candidates,
        upgrade,
        steps: 0,
        failure: None,
    };
    let pending: Vec<Pending> = world
        .iter()
        .map(|d| Pending {
            dep: d.clone(),
            chain: vec!["world".to_string()],
        })
        .collect();
    let mut chosen = Vec::new();
    if search.go(&mut chosen, &pending) {
        ibex_sort::sort_by(&mut chosen, |&a, &b| {
            candidates[a].name.cmp(&candidates[b].name)
        });
        Ok(chosen)
    } else {
        Err(search
            .failure
            .map(|(_, why)| why)
            .unwrap_or_else(|| "unsatisfiable".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(spec: &str, depends: &[&str], conflicts: &[&str], installed: bool) -> Candidate {
        let (name, version) = spec.split_once(' ').unwrap();
        let deps = |l: &[&str]| l.iter().map(|d| Dependency::parse(d).unwrap()).collect();
        Candidate {
            name: name.into(),
            version: version.into(),
            depends: deps(depends),
            provides: vec![],
            conflicts: deps(conflicts),
            installed,
        }
    }

    fn names(cands: &[Candidate], chosen: &[usize]) -> Vec<String> {
        chosen.iter().map(|&i| cands[i].label()).collect()
    }

    fn world(l: &[&str]) -> Vec<Dependency> {
        l.iter().map(|d| Dependency::parse(d).unwrap()).collect()
    }

    #[test]
    fn picks_newest_and_backtracks() {
        let cands = vec![
            c("app 2.0", &["lib>=2"], &[], false),
            c("app 1.0", &["lib"], &[], false),
            c("lib 1.5", &[], &[], false),
        ];
        // app 2.0 needs lib>=2, which does not exist: falls back to app 1.0.
        let got = solve(&world(&["app"]), &cands, false).unwrap();
        assert_eq!(names(&cands, &got), ["app-1.0", "lib-1.5"]);
    }

    #[test]
    fn keeps_installed_unless_upgrading() {
        let cands = vec![c("a 1.0", &[], &[], true), c("a 1.1", &[], &[], false)];
        let keep = solve(&world(&["a"]), &cands, false).unwrap();
        assert_eq!(names(&cands, &keep), ["a-1.0"]);
        let up = solve(&world(&["a"]), &cands, true).unwrap();
        assert_eq!(names(&cands, &up), ["a-1.1"]);
    }

    #[test]
    fn provides_and_conflicts() {
        let mut mta = c("tinymail 1.0", &[], &["bigmail"], false);
        mta.provides.push(Provide {
            name: "mail".into(),
            version: None,
        });
        let cands = vec![mta, c("bigmail 1.0", &[], &[], false)];
        let got = solve(&world(&["mail"]), &cands, false).unwrap();
        assert_eq!(names(&cands, &got), ["tinymail-1.0"]);
        let err = solve(&world(&["mail", "bigmail"]), &cands, false).unwrap_err();
        assert!(err.contains("conflicts with"), "{err}");
    }

    #[test]
    fn explains_the_failing_chain() {
        let cands = vec![
            c("app 1.0", &["mid"], &[], false),
            c("mid 1.0", &["lib>=3"], &[], false),
            c("lib 2.1", &[], &[], false),
        ];
        let err = solve(&world(&["app"]), &cands, false).unwrap_err();
        assert_eq!(
            err,
            "world → app-1.0 → mid-1.0 → lib>=3: no version matches (available: lib-2.1)"
        );
        let err = solve(&world(&["nope"]), &cands, false).unwrap_err();
        assert_eq!(err, "world → nope: no such package");
    }
}
