//! Package recipes: `packages/<name>/recipe.toml`, one readable file per
//! package (like an Alpine APKBUILD, but data rather than a program, except
//! for its `build` script). Everything that can be checked before building
//! is checked here, with the recipe file named in each message.

use crate::services::ServiceDef;
use crate::Error;
use ibex_package::{version, Dependency, Op, Provide};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The hardening checks a `[[waive]]` can name.
pub const CHECKS: &[&str] = &[
    "interpreter",
    "pie",
    "nx-stack",
    "relro",
    "bind-now",
    "stack-protector",
];

/// A recipe as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeDef {
    /// Package name.
    pub name: String,
    /// Package version (`1.2.3-r0`).
    pub version: String,
    /// Architecture, or `noarch` for a package without ELF files; the
    /// build's architecture when absent.
    pub arch: Option<String>,
    /// One line.
    #[serde(default)]
    pub description: String,
    /// SPDX licence expression.
    #[serde(default)]
    pub license: String,
    /// Upstream home page.
    #[serde(default)]
    pub url: String,
    /// `name`, `name>=1.2`, ...
    #[serde(default)]
    pub depends: Vec<String>,
    /// `name` or `name=1.2`.
    #[serde(default)]
    pub provides: Vec<String>,
    /// Packages that must not be installed with this one.
    #[serde(default)]
    pub conflicts: Vec<String>,
    /// Absolute paths of the files the user may edit.
    #[serde(default)]
    pub config: Vec<String>,
    /// Absolute paths allowed to carry set-uid/set-gid bits.
    #[serde(default)]
    pub setuid: Vec<String>,
    /// Absolute path → `user:group` (names of the standard accounts or
    /// numbers); everything else is owned by root.
    #[serde(default)]
    pub owners: BTreeMap<String, String>,
    /// Sources, fetched and unpacked into `$SRCDIR` in order.
    #[serde(default)]
    pub source: Vec<SourceDef>,
    /// Shell script (`sh -eu`) that installs into `$DESTDIR`.
    #[serde(default)]
    pub build: String,
    /// Hardening checks switched off, each with a reason.
    #[serde(default)]
    pub waive: Vec<WaiveDef>,
    /// Services for init, with the schema of image service files.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceDef>,
}

/// One `[[source]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDef {
    /// Where to download it (`https://`, `file://`, anything curl takes).
    pub url: Option<String>,
    /// Its SHA-256 (required with `url`).
    pub sha256: Option<String>,
    /// A file or directory of the recipe's own, relative to the recipe.
    pub path: Option<String>,
    /// File name in `$SRCDIR` (for sources that are not extracted).
    pub rename: Option<String>,
    /// Unpack it with tar into `$SRCDIR` (default: when its name looks
    /// like a tarball: .tar, .tar.gz, .tgz, .tar.xz, .tar.bz2, .crate).
    pub extract: Option<bool>,
}

/// One `[[waive]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiveDef {
    /// Relative or absolute path of the file, or `*`.
    pub path: String,
    /// One of [`CHECKS`].
    pub check: String,
    /// Why: shown by `ibex pkg info`.
    pub reason: String,
}

/// Where a source comes from, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Downloaded and checked against the SHA-256.
    Url {
        /// The URL.
        url: String,
        /// Expected SHA-256.
        sha256: [u8; 32],
        /// Name in `$SRCDIR` when not extracted.
        name: String,
        /// Whether to unpack it.
        extract: bool,
    },
    /// A file or directory beside the recipe.
    Path {
        /// Absolute path.
        path: PathBuf,
        /// Name in `$SRCDIR`.
        name: String,
    },
}

/// A recipe whose fields are all valid.
#[derive(Debug, Clone)]
pub struct Recipe {
    /// The recipe file.
    pub file: PathBuf,
    /// Its directory (`$RECIPEDIR`).
    pub dir: PathBuf,
    /// Its bytes, for the build cache key.
    pub text: String,
    /// As written.
    pub def: RecipeDef,
    /// Parsed dependencies.
    pub depends: Vec<Dependency>,
    /// Parsed provides.
    pub provides: Vec<Provide>,
    /// Parsed conflicts.
    pub conflicts: Vec<Dependency>,
    /// Config files, relative.
    pub config: Vec<String>,
    /// Set-id files allowed, relative.
    pub setuid: Vec<String>,
    /// Relative path → (uid, gid).
    pub owners: BTreeMap<String, (u32, u32)>,
    /// Sources.
    pub sources: Vec<Source>,
    /// Waivers with relative paths (or `*`).
    pub waivers: Vec<ibex_package::Waiver>,
}

