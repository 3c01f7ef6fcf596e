//! Package versions and the constraints dependencies put on them, ordered
//! as apk orders them.
//!
//! A version is `1.2.3`, optionally a letter (`1.2.3a`), optional suffixes
//! (`_alpha`, `_beta`, `_pre`, `_rc` sort before the release; `_p`, `_git`
//! after it; each may carry a number), and an optional package revision
//! `-rN`. Examples in order: `1.2_rc1 < 1.2 < 1.2-r1 < 1.2a < 1.2_p1 < 1.2.1`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;
use serde::{Deserialize, Serialize};

/// One piece of a parsed version, in the order they are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// A dotted number component.
    Number(u64),
    /// The letter after the last number.
    Letter(u8),
    /// A suffix: its rank (pre-release suffixes are negative) and number.
    Suffix(i8, u64),
    /// The `-rN` package revision.
    Revision(u64),
}

const SUFFIXES: [(&str, i8); 7] = [
    ("alpha", -4),
    ("beta", -3),
    ("pre", -2),
    ("rc", -1),
    ("cvs", 1),
    ("git", 2),
    ("p", 3),
];

/// Why a string is not a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadVersion(pub String);

impl fmt::Display for BadVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid version '{}'", self.0)
    }
}

fn number(s: &[u8], i: &mut usize) -> Option<u64> {
    let start = *i;
    let mut n: u64 = 0;
    while *i < s.len() && s[*i].is_ascii_digit() {
        n = n.checked_mul(10)?.checked_add(u64::from(s[*i] - b'0'))?;
        *i += 1;
    }
    (*i > start).then_some(n)
}

fn tokens(v: &str) -> Result<Vec<Token>, BadVersion> {
    let bad = || BadVersion(v.to_string());
    let s = v.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    // Dotted numbers.
    loop {
        out.push(Token::Number(number(s, &mut i).ok_or_else(bad)?));
        if i < s.len() && s[i] == b'.' {
            i += 1;
        } else {
            break;
        }
    }
    if i < s.len() && s[i].is_ascii_lowercase() {
        out.push(Token::Letter(s[i]));
        i += 1;
    }
    while i < s.len() && s[i] == b'_' {
        i += 1;
        let rest = &v[i..];
        let (name, rank) = SUFFIXES
            .iter()
            .filter(|(name, _)| rest.starts_with(name))
            .max_by_key(|(name, _)| name.len())
            .ok_or_else(bad)?;
        i += name.len();
        let n = if i < s.len() && s[i].is_ascii_digit() {
            number(s, &mut i).ok_or_else(bad)?
        } else {
            0
        };
        out.push(Token::Suffix(*rank, n));
    }
    if i < s.len() {
        if !v[i..].starts_with("-r") {
            return Err(bad());
        }
        i += 2;
        out.push(Token::Revision(number(s, &mut i).ok_or_else(bad)?));
    }
    if i != s.len() {
        return Err(bad());
    }
    Ok(out)
}

/// Checks that `v` is a well-formed version.
pub fn validate(v: &str) -> Result<(), BadVersion> {
    tokens(v).map(|_| ())
}

/// Where a token sorts when the other version has already ended: suffixes
/// before a release sort lower than the end, everything else higher.
fn against_end(t: &Token) -> Ordering {
    match t {
        Token::Suffix(rank, _) if *rank < 0 => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn kind_rank(t: &Token) -> i32 {
    match t {
        // A pre-release suffix sorts below anything else at its place.
        Token::Suffix(rank, _) if *rank < 0 => 0,
        Token::Revision(_) => 1,
        Token::Letter(_) => 2,
        Token::Suffix(..) => 3,
        Token::Number(_) => 4,
    }
}

/// Compares two versions; malformed versions sort below well-formed ones
/// and compare among themselves as strings.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ta, tb) = match (tokens(a), tokens(b)) {
        (Ok(ta), Ok(tb)) => (ta, tb),
        (Err(_), Ok(_)) => return Ordering::Less,
        (Ok(_), Err(_)) => return Ordering::Greater,
        (Err(_), Err(_)) => return a.cmp(b),
    };
    for i in 0..ta.len().max(tb.len()) {
        let ord = match (ta.get(i), tb.get(i)) {
            (Some(x), Some(y)) => match (x, y) {
                (Token::Number(x), Token::Number(y)) => x.cmp(y),
                (Token::Letter(x), Token::Letter(y)) => x.cmp(y),
                (Token::Suffix(rx, nx), Token::Suffix(ry, ny)) => rx.cmp(ry).then(nx.cmp(ny)),
                (Token::Revision(x), Token::Revision(y)) => x.cmp(y),
                (x, y) => kind_rank(x).cmp(&kind_rank(y)),
            },
            (Some(x), None) => against_end(x),
            (None, Some(y)) => against_end(y).reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// How a dependency constrains a version.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`: exactly this version.
    Equal,
    /// `<`
    Less,
    /// `<=`
    LessEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterEqual,
    /// `~`: this version or any with it as a prefix at a component
    /// boundary (`~1.2` takes `1.2`, `1.2.7`, `1.2-r3`, not `1.20`).
    Fuzzy,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Equal => "=",
            Op::Less => "<",
            Op::LessEqual => "<=",
            Op::Greater => ">",
            Op::GreaterEqual => ">=",
            Op::Fuzzy => "~",
        }
    }
}

