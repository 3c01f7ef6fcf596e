//! The package manager's engine, shared by `ibox pkg` on the device and the
//! linker, which installs an image's packages with exactly this code.
//!
//! Everything works on a root directory (`/` on a running system, any
//! directory with `--root`):
//!
//! | path under the root         | what                                       |
//! |-----------------------------|--------------------------------------------|
//! | `etc/ibex/world`            | what the user asked for ([`db`])           |
//! | `etc/ibex/repositories`     | where packages come from ([`repo`])        |
//! | `etc/ibex/keys/*.pub`       | keys packages must be signed with          |
//! | `lib/ibex/pkg/installed`    | the installed-package database ([`db`])    |
//! | `lib/ibex/pkg/journal`      | an unfinished transaction ([`txn`])        |
//! | `lib/ibex/pkg/lock`         | held while a command runs                  |
//! | `var/cache/ibex/`           | cached indexes and package files           |
//!
//! Each command solves first, fetches and verifies everything, and only
//! then changes files, in one transaction that is finished or undone as a
//! whole even across a crash.

pub mod db;
pub mod http;
pub mod repo;
pub mod solve;
#[cfg(feature = "tls")]
pub mod tls;
pub mod txn;

use db::{Database, Installed};
use ibex_package::{Dependency, IndexEntry, Metadata, PublicKey};
use repo::{Location, Repository};
use solve::Candidate;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// Lock file path relative to the root.
pub const LOCK_PATH: &str = "lib/ibex/pkg/lock";

/// Why a command failed. Nothing was changed when one is returned.
#[derive(Debug)]
pub enum Error {
    /// A system call on a path failed.
    Io(PathBuf, std::io::Error),
    /// A file is not what it should be.
    At(PathBuf, String),
    /// A package or index file was refused.
    Package(String, ibex_package::Error),
    /// The dependencies cannot be satisfied; the text is the failing chain.
    Unsatisfiable(String),
    /// Anything else, said in words.
    Other(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, e: std::io::Error) -> Error {
        Error::Io(path.to_path_buf(), e)
    }

    /// A problem with the file at `path`.
    pub fn at(path: &Path, why: String) -> Error {
        Error::At(path.to_path_buf(), why)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(p, e) => write!(f, "{}: {e}", p.display()),
            Error::At(p, why) => write!(f, "{}: {why}", p.display()),
            Error::Package(what, e) => write!(f, "{what}: {e}"),
            Error::Unsatisfiable(why) => write!(f, "unsatisfiable: {why}"),
            Error::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

/// How a command runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The root directory everything is relative to.
    pub root: PathBuf,
    /// Repositories used besides those in `etc/ibex/repositories`.
    pub repositories: Vec<String>,
    /// Extra trusted public key files (besides `etc/ibex/keys/*.pub`).
    pub keys: Vec<PathBuf>,
    /// Solve and report, change nothing.
    pub simulate: bool,
}

/// A package offered for installation, and where it comes from.
enum Origin {
    /// The version installed now.
    Installed(usize),
    /// A repository's index entry.
    Repo(usize, usize),
    /// A package file named on the command line (already read and checked).
    File(usize),
}

/// An open package root: the lock is held while this lives.
pub struct Pkg {
    root: PathBuf,
    opts: Options,
    keys: Vec<PublicKey>,
    locations: Vec<Location>,
    _lock: nix::fcntl::Flock<fs::File>,
    /// What recovery did when the root was opened, if anything.
    pub recovered: Option<&'static str>,
}

/// A package file read from the command line.
struct LocalFile {
    bytes: Vec<u8>,
    metadata: Metadata,
}

/// What `list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFilter {
    /// Every package in the repositories and installed.
    All,
    /// Installed packages.
    Installed,
    /// Installed packages a repository has a newer version of.
    Upgradable,
}

/// One line of `list` or `search`.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Architecture.
    pub arch: String,
    /// Description.
    pub description: String,
    /// Whether this version is installed.
    pub installed: bool,
    /// For upgradable packages: the newer version.
    pub newer: Option<String>,
}

impl Pkg {
    /// Opens `opts.root`: takes the lock and finishes or undoes any
    /// transaction a crash left behind.
    pub fn open(opts: Options) -> Result<Pkg, Error> {
        let root = opts.root.clone();
        let lock_path = root.join(LOCK_PATH);
        if let Some(dir) = lock_path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        let lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
            .map_err(|_| Error::at(&lock_path, "another package command is running".into()))?;
        let recovered = txn::recover(&root)?;
        let mut keys = repo::trusted_keys(&root)?;
        for path in &opts.keys {
            let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            keys.push(
                PublicKey::from_text(&text)
                    .ok_or_else(|| Error::at(path, "not an Ibex public key".into()))?,
            );
        }
        let locations = repo::configured(&root, &opts.repositories)?;
        Ok(Pkg {
            root,
            opts,
            keys,
            locations,
            _lock: lock,
            recovered,
        })
    }

