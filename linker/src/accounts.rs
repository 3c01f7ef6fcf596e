//! The image's users and groups (`/etc/passwd`, `/etc/group`), which the
//! linker writes and then resolves service `user`/`group` names against,
//! so that init never parses them at boot.

use ibex_plan::Credentials;

/// The accounts every image has: root, a `daemon` user for services that
/// need no privileges but own files, and `nobody` for those that own nothing.
pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
daemon:x:1:1:daemon:/:/bin/false\n\
nobody:x:65534:65534:nobody:/:/bin/false\n";

/// The groups matching [`PASSWD`].
pub const GROUP: &str = "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n";

/// One parsed `/etc/passwd` entry.
#[derive(Debug, Clone)]
struct User {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

/// One parsed `/etc/group` entry.
#[derive(Debug, Clone)]
struct Group {
    name: String,
    gid: u32,
    members: Vec<String>,
}

/// Users and groups of one image.
#[derive(Debug, Clone)]
pub struct Accounts {
    users: Vec<User>,
    groups: Vec<Group>,
}

impl Accounts {
    /// Parses passwd and group text; lines that are not well-formed entries
    /// are errors naming the line.
    pub fn parse(passwd: &str, group: &str) -> Result<Accounts, String> {
        let mut users = Vec::new();
        for (n, line) in passwd.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
            let f: Vec<&str> = line.split(':').collect();
            let bad = || format!("passwd line {}: malformed entry '{line}'", n + 1);
            if f.len() != 7 {
                return Err(bad());
            }
            users.push(User {
                name: f[0].into(),
                uid: f[2].parse().map_err(|_| bad())?,
                gid: f[3].parse().map_err(|_| bad())?,
                home: f[5].into(),
            });
        }
        let mut groups = Vec::new();
        for (n, line) in group.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
            let f: Vec<&str> = line.split(':').collect();
            let bad = || format!("group line {}: malformed entry '{line}'", n + 1);
            if f.len() != 4 {
                return Err(bad());
            }
            groups.push(Group {
                name: f[0].into(),
                gid: f[2].parse().map_err(|_| bad())?,
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(Into::into)
                    .collect(),
            });
        }
        Ok(Accounts { users, groups })
    }

    /// The accounts of every image ([`PASSWD`], [`GROUP`]).
    pub fn standard() -> Accounts {
        // The constants above are well-formed; a test checks it.
        Accounts::parse(PASSWD, GROUP).unwrap_or(Accounts {
            users: Vec::new(),
            groups: Vec::new(),
        })
    }

    /// Credentials for `user` (a name or a number) with `group` (a name or
    /// a number; the user's primary group when `None`), supplementary
    /// groups from /etc/group.
    pub fn resolve(&self, user: &str, group: Option<&str>) -> Result<Credentials, String> {
        let entry = self
            .users
            .iter()
            .find(|u| u.name == user)
            .cloned()
            .or_else(|| {
                let uid = user.parse().ok()?;
                Some(
                    self.users
                        .iter()
                        .find(|u| u.uid == uid)
                        .cloned()
                        .unwrap_or(User {
                            name: user.into(),
                            uid,
                            gid: uid,
                            home: "/".into(),
                        }),
                )
            })
            .ok_or_else(|| format!("user '{user}' is not in the image's /etc/passwd"))?;
        let gid = match group {
            None => entry.gid,
            Some(g) => match self.groups.iter().find(|e| e.name == g) {
                Some(e) => e.gid,
                None => g
                    .parse()
                    .map_err(|_| format!("group '{g}' is not in the image's /etc/group"))?,
            },
        };
        let mut groups = vec![gid];
        for g in &self.groups {
            if g.members.contains(&entry.name) && !groups.contains(&g.gid) {
                groups.push(g.gid);
            }
        }
        Ok(Credentials {
            uid: entry.uid,
            gid,
            groups,
            name: entry.name,
            home: entry.home,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_numbers_and_groups() {
        let a = Accounts::parse(
            &format!("{PASSWD}www:x:80:80:web:/srv:/bin/false\n"),
            &format!("{GROUP}www:x:80:\nlog:x:90:www\n"),
        )
        .unwrap();
        let c = a.resolve("www", None).unwrap();
        assert_eq!((c.uid, c.gid, c.groups.clone()), (80, 80, vec![80, 90]));
        assert_eq!(c.home, "/srv");
        let c = a.resolve("nobody", Some("nogroup")).unwrap();
        assert_eq!((c.uid, c.gid), (65534, 65534));
        let c = a.resolve("1000", Some("5")).unwrap();
        assert_eq!((c.uid, c.gid), (1000, 5));
        assert!(a.resolve("nosuch", None).unwrap_err().contains("'nosuch'"));
        assert!(a.resolve("root", Some("nosuch")).is_err());
        assert!(Accounts::parse("root:x:0\n", "").is_err());
        assert_eq!(Accounts::standard().users.len(), 3);
    }
}
