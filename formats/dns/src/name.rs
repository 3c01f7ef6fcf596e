//! Domain names: a list of labels, read with compression pointers followed
//! (backwards only) and written with them made.

use crate::wire::Reader;
use crate::Error;
use std::collections::HashMap;
use std::fmt;

/// The longest name in wire form, length bytes and the root's zero included
/// (RFC 1035 3.1).
pub const MAX_NAME_LEN: usize = 255;

/// The longest label (RFC 1035 2.3.4): its length byte has two bits left
/// for the pointer and reserved forms.
const MAX_LABEL_LEN: usize = 63;

/// A domain name, as its labels without the root. Labels keep the case
/// they arrived in (resolvers may use it, 0x20-style, to check replies);
/// compare with [`Name::eq_ignore_case`] or [`Name::lowercase`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Name {
    labels: Vec<Vec<u8>>,
}

/// Names already written into a message and where, so that later names
/// can point at a suffix instead of repeating it.
#[derive(Debug, Default)]
pub(crate) struct Compressor {
    /// Wire form of a suffix → its offset in the message. Keys keep their
    /// case: pointing `EXAMPLE.com` at `example.com` would change the name a
    /// client reads back, and resolvers check the case they sent (0x20).
    seen: HashMap<Vec<u8>, u16>,
}

impl Name {
    /// The root name ".".
    pub fn root() -> Name {
        Name { labels: Vec::new() }
    }

    /// A name from its labels, checking their lengths and the total length.
    pub fn from_labels(labels: Vec<Vec<u8>>) -> Result<Name, Error> {
        let mut len = 1;
        for l in &labels {
            if l.is_empty() || l.len() > MAX_LABEL_LEN {
                return Err(Error::BadLabel);
            }
            len += l.len() + 1;
        }
        if len > MAX_NAME_LEN {
            return Err(Error::NameTooLong);
        }
        Ok(Name { labels })
    }

    /// A name from dotted text ("www.example.org", a trailing dot allowed).
    /// No escapes are read: a backslash is an ordinary byte.
    pub fn from_dotted(s: &str) -> Result<Name, Error> {
        let s = s.strip_suffix('.').unwrap_or(s);
        if s.is_empty() {
            return Ok(Name::root());
        }
        Name::from_labels(s.split('.').map(|l| l.as_bytes().to_vec()).collect())
    }

    /// The labels, leftmost first.
    pub fn labels(&self) -> &[Vec<u8>] {
        &self.labels
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.labels.is_empty()
    }

    /// The same name in ASCII lower case (DNS compares names that way).
    pub fn lowercase(&self) -> Name {
        Name {
            labels: self.labels.iter().map(|l| l.to_ascii_lowercase()).collect(),
        }
    }

