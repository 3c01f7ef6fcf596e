//! SHA-512 crypt (`$6$`), as specified by Ulrich Drepper in "Unix crypt
//! using SHA-256 and SHA-512" and implemented by glibc and musl, so hashes
//! written here verify on any Linux system and vice versa.

use crate::digest::sha512::Sha512;

/// The alphabet of crypt's base-64 encoding (not RFC 4648's).
const B64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Rounds used when the setting names none.
const ROUNDS_DEFAULT: u64 = 5000;
/// The spec clamps requested rounds into this range.
const ROUNDS_MIN: u64 = 1000;
const ROUNDS_MAX: u64 = 999_999_999;
/// Longest salt used; longer salts are cut.
const SALT_MAX: usize = 16;

/// Appends `n` crypt-base-64 characters of the 24-bit value `b2 b1 b0`.
fn b64_from_24bit(out: &mut Vec<u8>, b2: u8, b1: u8, b0: u8, n: usize) {
    let mut w = (u32::from(b2) << 16) | (u32::from(b1) << 8) | u32::from(b0);
    for _ in 0..n {
        out.push(B64[(w & 0x3f) as usize]);
        w >>= 6;
    }
}

/// `len` bytes made of `digest` repeated (the spec's P and S sequences).
fn repeat(digest: &[u8; 64], len: usize) -> Vec<u8> {
    digest.iter().copied().cycle().take(len).collect()
}

/// Hashes `key` with the `$6$[rounds=N$]salt[$...]` `setting` and returns
/// the full crypt string, or `None` if `setting` is not a `$6$` setting.
pub fn sha512_crypt(key: &[u8], setting: &[u8]) -> Option<Vec<u8>> {
    let mut rest = setting.strip_prefix(b"$6$")?;
    let mut rounds = ROUNDS_DEFAULT;
    let mut rounds_custom = false;
    if let Some(after) = rest.strip_prefix(b"rounds=") {
        let end = after.iter().position(|&b| b == b'$')?;
        let n: u64 = std::str::from_utf8(&after[..end]).ok()?.parse().ok()?;
        rounds = n.clamp(ROUNDS_MIN, ROUNDS_MAX);
        rounds_custom = true;
        rest = &after[end + 1..];
    }
    let salt_end = rest
        .iter()
        .position(|&b| b == b'$')
        .unwrap_or(rest.len())
        .min(SALT_MAX);
    let salt = &rest[..salt_end];

    // B = H(key salt key)
    let mut ctx = Sha512::new();
    ctx.update(key);
    ctx.update(salt);
    ctx.update(key);
    let b = ctx.finish();

    // A = H(key salt B-stretched-to-key-length bits-of-length-choose(B, key))
    let mut ctx = Sha512::new();
    ctx.update(key);
    ctx.update(salt);
    let mut cnt = key.len();
    while cnt > 64 {
        ctx.update(&b);
        cnt -= 64;
    }
    ctx.update(&b[..cnt]);
    let mut cnt = key.len();
    while cnt > 0 {
        if cnt & 1 != 0 {
            ctx.update(&b);
        } else {
            ctx.update(key);
        }
        cnt >>= 1;
    }
    let mut a = ctx.finish();

    // P: H(key repeated key.len() times), stretched to key.len().
    let mut ctx = Sha512::new();
    for _ in 0..key.len() {
        ctx.update(key);
    }
    let p = repeat(&ctx.finish(), key.len());

    // S: H(salt repeated 16 + A[0] times), stretched to salt.len().
    let mut ctx = Sha512::new();
    for _ in 0..16 + usize::from(a[0]) {
        ctx.update(salt);
    }
    let s = repeat(&ctx.finish(), salt.len());

    // The rounds that make guessing expensive.
    for i in 0..rounds {
        let mut ctx = Sha512::new();
        if i & 1 != 0 {
            ctx.update(&p);
        } else {
            ctx.update(&a);
        }
        if i % 3 != 0 {
            ctx.update(&s);
        }
        if i % 7 != 0 {
            ctx.update(&p);
        }
        if i & 1 != 0 {
            ctx.update(&a);
        } else {
            ctx.update(&p);
        }
        a = ctx.finish();
    }

    let mut out = b"$6$".to_vec();
    if rounds_custom {
        out.extend_from_slice(format!("rounds={rounds}$").as_bytes());
    }
    out.extend_from_slice(salt);
    out.push(b'$');
    // The spec's byte order: triples walk the digest in three interleaved
    // strides of 21, rotating which one lands in the high byte.
    for i in 0..21 {
        let (x, y, z) = match i % 3 {
            0 => (i, i + 21, i + 42),
            1 => (i + 21, i + 42, i),
            _ => (i + 42, i, i + 21),
        };
        b64_from_24bit(&mut out, a[x], a[y], a[z], 4);
    }
    b64_from_24bit(&mut out, 0, 0, a[63], 2);
    Some(out)
}

