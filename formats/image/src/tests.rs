//! Unit and property tests, one file per module.

mod efi;
mod gpt;
mod sysimage;
