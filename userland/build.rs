//! Link settings for the static device build of `ibox`.
//!
//! A static PIE relocates itself before `main`: ibox has about 5 000
//! relative relocations (vtables, string and panic-location tables), and
//! as 24-byte `Elf64_Rela` entries they took 118 KB of the file. Packed
//! as DT_RELR (`-z pack-relative-relocs`) they take 1.5 KB, and the
//! binary shrinks by that much. GNU ld 2.38 and glibc 2.36, whose
//! static-PIE start-up applies DT_RELR, are needed: both are Debian 12's,
//! the system the build is made on. Only x86_64 glibc static builds get
//! it: the host build is dynamically linked (and the flag would make it
//! depend on the system's `ld.so` supporting DT_RELR), and the other
//! boards' cross linkers are not known to support it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let static_crt = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if static_crt
        && var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
