//! The two records on the medium, and committing one so that a crash at
//! any moment leaves the previous one in force.
//!
//! The medium is split into two equal halves (each a whole number of
//! 512-byte sectors). Each half holds at most one record: a 64-byte header
//! at its start, the payload right after it. Header, little endian:
//!
//! | offset | size | field                                        |
//! |--------|------|----------------------------------------------|
//! | 0      | 4    | magic `IBXL`                                 |
//! | 4      | 2    | format version ([`VERSION`])                 |
//! | 6      | 2    | zero                                         |
//! | 8      | 8    | sequence number (the commit's number)        |
//! | 16     | 8    | payload length                               |
//! | 24     | 4    | CRC32 of the payload                         |
//! | 28     | 32   | zero                                         |
//! | 60     | 4    | CRC32 of bytes 0..60                         |
//!
//! A record is valid when both CRCs match, the version is known and the
//! payload fits in its half; the valid one with the highest sequence number
//! is in force. A commit writes into the other half: payload, sync, header,
//! sync. Until the header is on the medium that half holds no valid record
//! (its old header, if any, was for a different payload), so the record in
//! force does not change until the new one is whole.

use crate::medium::Medium;
use crate::Error;

/// The header's first bytes.
pub const MAGIC: [u8; 4] = *b"IBXL";
/// The record format this code writes and reads.
pub const VERSION: u16 = 1;
/// Header size in bytes.
pub const HEADER_LEN: usize = 64;
/// Largest payload read, whatever the medium's size: bounds the memory an
/// untrusted length can make a reader allocate.
pub const MAX_PAYLOAD: u64 = 64 << 20;
/// Environment variable for tests: when set, a commit stops for good after
/// writing the payload and before the header, as if killed there.
pub const HOLD_ENV: &str = "IBEX_LBU_HOLD_AFTER_PAYLOAD";
/// What a held commit prints on standard error before it stops.
pub const HOLD_MARKER: &str = "lbu: holding after payload";

/// A record's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The commit's number; the highest valid one is in force.
    pub seq: u64,
    /// Payload length in bytes.
    pub len: u64,
    /// CRC32 of the payload.
    pub crc: u32,
}

impl Header {
    /// The header's 64 bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&MAGIC);
        b[4..6].copy_from_slice(&VERSION.to_le_bytes());
        b[8..16].copy_from_slice(&self.seq.to_le_bytes());
        b[16..24].copy_from_slice(&self.len.to_le_bytes());
        b[24..28].copy_from_slice(&self.crc.to_le_bytes());
        let crc = crc32fast::hash(&b[..60]);
        b[60..64].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Parses a header, checking magic, version, zero fields and its CRC.
    pub fn decode(b: &[u8; HEADER_LEN]) -> Result<Header, Invalid> {
        if b.iter().all(|&x| x == 0) {
            return Err(Invalid::Empty);
        }
        if b[0..4] != MAGIC {
            return Err(Invalid::Corrupt("bad magic".into()));
        }
        if crc32fast::hash(&b[..60]) != u32::from_le_bytes([b[60], b[61], b[62], b[63]]) {
            return Err(Invalid::Corrupt("header checksum mismatch".into()));
        }
        let version = u16::from_le_bytes([b[4], b[5]]);
        if version != VERSION {
            return Err(Invalid::Corrupt(format!(
                "record format version {version}, this system reads {VERSION}"
            )));
        }
        if b[6..8].iter().chain(&b[28..60]).any(|&x| x != 0) {
            return Err(Invalid::Corrupt("reserved header bytes are set".into()));
        }
        let u64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[o..o + 8]);
            u64::from_le_bytes(a)
        };
        Ok(Header {
            seq: u64_at(8),
            len: u64_at(16),
            crc: u32::from_le_bytes([b[24], b[25], b[26], b[27]]),
        })
    }
}

