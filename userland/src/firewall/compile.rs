//! From a [`Config`] to the nf_tables ruleset it means: one table,
//! `inet ibex`, with the five base chains and three chains per zone.
//!
//! ```text
//! input        ct state established,related accept; ct state invalid drop;
//!              iifname "lo" accept; iifname ZONE-IF jump input_ZONE ...
//! input_Z      the zone's rules without `dest`, then its input policy
//! forward      ct state established,related accept; ct state invalid drop;
//!              iifname ZONE-IF jump forward_ZONE ...
//! forward_Z    redirected traffic (ct status dnat), rules with `dest`,
//!              forwardings to other zones, then its forward policy
//! output       ct state established,related accept; oifname "lo" accept;
//!              oifname ZONE-IF jump output_ZONE ...
//! output_Z     the zone's output policy
//! prerouting   (nat) dnat of each redirect
//! postrouting  (nat) masquerade out of each masquerading zone
//! ```
//!
//! The nat chains are made only when there are redirects or masquerading
//! zones.
//!
//! Base chains fall back on the `defaults` policies: traffic on an
//! interface of no zone.

use std::net::IpAddr;

use super::config::{
    Config, Family, Net, Policy, Ports, Proto, Redirect, Rule as ConfigRule, Zone,
};
use crate::nftables::expr::{
    CmpOp, Data, Expr, NatKind, Verdict, BASE_NETWORK, BASE_TRANSPORT, CT_STATE,
    CT_STATE_ESTABLISHED, CT_STATE_INVALID, CT_STATE_RELATED, CT_STATUS, CT_STATUS_DNAT,
    ICMPX_PORT_UNREACH, META_IIFNAME, META_L4PROTO, META_NFPROTO, META_OIFNAME, NFPROTO_IPV4,
    NFPROTO_IPV6, REG_1, REG_2, REG_VERDICT, REJECT_ICMPX, REJECT_TCP_RST,
};
use crate::nftables::message::{BaseChain, Chain, Hook, Rule, Ruleset, FAMILY_INET};

/// The table `ibox fw` owns.
pub const TABLE: &str = "ibex";

/// Length of an interface name register value (IFNAMSIZ).
const IFNAMSIZ: usize = 16;
/// NF_IP_PRI_NAT_DST: where dnat happens in prerouting.
const PRIORITY_DSTNAT: i32 = -100;
/// NF_IP_PRI_NAT_SRC: where masquerading happens in postrouting.
const PRIORITY_SRCNAT: i32 = 100;

