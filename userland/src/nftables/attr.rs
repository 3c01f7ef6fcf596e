//! Netlink attributes (type-length-value, padded to four bytes) as
//! nf_tables uses them: written into a growing buffer, nested by
//! back-patching the outer length, and read back without trusting the
//! lengths the kernel (or anyone) put in them.

/// Set on an attribute whose value is itself a list of attributes. The
/// kernel's strict parsers insist on it for nested attributes.
pub const NLA_F_NESTED: u16 = 0x8000;
/// Set on an attribute whose value is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
/// Length of an attribute's header.
const HEADER: usize = 4;

/// Rounds `n` up to netlink's four-byte alignment.
pub fn align(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// Builds a list of attributes.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    /// The encoded attributes so far.
    pub buf: Vec<u8>,
}

impl Writer {
    /// An empty list.
    pub fn new() -> Writer {
        Writer::default()
    }

    /// Appends attribute `kind` holding `data`, padded with zeros.
    pub fn put(&mut self, kind: u16, data: &[u8]) {
        // Values here are names and small numbers; a length that does not
        // fit 16 bits would be a bug of ours, and the kernel rejects it.
        let len = u16::try_from(HEADER + data.len()).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align(self.buf.len()), 0);
    }

    /// Appends a 32-bit number in network byte order, as every nf_tables
    /// number is sent.
    pub fn put_be32(&mut self, kind: u16, value: u32) {
        self.put(kind, &value.to_be_bytes());
    }

    /// Appends a NUL-terminated string (NLA_STRING with its terminator, as
    /// libmnl's `mnl_attr_put_strz` does).
    pub fn put_str(&mut self, kind: u16, text: &str) {
        let mut data = Vec::with_capacity(text.len() + 1);
        data.extend_from_slice(text.as_bytes());
        data.push(0);
        self.put(kind, &data);
    }

    /// Appends a nested attribute whose value `fill` writes.
    pub fn nest(&mut self, kind: u16, fill: impl FnOnce(&mut Writer)) {
        let mut inner = Writer::new();
        fill(&mut inner);
        self.put(kind | NLA_F_NESTED, &inner.buf);
    }
}

/// One attribute read from a buffer: its type (without the nested and
/// byte-order flags) and its value.
#[derive(Debug, Clone, Copy)]
pub struct Attr<'a> {
    /// The attribute type.
    pub kind: u16,
    /// The value, without padding.
    pub value: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The value as a big-endian 32-bit number, if it is four bytes.
    pub fn be32(&self) -> Option<u32> {
        Some(u32::from_be_bytes(self.value.try_into().ok()?))
    }

    /// The value as a big-endian 64-bit number, if it is eight bytes.
    pub fn be64(&self) -> Option<u64> {
        Some(u64::from_be_bytes(self.value.try_into().ok()?))
    }

    /// The value as text, up to its NUL.
    pub fn text(&self) -> String {
        let raw = self.value.split(|&b| b == 0).next().unwrap_or(self.value);
        String::from_utf8_lossy(raw).into_owned()
    }

    /// The value read as a list of attributes.
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.value)
    }
}

/// Iterates over a list of attributes, stopping at the first one whose
/// length does not fit the buffer.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    /// The attributes in `buf`.
    pub fn new(buf: &'a [u8]) -> Attrs<'a> {
        Attrs { rest: buf }
    }

    /// The first attribute of type `kind`.
    pub fn get(self, kind: u16) -> Option<Attr<'a>> {
        let mut all = self;
        all.find(|a| a.kind == kind)
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        let header = self.rest.get(..HEADER)?;
        let len = usize::from(u16::from_ne_bytes([header[0], header[1]]));
        let kind =
            u16::from_ne_bytes([header[2], header[3]]) & !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
        if len < HEADER {
            self.rest = &[];
            return None;
        }
        let Some(value) = self.rest.get(HEADER..len) else {
            self.rest = &[];
            return None;
        };
        self.rest = self.rest.get(align(len)..).unwrap_or(&[]);
        Some(Attr { kind, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_pads_and_nests() {
        let mut w = Writer::new();
        w.put_str(1, "ab");
        w.nest(2, |w| w.put_be32(3, 7));
        assert_eq!(
            w.buf,
            [
                7, 0, 1, 0, b'a', b'b', 0, 0, // "ab\0" padded
                12, 0, 2, 0x80, // nested
                8, 0, 3, 0, 0, 0, 0, 7,
            ]
        );
        let attrs: Vec<_> = Attrs::new(&w.buf).collect();
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0].text(), "ab");
        assert_eq!(attrs[1].kind, 2);
        assert_eq!(attrs[1].nested().get(3).and_then(|a| a.be32()), Some(7));
    }

    #[test]
    fn stops_at_bad_lengths() {
        assert_eq!(Attrs::new(&[200, 0, 1, 0, 1, 2]).count(), 0);
        assert_eq!(Attrs::new(&[2, 0, 1, 0]).count(), 0);
        assert_eq!(Attrs::new(&[4, 0]).count(), 0);
    }
}
