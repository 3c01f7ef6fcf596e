//! nf_tables objects (tables, chains, rules) and the netlink messages that
//! create, delete and describe them, including the batch that makes a set
//! of changes one transaction.

use super::attr::{align, Attrs, Writer};
use super::expr::{Expr, Verdict};

/// NFNL_SUBSYS_NFTABLES: the high byte of every nf_tables message type.
pub const SUBSYS_NFTABLES: u16 = 10;
/// NFNL_MSG_BATCH_BEGIN (NLMSG_MIN_TYPE).
pub const MSG_BATCH_BEGIN: u16 = 0x10;
/// NFNL_MSG_BATCH_END.
pub const MSG_BATCH_END: u16 = 0x11;

// nf_tables_msg_types
/// NFT_MSG_NEWTABLE.
pub const MSG_NEWTABLE: u8 = 0;
/// NFT_MSG_GETTABLE.
pub const MSG_GETTABLE: u8 = 1;
/// NFT_MSG_DELTABLE.
pub const MSG_DELTABLE: u8 = 2;
/// NFT_MSG_NEWCHAIN.
pub const MSG_NEWCHAIN: u8 = 3;
/// NFT_MSG_GETCHAIN.
pub const MSG_GETCHAIN: u8 = 4;
/// NFT_MSG_NEWRULE.
pub const MSG_NEWRULE: u8 = 6;
/// NFT_MSG_GETRULE.
pub const MSG_GETRULE: u8 = 7;

/// NFPROTO_UNSPEC: every family (in dumps).
pub const FAMILY_UNSPEC: u8 = 0;
/// NFPROTO_INET: IPv4 and IPv6 in one table.
pub const FAMILY_INET: u8 = 1;

// Netlink header flags.
/// NLM_F_REQUEST.
pub const NLM_F_REQUEST: u16 = 0x1;
/// NLM_F_ACK.
pub const NLM_F_ACK: u16 = 0x4;
/// NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH).
pub const NLM_F_DUMP: u16 = 0x300;
/// NLM_F_CREATE.
pub const NLM_F_CREATE: u16 = 0x400;
/// NLM_F_APPEND.
pub const NLM_F_APPEND: u16 = 0x800;

// Attributes of tables, chains, hooks and rules.
const NFTA_TABLE_NAME: u16 = 1;
const NFTA_TABLE_HANDLE: u16 = 4;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_HANDLE: u16 = 2;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_HOOK_HOOKNUM: u16 = 1;
const NFTA_HOOK_PRIORITY: u16 = 2;
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_HANDLE: u16 = 3;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
/// NFTA_LIST_ELEM: one expression in NFTA_RULE_EXPRESSIONS.
const NFTA_LIST_ELEM: u16 = 1;

/// Length of a netlink message header.
pub const NLMSG_HEADER: usize = 16;
/// Length of struct nfgenmsg, which starts every nf_tables payload.
pub const NFGENMSG: usize = 4;

/// A netfilter hook (NF_INET_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// NF_INET_PRE_ROUTING.
    Prerouting = 0,
    /// NF_INET_LOCAL_IN.
    Input = 1,
    /// NF_INET_FORWARD.
    Forward = 2,
    /// NF_INET_LOCAL_OUT.
    Output = 3,
    /// NF_INET_POST_ROUTING.
    Postrouting = 4,
}

impl Hook {
    /// nft's name for hook number `n`.
    pub fn name(n: u32) -> &'static str {
        match n {
            0 => "prerouting",
            1 => "input",
            2 => "forward",
            3 => "output",
            4 => "postrouting",
            5 => "ingress",
            _ => "unknown",
        }
    }
}

/// What makes a chain a base chain: where it hooks and what it does with
/// packets no rule decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseChain {
    /// "filter" or "nat".
    pub kind: String,
    /// The hook.
    pub hook: u32,
    /// Order among the hook's chains (lower first).
    pub priority: i32,
    /// Accept or Drop.
    pub policy: Verdict,
}

/// A chain: base chains hook into the stack, the others are jumped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// Its name in the table.
    pub name: String,
    /// Hook, type and policy, for a base chain.
    pub base: Option<BaseChain>,
}

/// A rule: its chain and its expressions in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The chain it is appended to.
    pub chain: String,
    /// Its expressions.
    pub exprs: Vec<Expr>,
}

/// One table and everything in it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ruleset {
    /// NFPROTO_* family of the table.
    pub family: u8,
    /// The table's name.
    pub table: String,
    /// Its chains, in the order they are made (before any rule).
    pub chains: Vec<Chain>,
    /// Its rules, appended in order.
    pub rules: Vec<Rule>,
}

