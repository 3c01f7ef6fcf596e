//! `authorized_keys`: one public key a line as OpenSSH writes it
//! (`[options] type base64 [comment]`); blank lines and `#` comments are
//! skipped, and so is a line that does not parse (one bad line must not
//! lock out the keys after it). Options are not enforced: a line that has
//! any is skipped too, since honouring a key while ignoring its
//! `command=`/`from=` restriction would grant more than its owner meant.

use russh::keys::ssh_key::authorized_keys::Entry;
use russh::keys::PublicKey;
use std::str::FromStr;

/// Whether `text` (an authorized_keys file) lists `key` without options.
pub fn lists(text: &str, key: &PublicKey) -> bool {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| Entry::from_str(l).ok())
        .any(|e| e.config_opts().is_empty() && e.public_key().key_data() == key.key_data())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_key_and_skips_the_rest() {
        let a = crate::ssh::keys::generate_ed25519("a").unwrap();
        let b = crate::ssh::keys::generate_ed25519("b").unwrap();
        let line = crate::ssh::keys::public_line(&a).unwrap();
        let text = format!("# comment\n\ngarbage line\n{line}\n");
        assert!(lists(&text, a.public_key()));
        assert!(!lists(&text, b.public_key()));
        let restricted = format!("command=\"true\" {line}\n");
        assert!(!lists(&restricted, a.public_key()));
    }
}
