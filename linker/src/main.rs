//! `ibex`: build, link and boot Ibex images.

use clap::{Parser, Subcommand};
use ibex_linker::build::{build, BuildOptions};
use ibex_linker::{definitions, project_root, qemu, Error};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "ibex", version, about = "Build, link and boot Ibex images")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(clap::Args)]
struct Target {
    /// Board definition (boards/BOARD.toml).
    #[arg(long, default_value = "qemu-x86_64")]
    board: String,
    /// Image definition (images/IMAGE.toml).
    #[arg(long, default_value = "default")]
    image: String,
    /// Output directory [default: out/BOARD-IMAGE].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print only errors.
    #[arg(long, short)]
    quiet: bool,
    /// What to write: the single-binary kernel image; an OCI image layout
    /// of the root filesystem (OUT/oci/ and OUT/IMAGE-oci.tar; no kernel is
    /// built); or a GPT disk image with A/B system slots (OUT/disk.img) and
    /// the signed system image for `ibox sysupgrade` (OUT/sysupgrade.ibx);
    /// or, for flash boards, the firmware part (OUT/firmware.bin) and its
    /// signed system image.
    #[arg(long, value_enum, default_value = "kernel")]
    format: Format,
    /// Release version the image carries [default: Ibex's version].
    #[arg(long)]
    release: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Kernel with the root filesystem built in.
    Kernel,
    /// OCI image layout (a container base).
    Oci,
    /// GPT disk image booted by UEFI, and the signed system image.
    Disk,
    /// The firmware part of a raw flash layout, and the signed system image.
    Flash,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the single-binary image (kernel with the root filesystem inside).
    Build(Target),
    /// Build if needed, then boot the image in QEMU on this terminal.
    Run(Target),
    /// List the boards and images this checkout defines.
    List,
    /// Kernel configuration tools.
    #[command(subcommand)]
    Kernel(KernelCmd),
    /// Packages: keys, building from recipes, repository indexes.
    #[command(subcommand)]
    Pkg(PkgCmd),
    /// Publish a signed system image in a TUF repository for
    /// `ibox sysupgrade --check/--from-repo` (created on first use, with
    /// its keys); with no image, renew the metadata's expiry.
    Release(ReleaseArgs),
}