/// Writes one netlink message: header, nfgenmsg and `attrs`.
fn message(
    buf: &mut Vec<u8>,
    kind: u16,
    flags: u16,
    seq: u32,
    family: u8,
    res_id: u16,
    attrs: &[u8],
) {
    let len = NLMSG_HEADER + NFGENMSG + attrs.len();
    buf.extend_from_slice(&(len as u32).to_ne_bytes());
    buf.extend_from_slice(&kind.to_ne_bytes());
    buf.extend_from_slice(&flags.to_ne_bytes());
    buf.extend_from_slice(&seq.to_ne_bytes());
    buf.extend_from_slice(&0u32.to_ne_bytes());
    buf.push(family);
    buf.push(0); // NFNETLINK_V0
    buf.extend_from_slice(&res_id.to_be_bytes());
    buf.extend_from_slice(attrs);
    buf.resize(align(buf.len()), 0);
}

/// The message type of nf_tables operation `op`.
pub fn msg_type(op: u8) -> u16 {
    (SUBSYS_NFTABLES << 8) | u16::from(op)
}

/// A transaction being built: nf_tables messages between a batch begin
/// and end, which the kernel applies all together or not at all.
#[derive(Debug)]
pub struct Batch {
    buf: Vec<u8>,
    first_seq: u32,
    next_seq: u32,
    /// Where the last message starts in `buf`.
    last: usize,
    /// What each message does, by sequence number minus the first one,
    /// for error messages.
    what: Vec<String>,
}

impl Batch {
    /// Starts a batch whose messages are numbered from `seq`.
    pub fn new(seq: u32) -> Batch {
        let mut buf = Vec::new();
        // The batch messages carry the subsystem in res_id: that is how
        // nfnetlink knows whose transaction it is.
        message(
            &mut buf,
            MSG_BATCH_BEGIN,
            NLM_F_REQUEST,
            seq,
            FAMILY_UNSPEC,
            SUBSYS_NFTABLES,
            &[],
        );
        Batch {
            buf,
            first_seq: seq.wrapping_add(1),
            next_seq: seq.wrapping_add(1),
            last: 0,
            what: Vec::new(),
        }
    }

    fn push(&mut self, op: u8, flags: u16, family: u8, attrs: &[u8], what: String) {
        self.last = self.buf.len();
        message(
            &mut self.buf,
            msg_type(op),
            NLM_F_REQUEST | flags,
            self.next_seq,
            family,
            0,
            attrs,
        );
        self.next_seq = self.next_seq.wrapping_add(1);
        self.what.push(what);
    }

    /// Adds table `name`; without NLM_F_EXCL an existing one is no error.
    pub fn add_table(&mut self, family: u8, name: &str) {
        let mut w = Writer::new();
        w.put_str(NFTA_TABLE_NAME, name);
        self.push(
            MSG_NEWTABLE,
            NLM_F_CREATE,
            family,
            &w.buf,
            format!("adding table {name}"),
        );
    }

    /// Deletes table `name` and everything in it.
    pub fn delete_table(&mut self, family: u8, name: &str) {
        let mut w = Writer::new();
        w.put_str(NFTA_TABLE_NAME, name);
        self.push(
            MSG_DELTABLE,
            0,
            family,
            &w.buf,
            format!("deleting table {name}"),
        );
    }

    /// Removes table `name` whether or not it exists: adding it first
    /// makes the delete find it, and both happen in the same transaction
    /// (the kernel has no "delete if present" before Linux 6.3).
    pub fn remove_table(&mut self, family: u8, name: &str) {
        self.add_table(family, name);
        self.delete_table(family, name);
    }

    /// Adds `chain` to `table`.
    pub fn add_chain(&mut self, family: u8, table: &str, chain: &Chain) {
        let mut w = Writer::new();
        w.put_str(NFTA_CHAIN_TABLE, table);
        w.put_str(NFTA_CHAIN_NAME, &chain.name);
        if let Some(base) = &chain.base {
            w.nest(NFTA_CHAIN_HOOK, |h| {
                h.put_be32(NFTA_HOOK_HOOKNUM, base.hook);
                h.put_be32(NFTA_HOOK_PRIORITY, base.priority as u32);
            });
            w.put_be32(NFTA_CHAIN_POLICY, base.policy.code() as u32);
            w.put_str(NFTA_CHAIN_TYPE, &base.kind);
        }
        self.push(
            MSG_NEWCHAIN,
            NLM_F_CREATE,
            family,
            &w.buf,
            format!("adding chain {}", chain.name),
        );
    }

