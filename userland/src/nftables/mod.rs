//! nf_tables spoken directly over netlink, for `ibox fw`.
//!
//! There is no `nft` on an Ibex system and the Rust nftables crates either
//! run `nft` or bind libnftnl, so the messages are written here from the
//! kernel's `include/uapi/linux/netfilter/nf_tables.h`: tables, chains and
//! rules (NFT_MSG_NEW*/DEL*), sent between NFNL_MSG_BATCH_BEGIN and
//! NFNL_MSG_BATCH_END so that the kernel commits them as one transaction,
//! and read back with dumps (NFT_MSG_GET*) for `fw show`.
//!
//! * [`attr`]: netlink attributes, written and read safely;
//! * [`expr`]: the expressions of a rule (meta, payload, cmp, bitwise, ct,
//!   immediate, nat, masq, counter, reject);
//! * [`message`]: tables, chains, rules, the batch, and decoding dumps;
//! * [`socket`]: the netlink conversation;
//! * [`show`]: rendering in nft's listing syntax.

pub mod attr;
pub mod expr;
pub mod message;
pub mod show;
pub mod socket;
