//! Properties of the codec: what it writes it reads back unchanged, no input
//! makes it panic, and compression pointers cannot make it loop.

use ibex_dns::{Error, Header, Message, Name, Question, RData, Record};
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Names drawn from a few labels, so that suffixes repeat and compression
/// has something to do; case varies to check it is kept.
fn name() -> impl Strategy<Value = Name> {
    let label = prop_oneof![
        Just(b"com".to_vec()),
        Just(b"Example".to_vec()),
        Just(b"example".to_vec()),
        Just(b"www".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..=63),
    ];
    proptest::collection::vec(label, 0..5)
        .prop_filter_map("name too long", |l| Name::from_labels(l).ok())
}

fn rdata() -> impl Strategy<Value = (u16, RData)> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| (1, RData::A(Ipv4Addr::from(a)))),
        any::<[u8; 16]>().prop_map(|a| (28, RData::Aaaa(Ipv6Addr::from(a)))),
        name().prop_map(|n| (5, RData::Cname(n))),
        name().prop_map(|n| (12, RData::Ptr(n))),
        name().prop_map(|n| (2, RData::Ns(n))),
        (any::<u16>(), name()).prop_map(|(preference, exchange)| (
            15,
            RData::Mx {
                preference,
                exchange
            }
        )),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..=255), 0..4)
            .prop_map(|s| (16, RData::Txt(s))),
        (name(), name(), any::<[u32; 5]>()).prop_map(|(mname, rname, v)| (
            6,
            RData::Soa {
                mname,
                rname,
                serial: v[0],
                refresh: v[1],
                retry: v[2],
                expire: v[3],
                minimum: v[4],
            }
        )),
        (any::<[u16; 3]>(), name()).prop_map(|(v, target)| (
            33,
            RData::Srv {
                priority: v[0],
                weight: v[1],
                port: v[2],
                target,
            }
        )),
        // OPT and types this crate does not read: raw bytes.
        (
            prop_oneof![Just(41u16), 256u16..1000],
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(t, b)| (t, RData::Raw(b))),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    (name(), rdata(), any::<u16>(), any::<u32>()).prop_map(|(name, (rtype, data), class, ttl)| {
        Record {
            name,
            rtype,
            class,
            ttl,
            data,
        }
    })
}

fn message() -> impl Strategy<Value = Message> {
    (
        any::<(u16, bool, bool, bool, bool, bool)>(),
        0u8..16,
        0u8..8,
        0u8..16,
        proptest::collection::vec((name(), any::<u16>(), any::<u16>()), 0..3),
        proptest::collection::vec(record(), 0..4),
        proptest::collection::vec(record(), 0..3),
        proptest::collection::vec(record(), 0..3),
    )
        .prop_map(
            |(
                (id, qr, aa, tc, rd, ra),
                opcode,
                z,
                rcode,
                qs,
                answers,
                authorities,
                additionals,
            )| {
                Message {
                    header: Header {
                        id,
                        qr,
                        opcode,
                        aa,
                        tc,
                        rd,
                        ra,
                        z,
                        rcode,
                    },
                    questions: qs
                        .into_iter()
                        .map(|(name, qtype, qclass)| Question {
                            name,
                            qtype,
                            qclass,
                        })
                        .collect(),
                    answers,
                    authorities,
                    additionals,
                }
            },
        )
}

proptest! {
    #[test]
    fn round_trip(m in message()) {
        let bytes = m.encode().unwrap();
        prop_assert_eq!(Message::parse(&bytes).unwrap(), m.clone());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Message::parse(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(m in message(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut bytes = m.encode().unwrap();
        for (at, b) in flips {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = b;
            }
        }
        if let Ok(parsed) = Message::parse(&bytes) {
            // Whatever parses encodes again.
            let _ = parsed.encode();
        }
    }

    #[test]
    fn pointer_loops_are_refused(target in 12u16..64, pad in 0usize..40) {
        // A question whose name is `pad` one-byte labels and then a pointer
        // at or after the name's start: following it would loop.
        let mut bytes = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        let start = bytes.len() as u16;
        for _ in 0..pad {
            bytes.extend_from_slice(&[1, b'a']);
        }
        let at = bytes.len() as u16;
        let target = start + target % (at - start + 1);
        bytes.extend_from_slice(&(0xc000 | target).to_be_bytes());
        bytes.extend_from_slice(&[0, 1, 0, 1]);
        prop_assert_eq!(Message::parse(&bytes), Err(Error::PointerLoop));
    }
}

#[test]
fn compression_points_at_earlier_names() {
    let n = Name::from_dotted("www.example.com").unwrap();
    let m = Message {
        questions: vec![Question {
            name: n.clone(),
            qtype: 1,
            qclass: 1,
        }],
        answers: vec![Record {
            name: n,
            rtype: 5,
            class: 1,
            ttl: 60,
            data: RData::Cname(Name::from_dotted("web.example.com").unwrap()),
        }],
        ..Message::default()
    };
    let bytes = m.encode().unwrap();
    // Question name 17 bytes; owner a 2-byte pointer; CNAME "web" + pointer.
    assert_eq!(bytes.len(), 12 + 17 + 4 + 2 + 10 + 4 + 2);
    assert_eq!(Message::parse(&bytes).unwrap(), m);
}

#[test]
fn truncation_keeps_question_and_sets_tc() {
    let q = Question {
        name: Name::from_dotted("big.example").unwrap(),
        qtype: 16,
        qclass: 1,
    };
    let m = Message {
        questions: vec![q.clone()],
        answers: (0..10)
            .map(|_| Record {
                name: q.name.clone(),
                rtype: 16,
                class: 1,
                ttl: 1,
                data: RData::Txt(vec![vec![b'x'; 200]]),
            })
            .collect(),
        ..Message::default()
    };
    let cut = Message::parse(&m.encode_within(512).unwrap()).unwrap();
    assert!(cut.header.tc);
    assert_eq!(cut.questions, vec![q]);
    assert!(cut.answers.is_empty());
}
