//! The expressions a rule is made of (nf_tables' small register machine):
//! loads into registers (meta, payload, ct, immediate), tests on them
//! (cmp, bitwise), and statements (verdicts, nat, masquerade, counter,
//! reject). Each encodes to the kernel's attributes and decodes back from
//! a dump, so that `ibox fw show` reads what `ibox fw reload` wrote.

use super::attr::{Attr, Attrs, Writer};

/// The verdict register (NFT_REG_VERDICT).
pub const REG_VERDICT: u32 = 0;
/// The first 16-byte data register (NFT_REG_1).
pub const REG_1: u32 = 1;
/// The second 16-byte data register (NFT_REG_2).
pub const REG_2: u32 = 2;

// nft_meta_keys
/// NFT_META_IIFNAME: the input interface's name (16 bytes).
pub const META_IIFNAME: u32 = 6;
/// NFT_META_OIFNAME: the output interface's name (16 bytes).
pub const META_OIFNAME: u32 = 7;
/// NFT_META_NFPROTO: the netfilter family of the packet (1 byte).
pub const META_NFPROTO: u32 = 15;
/// NFT_META_L4PROTO: the transport protocol number (1 byte).
pub const META_L4PROTO: u32 = 16;

// nft_payload_bases
/// NFT_PAYLOAD_NETWORK_HEADER.
pub const BASE_NETWORK: u32 = 1;
/// NFT_PAYLOAD_TRANSPORT_HEADER.
pub const BASE_TRANSPORT: u32 = 2;

// nft_ct_keys
/// NFT_CT_STATE: the connection's state bits (host byte order, 4 bytes).
pub const CT_STATE: u32 = 0;
/// NFT_CT_STATUS: the connection's status bits (host byte order, 4 bytes).
pub const CT_STATUS: u32 = 2;

/// NF_CT_STATE_INVALID_BIT.
pub const CT_STATE_INVALID: u32 = 1;
/// NF_CT_STATE_BIT(IP_CT_ESTABLISHED).
pub const CT_STATE_ESTABLISHED: u32 = 2;
/// NF_CT_STATE_BIT(IP_CT_RELATED).
pub const CT_STATE_RELATED: u32 = 4;
/// IPS_DST_NAT: the connection's destination was rewritten.
pub const CT_STATUS_DNAT: u32 = 1 << 5;

/// NFPROTO_IPV4.
pub const NFPROTO_IPV4: u8 = 2;
/// NFPROTO_IPV6.
pub const NFPROTO_IPV6: u8 = 10;

// nft_reject_types and nft_reject_inet_code
/// NFT_REJECT_TCP_RST.
pub const REJECT_TCP_RST: u32 = 1;
/// NFT_REJECT_ICMPX_UNREACH.
pub const REJECT_ICMPX: u32 = 2;
/// NFT_REJECT_ICMPX_PORT_UNREACH.
pub const ICMPX_PORT_UNREACH: u8 = 1;

// nf_tables attribute numbers, by expression.
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_META_DREG: u16 = 1;
const NFTA_META_KEY: u16 = 2;
const NFTA_PAYLOAD_DREG: u16 = 1;
const NFTA_PAYLOAD_BASE: u16 = 2;
const NFTA_PAYLOAD_OFFSET: u16 = 3;
const NFTA_PAYLOAD_LEN: u16 = 4;
const NFTA_CMP_SREG: u16 = 1;
const NFTA_CMP_OP: u16 = 2;
const NFTA_CMP_DATA: u16 = 3;
const NFTA_BITWISE_SREG: u16 = 1;
const NFTA_BITWISE_DREG: u16 = 2;
const NFTA_BITWISE_LEN: u16 = 3;
const NFTA_BITWISE_MASK: u16 = 4;
const NFTA_BITWISE_XOR: u16 = 5;
const NFTA_CT_DREG: u16 = 1;
const NFTA_CT_KEY: u16 = 2;
const NFTA_IMMEDIATE_DREG: u16 = 1;
const NFTA_IMMEDIATE_DATA: u16 = 2;
const NFTA_DATA_VALUE: u16 = 1;
const NFTA_DATA_VERDICT: u16 = 2;
const NFTA_VERDICT_CODE: u16 = 1;
const NFTA_VERDICT_CHAIN: u16 = 2;
const NFTA_NAT_TYPE: u16 = 1;
const NFTA_NAT_FAMILY: u16 = 2;
const NFTA_NAT_REG_ADDR_MIN: u16 = 3;
const NFTA_NAT_REG_PROTO_MIN: u16 = 5;
const NFTA_COUNTER_BYTES: u16 = 1;
const NFTA_COUNTER_PACKETS: u16 = 2;
const NFTA_REJECT_TYPE: u16 = 1;
const NFTA_REJECT_ICMP_CODE: u16 = 2;

