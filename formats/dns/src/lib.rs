//! DNS messages as RFC 1035 lays them out: a header, questions and three
//! sections of resource records.
//!
//! [`Message::parse`] reads untrusted bytes and never panics: every length
//! is checked, and compression pointers may only point backwards, so a
//! message cannot make a name loop or grow without bound. [`Message::encode`]
//! compresses names as it writes them. Record types this crate knows (A,
//! AAAA, CNAME, PTR, NS, MX, TXT, SOA, SRV) are read into [`RData`]'s typed
//! forms; every other type, EDNS0's OPT included, is kept as raw bytes and
//! written back unchanged.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod message;
mod name;
mod rdata;
mod wire;

pub use error::Error;
pub use message::{Header, Message, Question, Record};
pub use name::{Name, MAX_NAME_LEN};
pub use rdata::RData;

/// Record type numbers this crate gives names to (RFC 1035, 3596, 2782, 6891).
pub mod rtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Authoritative name server.
    pub const NS: u16 = 2;
    /// Canonical name (alias).
    pub const CNAME: u16 = 5;
    /// Start of a zone of authority.
    pub const SOA: u16 = 6;
    /// Domain name pointer (reverse lookups).
    pub const PTR: u16 = 12;
    /// Mail exchange.
    pub const MX: u16 = 15;
    /// Text strings.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service location.
    pub const SRV: u16 = 33;
    /// EDNS0 pseudo-record.
    pub const OPT: u16 = 41;
    /// Every record (a query type only).
    pub const ANY: u16 = 255;

    /// The mnemonic for `t` ("A", "MX"), or None for types without one here.
    pub fn name(t: u16) -> Option<&'static str> {
        Some(match t {
            A => "A",
            NS => "NS",
            CNAME => "CNAME",
            SOA => "SOA",
            PTR => "PTR",
            MX => "MX",
            TXT => "TXT",
            AAAA => "AAAA",
            SRV => "SRV",
            OPT => "OPT",
            ANY => "ANY",
            _ => return None,
        })
    }

    /// The type number for a mnemonic, in any case.
    pub fn from_name(s: &str) -> Option<u16> {
        [A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, ANY]
            .into_iter()
            .find(|&t| name(t).is_some_and(|n| n.eq_ignore_ascii_case(s)))
    }
}

/// Response codes (RFC 1035 4.1.1).
pub mod rcode {
    /// No error.
    pub const NOERROR: u8 = 0;
    /// The server could not interpret the query.
    pub const FORMERR: u8 = 1;
    /// The server failed.
    pub const SERVFAIL: u8 = 2;
    /// The name does not exist.
    pub const NXDOMAIN: u8 = 3;
    /// The kind of query is not implemented.
    pub const NOTIMP: u8 = 4;
    /// The server refuses to answer.
    pub const REFUSED: u8 = 5;
}

/// The Internet class, the only one in use.
pub const CLASS_IN: u16 = 1;
