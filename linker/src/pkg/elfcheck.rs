//! Hardening checks on every ELF file that goes into a package: musl's
//! loader as interpreter (or none), PIE executables, a non-executable
//! stack, RELRO, BIND_NOW and the stack protector.

use goblin::elf::dynamic::{DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW, DT_FLAGS, DT_FLAGS_1};
use goblin::elf::header::{EM_386, EM_AARCH64, EM_ARM, EM_RISCV, EM_X86_64, ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_X, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK};
use goblin::elf::Elf;

/// One check a file failed: the check's name (as a `[[waive]]` names it)
/// and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `interpreter`, `pie`, `nx-stack`, `relro`, `bind-now` or
    /// `stack-protector`.
    pub check: &'static str,
    /// What is wrong, for the message.
    pub what: String,
}

/// What kind of ELF file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A program (PIE, static PIE or fixed-address).
    Executable,
    /// A shared library (or musl's libc, which is both).
    Library,
    /// Object files and the rest, which are not loaded as they are.
    Other,
}

/// Whether `bytes` start like an ELF file.
pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// musl's dynamic loader for `arch`.
pub fn musl_loader(arch: &str) -> String {
    format!("/lib/ld-musl-{arch}.so.1")
}

fn machine_of(arch: &str) -> Option<u16> {
    Some(match arch {
        "x86_64" => EM_X86_64,
        "x86" | "i386" | "i686" => EM_386,
        "aarch64" => EM_AARCH64,
        "arm" | "armhf" | "armv7" => EM_ARM,
        "riscv64" => EM_RISCV,
        _ => return None,
    })
}

/// Checks one ELF file built for `arch`. `Err` is a file that cannot be
/// packaged at all (not parseable, wrong architecture); `Ok` lists the
/// hardening checks it fails, which a recipe may waive.
pub fn check(bytes: &[u8], arch: &str) -> Result<(Kind, Vec<Failure>), String> {
    let elf = Elf::parse(bytes).map_err(|e| format!("not a valid ELF file ({e})"))?;
    match machine_of(arch) {
        Some(m) if m == elf.header.e_machine => {}
        Some(_) => {
            return Err(format!(
                "built for ELF machine {}, not {arch}",
                elf.header.e_machine
            ))
        }
        None => return Err(format!("ELF file in a package for arch '{arch}'")),
    }
    let dynamic = elf.dynamic.as_ref();
    let tag = |t: u64| dynamic.and_then(|d| d.dyns.iter().find(|e| e.d_tag == t).map(|e| e.d_val));
    let flags = tag(DT_FLAGS).unwrap_or(0);
    let flags_1 = tag(DT_FLAGS_1).unwrap_or(0);
    let kind = match elf.header.e_type {
        ET_EXEC => Kind::Executable,
        ET_DYN if elf.interpreter.is_some() || flags_1 & DF_1_PIE != 0 => Kind::Executable,
        ET_DYN => Kind::Library,
        _ => Kind::Other,
    };
    let mut failures = Vec::new();
    let mut fail = |check, what: String| failures.push(Failure { check, what });
    if kind == Kind::Other {
        return Ok((kind, Vec::new()));
    }
    if kind == Kind::Executable {
        let want = musl_loader(arch);
        if let Some(interp) = elf.interpreter {
            if interp != want {
                fail(
                    "interpreter",
                    format!("interpreter {interp} is not musl's {want}"),
                );
            }
        }
        if elf.header.e_type == ET_EXEC {
            fail("pie", "not PIE (fixed-address executable)".into());
        }
    }
    let segment = |t: u32| elf.program_headers.iter().find(|p| p.p_type == t);
    match segment(PT_GNU_STACK) {
        None => fail(
            "nx-stack",
            "no PT_GNU_STACK: the stack is executable by default".into(),
        ),
        Some(p) if p.p_flags & PF_X != 0 => fail("nx-stack", "executable stack".into()),
        Some(_) => {}
    }
    if segment(PT_GNU_RELRO).is_none() {
        fail("relro", "no RELRO (no PT_GNU_RELRO segment)".into());
    }
    let is_dynamic = segment(PT_DYNAMIC).is_some();
    if is_dynamic
        && flags & DF_BIND_NOW == 0
        && flags_1 & DF_1_NOW == 0
        && tag(DT_BIND_NOW).is_none()
    {
        fail(
            "bind-now",
            "lazy binding (no BIND_NOW): RELRO does not cover the GOT".into(),
        );
    }
    let protected = |name: &str| name == "__stack_chk_fail" || name == "__stack_chk_fail_local";
    let in_dynsyms = elf
        .dynsyms
        .iter()
        .any(|s| elf.dynstrtab.get_at(s.st_name).is_some_and(protected));
    let in_syms = elf
        .syms
        .iter()
        .any(|s| elf.strtab.get_at(s.st_name).is_some_and(protected));
    if !in_dynsyms && !in_syms {
        fail(
            "stack-protector",
            "no stack protector (neither imports nor defines __stack_chk_fail)".into(),
        );
    }
    Ok((kind, failures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_it_cannot_read_or_place() {
        assert!(check(b"\x7fELF not really", "x86_64")
            .unwrap_err()
            .contains("not a valid ELF file"));
        let me = std::fs::read("/proc/self/exe").unwrap();
        assert!(check(&me, "noarch").unwrap_err().contains("noarch"));
        let other = if cfg!(target_arch = "x86_64") {
            "aarch64"
        } else {
            "x86_64"
        };
        assert!(check(&me, other).unwrap_err().contains("not"));
    }

    #[test]
    fn a_glibc_program_is_an_executable_with_the_wrong_interpreter() {
        // This test binary is linked against glibc by the host toolchain.
        let me = std::fs::read("/proc/self/exe").unwrap();
        let (kind, failures) = check(&me, std::env::consts::ARCH).unwrap();
        assert_eq!(kind, Kind::Executable);
        assert!(
            failures.iter().any(|f| f.check == "interpreter"),
            "{failures:?}"
        );
    }

    #[test]
    fn musls_libc_is_a_hardened_library() {
        let Ok(libc) = std::fs::read("/usr/lib/x86_64-linux-musl/libc.so") else {
            return; // musl is not installed here
        };
        assert_eq!(check(&libc, "x86_64").unwrap(), (Kind::Library, Vec::new()));
    }
}