/// `/etc/foo.conf` → `etc/foo.conf`, refusing relative or unsafe paths.
fn relative(field: &str, path: &str) -> Result<String, String> {
    let rel = path
        .strip_prefix('/')
        .ok_or_else(|| format!("{field}: '{path}' must be an absolute path"))?;
    ibex_package::check_path(rel).map_err(|e| format!("{field}: {e}"))?;
    Ok(rel.to_string())
}

fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Whether a file name looks like a tarball.
fn is_tarball(name: &str) -> bool {
    [".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".crate"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// The recipe file for a directory or file argument.
pub fn recipe_file(arg: &Path) -> PathBuf {
    if arg.is_dir() {
        arg.join("recipe.toml")
    } else {
        arg.to_path_buf()
    }
}

impl Recipe {
    /// Reads and checks `file`.
    pub fn load(file: &Path) -> Result<Recipe, Error> {
        let text = std::fs::read_to_string(file).map_err(Error::io(file))?;
        let file = file.canonicalize().map_err(Error::io(file))?;
        let bad = |msg: String| Error::Invalid(format!("{}: {msg}", file.display()));
        let def: RecipeDef = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        Recipe::check(file.clone(), dir, text, def).map_err(bad)
    }

    fn check(file: PathBuf, dir: PathBuf, text: String, def: RecipeDef) -> Result<Recipe, String> {
        if !version::valid_name(&def.name) {
            return Err(format!(
                "name '{}' is not a package name (1-64 of a-z 0-9 . _ + -, starting with a letter or digit)",
                def.name
            ));
        }
        version::validate(&def.version).map_err(|e| format!("version: {e}"))?;
        if let Some(arch) = &def.arch {
            if !version::valid_name(arch) {
                return Err(format!("arch '{arch}' is not an architecture name"));
            }
        }
        let deps = |field: &str, list: &[String]| -> Result<Vec<Dependency>, String> {
            list.iter()
                .map(|d| Dependency::parse(d).map_err(|e| format!("{field}: {e}")))
                .collect()
        };
        let depends = deps("depends", &def.depends)?;
        let conflicts = deps("conflicts", &def.conflicts)?;
        let mut provides = Vec::new();
        for p in &def.provides {
            let d = Dependency::parse(p).map_err(|e| format!("provides: {e}"))?;
            let version = match d.constraint {
                None => None,
                Some((Op::Equal, v)) => Some(v),
                Some(_) => return Err(format!("provides: '{p}' must be a name or name=version")),
            };
            provides.push(Provide {
                name: d.name,
                version,
            });
        }
        let config = def
            .config
            .iter()
            .map(|p| relative("config", p))
            .collect::<Result<Vec<_>, _>>()?;
        let setuid = def
            .setuid
            .iter()
            .map(|p| relative("setuid", p))
            .collect::<Result<Vec<_>, _>>()?;
        let accounts = crate::accounts::Accounts::standard();
        let mut owners = BTreeMap::new();
        for (path, owner) in &def.owners {
            let rel = relative("owners", path)?;
            let (user, group) = match owner.split_once(':') {
                Some((u, g)) => (u, Some(g)),
                None => (owner.as_str(), None),
            };
            let who = accounts
                .resolve(user, group)
                .map_err(|e| format!("owners: {path}: {e}"))?;
            owners.insert(rel, (who.uid, who.gid));
        }
        let mut sources = Vec::new();
        for (n, s) in def.source.iter().enumerate() {
            let n = n + 1;
            let checked_name = |name: &str| -> Result<String, String> {
                if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                    return Err(format!("source {n}: '{name}' is not a file name"));
                }
                Ok(name.to_string())
            };
            match (&s.url, &s.path) {
                (Some(url), None) => {
                    let sha = s
                        .sha256
                        .as_deref()
                        .ok_or_else(|| format!("source {n}: url without sha256"))?;
                    let sha256 = parse_sha256(sha).ok_or_else(|| {
                        format!("source {n}: sha256 '{sha}' is not 64 hex digits")
                    })?;
                    let base = url
                        .rsplit('/')
                        .next()
                        .filter(|b| !b.is_empty())
                        .unwrap_or("source");
                    let name = checked_name(s.rename.as_deref().unwrap_or(base))?;
                    let extract = s.extract.unwrap_or_else(|| is_tarball(&name));
                    sources.push(Source::Url {
                        url: url.clone(),
                        sha256,
                        name,
                        extract,
                    });
                }
                (None, Some(path)) => {
                    if s.sha256.is_some() || s.extract.is_some() {
                        return Err(format!(
                            "source {n}: sha256 and extract are for url sources"
                        ));
                    }
                    ibex_package::check_path(path).map_err(|e| format!("source {n}: {e}"))?;
                    let base = path.rsplit('/').next().unwrap_or(path);
                    let name = checked_name(s.rename.as_deref().unwrap_or(base))?;
                    sources.push(Source::Path {
                        path: dir.join(path),
                        name,
                    });
                }
                _ => return Err(format!("source {n}: give exactly one of url and path")),
            }
        }
        let mut waivers = Vec::new();
        for w in &def.waive {
            if !CHECKS.contains(&w.check.as_str()) {
                return Err(format!(
                    "waive: unknown check '{}' (one of {})",
                    w.check,
                    CHECKS.join(", ")
                ));
            }
            if w.reason.trim().is_empty() {
                return Err(format!(
                    "waive: {} {}: a waiver needs a written reason",
                    w.path, w.check
                ));
            }
            let path = if w.path == "*" {
                w.path.clone()
            } else {
                let p = w.path.trim_start_matches('/');
                ibex_package::check_path(p).map_err(|e| format!("waive: {e}"))?;
                p.to_string()
            };
            waivers.push(ibex_package::Waiver {
                path,
                check: w.check.clone(),
                reason: w.reason.trim().to_string(),
            });
        }
        Ok(Recipe {
            file,
            dir,
            text,
            def,
            depends,
            provides,
            conflicts,
            config,
            setuid,
            owners,
            sources,
            waivers,
        })
    }

    /// The architecture the package is for.
    pub fn arch(&self, default: &str) -> String {
        self.def.arch.clone().unwrap_or_else(|| default.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Recipe, String> {
        let def: RecipeDef = toml::from_str(text).map_err(|e| e.to_string())?;
        Recipe::check("r.toml".into(), "/r".into(), text.into(), def)
    }

    #[test]
    fn parses_a_full_recipe() {
        let r = check(
            "name='hello'\nversion='1.0-r1'\ndepends=['musl>=1.2']\nprovides=['hi=1.0','greeter']\n\
             config=['/etc/hello.conf']\nsetuid=['/usr/bin/su']\nowners={'/var/lib/hello'='daemon:daemon'}\n\
             [[source]]\npath='hello.c'\n[[source]]\nurl='https://example.org/x-1.tar.gz'\nsha256='{}'\n\
             [[waive]]\npath='/usr/bin/x'\ncheck='pie'\nreason='upstream'\n"
                .replace("{}", &"ab".repeat(32))
                .as_str(),
        )
        .unwrap();
        assert_eq!(r.depends[0].to_string(), "musl>=1.2");
        assert_eq!(r.provides[0].version.as_deref(), Some("1.0"));
        assert_eq!(r.provides[1].version, None);
        assert_eq!(r.config, ["etc/hello.conf"]);
        assert_eq!(r.setuid, ["usr/bin/su"]);
        assert_eq!(r.owners["var/lib/hello"], (1, 1));
        assert_eq!(r.waivers[0].path, "usr/bin/x");
        assert!(
            matches!(&r.sources[1], Source::Url { name, extract: true, .. } if name == "x-1.tar.gz")
        );
        assert!(matches!(&r.sources[0], Source::Path { name, .. } if name == "hello.c"));
    }

    #[test]
    fn refuses_bad_fields() {
        let bad = |extra: &str| check(&format!("name='a'\nversion='1'\n{extra}")).unwrap_err();
        assert!(bad("colour='red'").contains("colour"));
        assert!(check("name='A'\nversion='1'")
            .unwrap_err()
            .contains("name 'A'"));
        assert!(check("name='a'\nversion='1.x'")
            .unwrap_err()
            .contains("version"));
        assert!(bad("depends=['a>>1']").contains("depends: invalid dependency 'a>>1'"));
        assert!(bad("provides=['b>=1']").contains("name or name=version"));
        assert!(bad("config=['etc/x']").contains("absolute"));
        assert!(bad("config=['/etc/../x']").contains("'..'"));
        assert!(bad("owners={'/x'='nosuch'}").contains("user 'nosuch'"));
        assert!(bad("[[source]]\nurl='https://x/y'").contains("without sha256"));
        assert!(bad("[[source]]\nurl='https://x/y'\nsha256='12'").contains("64 hex"));
        assert!(bad("[[source]]\npath='../x'").contains("'..'"));
        assert!(bad("[[source]]\npath='x'\nurl='y'").contains("exactly one"));
        assert!(bad("[[waive]]\npath='*'\ncheck='pie'\nreason=' '").contains("reason"));
        assert!(bad("[[waive]]\npath='*'\ncheck='fast'\nreason='x'").contains("unknown check"));
    }
}
