//! Every board's kernel, built (ignored by default: run by
//! scripts/build-all-boards, since each kernel build takes minutes).

use ibex_linker::definitions::{list, Board};
use ibex_tests::{kernel_builder, minimal_initramfs, root};
use std::time::Instant;

/// The boards named in `IBEX_BOARDS` (every board when it is empty).
fn wanted_boards() -> Vec<String> {
    std::env::var("IBEX_BOARDS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
#[ignore = "builds every board's kernel (minutes each): scripts/build-all-boards"]
fn build_every_board_kernel() {
    let root = root();
    let wanted = wanted_boards();
    let out_dir = root.join("target/boards");
    std::fs::create_dir_all(&out_dir).unwrap();
    // Boards without Ibex's userland for their architecture get an initramfs
    // with only /dev/console: enough for the kernel to build and link.
    let initramfs = out_dir.join("minimal.cpio");
    std::fs::write(&initramfs, minimal_initramfs(None)).unwrap();
    let mut failures = Vec::new();
    println!("board          build     image bytes  hardening");
    for name in list(&root.join("boards")) {
        if !wanted.is_empty() && !wanted.contains(&name) {
            continue;
        }
        let board = Board::load(&root, &name).unwrap();
        let (builder, spec, _lock) = kernel_builder(&board);
        let started = Instant::now();
        let result = builder.configure(&spec).and_then(|tree| {
            let image = builder.build_with_initramfs(&tree, &initramfs)?;
            for dtb in &board.kernel.dtbs {
                let status = tree.make().arg(dtb).status();
                if !matches!(status, Ok(s) if s.success()) {
                    return Err(ibex_kernel::Error::CommandFailed(format!(
                        "building device tree {dtb} failed"
                    )));
                }
            }
            let config = std::fs::read_to_string(tree.dir.join(".config"))
                .map_err(|e| ibex_kernel::Error::Io(tree.dir.join(".config"), e))?;
            Ok((image, config))
        });
        match result {
            Ok((image, config)) => {
                let waivers = board.hardening.waive.clone().into_iter().collect();
                let report = ibex_kernel::check::check(&config, &board.kernel.arch, &waivers);
                let size = std::fs::metadata(&image).map(|m| m.len()).unwrap_or(0);
                println!(
                    "{name:<14} {:>6.0?}  {size:>11}  {}/{} OK, {} waived",
                    started.elapsed(),
                    report.ok(),
                    report.findings.len(),
                    report.waived()
                );
                if !report.passes() {
                    failures.push(format!("{name}: hardening check fails:\n{report}"));
                }
            }
            Err(e) => {
                println!("{name:<14} FAILED");
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The x86_64 boards boot the default image in QEMU to the shell prompt
/// (ignored by default like the builds above: each board's kernel takes
/// minutes to build the first time).
#[test]
#[ignore = "builds and boots the x86_64 boards' kernels: scripts/build-all-boards"]
fn x86_64_boards_boot_the_default_image() {
    let root = root();
    let wanted = wanted_boards();
    for name in list(&root.join("boards")) {
        if !wanted.is_empty() && !wanted.contains(&name) {
            continue;
        }
        let board = Board::load(&root, &name).unwrap();
        if board.arch != "x86_64" {
            continue;
        }
        let built = ibex_tests::build_image(&name, "default", None).unwrap();
        let started = Instant::now();
        let mut vm = ibex_tests::Vm::boot(&built);
        let to_prompt = started.elapsed();
        assert_eq!(vm.ok("uname -m"), "x86_64", "{name}");
        assert_eq!(
            vm.ok("cat /etc/os-release | grep -c default"),
            "1",
            "{name}"
        );
        println!("{name:<14} booted to the prompt in {to_prompt:.1?}");
    }
}