/// Whether `key` matches the stored hash `stored`. Only `$6$` hashes are
/// understood; anything else (locked `!`, `*`, empty, other schemes) never
/// matches, so an unknown scheme cannot be logged into by accident.
pub fn verify(key: &[u8], stored: &[u8]) -> bool {
    match sha512_crypt(key, stored) {
        // Compare without an early exit so timing says nothing about how
        // much of the hash matched.
        Some(h) => {
            h.len() == stored.len() && h.iter().zip(stored).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
        }
        None => false,
    }
}

/// A fresh `$6$` setting with 16 salt characters drawn from /dev/urandom.
pub fn new_setting() -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut raw = [0u8; SALT_MAX];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut raw)?;
    let mut out = b"$6$".to_vec();
    // 64 divides 256, so taking the low six bits keeps the choice uniform.
    out.extend(raw.iter().map(|&r| B64[usize::from(r & 0x3f)]));
    out.push(b'$');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vectors published with Drepper's specification.
    const VECTORS: &[(&[u8], &[u8], &[u8])] = &[
        (b"$6$saltstring", b"Hello world!", b"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
        (b"$6$rounds=10000$saltstringsaltstring", b"Hello world!", b"$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
        (b"$6$rounds=5000$toolongsaltstring", b"This is just a test", b"$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"),
        (b"$6$rounds=1400$anotherlongsaltstring", b"a very much longer text to encrypt.  This one even stretches over morethan one line.", b"$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"),
        (b"$6$rounds=77777$short", b"we have a short salt string but not a short password", b"$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"),
        (b"$6$rounds=123456$asaltof16chars..", b"a short string", b"$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"),
        (b"$6$rounds=10$roundstoolow", b"the minimum number is still observed", b"$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."),
    ];

    #[test]
    fn spec_vectors() {
        for (setting, key, want) in VECTORS {
            assert_eq!(
                String::from_utf8_lossy(&sha512_crypt(key, setting).unwrap()),
                String::from_utf8_lossy(want)
            );
            assert!(verify(key, want));
            assert!(!verify(b"wrong", want));
        }
    }

    #[test]
    fn rejects_other_schemes_and_locks() {
        assert_eq!(sha512_crypt(b"x", b"$1$abc$"), None);
        assert!(!verify(b"", b""));
        assert!(!verify(b"x", b"!$6$saltstring$svn8"));
        assert!(!verify(b"x", b"*"));
        assert_eq!(sha512_crypt(b"x", b"$6$rounds=abc$salt"), None);
    }

    #[test]
    fn new_settings_are_random_and_well_formed() {
        let a = new_setting().unwrap();
        let b = new_setting().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 3 + 16 + 1);
        assert!(a[3..19].iter().all(|c| B64.contains(c)));
        let h = sha512_crypt(b"pw", &a).unwrap();
        assert_eq!(h.len(), 3 + 16 + 1 + 86);
    }
}
