//! The hardening checker behind `ibex kernel check`: evaluates a resolved
//! `.config` against the Kernel Self Protection Project's recommended
//! settings as they exist in Linux 6.1, per architecture.
//!
//! Each rule lists one or more acceptable settings (any one satisfies it):
//! `MODULES=n` *or* `MODULE_SIG_FORCE=y`, for example. A board may waive a
//! rule, by its name, with a reason in its definition.

use crate::parse_config;
use std::collections::HashMap;
use std::fmt;

/// One recommendation.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Name the rule is shown and waived by.
    pub name: &'static str,
    /// Kernel architectures it applies to (`ARCH=` names); empty = all.
    pub arches: &'static [&'static str],
    /// Acceptable settings, any of which satisfies the rule; `n` means
    /// "is not set" (absent counts as not set).
    pub accept: &'static [(&'static str, &'static str)],
    /// Why it matters, in a few words.
    pub why: &'static str,
}

const X86: &[&str] = &["x86_64", "x86"];
const ARM64: &[&str] = &["arm64"];
const ARM: &[&str] = &["arm"];

/// The recommendations, in the order they are printed.
pub const RULES: &[Rule] = &[
    // Memory safety of the kernel's own data.
    Rule {
        name: "BUG",
        arches: &[],
        accept: &[("BUG", "y")],
        why: "report and stop on detected corruption",
    },
    Rule {
        name: "BUG_ON_DATA_CORRUPTION",
        arches: &[],
        accept: &[("BUG_ON_DATA_CORRUPTION", "y")],
        why: "BUG instead of continuing on corrupted lists",
    },
    Rule {
        name: "DEBUG_LIST",
        arches: &[],
        accept: &[("DEBUG_LIST", "y")],
        why: "linked-list integrity checks",
    },
    Rule {
        name: "DEBUG_SG",
        arches: &[],
        accept: &[("DEBUG_SG", "y")],
        why: "scatterlist integrity checks",
    },
    Rule {
        name: "DEBUG_NOTIFIERS",
        arches: &[],
        accept: &[("DEBUG_NOTIFIERS", "y")],
        why: "notifier chain integrity checks",
    },
    Rule {
        name: "DEBUG_CREDENTIALS",
        arches: &[],
        accept: &[("DEBUG_CREDENTIALS", "y")],
        why: "credential integrity checks",
    },
    Rule {
        name: "SCHED_STACK_END_CHECK",
        arches: &[],
        accept: &[("SCHED_STACK_END_CHECK", "y")],
        why: "detect kernel stack overflow",
    },
    Rule {
        name: "VMAP_STACK",
        arches: &[],
        accept: &[("VMAP_STACK", "y")],
        why: "guard pages around kernel stacks",
    },
    Rule {
        name: "STACKPROTECTOR_STRONG",
        arches: &[],
        accept: &[("STACKPROTECTOR_STRONG", "y")],
        why: "stack canaries",
    },
    Rule {
        name: "INIT_STACK_ALL_ZERO",
        arches: &[],
        accept: &[("INIT_STACK_ALL_ZERO", "y")],
        why: "no uninitialised stack variables",
    },
    Rule {
        name: "ZERO_CALL_USED_REGS",
        arches: &[],
        accept: &[("ZERO_CALL_USED_REGS", "y")],
        why: "fewer ROP gadgets and leaks",
    },
    Rule {
        name: "RANDOMIZE_KSTACK_OFFSET_DEFAULT",
        arches: &[],
        accept: &[("RANDOMIZE_KSTACK_OFFSET_DEFAULT", "y")],
        why: "random stack offset per syscall",
    },
    Rule {
        name: "HARDENED_USERCOPY",
        arches: &[],
        accept: &[("HARDENED_USERCOPY", "y")],
        why: "bounds-check copies to and from user space",
    },
    Rule {
        name: "FORTIFY_SOURCE",
        arches: &[],
        accept: &[("FORTIFY_SOURCE", "y")],
        why: "bounds-checked string and memory functions",
    },
    Rule {
        name: "SLAB_FREELIST_HARDENED",
        arches: &[],
        accept: &[("SLAB_FREELIST_HARDENED", "y")],
        why: "obfuscated allocator freelists",
    },
    Rule {
        name: "SLAB_FREELIST_RANDOM",
        arches: &[],
        accept: &[("SLAB_FREELIST_RANDOM", "y")],
        why: "randomised allocator freelists",
    },
    Rule {
        name: "SHUFFLE_PAGE_ALLOCATOR",
        arches: &[],
        accept: &[("SHUFFLE_PAGE_ALLOCATOR", "y")],
        why: "randomised page allocator",
    },
    Rule {
        name: "INIT_ON_ALLOC_DEFAULT_ON",
        arches: &[],
        accept: &[("INIT_ON_ALLOC_DEFAULT_ON", "y")],
        why: "zero memory on allocation",
    },
    Rule {
        name: "INIT_ON_FREE_DEFAULT_ON",
        arches: &[],
        accept: &[("INIT_ON_FREE_DEFAULT_ON", "y")],
        why: "zero memory on free",
    },
    Rule {
        name: "STRICT_KERNEL_RWX",
        arches: &[],
        accept: &[("STRICT_KERNEL_RWX", "y")],
        why: "kernel text read-only, data non-executable",
    },
    Rule {
        name: "STRICT_MODULE_RWX",
        arches: &[],
        accept: &[("MODULES", "n"), ("STRICT_MODULE_RWX", "y")],
        why: "module text read-only",
    },
    Rule {
        name: "DEBUG_WX",
        arches: &["x86_64", "x86", "arm64", "arm"],
        accept: &[("DEBUG_WX", "y")],
        why: "warn about writable+executable mappings at boot",
    },
    // Reactions to attacks.
    Rule {
        name: "PANIC_ON_OOPS",
        arches: &[],
        accept: &[("PANIC_ON_OOPS", "y")],
        why: "an oops stops the system instead of running on corrupted",
    },
    Rule {
        name: "PANIC_TIMEOUT",
        arches: &[],
        accept: &[("PANIC_TIMEOUT", "-1")],
        why: "reboot at once after a panic",
    },
    // Attack surface.
    Rule {
        name: "MODULES",
        arches: &[],
        accept: &[("MODULES", "n"), ("MODULE_SIG_FORCE", "y")],
        why: "no unsigned kernel code at run time",
    },
    Rule {
        name: "KEXEC",
        arches: &[],
        accept: &[("KEXEC", "n")],
        why: "no replacing the running kernel",
    },
    Rule {
        name: "KEXEC_FILE",
        arches: &[],
        accept: &[("KEXEC_FILE", "n")],
        why: "no replacing the running kernel",
    },
    Rule {
        name: "HIBERNATION",
        arches: &[],
        accept: &[("HIBERNATION", "n")],
        why: "no resuming a tampered memory image",
    },
    Rule {
        name: "DEVMEM",
        arches: &[],
        accept: &[("DEVMEM", "n")],
        why: "no /dev/mem",
    },
    Rule {
        name: "DEVPORT",
        arches: &[],
        accept: &[("DEVPORT", "n")],
        why: "no /dev/port",
    },
    Rule {
        name: "PROC_KCORE",
        arches: &[],
        accept: &[("PROC_KCORE", "n")],
        why: "no /proc/kcore",
    },
    Rule {
        name: "PROC_VMCORE",
        arches: &[],
        accept: &[("PROC_VMCORE", "n")],
        why: "no /proc/vmcore",
    },
    Rule {
        name: "DEBUG_FS",
        arches: &[],
        accept: &[("DEBUG_FS", "n")],
        why: "no debugfs",
    },
    Rule {
        name: "COMPAT_BRK",
        arches: &[],
        accept: &[("COMPAT_BRK", "n")],
        why: "randomised heap start",
    },
    Rule {
        name: "USELIB",
        arches: &[],
        accept: &[("USELIB", "n")],
        why: "no obsolete uselib(2)",
    },
    Rule {
        name: "BINFMT_MISC",
        arches: &[],
        accept: &[("BINFMT_MISC", "n")],
        why: "no arbitrary interpreters",
    },
    Rule {
        name: "LEGACY_PTYS",
        arches: &[],
        accept: &[("LEGACY_PTYS", "n")],
        why: "no BSD ptys",
    },
    Rule {
        name: "LDISC_AUTOLOAD",
        arches: &[],
        accept: &[("LDISC_AUTOLOAD", "n")],
        why: "no line discipline autoloading by users",
    },
    Rule {
        name: "USERFAULTFD",
        arches: &[],
        accept: &[("USERFAULTFD", "n")],
        why: "no use-after-free race widening",
    },
    Rule {
        name: "SECCOMP_FILTER",
        arches: &[],
        accept: &[("SECCOMP_FILTER", "y")],
        why: "system call filtering for sandboxes",
    },
    Rule {
        name: "SECURITY_DMESG_RESTRICT",
        arches: &[],
        accept: &[("SECURITY_DMESG_RESTRICT", "y")],
        why: "kernel log not readable by users",
    },
    Rule {
        name: "STATIC_USERMODEHELPER",
        arches: &[],
        accept: &[("STATIC_USERMODEHELPER", "y")],
        why: "the kernel runs only one known helper",
    },
    // x86_64.
    Rule {
        name: "RANDOMIZE_BASE",
        arches: X86,
        accept: &[("RANDOMIZE_BASE", "y")],
        why: "KASLR",
    },
    Rule {
        name: "RANDOMIZE_MEMORY",
        arches: X86,
        accept: &[("RANDOMIZE_MEMORY", "y")],
        why: "randomised kernel memory regions",
    },
    Rule {
        name: "PAGE_TABLE_ISOLATION",
        arches: X86,
        accept: &[("PAGE_TABLE_ISOLATION", "y")],
        why: "Meltdown",
    },
    Rule {
        name: "RETPOLINE",
        arches: X86,
        accept: &[("RETPOLINE", "y")],
        why: "Spectre v2",
    },
    Rule {
        name: "RETHUNK",
        arches: X86,
        accept: &[("RETHUNK", "y")],
        why: "Retbleed",
    },
    Rule {
        name: "SLS",
        arches: X86,
        accept: &[("SLS", "y")],
        why: "straight-line speculation",
    },
    Rule {
        name: "X86_KERNEL_IBT",
        arches: X86,
        accept: &[("X86_KERNEL_IBT", "y")],
        why: "indirect branch tracking (CET)",
    },
    Rule {
        name: "X86_UMIP",
        arches: X86,
        accept: &[("X86_UMIP", "y")],
        why: "no SGDT/SIDT from user space",
    },
    Rule {
        name: "LEGACY_VSYSCALL",
        arches: X86,
        accept: &[
            ("X86_VSYSCALL_EMULATION", "n"),
            ("LEGACY_VSYSCALL_NONE", "y"),
        ],
        why: "no fixed-address vsyscall page",
    },
    Rule {
        name: "IA32_EMULATION",
        arches: X86,
        accept: &[("IA32_EMULATION", "n")],
        why: "no 32-bit syscall surface",
    },
    Rule {
        name: "X86_X32_ABI",
        arches: X86,
        accept: &[("X86_X32_ABI", "n")],
        why: "no x32 syscall surface",
    },
    Rule {
        name: "MODIFY_LDT_SYSCALL",
        arches: X86,
        accept: &[("MODIFY_LDT_SYSCALL", "n")],
        why: "no user LDTs",
    },
    Rule {
        name: "X86_IOPL_IOPERM",
        arches: X86,
        accept: &[("X86_IOPL_IOPERM", "n")],
        why: "no user port I/O",
    },
    Rule {
        name: "ARCH_MMAP_RND_BITS",
        arches: X86,
        accept: &[("ARCH_MMAP_RND_BITS", "32")],
        why: "maximum mmap randomisation",
    },
    Rule {
        name: "DEFAULT_MMAP_MIN_ADDR",
        arches: X86,
        accept: &[("DEFAULT_MMAP_MIN_ADDR", "65536")],
        why: "no NULL-page mappings",
    },
    // arm64.
    Rule {
        name: "RANDOMIZE_BASE",
        arches: ARM64,
        accept: &[("RANDOMIZE_BASE", "y")],
        why: "KASLR",
    },
    Rule {
        name: "UNMAP_KERNEL_AT_EL0",
        arches: ARM64,
        accept: &[("UNMAP_KERNEL_AT_EL0", "y")],
        why: "Meltdown",
    },
    Rule {
        name: "ARM64_SW_TTBR0_PAN",
        arches: ARM64,
        accept: &[("ARM64_SW_TTBR0_PAN", "y")],
        why: "no kernel access to user memory",
    },
    Rule {
        name: "ARM64_PTR_AUTH_KERNEL",
        arches: ARM64,
        accept: &[("ARM64_PTR_AUTH_KERNEL", "y")],
        why: "signed return addresses",
    },
    Rule {
        name: "ARM64_BTI_KERNEL",
        arches: ARM64,
        accept: &[("ARM64_BTI_KERNEL", "y")],
        why: "branch target identification",
    },
    Rule {
        name: "ARM64_EPAN",
        arches: ARM64,
        accept: &[("ARM64_EPAN", "y")],
        why: "enhanced PAN",
    },
    Rule {
        name: "COMPAT",
        arches: ARM64,
        accept: &[("COMPAT", "n")],
        why: "no 32-bit syscall surface",
    },
    Rule {
        name: "ARCH_MMAP_RND_BITS",
        arches: ARM64,
        accept: &[("ARCH_MMAP_RND_BITS", "33")],
        why: "maximum mmap randomisation",
    },
    Rule {
        name: "DEFAULT_MMAP_MIN_ADDR",
        arches: ARM64,
        accept: &[("DEFAULT_MMAP_MIN_ADDR", "32768")],
        why: "no NULL-page mappings",
    },
    Rule {
        name: "ARM64_E0PD",
        arches: ARM64,
        accept: &[("ARM64_E0PD", "y")],
        why: "user accesses to kernel addresses fault in constant time",
    },
    Rule {
        name: "MITIGATE_SPECTRE_BRANCH_HISTORY",
        arches: ARM64,
        accept: &[("MITIGATE_SPECTRE_BRANCH_HISTORY", "y")],
        why: "Spectre-BHB",
    },
    Rule {
        name: "RODATA_FULL_DEFAULT_ENABLED",
        arches: ARM64,
        accept: &[("RODATA_FULL_DEFAULT_ENABLED", "y")],
        why: "read-only linear aliases of read-only memory",
    },
    // arm (32-bit).
    Rule {
        name: "CPU_SW_DOMAIN_PAN",
        arches: ARM,
        accept: &[("CPU_SW_DOMAIN_PAN", "y")],
        why: "no kernel access to user memory (PAN emulation)",
    },
    Rule {
        name: "HARDEN_BRANCH_PREDICTOR",
        arches: ARM,
        accept: &[("HARDEN_BRANCH_PREDICTOR", "y")],
        why: "Spectre v2",
    },
    Rule {
        name: "HARDEN_BRANCH_HISTORY",
        arches: ARM,
        accept: &[("HARDEN_BRANCH_HISTORY", "y")],
        why: "Spectre-BHB",
    },
    Rule {
        name: "OABI_COMPAT",
        arches: ARM,
        accept: &[("OABI_COMPAT", "n")],
        why: "no old-ABI syscall surface",
    },
    Rule {
        name: "VMSPLIT_3G",
        arches: ARM,
        accept: &[("VMSPLIT_3G", "y")],
        why: "largest user address space, most ASLR entropy",
    },
    Rule {
        name: "ARCH_MMAP_RND_BITS",
        arches: ARM,
        accept: &[("ARCH_MMAP_RND_BITS", "16")],
        why: "maximum mmap randomisation",
    },
    Rule {
        name: "DEFAULT_MMAP_MIN_ADDR",
        arches: ARM,
        accept: &[("DEFAULT_MMAP_MIN_ADDR", "32768")],
        why: "no NULL-page mappings",
    },
];