/// Why a half holds no valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Its header is all zero: nothing was ever committed there.
    Empty,
    /// Something is there, but not a whole record; the reason.
    Corrupt(String),
}

/// What one half of the medium holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Half {
    /// A valid record.
    Valid {
        /// Its header.
        header: Header,
        /// Its payload (the compressed archive).
        payload: Vec<u8>,
    },
    /// No valid record.
    Invalid(Invalid),
}

impl Half {
    /// The sequence number of a valid record.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Half::Valid { header, .. } => Some(header.seq),
            Half::Invalid(_) => None,
        }
    }
}

/// Filesystem and volume signatures looked for on a medium that holds no
/// record: (byte offset, bytes, name). Other boards' `data` partitions hold
/// ext4 or RAID members; a commit must not write over them.
const FOREIGN: &[(u64, &[u8], &str)] = &[
    (1080, &[0x53, 0xef], "an ext2/3/4 filesystem"),
    (0, b"XFSB", "an XFS filesystem"),
    (0x10040, b"_BHRfS_M", "a btrfs filesystem"),
    (0, b"hsqs", "a squashfs filesystem"),
    (0, b"LUKS\xba\xbe", "a LUKS volume"),
    (4096, &[0xfc, 0x4e, 0x2b, 0xa9], "an md RAID member"),
    (510, &[0x55, 0xaa], "a FAT filesystem or boot sector"),
];