/// A package name with an optional version constraint: `musl`,
/// `sqlite>=3.40`, `zlib~1.3`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// Name of a package or of something a package provides.
    pub name: String,
    /// The constraint, if any.
    pub constraint: Option<(Op, String)>,
}

/// Why a string is not a dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDependency(pub String);

impl fmt::Display for BadDependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid dependency '{}'", self.0)
    }
}

/// Checks a package name: 1–64 of `a-z 0-9 . _ + -`, starting with a letter
/// or digit.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._+-".contains(&c))
}

impl Dependency {
    /// Parses `name`, `name=1.0`, `name>=1.0`, `name~1` and the rest.
    pub fn parse(s: &str) -> Result<Dependency, BadDependency> {
        let bad = || BadDependency(s.to_string());
        let split = s.find(['=', '<', '>', '~']);
        let (name, rest) = match split {
            Some(at) => (&s[..at], &s[at..]),
            None => (s, ""),
        };
        if !valid_name(name) {
            return Err(bad());
        }
        if rest.is_empty() {
            return Ok(Dependency {
                name: name.to_string(),
                constraint: None,
            });
        }
        let ops = [
            (">=", Op::GreaterEqual),
            ("<=", Op::LessEqual),
            ("=", Op::Equal),
            ("<", Op::Less),
            (">", Op::Greater),
            ("~", Op::Fuzzy),
        ];
        let (sym, op) = ops
            .iter()
            .find(|(sym, _)| rest.starts_with(sym))
            .ok_or_else(bad)?;
        let version = &rest[sym.len()..];
        validate(version).map_err(|_| bad())?;
        Ok(Dependency {
            name: name.to_string(),
            constraint: Some((*op, version.to_string())),
        })
    }

    /// Whether a package or provide named `name` at `version` satisfies
    /// this dependency (`None`: a provide without a version, which only
    /// satisfies unconstrained dependencies).
    pub fn matches(&self, name: &str, version: Option<&str>) -> bool {
        if name != self.name {
            return false;
        }
        let Some((op, want)) = &self.constraint else {
            return true;
        };
        let Some(have) = version else {
            return false;
        };
        let ord = compare(have, want);
        match op {
            Op::Equal => ord == Ordering::Equal,
            Op::Less => ord == Ordering::Less,
            Op::LessEqual => ord != Ordering::Greater,
            Op::Greater => ord == Ordering::Greater,
            Op::GreaterEqual => ord != Ordering::Less,
            Op::Fuzzy => {
                have == want
                    || (have.starts_with(want.as_str())
                        && matches!(have.as_bytes()[want.len()], b'.' | b'-' | b'_'))
            }
        }
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some((op, v)) = &self.constraint {
            write!(f, "{}{v}", op.symbol())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_apk() {
        let ordered = [
            "0.9",
            "1",
            "1.0",
            "1.2_alpha",
            "1.2_alpha2",
            "1.2_beta",
            "1.2_rc1",
            "1.2",
            "1.2-r1",
            "1.2-r10",
            "1.2a",
            "1.2_p1",
            "1.2.1",
            "1.10",
        ];
        for w in ordered.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
            assert_eq!(
                compare(w[1], w[0]),
                Ordering::Greater,
                "{} > {}",
                w[1],
                w[0]
            );
        }
        assert_eq!(compare("3.45.1-r0", "3.45.1-r0"), Ordering::Equal);
    }

    #[test]
    fn rejects_malformed() {
        for v in [
            "", "a", "1.", ".1", "1..2", "1.2-", "1.2-r", "1.2_zz", "1 2", "1.2-r1x",
        ] {
            assert!(validate(v).is_err(), "{v:?}");
        }
    }

    #[test]
    fn constraints() {
        let d = |s| Dependency::parse(s).unwrap();
        assert!(d("zlib").matches("zlib", Some("1.0")));
        assert!(d("zlib").matches("zlib", None));
        assert!(!d("zlib>=1.3").matches("zlib", None));
        assert!(d("zlib>=1.3").matches("zlib", Some("1.3")));
        assert!(!d("zlib>1.3").matches("zlib", Some("1.3")));
        assert!(d("zlib<1.3").matches("zlib", Some("1.2.9")));
        assert!(d("zlib<=1.3").matches("zlib", Some("1.3")));
        assert!(d("zlib=1.3-r1").matches("zlib", Some("1.3-r1")));
        assert!(!d("zlib=1.3").matches("zlib", Some("1.3-r1")));
        assert!(d("zlib~1.3").matches("zlib", Some("1.3.1")));
        assert!(d("zlib~1.3").matches("zlib", Some("1.3-r2")));
        assert!(!d("zlib~1.3").matches("zlib", Some("1.30")));
        assert!(!d("zlib").matches("zlibx", Some("1")));
        assert_eq!(d("a>=1.0").to_string(), "a>=1.0");
        for bad in ["", "Zlib", "a>=", "a=>1", "a>=x", "-a", "a b"] {
            assert!(Dependency::parse(bad).is_err(), "{bad:?}");
        }
    }
}
