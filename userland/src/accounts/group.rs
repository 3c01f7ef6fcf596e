//! /etc/group entries: `name:password:gid:member,member`.

use super::{fields, parse_id, Database};

/// One parsed /etc/group line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Group name.
    pub name: Vec<u8>,
    /// Group password (normally `x` or empty).
    pub passwd: Vec<u8>,
    /// Group id.
    pub gid: u32,
    /// Supplementary members.
    pub members: Vec<Vec<u8>>,
}

impl Group {
    /// Parses a line; `None` for anything but four fields with a numeric id.
    pub fn parse(line: &[u8]) -> Option<Group> {
        let f = fields(line);
        if f.len() != 4 {
            return None;
        }
        Some(Group {
            name: f[0].to_vec(),
            passwd: f[1].to_vec(),
            gid: parse_id(f[2])?,
            members: f[3]
                .split(|&b| b == b',')
                .filter(|m| !m.is_empty())
                .map(<[u8]>::to_vec)
                .collect(),
        })
    }

    /// The line for the file.
    pub fn to_line(&self) -> Vec<u8> {
        let mut l = self.name.clone();
        l.push(b':');
        l.extend_from_slice(&self.passwd);
        l.extend_from_slice(format!(":{}:", self.gid).as_bytes());
        l.extend_from_slice(&self.members.join(&b','));
        l
    }
}

/// All groups that parse, in file order.
pub fn groups(db: &Database) -> Vec<Group> {
    db.lines.iter().filter_map(|l| Group::parse(l)).collect()
}

/// Ids of the groups listing `user` as a member, plus `primary`, without
/// repeats: what initgroups(3) would set.
pub fn group_list(db: &Database, user: &[u8], primary: u32) -> Vec<u32> {
    let mut ids = vec![primary];
    for g in groups(db) {
        if g.members.iter().any(|m| m == user) && !ids.contains(&g.gid) {
            ids.push(g.gid);
        }
    }
    ids
}
