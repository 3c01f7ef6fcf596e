//! The NTP packet header (RFC 5905 section 7.3; SNTP, RFC 4330, is the
//! same 48 bytes) and its timestamps. Extension fields and MACs after the
//! header are ignored: ntpd neither sends nor checks them.

use std::time::{SystemTime, UNIX_EPOCH};

/// The header's size; shorter datagrams are not NTP.
pub const LEN: usize = 48;

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const EPOCH_DELTA: u64 = 2_208_988_800;

/// Client mode (a request).
pub const MODE_CLIENT: u8 = 3;
/// Server mode (a reply).
pub const MODE_SERVER: u8 = 4;
/// Leap indicator: the server's clock is not synchronized.
pub const LEAP_UNSYNC: u8 = 3;
/// The version ntpd sends.
pub const VERSION: u8 = 4;

/// An NTP timestamp: seconds since 1900 in the high 32 bits, the
/// fraction in the low 32 bits; wraps in 2036 (era 1 is read back by
/// [`Timestamp::to_system_time`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// `t` as an NTP timestamp (times before 1970 give 0).
    pub fn from_system_time(t: SystemTime) -> Timestamp {
        let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = d.as_secs().wrapping_add(EPOCH_DELTA) & 0xffff_ffff;
        let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
        Timestamp((secs << 32) | frac)
    }

    /// The time this stands for: seconds with the top bit set are
    /// 1968–2036 (era 0), the others 2036–2104 (era 1), as RFC 4330
    /// section 3 suggests. Only the tests read times back (ntpd itself
    /// works with differences, see [`Timestamp::minus`]).
    #[cfg(test)]
    pub fn to_system_time(self) -> SystemTime {
        let secs = self.0 >> 32;
        let secs = if secs & 0x8000_0000 != 0 {
            secs
        } else {
            secs + (1 << 32)
        };
        let nanos = ((self.0 & 0xffff_ffff) * 1_000_000_000) >> 32;
        match secs.checked_sub(EPOCH_DELTA) {
            Some(unix) => UNIX_EPOCH + std::time::Duration::new(unix, nanos as u32),
            None => UNIX_EPOCH,
        }
    }

    /// `self - earlier` in seconds; correct across the 2036 wrap for
    /// times less than 68 years apart.
    pub fn minus(self, earlier: Timestamp) -> f64 {
        (self.0.wrapping_sub(earlier.0) as i64) as f64 / 4_294_967_296.0
    }
}

/// The packet header's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Packet {
    /// Leap indicator, 0–3 (3: unsynchronized).
    pub leap: u8,
    /// Version, 0–7.
    pub version: u8,
    /// Mode, 0–7 (3 client, 4 server).
    pub mode: u8,
    /// 1 for a reference clock, 2–15 for servers down from it; 0 is a
    /// kiss-o'-death packet, 16 unsynchronized.
    pub stratum: u8,
    /// log2 of the poll interval in seconds.
    pub poll: i8,
    /// log2 of the clock's precision in seconds.
    pub precision: i8,
    /// Round-trip delay to the reference clock, 16.16 seconds.
    pub root_delay: u32,
    /// Dispersion to the reference clock, 16.16 seconds.
    pub root_dispersion: u32,
    /// The server's reference: four letters for stratum 1, the upstream's
    /// IPv4 address otherwise, the kiss code for stratum 0.
    pub reference_id: [u8; 4],
    /// When the clock was last set.
    pub reference: Timestamp,
    /// The client's transmit time, echoed by the server.
    pub origin: Timestamp,
    /// When the request arrived at the server.
    pub receive: Timestamp,
    /// When the packet left its sender.
    pub transmit: Timestamp,
}

/// Why bytes are not an NTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the 48-byte header: the length it had.
    Short(usize),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Short(n) => write!(f, "{n} bytes, shorter than an NTP header"),
        }
    }
}

impl Packet {
    /// The 48 bytes on the wire.
    pub fn encode(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[0] = (self.leap & 3) << 6 | (self.version & 7) << 3 | (self.mode & 7);
        b[1] = self.stratum;
        b[2] = self.poll as u8;
        b[3] = self.precision as u8;
        b[4..8].copy_from_slice(&self.root_delay.to_be_bytes());
        b[8..12].copy_from_slice(&self.root_dispersion.to_be_bytes());
        b[12..16].copy_from_slice(&self.reference_id);
        b[16..24].copy_from_slice(&self.reference.0.to_be_bytes());
        b[24..32].copy_from_slice(&self.origin.0.to_be_bytes());
        b[32..40].copy_from_slice(&self.receive.0.to_be_bytes());
        b[40..48].copy_from_slice(&self.transmit.0.to_be_bytes());
        b
    }

