//! Hardware (MAC) addresses as text: shared by `ip`, `arp` and `udhcpd`,
//! kept apart from the netlink code so that applets without it can use them.

/// Formats a hardware address as colon-separated hex.
pub fn mac_text(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Parses a colon-separated hex hardware address.
pub fn parse_mac(text: &str) -> Option<Vec<u8>> {
    let bytes: Option<Vec<u8>> = text
        .split(':')
        .map(|p| {
            if p.is_empty() || p.len() > 2 {
                None
            } else {
                u8::from_str_radix(p, 16).ok()
            }
        })
        .collect();
    bytes.filter(|b| !b.is_empty())
}
