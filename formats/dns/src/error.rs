//! Why a message could not be read or written.

use std::fmt;

/// Every way [`crate::Message::parse`] and [`crate::Message::encode`] fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The message ends in the middle of the named part.
    Truncated(&'static str),
    /// A compression pointer points at or after itself: following it could
    /// loop, so it is refused.
    PointerLoop,
    /// A name is longer than 255 bytes in wire form.
    NameTooLong,
    /// A label is longer than 63 bytes, or uses the reserved 0x40/0x80 forms.
    BadLabel,
    /// A record's data does not fit its type (an A record of 3 bytes).
    BadRdata(u16),
    /// A section holds more than 65535 entries, or a record's data more than
    /// 65535 bytes: the header and length fields cannot say so.
    TooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated(what) => write!(f, "message truncated in {what}"),
            Error::PointerLoop => f.write_str("compression pointer does not point backwards"),
            Error::NameTooLong => f.write_str("name longer than 255 bytes"),
            Error::BadLabel => f.write_str("bad label"),
            Error::BadRdata(t) => write!(f, "bad data for record type {t}"),
            Error::TooLarge => f.write_str("too many records or too much data"),
        }
    }
}

impl std::error::Error for Error {}
