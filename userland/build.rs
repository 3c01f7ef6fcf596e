//! Link settings for the static device build of `ibox`.
//!
//! **musl.** The static x86_64 build links musl's C library instead of
//! glibc, although the Rust target is `x86_64-unknown-linux-gnu` (the only
//! one installed on the build machine): static glibc is about 0.8 MB of
//! every device ibox (its stdio, locale, `getaddrinfo` and name-service
//! machinery come along), musl a tenth of that. The two agree on the
//! x86_64 kernel ABI the Rust `libc` crate describes (structure layouts,
//! constants, `errno`), and musl provides glibc's `*64` names; what std
//! asks of glibc beyond that, three functions, `musl/glibc-compat.c`
//! answers. The link uses our own start file (`musl/start.c`, musl's
//! `rcrt1.o` plus DT_RELR) and musl's `crti.o`/`crtn.o` through a GCC specs
//! file (`musl/static-pie.specs.in`), which replaces glibc's start files,
//! library path and `-lc`. Debian's `musl` and `musl-dev` (`scripts/setup`
//! installs `musl-tools`) provide the library; where a real
//! `*-linux-musl` Rust target is installed, building for it needs none of
//! this.
//!
//! **Relocations.** A static PIE relocates itself before `main`: ibox has
//! 3 000 to 8 000 relative relocations (vtables, string and panic-location
//! tables). As 24-byte `Elf64_Rela` entries they take 65 to 200 KB of the
//! file; packed as DT_RELR (`-z pack-relative-relocs`) a few KB. musl
//! applies DT_RELR only from 1.2.4 and Debian 12 has 1.2.3, which is why
//! the start file is ours. Static glibc builds (the other architectures)
//! are not given the flag: their cross linkers are not known to support
//! it.

use std::path::Path;
use std::process::Command;

/// Where Debian's `musl-dev` puts musl's static library and start files.
const MUSL_LIB: &str = "/usr/lib/x86_64-linux-musl";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=musl/glibc-compat.c");
    println!("cargo:rerun-if-changed=musl/static-pie.specs.in");
    println!("cargo:rerun-if-changed=musl/start.c");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let static_crt = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if static_crt
        && var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
    {
        if let Err(e) = link_musl(Path::new(&var("OUT_DIR"))) {
            eprintln!("ibox's static x86_64 build links musl: {e}");
            std::process::exit(1);
        }
    }
}

/// Builds the start file and the compatibility object in `out`, writes the
/// specs file that puts them in place of glibc's, and hands them to the
/// link of the `ibox` binary.
fn link_musl(out: &Path) -> Result<(), String> {
    let musl = Path::new(MUSL_LIB);
    for file in ["libc.a", "crti.o", "crtn.o"] {
        if !musl.join(file).is_file() {
            return Err(format!(
                "{} is missing (install Debian's musl-dev: scripts/setup)",
                musl.join(file).display()
            ));
        }
    }
    let libgcc = run("gcc", &["-print-libgcc-file-name"])?;
    let gcc_lib = Path::new(libgcc.trim())
        .parent()
        .ok_or("gcc names no libgcc directory")?
        .to_path_buf();
    let compile = |source: &str, object: &Path| {
        // Freestanding and without a stack protector: the start file runs
        // before relocation, thread-local storage and the C library.
        run(
            "gcc",
            &[
                "-c",
                "-O2",
                "-fPIE",
                "-ffreestanding",
                "-fno-stack-protector",
                source,
                "-o",
                &object.display().to_string(),
            ],
        )
    };
    let start = out.join("start.o");
    compile("musl/start.c", &start)?;
    let compat = out.join("glibc-compat.o");
    compile("musl/glibc-compat.c", &compat)?;
    let template = std::fs::read_to_string("musl/static-pie.specs.in")
        .map_err(|e| format!("musl/static-pie.specs.in: {e}"))?;
    let specs = template
        .replace("@START@", &start.display().to_string())
        .replace("@MUSL_LIB@", MUSL_LIB)
        .replace("@GCC_LIB@", &gcc_lib.display().to_string());
    let specs_path = out.join("static-pie.specs");
    std::fs::write(&specs_path, specs).map_err(|e| format!("{}: {e}", specs_path.display()))?;
    println!("cargo:rustc-link-arg-bins=-specs={}", specs_path.display());
    println!("cargo:rustc-link-arg-bins={}", compat.display());
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    Ok(())
}

/// Runs `program` and returns what it printed, or says why it failed.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{program} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
