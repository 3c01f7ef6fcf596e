//! Rules back into words: renders tables, chains and rules in nft's
//! listing syntax, following which register holds what so that a load and
//! the comparison after it read as one match ("iifname \"lo\"").

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::expr::{
    CmpOp, Data, Expr, NatKind, BASE_NETWORK, BASE_TRANSPORT, CT_STATE, CT_STATUS, META_IIFNAME,
    META_L4PROTO, META_NFPROTO, META_OIFNAME, NFPROTO_IPV4, NFPROTO_IPV6, REJECT_TCP_RST,
};
use super::message::{Chain, Hook, Rule};

/// nft's name for an NFPROTO_* family.
pub fn family_name(family: u8) -> String {
    match family {
        1 => "inet".into(),
        2 => "ip".into(),
        3 => "arp".into(),
        5 => "netdev".into(),
        7 => "bridge".into(),
        10 => "ip6".into(),
        n => format!("family{n}"),
    }
}

/// Renders one table with its chains and, under each, its rules
/// (`handle`s are shown when known).
pub fn render_table(
    family: u8,
    name: &str,
    chains: &[&Chain],
    rules: &[(&Rule, Option<u64>)],
) -> String {
    let mut out = format!("table {} {name} {{\n", family_name(family));
    for (i, chain) in chains.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "\tchain {} {{", chain.name);
        if let Some(base) = &chain.base {
            let _ = writeln!(
                out,
                "\t\ttype {} hook {} priority {}; policy {};",
                base.kind,
                Hook::name(base.hook),
                base.priority,
                base.policy
            );
        }
        for (rule, handle) in rules.iter().filter(|(r, _)| r.chain == chain.name) {
            let _ = write!(out, "\t\t{}", render_rule(&rule.exprs));
            if let Some(h) = handle {
                let _ = write!(out, " # handle {h}");
            }
            out.push('\n');
        }
        out.push_str("\t}\n");
    }
    out.push_str("}\n");
    out
}

/// What a register holds.
#[derive(Debug, Clone)]
enum Held {
    Meta(u32),
    Payload { base: u32, offset: u32, len: u32 },
    Ct(u32),
    Masked(Box<Held>, Vec<u8>),
    Value(Vec<u8>),
}

/// Renders a rule's expressions as nft would list them.
pub fn render_rule(exprs: &[Expr]) -> String {
    let mut regs: HashMap<u32, Held> = HashMap::new();
    let mut words: Vec<String> = Vec::new();
    let mut family: Option<u8> = None;
    let mut previous: Option<&Expr> = None;
    for e in exprs {
        match e {
            Expr::Meta { key, dreg } => {
                regs.insert(*dreg, Held::Meta(*key));
            }
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                regs.insert(
                    *dreg,
                    Held::Payload {
                        base: *base,
                        offset: *offset,
                        len: *len,
                    },
                );
            }
            Expr::Ct { key, dreg } => {
                regs.insert(*dreg, Held::Ct(*key));
            }
            Expr::Bitwise {
                sreg, dreg, mask, ..
            } => {
                let held = regs.get(sreg).cloned().unwrap_or(Held::Value(Vec::new()));
                regs.insert(*dreg, Held::Masked(Box::new(held), mask.clone()));
            }
            Expr::Immediate { dreg, data } => match data {
                Data::Verdict(v) => words.push(v.to_string()),
                Data::Value(bytes) => {
                    regs.insert(*dreg, Held::Value(bytes.clone()));
                }
            },
            Expr::Cmp { sreg, op, data } => {
                let held = regs.get(sreg).cloned();
                if let Some(Held::Meta(META_NFPROTO)) = held {
                    family = data.first().copied();
                }
                // `>= A` then `<= B` of the same load is nft's range `A-B`.
                if let (
                    CmpOp::Lte,
                    Some(Expr::Cmp {
                        sreg: prev,
                        op: CmpOp::Gte,
                        data: from,
                    }),
                ) = (op, previous)
                {
                    if prev == sreg && from.len() == data.len() && from.len() <= 8 {
                        words.pop();
                        words.push(format!(
                            "{} {}-{}",
                            subject(held.as_ref(), family),
                            number(from),
                            number(data)
                        ));
                        previous = Some(e);
                        continue;
                    }
                }
                words.push(render_cmp(held.as_ref(), *op, data, family));
            }
            Expr::Nat {
                kind,
                family: nat_family,
                reg_addr,
                reg_proto,
            } => {
                let mut text = match kind {
                    NatKind::Snat => "snat".to_string(),
                    NatKind::Dnat => "dnat".to_string(),
                };
                text.push_str(if *nat_family == NFPROTO_IPV6 {
                    " ip6 to "
                } else {
                    " ip to "
                });
                let value = |r: &Option<u32>| match r.and_then(|r| regs.get(&r)) {
                    Some(Held::Value(v)) => Some(v.clone()),
                    _ => None,
                };
                match value(reg_addr) {
                    Some(a) => text.push_str(&address(&a)),
                    None => text.push('?'),
                }
                if let Some(p) = value(reg_proto) {
                    let _ = write!(text, ":{}", number(&p));
                }
                words.push(text);
            }
            Expr::Masquerade => words.push("masquerade".into()),
            Expr::Counter { bytes, packets } => {
                words.push(format!("counter packets {packets} bytes {bytes}"))
            }
            Expr::Reject { kind, code } => words.push(if *kind == REJECT_TCP_RST {
                "reject with tcp reset".into()
            } else {
                format!("reject with icmpx {}", icmpx_name(*code))
            }),
            Expr::Unknown(name) => words.push(format!("[{name}]")),
        }
        previous = Some(e);
    }
    words.join(" ")
}

