//! `ibex pkg`: keys, building recipes (and every refusal), info and index.
//! No network: sources are the recipes' own files or file:// URLs.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scratch directory of this test run, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ibex-pkg-test-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        fs::create_dir(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Only the directory this test created.
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn ibex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibex"))
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A key pair in `s`: (secret, public).
fn keygen(s: &Scratch, name: &str) -> (String, String) {
    let out = ibex(&["pkg", "keygen", "--dir", s.0.to_str().unwrap(), name]);
    assert!(out.status.success(), "{}", text(&out));
    (
        s.path(&format!("{name}.sec")).display().to_string(),
        s.path(&format!("{name}.pub")).display().to_string(),
    )
}

/// Builds the recipe at `dir` into `s/out`.
fn build(s: &Scratch, recipe: &Path, key: &str) -> Output {
    ibex(&[
        "pkg",
        "build",
        recipe.to_str().unwrap(),
        "--key",
        key,
        "--out",
        s.path("out").to_str().unwrap(),
    ])
}

const PROGRAM: &str = r#"#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s:%d", argv[0], argc);
    puts(buf);
    return (int)strlen(buf) == 0;
}
"#;

/// A recipe named `name` that compiles PROGRAM into /usr/bin/t with
/// `compile` (a shell command line; `t.c` is the source, `t` the output),
/// then runs `extra`; `fields` go at the top of the recipe and `tables`
/// at its end.
fn c_recipe(
    s: &Scratch,
    name: &str,
    compile: &str,
    extra: &str,
    fields: &str,
    tables: &str,
) -> PathBuf {
    s.write(&format!("{name}/t.c"), PROGRAM);
    s.write(
        &format!("{name}/recipe.toml"),
        &format!(
            "name = '{name}'\nversion = '1.0-r0'\ndepends = ['musl']\n{fields}\n\
             build = '''\n{compile}\nmkdir -p \"$DESTDIR/usr/bin\"\ninstall -m 0755 t \"$DESTDIR/usr/bin/t\"\n{extra}\n'''\n\
             [[source]]\npath = 't.c'\n{tables}"
        ),
    )
}

const HARDENED: &str = "$CC $CFLAGS -o t t.c $LDFLAGS";