#[derive(clap::Args)]
struct ReleaseArgs {
    /// The repository directory, served as is by any static HTTP server.
    #[arg(long)]
    repo: PathBuf,
    /// Directory of the role keys, made on first use [default:
    /// target/tuf-keys, for DEVELOPMENT only: keep a fleet's keys offline].
    #[arg(long)]
    keys: Option<PathBuf>,
    /// Build this board's disk image and publish its sysupgrade.ibx.
    #[arg(long, conflicts_with = "file")]
    board: Option<String>,
    /// Image definition to build [default: default].
    #[arg(long, conflicts_with = "file")]
    image: Option<String>,
    /// Release version to build [default: Ibex's version].
    #[arg(long, conflicts_with = "file")]
    release: Option<String>,
    /// Days until targets, snapshot and timestamp expire (0 or less:
    /// already expired, for tests).
    #[arg(long, default_value_t = 30, allow_negative_numbers = true)]
    expires_days: i64,
    /// Days until the root expires, when this run creates it.
    #[arg(long, default_value_t = 365)]
    root_expires_days: i64,
    /// A signed system image to publish instead of building one.
    file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum PkgCmd {
    /// Make a signing key pair: DIR/NAME.sec (mode 0600) and DIR/NAME.pub.
    Keygen {
        /// Directory to write the keys in.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Key name.
        name: String,
    },
    /// Build a package from a recipe (packages/NAME or its recipe.toml).
    Build {
        /// Recipe directory or file, or the name of one in packages/.
        recipe: PathBuf,
        /// Secret key to sign with.
        #[arg(long)]
        key: PathBuf,
        /// Output directory [default: target/ibex/packages/ARCH].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Architecture to build for [default: this machine's].
        #[arg(long)]
        arch: Option<String>,
        /// Show the build script's output.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Write DIR/INDEX.ibx listing every package in DIR, verifying each.
    Index {
        /// Repository directory.
        dir: PathBuf,
        /// Secret key to sign the index with (packages must be signed by it).
        #[arg(long)]
        key: PathBuf,
    },
    /// Show what a package file holds.
    Info {
        /// Package file.
        file: PathBuf,
        /// Public key to verify the signature with.
        #[arg(long)]
        key: Option<PathBuf>,
        /// List every file.
        #[arg(long)]
        files: bool,
    },
}

#[derive(Subcommand)]
enum KernelCmd {
    /// Check a kernel configuration against the hardening recommendations
    /// (KSPP, Linux 6.1); exits non-zero if a rule fails without a waiver.
    Check {
        /// Board whose configuration (and waivers) to check.
        #[arg(long, default_value = "qemu-x86_64")]
        board: String,
        /// Check this .config file instead of the board's (its waivers
        /// still apply unless --no-waivers).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Kernel architecture of --config [default: the board's].
        #[arg(long)]
        arch: Option<String>,
        /// Ignore the board's waivers.
        #[arg(long)]
        no_waivers: bool,
    },
    /// Edit a board's kernel configuration with menuconfig and write the
    /// change back into the board's own fragment.
    ///
    /// The board's fragments are merged onto tinyconfig in the order of its
    /// `kernel.fragments` (base, arch, board): the board's own
    /// kernel/config/BOARD.config comes last and wins, so a change to a symbol
    /// that base.config or the arch fragment sets is written there too.
    /// Lines the board fragment already has are replaced in place, new ones
    /// appended under a dated comment; values that Kconfig derives from the
    /// others are left out. The new fragment is kept only if every requested
    /// symbol then resolves as written (otherwise it is restored and the
    /// command fails); the hardening check runs afterwards and warns about
    /// rules the change broke.
    Config {
        /// Board whose configuration to edit.
        #[arg(long)]
        board: String,
        /// Run this shell command instead of menuconfig, with the scratch
        /// .config in $KCONFIG_CONFIG, the kernel source in $KERNEL_TREE
        /// (the working directory) and the build tree in $KERNEL_BUILD; e.g.
        /// 'scripts/config --file "$KCONFIG_CONFIG" --disable PRINTK'.
        #[arg(long, value_name = "CMD")]
        edit_with: Option<String>,
        /// Print only the changes and the result.
        #[arg(long, short)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ibex: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn options(t: &Target) -> BuildOptions {
    BuildOptions {
        board: t.board.clone(),
        image: t.image.clone(),
        out: t.out.clone(),
        verbose: !t.quiet,
        release: t.release.clone(),
    }
}

fn run_release(root: &std::path::Path, args: ReleaseArgs) -> Result<ExitCode, Error> {
    use ibex_linker::release::{release, ReleaseOptions};
    let image = if let Some(file) = &args.file {
        Some(std::fs::read(file).map_err(Error::io(file))?)
    } else if args.board.is_some() || args.image.is_some() || args.release.is_some() {
        let target = Target {
            board: args.board.clone().unwrap_or_else(|| "qemu-x86_64".into()),
            image: args.image.clone().unwrap_or_else(|| "default".into()),
            out: None,
            quiet: false,
            format: Format::Disk,
            release: args.release.clone(),
        };
        check_rust_target(root, &target.board)?;
        let built = ibex_linker::disk::build_disk(root, &options(&target))?;
        Some(std::fs::read(&built.sysupgrade).map_err(Error::io(&built.sysupgrade))?)
    } else {
        None
    };
    let keys = args
        .keys
        .clone()
        .unwrap_or_else(|| root.join("target/tuf-keys"));
    let opts = ReleaseOptions {
        repo: args.repo.clone(),
        keys: keys.clone(),
        expires_days: args.expires_days,
        root_expires_days: args.root_expires_days,
        now: ibex_linker::release::now(),
    };
    let done = release(&opts, image.as_deref())?;
    if done.created {
        eprintln!(
            "ibex: created TUF repository {} with keys in {}{}",
            args.repo.display(),
            keys.display(),
            if args.keys.is_none() {
                " (DEVELOPMENT keys: keep a fleet's keys offline)"
            } else {
                ""
            }
        );
    }
    if let Some(t) = &done.target {
        eprintln!("ibex: published {t}");
    }
    let expiry = if args.expires_days > 0 {
        format!("expiring in {} day(s)", args.expires_days)
    } else {
        "already expired (--expires-days)".to_string()
    };
    eprintln!(
        "ibex: {}: targets version {}, snapshot {}, timestamp {}, {expiry}",
        args.repo.display(),
        done.state.targets,
        done.state.snapshot,
        done.state.timestamp,
    );
    Ok(ExitCode::SUCCESS)
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    let root = project_root()?;
    match cli.command {
        Cmd::Build(t) => {
            check_rust_target(&root, &t.board)?;
            match t.format {
                Format::Kernel => drop(build(&root, &options(&t))?),
                Format::Oci => drop(ibex_linker::build::build_oci(&root, &options(&t))?),
                Format::Disk => drop(ibex_linker::disk::build_disk(&root, &options(&t))?),
                Format::Flash => drop(ibex_linker::flash::build_flash(&root, &options(&t))?),
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run(t) => {
            check_rust_target(&root, &t.board)?;
            let (mut cmd, booting) = match t.format {
                Format::Flash => {
                    return Err(Error::Invalid(
                        "ibex run cannot boot a flash image: QEMU has no model of the \
                         flash boards; use --format kernel"
                            .into(),
                    ))
                }
                Format::Oci => {
                    return Err(Error::Invalid(
                        "ibex run boots the kernel image or the disk image; an OCI image \
                         runs under a container runtime (runc, podman, docker)"
                            .into(),
                    ))
                }
                Format::Kernel => {
                    let built = build(&root, &options(&t))?;
                    let cmd = qemu::command(&built, qemu::Console::Interactive)?;
                    (cmd, built.kernel_image)
                }
                Format::Disk => {
                    let disk = ibex_linker::disk::build_disk(&root, &options(&t))?;
                    let vars = disk.built.dir.join("efivars.fd");
                    let cmd = qemu::firmware_command(
                        &disk.built.board,
                        &disk.disk,
                        &vars,
                        &[],
                        qemu::Console::Interactive,
                    )?;
                    (cmd, disk.disk)
                }
            };
            eprintln!("ibex: booting {} (Ctrl-A X quits QEMU)", booting.display());
            let status = cmd
                .status()
                .map_err(|e| Error::Tool(format!("cannot run QEMU: {e}")))?;
            Ok(if status.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Kernel(KernelCmd::Check {
            board,
            config,
            arch,
            no_waivers,
        }) => {
            let board = definitions::Board::load(&root, &board)?;
            let text = match &config {
                Some(path) => read_config(path)?,
                None => ibex_linker::build::kernel_config(&root, &board, true)?,
            };
            let arch = arch.unwrap_or_else(|| board.kernel.arch.clone());
            let waivers = if no_waivers {
                Default::default()
            } else {
                board.hardening.waive.clone().into_iter().collect()
            };
            let report = ibex_kernel::check::check(&text, &arch, &waivers);
            println!("{report}");
            Ok(if report.passes() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Kernel(KernelCmd::Config {
            board,
            edit_with,
            quiet,
        }) => {
            use ibex_linker::kernel_edit::{self, Editor};
            let editor = match edit_with {
                Some(cmd) => Editor::Command(cmd),
                None => Editor::Menuconfig,
            };
            let out = kernel_edit::config(&root, &board, &editor, !quiet)?;
            for c in &out.dropped {
                eprintln!(
                    "ibex: warning: Kconfig undid {} (unmet dependencies); it stays {}",
                    c.symbol, c.new
                );
            }
            if out.changes.is_empty() {
                println!("no change; {} left as it was", out.fragment.display());
                return Ok(ExitCode::SUCCESS);
            }
            println!("changed:");
            for c in &out.changes {
                println!("  {c}");
            }
            println!(
                "wrote {} line(s) to {}:",
                out.written.len(),
                out.fragment.display()
            );
            for c in &out.written {
                println!("  {}", c.line());
            }
            println!(
                "hardening: {}",
                out.report.to_string().lines().last().unwrap_or("")
            );
            for rule in &out.broken {
                eprintln!("ibex: warning: the change breaks hardening rule {rule}");
            }
            if !out.broken.is_empty() {
                eprintln!("ibex: (details: ibex kernel check --board {board})");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Pkg(cmd) => run_pkg(&root, cmd),
        Cmd::Release(args) => run_release(&root, args),
        Cmd::List => {
            println!(
                "boards: {}",
                definitions::list(&root.join("boards")).join(" ")
            );
            println!(
                "images: {}",
                definitions::list(&root.join("images")).join(" ")
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_pkg(root: &std::path::Path, cmd: PkgCmd) -> Result<ExitCode, Error> {
    use ibex_linker::pkg;
    match cmd {
        PkgCmd::Keygen { dir, name } => {
            let (sec, public) = pkg::keygen(&dir, &name)?;
            println!("{}\n{}", sec.display(), public.display());
        }
        PkgCmd::Build {
            recipe,
            key,
            out,
            arch,
            verbose,
        } => {
            let opts = pkg::build::Options {
                recipe,
                key,
                out,
                arch,
                verbose,
            };
            let built = pkg::build::build(root, &opts)?;
            let m = &built.metadata;
            println!(
                "{} ({} {}: {} bytes, {} entries, installed {} bytes{}{})",
                built.path.display(),
                m.name,
                m.version,
                built.size,
                m.files.len(),
                m.installed_size,
                if m.waivers.is_empty() {
                    ""
                } else {
                    ", with waivers"
                },
                if built.cached { ", build reused" } else { "" }
            );
        }
        PkgCmd::Index { dir, key } => {
            let key = pkg::build::load_signing_key(&key)?;
            let index = pkg::index(&dir, &key)?;
            println!(
                "{}: {} packages",
                dir.join(ibex_package::INDEX_FILE).display(),
                index.packages.len()
            );
        }
        PkgCmd::Info { file, key, files } => {
            let key = key.map(|k| pkg::load_public_key(&k)).transpose()?;
            print!("{}", pkg::info(&file, key.as_ref(), files)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a .config, decompressing Debian's `config.*.xz` files.
fn read_config(path: &std::path::Path) -> Result<String, Error> {
    if path.extension().is_some_and(|e| e == "xz") {
        let out = std::process::Command::new("xz")
            .arg("-dc")
            .arg(path)
            .output()
            .map_err(|e| Error::Tool(format!("cannot run xz: {e}")))?;
        if !out.status.success() {
            return Err(Error::Tool(format!("xz -dc {} failed", path.display())));
        }
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    std::fs::read_to_string(path).map_err(Error::io(path))
}

/// Stops early, and clearly, when the board's device binaries cannot be
/// built because its Rust target has no standard library installed here
/// (the kernel alone can still be configured and checked).
fn check_rust_target(root: &std::path::Path, board: &str) -> Result<(), Error> {
    let board = definitions::Board::load(root, board)?;
    let target = &board.rust_target;
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = std::process::Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let Some(sysroot) = sysroot else {
        return Ok(()); // cargo will say what is wrong
    };
    if sysroot
        .join("lib/rustlib")
        .join(target)
        .join("lib")
        .is_dir()
    {
        return Ok(());
    }
    let tier3 = ["mipsel-unknown-linux-musl", "mipsel-unknown-linux-gnu"];
    let how = if tier3.contains(&target.as_str()) {
        "it is a tier-3 target without a prebuilt standard library, which Ibex \
         cannot build yet"
            .to_string()
    } else {
        format!("install it with: rustup target add {target} (and a linker for it)")
    };
    Err(Error::Invalid(format!(
        "no Rust target for board '{}': {target} is not installed here; {how}. \
         `ibex kernel check --board {}` works without it",
        board.name, board.name
    )))
}
