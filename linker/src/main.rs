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
