//! /etc/passwd entries: `name:password:uid:gid:gecos:home:shell`.

use super::{fields, parse_id, Database};

/// One parsed /etc/passwd line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: Vec<u8>,
    /// Password hash, `x` when it is in /etc/shadow.
    pub passwd: Vec<u8>,
    /// User id.
    pub uid: u32,
    /// Login group id.
    pub gid: u32,
    /// Full name and other information.
    pub gecos: Vec<u8>,
    /// Home directory.
    pub home: Vec<u8>,
    /// Login shell.
    pub shell: Vec<u8>,
}

impl User {
    /// Parses a line; `None` for anything but seven fields with numeric ids.
    pub fn parse(line: &[u8]) -> Option<User> {
        let f = fields(line);
        if f.len() != 7 {
            return None;
        }
        Some(User {
            name: f[0].to_vec(),
            passwd: f[1].to_vec(),
            uid: parse_id(f[2])?,
            gid: parse_id(f[3])?,
            gecos: f[4].to_vec(),
            home: f[5].to_vec(),
            shell: f[6].to_vec(),
        })
    }

    /// The line for the file.
    pub fn to_line(&self) -> Vec<u8> {
        let mut l = Vec::new();
        for (i, f) in [
            &self.name[..],
            &self.passwd,
            self.uid.to_string().as_bytes(),
            self.gid.to_string().as_bytes(),
            &self.gecos,
            &self.home,
            &self.shell,
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                l.push(b':');
            }
            l.extend_from_slice(f);
        }
        l
    }
}

/// All users that parse, in file order.
pub fn users(db: &Database) -> Vec<User> {
    db.lines.iter().filter_map(|l| User::parse(l)).collect()
}

/// The user called `name`.
pub fn by_name(db: &Database, name: &[u8]) -> Option<User> {
    users(db).into_iter().find(|u| u.name == name)
}

/// The first user with id `uid`.
pub fn by_uid(db: &Database, uid: u32) -> Option<User> {
    users(db).into_iter().find(|u| u.uid == uid)
}