    /// The root this works on.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The installed-package database.
    pub fn database(&self) -> Result<Database, Error> {
        Database::load(&self.root)
    }

    fn repositories(&self) -> Result<Vec<Repository>, Error> {
        self.locations
            .iter()
            .map(|l| repo::cached(&self.root, l, &self.keys))
            .collect()
    }

    /// Fetches every repository's index anew.
    pub fn update(&self) -> Result<Vec<(String, usize)>, Error> {
        self.locations
            .iter()
            .map(|l| {
                let r = repo::update(&self.root, l, &self.keys)?;
                Ok((l.to_string(), r.index.packages.len()))
            })
            .collect()
    }

    fn read_local(&self, path: &Path) -> Result<LocalFile, Error> {
        let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
        let pkg = ibex_package::decode_package(&bytes, &self.keys)
            .map_err(|e| Error::Package(path.display().to_string(), e))?;
        let metadata = pkg.metadata;
        Ok(LocalFile { bytes, metadata })
    }

    /// Installs what `specs` name (dependencies such as `sqlite>=3`, or
    /// paths of package files) and adds them to the world.
    pub fn add(&self, specs: &[String]) -> Result<Vec<String>, Error> {
        let mut world = db::load_world(&self.root)?;
        let mut files = Vec::new();
        for spec in specs {
            let dep = if spec.ends_with(".ibx") || spec.contains('/') {
                let local = self.read_local(Path::new(spec))?;
                let dep = Dependency::parse(&local.metadata.name)
                    .map_err(|e| Error::Other(e.to_string()))?;
                files.push(local);
                dep
            } else {
                Dependency::parse(spec).map_err(|e| Error::Other(e.to_string()))?
            };
            world.retain(|d| d.name != dep.name);
            world.push(dep);
        }
        ibex_sort::sort_by(&mut world, |a, b| a.name.cmp(&b.name));
        self.sync(world, files, false)
    }

    /// Removes the named packages from the world, and with them whatever
    /// nothing else needs. Refuses if something left in the world still
    /// needs one of them.
    pub fn del(&self, names: &[String]) -> Result<Vec<String>, Error> {
        let mut world = db::load_world(&self.root)?;
        let db = self.database()?;
        for name in names {
            if db.get(name).is_none() && !world.iter().any(|d| d.name == *name) {
                return Err(Error::Other(format!("{name}: not installed")));
            }
            world.retain(|d| d.name != *name);
        }
        let lines = self.sync(world, Vec::new(), false)?;
        let db = self.database()?;
        if !self.opts.simulate {
            if let Some(still) = names.iter().find(|n| db.get(n).is_some()) {
                return Err(Error::Other(format!(
                    "{still}: still installed: other packages in the world need it"
                )));
            }
        }
        Ok(lines)
    }

    /// Upgrades every package to the newest version the world allows.
    pub fn upgrade(&self) -> Result<Vec<String>, Error> {
        let world = db::load_world(&self.root)?;
        self.sync(world, Vec::new(), true)
    }

    /// Reinstalls the named packages (every package with a problem when
    /// `names` is empty) from their package files.
    pub fn fix(&self, names: &[String]) -> Result<Vec<String>, Error> {
        let db = self.database()?;
        let mut targets: Vec<String> = names.to_vec();
        if targets.is_empty() {
            targets = txn::verify(&self.root, &db, None)
                .into_iter()
                .filter(|p| !p.config)
                .map(|p| p.package)
                .collect();
            targets.dedup();
        }
        let repos = self.repositories()?;
        let mut incoming = Vec::new();
        let mut lines = Vec::new();
        for name in &targets {
            let installed = db
                .get(name)
                .ok_or_else(|| Error::Other(format!("{name}: not installed")))?;
            let bytes = self.fetch_exact(&repos, installed)?;
            incoming.push(self.incoming(&bytes, &format!("{name}.ibx"))?);
            lines.push(format!(
                "Reinstalling {name} ({})",
                installed.metadata.version
            ));
        }
        if !self.opts.simulate && !incoming.is_empty() {
            let report = txn::apply(&self.root, &db, &db, &incoming, None)?;
            lines.extend(report.lines);
        }
        Ok(lines)
    }

