//! `fw check|reload|print [-c FILE]`, `fw show`, `fw flush`: a declarative
//! firewall. `/etc/firewall.conf` names zones of interfaces, what may pass
//! between them, rules and port forwards; `fw reload` compiles it into the
//! nf_tables table `inet ibex` and swaps it in as one transaction (the old
//! table goes in the same transaction, so there is no moment without a
//! firewall, and a refused ruleset leaves the running one as it was).
//!
//! The file is sections of `setting values;` in braces; `#` starts a
//! comment, and the `;` before a `}` may be left out:
//!
//! ```text
//! defaults { input drop; forward drop; output accept; }   # the defaults
//! zone lan { interfaces br-lan; input accept; forward accept; }
//! zone wan { interfaces eth0 ppp*; input drop; forward drop; masquerade; }
//! forwarding lan -> wan
//! rule allow-ssh-lan { zone lan; proto tcp; dport 22; accept; }
//! rule ping-wan { zone wan; proto icmp; accept; }
//! rule no-smb { zone lan; dest wan; proto tcp; dport 137-139; reject; }
//! redirect web { from wan; proto tcp; dport 8080; to 192.168.1.10:80; }
//! ```
//!
//! * `defaults`: policies (accept, drop, reject) for traffic on interfaces
//!   of no zone; established and related traffic and loopback always pass.
//! * `zone NAME`: `interfaces` (a final `*` matches a prefix; an interface
//!   is in at most one zone, patterns included), `input` (to this host),
//!   `forward` (through it, to zones no forwarding allows), `output` (from
//!   it, out through the zone) policies, each the `defaults` one unless
//!   given, and `masquerade` (IPv4 leaving through the zone takes the
//!   interface's address).
//! * `forwarding A -> B`: traffic from zone A may leave through zone B.
//! * `rule NAME`: `zone Z` (where the traffic comes from), `dest Z` (where
//!   it goes; without it the rule is about traffic to this host), `family
//!   ipv4|ipv6`, `proto tcp|udp|icmp|icmpv6|N`, `src`/`dst` ADDR[/LEN],
//!   `sport`/`dport` PORT or FROM-TO (with tcp or udp), and one of
//!   `accept`, `drop`, `reject`. Rules are tried in file order before the
//!   zone's policy.
//! * `redirect NAME`: `from Z`, `proto tcp|udp`, `dport PORT`, `to
//!   ADDR[:PORT]` (IPv4): a port forward, with the forward accept it needs.
//!
//! `fw check` reports the first mistake as `FILE:LINE: message` and exits
//! 1; `fw reload` does the same before touching the kernel. `fw print`
//! shows what `reload` would load, `fw show` what the kernel has (every
//! table, in nft's listing syntax), `fw flush` removes the `ibex` table.

use std::ffi::OsString;

use crate::common::{error_msg, getopt, usage_error, Exit, EXIT_FAILURE};
use crate::firewall::compile::{compile, TABLE};
use crate::firewall::config::{parse, Config};
use crate::nftables::message::{Batch, Chain, Rule, Ruleset, FAMILY_INET};
use crate::nftables::show::render_table;
use crate::nftables::socket::Nftables;

/// Usage text, printed after "Usage: fw ".
pub const USAGE: &str = "{ check | reload | print } [-c FILE] | show | flush\n\nDeclarative firewall: zones, policies, masquerade, port forwards, rules\n\n\tcheck\tValidate FILE\n\treload\tValidate FILE and load it into the kernel (all or nothing)\n\tprint\tShow the rules FILE compiles to\n\tshow\tList the kernel's tables, chains and rules\n\tflush\tRemove the firewall's table\n\t-c FILE\tConfiguration (default /etc/firewall.conf)";

/// The configuration read when no `-c` is given.
const DEFAULT_CONFIG: &str = "/etc/firewall.conf";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "c:", &[("config", 'c')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let file = p
        .value('c')
        .map(|f| crate::common::lossy(f).into_owned())
        .unwrap_or_else(|| DEFAULT_CONFIG.to_string());
    let command = match p.operands.as_slice() {
        [c] => crate::common::lossy(c).into_owned(),
        [] => return usage_error("fw", "no command given"),
        _ => return usage_error("fw", "one command at a time"),
    };
    match command.as_str() {
        "check" => match load(&file) {
            Some(_) => 0,
            None => EXIT_FAILURE,
        },
        "print" => match load(&file) {
            Some(config) => {
                print!("{}", render_ruleset(&compile(&config)));
                0
            }
            None => EXIT_FAILURE,
        },
        "reload" => match load(&file) {
            Some(config) => apply(|b| b.replace(&compile(&config))),
            None => EXIT_FAILURE,
        },
        "flush" => apply(|b| b.remove_table(FAMILY_INET, TABLE)),
        "show" => show(),
        other => usage_error("fw", &format!("unknown command '{other}'")),
    }
}

/// Reads and checks `file`, reporting what is wrong with it.
fn load(file: &str) -> Option<Config> {
    let text = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            crate::common::perror("fw", file, &e);
            return None;
        }
    };
    let Ok(text) = String::from_utf8(text) else {
        eprintln!("{file}: not UTF-8 text");
        return None;
    };
    match parse(&text) {
        Ok(config) => Some(config),
        Err(e) => {
            eprintln!("{file}:{}: {e}", e.line);
            None
        }
    }
}

/// Sends the batch `fill` builds as one transaction.
fn apply(fill: impl FnOnce(&mut Batch)) -> i32 {
    let result = Nftables::open().and_then(|mut nft| {
        let mut batch = Batch::new(nft.next_seq(0));
        fill(&mut batch);
        let finished = batch.finish();
        // Leave room for every sequence number the batch used.
        nft.next_seq(finished.what.len() as u32 + 2);
        nft.commit(finished)
    });
    match result {
        Ok(()) => 0,
        Err(e) => {
            error_msg("fw", &e.to_string());
            EXIT_FAILURE
        }
    }
}

/// Lists every table in the kernel with its chains and rules.
fn show() -> i32 {
    let listed =
        Nftables::open().and_then(|mut nft| Ok((nft.tables()?, nft.chains()?, nft.rules()?)));
    let (tables, chains, rules) = match listed {
        Ok(l) => l,
        Err(e) => {
            error_msg("fw", &e.to_string());
            return EXIT_FAILURE;
        }
    };
    let mut out = String::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mine = |family: u8, name: &str| family == table.family && name == table.name;
        let table_chains: Vec<&Chain> = chains
            .iter()
            .filter(|c| mine(c.family, &c.table))
            .map(|c| &c.chain)
            .collect();
        let table_rules: Vec<(&Rule, Option<u64>)> = rules
            .iter()
            .filter(|r| mine(r.family, &r.table))
            .map(|r| (&r.rule, Some(r.handle)))
            .collect();
        out.push_str(&render_table(
            table.family,
            &table.name,
            &table_chains,
            &table_rules,
        ));
    }
    print!("{out}");
    0
}

/// The listing of a compiled ruleset, as `show` would print it loaded.
fn render_ruleset(set: &Ruleset) -> String {
    let chains: Vec<&Chain> = set.chains.iter().collect();
    let rules: Vec<(&Rule, Option<u64>)> = set.rules.iter().map(|r| (r, None)).collect();
    render_table(set.family, &set.table, &chains, &rules)
}