#[test]
fn keygen_writes_a_private_secret_and_never_overwrites() {
    let s = Scratch::new("keygen");
    let (sec, public) = keygen(&s, "repo");
    let sec_text = fs::read_to_string(&sec).unwrap();
    let pub_text = fs::read_to_string(&public).unwrap();
    assert!(sec_text.starts_with("ibex-ed25519-secret "), "{sec_text}");
    assert!(pub_text.starts_with("ibex-ed25519-public "), "{pub_text}");
    assert_eq!(sec_text.trim().len(), "ibex-ed25519-secret ".len() + 64);
    let key = ibex_package::SigningKey::from_text(&sec_text).unwrap();
    assert_eq!(
        ibex_package::PublicKey::from_text(&pub_text),
        Some(key.public())
    );
    assert_eq!(
        fs::metadata(&sec).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let out = ibex(&["pkg", "keygen", "--dir", s.0.to_str().unwrap(), "repo"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("already exists; refusing to overwrite"));
    assert_eq!(fs::read_to_string(&sec).unwrap(), sec_text, "unchanged");
    // A second key is different.
    let (sec2, _) = keygen(&s, "other");
    assert_ne!(fs::read_to_string(sec2).unwrap(), sec_text);
}

#[test]
fn builds_ibex_hello_shows_info_and_indexes_two_packages() {
    let s = Scratch::new("hello");
    let (sec, public) = keygen(&s, "k");
    let root = project_root();
    let out = build(&s, &root.join("packages/ibex-hello"), &sec);
    assert!(out.status.success(), "{}", text(&out));
    let pkg = s.path("out/ibex-hello-1.0-r0.ibx");
    let info = ibex(&[
        "pkg",
        "info",
        pkg.to_str().unwrap(),
        "--key",
        &public,
        "--files",
    ]);
    let info = text(&info);
    for want in [
        "name: ibex-hello\n",
        "version: 1.0-r0\n",
        "arch: x86_64\n",
        "depends: musl\n",
        "config: etc/ibex-hello.conf\n",
        "services: ibex-hello\n",
        "waivers: -\n",
        "signature: good",
        "f 0755 0:0 usr/bin/ibex-hello",
        "f 0644 0:0 etc/ibex-hello.conf",
    ] {
        assert!(info.contains(want), "{want:?} not in:\n{info}");
    }
    // Without a key it still shows, but says it checked nothing.
    let unchecked = text(&ibex(&["pkg", "info", pkg.to_str().unwrap()]));
    assert!(unchecked.contains("signature: NOT CHECKED"), "{unchecked}");

    // The service plan is init's format, with readiness on fd 3.
    let bytes = fs::read(&pkg).unwrap();
    let key = ibex_package::PublicKey::from_text(&fs::read_to_string(&public).unwrap()).unwrap();
    let decoded = ibex_package::decode_package(&bytes, &[key]).unwrap();
    let plan = ibex_plan::BootPlan::decode(&decoded.metadata.services).unwrap();
    assert_eq!(plan.services[0].argv[0], "/usr/bin/ibex-hello");
    assert_eq!(
        plan.services[0].readiness,
        ibex_plan::Readiness::NotifyFd(3)
    );
    assert_eq!(plan.services[0].user.as_ref().unwrap().uid, 65534);

    // The daemon runs here through musl's loader: it logs, reads its
    // config, signals readiness on the descriptor it is given.
    let contents = ibex_package::unpack(&decoded).unwrap();
    let exe_index = decoded
        .metadata
        .files
        .iter()
        .position(|f| f.path == "usr/bin/ibex-hello")
        .unwrap();
    let exe = s.path("ibex-hello");
    fs::write(&exe, contents.of(exe_index)).unwrap();
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
    let conf = s.write("hello.conf", "greeting = hi there\ninterval = 1\n");
    let notify = s.path("notify");
    let run = Command::new("sh")
        .arg("-c")
        .arg("exec 3>\"$1\"; exec \"$2\" --notify-fd 3 --count 1 --config \"$3\"")
        .arg("sh")
        .arg(&notify)
        .arg(&exe)
        .arg(&conf)
        .output()
        .unwrap();
    let log = text(&run);
    assert!(run.status.success(), "{log}");
    assert!(log.contains("ibex-hello 1.0-r0: started"), "{log}");
    assert!(log.contains("hi there (1)"), "{log}");
    assert_eq!(fs::read(&notify).unwrap(), b"\n");

    // A second package, then the index of both.
    let out = build(&s, &root.join("packages/musl"), &sec);
    assert!(out.status.success(), "{}", text(&out));
    let repo = s.path("out");
    let out = ibex(&["pkg", "index", repo.to_str().unwrap(), "--key", &sec]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 packages"), "{}", text(&out));
    let index_bytes = fs::read(repo.join(ibex_package::INDEX_FILE)).unwrap();
    let index = ibex_package::decode_index(&index_bytes, &[key]).unwrap();
    let names: Vec<&str> = index.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ibex-hello", "musl"]);
    assert_eq!(index.packages[0].file, "ibex-hello-1.0-r0.ibx");
    assert_eq!(index.packages[0].sha256, ibex_package::sha256(&bytes));
    assert_eq!(index.packages[0].size, bytes.len() as u64);
    assert_eq!(index.packages[1].provides[0].name, "libc.musl-x86_64.so.1");

    // A package signed by another key makes the index fail, naming it.
    let (other, _) = keygen(&s, "stranger");
    let stray = Scratch::new("stray");
    let out = build(&stray, &root.join("packages/ibex-hello"), &other);
    assert!(out.status.success(), "{}", text(&out));
    fs::copy(
        stray.path("out/ibex-hello-1.0-r0.ibx"),
        repo.join("zzz-1.0.ibx"),
    )
    .unwrap();
    let out = ibex(&["pkg", "index", repo.to_str().unwrap(), "--key", &sec]);
    assert_refused(&out, "zzz-1.0.ibx: signed by an untrusted key");
}

/// Builds `compile` without one hardening property: the build must stop
/// naming the file and the property; with a waiver it passes and the
/// waiver shows in `info`.
fn refused_then_waived(name: &str, compile: &str, check: &str, message: &str) {
    let s = Scratch::new(name);
    let (sec, public) = keygen(&s, "k");
    let recipe = c_recipe(&s, name, compile, "", "", "");
    let out = build(&s, &recipe, &sec);
    assert!(!out.status.success(), "{name} built without {check}");
    let err = text(&out);
    assert!(
        err.contains(&format!("pkg build: usr/bin/t: {message}"))
            && err.contains(&format!("[{check}]")),
        "{name}: {err}"
    );
    let reason = format!("test: {check} is off on purpose");
    let recipe = c_recipe(
        &s,
        name,
        compile,
        "",
        "",
        &format!("[[waive]]\npath = '/usr/bin/t'\ncheck = '{check}'\nreason = '{reason}'\n"),
    );
    let out = build(&s, &recipe, &sec);
    assert!(out.status.success(), "{name} with waiver: {}", text(&out));
    let pkg = s.path(&format!("out/{name}-1.0-r0.ibx"));
    let info = text(&ibex(&[
        "pkg",
        "info",
        pkg.to_str().unwrap(),
        "--key",
        &public,
    ]));
    assert!(
        info.contains(&format!("waivers:\n  usr/bin/t {check}: {reason}\n")),
        "{info}"
    );
}

const FLAGS_BUT: &str = "-fstack-protector-strong -O2";

#[test]
fn refuses_a_fixed_address_executable() {
    refused_then_waived(
        "t-nopie",
        &format!("$CC -fno-PIE -no-pie {FLAGS_BUT} -Wl,-z,relro,-z,now -o t t.c"),
        "pie",
        "not PIE",
    );
}

#[test]
fn refuses_an_executable_stack() {
    refused_then_waived(
        "t-execstack",
        &format!("$CC -fPIE -pie {FLAGS_BUT} -Wl,-z,relro,-z,now,-z,execstack -o t t.c"),
        "nx-stack",
        "executable stack",
    );
}

#[test]
fn refuses_no_relro() {
    refused_then_waived(
        "t-norelro",
        &format!("$CC -fPIE -pie {FLAGS_BUT} -Wl,-z,norelro,-z,now -o t t.c"),
        "relro",
        "no RELRO",
    );
}

#[test]
fn refuses_lazy_binding() {
    refused_then_waived(
        "t-lazy",
        &format!("$CC -fPIE -pie {FLAGS_BUT} -Wl,-z,relro,-z,lazy -o t t.c"),
        "bind-now",
        "lazy binding",
    );
}

#[test]
fn refuses_no_stack_protector() {
    refused_then_waived(
        "t-nossp",
        "$CC -fPIE -pie -fno-stack-protector -O2 -Wl,-z,relro,-z,now -o t t.c",
        "stack-protector",
        "no stack protector",
    );
}

#[test]
fn refuses_glibcs_interpreter() {
    refused_then_waived(
        "t-glibc",
        &format!("gcc -fPIE -pie {FLAGS_BUT} -Wl,-z,relro,-z,now -o t t.c"),
        "interpreter",
        "interpreter /lib64/ld-linux-x86-64.so.2 is not musl's /lib/ld-musl-x86_64.so.1",
    );
}

#[test]
fn a_hardened_program_passes_unwaived() {
    let s = Scratch::new("ok");
    let (sec, public) = keygen(&s, "k");
    let out = build(&s, &c_recipe(&s, "t-hardened", HARDENED, "", "", ""), &sec);
    assert!(out.status.success(), "{}", text(&out));
    let pkg = s.path("out/t-hardened-1.0-r0.ibx");
    let info = text(&ibex(&[
        "pkg",
        "info",
        pkg.to_str().unwrap(),
        "--key",
        &public,
    ]));
    assert!(info.contains("waivers: -"), "{info}");
}

#[test]
fn refuses_undeclared_setuid_and_accepts_declared() {
    let s = Scratch::new("setuid");
    let (sec, public) = keygen(&s, "k");
    let chmod = "chmod 4755 \"$DESTDIR/usr/bin/t\"";
    let out = build(&s, &c_recipe(&s, "t-setuid", HARDENED, chmod, "", ""), &sec);
    assert_refused(
        &out,
        "pkg build: usr/bin/t: mode 4755 has set-uid/set-gid bits",
    );
    let recipe = c_recipe(
        &s,
        "t-setuid",
        HARDENED,
        chmod,
        "setuid = ['/usr/bin/t']\nowners = { '/usr/bin/t' = 'root:daemon' }",
        "",
    );
    let out = build(&s, &recipe, &sec);
    assert!(out.status.success(), "{}", text(&out));
    let pkg = s.path("out/t-setuid-1.0-r0.ibx");
    let info = text(&ibex(&[
        "pkg",
        "info",
        pkg.to_str().unwrap(),
        "--key",
        &public,
        "--files",
    ]));
    assert!(info.contains("setuid: usr/bin/t\n"), "{info}");
    assert!(info.contains("f 4755 0:1 usr/bin/t"), "{info}");
}

#[test]
fn refuses_a_fifo() {
    let s = Scratch::new("fifo");
    let (sec, _) = keygen(&s, "k");
    let extra = "mkdir -p \"$DESTDIR/run\"\nmkfifo \"$DESTDIR/run/pipe\"";
    let out = build(&s, &c_recipe(&s, "t-fifo", HARDENED, extra, "", ""), &sec);
    assert_refused(&out, "pkg build: run/pipe: is a fifo");
}

#[test]
fn refuses_bad_recipe_fields() {
    let s = Scratch::new("fields");
    let (sec, _) = keygen(&s, "k");
    let cases = [
        (
            "name='t-bad'\nversion='1'\nflavour='mint'\n",
            "unknown field `flavour`",
        ),
        (
            "name='t-bad'\nversion='1.0-x'\n",
            "version: invalid version '1.0-x'",
        ),
        (
            "name='t-bad'\nversion='1'\ndepends=['musl>>1']\n",
            "depends: invalid dependency 'musl>>1'",
        ),
        (
            "name='T-Bad'\nversion='1'\n",
            "name 'T-Bad' is not a package name",
        ),
        (
            "name='t-bad'\nversion='1'\n[[waive]]\npath='*'\ncheck='pie'\nreason=''\n",
            "needs a written reason",
        ),
        (
            "name='t-bad'\nversion='1'\n[services.x]\ncommand=['/usr/bin/x']\nuser='nosuch'\n",
            "service 'x': user 'nosuch'",
        ),
    ];
    for (recipe, want) in cases {
        let file = s.write("bad/recipe.toml", recipe);
        let out = build(&s, &file, &sec);
        assert!(!out.status.success(), "{recipe}");
        let err = text(&out);
        assert!(err.contains(want), "{want:?} not in: {err}");
        assert!(err.contains("recipe.toml"), "names the file: {err}");
    }
}

#[test]
fn refuses_a_source_whose_sha256_does_not_match() {
    let s = Scratch::new("sha");
    let (sec, _) = keygen(&s, "k");
    let data = s.write("upstream/thing.txt", "upstream contents\n");
    let wrong = "0".repeat(64);
    let recipe = s.write(
        "t-sha/recipe.toml",
        &format!(
            "name='t-sha'\nversion='1'\narch='noarch'\nbuild='''\nmkdir -p \"$DESTDIR/usr/share\"\ncp thing.txt \"$DESTDIR/usr/share/\"\n'''\n\
             [[source]]\nurl='file://{}'\nsha256='{wrong}'\n",
            data.display()
        ),
    );
    let out = build(&s, &recipe, &sec);
    assert!(!out.status.success());
    let err = text(&out);
    assert!(err.contains("sha256 mismatch"), "{err}");
    assert!(err.contains(&wrong), "{err}");
    let right = ibex_package::to_hex(&ibex_package::sha256(b"upstream contents\n"));
    fs::write(
        &recipe,
        fs::read_to_string(&recipe).unwrap().replace(&wrong, &right),
    )
    .unwrap();
    let out = build(&s, &recipe, &sec);
    assert!(out.status.success(), "{}", text(&out));
}

const LIBRARY: &str = "int f(int x) { volatile char b[16]; b[x & 15] = 1; return b[3]; }\n";

#[test]
fn static_pie_and_shared_libraries_are_checked_as_what_they_are() {
    let s = Scratch::new("kinds");
    let (sec, public) = keygen(&s, "k");
    // A static PIE (no interpreter) from musl's rcrt1.o, and a shared library.
    let m = "/usr/lib/x86_64-linux-musl";
    let static_pie = format!(
        "gcc -fPIE -fstack-protector-strong -O2 -nostdinc -isystem /usr/include/x86_64-linux-musl -c t.c -o t.o\n\
         gcc -static-pie -nostdlib -Wl,-z,relro,-z,now {m}/rcrt1.o {m}/crti.o t.o -L{m} -lc -lgcc {m}/crtn.o -o t"
    );
    let library = |link: &str| {
        format!(
            "printf '%s' '{LIBRARY}' > l.c\n$CC -fPIC -shared -fstack-protector-strong -O2 {link} -o libl.so l.c\n\
             mkdir -p \"$DESTDIR/usr/lib\"\ninstall -m 0755 libl.so \"$DESTDIR/usr/lib/libl.so\""
        )
    };
    let recipe = c_recipe(
        &s,
        "t-kinds",
        &static_pie,
        &library("-Wl,-z,relro,-z,now"),
        "",
        "",
    );
    let out = build(&s, &recipe, &sec);
    assert!(out.status.success(), "{}", text(&out));
    let pkg = s.path("out/t-kinds-1.0-r0.ibx");
    let info = text(&ibex(&[
        "pkg",
        "info",
        pkg.to_str().unwrap(),
        "--key",
        &public,
    ]));
    assert!(info.contains("waivers: -"), "{info}");
    // The library is still held to RELRO and BIND_NOW.
    let recipe = c_recipe(&s, "t-kinds", &static_pie, &library("-Wl,-z,lazy"), "", "");
    let out = build(&s, &recipe, &sec);
    assert_refused(
        &out,
        "pkg build: usr/lib/libl.so: lazy binding (no BIND_NOW)",
    );
}

#[test]
fn refuses_elf_in_noarch_and_symlinks_out_of_the_root() {
    let s = Scratch::new("noarch");
    let (sec, _) = keygen(&s, "k");
    let out = build(
        &s,
        &c_recipe(&s, "t-noarch", HARDENED, "", "arch = 'noarch'", ""),
        &sec,
    );
    assert_refused(
        &out,
        "pkg build: usr/bin/t: ELF file in a package for arch 'noarch'",
    );
    let escape = "ln -s ../../../../etc/shadow \"$DESTDIR/usr/bin/shadow\"";
    let out = build(
        &s,
        &c_recipe(&s, "t-escape", HARDENED, escape, "", ""),
        &sec,
    );
    assert!(!out.status.success());
    assert!(
        text(&out)
            .contains("usr/bin/shadow: symlink to '../../../../etc/shadow' points out of the root"),
        "{}",
        text(&out)
    );
}

/// Checks that a build failed with a message containing `want`.
fn assert_refused(out: &Output, want: &str) {
    assert!(!out.status.success(), "should fail: {}", text(out));
    assert!(text(out).contains(want), "{}", text(out));
}
