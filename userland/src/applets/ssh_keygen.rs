//! `ssh-keygen [-q] [-t ed25519] [-f FILE] [-N ''] [-C COMMENT]` and
//! `ssh-keygen -y -f FILE`: OpenSSH's key tool, the part a device needs.
//! Keys are ed25519 in OpenSSH's own private key format (mode 0600) with
//! the public line in FILE.pub, so OpenSSH and dropbear (after
//! `dropbearconvert`) read them. Passphrases are not supported: `-N` must
//! be empty, as keys made here are for unattended use.

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use crate::ssh::{keys, SshError};
use std::ffi::OsString;
use std::path::PathBuf;

const NAME: &str = "ssh-keygen";

pub const USAGE: &str = "[-q] [-t ed25519] [-f FILE] [-N ''] [-C COMMENT]\n  or: ssh-keygen -y -f FILE\n\nMake an SSH key pair, or print a private key's public key\n\n\t-t TYPE\t\tKey type (only ed25519)\n\t-f FILE\t\tKey file (default ~/.ssh/id_ed25519); the public key goes to FILE.pub\n\t-N ''\t\tPassphrase (must be empty)\n\t-C COMMENT\tComment (default USER@HOST)\n\t-y\t\tPrint the public key of FILE\n\t-q\t\tQuiet";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "t:f:N:C:yq", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if !p.operands.is_empty() {
        return usage_error(NAME, "too many arguments");
    }
    let file = p.value('f').map(PathBuf::from);
    let result = if p.has('y') {
        match file {
            Some(f) => print_public(&f),
            None => return usage_error(NAME, "-y needs -f FILE"),
        }
    } else {
        let kind = p.value('t').map_or("ed25519".into(), lossy);
        if kind != "ed25519" {
            Err(SshError::UnsupportedType(kind.into_owned()))
        } else if p.value('N').is_some_and(|n| !n.is_empty()) {
            error_msg(NAME, "passphrases are not supported (use -N '')");
            return 1;
        } else {
            let file = file.unwrap_or_else(|| crate::ssh::own_home().join(".ssh/id_ed25519"));
            let comment = p
                .value('C')
                .map_or_else(default_comment, |c| lossy(c).into_owned());
            generate(&file, &comment, p.has('q'))
        }
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            error_msg(NAME, &e.to_string());
            1
        }
    }
}

/// `USER@HOST`, as OpenSSH's default comment.
fn default_comment() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{user}@{host}")
}

fn print_public(file: &std::path::Path) -> Result<(), SshError> {
    let key = keys::load_private(file)?;
    println!("{}", keys::public_line(&key)?);
    Ok(())
}

/// Writes a new key to `file` and `file.pub`; an existing key is never
/// overwritten (it may be the only way into some machine).
fn generate(file: &std::path::Path, comment: &str, quiet: bool) -> Result<(), SshError> {
    if file.exists() {
        return Err(SshError::Io(
            file.display().to_string(),
            std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        ));
    }
    if let Some(dir) = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::create_dir_all(dir).map_err(|e| SshError::Io(dir.display().to_string(), e))?;
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    if !quiet {
        println!("Generating public/private ed25519 key pair.");
    }
    let key = keys::generate_ed25519(comment)?;
    keys::save_private(file, &key)?;
    let mut pub_name = file.as_os_str().to_os_string();
    pub_name.push(".pub");
    let line = keys::public_line(&key)?;
    keys::write_atomic(
        &PathBuf::from(&pub_name),
        format!("{line}\n").as_bytes(),
        0o644,
    )?;
    if !quiet {
        println!("Your identification has been saved in {}", file.display());
        println!("Your public key has been saved in {}", lossy(&pub_name));
        println!("The key fingerprint is:");
        println!(
            "{} {comment}",
            key.public_key().fingerprint(Default::default())
        );
    }
    Ok(())
}