// Verdict codes: the netfilter ones and nft_verdicts.
const NF_DROP: i32 = 0;
const NF_ACCEPT: i32 = 1;
const NFT_CONTINUE: i32 = -1;
const NFT_JUMP: i32 = -3;
const NFT_GOTO: i32 = -4;
const NFT_RETURN: i32 = -5;

/// nft_cmp_ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// NFT_CMP_EQ.
    Eq = 0,
    /// NFT_CMP_NEQ.
    Neq = 1,
    /// NFT_CMP_LT.
    Lt = 2,
    /// NFT_CMP_LTE.
    Lte = 3,
    /// NFT_CMP_GT.
    Gt = 4,
    /// NFT_CMP_GTE.
    Gte = 5,
}

impl CmpOp {
    fn from_u32(op: u32) -> Option<CmpOp> {
        Some(match op {
            0 => CmpOp::Eq,
            1 => CmpOp::Neq,
            2 => CmpOp::Lt,
            3 => CmpOp::Lte,
            4 => CmpOp::Gt,
            5 => CmpOp::Gte,
            _ => return None,
        })
    }

    /// nft's spelling of the operator ("" for equality).
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "",
            CmpOp::Neq => "!= ",
            CmpOp::Lt => "< ",
            CmpOp::Lte => "<= ",
            CmpOp::Gt => "> ",
            CmpOp::Gte => ">= ",
        }
    }
}

/// What a rule (or a base chain's policy) decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// NF_ACCEPT.
    Accept,
    /// NF_DROP.
    Drop,
    /// NFT_JUMP to a chain, coming back after it.
    Jump(String),
    /// NFT_GOTO a chain, not coming back.
    Goto(String),
    /// NFT_RETURN to the calling chain.
    Return,
    /// NFT_CONTINUE with the next rule.
    Continue,
    /// A code we do not name (queue, stolen, ...).
    Other(i32),
}

impl Verdict {
    /// The numeric code the kernel uses.
    pub fn code(&self) -> i32 {
        match self {
            Verdict::Accept => NF_ACCEPT,
            Verdict::Drop => NF_DROP,
            Verdict::Jump(_) => NFT_JUMP,
            Verdict::Goto(_) => NFT_GOTO,
            Verdict::Return => NFT_RETURN,
            Verdict::Continue => NFT_CONTINUE,
            Verdict::Other(c) => *c,
        }
    }

    /// The verdict for `code`, with `chain` for jumps and gotos.
    pub fn from_code(code: i32, chain: Option<String>) -> Verdict {
        match code {
            NF_ACCEPT => Verdict::Accept,
            NF_DROP => Verdict::Drop,
            NFT_JUMP => Verdict::Jump(chain.unwrap_or_default()),
            NFT_GOTO => Verdict::Goto(chain.unwrap_or_default()),
            NFT_RETURN => Verdict::Return,
            NFT_CONTINUE => Verdict::Continue,
            c => Verdict::Other(c),
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Accept => f.write_str("accept"),
            Verdict::Drop => f.write_str("drop"),
            Verdict::Jump(c) => write!(f, "jump {c}"),
            Verdict::Goto(c) => write!(f, "goto {c}"),
            Verdict::Return => f.write_str("return"),
            Verdict::Continue => f.write_str("continue"),
            Verdict::Other(c) => write!(f, "verdict {c}"),
        }
    }
}

