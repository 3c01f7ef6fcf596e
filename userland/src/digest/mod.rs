//! Message digests written by hand: MD5 (RFC 1321), SHA-1 (FIPS 180-4),
//! SHA-256 and SHA-512. The `*sum` applets use them through [`Hasher`];
//! [`sha512`] is also a plain function for crypt(3)-style password hashing.

// The one-call functions and `Algorithm::len` users beyond the *sum
// applets (login's crypt) are still to come.
#![allow(dead_code)]

pub mod md5;
pub mod sha1;
pub mod sha256;
pub mod sha512;

#[allow(unused_imports)]
pub use sha512::sha512;

/// The algorithms the `*sum` applets offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// MD5, 16-byte digest.
    Md5,
    /// SHA-1, 20-byte digest.
    Sha1,
    /// SHA-256, 32-byte digest.
    Sha256,
    /// SHA-512, 64-byte digest.
    Sha512,
}

impl Algorithm {
    /// Length of the digest in bytes.
    pub fn len(self) -> usize {
        match self {
            Algorithm::Md5 => 16,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// A fresh hashing state for this algorithm.
    pub fn hasher(self) -> Hasher {
        match self {
            Algorithm::Md5 => Hasher::Md5(md5::Md5::new()),
            Algorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Algorithm::Sha256 => Hasher::Sha256(sha256::Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha512::Sha512::new()),
        }
    }
}

/// A running digest of one of the [`Algorithm`]s.
pub enum Hasher {
    /// MD5 state.
    Md5(md5::Md5),
    /// SHA-1 state.
    Sha1(sha1::Sha1),
    /// SHA-256 state.
    Sha256(sha256::Sha256),
    /// SHA-512 state.
    Sha512(sha512::Sha512),
}

impl Hasher {
    /// Feeds `data` into the digest.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    /// Finishes the digest and returns its bytes.
    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Md5(h) => h.finish().to_vec(),
            Hasher::Sha1(h) => h.finish().to_vec(),
            Hasher::Sha256(h) => h.finish().to_vec(),
            Hasher::Sha512(h) => h.finish().to_vec(),
        }
    }
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// One algorithm's chaining state and compression function: what [`Md`]
/// needs to be MD5, SHA-1, SHA-256 or SHA-512.
pub trait Engine<const N: usize>: Sized {
    /// The initial state.
    const INIT: Self;
    /// Bytes of the message length at the end of the padding.
    const LEN_BYTES: usize;
    /// Whether the length (and the digest) is little-endian (MD5) rather
    /// than big-endian.
    const LITTLE: bool;
    /// The finished digest.
    type Output;

    /// Compresses one block into the state.
    fn compress(&mut self, block: &[u8; N]);

    /// Feeds `data` through `blocks`, compressing every whole block.
    fn absorb(&mut self, blocks: &mut Blocks<N>, data: &[u8]) {
        blocks.update(data, |b| self.compress(b));
    }

    /// The digest of the final state.
    fn output(&self) -> Self::Output;
}

/// A running Merkle–Damgård digest: an [`Engine`]'s state and the input
/// not yet in a whole `N`-byte block.
pub struct Md<E, const N: usize> {
    state: E,
    blocks: Blocks<N>,
}

impl<E: Engine<N>, const N: usize> Default for Md<E, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Engine<N>, const N: usize> Md<E, N> {
    /// The initial state.
    pub fn new() -> Self {
        Md {
            state: E::INIT,
            blocks: Blocks::new(),
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.state.absorb(&mut self.blocks, data);
    }

    /// Pads the message and returns the digest.
    pub fn finish(mut self) -> E::Output {
        let state = &mut self.state;
        self.blocks
            .pad(E::LEN_BYTES, E::LITTLE, |b| state.compress(b));
        self.state.output()
    }

    /// The digest of `data` in one call.
    pub fn digest(data: &[u8]) -> E::Output {
        let mut h = Self::new();
        h.update(data);
        h.finish()
    }
}

/// A state word of a digest.
pub trait Word: Copy {
    /// Writes the word into `out` (its size), little-endian if `little`.
    fn put(self, out: &mut [u8], little: bool);
}

macro_rules! word {
    ($t:ty) => {
        impl Word for $t {
            fn put(self, out: &mut [u8], little: bool) {
                let bytes = if little {
                    self.to_le_bytes()
                } else {
                    self.to_be_bytes()
                };
                out.copy_from_slice(&bytes);
            }
        }
    };
}
word!(u32);
word!(u64);

/// The `OUT`-byte digest made of the state `words`, each big-endian (or
/// little-endian if `little`).
pub fn words_out<W: Word, const OUT: usize>(words: &[W], little: bool) -> [u8; OUT] {
    let mut out = [0; OUT];
    for (o, &w) in out.chunks_exact_mut(OUT / words.len()).zip(words) {
        w.put(o, little);
    }
    out
}

/// Buffers input into `N`-byte blocks for a compression function, and
/// counts the total length for the final padding.
pub struct Blocks<const N: usize> {
    buf: [u8; N],
    used: usize,
    /// Total bytes fed so far.
    pub total: u128,
}

impl<const N: usize> Blocks<N> {
    /// An empty buffer.
    pub fn new() -> Self {
        Blocks {
            buf: [0; N],
            used: 0,
            total: 0,
        }
    }

    /// Feeds `data`, calling `compress` on every complete block. Whole
    /// blocks are taken straight from `data` without copying.
    pub fn update(&mut self, mut data: &[u8], mut compress: impl FnMut(&[u8; N])) {
        self.total += data.len() as u128;
        if self.used > 0 {
            let take = (N - self.used).min(data.len());
            self.buf[self.used..self.used + take].copy_from_slice(&data[..take]);
            self.used += take;
            data = &data[take..];
            if self.used < N {
                return;
            }
            compress(&self.buf);
            self.used = 0;
        }
        let mut chunks = data.chunks_exact(N);
        for block in &mut chunks {
            if let Ok(block) = block.try_into() {
                compress(block);
            }
        }
        let rest = chunks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.used = rest.len();
    }

    /// Appends the Merkle–Damgård padding: 0x80, zeros, and the bit length
    /// in `len_bytes` bytes (big-endian unless `little`).
    pub fn pad(&mut self, len_bytes: usize, little: bool, mut compress: impl FnMut(&[u8; N])) {
        let bits = self.total.wrapping_mul(8);
        self.buf[self.used] = 0x80;
        self.used += 1;
        if self.used > N - len_bytes {
            self.buf[self.used..].fill(0);
            compress(&self.buf);
            self.used = 0;
        }
        self.buf[self.used..N - len_bytes].fill(0);
        let len = if little {
            bits.to_le_bytes()
        } else {
            bits.to_be_bytes()
        };
        if little {
            self.buf[N - len_bytes..].copy_from_slice(&len[..len_bytes]);
        } else {
            self.buf[N - len_bytes..].copy_from_slice(&len[16 - len_bytes..]);
        }
        compress(&self.buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(a: Algorithm, data: &[u8]) -> String {
        let mut h = a.hasher();
        h.update(data);
        hex(&h.finish())
    }

    /// Feeding in odd pieces gives the same digest as all at once.
    #[test]
    fn piecewise_updates() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        for a in [
            Algorithm::Md5,
            Algorithm::Sha1,
            Algorithm::Sha256,
            Algorithm::Sha512,
        ] {
            let mut h = a.hasher();
            for piece in data.chunks(37) {
                h.update(piece);
            }
            assert_eq!(hex(&h.finish()), digest(a, &data));
            assert_eq!(digest(a, b"").len(), a.len() * 2);
        }
    }
}