    /// Appends `rule` to its chain in `table`; `index` numbers it in the
    /// error messages.
    pub fn add_rule(&mut self, family: u8, table: &str, rule: &Rule, index: usize) {
        let mut w = Writer::new();
        w.put_str(NFTA_RULE_TABLE, table);
        w.put_str(NFTA_RULE_CHAIN, &rule.chain);
        w.nest(NFTA_RULE_EXPRESSIONS, |list| {
            for e in &rule.exprs {
                e.encode(list);
            }
        });
        self.push(
            MSG_NEWRULE,
            NLM_F_CREATE | NLM_F_APPEND,
            family,
            &w.buf,
            format!("adding rule {index} to chain {}", rule.chain),
        );
    }

    /// Replaces whatever table of `ruleset`'s name is there with it.
    pub fn replace(&mut self, ruleset: &Ruleset) {
        self.remove_table(ruleset.family, &ruleset.table);
        self.add_table(ruleset.family, &ruleset.table);
        for chain in &ruleset.chains {
            self.add_chain(ruleset.family, &ruleset.table, chain);
        }
        for (i, rule) in ruleset.rules.iter().enumerate() {
            self.add_rule(ruleset.family, &ruleset.table, rule, i + 1);
        }
    }

    /// Ends the batch: the bytes to send, the sequence number of its first
    /// message, and what each one does.
    pub fn finish(mut self) -> Finished {
        // Only the last message asks for an acknowledgement: the kernel
        // answers a failed message whether asked or not, and sends all
        // answers after the whole batch, in order, so the last one's
        // answer comes after every error. Acknowledging each message
        // instead would queue one answer per rule, which a large ruleset
        // could overflow the socket's receive buffer with.
        if !self.what.is_empty() {
            if let Some(flags) = self.buf.get_mut(self.last + 6..self.last + 8) {
                let value = u16::from_ne_bytes([flags[0], flags[1]]) | NLM_F_ACK;
                flags.copy_from_slice(&value.to_ne_bytes());
            }
        }
        message(
            &mut self.buf,
            MSG_BATCH_END,
            NLM_F_REQUEST,
            self.next_seq,
            FAMILY_UNSPEC,
            SUBSYS_NFTABLES,
            &[],
        );
        Finished {
            bytes: self.buf,
            first_seq: self.first_seq,
            what: self.what,
        }
    }
}

/// A batch ready to send.
#[derive(Debug)]
pub struct Finished {
    /// The messages, begin to end.
    pub bytes: Vec<u8>,
    /// Sequence number of the first message after the batch begin; the
    /// others follow one by one, and the last one is acknowledged.
    pub first_seq: u32,
    /// What each acknowledged message does.
    pub what: Vec<String>,
}

/// A table as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// NFPROTO_* family.
    pub family: u8,
    /// Name.
    pub name: String,
    /// Kernel handle.
    pub handle: u64,
}

/// A chain as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainInfo {
    /// NFPROTO_* family.
    pub family: u8,
    /// The table.
    pub table: String,
    /// The chain.
    pub chain: Chain,
    /// Kernel handle.
    pub handle: u64,
}

/// A rule as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// NFPROTO_* family.
    pub family: u8,
    /// The table.
    pub table: String,
    /// Chain and expressions.
    pub rule: Rule,
    /// Kernel handle.
    pub handle: u64,
}

/// Splits an nf_tables message body into its family and attributes.
fn body(payload: &[u8]) -> Option<(u8, Attrs<'_>)> {
    let family = *payload.first()?;
    Some((family, Attrs::new(payload.get(NFGENMSG..)?)))
}

/// Decodes a NEWTABLE answer (the payload after the netlink header).
pub fn decode_table(payload: &[u8]) -> Option<TableInfo> {
    let (family, attrs) = body(payload)?;
    Some(TableInfo {
        family,
        name: attrs.clone().get(NFTA_TABLE_NAME)?.text(),
        handle: attrs
            .get(NFTA_TABLE_HANDLE)
            .and_then(|a| a.be64())
            .unwrap_or(0),
    })
}

/// Decodes a NEWCHAIN answer.
pub fn decode_chain(payload: &[u8]) -> Option<ChainInfo> {
    let (family, attrs) = body(payload)?;
    let get = |kind| attrs.clone().get(kind);
    let base = match get(NFTA_CHAIN_HOOK) {
        Some(hook) => {
            let hook_attrs = hook.nested();
            Some(BaseChain {
                kind: get(NFTA_CHAIN_TYPE).map(|a| a.text()).unwrap_or_default(),
                hook: hook_attrs.clone().get(NFTA_HOOK_HOOKNUM)?.be32()?,
                priority: hook_attrs.get(NFTA_HOOK_PRIORITY)?.be32()? as i32,
                policy: Verdict::from_code(
                    get(NFTA_CHAIN_POLICY).and_then(|a| a.be32()).unwrap_or(1) as i32,
                    None,
                ),
            })
        }
        None => None,
    };
    Some(ChainInfo {
        family,
        table: get(NFTA_CHAIN_TABLE)?.text(),
        chain: Chain {
            name: get(NFTA_CHAIN_NAME)?.text(),
            base,
        },
        handle: get(NFTA_CHAIN_HANDLE).and_then(|a| a.be64()).unwrap_or(0),
    })
}