/// The verdict on one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// One of the accepted settings holds.
    Ok,
    /// None holds; the string shows what the config has instead.
    Fail(String),
    /// Fails, but the board waives it for this reason.
    Waived(String),
}

/// One line of a report.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// What the config says about it.
    pub verdict: Verdict,
}

/// A full report on one configuration.
#[derive(Debug, Clone)]
pub struct Report {
    /// One finding per rule that applies to the architecture.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Rules satisfied.
    pub fn ok(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Ok))
    }

    /// Rules failed and not waived.
    pub fn failed(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Fail(_)))
    }

    /// Rules failed but waived.
    pub fn waived(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Waived(_)))
    }

    fn count(&self, f: impl Fn(&Verdict) -> bool) -> usize {
        self.findings.iter().filter(|x| f(&x.verdict)).count()
    }

    /// A board passes when nothing failed without a waiver.
    pub fn passes(&self) -> bool {
        self.failed() == 0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            let wanted: Vec<String> = finding
                .rule
                .accept
                .iter()
                .map(|(s, v)| format!("{s}={v}"))
                .collect();
            let wanted = wanted.join(" or ");
            match &finding.verdict {
                Verdict::Ok => writeln!(f, "OK      {wanted}")?,
                Verdict::Fail(actual) => {
                    writeln!(f, "FAIL    {wanted}  (has {actual}; {})", finding.rule.why)?
                }
                Verdict::Waived(reason) => writeln!(f, "WAIVED  {wanted}  ({reason})")?,
            }
        }
        write!(
            f,
            "score: {}/{} OK, {} waived, {} failed",
            self.ok(),
            self.findings.len(),
            self.waived(),
            self.failed()
        )
    }
}

