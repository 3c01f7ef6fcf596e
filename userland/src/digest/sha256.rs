//! SHA-256 (FIPS 180-4).

use super::{words_out, Blocks, Engine, Md};

/// The first 32 bits of the fractional parts of the cube roots of the
/// first 64 primes.
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256's chaining state.
pub struct State([u32; 8]);

/// A running SHA-256 digest.
pub type Sha256 = Md<State, 64>;

impl Engine<64> for State {
    const INIT: State = State([
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ]);
    const LEN_BYTES: usize = 8;
    const LITTLE: bool = false;
    type Output = [u8; 32];

    /// The padding's blocks; [`Engine::absorb`] does the bulk.
    fn compress(&mut self, block: &[u8; 64]) {
        compressor()(&mut self.0, block);
    }

    /// Picks the compression function once for all of `data`'s blocks.
    fn absorb(&mut self, blocks: &mut Blocks<64>, data: &[u8]) {
        let state = &mut self.0;
        let compress = compressor();
        blocks.update(data, |b| compress(state, b));
    }

    fn output(&self) -> [u8; 32] {
        words_out(&self.0, false)
    }
}

/// SHA-256 of `data` in one call.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data)
}

/// The fastest compression function this processor runs: its SHA
/// instructions where it has them (x86-64 SHA extensions, about four times
/// faster), else portable code.
fn compressor() -> fn(&mut [u32; 8], &[u8; 64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("sha") && std::arch::is_x86_feature_detected!("sse4.1") {
        return |state, block| {
            // SAFETY: the processor has the features `compress_ni` is
            // compiled for (checked just above).
            unsafe { ni::compress(state, block) }
        };
    }
    compress
}

/// One round with the working variables named in their current roles:
/// `d` and `h` get the new values, and the caller rotates the names
/// instead of moving eight values each round.
macro_rules! round {
    ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident, $k:expr, $w:expr) => {
        let s1 = $e.rotate_right(6) ^ $e.rotate_right(11) ^ $e.rotate_right(25);
        let ch = $g ^ ($e & ($f ^ $g));
        let t1 = $h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add($k)
            .wrapping_add($w);
        let s0 = $a.rotate_right(2) ^ $a.rotate_right(13) ^ $a.rotate_right(22);
        let maj = ($a & $b) | ($c & ($a | $b));
        $d = $d.wrapping_add(t1);
        $h = t1.wrapping_add(s0).wrapping_add(maj);
    };
}

