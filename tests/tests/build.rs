//! The linker: reproducible output and clear errors on bad definitions.

use ibex_linker::build::BuildOptions;
use ibex_linker::disk::build_disk;
use ibex_tests::{build_image, root};

#[test]
fn two_builds_of_the_same_inputs_are_byte_identical() {
    let dir = root().join("target/repro");
    let disk = |name: &str| {
        let opts = BuildOptions {
            out: Some(dir.join(name)),
            ..BuildOptions::default()
        };
        build_disk(&root(), &opts).unwrap()
    };
    let (da, db) = (disk("a"), disk("b"));
    let (a, b) = (&da.built, &db.built);
    for (x, y) in [
        (&da.disk, &db.disk),
        (&da.sysupgrade, &db.sysupgrade),
        (&a.kernel_image, &b.kernel_image),
        (&a.initramfs, &b.initramfs),
        (
            &a.initramfs.with_extension("cpio.gz"),
            &b.initramfs.with_extension("cpio.gz"),
        ),
    ] {
        let (bx, by) = (std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
        assert!(!bx.is_empty());
        assert!(bx == by, "{} and {} differ", x.display(), y.display());
    }
}

#[test]
fn unknown_board_and_image_are_clear_errors() {
    let e = build_image("no-such-board", "default", None).unwrap_err();
    assert!(
        e.contains("no such board") && e.contains("qemu-x86_64"),
        "{e}"
    );
    let e = build_image("qemu-x86_64", "no-such-image", None).unwrap_err();
    assert!(e.contains("no such image") && e.contains("default"), "{e}");
    let e = build_image("../etc", "default", None).unwrap_err();
    assert!(e.contains("not a valid board name"), "{e}");
    let opts = BuildOptions {
        board: "qemu-aarch64".into(),
        ..BuildOptions::default()
    };
    let e = build_disk(&root(), &opts).unwrap_err().to_string();
    assert!(e.contains("has no disk layout"), "{e}");
}

#[test]
fn every_board_passes_the_hardening_check() {
    let root = root();
    for name in ibex_linker::definitions::list(&root.join("boards")) {
        let board = ibex_linker::definitions::Board::load(&root, &name).unwrap();
        let config = ibex_linker::build::kernel_config(&root, &board, false).unwrap();
        let waivers = board.hardening.waive.clone().into_iter().collect();
        let report = ibex_kernel::check::check(&config, &board.kernel.arch, &waivers);
        assert!(report.passes(), "{name}:\n{report}");
        assert!(
            report.findings.len() > 40,
            "{name}: only {} rules applied",
            report.findings.len()
        );
    }
}

#[test]
fn debian_kernel_config_fails_where_expected() {
    // Debian's generic kernel keeps modules, kexec and 32-bit compat: the
    // checker must notice, or it checks nothing.
    let debian = "CONFIG_MODULES=y\nCONFIG_KEXEC=y\nCONFIG_IA32_EMULATION=y\nCONFIG_BUG=y\n";
    let report = ibex_kernel::check::check(debian, "x86_64", &Default::default());
    assert!(!report.passes());
    for rule in ["MODULES", "KEXEC", "IA32_EMULATION"] {
        assert!(
            report.findings.iter().any(|f| f.rule.name == rule
                && matches!(f.verdict, ibex_kernel::check::Verdict::Fail(_))),
            "{rule} not failed:\n{report}"
        );
    }
}
