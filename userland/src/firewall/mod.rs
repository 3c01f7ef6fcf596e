//! `ibox fw`'s firewall: the configuration file ([`config`]) and what it
//! compiles to in nf_tables ([`compile`]).

pub mod compile;
pub mod config;