/// Compiles `config` into the `inet ibex` table.
pub fn compile(config: &Config) -> Ruleset {
    let mut out = Ruleset {
        family: FAMILY_INET,
        table: TABLE.into(),
        chains: Vec::new(),
        rules: Vec::new(),
    };
    let defaults = config.defaults;
    base_chain(&mut out, "input", "filter", Hook::Input, 0, defaults.input);
    base_chain(
        &mut out,
        "forward",
        "filter",
        Hook::Forward,
        0,
        defaults.forward,
    );
    base_chain(
        &mut out,
        "output",
        "filter",
        Hook::Output,
        0,
        defaults.output,
    );
    // NAT chains only when there is NAT to do: a filtering firewall then
    // also loads on a kernel without NAT support.
    if !config.redirects.is_empty() {
        base_chain(
            &mut out,
            "prerouting",
            "nat",
            Hook::Prerouting,
            PRIORITY_DSTNAT,
            Policy::Accept,
        );
    }
    if config.zones.iter().any(|z| z.masquerade) {
        base_chain(
            &mut out,
            "postrouting",
            "nat",
            Hook::Postrouting,
            PRIORITY_SRCNAT,
            Policy::Accept,
        );
    }
    for zone in &config.zones {
        for chain in ["input", "forward", "output"] {
            out.chains.push(Chain {
                name: format!("{chain}_{}", zone.name),
                base: None,
            });
        }
    }

    // input
    let established = || ct_bits(CT_STATE, CT_STATE_ESTABLISHED | CT_STATE_RELATED);
    for hook in ["input", "forward", "output"] {
        push(
            &mut out,
            hook,
            [established(), verdict(Verdict::Accept)].concat(),
        );
    }
    for hook in ["input", "forward"] {
        push(
            &mut out,
            hook,
            [ct_bits(CT_STATE, CT_STATE_INVALID), verdict(Verdict::Drop)].concat(),
        );
    }
    push(
        &mut out,
        "input",
        [ifname(META_IIFNAME, "lo"), verdict(Verdict::Accept)].concat(),
    );
    push(
        &mut out,
        "output",
        [ifname(META_OIFNAME, "lo"), verdict(Verdict::Accept)].concat(),
    );
    for zone in &config.zones {
        for interface in &zone.interfaces {
            for (hook, key) in [
                ("input", META_IIFNAME),
                ("forward", META_IIFNAME),
                ("output", META_OIFNAME),
            ] {
                push(
                    &mut out,
                    hook,
                    [
                        ifname(key, interface),
                        verdict(Verdict::Jump(format!("{hook}_{}", zone.name))),
                    ]
                    .concat(),
                );
            }
        }
    }
    for (hook, policy) in [
        ("input", defaults.input),
        ("forward", defaults.forward),
        ("output", defaults.output),
    ] {
        if policy == Policy::Reject {
            reject_rules(&mut out, hook);
        }
    }

    for zone in &config.zones {
        zone_chains(&mut out, config, zone);
    }

    for redirect in &config.redirects {
        if let Some(zone) = config.zone(&redirect.from) {
            for interface in &zone.interfaces {
                push(&mut out, "prerouting", dnat(interface, redirect));
            }
        }
    }
    for zone in config.zones.iter().filter(|z| z.masquerade) {
        for interface in &zone.interfaces {
            push(
                &mut out,
                "postrouting",
                [
                    ifname(META_OIFNAME, interface),
                    nfproto(NFPROTO_IPV4),
                    vec![Expr::Masquerade],
                ]
                .concat(),
            );
        }
    }
    out
}

/// The rules of `zone`'s own chains.
fn zone_chains(out: &mut Ruleset, config: &Config, zone: &Zone) {
    let input = format!("input_{}", zone.name);
    let forward = format!("forward_{}", zone.name);
    let output = format!("output_{}", zone.name);
    for rule in config.rules.iter().filter(|r| r.zone == zone.name) {
        match rule.dest.as_deref().and_then(|d| config.zone(d)) {
            None => push(
                out,
                &input,
                [matches(rule), action(rule.action, rule.proto)].concat(),
            ),
            Some(dest) => {
                for interface in &dest.interfaces {
                    push(
                        out,
                        &forward,
                        [
                            ifname(META_OIFNAME, interface),
                            matches(rule),
                            action(rule.action, rule.proto),
                        ]
                        .concat(),
                    );
                }
            }
        }
    }
    policy_rules(out, &input, zone.input);
    // Port forwards from this zone: let through what prerouting
    // redirected, and only that (the connection was destination-NATed).
    for redirect in config.redirects.iter().filter(|r| r.from == zone.name) {
        let port = redirect.to_port.unwrap_or(redirect.dport);
        push(
            out,
            &forward,
            [
                nfproto(NFPROTO_IPV4),
                l4proto(redirect.proto.number()),
                payload_eq(BASE_NETWORK, 16, &redirect.to.octets()),
                payload_eq(BASE_TRANSPORT, 2, &port.to_be_bytes()),
                ct_bits(CT_STATUS, CT_STATUS_DNAT),
                vec![counter()],
                verdict(Verdict::Accept),
            ]
            .concat(),
        );
    }
    for f in config.forwardings.iter().filter(|f| f.from == zone.name) {
        if let Some(dest) = config.zone(&f.to) {
            for interface in &dest.interfaces {
                push(
                    out,
                    &forward,
                    [ifname(META_OIFNAME, interface), verdict(Verdict::Accept)].concat(),
                );
            }
        }
    }
    policy_rules(out, &forward, zone.forward);
    policy_rules(out, &output, zone.output);
}

fn base_chain(
    out: &mut Ruleset,
    name: &str,
    kind: &str,
    hook: Hook,
    priority: i32,
    policy: Policy,
) {
    out.chains.push(Chain {
        name: name.into(),
        base: Some(BaseChain {
            kind: kind.into(),
            hook: hook as u32,
            priority,
            // A reject policy is a drop policy after reject rules.
            policy: if policy == Policy::Accept {
                Verdict::Accept
            } else {
                Verdict::Drop
            },
        }),
    });
}