    /// Reads the header of `bytes`; whatever follows it is ignored.
    pub fn decode(bytes: &[u8]) -> Result<Packet, DecodeError> {
        let Some(b) = bytes.get(..LEN) else {
            return Err(DecodeError::Short(bytes.len()));
        };
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let ts_at = |i: usize| Timestamp(u64::from(u32_at(i)) << 32 | u64::from(u32_at(i + 4)));
        Ok(Packet {
            leap: b[0] >> 6,
            version: (b[0] >> 3) & 7,
            mode: b[0] & 7,
            stratum: b[1],
            poll: b[2] as i8,
            precision: b[3] as i8,
            root_delay: u32_at(4),
            root_dispersion: u32_at(8),
            reference_id: [b[12], b[13], b[14], b[15]],
            reference: ts_at(16),
            origin: ts_at(24),
            receive: ts_at(32),
            transmit: ts_at(40),
        })
    }
}

/// Seconds as NTP's 16.16 short format (saturating; negative is 0).
pub fn short_format(secs: f64) -> u32 {
    (secs.max(0.0) * 65536.0).min(f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::Duration;

    #[test]
    fn known_bytes() {
        // A request as `ntpdate -q` sends it: LI 0, version 4, mode 3.
        let mut raw = [0u8; LEN];
        raw[0] = 0x23;
        raw[40..48].copy_from_slice(&[0xe9, 0x8f, 0x1f, 0x80, 0x80, 0, 0, 0]);
        let p = Packet::decode(&raw).unwrap();
        assert_eq!((p.leap, p.version, p.mode), (0, 4, 3));
        assert_eq!(p.transmit.0 >> 32, 0xe98f_1f80);
        assert_eq!(p.transmit.0 & 0xffff_ffff, 0x8000_0000);
        assert_eq!(p.encode(), raw);
        assert_eq!(Packet::decode(&raw[..47]), Err(DecodeError::Short(47)));
    }

    #[test]
    fn timestamps() {
        let t = UNIX_EPOCH + Duration::new(1_000_000_000, 500_000_000);
        let ts = Timestamp::from_system_time(t);
        assert_eq!(ts.0 >> 32, 1_000_000_000 + EPOCH_DELTA);
        assert_eq!(ts.0 & 0xffff_ffff, 0x8000_0000);
        assert_eq!(ts.to_system_time(), t);
        // After the 2036 wrap (era 1).
        let late = UNIX_EPOCH + Duration::from_secs(2_200_000_000);
        let ts_late = Timestamp::from_system_time(late);
        assert!(ts_late.0 >> 32 < 0x8000_0000);
        assert_eq!(ts_late.to_system_time(), late);
        assert_eq!(ts_late.minus(ts), 1_200_000_000.0 - 0.5);
        assert_eq!(ts.minus(ts_late), -(1_200_000_000.0 - 0.5));
        assert_eq!(short_format(1.5), 0x18000);
        assert_eq!(short_format(-1.0), 0);
        assert_eq!(short_format(1e12), u32::MAX);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_decode_and_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            match Packet::decode(&bytes) {
                Ok(p) => {
                    prop_assert!(bytes.len() >= LEN);
                    prop_assert_eq!(&p.encode()[..], &bytes[..LEN]);
                    let _ = p.transmit.to_system_time();
                    let _ = p.receive.minus(p.origin);
                }
                Err(DecodeError::Short(n)) => prop_assert!(n < LEN && n == bytes.len()),
            }
        }

        #[test]
        fn packets_round_trip(leap in 0u8..4, version in 0u8..8, mode in 0u8..8,
                              stratum: u8, poll: i8, precision: i8, root_delay: u32,
                              root_dispersion: u32, reference_id: [u8; 4],
                              times: [u64; 4]) {
            let p = Packet {
                leap, version, mode, stratum, poll, precision, root_delay, root_dispersion,
                reference_id,
                reference: Timestamp(times[0]),
                origin: Timestamp(times[1]),
                receive: Timestamp(times[2]),
                transmit: Timestamp(times[3]),
            };
            prop_assert_eq!(Packet::decode(&p.encode()), Ok(p));
        }
    }
}