fn icmpx_name(code: u8) -> String {
    match code {
        0 => "no-route".into(),
        1 => "port-unreachable".into(),
        2 => "host-unreachable".into(),
        3 => "admin-prohibited".into(),
        n => n.to_string(),
    }
}

/// The name of what a register holds, as nft writes it.
fn subject(held: Option<&Held>, family: Option<u8>) -> String {
    match held {
        Some(Held::Meta(key)) => match *key {
            META_IIFNAME => "iifname".into(),
            META_OIFNAME => "oifname".into(),
            META_NFPROTO => "meta nfproto".into(),
            META_L4PROTO => "meta l4proto".into(),
            k => format!("meta key{k}"),
        },
        Some(Held::Payload { base, offset, len }) => match (*base, *offset, *len, family) {
            (BASE_NETWORK, 12, 4, _) => "ip saddr".into(),
            (BASE_NETWORK, 16, 4, _) => "ip daddr".into(),
            (BASE_NETWORK, 8, 16, _) => "ip6 saddr".into(),
            (BASE_NETWORK, 24, 16, _) => "ip6 daddr".into(),
            (BASE_TRANSPORT, 0, 2, _) => "th sport".into(),
            (BASE_TRANSPORT, 2, 2, _) => "th dport".into(),
            (b, o, l, _) => {
                let base = match b {
                    0 => "ll",
                    1 => "nh",
                    2 => "th",
                    _ => "ih",
                };
                format!("@{base},{},{}", o * 8, l * 8)
            }
        },
        Some(Held::Ct(key)) => match *key {
            CT_STATE => "ct state".into(),
            CT_STATUS => "ct status".into(),
            k => format!("ct key{k}"),
        },
        Some(Held::Masked(inner, _)) => subject(Some(inner), family),
        Some(Held::Value(_)) | None => "?".into(),
    }
}

/// One comparison: the subject, the operator and the value in the
/// subject's own notation.
fn render_cmp(held: Option<&Held>, op: CmpOp, data: &[u8], family: Option<u8>) -> String {
    let name = subject(held, family);
    let value = match held {
        Some(Held::Meta(META_IIFNAME | META_OIFNAME)) => {
            // An exact name is compared with its terminating NUL; without
            // one it is a prefix, which nft writes with a star.
            match data.iter().position(|&b| b == 0) {
                Some(end) => format!("\"{}\"", String::from_utf8_lossy(&data[..end])),
                None => format!("\"{}*\"", String::from_utf8_lossy(data)),
            }
        }
        Some(Held::Meta(META_NFPROTO)) => match data.first().copied() {
            Some(NFPROTO_IPV4) => "ipv4".into(),
            Some(NFPROTO_IPV6) => "ipv6".into(),
            _ => number(data),
        },
        Some(Held::Meta(META_L4PROTO)) => match data.first().copied() {
            Some(6) => "tcp".into(),
            Some(17) => "udp".into(),
            Some(1) => "icmp".into(),
            Some(58) => "ipv6-icmp".into(),
            _ => number(data),
        },
        Some(Held::Payload {
            base: BASE_NETWORK,
            len: 4 | 16,
            ..
        }) => address(data),
        Some(Held::Payload {
            base: BASE_TRANSPORT,
            ..
        }) => number(data),
        Some(Held::Masked(inner, mask)) => {
            return render_masked(&name, inner, mask, op, data);
        }
        _ => hex(data),
    };
    format!("{name} {}{value}", op.symbol())
}