/// What an immediate expression loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// Bytes into a data register.
    Value(Vec<u8>),
    /// A verdict into the verdict register.
    Verdict(Verdict),
}

/// nft_nat_types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatKind {
    /// NFT_NAT_SNAT.
    Snat = 0,
    /// NFT_NAT_DNAT.
    Dnat = 1,
}

/// One expression of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Loads packet metadata `key` (META_*) into `dreg`.
    Meta {
        /// The META_* key.
        key: u32,
        /// The destination register.
        dreg: u32,
    },
    /// Loads `len` bytes at `offset` of header `base` (BASE_*) into `dreg`.
    Payload {
        /// The header: BASE_NETWORK or BASE_TRANSPORT.
        base: u32,
        /// Byte offset in that header.
        offset: u32,
        /// Number of bytes.
        len: u32,
        /// The destination register.
        dreg: u32,
    },
    /// Compares register `sreg` with `data`; a mismatch ends the rule.
    Cmp {
        /// The source register.
        sreg: u32,
        /// The comparison.
        op: CmpOp,
        /// The bytes compared with, as long as the loaded value.
        data: Vec<u8>,
    },
    /// `dreg = (sreg & mask) ^ xor` over `mask.len()` bytes.
    Bitwise {
        /// The source register.
        sreg: u32,
        /// The destination register.
        dreg: u32,
        /// The mask.
        mask: Vec<u8>,
        /// The value XORed in, as long as the mask.
        xor: Vec<u8>,
    },
    /// Loads conntrack `key` (CT_*) into `dreg`.
    Ct {
        /// The CT_* key.
        key: u32,
        /// The destination register.
        dreg: u32,
    },
    /// Loads constant data into `dreg`.
    Immediate {
        /// The destination register (REG_VERDICT for verdicts).
        dreg: u32,
        /// What is loaded.
        data: Data,
    },
    /// Source or destination NAT to the address in `reg_addr` and port in
    /// `reg_proto`.
    Nat {
        /// SNAT or DNAT.
        kind: NatKind,
        /// NFPROTO_IPV4 or NFPROTO_IPV6: what the address register holds.
        family: u8,
        /// Register holding the address.
        reg_addr: Option<u32>,
        /// Register holding the port (big endian, two bytes).
        reg_proto: Option<u32>,
    },
    /// Source NAT to the output interface's address.
    Masquerade,
    /// Counts packets and bytes.
    Counter {
        /// Bytes seen.
        bytes: u64,
        /// Packets seen.
        packets: u64,
    },
    /// Answers and drops: a TCP reset or an ICMP(v6) error.
    Reject {
        /// REJECT_TCP_RST or REJECT_ICMPX.
        kind: u32,
        /// The ICMPX code for REJECT_ICMPX.
        code: u8,
    },
    /// An expression this module does not decode, by name.
    Unknown(String),
}

impl Expr {
    /// The expression's name as the kernel knows it.
    pub fn name(&self) -> &str {
        match self {
            Expr::Meta { .. } => "meta",
            Expr::Payload { .. } => "payload",
            Expr::Cmp { .. } => "cmp",
            Expr::Bitwise { .. } => "bitwise",
            Expr::Ct { .. } => "ct",
            Expr::Immediate { .. } => "immediate",
            Expr::Nat { .. } => "nat",
            Expr::Masquerade => "masq",
            Expr::Counter { .. } => "counter",
            Expr::Reject { .. } => "reject",
            Expr::Unknown(n) => n,
        }
    }

