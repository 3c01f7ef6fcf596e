//! Fast searches for fixed strings: `grep -F`, literal patterns, and the
//! literal prefix or required substring of other patterns.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `w` is zero (the classic bit trick).
#[inline]
fn has_zero(w: u64) -> bool {
    w.wrapping_sub(LO) & !w & HI != 0
}

/// Position of the first `n` in `hay`, eight bytes at a time.
pub fn memchr(n: u8, hay: &[u8]) -> Option<usize> {
    let rep = LO.wrapping_mul(u64::from(n));
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if has_zero(u64::from_le_bytes(word) ^ rep) {
            break;
        }
        base += 8;
    }
    hay[base..].iter().position(|&b| b == n).map(|p| p + base)
}

/// Position of the first `a` or `b` in `hay`.
pub fn memchr2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    let ra = LO.wrapping_mul(u64::from(a));
    let rb = LO.wrapping_mul(u64::from(b));
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        if has_zero(w ^ ra) || has_zero(w ^ rb) {
            break;
        }
        base += 8;
    }
    hay[base..]
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| p + base)
}

/// Position of the first occurrence of `needle` in `hay`.
pub fn find(needle: &[u8], hay: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    let mut at = 0;
    while at + needle.len() <= hay.len() {
        let i = at + memchr(first, &hay[at..hay.len() - rest.len()])?;
        if hay[i + 1..i + needle.len()] == *rest {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// Position of the first occurrence of `needle` in `hay` ignoring ASCII case.
pub fn find_icase(needle: &[u8], hay: &[u8]) -> Option<usize> {
    let Some(&first) = needle.first() else {
        return Some(0);
    };
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut at = 0;
    while at + needle.len() <= hay.len() {
        let i = at + memchr2(lo, up, &hay[at..=hay.len() - needle.len()])?;
        if hay[i..i + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_bytes_and_strings() {
        let hay = b"0123456789abcdefghijklmnopqrstuvwxyz";
        for (i, &b) in hay.iter().enumerate() {
            assert_eq!(memchr(b, hay), Some(i));
            assert_eq!(memchr2(b'#', b, hay), Some(i));
        }
        assert_eq!(memchr(b'#', hay), None);
        assert_eq!(find(b"xyz", hay), Some(33));
        assert_eq!(find(b"xyzz", hay), None);
        assert_eq!(find(b"", hay), Some(0));
        assert_eq!(find_icase(b"XyZ", hay), Some(33));
        assert_eq!(find_icase(b"ab", b"xxAB"), Some(2));
        assert_eq!(find(b"aab", b"aaab"), Some(1));
    }
}