/// A comparison after a mask: a flags test (`ct state established`) or
/// an address prefix (`ip saddr 10.0.0.0/8`).
fn render_masked(name: &str, inner: &Held, mask: &[u8], op: CmpOp, data: &[u8]) -> String {
    let host = |b: &[u8]| b.try_into().map(u32::from_ne_bytes).unwrap_or(0);
    match inner {
        Held::Ct(key @ (CT_STATE | CT_STATUS)) if op == CmpOp::Neq && host(data) == 0 => {
            let bits = host(mask);
            let names: &[(u32, &str)] = if *key == CT_STATE {
                &[
                    (1, "invalid"),
                    (2, "established"),
                    (4, "related"),
                    (8, "new"),
                    (64, "untracked"),
                ]
            } else {
                &[(1 << 4, "snat"), (1 << 5, "dnat")]
            };
            let mut parts: Vec<String> = names
                .iter()
                .filter(|(b, _)| bits & b != 0)
                .map(|(_, n)| n.to_string())
                .collect();
            let known: u32 = names.iter().map(|(b, _)| b).sum();
            if bits & !known != 0 || parts.is_empty() {
                parts.push(format!("0x{:x}", bits & !known));
            }
            format!("{name} {}", parts.join(","))
        }
        Held::Payload {
            base: BASE_NETWORK, ..
        } if mask
            .iter()
            .all(|&b| b == 0xff || b.leading_ones() + b.trailing_zeros() == 8) =>
        {
            let prefix: u32 = mask.iter().map(|b| b.leading_ones()).sum();
            format!("{name} {}{}/{prefix}", op.symbol(), address(data))
        }
        _ => format!("{name} & {} {}{}", hex(mask), op.symbol(), hex(data)),
    }
}

/// An address of four or sixteen bytes, else hex.
fn address(data: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(data) {
        Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(data) {
        Ipv6Addr::from(v6).to_string()
    } else {
        hex(data)
    }
}

/// A big-endian number of up to eight bytes, else hex.
fn number(data: &[u8]) -> String {
    if data.is_empty() || data.len() > 8 {
        return hex(data);
    }
    data.iter()
        .fold(0u64, |n, &b| n << 8 | u64::from(b))
        .to_string()
}

fn hex(data: &[u8]) -> String {
    let mut s = String::from("0x");
    for b in data {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nftables::expr::{
        Verdict, CT_STATE_ESTABLISHED, CT_STATE_RELATED, REG_1, REG_VERDICT,
    };

    #[test]
    fn loads_and_compares_read_as_matches() {
        let exprs = vec![
            Expr::Ct {
                key: CT_STATE,
                dreg: REG_1,
            },
            Expr::Bitwise {
                sreg: REG_1,
                dreg: REG_1,
                mask: (CT_STATE_ESTABLISHED | CT_STATE_RELATED)
                    .to_ne_bytes()
                    .to_vec(),
                xor: vec![0; 4],
            },
            Expr::Cmp {
                sreg: REG_1,
                op: CmpOp::Neq,
                data: vec![0; 4],
            },
            Expr::Immediate {
                dreg: REG_VERDICT,
                data: Data::Verdict(Verdict::Accept),
            },
        ];
        assert_eq!(render_rule(&exprs), "ct state established,related accept");
        let exprs = vec![
            Expr::Meta {
                key: META_IIFNAME,
                dreg: REG_1,
            },
            Expr::Cmp {
                sreg: REG_1,
                op: CmpOp::Eq,
                data: b"eth0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec(),
            },
            Expr::Payload {
                base: BASE_NETWORK,
                offset: 12,
                len: 4,
                dreg: REG_1,
            },
            Expr::Bitwise {
                sreg: REG_1,
                dreg: REG_1,
                mask: vec![255, 255, 0, 0],
                xor: vec![0; 4],
            },
            Expr::Cmp {
                sreg: REG_1,
                op: CmpOp::Eq,
                data: vec![10, 1, 0, 0],
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
            Expr::Unknown("xt".into()),
        ];
        assert_eq!(
            render_rule(&exprs),
            "iifname \"eth0\" ip saddr 10.1.0.0/16 th dport >= 22 [xt]"
        );
    }
}