    /// Appends this expression as one NFTA_LIST_ELEM of a rule's
    /// NFTA_RULE_EXPRESSIONS.
    pub fn encode(&self, list: &mut Writer) {
        const NFTA_LIST_ELEM: u16 = 1;
        list.nest(NFTA_LIST_ELEM, |w| {
            w.put_str(NFTA_EXPR_NAME, self.name());
            let mut data = Writer::new();
            self.encode_data(&mut data);
            // The kernel accepts an expression without data (masq); an
            // empty nest would be the same.
            if !data.buf.is_empty() {
                w.put(NFTA_EXPR_DATA | super::attr::NLA_F_NESTED, &data.buf);
            }
        });
    }

    fn encode_data(&self, w: &mut Writer) {
        match self {
            Expr::Meta { key, dreg } => {
                w.put_be32(NFTA_META_KEY, *key);
                w.put_be32(NFTA_META_DREG, *dreg);
            }
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                w.put_be32(NFTA_PAYLOAD_DREG, *dreg);
                w.put_be32(NFTA_PAYLOAD_BASE, *base);
                w.put_be32(NFTA_PAYLOAD_OFFSET, *offset);
                w.put_be32(NFTA_PAYLOAD_LEN, *len);
            }
            Expr::Cmp { sreg, op, data } => {
                w.put_be32(NFTA_CMP_SREG, *sreg);
                w.put_be32(NFTA_CMP_OP, *op as u32);
                w.nest(NFTA_CMP_DATA, |d| d.put(NFTA_DATA_VALUE, data));
            }
            Expr::Bitwise {
                sreg,
                dreg,
                mask,
                xor,
            } => {
                w.put_be32(NFTA_BITWISE_SREG, *sreg);
                w.put_be32(NFTA_BITWISE_DREG, *dreg);
                w.put_be32(NFTA_BITWISE_LEN, mask.len() as u32);
                w.nest(NFTA_BITWISE_MASK, |d| d.put(NFTA_DATA_VALUE, mask));
                w.nest(NFTA_BITWISE_XOR, |d| d.put(NFTA_DATA_VALUE, xor));
            }
            Expr::Ct { key, dreg } => {
                w.put_be32(NFTA_CT_DREG, *dreg);
                w.put_be32(NFTA_CT_KEY, *key);
            }
            Expr::Immediate { dreg, data } => {
                w.put_be32(NFTA_IMMEDIATE_DREG, *dreg);
                w.nest(NFTA_IMMEDIATE_DATA, |d| match data {
                    Data::Value(bytes) => d.put(NFTA_DATA_VALUE, bytes),
                    Data::Verdict(v) => d.nest(NFTA_DATA_VERDICT, |v_attrs| {
                        v_attrs.put_be32(NFTA_VERDICT_CODE, v.code() as u32);
                        if let Verdict::Jump(chain) | Verdict::Goto(chain) = v {
                            v_attrs.put_str(NFTA_VERDICT_CHAIN, chain);
                        }
                    }),
                });
            }
            Expr::Nat {
                kind,
                family,
                reg_addr,
                reg_proto,
            } => {
                w.put_be32(NFTA_NAT_TYPE, *kind as u32);
                w.put_be32(NFTA_NAT_FAMILY, u32::from(*family));
                if let Some(r) = reg_addr {
                    w.put_be32(NFTA_NAT_REG_ADDR_MIN, *r);
                }
                if let Some(r) = reg_proto {
                    w.put_be32(NFTA_NAT_REG_PROTO_MIN, *r);
                }
            }
            Expr::Masquerade | Expr::Unknown(_) => {}
            Expr::Counter { bytes, packets } => {
                w.put(NFTA_COUNTER_BYTES, &bytes.to_be_bytes());
                w.put(NFTA_COUNTER_PACKETS, &packets.to_be_bytes());
            }
            Expr::Reject { kind, code } => {
                w.put_be32(NFTA_REJECT_TYPE, *kind);
                if *kind != REJECT_TCP_RST {
                    w.put(NFTA_REJECT_ICMP_CODE, &[*code]);
                }
            }
        }
    }

    /// Decodes one NFTA_LIST_ELEM. Expressions this module does not know,
    /// and known ones with missing parts, come back as [`Expr::Unknown`].
    pub fn decode(elem: Attr<'_>) -> Expr {
        let attrs = elem.nested();
        let name = attrs
            .clone()
            .get(NFTA_EXPR_NAME)
            .map(|a| a.text())
            .unwrap_or_default();
        let data = attrs
            .get(NFTA_EXPR_DATA)
            .map(|a| a.nested())
            .unwrap_or_else(|| Attrs::new(&[]));
        Expr::decode_data(&name, data).unwrap_or(Expr::Unknown(name))
    }

    fn decode_data(name: &str, data: Attrs<'_>) -> Option<Expr> {
        let be32 = |kind: u16| data.clone().get(kind).and_then(|a| a.be32());
        let value = |kind: u16| {
            data.clone()
                .get(kind)
                .and_then(|a| a.nested().get(NFTA_DATA_VALUE))
                .map(|v| v.value.to_vec())
        };
        Some(match name {
            "meta" => Expr::Meta {
                key: be32(NFTA_META_KEY)?,
                dreg: be32(NFTA_META_DREG)?,
            },
            "payload" => Expr::Payload {
                base: be32(NFTA_PAYLOAD_BASE)?,
                offset: be32(NFTA_PAYLOAD_OFFSET)?,
                len: be32(NFTA_PAYLOAD_LEN)?,
                dreg: be32(NFTA_PAYLOAD_DREG)?,
            },
            "cmp" => Expr::Cmp {
                sreg: be32(NFTA_CMP_SREG)?,
                op: CmpOp::from_u32(be32(NFTA_CMP_OP)?)?,
                data: value(NFTA_CMP_DATA)?,
            },
            "bitwise" => Expr::Bitwise {
                sreg: be32(NFTA_BITWISE_SREG)?,
                dreg: be32(NFTA_BITWISE_DREG)?,
                mask: value(NFTA_BITWISE_MASK)?,
                xor: value(NFTA_BITWISE_XOR)?,
            },
            "ct" => Expr::Ct {
                key: be32(NFTA_CT_KEY)?,
                dreg: be32(NFTA_CT_DREG)?,
            },
            "immediate" => {
                let dreg = be32(NFTA_IMMEDIATE_DREG)?;
                let imm = data.clone().get(NFTA_IMMEDIATE_DATA)?.nested();
                let data = if let Some(v) = imm.clone().get(NFTA_DATA_VERDICT) {
                    let v = v.nested();
                    let code = v.clone().get(NFTA_VERDICT_CODE)?.be32()? as i32;
                    let chain = v.get(NFTA_VERDICT_CHAIN).map(|c| c.text());
                    Data::Verdict(Verdict::from_code(code, chain))
                } else {
                    Data::Value(imm.get(NFTA_DATA_VALUE)?.value.to_vec())
                };
                Expr::Immediate { dreg, data }
            }
            "nat" => Expr::Nat {
                kind: match be32(NFTA_NAT_TYPE)? {
                    0 => NatKind::Snat,
                    1 => NatKind::Dnat,
                    _ => return None,
                },
                family: u8::try_from(be32(NFTA_NAT_FAMILY)?).ok()?,
                reg_addr: be32(NFTA_NAT_REG_ADDR_MIN),
                reg_proto: be32(NFTA_NAT_REG_PROTO_MIN),
            },
            "masq" => Expr::Masquerade,
            "counter" => Expr::Counter {
                bytes: data.clone().get(NFTA_COUNTER_BYTES)?.be64()?,
                packets: data.clone().get(NFTA_COUNTER_PACKETS)?.be64()?,
            },
            "reject" => Expr::Reject {
                kind: be32(NFTA_REJECT_TYPE)?,
                code: data
                    .clone()
                    .get(NFTA_REJECT_ICMP_CODE)
                    .and_then(|a| a.value.first().copied())
                    .unwrap_or(0),
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(e: &Expr) -> Vec<u8> {
        let mut w = Writer::new();
        e.encode(&mut w);
        w.buf
    }

    #[test]
    fn meta_l4proto_load_is_what_nf_tables_h_describes() {
        // NFTA_LIST_ELEM { NFTA_EXPR_NAME "meta", NFTA_EXPR_DATA {
        //   NFTA_META_KEY be32 16 (L4PROTO), NFTA_META_DREG be32 1 } }
        let expected: &[u8] = &[
            36, 0, 1, 0x80, // list element, nested, 36 bytes
            9, 0, 1, 0, b'm', b'e', b't', b'a', 0, 0, 0, 0, // name "meta\0"
            20, 0, 2, 0x80, // data, nested
            8, 0, 2, 0, 0, 0, 0, 16, // key
            8, 0, 1, 0, 0, 0, 0, 1, // dreg
        ];
        let e = Expr::Meta {
            key: META_L4PROTO,
            dreg: REG_1,
        };
        assert_eq!(encoded(&e), expected);
    }

    #[test]
    fn accept_verdict_is_an_immediate_into_the_verdict_register() {
        let expected: &[u8] = &[
            48, 0, 1, 0x80, // list element
            14, 0, 1, 0, b'i', b'm', b'm', b'e', b'd', b'i', b'a', b't', b'e', 0, 0,
            0, // name
            28, 0, 2, 0x80, // data
            8, 0, 1, 0, 0, 0, 0, 0, // dreg: NFT_REG_VERDICT
            16, 0, 2, 0x80, // NFTA_IMMEDIATE_DATA
            12, 0, 2, 0x80, // NFTA_DATA_VERDICT
            8, 0, 1, 0, 0, 0, 0, 1, // NFTA_VERDICT_CODE: NF_ACCEPT
        ];
        let e = Expr::Immediate {
            dreg: REG_VERDICT,
            data: Data::Verdict(Verdict::Accept),
        };
        assert_eq!(encoded(&e), expected);
    }

    #[test]
    fn every_expression_decodes_to_itself() {
        let all = [
            Expr::Meta {
                key: META_IIFNAME,
                dreg: REG_1,
            },
            Expr::Payload {
                base: BASE_TRANSPORT,
                offset: 2,
                len: 2,
                dreg: REG_1,
            },
            Expr::Cmp {
                sreg: REG_1,
                op: CmpOp::Gte,
                data: vec![0, 22],
            },
            Expr::Bitwise {
                sreg: REG_1,
                dreg: REG_1,
                mask: vec![255, 255, 255, 0],
                xor: vec![0; 4],
            },
            Expr::Ct {
                key: CT_STATE,
                dreg: REG_1,
            },
            Expr::Immediate {
                dreg: REG_VERDICT,
                data: Data::Verdict(Verdict::Jump("input_lan".into())),
            },
            Expr::Immediate {
                dreg: REG_2,
                data: Data::Value(vec![0, 80]),
            },
            Expr::Nat {
                kind: NatKind::Dnat,
                family: NFPROTO_IPV4,
                reg_addr: Some(REG_1),
                reg_proto: Some(REG_2),
            },
            Expr::Masquerade,
            Expr::Counter {
                bytes: 1 << 40,
                packets: 3,
            },
            Expr::Reject {
                kind: REJECT_ICMPX,
                code: ICMPX_PORT_UNREACH,
            },
        ];
        for e in all {
            let buf = encoded(&e);
            let elem = Attrs::new(&buf).next().expect("one element");
            assert_eq!(Expr::decode(elem), e);
        }
    }

    #[test]
    fn garbage_decodes_as_unknown() {
        let mut w = Writer::new();
        w.nest(1, |w| {
            w.put_str(NFTA_EXPR_NAME, "cmp");
            w.nest(NFTA_EXPR_DATA, |d| d.put(NFTA_CMP_OP, &[1]));
        });
        let elem = Attrs::new(&w.buf).next().expect("element");
        assert_eq!(Expr::decode(elem), Expr::Unknown("cmp".into()));
    }
}
