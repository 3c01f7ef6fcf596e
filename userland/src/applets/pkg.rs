//! `pkg`: install, remove, upgrade and check signed packages, as Alpine's
//! apk does. The work is done by the `ibex-pkg` engine, which the linker
//! also uses to install an image's packages at build time.

use crate::common::{error_msg, getopt, usage_error};
use ibex_pkg::{ListFilter, Options, Pkg};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "[OPTIONS] COMMAND [ARGS]\n\n\
Manage packages\n\n\
Commands:\n\
\tadd PKG...\tInstall packages (names with optional =<>~ constraints, or .ibx files) and add them to the world\n\
\tdel PKG...\tRemove packages from the world, and what only they needed\n\
\tupdate\t\tFetch the repositories' signed indexes\n\
\tupgrade\t\tUpgrade everything to the newest versions the world allows\n\
\tinfo PKG\tShow a package's details (-f: its files)\n\
\tlist\t\tList packages (-I installed, -u upgradable)\n\
\tsearch TEXT\tFind packages by name or description\n\
\tverify [PKG]\tCheck installed files against their recorded SHA-256, mode and owner\n\
\tfix [PKG]\tReinstall packages whose files are damaged\n\
\tcache clean\tRemove cached package files that are not installed\n\n\
Options:\n\
\t--root DIR\tWork on the system in DIR instead of /\n\
\t-X REPO\t\tUse this repository too (directory or http:// URL)\n\
\t-k FILE\t\tTrust this public key too\n\
\t-s\t\tSimulate: show what would change, change nothing\n\
\t-I\t\tlist: installed packages only\n\
\t-u\t\tlist: upgradable packages only\n\
\t-f\t\tinfo: list the package's files";

const NAME: &str = "pkg";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let parsed = match getopt(
        &args,
        "r:X:k:sIuf",
        &[
            ("root", 'r'),
            ("repository", 'X'),
            ("key", 'k'),
            ("simulate", 's'),
            ("installed", 'I'),
            ("upgradable", 'u'),
            ("files", 'f'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(crate::common::Exit(code)) => return code,
    };
    let words: Vec<String> = parsed
        .operands
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    let Some((command, rest)) = words.split_first() else {
        return usage_error(NAME, "no command given");
    };
    let values = |c: char| -> Vec<String> {
        parsed
            .opts
            .iter()
            .filter(|(o, _)| *o == c)
            .filter_map(|(_, v)| v.as_ref().map(|v| v.to_string_lossy().into_owned()))
            .collect()
    };
    let opts = Options {
        root: PathBuf::from(parsed.value('r').unwrap_or("/".as_ref())),
        repositories: values('X'),
        keys: values('k').into_iter().map(PathBuf::from).collect(),
        simulate: parsed.has('s'),
    };
    let needs_args = ["add", "del", "search", "info"];
    let takes_none = ["update", "upgrade", "list"];
    if needs_args.contains(&command.as_str()) && rest.is_empty() {
        return usage_error(NAME, &format!("{command}: missing package name"));
    }
    if takes_none.contains(&command.as_str()) && !rest.is_empty() {
        return usage_error(NAME, &format!("{command}: takes no arguments"));
    }
    let known = [
        "add", "del", "update", "upgrade", "info", "list", "search", "verify", "fix", "cache",
    ];
    if !known.contains(&command.as_str()) {
        return usage_error(NAME, &format!("unknown command '{command}'"));
    }
    if command == "cache" && rest != ["clean"] {
        return usage_error(NAME, "cache: only 'cache clean' is supported");
    }
    let pkg = match Pkg::open(opts) {
        Ok(p) => p,
        Err(e) => return fail(&e.to_string()),
    };
    if let Some(what) = pkg.recovered {
        eprintln!("{NAME}: {what}");
    }
    // On the running system, init learns of services that came or went,
    // and the services of upgraded packages restart on the new programs.
    let live = !parsed.has('s') && pkg.root().canonicalize().is_ok_and(|r| r == Path::new("/"));
    let before = live.then(|| (services_installed(), pkg.database().unwrap_or_default()));
    let changed = |lines: Vec<String>| {
        let code = print_changes(lines);
        if let Some((services, db)) = &before {
            if *services != services_installed() {
                if let Err(e) = crate::applets::svc::reload() {
                    error_msg(
                        NAME,
                        &format!("services changed, but init did not reload them: {e}"),
                    );
                }
            }
            restart_upgraded(db, &pkg.database().unwrap_or_default());
        }
        code
    };
    let result = match command.as_str() {
        "add" => pkg.add(rest).map(changed),
        "del" => pkg.del(rest).map(changed),
        "upgrade" => pkg.upgrade().map(changed),
        "fix" => pkg.fix(rest).map(changed),
        "update" => pkg.update().map(|repos| {
            for (location, count) in repos {
                println!("{location}: {count} packages");
            }
            0
        }),
        "list" => {
            let filter = if parsed.has('u') {
                ListFilter::Upgradable
            } else if parsed.has('I') {
                ListFilter::Installed
            } else {
                ListFilter::All
            };
            pkg.list(filter).map(|l| print_listing(&l))
        }
        "search" => rest
            .iter()
            .map(|p| pkg.search(p))
            .collect::<Result<Vec<_>, _>>()
            .map(|all| print_listing(&all.concat())),
        "info" => info(&pkg, rest, parsed.has('f')),
        "verify" => verify(&pkg, rest.first().map(String::as_str)),
        "cache" => pkg.cache_clean().map(|n| {
            println!("removed {n} cached package files");
            0
        }),
        _ => unreachable!("checked above"),
    };
    match result {
        Ok(code) => code,
        Err(e) => fail(&e.to_string()),
    }
}

/// Restarts the services of packages that were replaced by another build
/// (an upgrade, a downgrade or a fix), so that they run the new programs.
fn restart_upgraded(before: &ibex_pkg::db::Database, after: &ibex_pkg::db::Database) {
    for p in &after.packages {
        let m = &p.metadata;
        let replaced = before
            .get(&m.name)
            .is_some_and(|old| old.file_sha256 != p.file_sha256);
        if !replaced || m.services.is_empty() {
            continue;
        }
        let Ok(plan) = ibex_plan::BootPlan::decode(&m.services) else {
            continue;
        };
        for service in plan.services {
            match crate::control::ask(&ibex_control::Request::Restart(service.name.clone())) {
                Ok(ibex_control::Response::Done) => println!("restarted: {}", service.name),
                Ok(other) => error_msg(NAME, &format!("restarting {}: {other:?}", service.name)),
                Err(e) => error_msg(NAME, &format!("restarting {}: {e}", service.name)),
            }
        }
    }
}

/// The package service plans init loads, with their contents.
fn services_installed() -> Vec<(std::ffi::OsString, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(ibex_plan::SERVICES_DIR)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| (e.file_name(), std::fs::read(e.path()).unwrap_or_default()))
        .collect();
    ibex_sort::sort(&mut out);
    out
}