/// Decodes a NEWRULE answer.
pub fn decode_rule(payload: &[u8]) -> Option<RuleInfo> {
    let (family, attrs) = body(payload)?;
    let get = |kind| attrs.clone().get(kind);
    let exprs = get(NFTA_RULE_EXPRESSIONS)
        .map(|list| {
            list.nested()
                .filter(|e| e.kind == NFTA_LIST_ELEM)
                .map(Expr::decode)
                .collect()
        })
        .unwrap_or_default();
    Some(RuleInfo {
        family,
        table: get(NFTA_RULE_TABLE)?.text(),
        rule: Rule {
            chain: get(NFTA_RULE_CHAIN)?.text(),
            exprs,
        },
        handle: get(NFTA_RULE_HANDLE).and_then(|a| a.be64()).unwrap_or(0),
    })
}

/// A dump request for `op` (GETTABLE, GETCHAIN, GETRULE) in `family`.
pub fn dump_request(op: u8, family: u8, seq: u32) -> Vec<u8> {
    let mut buf = Vec::new();
    message(
        &mut buf,
        msg_type(op),
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        family,
        0,
        &[],
    );
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nftables::expr::{CmpOp, META_L4PROTO, REG_1};

    #[test]
    fn batch_frames_messages_between_begin_and_end() {
        let mut b = Batch::new(100);
        b.add_table(FAMILY_INET, "ibex");
        let f = b.finish();
        let expected: &[u8] = &[
            // BATCH_BEGIN: len 20, type 0x10, flags REQUEST, seq 100, pid 0,
            // nfgenmsg { AF_UNSPEC, v0, res_id htons(10) }
            20, 0, 0, 0, 0x10, 0, 1, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10,
            // NEWTABLE: len 32, type 0x0a00, flags REQUEST|ACK|CREATE, seq 101,
            // nfgenmsg { NFPROTO_INET }, NFTA_TABLE_NAME "ibex\0"
            32, 0, 0, 0, 0, 10, 5, 4, 101, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 1, 0, b'i', b'b',
            b'e', b'x', 0, 0, 0, 0, // BATCH_END, seq 102
            20, 0, 0, 0, 0x11, 0, 1, 0, 102, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10,
        ];
        assert_eq!(f.bytes, expected);
        assert_eq!(f.first_seq, 101);
        assert_eq!(f.what, ["adding table ibex"]);
    }

    #[test]
    fn chains_and_rules_decode_to_what_was_sent() {
        let chain = Chain {
            name: "input".into(),
            base: Some(BaseChain {
                kind: "filter".into(),
                hook: Hook::Input as u32,
                priority: -100,
                policy: Verdict::Drop,
            }),
        };
        let rule = Rule {
            chain: "input".into(),
            exprs: vec![
                Expr::Meta {
                    key: META_L4PROTO,
                    dreg: REG_1,
                },
                Expr::Cmp {
                    sreg: REG_1,
                    op: CmpOp::Eq,
                    data: vec![6],
                },
            ],
        };
        let mut b = Batch::new(0);
        b.add_chain(FAMILY_INET, "ibex", &chain);
        b.add_rule(FAMILY_INET, "ibex", &rule, 1);
        let f = b.finish();
        // Skip the begin message and each message's netlink header.
        let chain_msg = &f.bytes[20..];
        let chain_len = u32::from_ne_bytes(chain_msg[..4].try_into().unwrap()) as usize;
        let decoded = decode_chain(&chain_msg[NLMSG_HEADER..chain_len]).unwrap();
        assert_eq!(decoded.chain, chain);
        assert_eq!(decoded.table, "ibex");
        let rule_msg = &chain_msg[align(chain_len)..];
        let rule_len = u32::from_ne_bytes(rule_msg[..4].try_into().unwrap()) as usize;
        let decoded = decode_rule(&rule_msg[NLMSG_HEADER..rule_len]).unwrap();
        assert_eq!(decoded.rule, rule);
    }

    #[test]
    fn short_answers_do_not_decode() {
        assert_eq!(decode_table(&[]), None);
        assert_eq!(decode_chain(&[1, 0, 0, 0]), None);
        assert_eq!(decode_rule(&[1, 0, 0, 0, 200, 0]), None);
    }
}
