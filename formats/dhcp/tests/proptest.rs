//! Property tests: every message encodes and parses back to itself, and
//! no input makes the parsers panic.

use std::net::Ipv4Addr;

use ibex_dhcp::{frame, Message, MessageType, Options, StaticRoute};
use proptest::prelude::*;

fn addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn route() -> impl Strategy<Value = StaticRoute> {
    (0u8..=32, any::<u32>(), addr()).prop_map(|(len, dest, router)| {
        // Only the significant bytes travel: the others must be zero.
        let keep = usize::from(len).div_ceil(8);
        let mut d = dest.to_be_bytes();
        for b in d.iter_mut().skip(keep) {
            *b = 0;
        }
        StaticRoute {
            destination: Ipv4Addr::from(d),
            prefix_len: len,
            router,
        }
    })
}

fn options() -> impl Strategy<Value = Options> {
    let a = (
        proptest::option::of(any::<u8>().prop_map(MessageType::from)),
        proptest::option::of(addr()),
        proptest::collection::vec(addr(), 0..4),
        proptest::collection::vec(addr(), 0..80),
        proptest::option::of(bytes(300)),
        proptest::option::of(bytes(40)),
        proptest::option::of(addr()),
        proptest::collection::vec(addr(), 0..3),
    );
    let b = (
        proptest::option::of(addr()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(addr()),
        proptest::option::of(bytes(20)),
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(bytes(20)),
        proptest::collection::vec(route(), 0..4),
        proptest::collection::btree_map(any::<u8>(), bytes(300), 0..4),
    );
    (a, b).prop_map(
        |(
            (
                message_type,
                subnet_mask,
                routers,
                dns_servers,
                hostname,
                domain_name,
                broadcast,
                ntp,
            ),
            (
                requested_ip,
                lease_time,
                server_id,
                prl,
                max_size,
                t1,
                client_id,
                static_routes,
                other,
            ),
        )| Options {
            message_type,
            subnet_mask,
            routers,
            dns_servers,
            hostname,
            domain_name,
            broadcast,
            ntp_servers: ntp,
            requested_ip,
            lease_time,
            server_id,
            parameter_request_list: prl,
            message: None,
            max_message_size: max_size,
            renewal_time: t1,
            rebinding_time: lease_time.map(|t| t / 2),
            vendor_class: None,
            client_id,
            static_routes,
            other: other
                .into_iter()
                .filter(|(c, _)| !ibex_dhcp::is_known_option(*c))
                .collect(),
        },
    )
}

/// Text fields as the wire keeps them: no NUL inside.
fn text(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(1u8..=255, 0..max)
}

fn message() -> impl Strategy<Value = Message> {
    (
        (
            any::<bool>(),
            any::<u8>(),
            0u8..=16,
            any::<u8>(),
            any::<u32>(),
        ),
        (any::<u16>(), any::<u16>(), addr(), addr(), addr(), addr()),
        (any::<[u8; 16]>(), text(65), text(129), options()),
    )
        .prop_map(
            |(
                (reply, htype, hlen, hops, xid),
                (secs, flags, ciaddr, yiaddr, siaddr, giaddr),
                (chaddr, sname, file, options),
            )| Message {
                op: if reply { 2 } else { 1 },
                htype,
                hlen,
                hops,
                xid,
                secs,
                flags,
                ciaddr,
                yiaddr,
                siaddr,
                giaddr,
                chaddr,
                sname: sname.into_iter().take(64).collect(),
                file: file.into_iter().take(128).collect(),
                options,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_parse_round_trip(m in message()) {
        let bytes = m.encode();
        prop_assert_eq!(Message::parse(&bytes), Ok(m));
    }

    #[test]
    fn small_messages_fit_in_576(mut m in message()) {
        m.sname.clear();
        m.file.clear();
        let total: usize = m.options.items().iter().map(|(_, v)| v.len() + 2 * v.len().div_ceil(255).max(1)).sum();
        let bytes = m.encode();
        // The three fields hold 494 bytes; splitting at their borders costs a few.
        if total < 480 {
            prop_assert!(bytes.len() + 28 <= 576, "{} bytes", bytes.len());
        }
        prop_assert_eq!(Message::parse(&bytes), Ok(m));
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in bytes(700)) {
        let _ = Message::parse(&b);
        let _ = frame::parse(&b);
    }

    #[test]
    fn mutated_messages_never_panic(m in message(), at in any::<usize>(), v in any::<u8>(), cut in any::<usize>()) {
        let mut b = m.encode();
        let i = at % b.len();
        b[i] = v;
        let _ = Message::parse(&b);
        b.truncate(cut % (b.len() + 1));
        let _ = Message::parse(&b);
    }

    #[test]
    fn frames_round_trip(src in addr(), dst in addr(), sp in any::<u16>(), dp in any::<u16>(), p in bytes(600)) {
        let packet = frame::build(src, sp, dst, dp, &p);
        let d = frame::parse(&packet).expect("parse");
        prop_assert_eq!((d.source, d.destination, d.source_port, d.destination_port), (src, dst, sp, dp));
        prop_assert_eq!(d.payload, &p[..]);
    }
}
