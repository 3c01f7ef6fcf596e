//! Runs the built `ibox` on the host and checks the file applets: rm,
//! rmdir, mkdir, ln, cp, mv, touch, chmod, chown, chgrp, readlink,
//! realpath, pwd, stat, mktemp, mkfifo, mknod, truncate, sync, install, dd,
//! df and du.
//!
//! Every test works in a fresh scratch directory of its own (the applet
//! runs with it as the current directory) and touches nothing outside it.
//! The one test about `rm /` runs rm with `-i` and no answers, so that even
//! a broken refusal could not remove anything.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Output;

mod common;
use common::{is_root, run_in, scratch, stderr, stdout};

/// `ibox ARGS...` run in `dir` with stdin empty.
fn run(dir: &Path, args: &[&str]) -> Output {
    run_in(dir, args, b"")
}

/// Asserts status 0 and nothing on stderr; returns stdout.
fn ok(o: Output) -> String {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stderr(&o), "");
    stdout(&o)
}

/// Asserts status 1 and exactly `message` as the first line of stderr (a
/// usage text may follow).
fn fails(o: &Output, message: &str) {
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(o));
    assert_eq!(stderr(o).lines().next(), Some(message), "{}", stderr(o));
}

/// Asserts status 1 and a usage text on stderr.
fn usage(o: &Output, applet: &str) {
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(o));
    assert!(
        stderr(o).contains(&format!("Usage: {applet} ")),
        "{}",
        stderr(o)
    );
}