/// One 64-byte block. The rounds are unrolled eight at a time: the device
/// build optimises for size and would otherwise shuffle all eight
/// variables every round.
fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    let mut w = [0u32; 64];
    for (w, c) in w.iter_mut().zip(block.chunks_exact(4)) {
        *w = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    for i in 16..64 {
        let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
        let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16]
            .wrapping_add(s0)
            .wrapping_add(w[i - 7])
            .wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (k, w) in K.chunks_exact(8).zip(w.chunks_exact(8)) {
        round!(a, b, c, d, e, f, g, h, k[0], w[0]);
        round!(h, a, b, c, d, e, f, g, k[1], w[1]);
        round!(g, h, a, b, c, d, e, f, k[2], w[2]);
        round!(f, g, h, a, b, c, d, e, k[3], w[3]);
        round!(e, f, g, h, a, b, c, d, k[4], w[4]);
        round!(d, e, f, g, h, a, b, c, k[5], w[5]);
        round!(c, d, e, f, g, h, a, b, k[6], w[6]);
        round!(b, c, d, e, f, g, h, a, k[7], w[7]);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}

/// SHA-256 with the x86-64 SHA extensions, after Intel's reference code
/// (as in the `sha2` crate): the state lives in two vectors, ABEF and
/// CDGH, and each `sha256rnds2` does two rounds.
#[cfg(target_arch = "x86_64")]
mod ni {
    use super::K;
    use std::arch::x86_64::*;

    /// Four words as one vector, `w[0]` in lane 0. (Macros rather than
    /// functions, and no closures: the size-optimised build would not
    /// inline them, and vectors would go through memory at each call.)
    macro_rules! vector {
        ($w:expr) => {{
            let w: [u32; 4] = $w;
            _mm_set_epi32(w[3] as i32, w[2] as i32, w[1] as i32, w[0] as i32)
        }};
    }

    /// Four big-endian words of `block` from byte `at`.
    macro_rules! words {
        ($block:expr, $at:expr) => {{
            let mut w = [0u32; 4];
            for (w, c) in w.iter_mut().zip($block[$at..$at + 16].chunks_exact(4)) {
                *w = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
            }
            vector!(w)
        }};
    }

    /// Compresses one block.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
        let dcba = vector!([state[0], state[1], state[2], state[3]]);
        let efgh = vector!([state[4], state[5], state[6], state[7]]);
        let cdab = _mm_shuffle_epi32::<0xB1>(dcba);
        let efgh = _mm_shuffle_epi32::<0x1B>(efgh);
        let mut abef = _mm_alignr_epi8::<8>(cdab, efgh);
        let mut cdgh = _mm_blend_epi16::<0xF0>(efgh, cdab);
        let (abef_save, cdgh_save) = (abef, cdgh);
        let mut w0 = words!(block, 0);
        let mut w1 = words!(block, 16);
        let mut w2 = words!(block, 32);
        let mut w3 = words!(block, 48);
        for (i, k) in K.chunks_exact(4).enumerate() {
            // w3 becomes the next four words: the block's, then words
            // computed from the previous sixteen.
            if i >= 4 {
                let t1 = _mm_sha256msg1_epu32(w0, w1);
                let t2 = _mm_alignr_epi8::<4>(w3, w2);
                let next = _mm_sha256msg2_epu32(_mm_add_epi32(t1, t2), w3);
                (w0, w1, w2, w3) = (w1, w2, w3, next);
            } else {
                (w0, w1, w2, w3) = (w1, w2, w3, w0);
            }
            let t1 = _mm_add_epi32(w3, vector!([k[0], k[1], k[2], k[3]]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, t1);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32::<0x0E>(t1));
        }
        abef = _mm_add_epi32(abef, abef_save);
        cdgh = _mm_add_epi32(cdgh, cdgh_save);
        let feba = _mm_shuffle_epi32::<0x1B>(abef);
        let dchg = _mm_shuffle_epi32::<0xB1>(cdgh);
        let dcba = _mm_blend_epi16::<0xF0>(feba, dchg);
        let hgef = _mm_alignr_epi8::<8>(dchg, feba);
        let out = [
            _mm_extract_epi32::<0>(dcba),
            _mm_extract_epi32::<1>(dcba),
            _mm_extract_epi32::<2>(dcba),
            _mm_extract_epi32::<3>(dcba),
            _mm_extract_epi32::<0>(hgef),
            _mm_extract_epi32::<1>(hgef),
            _mm_extract_epi32::<2>(hgef),
            _mm_extract_epi32::<3>(hgef),
        ];
        for (s, v) in state.iter_mut().zip(out) {
            *s = v as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::hex;

    /// FIPS 180 examples, plus the million-`a` message.
    #[test]
    fn fips_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&sha256(&vec![b'a'; 1_000_000])),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    /// The portable compression function and the processor's (where it
    /// has one) agree.
    #[test]
    fn both_compressors_agree() {
        let mut block = [0u8; 64];
        let mut a = State::INIT.0;
        for round in 0..200u32 {
            for (i, b) in block.iter_mut().enumerate() {
                *b = (round as usize * 31 + i * 7) as u8;
            }
            let mut b = a;
            compress(&mut a, &block);
            compressor()(&mut b, &block);
            assert_eq!(a, b);
        }
    }
}
