use crate::efi::*;
use crate::gpt::Guid;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use proptest::prelude::*;

fn guid() -> Guid {
    Guid::parse("01234567-89AB-CDEF-0123-456789ABCDEF").unwrap()
}

fn option() -> LoadOption {
    LoadOption {
        attributes: LOAD_OPTION_ACTIVE,
        description: "Ibex A".into(),
        hard_drive: Some(HardDrive {
            partition_number: 1,
            start_lba: 2048,
            size_lba: 65_536,
            partition_guid: guid(),
        }),
        file_path: Some("\\EFI\\BOOT\\BOOTX64.EFI".into()),
        optional_data: ucs2("ro"),
    }
}

/// `option()` written out by hand from UEFI 2.10 sections 3.1.3 and
/// 10.3.5.1/10.3.5.4.
#[rustfmt::skip]
const KNOWN_GOOD: &[u8] = &[
    // Attributes: LOAD_OPTION_ACTIVE.
    0x01, 0x00, 0x00, 0x00,
    // FilePathListLength: 42 (hard drive) + 48 (file path) + 4 (end) = 94.
    0x5E, 0x00,
    // Description "Ibex A", UCS-2, NUL.
    b'I', 0, b'b', 0, b'e', 0, b'x', 0, b' ', 0, b'A', 0, 0, 0,
    // Hard drive: type 4 (media), subtype 1, length 42.
    0x04, 0x01, 0x2A, 0x00,
    0x01, 0x00, 0x00, 0x00,                         // partition number 1
    0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // start LBA 2048
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, // size 65536
    // Signature: 01234567-89AB-CDEF-0123-456789ABCDEF in GUID byte order.
    0x67, 0x45, 0x23, 0x01, 0xAB, 0x89, 0xEF, 0xCD,
    0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
    0x02,                                           // partition format: GPT
    0x02,                                           // signature type: GUID
    // File path: type 4, subtype 4, length 4 + 22 * 2 = 48.
    0x04, 0x04, 0x30, 0x00,
    b'\\', 0, b'E', 0, b'F', 0, b'I', 0, b'\\', 0, b'B', 0, b'O', 0, b'O', 0,
    b'T', 0, b'\\', 0, b'B', 0, b'O', 0, b'O', 0, b'T', 0, b'X', 0, b'6', 0,
    b'4', 0, b'.', 0, b'E', 0, b'F', 0, b'I', 0, 0, 0,
    // End of entire device path.
    0x7F, 0xFF, 0x04, 0x00,
    // Optional data: "ro", UCS-2, NUL.
    b'r', 0, b'o', 0, 0, 0,
];

#[test]
fn encodes_the_known_good_bytes() {
    assert_eq!(encode_load_option(&option()).unwrap(), KNOWN_GOOD);
    assert_eq!(decode_load_option(KNOWN_GOOD).unwrap(), option());
}

#[test]
fn roundtrip_without_nodes() {
    let opt = LoadOption {
        attributes: 0,
        description: String::new(),
        hard_drive: None,
        file_path: None,
        optional_data: vec![],
    };
    let bytes = encode_load_option(&opt).unwrap();
    assert_eq!(bytes, [0, 0, 0, 0, 4, 0, 0, 0, 0x7f, 0xff, 4, 0]);
    assert_eq!(decode_load_option(&bytes).unwrap(), opt);
}

/// A device path with the node header `kind/subtype` and `data`.
fn node(kind: u8, subtype: u8, data: &[u8]) -> Vec<u8> {
    let mut n = vec![kind, subtype];
    n.extend_from_slice(&(4 + data.len() as u16).to_le_bytes());
    n.extend_from_slice(data);
    n
}

/// A load option with `path` as its device path and "x" as description.
fn with_path(path: &[u8], optional: &[u8]) -> Vec<u8> {
    let mut out = vec![1, 0, 0, 0];
    out.extend_from_slice(&(path.len() as u16).to_le_bytes());
    out.extend_from_slice(&ucs2("x"));
    out.extend_from_slice(path);
    out.extend_from_slice(optional);
    out
}

#[test]
fn skips_nodes_firmware_adds() {
    // As OVMF writes them: PciRoot(0x0)/Pci(0x1,0x1)/Sata(...)/HD(...)/File(...)
    let encoded = encode_load_option(&option()).unwrap();
    let hd_and_file = &encoded[20..20 + 90];
    let mut path = node(2, 1, &[0xd0, 0x41, 0x03, 0x0a, 0, 0, 0, 0]); // ACPI PNP0A03
    path.extend(node(1, 1, &[1, 1])); // PCI
    path.extend(node(3, 18, &[0, 0, 0xff, 0xff, 0, 0])); // SATA
    path.extend_from_slice(hd_and_file);
    path.extend(node(4, 7, &[0; 16])); // a firmware volume file, unknown to us
    path.extend(node(0x7f, 0xff, &[]));
    // A second device path after the first's end is vendor-specific: ignored.
    path.extend(node(4, 4, &ucs2("\\other")));
    path.extend(node(0x7f, 0xff, &[]));
    let decoded = decode_load_option(&with_path(&path, &ucs2("ro"))).unwrap();
    let mut want = option();
    want.description = "x".into();
    assert_eq!(decoded, want);
}