/// Checks `config` (the text of a resolved `.config`) for architecture
/// `arch`, applying `waivers` (rule name → reason).
pub fn check(config: &str, arch: &str, waivers: &HashMap<String, String>) -> Report {
    let values: HashMap<String, String> = parse_config(config).into_iter().collect();
    let value_of = |sym: &str| {
        values
            .get(&format!("CONFIG_{sym}"))
            .cloned()
            .unwrap_or_else(|| "n".to_string())
    };
    let findings = RULES
        .iter()
        .filter(|r| r.arches.is_empty() || r.arches.contains(&arch))
        .map(|rule| {
            let holds = rule.accept.iter().any(|(sym, want)| value_of(sym) == *want);
            let verdict = if holds {
                Verdict::Ok
            } else if let Some(reason) = waivers.get(rule.name) {
                Verdict::Waived(reason.clone())
            } else {
                let actual: Vec<String> = rule
                    .accept
                    .iter()
                    .map(|(sym, _)| format!("{sym}={}", value_of(sym)))
                    .collect();
                Verdict::Fail(actual.join(", "))
            };
            Finding {
                rule: *rule,
                verdict,
            }
        })
        .collect();
    Report { findings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_waivers_and_arch_filtering() {
        let config = "CONFIG_MODULES=y\nCONFIG_MODULE_SIG_FORCE=y\nCONFIG_BUG=y\n# CONFIG_KEXEC is not set\nCONFIG_DEVMEM=y\n";
        let mut waivers = HashMap::new();
        waivers.insert("DEVMEM".to_string(), "flash tool needs it".to_string());
        let report = check(config, "x86_64", &waivers);
        let verdict = |name: &str| {
            report
                .findings
                .iter()
                .find(|f| f.rule.name == name)
                .map(|f| f.verdict.clone())
        };
        assert_eq!(verdict("MODULES"), Some(Verdict::Ok));
        assert_eq!(
            verdict("STRICT_MODULE_RWX"),
            Some(Verdict::Fail("MODULES=y, STRICT_MODULE_RWX=n".into()))
        );
        assert_eq!(verdict("BUG"), Some(Verdict::Ok));
        assert_eq!(verdict("KEXEC"), Some(Verdict::Ok));
        assert_eq!(
            verdict("DEVMEM"),
            Some(Verdict::Waived("flash tool needs it".into()))
        );
        assert_eq!(verdict("UNMAP_KERNEL_AT_EL0"), None);
        assert!(!report.passes());
        let arm = check(config, "arm64", &HashMap::new());
        assert!(arm
            .findings
            .iter()
            .any(|f| f.rule.name == "UNMAP_KERNEL_AT_EL0"));
        assert!(!arm.findings.iter().any(|f| f.rule.name == "RETPOLINE"));
        assert!(report.to_string().ends_with(&format!(
            "score: {}/{} OK, 1 waived, {} failed",
            report.ok(),
            report.findings.len(),
            report.failed()
        )));
    }
}
