//! The boot plan: everything `init` needs to know about an image, computed on
//! the host by `ibex build` and read by `init` at boot.
//!
//! No configuration is parsed on the device: the host validates the image
//! definition and writes this typed, versioned structure; the device only
//! decodes it. The byte layout is documented in `docs/formats.md`:
//!
//! ```text
//! offset size  field
//! 0      4     magic "IBXP"
//! 4      2     format version, little endian (currently 1)
//! 6      ..    postcard encoding of `BootPlan`
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

/// Where the linker puts the plan in the root filesystem and `init` reads it.
pub const PATH: &str = "/etc/ibex/boot.plan";
/// First four bytes of every plan file.
pub const MAGIC: [u8; 4] = *b"IBXP";
/// The version this code writes and the only one it reads.
pub const VERSION: u16 = 1;
/// Plans are tiny; anything larger is not a plan and is refused before decoding.
pub const MAX_LEN: usize = 1 << 20;

/// What `init` does at boot, in order.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BootPlan {
    /// Host name set with sethostname(2) before any service starts.
    pub hostname: String,
    /// Services started in this order.
    pub services: Vec<Service>,
}

/// One supervised process.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Name used in logs.
    pub name: String,
    /// Program and arguments; `argv[0]` is an absolute path inside the image.
    pub argv: Vec<String>,
    /// Terminal device (e.g. `/dev/ttyS0`) to open as the service's
    /// controlling terminal and stdio, or `None` for `/dev/console`.
    pub tty: Option<String>,
    /// What `init` does when the process exits.
    pub restart: Restart,
}

/// Restart policy of a service.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// Start it again whenever it exits (a console shell, a getty).
    Always,
    /// Run it once.
    Never,
}

/// Why a byte string is not a plan this code can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the header, or longer than [`MAX_LEN`].
    BadLength(usize),
    /// The first four bytes are not [`MAGIC`].
    BadMagic,
    /// Written by a different format version.
    UnsupportedVersion(u16),
    /// The body is not a valid postcard encoding of [`BootPlan`].
    Malformed,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadLength(n) => write!(f, "plan has impossible length {n}"),
            DecodeError::BadMagic => f.write_str("not a boot plan (bad magic)"),
            DecodeError::UnsupportedVersion(v) => {
                write!(
                    f,
                    "boot plan version {v} is not supported (expected {VERSION})"
                )
            }
            DecodeError::Malformed => f.write_str("boot plan body is malformed"),
        }
    }
}

impl BootPlan {
    /// Encodes the plan with its header.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        // Serializing owned strings and vectors into a Vec cannot fail.
        let body = postcard::to_allocvec(self).unwrap_or_default();
        out.extend_from_slice(&body);
        out
    }

    /// Decodes a plan, refusing anything that is not exactly a version-1 plan.
    pub fn decode(bytes: &[u8]) -> Result<BootPlan, DecodeError> {
        if bytes.len() < 6 || bytes.len() > MAX_LEN {
            return Err(DecodeError::BadLength(bytes.len()));
        }
        if bytes[..4] != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        match postcard::take_from_bytes::<BootPlan>(&bytes[6..]) {
            Ok((plan, [])) => Ok(plan),
            _ => Err(DecodeError::Malformed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use proptest::prelude::*;

    fn sample() -> BootPlan {
        BootPlan {
            hostname: "ibex".to_string(),
            services: vec![Service {
                name: "console".to_string(),
                argv: vec!["/bin/sh".to_string()],
                tty: Some("/dev/ttyS0".to_string()),
                restart: Restart::Always,
            }],
        }
    }

    #[test]
    fn round_trip() {
        let plan = sample();
        assert_eq!(BootPlan::decode(&plan.encode()), Ok(plan));
    }

    #[test]
    fn refuses_wrong_header_and_trailing_bytes() {
        let mut bytes = sample().encode();
        bytes[0] = b'X';
        assert_eq!(BootPlan::decode(&bytes), Err(DecodeError::BadMagic));
        let mut bytes = sample().encode();
        bytes[4] = 2;
        assert_eq!(
            BootPlan::decode(&bytes),
            Err(DecodeError::UnsupportedVersion(2))
        );
        let mut bytes = sample().encode();
        bytes.push(0);
        assert_eq!(BootPlan::decode(&bytes), Err(DecodeError::Malformed));
        assert_eq!(BootPlan::decode(b"IBX"), Err(DecodeError::BadLength(3)));
    }

    fn arb_service() -> impl Strategy<Value = Service> {
        (
            ".{0,12}",
            proptest::collection::vec(".{0,12}", 0..4),
            proptest::option::of(".{0,12}"),
            any::<bool>(),
        )
            .prop_map(|(name, argv, tty, always)| Service {
                name,
                argv,
                tty,
                restart: if always {
                    Restart::Always
                } else {
                    Restart::Never
                },
            })
    }

    proptest! {
        #[test]
        fn any_plan_round_trips(hostname in ".{0,20}", services in proptest::collection::vec(arb_service(), 0..5)) {
            let plan = BootPlan { hostname, services };
            prop_assert_eq!(BootPlan::decode(&plan.encode()), Ok(plan));
        }

        #[test]
        fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&VERSION.to_le_bytes());
            bytes.extend_from_slice(&body);
            let _ = BootPlan::decode(&bytes);
            let _ = BootPlan::decode(&body);
        }
    }
}