#[test]
fn mbr_hard_drives_are_skipped_and_file_paths_joined() {
    let mut mbr = vec![0u8; 38];
    mbr[36] = 1; // MBR partition format
    mbr[37] = 1; // 32-bit MBR signature
    let mut path = node(4, 1, &mbr);
    path.extend(node(4, 4, &ucs2("\\EFI")));
    path.extend(node(4, 4, &ucs2("\\BOOT\\BOOTX64.EFI")));
    path.extend(node(0x7f, 0xff, &[]));
    let decoded = decode_load_option(&with_path(&path, &[])).unwrap();
    assert_eq!(decoded.hard_drive, None);
    assert_eq!(
        decoded.file_path.as_deref(),
        Some("\\EFI\\BOOT\\BOOTX64.EFI")
    );
    assert_eq!(decoded.optional_data, b"");
}

#[test]
fn strict_about_lengths() {
    let end = node(0x7f, 0xff, &[]);
    // A zero-length node would never advance.
    let zero = [4, 4, 0, 0, 0x7f, 0xff, 4, 0];
    assert_eq!(
        decode_load_option(&with_path(&zero, &[])),
        Err(Error::BadNode)
    );
    // A node running past the device path (but not past the option).
    let long = [4, 4, 12, 0, 0x7f, 0xff, 4, 0];
    assert_eq!(
        decode_load_option(&with_path(&long, &[0; 8])),
        Err(Error::BadNode)
    );
    // A hard-drive node of the wrong size.
    let mut short_hd = node(4, 1, &[0; 37]);
    short_hd.extend_from_slice(&end);
    assert_eq!(
        decode_load_option(&with_path(&short_hd, &[])),
        Err(Error::BadNode)
    );
    // An odd-length file path node.
    let mut odd = node(4, 4, &[b'a', 0, 0]);
    odd.extend_from_slice(&end);
    assert_eq!(
        decode_load_option(&with_path(&odd, &[])),
        Err(Error::BadNode)
    );
    // No end node; a partial node header.
    let file = node(4, 4, &ucs2("\\a"));
    assert_eq!(
        decode_load_option(&with_path(&file, &[])),
        Err(Error::MissingEnd)
    );
    let mut partial = file.clone();
    partial.extend_from_slice(&[0x7f, 0xff]);
    assert_eq!(
        decode_load_option(&with_path(&partial, &[])),
        Err(Error::BadNode)
    );
    // FilePathListLength past the end.
    let mut bytes = KNOWN_GOOD.to_vec();
    bytes[4] = 0xff;
    assert_eq!(
        decode_load_option(&bytes),
        Err(Error::BadFilePathListLength)
    );
    // No NUL after the description.
    assert_eq!(
        decode_load_option(&[1, 0, 0, 0, 4, 0, b'a', 0]),
        Err(Error::UnterminatedDescription)
    );
    assert_eq!(decode_load_option(&[1, 0, 0, 0, 4]), Err(Error::TooShort));
}

#[test]
fn encode_refuses_what_cannot_be_written() {
    let mut o = option();
    o.description = "a\0b".into();
    assert_eq!(encode_load_option(&o), Err(Error::ContainsNul));
    let mut o = option();
    o.file_path = Some("\\a\0".into());
    assert_eq!(encode_load_option(&o), Err(Error::ContainsNul));
    // A file-path node holds at most 32764 characters and their NUL ...
    let mut o = option();
    o.file_path = Some("a".repeat(32_765));
    assert_eq!(encode_load_option(&o), Err(Error::TooLong));
    // ... and the whole device path, end node included, 65535 bytes.
    o.file_path = Some("a".repeat(32_762));
    assert_eq!(encode_load_option(&o), Err(Error::TooLong));
    o.hard_drive = None;
    let bytes = encode_load_option(&o).unwrap();
    assert_eq!(decode_load_option(&bytes).unwrap(), o);
}

#[test]
fn ucs2_helpers() {
    assert_eq!(ucs2("hi"), [b'h', 0, b'i', 0, 0, 0]);
    assert_eq!(ucs2(""), [0, 0]);
    assert_eq!(
        from_ucs2(&ucs2("root=PARTUUID=abc ro")).as_deref(),
        Some("root=PARTUUID=abc ro")
    );
    assert_eq!(from_ucs2(b"h\0i\0").as_deref(), Some("hi"));
    assert_eq!(from_ucs2(b"h\0\0\0i\0").as_deref(), Some("h"));
    assert_eq!(from_ucs2(b"h\0i"), None);
    assert_eq!(from_ucs2(&[0x00, 0xd8, b'a', 0]), None); // unpaired surrogate
    assert_eq!(from_ucs2(&ucs2("\u{1f600}")).as_deref(), Some("\u{1f600}"));
}

