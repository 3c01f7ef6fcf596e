use crate::sysimage::*;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use ibex_package::keys::SigningKey;
use ibex_package::sha256;
use proptest::prelude::*;

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed([n; 32])
}

fn payload() -> Vec<u8> {
    (0..200u32).map(|i| (i * 7 + 3) as u8).collect()
}

fn sealed() -> Vec<u8> {
    seal(
        "qemu-x86_64",
        "2026.11.0",
        PayloadKind::EfiSlot,
        &payload(),
        &key(1),
    )
    .unwrap()
}

#[test]
fn roundtrip() {
    let file = sealed();
    assert_eq!(file.len(), HEADER_LEN + 200);
    let (header, body) = open(&file, &[key(2).public(), key(1).public()]).unwrap();
    assert_eq!(body, &payload()[..]);
    assert_eq!(
        header,
        Header {
            board: "qemu-x86_64".into(),
            version: "2026.11.0".into(),
            build_id: sha256(&payload()),
            kind: PayloadKind::EfiSlot,
            payload_size: 200,
            payload_crc32: crc32fast::hash(&payload()),
            key_id: key(1).public().id(),
        }
    );
    assert_eq!(parse_header(&file[..HEADER_LEN]).unwrap(), header);
    assert_eq!(
        verify_header(&file[..HEADER_LEN], &[key(1).public()]).unwrap(),
        header
    );
    assert_eq!(check_payload(&header, body), Ok(()));
}

#[test]
fn layout_matches_the_documented_offsets() {
    let file = seal("apu2", "1", PayloadKind::Flash, b"", &key(1)).unwrap();
    assert_eq!(file.len(), HEADER_LEN);
    assert_eq!(&file[..4], b"IBXS");
    assert_eq!(&file[4..8], &[1, 0, 0, 2]);
    assert_eq!(&file[8..12], b"apu2");
    assert!(file[12..40].iter().all(|&b| b == 0));
    assert_eq!(&file[40..42], b"1\0");
    assert_eq!(&file[72..104], &sha256(b""));
    assert_eq!(&file[104..108], &[2, 0, 0, 0]);
    assert_eq!(&file[108..116], &[0; 8]);
    assert_eq!(&file[116..120], &[0; 4]); // CRC32 of nothing
    assert_eq!(&file[120..128], &key(1).public().id());
    assert!(key(1).public().verify(&[&file[..128]], &file[128..192]));
    assert!(file[192..].iter().all(|&b| b == 0));
}

#[test]
fn empty_payload_and_full_length_names() {
    let name = "b".repeat(32);
    let file = seal(&name, &name, PayloadKind::Flash, b"", &key(3)).unwrap();
    let (header, body) = open(&file, &[key(3).public()]).unwrap();
    assert_eq!(header.board, name);
    assert_eq!(header.version, name);
    assert!(body.is_empty());
}

#[test]
fn seal_refuses_bad_names() {
    let k = key(1);
    let seal_named = |board: &str, version: &str| {
        seal(board, version, PayloadKind::EfiSlot, b"x", &k).unwrap_err()
    };
    assert_eq!(seal_named("", "1"), Error::BadField("board"));
    assert_eq!(seal_named(&"b".repeat(33), "1"), Error::BadField("board"));
    assert_eq!(seal_named("a\0b", "1"), Error::BadField("board"));
    assert_eq!(seal_named("pc", ""), Error::BadField("version"));
    assert_eq!(seal_named("pc", "1\0"), Error::BadField("version"));
}

#[test]
fn specific_errors() {
    let file = sealed();
    let trusted = [key(1).public()];
    assert_eq!(parse_header(b"IB").unwrap_err(), Error::TooShort);
    assert_eq!(parse_header(b"MZ\x90\0").unwrap_err(), Error::BadMagic);
    assert_eq!(parse_header(&file[..6]).unwrap_err(), Error::TooShort);
    assert_eq!(parse_header(&file[..511]).unwrap_err(), Error::TooShort);

    let mut f = file.clone();
    f[4] = 2;
    assert_eq!(parse_header(&f).unwrap_err(), Error::UnsupportedVersion(2));
    let mut f = file.clone();
    f[6] = 1;
    assert_eq!(parse_header(&f).unwrap_err(), Error::BadHeaderLength);
    let mut f = file.clone();
    f[104] = 3;
    assert_eq!(
        parse_header(&f).unwrap_err(),
        Error::BadField("payload kind")
    );
    let mut f = file.clone();
    f[8..40].fill(0);
    assert_eq!(parse_header(&f).unwrap_err(), Error::BadField("board"));
    let mut f = file.clone();
    f[30] = b'x'; // text after the NUL padding started
    assert_eq!(parse_header(&f).unwrap_err(), Error::BadField("board"));
    let mut f = file.clone();
    f[40] = 0xff; // not UTF-8
    assert_eq!(parse_header(&f).unwrap_err(), Error::BadField("version"));
    let mut f = file.clone();
    f[106] = 1;
    assert_eq!(parse_header(&f).unwrap_err(), Error::ReservedNotZero);
    let mut f = file.clone();
    f[511] = 1;
    assert_eq!(parse_header(&f).unwrap_err(), Error::ReservedNotZero);

    assert_eq!(
        open(&file, &[key(2).public()]).unwrap_err(),
        Error::UnknownKey(key(1).public().id())
    );
    assert_eq!(
        open(&file, &[]).unwrap_err(),
        Error::UnknownKey(key(1).public().id())
    );
    let mut f = file.clone();
    f[150] ^= 0x10;
    assert_eq!(open(&f, &trusted).unwrap_err(), Error::BadSignature);
    let mut f = file.clone();
    f[9] ^= 0x01; // 'e' -> 'd': still a valid board, but not what was signed
    assert_eq!(open(&f, &trusted).unwrap_err(), Error::BadSignature);

    let mut f = file.clone();
    f.push(0);
    assert_eq!(
        open(&f, &trusted).unwrap_err(),
        Error::SizeMismatch {
            expected: 200,
            actual: 201
        }
    );
    assert_eq!(
        open(&file[..600], &trusted).unwrap_err(),
        Error::SizeMismatch {
            expected: 200,
            actual: 88
        }
    );
    let mut f = file.clone();
    f[600] ^= 0x80;
    assert_eq!(open(&f, &trusted).unwrap_err(), Error::CrcMismatch);
}