/// What else `m` holds when no half starts with a record's magic: the
/// name (with its article) of a filesystem or volume whose signature is there. None when some
/// half has the magic (it is lbu's) or nothing is recognised.
pub fn foreign(m: &Medium) -> Result<Option<&'static str>, Error> {
    let half = half_len(m.size());
    for start in [0, half] {
        let mut magic = [0u8; 4];
        if start + 4 <= m.size() {
            m.read_at(start, &mut magic)?;
            if magic == MAGIC {
                return Ok(None);
            }
        }
    }
    for &(offset, sig, name) in FOREIGN {
        let end = offset + sig.len() as u64;
        if end > m.size() {
            continue;
        }
        let mut buf = vec![0u8; sig.len()];
        m.read_at(offset, &mut buf)?;
        if buf == sig {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// Size of each half of a medium of `size` bytes: half of it, rounded
/// down to whole sectors so that each half starts on a sector.
pub fn half_len(size: u64) -> u64 {
    (size / 2) & !511
}

/// Reads both halves.
pub fn read(m: &Medium) -> Result<[Half; 2], Error> {
    let half = half_len(m.size());
    if half < HEADER_LEN as u64 {
        return Err(Error::TooSmall(m.path.display().to_string(), m.size(), 0));
    }
    Ok([read_half(m, 0, half)?, read_half(m, half, half)?])
}

fn read_half(m: &Medium, start: u64, half: u64) -> Result<Half, Error> {
    let mut hb = [0u8; HEADER_LEN];
    m.read_at(start, &mut hb)?;
    let header = match Header::decode(&hb) {
        Ok(h) => h,
        Err(why) => return Ok(Half::Invalid(why)),
    };
    let room = half - HEADER_LEN as u64;
    if header.len > room || header.len > MAX_PAYLOAD {
        return Ok(Half::Invalid(Invalid::Corrupt(format!(
            "payload length {} does not fit",
            header.len
        ))));
    }
    // Bounded just above: at most MAX_PAYLOAD.
    let mut payload = vec![0u8; header.len as usize];
    m.read_at(start + HEADER_LEN as u64, &mut payload)?;
    if crc32fast::hash(&payload) != header.crc {
        return Ok(Half::Invalid(Invalid::Corrupt(
            "payload checksum mismatch (truncated or damaged)".into(),
        )));
    }
    Ok(Half::Valid { header, payload })
}

/// Forgets every saved record: the header of each half that carries lbu's
/// magic is overwritten with zeros (a half holding anything else is left
/// alone), then synced. Returns how many records were forgotten.
pub fn forget(m: &Medium) -> Result<usize, Error> {
    let half = half_len(m.size());
    if half < HEADER_LEN as u64 {
        return Ok(0);
    }
    let mut forgotten = 0;
    for start in [0, half] {
        let mut hb = [0u8; HEADER_LEN];
        m.read_at(start, &mut hb)?;
        if hb[..4] == MAGIC {
            m.write_at(start, &[0u8; HEADER_LEN])?;
            forgotten += 1;
        }
    }
    m.sync()?;
    Ok(forgotten)
}

/// The index of the half in force: the valid record with the highest
/// sequence number (the first half on a tie, which a commit never makes).
pub fn newest(halves: &[Half; 2]) -> Option<usize> {
    match (halves[0].seq(), halves[1].seq()) {
        (Some(a), Some(b)) => Some(if b > a { 1 } else { 0 }),
        (Some(_), None) => Some(0),
        (None, Some(_)) => Some(1),
        (None, None) => None,
    }
}

/// The other valid record, older than the one in force.
pub fn older(halves: &[Half; 2]) -> Option<usize> {
    let n = newest(halves)?;
    let o = 1 - n;
    halves[o].seq().map(|_| o)
}

/// Writes `payload` as the next record (sequence number one above the
/// newest valid one) into the half not in force, and returns its header.
/// Fails before writing anything if it does not fit.
pub fn commit(m: &Medium, payload: &[u8]) -> Result<Header, Error> {
    if let Some(what) = foreign(m)? {
        return Err(Error::Foreign(m.path.display().to_string(), what));
    }
    let halves = read(m)?;
    let (target, header) = plan(m, &halves, payload)?;
    let start = target as u64 * half_len(m.size());
    m.write_at(start + HEADER_LEN as u64, payload)?;
    m.sync()?;
    if std::env::var_os(HOLD_ENV).is_some() {
        eprintln!("{HOLD_MARKER}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    m.write_at(start, &header.encode())?;
    m.sync()?;
    Ok(header)
}

/// Where the next record goes and its header; writes nothing.
pub(crate) fn plan(
    m: &Medium,
    halves: &[Half; 2],
    payload: &[u8],
) -> Result<(usize, Header), Error> {
    let room = half_len(m.size()).saturating_sub(HEADER_LEN as u64);
    let len = payload.len() as u64;
    if len > room || len > MAX_PAYLOAD {
        return Err(Error::TooSmall(
            m.path.display().to_string(),
            m.size(),
            len + HEADER_LEN as u64,
        ));
    }
    let (target, seq) = match newest(halves) {
        Some(n) => (1 - n, halves[n].seq().unwrap_or(0).saturating_add(1)),
        None => (0, 1),
    };
    Ok((
        target,
        Header {
            seq,
            len,
            crc: crc32fast::hash(payload),
        },
    ))
}

/// Makes the older valid record the one in force by rewriting its header
/// with the next sequence number; its payload stays as it is. The header
/// is one write within one sector: torn, its CRC fails and the newer record
/// stays in force. Returns the record's new header, or None when there is
/// no older record.
pub fn revert(m: &Medium) -> Result<Option<Header>, Error> {
    let halves = read(m)?;
    let (Some(n), Some(o)) = (newest(&halves), older(&halves)) else {
        return Ok(None);
    };
    let Half::Valid { header, .. } = &halves[o] else {
        return Ok(None);
    };
    let header = Header {
        seq: halves[n].seq().unwrap_or(0).saturating_add(1),
        ..*header
    };
    m.write_at(o as u64 * half_len(m.size()), &header.encode())?;
    m.sync()?;
    Ok(Some(header))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    /// A zeroed file of `size` bytes standing in for a partition.
    fn medium(size: u64) -> (PathBuf, Medium) {
        let dir =
            std::env::temp_dir().join(format!("ibex-lbu-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("part");
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(size).unwrap();
        let m = Medium::open(&path, true).unwrap();
        (dir, m)
    }

    fn rand_suffix() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::Relaxed)
    }

    fn in_force(m: &Medium) -> Option<(u64, Vec<u8>)> {
        let halves = read(m).unwrap();
        let n = newest(&halves)?;
        match &halves[n] {
            Half::Valid { header, payload } => Some((header.seq, payload.clone())),
            Half::Invalid(_) => None,
        }
    }

    #[test]
    fn empty_medium_has_no_record() {
        let (dir, m) = medium(64 << 10);
        let halves = read(&m).unwrap();
        assert_eq!(halves[0], Half::Invalid(Invalid::Empty));
        assert_eq!(halves[1], Half::Invalid(Invalid::Empty));
        assert_eq!(newest(&halves), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn forget_drops_every_record_and_nothing_else() {
        let (dir, m) = medium(64 << 10);
        assert_eq!(forget(&m).unwrap(), 0);
        commit(&m, b"one").unwrap();
        commit(&m, b"two").unwrap();
        assert_eq!(forget(&m).unwrap(), 2);
        assert_eq!(in_force(&m), None);
        // Foreign data in a half is not lbu's to erase.
        m.write_at(0, b"\x7fELF not ours").unwrap();
        assert_eq!(forget(&m).unwrap(), 0);
        let mut back = [0u8; 4];
        m.read_at(0, &mut back).unwrap();
        assert_eq!(&back, b"\x7fELF");
        // Commits go on afterwards.
        assert_eq!(commit(&m, b"three").unwrap().seq, 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn commits_alternate_halves_and_count_up() {
        let (dir, m) = medium(64 << 10);
        assert_eq!(commit(&m, b"one").unwrap().seq, 1);
        assert_eq!(in_force(&m), Some((1, b"one".to_vec())));
        assert_eq!(commit(&m, b"two").unwrap().seq, 2);
        assert_eq!(commit(&m, b"three").unwrap().seq, 3);
        let halves = read(&m).unwrap();
        assert_eq!(halves[0].seq(), Some(3));
        assert_eq!(halves[1].seq(), Some(2));
        assert_eq!(in_force(&m), Some((3, b"three".to_vec())));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn interrupted_commit_keeps_the_previous_record() {
        let (dir, m) = medium(64 << 10);
        commit(&m, b"first").unwrap();
        commit(&m, b"second").unwrap();
        // A commit killed after its payload: the half it wrote (the older
        // record's) has new payload bytes under the old header.
        let halves = read(&m).unwrap();
        let (target, _) = plan(&m, &halves, b"third, longer payload").unwrap();
        let start = target as u64 * half_len(m.size());
        m.write_at(start + HEADER_LEN as u64, b"third, longer payload")
            .unwrap();
        assert_eq!(in_force(&m), Some((2, b"second".to_vec())));
        // And the next commit still goes on from there.
        assert_eq!(commit(&m, b"fourth").unwrap().seq, 3);
        assert_eq!(in_force(&m), Some((3, b"fourth".to_vec())));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn torn_header_keeps_the_previous_record() {
        let (dir, m) = medium(64 << 10);
        commit(&m, b"first").unwrap();
        let halves = read(&m).unwrap();
        let (target, header) = plan(&m, &halves, b"second").unwrap();
        let start = target as u64 * half_len(m.size());
        m.write_at(start + HEADER_LEN as u64, b"second").unwrap();
        m.write_at(start, &header.encode()[..40]).unwrap();
        assert_eq!(in_force(&m), Some((1, b"first".to_vec())));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn too_large_payload_is_refused_before_writing() {
        let (dir, m) = medium(4096);
        commit(&m, b"small").unwrap();
        let big = vec![7u8; 4096];
        assert!(matches!(commit(&m, &big), Err(Error::TooSmall(..))));
        assert_eq!(in_force(&m), Some((1, b"small".to_vec())));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn foreign_filesystems_are_not_written_over() {
        let (dir, m) = medium(256 << 10);
        m.write_at(1080, &[0x53, 0xef]).unwrap();
        assert!(matches!(
            commit(&m, b"x"),
            Err(Error::Foreign(_, "an ext2/3/4 filesystem"))
        ));
        assert_eq!(in_force(&m), None);
        // Once lbu's, the bytes of a payload are no filesystem's.
        m.write_at(1080, &[0, 0]).unwrap();
        commit(&m, b"x").unwrap();
        let mut payload = vec![0u8; 2000];
        payload[1080 - HEADER_LEN] = 0x53;
        payload[1081 - HEADER_LEN] = 0xef;
        commit(&m, &payload).unwrap();
        commit(&m, &payload).unwrap();
        assert_eq!(in_force(&m).map(|(s, _)| s), Some(3));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn revert_toggles_between_the_last_two() {
        let (dir, m) = medium(64 << 10);
        assert_eq!(revert(&m).unwrap(), None);
        commit(&m, b"one").unwrap();
        assert_eq!(revert(&m).unwrap(), None);
        commit(&m, b"two").unwrap();
        assert_eq!(revert(&m).unwrap().map(|h| h.seq), Some(3));
        assert_eq!(in_force(&m), Some((3, b"one".to_vec())));
        // A commit after a revert replaces the record reverted away from.
        commit(&m, b"five").unwrap();
        let halves = read(&m).unwrap();
        assert_eq!(halves.iter().filter_map(Half::seq).max(), Some(4));
        assert_eq!(in_force(&m), Some((4, b"five".to_vec())));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn newest_picks_the_highest_valid() {
        let v = |seq| Half::Valid {
            header: Header {
                seq,
                len: 0,
                crc: 0,
            },
            payload: Vec::new(),
        };
        let bad = || Half::Invalid(Invalid::Corrupt("x".into()));
        assert_eq!(newest(&[v(1), v(2)]), Some(1));
        assert_eq!(newest(&[v(5), v(2)]), Some(0));
        assert_eq!(newest(&[bad(), v(2)]), Some(1));
        assert_eq!(newest(&[v(9), bad()]), Some(0));
        assert_eq!(newest(&[bad(), Half::Invalid(Invalid::Empty)]), None);
        assert_eq!(older(&[v(1), v(2)]), Some(0));
        assert_eq!(older(&[v(1), bad()]), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_flipped_bit_is_detected(payload in proptest::collection::vec(any::<u8>(), 0..200), seq in 1u64..1000, bit in 0usize..(264 * 8)) {
            let header = Header { seq, len: payload.len() as u64, crc: crc32fast::hash(&payload) };
            let mut rec = header.encode().to_vec();
            rec.extend_from_slice(&payload);
            let bit = bit % (rec.len() * 8);
            rec[bit / 8] ^= 1 << (bit % 8);
            let mut hb = [0u8; HEADER_LEN];
            hb.copy_from_slice(&rec[..HEADER_LEN]);
            let ok = match Header::decode(&hb) {
                Ok(h) => h == header && crc32fast::hash(&rec[HEADER_LEN..]) == h.crc,
                Err(_) => false,
            };
            prop_assert!(!ok);
        }

        #[test]
        fn arbitrary_headers_never_panic(bytes in proptest::array::uniform32(any::<u8>()), more in proptest::array::uniform32(any::<u8>())) {
            let mut hb = [0u8; HEADER_LEN];
            hb[..32].copy_from_slice(&bytes);
            hb[32..].copy_from_slice(&more);
            let _ = Header::decode(&hb);
        }

        #[test]
        fn header_round_trip(seq in any::<u64>(), len in any::<u64>(), crc in any::<u32>()) {
            let h = Header { seq, len, crc };
            prop_assert_eq!(Header::decode(&h.encode()), Ok(h));
        }
    }
}