#[test]
fn boot_order_and_variables() {
    assert_eq!(encode_boot_order(&[1, 0x1234]), [1, 0, 0x34, 0x12]);
    assert_eq!(decode_boot_order(&[1, 0, 0x34, 0x12]), Ok(vec![1, 0x1234]));
    assert_eq!(decode_boot_order(&[]), Ok(vec![]));
    assert_eq!(decode_boot_order(&[1, 0, 2]), Err(Error::BadLength));
    assert_eq!(boot_variable(0xab), "Boot00AB");
    assert_eq!(parse_boot_variable("Boot00AB"), Some(0xab));
    assert_eq!(parse_boot_variable("Boot00ab"), Some(0xab));
    for bad in ["Boot", "Boot+0AB", "Boot00ABC", "BootOrder", "Driver0001"] {
        assert_eq!(parse_boot_variable(bad), None, "{bad}");
    }
    let file = variable_file(BOOT_VARIABLE_ATTRIBUTES, &[1, 0]);
    assert_eq!(file, [7, 0, 0, 0, 1, 0]);
    assert_eq!(split_variable_file(&file), Ok((7, &[1u8, 0][..])));
    assert_eq!(split_variable_file(&[7, 0, 0]), Err(Error::BadLength));
    assert_eq!(GLOBAL_VARIABLE, "8be4df61-93ca-11d2-aa0d-00e098032b8c");
    assert_eq!(
        Guid::parse(GLOBAL_VARIABLE)
            .map(|g| alloc::format!("{g:x}"))
            .as_deref(),
        Some(GLOBAL_VARIABLE)
    );
}

#[test]
fn errors_display() {
    for e in [
        Error::TooShort,
        Error::UnterminatedDescription,
        Error::BadFilePathListLength,
        Error::BadNode,
        Error::MissingEnd,
        Error::BadLength,
        Error::ContainsNul,
        Error::TooLong,
    ] {
        assert!(!e.to_string().is_empty());
    }
}

fn arb_option() -> impl Strategy<Value = LoadOption> {
    (
        any::<u32>(),
        "[^\0]{0,40}",
        proptest::option::of((any::<u32>(), any::<u64>(), any::<u64>(), any::<[u8; 16]>())),
        proptest::option::of("[^\0]{0,60}"),
        proptest::collection::vec(any::<u8>(), 0..100),
    )
        .prop_map(
            |(attributes, description, hd, file_path, optional_data)| LoadOption {
                attributes,
                description,
                hard_drive: hd.map(|(n, s, l, g)| HardDrive {
                    partition_number: n,
                    start_lba: s,
                    size_lba: l,
                    partition_guid: Guid(g),
                }),
                file_path,
                optional_data,
            },
        )
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode_load_option(&bytes);
        let _ = decode_boot_order(&bytes);
        let _ = from_ucs2(&bytes);
        let _ = split_variable_file(&bytes);
    }

    #[test]
    fn arbitrary_device_paths_never_panic(
        path in proptest::collection::vec(any::<u8>(), 0..200),
        nodes in proptest::collection::vec(
            (
                prop::sample::select(vec![1u8, 2, 3, 4, 0x7f]),
                prop::sample::select(vec![1u8, 4, 0xff]),
                0u16..60,
            ),
            0..8,
        ),
    ) {
        // Plausible node headers with random lengths, then random bytes.
        let mut p = Vec::new();
        for (kind, sub, len) in nodes {
            p.extend_from_slice(&[kind, sub]);
            p.extend_from_slice(&len.to_le_bytes());
            p.resize(p.len() + usize::from(len.saturating_sub(4)), 0x5a);
        }
        p.extend_from_slice(&path);
        let _ = decode_load_option(&with_path(&p, &[]));
    }

    #[test]
    fn options_roundtrip(opt in arb_option()) {
        let bytes = encode_load_option(&opt).unwrap();
        prop_assert_eq!(decode_load_option(&bytes).unwrap(), opt);
    }

    #[test]
    fn ucs2_roundtrips(s in "[^\0]{0,80}") {
        prop_assert_eq!(from_ucs2(&ucs2(&s)), Some(s));
    }

    #[test]
    fn boot_orders_roundtrip(entries in proptest::collection::vec(any::<u16>(), 0..50)) {
        prop_assert_eq!(decode_boot_order(&encode_boot_order(&entries)), Ok(entries));
    }
}
