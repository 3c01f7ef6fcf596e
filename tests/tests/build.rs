//! The linker: reproducible output and clear errors on bad definitions.

use ibex_tests::{build_image, root};

#[test]
fn two_builds_of_the_same_inputs_are_byte_identical() {
    let dir = root().join("target/repro");
    let a = build_image("qemu-x86_64", "default", Some(dir.join("a"))).unwrap();
    let b = build_image("qemu-x86_64", "default", Some(dir.join("b"))).unwrap();
    for (x, y) in [
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
}
