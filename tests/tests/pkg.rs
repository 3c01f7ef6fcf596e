//! The package layer on a booted system: the `pkg-test` image comes with
//! sqlite3, lua and bzip2 installed at build time; a second initramfs adds
//! two local repositories, and on the running system `ibox pkg` installs a
//! package with a service from the first, upgrades it from the second and
//! removes it, while init starts, restarts and drops its service.

use ibex_linker::cpio::{Node, Tree};
use ibex_linker::pkg::build::{self, load_signing_key};
use ibex_linker::{pkg, qemu};
use ibex_tests::{build_image, root, Vm};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Builds `recipes` (directories) into a repository `dir` signed with the
/// checkout's development key, which the image trusts.
fn repository(dir: &Path, recipes: &[PathBuf]) {
    let key = root().join("target/ibex/keys/ibex-dev.sec");
    fs::create_dir_all(dir).unwrap();
    for recipe in recipes {
        build::build(
            &root(),
            &build::Options {
                recipe: recipe.clone(),
                key: key.clone(),
                out: Some(dir.to_path_buf()),
                arch: Some("x86_64".into()),
                verbose: false,
            },
        )
        .unwrap_or_else(|e| panic!("building {}: {e}", recipe.display()));
    }
    pkg::index(dir, &load_signing_key(&key).unwrap()).unwrap();
}

/// Adds the files of `dir` to `tree` under `at`.
fn add_dir(tree: &mut Tree, dir: &Path, at: &str) {
    tree.add_dir_all(at, 0o755).unwrap();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        tree.add(
            &format!("{at}/{name}"),
            Node::File {
                mode: 0o644,
                data: fs::read(entry.path()).unwrap(),
            },
        )
        .unwrap();
    }
}

#[test]
fn install_run_upgrade_and_remove_on_a_booted_system() {
    // The image build makes the development key the repositories use.
    let built = build_image("qemu-x86_64", "pkg-test", None).expect("build pkg-test");
    let work = std::env::temp_dir().join(format!("ibex-pkg-vm-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).unwrap();

    // Version 1.1-r0 of ibex-hello: the same recipe with the version raised.
    let hello = root().join("packages/ibex-hello");
    let hello2 = work.join("ibex-hello");
    fs::create_dir_all(&hello2).unwrap();
    for f in ["hello.c", "ibex-hello.conf"] {
        fs::copy(hello.join(f), hello2.join(f)).unwrap();
    }
    let recipe = fs::read_to_string(hello.join("recipe.toml")).unwrap();
    assert!(recipe.contains("version = \"1.0-r0\""));
    fs::write(
        hello2.join("recipe.toml"),
        recipe.replace("version = \"1.0-r0\"", "version = \"1.1-r0\""),
    )
    .unwrap();
    let musl = root().join("packages/musl");
    repository(&work.join("repo1"), &[musl.clone(), hello]);
    repository(&work.join("repo2"), &[musl, hello2]);
    let mut extra = Tree::new();
    add_dir(&mut extra, &work.join("repo1"), "srv/repo1");
    add_dir(&mut extra, &work.join("repo2"), "srv/repo2");
    let extra_cpio = work.join("extra.cpio");
    fs::write(&extra_cpio, extra.write(0).unwrap()).unwrap();

    // The kernel unpacks an initrd given by the boot loader on top of the
    // initramfs built into it.
    let mut cmd = qemu::command(&built, qemu::Console::Piped).unwrap();
    cmd.arg("-initrd").arg(&extra_cpio);
    let mut vm = Vm::start(cmd);
    vm.wait_for("# ", Duration::from_secs(60));
    vm.plain_shell();

    // Installed at build time: upstream programs run through musl's loader.
    assert_eq!(
        vm.ok("sqlite3 -list /tmp/t.db 'create table t(x); insert into t values (6*7); select x from t;'"),
        "42"
    );
    assert_eq!(vm.ok("lua -e 'print(2^10)'"), "1024.0");
    assert_eq!(vm.ok("echo round trip | bzip2 | bzip2 -d"), "round trip");
    let verify = vm.ok("pkg verify");
    assert!(verify.contains("OK: 4 packages verified"), "{verify}");
    assert_eq!(vm.ok("cat /etc/ibex/world"), "bzip2\nlua\nsqlite3");

    // Install from a repository: the program runs and init starts its service.
    vm.ok("echo /srv/repo1 > /etc/ibex/repositories");
    assert_eq!(vm.ok("pkg update"), "/srv/repo1: 2 packages");
    let out = vm.ok("pkg add ibex-hello");
    assert!(out.contains("Installing ibex-hello (1.0-r0)"), "{out}");
    assert!(out.contains("started: ibex-hello"), "{out}");
    let out = vm.ok("ibex-hello --count 1 --config /dev/null");
    assert!(out.contains("ibex-hello 1.0-r0: started"), "{out}");
    vm.ok("svc start ibex-hello");
    assert_eq!(vm.run("svc status ibex-hello").status, 0);
    let log = vm.ok("logread ibex-hello");
    assert!(log.contains("ibex-hello 1.0-r0: started"), "{log}");
    let pid1 = vm.ok("pidof ibex-hello");

    // Upgrade from the second repository: the service restarts as 1.1-r0.
    vm.ok("echo /srv/repo2 > /etc/ibex/repositories");
    vm.ok("pkg update");
    let out = vm.ok("pkg upgrade");
    assert!(
        out.contains("Upgrading ibex-hello (1.0-r0 -> 1.1-r0)"),
        "{out}"
    );
    vm.ok("svc start ibex-hello");
    assert_eq!(vm.run("svc status ibex-hello").status, 0);
    let log = vm.ok("logread ibex-hello");
    assert!(log.contains("ibex-hello 1.1-r0: started"), "{log}");
    assert_ne!(vm.ok("pidof ibex-hello"), pid1);
    assert!(vm.ok("pkg verify").contains("OK: 5 packages verified"));

    // Remove: the service stops and is gone, and so are its files.
    let out = vm.ok("pkg del ibex-hello");
    assert!(out.contains("Purging ibex-hello (1.1-r0)"), "{out}");
    assert!(out.contains("stopped: ibex-hello"), "{out}");
    assert_ne!(vm.run("svc status ibex-hello").status, 0);
    assert_ne!(vm.run("test -e /usr/bin/ibex-hello").status, 0);
    assert!(vm.ok("pkg verify").contains("OK: 4 packages verified"));
    let _ = fs::remove_dir_all(&work);
}
