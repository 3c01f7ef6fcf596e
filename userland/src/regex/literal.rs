//! Fast searches for fixed strings: `grep -F`, literal patterns, and the
//! literal prefix or required substring of other patterns.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Position of the first `n` in `hay`, eight bytes at a time.
pub fn memchr(n: u8, hay: &[u8]) -> Option<usize> {
    let rep = LO.wrapping_mul(u64::from(n));
    let mut i = 0;
    while i + 8 <= hay.len() {
        let m = zero_bytes(word_at(hay, i) ^ rep);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&b| b == n).map(|p| p + i)
}

/// Position of the first `a` or `b` in `hay`.
pub fn memchr2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    let ra = LO.wrapping_mul(u64::from(a));
    let rb = LO.wrapping_mul(u64::from(b));
    let mut i = 0;
    while i + 8 <= hay.len() {
        let w = word_at(hay, i);
        let m = zero_bytes(w ^ ra) | zero_bytes(w ^ rb);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..]
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| p + i)
}

/// 0x80 in each byte of `w` that is zero, 0 elsewhere (exact, so that
/// two masks can be combined).
#[inline(always)]
pub fn zero_bytes(w: u64) -> u64 {
    !(((w & !HI).wrapping_add(!HI)) | w) & HI
}

/// The eight bytes of `hay` at `i` as one little-endian word. Spelled
/// out byte by byte: the device build (opt-level z) would call out of
/// line for `copy_from_slice` or `try_into`, while this compiles to one
/// load.
#[inline(always)]
pub fn word_at(hay: &[u8], i: usize) -> u64 {
    let b = &hay[i..i + 8];
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// How a byte of `hay` is compared with one byte of the needle: `hay | fold`
/// must equal `want`. Ignoring case, a letter is compared with its lower
/// case and the 0x20 bit of the subject byte set (other bytes that then
/// compare equal are weeded out by the full comparison).
fn probe(b: u8, icase: bool) -> (u64, u64) {
    if icase && b.is_ascii_alphabetic() {
        (
            LO * 0x20,
            LO.wrapping_mul(u64::from(b.to_ascii_lowercase())),
        )
    } else {
        (0, LO.wrapping_mul(u64::from(b)))
    }
}

/// Position of the first occurrence of `needle` in `hay`, comparing ASCII
/// letters without case if `icase`. Eight positions at a time, a candidate
/// must hold both the needle's first and last byte (a "packed pair"): with
/// both ends to match, few positions are ever compared in full, however
/// common the first byte is.
fn find_pair(needle: &[u8], hay: &[u8], icase: bool) -> Option<usize> {
    let n = needle.len();
    let (&first, &last) = (needle.first()?, needle.last()?);
    let same = |at: usize| {
        let h = &hay[at..at + n];
        if icase {
            h.eq_ignore_ascii_case(needle)
        } else {
            h == needle
        }
    };
    let (fold_a, want_a) = probe(first, icase);
    let (fold_b, want_b) = probe(last, icase);
    // The bytes under the needle's last byte, as a slice of its own so
    // that both loads compile alike.
    let ends = &hay[(n - 1).min(hay.len())..];
    let mut i = 0;
    while i + 8 <= ends.len() {
        let a = zero_bytes((word_at(hay, i) | fold_a) ^ want_a);
        let b = zero_bytes((word_at(ends, i) | fold_b) ^ want_b);
        let mut m = a & b;
        while m != 0 {
            let at = i + (m.trailing_zeros() / 8) as usize;
            if same(at) {
                return Some(at);
            }
            m &= m - 1;
        }
        i += 8;
    }
    (i..(hay.len() + 1).saturating_sub(n)).find(|&at| same(at))
}

/// Position of the first occurrence of `needle` in `hay`.
pub fn find(needle: &[u8], hay: &[u8]) -> Option<usize> {
    match needle {
        [] => Some(0),
        [b] => memchr(*b, hay),
        _ => find_pair(needle, hay, false),
    }
}

/// Position of the first occurrence of `needle` in `hay` ignoring ASCII case.
pub fn find_icase(needle: &[u8], hay: &[u8]) -> Option<usize> {
    match needle {
        [] => Some(0),
        [b] => memchr2(b.to_ascii_lowercase(), b.to_ascii_uppercase(), hay),
        _ => find_pair(needle, hay, true),
    }
}

/// Number of `n` bytes in `hay`, eight at a time: each byte lane of a
/// word counts its matches for up to 255 words, then the lanes are added.
pub fn count(n: u8, hay: &[u8]) -> usize {
    let rep = LO.wrapping_mul(u64::from(n));
    let mut total = 0;
    let mut i = 0;
    while i + 8 <= hay.len() {
        let end = hay.len().min(i + 255 * 8);
        let mut acc = 0u64;
        while i + 8 <= end {
            acc += zero_bytes(word_at(hay, i) ^ rep) >> 7;
            i += 8;
        }
        total += sum_lanes(acc) as usize;
    }
    total + hay[i..].iter().filter(|&&b| b == n).count()
}

/// The sum of the eight bytes of `acc`.
#[inline(always)]
pub fn sum_lanes(acc: u64) -> u64 {
    const LANES: u64 = 0x00ff_00ff_00ff_00ff;
    let pairs = (acc & LANES) + ((acc >> 8) & LANES);
    pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48
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
        assert_eq!(count(b'a', b"abracadabra, a long line"), 6);
        let many = vec![b'\n'; 8 * 600 + 5];
        assert_eq!(count(b'\n', &many), many.len());
    }

    /// The word-at-a-time search agrees with a plain one at every length,
    /// position and case.
    #[test]
    fn pair_search_agrees_with_naive() {
        let hay: Vec<u8> = (0..300u32)
            .map(|i| b"abcAB-_@xq"[(i * 7 % 11 % 10) as usize])
            .collect();
        let naive = |needle: &[u8], icase: bool| {
            hay.windows(needle.len()).position(|w| {
                if icase {
                    w.eq_ignore_ascii_case(needle)
                } else {
                    w == needle
                }
            })
        };
        for start in 0..40 {
            for len in 2..14 {
                let needle = &hay[start * 7..start * 7 + len];
                assert_eq!(find(needle, &hay), naive(needle, false));
                for cut in 0..hay.len() {
                    let hay = &hay[..cut];
                    let want = hay.windows(len).position(|w| w == needle);
                    assert_eq!(find(needle, hay), want);
                }
                let upper = needle.to_ascii_uppercase();
                assert_eq!(find_icase(&upper, &hay), naive(&upper, true));
            }
        }
        // Bytes that differ from a letter only in the 0x20 bit are not
        // letters: '@' must not match '`'.
        assert_eq!(find_icase(b"a@", b"A`A@"), Some(2));
        assert_eq!(find(b"zz", b"z"), None);
        assert_eq!(find(b"xyz", b""), None);
    }
}