fn fail(msg: &str) -> i32 {
    error_msg(NAME, msg);
    1
}

fn print_changes(lines: Vec<String>) -> i32 {
    let total = lines.len();
    for (i, line) in lines.iter().enumerate() {
        println!("({}/{total}) {line}", i + 1);
    }
    if total == 0 {
        println!("OK: nothing to do");
    }
    0
}

fn print_listing(list: &[ibex_pkg::Listing]) -> i32 {
    for l in list {
        let state = match (&l.newer, l.installed) {
            (Some(v), _) => format!(" [upgradable to: {v}]"),
            (None, true) => " [installed]".to_string(),
            (None, false) => String::new(),
        };
        println!(
            "{}-{} {} {{{}}}{state}",
            l.name, l.version, l.arch, l.description
        );
    }
    0
}

fn info(pkg: &Pkg, names: &[String], files: bool) -> Result<i32, ibex_pkg::Error> {
    for name in names {
        let (installed, available) = pkg.info(name)?;
        if let Some(m) = &installed {
            let label = format!("{}-{}", m.name, m.version);
            println!("{label} description:\n{}\n", m.description);
            println!("{label} webpage:\n{}\n", m.url);
            println!("{label} license:\n{}\n", m.license);
            println!("{label} installed size:\n{}\n", m.installed_size);
            let list = |title: &str, items: Vec<String>| {
                if !items.is_empty() {
                    println!("{label} {title}:\n{}\n", items.join("\n"));
                }
            };
            list(
                "depends on",
                m.depends.iter().map(|d| d.to_string()).collect(),
            );
            list(
                "provides",
                m.provides
                    .iter()
                    .map(|p| match &p.version {
                        Some(v) => format!("{}={v}", p.name),
                        None => p.name.clone(),
                    })
                    .collect(),
            );
            list(
                "conflicts with",
                m.conflicts.iter().map(|d| d.to_string()).collect(),
            );
            list(
                "config files",
                m.config.iter().map(|c| format!("/{c}")).collect(),
            );
            list(
                "waived hardening checks",
                m.waivers
                    .iter()
                    .map(|w| format!("{}: {}: {}", w.path, w.check, w.reason))
                    .collect(),
            );
            if files {
                list(
                    "contains",
                    m.files.iter().map(|f| format!("/{}", f.path)).collect(),
                );
            }
        }
        if let Some(e) = &available {
            let installed_same = installed.as_ref().is_some_and(|m| m.version == e.version);
            if !installed_same {
                println!(
                    "{}-{} (available) description:\n{}\n",
                    e.name, e.version, e.description
                );
            }
        }
    }
    Ok(0)
}

fn verify(pkg: &Pkg, name: Option<&str>) -> Result<i32, ibex_pkg::Error> {
    let problems = pkg.verify(name)?;
    let mut errors = 0;
    for p in &problems {
        if p.config {
            println!(
                "{}: {}: {} (modified config file)",
                p.package, p.path, p.what
            );
        } else {
            println!("{}: {}: {}", p.package, p.path, p.what);
            errors += 1;
        }
    }
    let count = pkg.database()?.packages.len();
    if errors == 0 {
        println!("OK: {count} packages verified");
        Ok(0)
    } else {
        println!("{errors} problems found");
        Ok(1)
    }
}