fn push(out: &mut Ruleset, chain: &str, exprs: Vec<Expr>) {
    out.rules.push(Rule {
        chain: chain.into(),
        exprs,
    });
}

/// The last rules of a zone chain: its policy as a verdict.
fn policy_rules(out: &mut Ruleset, chain: &str, policy: Policy) {
    match policy {
        Policy::Accept => push(out, chain, verdict(Verdict::Accept)),
        Policy::Drop => push(out, chain, verdict(Verdict::Drop)),
        Policy::Reject => reject_rules(out, chain),
    }
}

/// A TCP reset for TCP, ICMP port unreachable for the rest (as fw4).
fn reject_rules(out: &mut Ruleset, chain: &str) {
    push(out, chain, [l4proto(6), reject(Some(Proto::Tcp))].concat());
    push(out, chain, reject(None));
}

fn reject(proto: Option<Proto>) -> Vec<Expr> {
    vec![if proto == Some(Proto::Tcp) {
        Expr::Reject {
            kind: REJECT_TCP_RST,
            code: 0,
        }
    } else {
        Expr::Reject {
            kind: REJECT_ICMPX,
            code: ICMPX_PORT_UNREACH,
        }
    }]
}

/// A rule's counter and verdict.
fn action(policy: Policy, proto: Option<Proto>) -> Vec<Expr> {
    let mut exprs = vec![counter()];
    exprs.extend(match policy {
        Policy::Accept => verdict(Verdict::Accept),
        Policy::Drop => verdict(Verdict::Drop),
        Policy::Reject => reject(proto),
    });
    exprs
}

/// A rule's matches: family, protocol, addresses and ports, in the order
/// that makes each load safe (ports only after the protocol has them).
fn matches(rule: &ConfigRule) -> Vec<Expr> {
    let mut exprs = Vec::new();
    match rule.family {
        Some(Family::Ipv4) => exprs.extend(nfproto(NFPROTO_IPV4)),
        Some(Family::Ipv6) => exprs.extend(nfproto(NFPROTO_IPV6)),
        None => {}
    }
    if let Some(p) = rule.proto {
        exprs.extend(l4proto(p.number()));
    }
    if let Some(n) = rule.src {
        exprs.extend(address(n, true));
    }
    if let Some(n) = rule.dst {
        exprs.extend(address(n, false));
    }
    if let Some(p) = rule.sport {
        exprs.extend(ports(0, p));
    }
    if let Some(p) = rule.dport {
        exprs.extend(ports(2, p));
    }
    exprs
}

/// The dnat of one redirect arriving on `interface`.
fn dnat(interface: &str, r: &Redirect) -> Vec<Expr> {
    let mut exprs = [
        ifname(META_IIFNAME, interface),
        nfproto(NFPROTO_IPV4),
        l4proto(r.proto.number()),
        payload_eq(BASE_TRANSPORT, 2, &r.dport.to_be_bytes()),
        vec![
            counter(),
            Expr::Immediate {
                dreg: REG_1,
                data: Data::Value(r.to.octets().to_vec()),
            },
        ],
    ]
    .concat();
    if let Some(port) = r.to_port {
        exprs.push(Expr::Immediate {
            dreg: REG_2,
            data: Data::Value(port.to_be_bytes().to_vec()),
        });
    }
    exprs.push(Expr::Nat {
        kind: NatKind::Dnat,
        family: NFPROTO_IPV4,
        reg_addr: Some(REG_1),
        reg_proto: r.to_port.map(|_| REG_2),
    });
    exprs
}

fn counter() -> Expr {
    Expr::Counter {
        bytes: 0,
        packets: 0,
    }
}

fn verdict(v: Verdict) -> Vec<Expr> {
    vec![Expr::Immediate {
        dreg: REG_VERDICT,
        data: Data::Verdict(v),
    }]
}

/// `meta KEY == data`.
fn meta_eq(key: u32, data: Vec<u8>) -> Vec<Expr> {
    vec![
        Expr::Meta { key, dreg: REG_1 },
        Expr::Cmp {
            sreg: REG_1,
            op: CmpOp::Eq,
            data,
        },
    ]
}