    /// The package file of exactly what is installed: from the cache or a
    /// repository, checked against the recorded SHA-256.
    fn fetch_exact(&self, repos: &[Repository], installed: &Installed) -> Result<Vec<u8>, Error> {
        let m = &installed.metadata;
        for repo in repos {
            for e in &repo.index.packages {
                if e.sha256 == installed.file_sha256 {
                    return repo::fetch_package(&self.root, repo, e);
                }
            }
        }
        Err(Error::Other(format!(
            "{}-{}: no repository has this package file any more",
            m.name, m.version
        )))
    }

    fn incoming(&self, bytes: &[u8], what: &str) -> Result<txn::Incoming, Error> {
        let pkg = ibex_package::decode_package(bytes, &self.keys)
            .map_err(|e| Error::Package(what.to_string(), e))?;
        let contents =
            ibex_package::unpack(&pkg).map_err(|e| Error::Package(what.to_string(), e))?;
        Ok(txn::Incoming {
            metadata: pkg.metadata,
            contents,
            file_sha256: ibex_package::sha256(bytes),
        })
    }

    /// Solves `world`, fetches and checks what is missing, and applies the
    /// change in one transaction.
    fn sync(
        &self,
        world: Vec<Dependency>,
        files: Vec<LocalFile>,
        upgrade: bool,
    ) -> Result<Vec<String>, Error> {
        let db = self.database()?;
        let repos = self.repositories()?;
        // Offered: package files named on the command line first (they
        // replace what is installed by that name), then what is installed,
        // then the repositories; one candidate per name and version.
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut origins: Vec<Origin> = Vec::new();
        let mut offer = |c: Candidate, o: Origin| {
            if !candidates
                .iter()
                .any(|x| x.name == c.name && x.version == c.version)
            {
                candidates.push(c);
                origins.push(o);
            }
        };
        for (i, f) in files.iter().enumerate() {
            offer(candidate(&f.metadata, false), Origin::File(i));
        }
        for (i, p) in db.packages.iter().enumerate() {
            if !files.iter().any(|f| f.metadata.name == p.metadata.name) {
                offer(candidate(&p.metadata, true), Origin::Installed(i));
            }
        }
        for (r, repo) in repos.iter().enumerate() {
            for (e, entry) in repo.index.packages.iter().enumerate() {
                offer(index_candidate(entry), Origin::Repo(r, e));
            }
        }
        let chosen = solve::solve(&world, &candidates, upgrade).map_err(Error::Unsatisfiable)?;

        // Fetch and check everything before touching anything.
        let mut new_db = Database::default();
        let mut incoming = Vec::new();
        let mut lines = Vec::new();
        for &i in &chosen {
            let c = &candidates[i];
            let old = db.get(&c.name);
            match &origins[i] {
                Origin::Installed(p) => {
                    new_db.packages.push(db.packages[*p].clone());
                    continue;
                }
                Origin::Repo(r, e) => {
                    let entry = &repos[*r].index.packages[*e];
                    let bytes = repo::fetch_package(&self.root, &repos[*r], entry)?;
                    let inc = self.incoming(&bytes, &entry.file)?;
                    if inc.metadata.name != entry.name || inc.metadata.version != entry.version {
                        return Err(Error::Other(format!(
                            "{}: is {}-{}, the index says {}-{}",
                            entry.file,
                            inc.metadata.name,
                            inc.metadata.version,
                            entry.name,
                            entry.version
                        )));
                    }
                    incoming.push(inc);
                }
                Origin::File(f) => {
                    let f = files
                        .get(*f)
                        .ok_or_else(|| Error::Other("internal: lost a package file".into()))?;
                    incoming.push(self.incoming(&f.bytes, &f.metadata.name)?);
                }
            }
            let inc = incoming
                .last()
                .ok_or_else(|| Error::Other("internal".into()))?;
            new_db.packages.push(Installed {
                metadata: inc.metadata.clone(),
                file_sha256: inc.file_sha256,
            });
            lines.push(match old {
                Some(o) if o.metadata.version == c.version => {
                    format!("Replacing {} ({})", c.name, c.version)
                }
                Some(o) => {
                    let verb = if ibex_package::version::compare(&c.version, &o.metadata.version)
                        .is_gt()
                    {
                        "Upgrading"
                    } else {
                        "Downgrading"
                    };
                    format!(
                        "{verb} {} ({} -> {})",
                        c.name, o.metadata.version, c.version
                    )
                }
                None => format!("Installing {} ({})", c.name, c.version),
            });
        }
        for p in &db.packages {
            if new_db.get(&p.metadata.name).is_none() {
                lines.push(format!(
                    "Purging {} ({})",
                    p.metadata.name, p.metadata.version
                ));
            }
        }
        let world_text = db::world_text(&world);
        let world_changed =
            fs::read_to_string(self.root.join(db::WORLD_PATH)).map_or(true, |t| t != world_text);
        if self.opts.simulate || (incoming.is_empty() && new_db == db && !world_changed) {
            return Ok(lines);
        }
        let report = txn::apply(
            &self.root,
            &db,
            &new_db,
            &incoming,
            world_changed.then_some(world_text),
        )?;
        lines.extend(report.lines);
        Ok(lines)
    }

