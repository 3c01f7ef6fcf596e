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
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    let root = project_root()?;
    match cli.command {
        Cmd::Build(t) => {
            build(&root, &options(&t))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run(t) => {
            let built = build(&root, &options(&t))?;
            let mut cmd = qemu::command(&built, qemu::Console::Interactive)?;
            eprintln!(
                "ibex: booting {} (Ctrl-A X quits QEMU)",
                built.kernel_image.display()
            );
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