/// `iifname`/`oifname` is `name`: the whole name with its NUL padding, or
/// only the part before a final `*`.
fn ifname(key: u32, name: &str) -> Vec<Expr> {
    let data = match name.strip_suffix('*') {
        Some(prefix) => prefix.as_bytes().to_vec(),
        None => {
            let mut d = name.as_bytes().to_vec();
            d.resize(IFNAMSIZ, 0);
            d
        }
    };
    meta_eq(key, data)
}

fn nfproto(family: u8) -> Vec<Expr> {
    meta_eq(META_NFPROTO, vec![family])
}

fn l4proto(proto: u8) -> Vec<Expr> {
    meta_eq(META_L4PROTO, vec![proto])
}

/// `len(data)` bytes at `offset` of header `base` equal `data`.
fn payload_eq(base: u32, offset: u32, data: &[u8]) -> Vec<Expr> {
    vec![
        Expr::Payload {
            base,
            offset,
            len: data.len() as u32,
            dreg: REG_1,
        },
        Expr::Cmp {
            sreg: REG_1,
            op: CmpOp::Eq,
            data: data.to_vec(),
        },
    ]
}

/// The connection's `key` (state or status) has one of `bits`.
fn ct_bits(key: u32, bits: u32) -> Vec<Expr> {
    vec![
        Expr::Ct { key, dreg: REG_1 },
        // Conntrack state and status are in host byte order.
        Expr::Bitwise {
            sreg: REG_1,
            dreg: REG_1,
            mask: bits.to_ne_bytes().to_vec(),
            xor: vec![0; 4],
        },
        Expr::Cmp {
            sreg: REG_1,
            op: CmpOp::Neq,
            data: vec![0; 4],
        },
    ]
}

/// Source (or destination) address in `net`. The caller has matched the
/// family (the parser sets a rule's family from its addresses), so that the
/// load reads an address and not some other header's bytes.
fn address(net: Net, source: bool) -> Vec<Expr> {
    let (offset, bytes) = match net.addr {
        IpAddr::V4(a) => (if source { 12 } else { 16 }, a.octets().to_vec()),
        IpAddr::V6(a) => (if source { 8 } else { 24 }, a.octets().to_vec()),
    };
    let bits = bytes.len() * 8;
    let mut exprs = vec![Expr::Payload {
        base: BASE_NETWORK,
        offset,
        len: bytes.len() as u32,
        dreg: REG_1,
    }];
    if usize::from(net.prefix) < bits {
        let mask: Vec<u8> = (0..bytes.len())
            .map(|i| {
                let have = usize::from(net.prefix).saturating_sub(i * 8).min(8);
                (0xff00u16 >> have) as u8
            })
            .collect();
        exprs.push(Expr::Bitwise {
            sreg: REG_1,
            dreg: REG_1,
            xor: vec![0; mask.len()],
            mask,
        });
    }
    exprs.push(Expr::Cmp {
        sreg: REG_1,
        op: CmpOp::Eq,
        data: bytes,
    });
    exprs
}