fn write(path: &Path, data: &str) {
    std::fs::write(path, data).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

#[test]
fn rm_files_and_trees() {
    let d = scratch("rm");
    usage(&run(&d, &["rm"]), "rm");
    assert_eq!(ok(run(&d, &["rm", "-f"])), "");
    fails(
        &run(&d, &["rm", "nx"]),
        "rm: can't remove 'nx': No such file or directory",
    );
    assert_eq!(ok(run(&d, &["rm", "-f", "nx"])), "");
    fails(&run(&d, &["rm", "-r", "."]), "rm: can't remove '.' or '..'");
    fails(
        &run(&d, &["rm", "-rf", "a/.."]),
        "rm: can't remove '.' or '..'",
    );
    std::fs::create_dir_all(d.join("dir with space/sub")).unwrap();
    write(&d.join("dir with space/sub/new\nline"), "x");
    write(&d.join("dir with space/empty"), "");
    fails(
        &run(&d, &["rm", "dir with space"]),
        "rm: 'dir with space' is a directory",
    );
    assert_eq!(
        ok(run(&d, &["rm", "-rv", "dir with space"])),
        "removed 'dir with space/empty'\nremoved 'dir with space/sub/new\nline'\n\
         removed directory: 'dir with space/sub'\nremoved directory: 'dir with space'\n"
    );
    assert!(!exists(&d.join("dir with space")));
    // A symlink to a directory goes, its target stays.
    std::fs::create_dir(d.join("target")).unwrap();
    write(&d.join("target/keep"), "k");
    std::os::unix::fs::symlink("target", d.join("link")).unwrap();
    ok(run(&d, &["rm", "-r", "link"]));
    assert!(!exists(&d.join("link")) && exists(&d.join("target/keep")));
    // Errors on one operand do not stop the others.
    write(&d.join("a"), "");
    let o = run(&d, &["rm", "nx", "a"]);
    fails(&o, "rm: can't remove 'nx': No such file or directory");
    assert!(!exists(&d.join("a")));
    // -i asks; only a yes removes. -f after -i cancels it.
    write(&d.join("f"), "");
    let o = run_in(&d, &["rm", "-i", "f"], b"n\n");
    assert_eq!(stderr(&o), "rm: remove 'f'? ");
    assert!(exists(&d.join("f")));
    let o = run_in(&d, &["rm", "-i", "f"], b"y\n");
    assert_eq!(o.status.code(), Some(0));
    assert!(!exists(&d.join("f")));
    write(&d.join("g"), "");
    assert_eq!(ok(run(&d, &["rm", "-if", "g"])), "");
    assert!(!exists(&d.join("g")));
    fails(&run(&d, &["rm", "-z"]), "rm: invalid option -- 'z'");
}

#[test]
fn rm_refuses_the_root_before_anything_else() {
    let d = scratch("rm-root");
    write(&d.join("keep"), "");
    // -i with no answers: even a broken check could only ask, never remove.
    for root in ["/", "//", "/./", "/tmp/.."] {
        let o = run(&d, &["rm", "-r", "-i", "keep", root]);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(stderr(&o), "rm: refusing to remove '/'\n", "{root}");
        assert_eq!(stdout(&o), "");
    }
    assert!(exists(&d.join("keep")));
}

#[test]
fn rmdir_and_parents() {
    let d = scratch("rmdir");
    fails(
        &run(&d, &["rmdir", "nx"]),
        "rmdir: 'nx': No such file or directory",
    );
    std::fs::create_dir_all(d.join("a/b/c")).unwrap();
    write(&d.join("a/file"), "");
    fails(&run(&d, &["rmdir", "a"]), "rmdir: 'a': Directory not empty");
    let o = run(&d, &["rmdir", "-p", "a/b/c/"]);
    fails(&o, "rmdir: 'a': Directory not empty");
    assert!(!exists(&d.join("a/b")) && exists(&d.join("a")));
    assert_eq!(
        ok(run(&d, &["rmdir", "--ignore-fail-on-non-empty", "a"])),
        ""
    );
    usage(&run(&d, &["rmdir"]), "rmdir");
}

#[test]
fn mkdir_modes_use_the_shared_parser() {
    let d = scratch("mkdir");
    ok(run(&d, &["mkdir", "-m", "u=rwx,go=rx", "a"]));
    assert_eq!(mode(&d.join("a")), 0o755);
    ok(run(&d, &["mkdir", "-m", "o-rwx", "b"]));
    assert_eq!(mode(&d.join("b")), 0o770);
    ok(run(&d, &["mkdir", "-m", "1777", "c"]));
    assert_eq!(mode(&d.join("c")), 0o1777);
    fails(
        &run(&d, &["mkdir", "-m", "u+q", "e"]),
        "mkdir: invalid mode 'u+q'",
    );
    assert!(!exists(&d.join("e")));
}

#[test]
fn ln_links() {
    let d = scratch("ln");
    write(&d.join("f"), "data");
    assert_eq!(ok(run(&d, &["ln", "-sv", "f", "l"])), "'l' -> 'f'\n");
    assert_eq!(std::fs::read_link(d.join("l")).unwrap(), Path::new("f"));
    ok(run(&d, &["ln", "f", "h"]));
    assert_eq!(std::fs::metadata(d.join("f")).unwrap().nlink(), 2);
    fails(&run(&d, &["ln", "f", "h"]), "ln: h: File exists");
    fails(
        &run(&d, &["ln", "nx", "h2"]),
        "ln: nx: No such file or directory",
    );
    // -f replaces; a dangling symlink is fine.
    ok(run(&d, &["ln", "-sf", "nowhere", "h"]));
    assert_eq!(
        std::fs::read_link(d.join("h")).unwrap(),
        Path::new("nowhere")
    );
    // Into a directory, several at once.
    std::fs::create_dir(d.join("dir")).unwrap();
    write(&d.join("g"), "");
    ok(run(&d, &["ln", "-s", "/x/f", "g", "dir"]));
    assert_eq!(
        std::fs::read_link(d.join("dir/f")).unwrap(),
        Path::new("/x/f")
    );
    assert!(exists(&d.join("dir/g")));
    fails(
        &run(&d, &["ln", "f", "g", "h"]),
        "ln: 'h' is not a directory",
    );
    // -n: a symlink to a directory is replaced, not entered.
    ok(run(&d, &["ln", "-s", "dir", "dl"]));
    ok(run(&d, &["ln", "-sfn", "g", "dl"]));
    assert_eq!(std::fs::read_link(d.join("dl")).unwrap(), Path::new("g"));
    assert!(!exists(&d.join("dir/g2")));
    // One operand: a link of the same name here.
    std::fs::create_dir(d.join("sub")).unwrap();
    ok(run(&d.join("sub"), &["ln", "-s", "../f"]));
    assert_eq!(
        std::fs::read_link(d.join("sub/f")).unwrap(),
        Path::new("../f")
    );
}

#[test]
fn cp_files() {
    let d = scratch("cp");
    usage(&run(&d, &["cp"]), "cp");
    usage(&run(&d, &["cp", "a"]), "cp");
    fails(
        &run(&d, &["cp", "nx", "b"]),
        "cp: can't stat 'nx': No such file or directory",
    );
    write(&d.join("f"), "data");
    std::fs::set_permissions(d.join("f"), std::fs::Permissions::from_mode(0o640)).unwrap();
    fails(
        &run(&d, &["cp", "f", "f"]),
        "cp: 'f' and 'f' are the same file",
    );
    assert_eq!(read(&d.join("f")), "data");
    assert_eq!(ok(run(&d, &["cp", "-v", "f", "g"])), "'f' -> 'g'\n");
    assert_eq!(read(&d.join("g")), "data");
    // Plain cp follows a symlink; -P/-d copy the link.
    std::os::unix::fs::symlink("f", d.join("l")).unwrap();
    ok(run(&d, &["cp", "l", "copy"]));
    assert!(std::fs::symlink_metadata(d.join("copy")).unwrap().is_file());
    ok(run(&d, &["cp", "-P", "l", "lcopy"]));
    assert_eq!(std::fs::read_link(d.join("lcopy")).unwrap(), Path::new("f"));
    // -n never overwrites, -i asks.
    write(&d.join("g"), "old");
    ok(run(&d, &["cp", "-n", "f", "g"]));
    assert_eq!(read(&d.join("g")), "old");
    let o = run_in(&d, &["cp", "-i", "f", "g"], b"n\n");
    assert_eq!(stderr(&o), "cp: overwrite 'g'? ");
    assert_eq!(read(&d.join("g")), "old");
    run_in(&d, &["cp", "-i", "f", "g"], b"y\n");
    assert_eq!(read(&d.join("g")), "data");
    // Several sources into a directory; a missing one does not stop them.
    std::fs::create_dir(d.join("into")).unwrap();
    let o = run(&d, &["cp", "f", "nx", "g", "into"]);
    fails(&o, "cp: can't stat 'nx': No such file or directory");
    assert_eq!(read(&d.join("into/f")), "data");
    assert_eq!(read(&d.join("into/g")), "data");
    fails(
        &run(&d, &["cp", "f", "g", "h"]),
        "cp: 'h' is not a directory",
    );
    // -p keeps mode and times.
    let old = filetime(&d.join("f"), 1_000_000_000);
    ok(run(&d, &["cp", "-p", "f", "kept"]));
    let m = std::fs::metadata(d.join("kept")).unwrap();
    assert_eq!((m.mode() & 0o7777, m.mtime()), (0o640, old));
}

/// Sets `path`'s times to `secs` with ibox touch; returns `secs`.
fn filetime(path: &Path, secs: i64) -> i64 {
    let dir = path.parent().unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    ok(run(dir, &["touch", "-h", "-d", &format!("@{secs}"), name]));
    secs
}

#[test]
fn cp_trees() {
    let d = scratch("cp-tree");
    std::fs::create_dir_all(d.join("src/sub")).unwrap();
    write(&d.join("src/sub/one"), "1");
    write(&d.join("src/name with\nnewline"), "2");
    std::os::unix::fs::symlink("one", d.join("src/sub/link")).unwrap();
    nix::unistd::mkfifo(
        &d.join("src/fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    std::fs::set_permissions(d.join("src/sub"), std::fs::Permissions::from_mode(0o750)).unwrap();
    filetime(&d.join("src/sub/one"), 123_456_789);
    fails(
        &run(&d, &["cp", "src", "x"]),
        "cp: omitting directory 'src'",
    );
    ok(run(&d, &["cp", "-a", "src", "dst"]));
    assert_eq!(read(&d.join("dst/sub/one")), "1");
    assert_eq!(read(&d.join("dst/name with\nnewline")), "2");
    assert_eq!(
        std::fs::read_link(d.join("dst/sub/link")).unwrap(),
        Path::new("one")
    );
    let fifo = std::fs::symlink_metadata(d.join("dst/fifo")).unwrap();
    assert!(fifo.file_type().is_fifo());
    assert_eq!(fifo.mode() & 0o7777, 0o600);
    assert_eq!(mode(&d.join("dst/sub")), 0o750);
    assert_eq!(
        std::fs::metadata(d.join("dst/sub/one")).unwrap().mtime(),
        123_456_789
    );
    // Into an existing directory: dst/src.
    ok(run(&d, &["cp", "-r", "src", "dst"]));
    assert_eq!(read(&d.join("dst/src/sub/one")), "1");
    // Never into itself.
    fails(
        &run(&d, &["cp", "-r", "src", "src/sub"]),
        "cp: can't copy a directory, 'src', into itself, 'src/sub/src'",
    );
    assert!(!exists(&d.join("src/sub/src")));
    // -L on a tree with a link loop: reported, not followed forever.
    std::fs::create_dir(d.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", d.join("loop/up")).unwrap();
    std::os::unix::fs::symlink(".", d.join("loop/self")).unwrap();
    let o = run(&d, &["cp", "-rL", "loop", "out"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cp: recursion detected, omitting directory 'loop/self'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn mv_renames_and_moves() {
    let d = scratch("mv");
    usage(&run(&d, &["mv", "a"]), "mv");
    fails(
        &run(&d, &["mv", "nx", "b"]),
        "mv: can't rename 'nx': No such file or directory",
    );
    write(&d.join("a"), "A");
    assert_eq!(ok(run(&d, &["mv", "-v", "a", "b"])), "'a' -> 'b'\n");
    assert!(!exists(&d.join("a")));
    assert_eq!(read(&d.join("b")), "A");
    std::fs::create_dir(d.join("dir")).unwrap();
    write(&d.join("c"), "C");
    ok(run(&d, &["mv", "b", "c", "dir"]));
    assert_eq!(read(&d.join("dir/b")), "A");
    assert_eq!(read(&d.join("dir/c")), "C");
    write(&d.join("e"), "E");
    ok(run(&d, &["mv", "-n", "e", "dir/c"]));
    assert_eq!(read(&d.join("dir/c")), "C");
    let o = run_in(&d, &["mv", "-i", "e", "dir/c"], b"n\n");
    assert_eq!(stderr(&o), "mv: overwrite 'dir/c'? ");
    assert_eq!(read(&d.join("dir/c")), "C");
    ok(run(&d, &["mv", "-f", "e", "dir/c"]));
    assert_eq!(read(&d.join("dir/c")), "E");
    fails(
        &run(&d, &["mv", "dir/b", "dir/c", "x"]),
        "mv: 'x' is not a directory",
    );
    fails(
        &run(&d, &["mv", "dir", "dir/sub"]),
        "mv: can't rename 'dir': Invalid argument",
    );
}

#[test]
fn touch_times() {
    let d = scratch("touch");
    usage(&run(&d, &["touch"]), "touch");
    ok(run(&d, &["touch", "new file"]));
    assert_eq!(std::fs::metadata(d.join("new file")).unwrap().len(), 0);
    ok(run(&d, &["touch", "-c", "absent"]));
    assert!(!exists(&d.join("absent")));
    fails(
        &run(&d, &["touch", "nx/x"]),
        "touch: nx/x: No such file or directory",
    );
    fails(
        &run(&d, &["touch", "-d", "yesterday", "f"]),
        "touch: invalid date 'yesterday'",
    );
    ok(run(&d, &["touch", "-d", "2000-01-02 03:04:05", "f"]));
    let m = std::fs::metadata(d.join("f")).unwrap();
    assert_eq!((m.atime(), m.mtime()), (946_782_245, 946_782_245));
    ok(run(&d, &["touch", "-m", "-t", "200102030405.06", "f"]));
    let m = std::fs::metadata(d.join("f")).unwrap();
    assert_eq!((m.atime(), m.mtime()), (946_782_245, 981_173_106));
    ok(run(&d, &["touch", "-a", "-d", "@5", "f"]));
    let m = std::fs::metadata(d.join("f")).unwrap();
    assert_eq!((m.atime(), m.mtime()), (5, 981_173_106));
    ok(run(&d, &["touch", "-r", "f", "g"]));
    let g = std::fs::metadata(d.join("g")).unwrap();
    assert_eq!((g.atime(), g.mtime()), (5, 981_173_106));
    fails(
        &run(&d, &["touch", "-r", "nx", "g"]),
        "touch: can't stat 'nx': No such file or directory",
    );
}

#[test]
fn chmod_modes() {
    let d = scratch("chmod");
    write(&d.join("f"), "");
    fails(
        &run(&d, &["chmod", "7", "nx"]),
        "chmod: nx: No such file or directory",
    );
    fails(
        &run(&d, &["chmod", "bad", "f"]),
        "chmod: invalid mode 'bad'",
    );
    ok(run(&d, &["chmod", "u+x,", "f"]));
    usage(&run(&d, &["chmod", "644"]), "chmod");
    for (spec, from, want) in [
        ("640", 0o777, 0o640),
        ("u+x,go-w", 0o666, 0o744),
        ("a=r", 0o777, 0o444),
        ("u=g", 0o750, 0o550),
        ("a+X", 0o644, 0o644),
        ("a+X", 0o744, 0o755),
        ("u+s,+t", 0o755, 0o5755),
        ("=", 0o755, 0o000),
    ] {
        std::fs::set_permissions(d.join("f"), std::fs::Permissions::from_mode(from)).unwrap();
        ok(run(&d, &["chmod", spec, "f"]));
        assert_eq!(mode(&d.join("f")), want, "{spec} on {from:o}");
    }
    // A mode that looks like an option.
    std::fs::set_permissions(d.join("f"), std::fs::Permissions::from_mode(0o666)).unwrap();
    ok(run(&d, &["chmod", "-w", "f"]));
    assert_eq!(mode(&d.join("f")) & 0o200, 0);
    // Without ugoa the umask filters the bits.
    std::fs::set_permissions(d.join("f"), std::fs::Permissions::from_mode(0o400)).unwrap();
    let ibox = env!("CARGO_BIN_EXE_ibox");
    ok(run(
        &d,
        &["sh", "-c", &format!("umask 027; exec {ibox} chmod +w,+r f")],
    ));
    assert_eq!(mode(&d.join("f")), 0o640);
    // -R with +X: directories get x, plain files keep none.
    std::fs::create_dir_all(d.join("t/sub")).unwrap();
    write(&d.join("t/sub/file"), "");
    std::fs::set_permissions(d.join("t/sub/file"), std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(run(&d, &["chmod", "-R", "go=rX", "t"]));
    assert_eq!(mode(&d.join("t/sub")) & 0o077, 0o055);
    assert_eq!(mode(&d.join("t/sub/file")), 0o644);
}

#[test]
fn chown_and_chgrp() {
    let d = scratch("chown");
    write(&d.join("f"), "");
    fails(
        &run(&d, &["chown", "nouser", "f"]),
        "chown: unknown user nouser",
    );
    fails(
        &run(&d, &["chown", "0:nogroup-here", "f"]),
        "chown: unknown group nogroup-here",
    );
    fails(
        &run(&d, &["chgrp", "nogroup-here", "f"]),
        "chgrp: unknown group nogroup-here",
    );
    fails(
        &run(&d, &["chown", "0", "nx"]),
        "chown: nx: No such file or directory",
    );
    usage(&run(&d, &["chgrp", "0"]), "chgrp");
    if !is_root() {
        let o = run(&d, &["chown", "0", "f"]);
        fails(&o, "chown: f: Operation not permitted");
        return;
    }
    ok(run(&d, &["chown", "12:34", "f"]));
    let m = std::fs::metadata(d.join("f")).unwrap();
    assert_eq!((m.uid(), m.gid()), (12, 34));
    ok(run(&d, &["chgrp", "56", "f"]));
    assert_eq!(std::fs::metadata(d.join("f")).unwrap().gid(), 56);
    ok(run(&d, &["chown", ":7", "f"]));
    let m = std::fs::metadata(d.join("f")).unwrap();
    assert_eq!((m.uid(), m.gid()), (12, 7));
    // -h changes the link, not its target.
    std::os::unix::fs::symlink("f", d.join("l")).unwrap();
    ok(run(&d, &["chown", "-h", "99", "l"]));
    assert_eq!(std::fs::symlink_metadata(d.join("l")).unwrap().uid(), 99);
    assert_eq!(std::fs::metadata(d.join("f")).unwrap().uid(), 12);
    std::fs::create_dir_all(d.join("t/u")).unwrap();
    write(&d.join("t/u/x"), "");
    ok(run(&d, &["chown", "-R", "5.6", "t"]));
    let m = std::fs::metadata(d.join("t/u/x")).unwrap();
    assert_eq!((m.uid(), m.gid()), (5, 6));
    ok(run(&d, &["chgrp", "-R", "8", "t"]));
    assert_eq!(std::fs::metadata(d.join("t/u")).unwrap().gid(), 8);
}

#[test]
fn readlink_realpath_pwd() {
    let d = scratch("readlink");
    let real = std::fs::canonicalize(&*d).unwrap();
    let real = real.to_str().unwrap();
    std::fs::create_dir(d.join("dir")).unwrap();
    write(&d.join("dir/f"), "");
    std::os::unix::fs::symlink("dir/f", d.join("l")).unwrap();
    std::os::unix::fs::symlink("dir", d.join("dl")).unwrap();
    std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
    assert_eq!(ok(run(&d, &["readlink", "l"])), "dir/f\n");
    assert_eq!(ok(run(&d, &["readlink", "-n", "l"])), "dir/f");
    let o = run(&d, &["readlink", "dir/f"]);
    assert_eq!(
        (o.status.code(), stdout(&o), stderr(&o)),
        (Some(1), "".into(), "".into())
    );
    assert_eq!(
        ok(run(&d, &["readlink", "-f", "l"])),
        format!("{real}/dir/f\n")
    );
    assert_eq!(
        ok(run(&d, &["readlink", "-f", "dl/../dir/./new"])),
        format!("{real}/dir/new\n")
    );
    assert_eq!(
        run(&d, &["readlink", "-e", "dl/new"]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&d, &["readlink", "-f", "nx/new"]).status.code(),
        Some(1)
    );
    assert_eq!(
        ok(run(&d, &["readlink", "-m", "nx/a/../b"])),
        format!("{real}/nx/b\n")
    );
    assert_eq!(run(&d, &["readlink", "-f", "loop"]).status.code(), Some(1));
    fails(
        &run(&d, &["realpath", "nx"]),
        "realpath: nx: No such file or directory",
    );
    assert_eq!(
        ok(run(&d, &["realpath", "l", "dl/.."])),
        format!("{real}/dir/f\n{real}\n")
    );
    fails(
        &run(&d, &["realpath", "loop"]),
        "realpath: loop: Too many symbolic links encountered",
    );
    // pwd: -L trusts a correct $PWD, -P resolves links.
    let via_link = d.join("dl");
    let o = run_in(&via_link, &["pwd"], b"");
    assert_eq!(ok(o), format!("{}\n", via_link.display()));
    assert_eq!(ok(run(&via_link, &["pwd", "-P"])), format!("{real}/dir\n"));
    assert_eq!(
        ok(run(&via_link, &["pwd", "-P", "-L"])),
        format!("{}\n", via_link.display())
    );
}

#[test]
fn stat_formats() {
    let d = scratch("stat");
    write(&d.join("f"), "hello");
    std::fs::set_permissions(d.join("f"), std::fs::Permissions::from_mode(0o640)).unwrap();
    filetime(&d.join("f"), 946_782_245);
    std::os::unix::fs::symlink("f", d.join("l")).unwrap();
    write(&d.join("empty"), "");
    fails(
        &run(&d, &["stat", "nx"]),
        "stat: can't stat 'nx': No such file or directory",
    );
    usage(&run(&d, &["stat"]), "stat");
    let m = std::fs::metadata(d.join("f")).unwrap();
    assert_eq!(
        ok(run(&d, &["stat", "-c", "%n|%s|%a|%A|%F|%Y|%X|%y|%h|%%|%u|%g", "f"])),
        format!(
            "f|5|640|-rw-r-----|regular file|946782245|946782245|2000-01-02 03:04:05.000000000 +0000|1|%|{}|{}\n",
            m.uid(),
            m.gid()
        )
    );
    assert_eq!(
        ok(run(&d, &["stat", "-c", "%i %h %b %B %d", "f"])),
        format!("{} 1 {} 512 {}\n", m.ino(), m.blocks(), m.dev())
    );
    assert_eq!(
        ok(run(&d, &["stat", "-c", "%N %F", "l", "empty", "."])),
        "'l' -> 'f' symbolic link\n'empty' regular empty file\n'.' directory\n"
    );
    assert_eq!(ok(run(&d, &["stat", "-L", "-c", "%N %s", "l"])), "'l' 5\n");
    let o = ok(run(&d, &["stat", "f"]));
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines.len(), 7, "{o}");
    assert_eq!(lines[0], "  File: 'f'");
    assert!(
        lines[1].starts_with("  Size: 5         \tBlocks: ") && lines[1].ends_with(" regular file")
    );
    assert!(lines[3].starts_with("Access: (0640/-rw-r-----)  Uid: ("));
    assert_eq!(lines[5], "Modify: 2000-01-02 03:04:05.000000000 +0000");
    assert!(ok(run(&d, &["stat", "l"])).starts_with("  File: 'l' -> 'f'\n"));
}

#[test]
fn mktemp_names() {
    let d = scratch("mktemp");
    let dir = d.to_str().unwrap();
    let o = ok(run(&d, &["mktemp", "-p", dir]));
    let name = o.trim_end();
    assert!(
        name.starts_with(&format!("{dir}/tmp.")) && name.len() == dir.len() + 11,
        "{name}"
    );
    assert_eq!(mode(Path::new(name)), 0o600);
    let o = ok(run(&d, &["mktemp", "-d", "sub.XXXXXXXX"]));
    assert!(o.starts_with("sub.") && o.len() == 13, "{o}");
    assert!(d.join(o.trim_end()).is_dir());
    assert_eq!(mode(&d.join(o.trim_end())), 0o700);
    let o = ok(run(&d, &["mktemp", "-u", "x.XXXXXX"]));
    assert!(!exists(&d.join(o.trim_end())));
    let o = run_in(
        &d,
        &[
            "sh",
            "-c",
            &format!(
                "TMPDIR={dir} exec {} mktemp -t t.XXXXXX",
                env!("CARGO_BIN_EXE_ibox")
            ),
        ],
        b"",
    );
    assert!(ok(o).starts_with(&format!("{dir}/t.")));
    fails(
        &run(&d, &["mktemp", "bad"]),
        "mktemp: failed to create file via template 'bad': Invalid argument",
    );
    let o = run(&d, &["mktemp", "-q", "bad"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(1), String::new()));
}

#[test]
fn mkfifo_and_mknod() {
    let d = scratch("mkfifo");
    ok(run(&d, &["mkfifo", "-m", "600", "p"]));
    let m = std::fs::symlink_metadata(d.join("p")).unwrap();
    assert!(m.file_type().is_fifo());
    assert_eq!(m.mode() & 0o7777, 0o600);
    fails(&run(&d, &["mkfifo", "p"]), "mkfifo: p: File exists");
    fails(
        &run(&d, &["mkfifo", "-m", "abc", "q"]),
        "mkfifo: invalid mode 'abc'",
    );
    usage(&run(&d, &["mkfifo"]), "mkfifo");
    ok(run(&d, &["mknod", "-m", "a=rw", "p2", "p"]));
    let m = std::fs::symlink_metadata(d.join("p2")).unwrap();
    assert!(m.file_type().is_fifo());
    assert_eq!(m.mode() & 0o7777, 0o666);
    usage(&run(&d, &["mknod", "x", "c"]), "mknod");
    usage(&run(&d, &["mknod", "x", "p", "1", "2"]), "mknod");
    usage(&run(&d, &["mknod", "x", "z"]), "mknod");
    fails(&run(&d, &["mknod", "p2", "p"]), "mknod: p2: File exists");
    if is_root() {
        ok(run(&d, &["mknod", "-m", "600", "null", "c", "1", "3"]));
        let m = std::fs::symlink_metadata(d.join("null")).unwrap();
        assert!(m.file_type().is_char_device());
        assert_eq!(m.rdev(), nix::sys::stat::makedev(1, 3));
    }
}

#[test]
fn truncate_and_sync() {
    let d = scratch("truncate");
    fails(
        &run(&d, &["truncate", "-s", "1", "nx/x"]),
        "truncate: nx/x: open: No such file or directory",
    );
    fails(
        &run(&d, &["truncate", "-s", "1q", "f"]),
        "truncate: invalid number '1q'",
    );
    usage(&run(&d, &["truncate", "f"]), "truncate");
    let len = |n: &str| std::fs::metadata(d.join(n)).unwrap().len();
    ok(run(&d, &["truncate", "-s", "2k", "f"]));
    assert_eq!(len("f"), 2048);
    ok(run(&d, &["truncate", "-s", "+10", "f"]));
    assert_eq!(len("f"), 2058);
    ok(run(&d, &["truncate", "-s", "-3000", "f"]));
    assert_eq!(len("f"), 0);
    write(&d.join("g"), "hello");
    ok(run(&d, &["truncate", "-c", "-s", "2", "g", "absent"]));
    assert_eq!(read(&d.join("g")), "he");
    assert!(!exists(&d.join("absent")));
    ok(run(&d, &["sync"]));
    ok(run(&d, &["sync", "-d", "g"]));
    fails(
        &run(&d, &["sync", "nx"]),
        "sync: nx: No such file or directory",
    );
}

#[test]
fn install_files_and_dirs() {
    let d = scratch("install");
    ok(run(&d, &["install", "-d", "-m", "700", "a/b"]));
    assert_eq!(mode(&d.join("a/b")), 0o700);
    write(&d.join("prog"), "#!/bin/sh\n");
    std::fs::set_permissions(d.join("prog"), std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(run(&d, &["install", "prog", "a/b"]));
    assert_eq!(mode(&d.join("a/b/prog")), 0o755);
    assert_eq!(
        ok(run(
            &d,
            &["install", "-v", "-D", "-m", "644", "prog", "x/y/z"]
        )),
        "'prog' -> 'x/y/z'\n"
    );
    assert_eq!(mode(&d.join("x/y/z")), 0o644);
    assert_eq!(read(&d.join("x/y/z")), "#!/bin/sh\n");
    // Replaces a read-only destination.
    ok(run(&d, &["install", "-m", "444", "prog", "ro"]));
    write(&d.join("prog"), "v2");
    ok(run(&d, &["install", "-c", "prog", "ro"]));
    assert_eq!(read(&d.join("ro")), "v2");
    fails(
        &run(&d, &["install", "nx", "y"]),
        "install: can't stat 'nx': No such file or directory",
    );
    fails(
        &run(&d, &["install", "-o", "nouser", "prog", "y"]),
        "install: unknown user nouser",
    );
    usage(&run(&d, &["install", "prog"]), "install");
}

#[test]
fn dd_copies_blocks() {
    let d = scratch("dd");
    write(&d.join("in"), "hello world\n");
    let o = run(&d, &["dd", "if=in", "of=out", "bs=4"]);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[..2], ["3+0 records in", "3+0 records out"]);
    assert!(lines[2].starts_with("12 bytes (12B) copied, "), "{err}");
    assert_eq!(read(&d.join("out")), "hello world\n");
    let o = run(
        &d,
        &["dd", "if=in", "bs=5", "count=1", "skip=1", "status=noxfer"],
    );
    assert_eq!(stdout(&o), " worl");
    assert_eq!(stderr(&o), "1+0 records in\n1+0 records out\n");
    // From stdin; a short last block is a partial record; conv=sync pads it.
    let o = run_in(
        &d,
        &["dd", "ibs=2", "obs=3", "conv=sync", "status=noxfer"],
        b"abc",
    );
    assert_eq!(o.stdout, b"abc\0");
    assert_eq!(stderr(&o), "1+1 records in\n1+1 records out\n");
    let o = run_in(&d, &["dd", "bs=1k", "status=none"], b"xyz");
    assert_eq!((stdout(&o), stderr(&o)), ("xyz".into(), String::new()));
    // seek= with and without notrunc.
    write(&d.join("o2"), "xxxxxxxx");
    run_in(
        &d,
        &[
            "dd",
            "of=o2",
            "seek=1",
            "bs=2",
            "conv=notrunc",
            "status=none",
        ],
        b"ab",
    );
    assert_eq!(read(&d.join("o2")), "xxabxxxx");
    run_in(&d, &["dd", "of=o2", "seek=1", "bs=2", "status=none"], b"ab");
    assert_eq!(read(&d.join("o2")), "xxab");
    run_in(
        &d,
        &["dd", "of=o3", "seek=2", "bs=1", "count=1", "status=none"],
        b"ab",
    );
    assert_eq!(std::fs::read(d.join("o3")).unwrap(), b"\0\0a");
    fails(
        &run(&d, &["dd", "if=nx"]),
        "dd: can't open 'nx': No such file or directory",
    );
    assert_eq!(stderr(&run(&d, &["dd", "if=nx"])).lines().count(), 1);
    fails(&run(&d, &["dd", "bs=x"]), "dd: invalid number 'x'");
    fails(&run(&d, &["dd", "bs=0"]), "dd: invalid number '0'");
    fails(&run(&d, &["dd", "foo=1"]), "dd: unknown operand 'foo=1'");
    fails(&run(&d, &["dd", "conv=what"]), "dd: invalid conv 'what'");
    let o = run_in(&d, &["dd", "bs=2x2", "count=1", "status=noxfer"], b"123456");
    assert_eq!(stdout(&o), "1234");
}

#[test]
fn df_reports() {
    let d = scratch("df");
    fails(&run(&d, &["df", "/nx"]), "df: /nx: can't find mount point");
    let o = ok(run(&d, &["df", "."]));
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(
        lines[0],
        "Filesystem           1K-blocks      Used Available Use% Mounted on"
    );
    assert!(
        lines.len() >= 2 && lines.last().unwrap().contains("% /"),
        "{o}"
    );
    let o = ok(run(&d, &["df", "-h", "-T", "."]));
    assert!(o.starts_with(
        "Filesystem           Type            Size      Used Available Use% Mounted on\n"
    ));
    let o = ok(run(&d, &["df", "-P", "."]));
    assert!(
        o.starts_with("Filesystem           1024-blocks    Used Available Capacity Mounted on\n")
    );
    assert!(ok(run(&d, &["df"])).lines().count() >= 2);
}

#[test]
fn du_sizes() {
    let d = scratch("du");
    fails(&run(&d, &["du", "nx"]), "du: nx: No such file or directory");
    std::fs::create_dir_all(d.join("t/sub")).unwrap();
    std::fs::write(d.join("t/sub/a"), vec![1u8; 5000]).unwrap();
    write(&d.join("t/empty"), "");
    let blocks = |p: &str| std::fs::symlink_metadata(d.join(p)).unwrap().blocks();
    let kb = |b: u64| (b * 512).div_ceil(1024);
    let sub = blocks("t/sub") + blocks("t/sub/a");
    let all = blocks("t") + sub + blocks("t/empty");
    assert_eq!(
        ok(run(&d, &["du", "t"])),
        format!("{}\tt/sub\n{}\tt\n", kb(sub), kb(all))
    );
    assert_eq!(ok(run(&d, &["du", "-s", "t"])), format!("{}\tt\n", kb(all)));
    assert_eq!(
        ok(run(&d, &["du", "-a", "t"])),
        format!(
            "{}\tt/empty\n{}\tt/sub/a\n{}\tt/sub\n{}\tt\n",
            kb(blocks("t/empty")),
            kb(blocks("t/sub/a")),
            kb(sub),
            kb(all)
        )
    );
    assert_eq!(
        ok(run(&d, &["du", "-d", "0", "t/sub/a"])),
        format!("{}\tt/sub/a\n", kb(blocks("t/sub/a")))
    );
    // A hard link is counted once.
    std::fs::hard_link(d.join("t/sub/a"), d.join("t/zlink")).unwrap();
    assert_eq!(ok(run(&d, &["du", "-s", "t"])), format!("{}\tt\n", kb(all)));
    assert_eq!(
        ok(run(&d, &["du", "-c", "-s", "t/sub", "t/zlink"])),
        format!("{}\tt/sub\n0\tt/zlink\n{}\ttotal\n", kb(sub), kb(sub))
    );
    let h = ok(run(&d, &["du", "-sh", "t"]));
    let size = h.strip_suffix("\tt\n").unwrap();
    assert!(
        size == "0" || size.ends_with('K') && size.contains('.'),
        "{h}"
    );
    fails(&run(&d, &["du", "-d", "x"]), "du: invalid number 'x'");
}

#[test]
fn all_file_applets_are_registered() {
    let d = scratch("list");
    let list = ok(run(&d, &["--list"]));
    for name in [
        "chgrp", "chmod", "chown", "cp", "dd", "df", "du", "install", "ln", "mkdir", "mkfifo",
        "mknod", "mktemp", "mv", "pwd", "readlink", "realpath", "rm", "rmdir", "stat", "sync",
        "touch", "truncate",
    ] {
        assert!(list.lines().any(|l| l == name), "{name} missing");
        let o = run(&d, &[name, "--help"]);
        assert!(stdout(&o).starts_with(&format!("Usage: {name} ")), "{name}");
    }
}

#[test]
fn loops_and_empty_files() {
    let d = scratch("loops");
    std::fs::create_dir_all(d.join("t/a")).unwrap();
    std::os::unix::fs::symlink("..", d.join("t/a/up")).unwrap();
    std::os::unix::fs::symlink("self", d.join("t/self")).unwrap();
    write(&d.join("t/empty"), "");
    // du -L meets the loop once and goes on.
    let o = run(&d, &["du", "-L", "t"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("du: t/a/up: recursive directory loop"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).ends_with("\tt\n"));
    // chmod -R and chown -R never follow links inside the tree.
    ok(run(&d, &["chmod", "-R", "u+rwX", "t"]));
    ok(run(
        &d,
        &[
            "chgrp",
            "-R",
            &std::fs::metadata(&*d).unwrap().gid().to_string(),
            "t",
        ],
    ));
    // An empty file copies, reads and truncates as one.
    ok(run(&d, &["cp", "t/empty", "e2"]));
    assert_eq!(read(&d.join("e2")), "");
    let o = run(&d, &["dd", "if=e2", "of=e3", "status=noxfer"]);
    assert_eq!(stderr(&o), "0+0 records in\n0+0 records out\n");
    assert_eq!(read(&d.join("e3")), "");
    assert_eq!(
        ok(run(&d, &["stat", "-c", "%s %F", "e3"])),
        "0 regular empty file\n"
    );
    // rm -r removes links, never what they lead to.
    ok(run(&d, &["rm", "-r", "t"]));
    assert!(!exists(&d.join("t")));
    assert!(exists(&d.join("e2")));
}

#[test]
fn permission_denied_when_not_root() {
    if is_root() {
        return;
    }
    let d = scratch("perm");
    std::fs::create_dir(d.join("ro")).unwrap();
    write(&d.join("ro/f"), "x");
    write(&d.join("secret"), "x");
    std::fs::set_permissions(d.join("secret"), std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(d.join("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
    fails(
        &run(&d, &["rm", "-f", "ro/f"]),
        "rm: can't remove 'ro/f': Permission denied",
    );
    fails(
        &run(&d, &["cp", "secret", "copy"]),
        "cp: can't open 'secret': Permission denied",
    );
    fails(
        &run(&d, &["touch", "ro/new"]),
        "touch: ro/new: Permission denied",
    );
    fails(
        &run(&d, &["mkfifo", "ro/p"]),
        "mkfifo: ro/p: Permission denied",
    );
    fails(
        &run(&d, &["dd", "if=secret"]),
        "dd: can't open 'secret': Permission denied",
    );
}