#[test]
fn digest_is_checked_after_the_crc() {
    // A header signed by a trusted key, whose CRC matches the payload but
    // whose build id does not: only the SHA-256 catches it.
    let k = key(1);
    let mut f = sealed();
    f[72] ^= 1;
    let signature = k.sign(&[&f[..128]]);
    f[128..192].copy_from_slice(&signature);
    assert_eq!(open(&f, &[k.public()]).unwrap_err(), Error::DigestMismatch);
}

#[test]
fn verify_header_needs_no_payload() {
    let file = sealed();
    let header = verify_header(&file[..HEADER_LEN], &[key(1).public()]).unwrap();
    assert_eq!(
        check_payload(&header, &file[HEADER_LEN..HEADER_LEN + 10]),
        Err(Error::SizeMismatch {
            expected: 200,
            actual: 10
        })
    );
    assert_eq!(check_payload(&header, &file[HEADER_LEN..]), Ok(()));
}

#[test]
fn every_flipped_bit_is_refused() {
    let file = sealed();
    let trusted = [key(1).public()];
    let mut f = file.clone();
    for i in 0..file.len() * 8 {
        f[i / 8] ^= 1 << (i % 8);
        assert!(open(&f, &trusted).is_err(), "bit {i} flipped was accepted");
        f[i / 8] ^= 1 << (i % 8);
    }
}

#[test]
fn errors_display() {
    let all = [
        Error::TooShort,
        Error::BadMagic,
        Error::UnsupportedVersion(9),
        Error::BadHeaderLength,
        Error::BadField("board"),
        Error::ReservedNotZero,
        Error::UnknownKey([0xab; 8]),
        Error::BadSignature,
        Error::SizeMismatch {
            expected: 1,
            actual: 2,
        },
        Error::CrcMismatch,
        Error::DigestMismatch,
    ];
    for e in all {
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(
        Error::UnknownKey([0xab; 8]).to_string(),
        "signed by an untrusted key abababababababab"
    );
    assert_eq!(PayloadKind::EfiSlot.to_string(), "EFI slot");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
        let trusted = [key(1).public()];
        let _ = parse_header(&bytes);
        let _ = verify_header(&bytes, &trusted);
        let _ = open(&bytes, &trusted);
    }

    #[test]
    fn arbitrary_headers_never_panic(
        body in proptest::collection::vec(any::<u8>(), 504..1200),
        zero_reserved in any::<bool>(),
    ) {
        // Valid magic, version and length so that the fields are reached.
        let mut bytes = vec![b'I', b'B', b'X', b'S', 1, 0, 0, 2];
        bytes.extend_from_slice(&body);
        if zero_reserved {
            bytes[105..108].fill(0);
            bytes[192..512].fill(0);
        }
        let trusted = [key(1).public()];
        let _ = parse_header(&bytes);
        let _ = open(&bytes, &trusted);
    }

    #[test]
    fn any_payload_roundtrips(
        payload in proptest::collection::vec(any::<u8>(), 0..2000),
        board in "[a-z0-9-]{1,32}",
        version in "\\PC{1,8}",
        flash in any::<bool>(),
    ) {
        let kind = if flash { PayloadKind::Flash } else { PayloadKind::EfiSlot };
        let file = seal(&board, &version, kind, &payload, &key(4)).unwrap();
        let (header, body) = open(&file, &[key(4).public()]).unwrap();
        prop_assert_eq!(body, &payload[..]);
        prop_assert_eq!(header.board, board);
        prop_assert_eq!(header.version, version);
        prop_assert_eq!(header.kind, kind);
    }
}