/// Transport ports at `offset` (0 source, 2 destination): one, or a range.
fn ports(offset: u32, p: Ports) -> Vec<Expr> {
    if p.from == p.to {
        return payload_eq(BASE_TRANSPORT, offset, &p.from.to_be_bytes());
    }
    vec![
        Expr::Payload {
            base: BASE_TRANSPORT,
            offset,
            len: 2,
            dreg: REG_1,
        },
        Expr::Cmp {
            sreg: REG_1,
            op: CmpOp::Gte,
            data: p.from.to_be_bytes().to_vec(),
        },
        Expr::Cmp {
            sreg: REG_1,
            op: CmpOp::Lte,
            data: p.to.to_be_bytes().to_vec(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::config::parse;
    use crate::nftables::message::Batch;
    use crate::nftables::show::render_table;

    const SMALL: &str = "\
zone lan { interfaces br-lan; input accept; forward accept; }
zone wan { interfaces eth0; input drop; forward reject; masquerade; }
forwarding lan -> wan
rule ssh { zone wan; proto tcp; src 10.1.0.0/16; dport 22; accept; }
redirect web { from wan; proto tcp; dport 8080; to 192.168.1.10:80; }
";

    fn listing(config: &str) -> String {
        let set = compile(&parse(config).expect("parses"));
        let chains: Vec<&Chain> = set.chains.iter().collect();
        let rules: Vec<(&Rule, Option<u64>)> = set.rules.iter().map(|r| (r, None)).collect();
        render_table(set.family, &set.table, &chains, &rules)
    }

    #[test]
    fn compiles_zones_rules_and_nat() {
        let text = listing(SMALL);
        let expected = "\
table inet ibex {
\tchain input {
\t\ttype filter hook input priority 0; policy drop;
\t\tct state established,related accept
\t\tct state invalid drop
\t\tiifname \"lo\" accept
\t\tiifname \"br-lan\" jump input_lan
\t\tiifname \"eth0\" jump input_wan
\t}

\tchain forward {
\t\ttype filter hook forward priority 0; policy drop;
\t\tct state established,related accept
\t\tct state invalid drop
\t\tiifname \"br-lan\" jump forward_lan
\t\tiifname \"eth0\" jump forward_wan
\t}

\tchain output {
\t\ttype filter hook output priority 0; policy accept;
\t\tct state established,related accept
\t\toifname \"lo\" accept
\t\toifname \"br-lan\" jump output_lan
\t\toifname \"eth0\" jump output_wan
\t}

\tchain prerouting {
\t\ttype nat hook prerouting priority -100; policy accept;
\t\tiifname \"eth0\" meta nfproto ipv4 meta l4proto tcp th dport 8080 counter packets 0 bytes 0 dnat ip to 192.168.1.10:80
\t}

\tchain postrouting {
\t\ttype nat hook postrouting priority 100; policy accept;
\t\toifname \"eth0\" meta nfproto ipv4 masquerade
\t}

\tchain input_lan {
\t\taccept
\t}

\tchain forward_lan {
\t\toifname \"eth0\" accept
\t\taccept
\t}

\tchain output_lan {
\t\taccept
\t}

\tchain input_wan {
\t\tmeta nfproto ipv4 meta l4proto tcp ip saddr 10.1.0.0/16 th dport 22 counter packets 0 bytes 0 accept
\t\tdrop
\t}

\tchain forward_wan {
\t\tmeta nfproto ipv4 meta l4proto tcp ip daddr 192.168.1.10 th dport 80 ct status dnat counter packets 0 bytes 0 accept
\t\tmeta l4proto tcp reject with tcp reset
\t\treject with icmpx port-unreachable
\t}

\tchain output_wan {
\t\taccept
\t}
}
";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_small_rule_is_the_expected_bytes() {
        // `rule r { zone z; proto udp; dport 53; drop; }` in chain input_z:
        // meta l4proto == 17, th dport == 53, counter, drop.
        let set = compile(
            &parse("zone z { interfaces v0; }\nrule r { zone z; proto udp; dport 53; drop; }")
                .expect("parses"),
        );
        let rule = set
            .rules
            .iter()
            .find(|r| r.chain == "input_z")
            .expect("the zone's first rule");
        let mut batch = Batch::new(0);
        batch.add_rule(FAMILY_INET, TABLE, rule, 1);
        let bytes = batch.finish().bytes;
        // Begin (20 bytes), then the NEWRULE message.
        let msg = &bytes[20..];
        let len = u32::from_ne_bytes(msg[..4].try_into().expect("length")) as usize;
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[0, 0, 0, 0][..],                    // length, checked below
            &[6, 10],                              // NFT_MSG_NEWRULE | NFNL_SUBSYS_NFTABLES << 8
            &[0x05, 0x0c],                         // REQUEST | ACK | CREATE | APPEND
            &[1, 0, 0, 0], &[0, 0, 0, 0],          // seq 1, port 0
            &[1, 0, 0, 0],                         // nfgenmsg: NFPROTO_INET, v0, res_id 0
            &[9, 0, 1, 0], b"ibex\0", &[0, 0, 0],  // NFTA_RULE_TABLE
            &[12, 0, 2, 0], b"input_z\0",          // NFTA_RULE_CHAIN
            &[16, 1, 4, 0x80],                     // NFTA_RULE_EXPRESSIONS
            // meta load l4proto => reg 1
            &[36, 0, 1, 0x80], &[9, 0, 1, 0], b"meta\0", &[0, 0, 0],
            &[20, 0, 2, 0x80], &[8, 0, 2, 0, 0, 0, 0, 16], &[8, 0, 1, 0, 0, 0, 0, 1],
            // cmp eq reg 1 0x11
            &[44, 0, 1, 0x80], &[8, 0, 1, 0], b"cmp\0",
            &[32, 0, 2, 0x80], &[8, 0, 1, 0, 0, 0, 0, 1], &[8, 0, 2, 0, 0, 0, 0, 0],
            &[12, 0, 3, 0x80], &[5, 0, 1, 0, 17, 0, 0, 0],
            // payload load 2b @ transport header + 2 => reg 1
            &[52, 0, 1, 0x80], &[12, 0, 1, 0], b"payload\0",
            &[36, 0, 2, 0x80], &[8, 0, 1, 0, 0, 0, 0, 1], &[8, 0, 2, 0, 0, 0, 0, 2],
            &[8, 0, 3, 0, 0, 0, 0, 2], &[8, 0, 4, 0, 0, 0, 0, 2],
            // cmp eq reg 1 0x0035
            &[44, 0, 1, 0x80], &[8, 0, 1, 0], b"cmp\0",
            &[32, 0, 2, 0x80], &[8, 0, 1, 0, 0, 0, 0, 1], &[8, 0, 2, 0, 0, 0, 0, 0],
            &[12, 0, 3, 0x80], &[6, 0, 1, 0, 0, 53, 0, 0],
        ]
        .concat();
        assert_eq!(&msg[4..expected.len()], &expected[4..]);
        let rest = &msg[expected.len()..len];
        // counter { bytes 0, packets 0 }, then immediate NF_DROP.
        #[rustfmt::skip]
        let tail: Vec<u8> = [
            &[44, 0, 1, 0x80][..], &[12, 0, 1, 0], b"counter\0",
            &[28, 0, 2, 0x80], &[12, 0, 1, 0], &[0; 8], &[12, 0, 2, 0], &[0; 8],
            &[48, 0, 1, 0x80], &[14, 0, 1, 0], b"immediate\0", &[0, 0],
            &[28, 0, 2, 0x80], &[8, 0, 1, 0, 0, 0, 0, 0],
            &[16, 0, 2, 0x80], &[12, 0, 2, 0x80], &[8, 0, 1, 0, 0, 0, 0, 0],
        ]
        .concat();
        assert_eq!(rest, tail);
        assert_eq!(len, expected.len() + tail.len());
    }

    #[test]
    fn forward_rules_come_before_forwardings() {
        let text = listing(
            "zone lan { interfaces br-lan; forward drop; }\nzone wan { interfaces eth0 eth1; }\n\
             forwarding lan -> wan\n\
             rule no-smb { zone lan; dest wan; proto tcp; dport 137-139; reject; }",
        );
        let expected = "\tchain forward_lan {
\t\toifname \"eth0\" meta l4proto tcp th dport 137-139 counter packets 0 bytes 0 reject with tcp reset
\t\toifname \"eth1\" meta l4proto tcp th dport 137-139 counter packets 0 bytes 0 reject with tcp reset
\t\toifname \"eth0\" accept
\t\toifname \"eth1\" accept
\t\tdrop
\t}
";
        assert!(text.contains(expected), "{text}");
        // Without NAT, no nat chains.
        assert!(!text.contains("type nat"), "{text}");
    }

    #[test]
    fn reject_defaults_and_wildcards() {
        let text = listing(
            "defaults { input reject; }\nzone w { interfaces ppp* eth1; output drop; }\n\
             rule six { zone w; family ipv6; proto icmpv6; src 2001:db8::/33; accept; }",
        );
        assert!(
            text.contains("\t\tiifname \"ppp*\" jump input_w\n"),
            "{text}"
        );
        assert!(text.contains("\t\tmeta l4proto tcp reject with tcp reset\n\t\treject with icmpx port-unreachable\n\t}\n\n\tchain forward {"), "{text}");
        assert!(
            text.contains(
                "meta nfproto ipv6 meta l4proto ipv6-icmp ip6 saddr 2001:db8::/33 counter"
            ),
            "{text}"
        );
        assert!(text.contains("chain output_w {\n\t\tdrop\n"), "{text}");
    }
}
