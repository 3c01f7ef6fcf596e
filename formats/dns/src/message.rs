//! The message: header, questions and the answer, authority and additional
//! sections.

use crate::name::{Compressor, Name};
use crate::rdata::RData;
use crate::wire::Reader;
use crate::{rtype, Error};

/// The fixed 12-byte header, its flag bits spelled out. The section counts
/// are not kept: they come from the sections themselves when encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Transaction id, copied from query to response.
    pub id: u16,
    /// Set in responses.
    pub qr: bool,
    /// Kind of query (0 = standard); 4 bits.
    pub opcode: u8,
    /// Authoritative answer.
    pub aa: bool,
    /// Truncated: the answer did not fit and should be asked for over TCP.
    pub tc: bool,
    /// Recursion desired.
    pub rd: bool,
    /// Recursion available.
    pub ra: bool,
    /// The Z, AD and CD bits as they came (bits 6..4 of the flags), kept so
    /// that DNSSEC's AD and CD pass through.
    pub z: u8,
    /// Response code (the low 4 bits; EDNS0 extends it in the OPT record).
    pub rcode: u8,
}

impl Header {
    /// The flags word.
    fn flags(&self) -> u16 {
        u16::from(self.qr) << 15
            | u16::from(self.opcode & 0xf) << 11
            | u16::from(self.aa) << 10
            | u16::from(self.tc) << 9
            | u16::from(self.rd) << 8
            | u16::from(self.ra) << 7
            | u16::from(self.z & 0x7) << 4
            | u16::from(self.rcode & 0xf)
    }

    /// A header from its id and flags word.
    fn from_flags(id: u16, f: u16) -> Header {
        Header {
            id,
            qr: f & 0x8000 != 0,
            opcode: (f >> 11 & 0xf) as u8,
            aa: f & 0x0400 != 0,
            tc: f & 0x0200 != 0,
            rd: f & 0x0100 != 0,
            ra: f & 0x0080 != 0,
            z: (f >> 4 & 0x7) as u8,
            rcode: (f & 0xf) as u8,
        }
    }
}

/// One question: a name, a type and a class.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    /// The name asked about.
    pub name: Name,
    /// The record type asked for.
    pub qtype: u16,
    /// The class (1 = IN).
    pub qclass: u16,
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The owner name.
    pub name: Name,
    /// The record type; it decides how `data` is read.
    pub rtype: u16,
    /// The class; OPT uses it for the sender's UDP payload size.
    pub class: u16,
    /// Seconds the record may be cached; OPT uses it for the extended rcode
    /// and flags.
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

/// A whole DNS message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The header.
    pub header: Header,
    /// The question section (one entry in practice).
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section (SOA of negative answers, NS referrals).
    pub authorities: Vec<Record>,
    /// The additional section (glue, EDNS0's OPT).
    pub additionals: Vec<Record>,
}

impl Message {
    /// Reads a message. Bytes after the last record are ignored, as
    /// resolvers do. Never panics, whatever `buf` holds.
    pub fn parse(buf: &[u8]) -> Result<Message, Error> {
        let mut r = Reader::new(buf);
        let id = r.u16("header")?;
        let flags = r.u16("header")?;
        let counts = [
            r.u16("header")?,
            r.u16("header")?,
            r.u16("header")?,
            r.u16("header")?,
        ];
        let mut msg = Message {
            header: Header::from_flags(id, flags),
            ..Message::default()
        };
        // Counts come from the sender: entries are read one by one, so a
        // large count in a short message fails at the end of the bytes
        // instead of reserving memory for it.
        for _ in 0..counts[0] {
            let name = Name::parse(&mut r)?;
            msg.questions.push(Question {
                name,
                qtype: r.u16("question")?,
                qclass: r.u16("question")?,
            });
        }
        for (count, section) in [
            (counts[1], &mut msg.answers),
            (counts[2], &mut msg.authorities),
            (counts[3], &mut msg.additionals),
        ] {
            for _ in 0..count {
                section.push(Record::parse(&mut r)?);
            }
        }
        Ok(msg)
    }

    /// Writes the message with names compressed.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(512);
        let mut comp = Compressor::default();
        out.extend_from_slice(&self.header.id.to_be_bytes());
        out.extend_from_slice(&self.header.flags().to_be_bytes());
        for n in [
            self.questions.len(),
            self.answers.len(),
            self.authorities.len(),
            self.additionals.len(),
        ] {
            let n = u16::try_from(n).map_err(|_| Error::TooLarge)?;
            out.extend_from_slice(&n.to_be_bytes());
        }
        for q in &self.questions {
            q.name.encode(&mut out, Some(&mut comp));
            out.extend_from_slice(&q.qtype.to_be_bytes());
            out.extend_from_slice(&q.qclass.to_be_bytes());
        }
        for rec in self
            .answers
            .iter()
            .chain(&self.authorities)
            .chain(&self.additionals)
        {
            rec.encode(&mut out, &mut comp)?;
        }
        Ok(out)
    }

    /// Writes the message in at most `limit` bytes (a UDP reply's size).
    /// If it does not fit, the records are dropped except EDNS0's OPT and
    /// TC is set, so that the client asks again over TCP (RFC 2181 9).
    pub fn encode_within(&self, limit: usize) -> Result<Vec<u8>, Error> {
        let full = self.encode()?;
        if full.len() <= limit {
            return Ok(full);
        }
        let mut cut = Message {
            header: self.header,
            questions: self.questions.clone(),
            additionals: self.opt().into_iter().cloned().collect(),
            ..Message::default()
        };
        cut.header.tc = true;
        cut.encode()
    }

    /// EDNS0's OPT pseudo-record, if the message has one.
    pub fn opt(&self) -> Option<&Record> {
        self.additionals.iter().find(|r| r.rtype == rtype::OPT)
    }

    /// The largest UDP reply the sender of this message accepts: its OPT
    /// record's payload size (at least 512), else 512 (RFC 6891 6.2.3).
    pub fn udp_limit(&self) -> usize {
        self.opt().map_or(512, |o| usize::from(o.class).max(512))
    }
}

impl Record {
    /// Reads one record at the reader's position.
    fn parse(r: &mut Reader<'_>) -> Result<Record, Error> {
        let name = Name::parse(r)?;
        let rtype = r.u16("record")?;
        let class = r.u16("record")?;
        let ttl = r.u32("record")?;
        let len = usize::from(r.u16("record")?);
        let data = RData::parse(r, rtype, len)?;
        Ok(Record {
            name,
            rtype,
            class,
            ttl,
            data,
        })
    }

    /// Appends the record, its data length filled in after the data.
    fn encode(&self, out: &mut Vec<u8>, comp: &mut Compressor) -> Result<(), Error> {
        // Typed data must match the record's type, or a reader would take
        // the bytes for something else.
        if self.data.rtype().is_some_and(|t| t != self.rtype) {
            return Err(Error::BadRdata(self.rtype));
        }
        self.name.encode(out, Some(comp));
        out.extend_from_slice(&self.rtype.to_be_bytes());
        out.extend_from_slice(&self.class.to_be_bytes());
        out.extend_from_slice(&self.ttl.to_be_bytes());
        let len_at = out.len();
        out.extend_from_slice(&[0, 0]);
        self.data.encode(out, comp)?;
        let len = u16::try_from(out.len() - len_at - 2).map_err(|_| Error::TooLarge)?;
        out[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }
}