    /// Whether the two names are equal ignoring ASCII case.
    pub fn eq_ignore_case(&self, other: &Name) -> bool {
        self.labels.len() == other.labels.len()
            && self
                .labels
                .iter()
                .zip(&other.labels)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// The labels before `suffix` if this name ends with it (ignoring
    /// case): `a.b.lan` without `lan` is `a.b`.
    pub fn strip_suffix(&self, suffix: &Name) -> Option<Name> {
        let keep = self.labels.len().checked_sub(suffix.labels.len())?;
        let tail = &self.labels[keep..];
        if tail
            .iter()
            .zip(&suffix.labels)
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
        {
            Some(Name {
                labels: self.labels[..keep].to_vec(),
            })
        } else {
            None
        }
    }

    /// This name followed by `suffix`, if the result is not too long.
    pub fn join(&self, suffix: &Name) -> Result<Name, Error> {
        let mut labels = self.labels.clone();
        labels.extend(suffix.labels.iter().cloned());
        Name::from_labels(labels)
    }

    /// Length in wire form without compression.
    pub fn wire_len(&self) -> usize {
        1 + self.labels.iter().map(|l| l.len() + 1).sum::<usize>()
    }

    /// Reads a name at the reader's position, following compression
    /// pointers. Each pointer must point before the start of the labels
    /// that led to it, so offsets strictly decrease and a chain of pointers
    /// ends: loops and self-references are refused, not followed.
    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Name, Error> {
        let mut labels = Vec::new();
        let mut len = 1;
        let mut pos = r.pos;
        // Where the run of labels being read began: pointers must go below it.
        let mut run_start = r.pos;
        let mut jumped = false;
        loop {
            let b = *r.buf.get(pos).ok_or(Error::Truncated("name"))?;
            match b & 0xc0 {
                0x00 if b == 0 => {
                    if !jumped {
                        r.pos = pos + 1;
                    }
                    return Ok(Name { labels });
                }
                0x00 => {
                    let n = usize::from(b);
                    let label = r
                        .buf
                        .get(pos + 1..pos + 1 + n)
                        .ok_or(Error::Truncated("name"))?;
                    len += n + 1;
                    if len > MAX_NAME_LEN {
                        return Err(Error::NameTooLong);
                    }
                    labels.push(label.to_vec());
                    pos += n + 1;
                }
                0xc0 => {
                    let low = *r.buf.get(pos + 1).ok_or(Error::Truncated("name"))?;
                    let target = usize::from(b & 0x3f) << 8 | usize::from(low);
                    if target >= run_start {
                        return Err(Error::PointerLoop);
                    }
                    if !jumped {
                        r.pos = pos + 2;
                        jumped = true;
                    }
                    run_start = target;
                    pos = target;
                }
                // 0x40 (extended labels, RFC 6891 retired them) and 0x80 are
                // reserved.
                _ => return Err(Error::BadLabel),
            }
        }
    }

    /// Writes the name at the end of `out` (the message so far). With a
    /// compressor, a suffix already written is replaced by a pointer to it,
    /// and the suffixes written here become targets for later names.
    pub(crate) fn encode(&self, out: &mut Vec<u8>, mut comp: Option<&mut Compressor>) {
        for i in 0..self.labels.len() {
            if let Some(c) = comp.as_deref_mut() {
                let key = wire(&self.labels[i..]);
                if let Some(&off) = c.seen.get(&key) {
                    out.extend_from_slice(&(0xc000 | off).to_be_bytes());
                    return;
                }
                // Pointers have 14 bits: later offsets cannot be targets.
                if let Ok(off) = u16::try_from(out.len()) {
                    if off < 0x4000 {
                        c.seen.insert(key, off);
                    }
                }
            }
            let label = &self.labels[i];
            // Labels are at most 63 bytes by construction (from_labels, parse).
            out.push(label.len() as u8);
            out.extend_from_slice(label);
        }
        out.push(0);
    }
}

/// The wire form of `labels` without the root, as a compression key.
fn wire(labels: &[Vec<u8>]) -> Vec<u8> {
    let mut key = Vec::new();
    for l in labels {
        key.push(l.len() as u8);
        key.extend_from_slice(l);
    }
    key
}

impl fmt::Display for Name {
    /// Dotted text without the root's trailing dot ("." for the root),
    /// with dots inside labels and unprintable bytes escaped as master
    /// files write them (`\.`, `\DDD`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.labels.is_empty() {
            return f.write_str(".");
        }
        for (i, label) in self.labels.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            for &b in label {
                match b {
                    b'.' | b'\\' | b'"' | b';' | b'(' | b')' | b'@' | b'$' => {
                        write!(f, "\\{}", b as char)?
                    }
                    0x21..=0x7e => write!(f, "{}", b as char)?,
                    _ => write!(f, "\\{b:03}")?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_and_suffixes() {
        let n = Name::from_dotted("Box.LAN.").unwrap();
        assert_eq!(n.to_string(), "Box.LAN");
        let lan = Name::from_dotted("lan").unwrap();
        assert_eq!(n.strip_suffix(&lan).unwrap().to_string(), "Box");
        assert!(n.strip_suffix(&Name::from_dotted("org").unwrap()).is_none());
        assert!(Name::from_dotted("a..b").is_err());
        assert_eq!(Name::from_dotted(".").unwrap(), Name::root());
    }

    #[test]
    fn pointer_to_itself_is_refused() {
        let buf = [0xc0, 0x00];
        assert_eq!(Name::parse(&mut Reader::new(&buf)), Err(Error::PointerLoop));
        // A label, then a pointer back to that label: a loop.
        let buf = [1, b'a', 0xc0, 0x00];
        assert_eq!(Name::parse(&mut Reader::new(&buf)), Err(Error::PointerLoop));
    }
}
