//! /etc/shadow entries: `name:password:` and seven aging fields, which are
//! kept as they are.

use super::{fields, Database};

/// Replaces the password field of `name`'s line; `false` if no line has
/// that name. The other fields stay byte for byte; "last changed" is set to
/// `today` when given.
pub fn set_password(db: &mut Database, name: &[u8], hash: &[u8], today: Option<u64>) -> bool {
    let Some(i) = db.find(name) else {
        return false;
    };
    let mut f: Vec<Vec<u8>> = fields(&db.lines[i])
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    if f.len() < 2 {
        f.push(Vec::new());
    }
    f[1] = hash.to_vec();
    if let Some(days) = today {
        if f.len() > 2 {
            f[2] = days.to_string().into_bytes();
        }
    }
    db.lines[i] = f.join(&b':');
    true
}

/// The password field of `name`.
pub fn password(db: &Database, name: &[u8]) -> Option<Vec<u8>> {
    let i = db.find(name)?;
    fields(&db.lines[i]).get(1).map(|p| p.to_vec())
}

/// A new shadow line for `name`: `hash`, changed `today`, BusyBox's aging
/// defaults.
pub fn new_line(name: &[u8], hash: &[u8], today: u64) -> Vec<u8> {
    let mut l = name.to_vec();
    l.push(b':');
    l.extend_from_slice(hash);
    l.extend_from_slice(format!(":{today}:0:99999:7:::").as_bytes());
    l
}