    /// Packages for `list`.
    pub fn list(&self, filter: ListFilter) -> Result<Vec<Listing>, Error> {
        let db = self.database()?;
        let repos = self.repositories()?;
        let newest = |name: &str| -> Option<&IndexEntry> {
            repos
                .iter()
                .flat_map(|r| &r.index.packages)
                .filter(|e| e.name == name)
                .max_by(|a, b| ibex_package::version::compare(&a.version, &b.version))
        };
        let mut out = Vec::new();
        for p in &db.packages {
            let m = &p.metadata;
            let newer = newest(&m.name)
                .filter(|e| ibex_package::version::compare(&e.version, &m.version).is_gt())
                .map(|e| e.version.clone());
            if filter == ListFilter::Upgradable && newer.is_none() {
                continue;
            }
            out.push(Listing {
                name: m.name.clone(),
                version: m.version.clone(),
                arch: m.arch.clone(),
                description: m.description.clone(),
                installed: true,
                newer,
            });
        }
        if filter == ListFilter::All {
            for e in repos.iter().flat_map(|r| &r.index.packages) {
                if out
                    .iter()
                    .any(|l| l.name == e.name && l.version == e.version)
                {
                    continue;
                }
                out.push(Listing {
                    name: e.name.clone(),
                    version: e.version.clone(),
                    arch: e.arch.clone(),
                    description: e.description.clone(),
                    installed: false,
                    newer: None,
                });
            }
        }
        ibex_sort::sort_by(&mut out, |a, b| {
            a.name
                .cmp(&b.name)
                .then(ibex_package::version::compare(&a.version, &b.version))
        });
        Ok(out)
    }

    /// Packages whose name or description contains `pattern` (case-insensitive).
    pub fn search(&self, pattern: &str) -> Result<Vec<Listing>, Error> {
        let pattern = pattern.to_lowercase();
        Ok(self
            .list(ListFilter::All)?
            .into_iter()
            .filter(|l| {
                l.name.contains(&pattern) || l.description.to_lowercase().contains(&pattern)
            })
            .collect())
    }

    /// The metadata of an installed package, or of the newest in a repository.
    pub fn info(&self, name: &str) -> Result<(Option<Metadata>, Option<IndexEntry>), Error> {
        let db = self.database()?;
        let installed = db.get(name).map(|p| p.metadata.clone());
        let repos = self.repositories()?;
        let newest = repos
            .iter()
            .flat_map(|r| &r.index.packages)
            .filter(|e| e.name == name)
            .max_by(|a, b| ibex_package::version::compare(&a.version, &b.version))
            .cloned();
        if installed.is_none() && newest.is_none() {
            return Err(Error::Other(format!("{name}: no such package")));
        }
        Ok((installed, newest))
    }

    /// Checks installed files against the database.
    pub fn verify(&self, name: Option<&str>) -> Result<Vec<txn::Problem>, Error> {
        let db = self.database()?;
        if let Some(n) = name {
            if db.get(n).is_none() {
                return Err(Error::Other(format!("{n}: not installed")));
            }
        }
        Ok(txn::verify(&self.root, &db, name))
    }

    /// Removes cached package files that are not the installed versions.
    pub fn cache_clean(&self) -> Result<usize, Error> {
        let db = self.database()?;
        let dir = self.root.join(repo::CACHE_DIR).join("packages");
        let Ok(entries) = fs::read_dir(&dir) else {
            return Ok(0);
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let keep = fs::read(&path).is_ok_and(|b| {
                let sha = ibex_package::sha256(&b);
                db.packages.iter().any(|p| p.file_sha256 == sha)
            });
            if !keep {
                fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn candidate(m: &Metadata, installed: bool) -> Candidate {
    Candidate {
        name: m.name.clone(),
        version: m.version.clone(),
        depends: m.depends.clone(),
        provides: m.provides.clone(),
        conflicts: m.conflicts.clone(),
        installed,
    }
}

fn index_candidate(e: &IndexEntry) -> Candidate {
    Candidate {
        name: e.name.clone(),
        version: e.version.clone(),
        depends: e.depends.clone(),
        provides: e.provides.clone(),
        conflicts: e.conflicts.clone(),
        installed: false,
    }
}
