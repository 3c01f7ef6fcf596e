//! Record data: typed for the record types a resolver and its tools use,
//! raw bytes for every other.

use crate::name::{Compressor, Name};
use crate::rtype;
use crate::wire::Reader;
use crate::Error;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The data of one resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// The canonical name of an alias.
    Cname(Name),
    /// The name an address maps back to.
    Ptr(Name),
    /// A name server for the zone.
    Ns(Name),
    /// A mail exchange and its preference (lower first).
    Mx {
        /// Preference among the zone's exchanges.
        preference: u16,
        /// The exchange's host name.
        exchange: Name,
    },
    /// Character strings, each at most 255 bytes.
    Txt(Vec<Vec<u8>>),
    /// Start of authority: the zone's parameters, whose `minimum` bounds
    /// negative caching (RFC 2308).
    Soa {
        /// Primary name server.
        mname: Name,
        /// Responsible mailbox, its `@` as the first dot.
        rname: Name,
        /// Zone serial number.
        serial: u32,
        /// Seconds between secondary refreshes.
        refresh: u32,
        /// Seconds between retries of a failed refresh.
        retry: u32,
        /// Seconds until a secondary stops answering.
        expire: u32,
        /// TTL of negative answers.
        minimum: u32,
    },
    /// A service's host and port.
    Srv {
        /// Order of use (lower first).
        priority: u16,
        /// Share among equal priorities.
        weight: u16,
        /// Port the service listens on.
        port: u16,
        /// Host name of the service.
        target: Name,
    },
    /// Data of a type not read here (OPT included), kept as it came.
    Raw(Vec<u8>),
}

impl RData {
    /// Reads `len` bytes of data of type `rtype` at the reader's position.
    /// Names inside may point anywhere earlier in the message; the data must
    /// use exactly `len` bytes.
    pub(crate) fn parse(r: &mut Reader<'_>, rtype: u16, len: usize) -> Result<RData, Error> {
        let end = r.pos.checked_add(len).ok_or(Error::Truncated("rdata"))?;
        if end > r.buf.len() {
            return Err(Error::Truncated("rdata"));
        }
        // Names and fields must stay inside the data: read from a view that
        // ends there, with the whole message before it for pointers.
        let mut sub = Reader {
            buf: &r.buf[..end],
            pos: r.pos,
        };
        let bad = |_| Error::BadRdata(rtype);
        let data = match rtype {
            rtype::A => {
                let b = sub.take(4, "A").map_err(bad)?;
                RData::A(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
            }
            rtype::AAAA => {
                let b = sub.take(16, "AAAA").map_err(bad)?;
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                RData::Aaaa(Ipv6Addr::from(a))
            }
            rtype::CNAME => RData::Cname(Name::parse(&mut sub)?),
            rtype::PTR => RData::Ptr(Name::parse(&mut sub)?),
            rtype::NS => RData::Ns(Name::parse(&mut sub)?),
            rtype::MX => RData::Mx {
                preference: sub.u16("MX").map_err(bad)?,
                exchange: Name::parse(&mut sub)?,
            },
            rtype::TXT => {
                let mut strings = Vec::new();
                while sub.pos < end {
                    let n = usize::from(sub.u8("TXT")?);
                    strings.push(sub.take(n, "TXT").map_err(bad)?.to_vec());
                }
                RData::Txt(strings)
            }
            rtype::SOA => RData::Soa {
                mname: Name::parse(&mut sub)?,
                rname: Name::parse(&mut sub)?,
                serial: sub.u32("SOA").map_err(bad)?,
                refresh: sub.u32("SOA").map_err(bad)?,
                retry: sub.u32("SOA").map_err(bad)?,
                expire: sub.u32("SOA").map_err(bad)?,
                minimum: sub.u32("SOA").map_err(bad)?,
            },
            rtype::SRV => RData::Srv {
                priority: sub.u16("SRV").map_err(bad)?,
                weight: sub.u16("SRV").map_err(bad)?,
                port: sub.u16("SRV").map_err(bad)?,
                target: Name::parse(&mut sub)?,
            },
            _ => RData::Raw(sub.take(len, "rdata")?.to_vec()),
        };
        if sub.pos != end {
            return Err(Error::BadRdata(rtype));
        }
        r.pos = end;
        Ok(data)
    }

    /// Appends the data (without its length) to `out`. Names in the types
    /// RFC 1035 defines are compressed; SRV's target is not (RFC 2782).
    pub(crate) fn encode(&self, out: &mut Vec<u8>, comp: &mut Compressor) -> Result<(), Error> {
        match self {
            RData::A(a) => out.extend_from_slice(&a.octets()),
            RData::Aaaa(a) => out.extend_from_slice(&a.octets()),
            RData::Cname(n) | RData::Ptr(n) | RData::Ns(n) => n.encode(out, Some(comp)),
            RData::Mx {
                preference,
                exchange,
            } => {
                out.extend_from_slice(&preference.to_be_bytes());
                exchange.encode(out, Some(comp));
            }
            RData::Txt(strings) => {
                for s in strings {
                    let n = u8::try_from(s.len()).map_err(|_| Error::BadRdata(rtype::TXT))?;
                    out.push(n);
                    out.extend_from_slice(s);
                }
            }
            RData::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => {
                mname.encode(out, Some(comp));
                rname.encode(out, Some(comp));
                for v in [serial, refresh, retry, expire, minimum] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
            }
            RData::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                for v in [priority, weight, port] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
                target.encode(out, None);
            }
            RData::Raw(b) => out.extend_from_slice(b),
        }
        Ok(())
    }

    /// The record type this data belongs to, when the data says (None for
    /// raw data, whose type only the record knows).
    pub fn rtype(&self) -> Option<u16> {
        Some(match self {
            RData::A(_) => rtype::A,
            RData::Aaaa(_) => rtype::AAAA,
            RData::Cname(_) => rtype::CNAME,
            RData::Ptr(_) => rtype::PTR,
            RData::Ns(_) => rtype::NS,
            RData::Mx { .. } => rtype::MX,
            RData::Txt(_) => rtype::TXT,
            RData::Soa { .. } => rtype::SOA,
            RData::Srv { .. } => rtype::SRV,
            RData::Raw(_) => return None,
        })
    }
}
