use crate::gpt::*;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use proptest::prelude::*;

/// 256 MiB.
const DISK: u64 = 524_288;

fn disk_guid() -> Guid {
    Guid::from_hash(b"test disk")
}

fn table() -> Table {
    let partitions = layout(
        DISK,
        &disk_guid(),
        &[
            ("ibex-a", Guid::EFI_SYSTEM, Some(65_536)),
            ("ibex-b", Guid::EFI_SYSTEM, Some(65_536)),
            ("data", Guid::LINUX_FILESYSTEM, None),
        ],
    )
    .unwrap();
    Table {
        disk_guid: disk_guid(),
        partitions,
    }
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

#[test]
fn guid_text_and_disk_order() {
    // The on-disk bytes of the EFI system partition type, as every GPT
    // implementation has them.
    assert_eq!(
        Guid::EFI_SYSTEM.0,
        [
            0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E,
            0xC9, 0x3B
        ]
    );
    assert_eq!(
        Guid::EFI_SYSTEM.to_string(),
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
    );
    assert_eq!(
        format!("{:x}", Guid::LINUX_FILESYSTEM),
        "0fc63daf-8483-4772-8e79-3d69d8477de4"
    );
    assert_eq!(
        Guid::parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b"),
        Some(Guid::EFI_SYSTEM)
    );
    assert_eq!(
        Guid::parse("0FC63DAF-8483-4772-8E79-3D69D8477DE4"),
        Some(Guid::LINUX_FILESYSTEM)
    );
    for bad in [
        "",
        "C12A7328F81F-11D2-BA4B-00A0C93EC93B0",
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93",
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93G",
        "C12A7328-F81F-11D2-BA4B+00A0C93EC93B",
        "C12A7328-F81F-11D2-BA4B-00A0C93EC9\u{e9}",
        "+12A7328-F81F-11D2-BA4B-00A0C93EC93B",
    ] {
        assert_eq!(Guid::parse(bad), None, "{bad}");
    }
    assert_eq!(
        format!("{:?}", Guid::EFI_SYSTEM),
        "Guid(C12A7328-F81F-11D2-BA4B-00A0C93EC93B)"
    );
}

#[test]
fn hashed_guids_are_version_4_and_reproducible() {
    let g = Guid::from_hash(b"seed");
    assert_eq!(g, Guid::from_hash(b"seed"));
    assert_ne!(g, Guid::from_hash(b"seed2"));
    let text = g.to_string();
    assert_eq!(&text[14..15], "4");
    assert!(matches!(&text[19..20], "8" | "9" | "A" | "B"));
    assert_eq!(Guid::parse(&text), Some(g));
}

#[test]
fn layout_aligns_to_one_mebibyte() {
    let t = table();
    let spans: Vec<(u32, u64, u64)> = t
        .partitions
        .iter()
        .map(|p| (p.number, p.first_lba, p.last_lba))
        .collect();
    assert_eq!(
        spans,
        [
            (1, 2048, 67_583),
            (2, 67_584, 133_119),
            (3, 133_120, DISK - 34)
        ]
    );
    assert_eq!(t.partitions[0].sectors(), 65_536);
    assert_eq!(t.partitions[0].name, "ibex-a");
    assert_ne!(t.partitions[0].unique_guid, t.partitions[1].unique_guid);

    // An unaligned size pushes the next partition to the next boundary.
    let p = layout(
        DISK,
        &disk_guid(),
        &[
            ("a", Guid::EFI_SYSTEM, Some(1)),
            ("b", Guid::EFI_SYSTEM, Some(1)),
        ],
    )
    .unwrap();
    assert_eq!((p[1].first_lba, p[1].last_lba), (4096, 4096));
}

#[test]
fn layout_errors() {
    let g = disk_guid();
    let efi = Guid::EFI_SYSTEM;
    assert_eq!(
        layout(DISK, &g, &[("a", efi, Some(DISK))]),
        Err(Error::DoesNotFit(1))
    );
    // Exactly fits: 2048..=DISK-34.
    assert!(layout(DISK, &g, &[("a", efi, Some(DISK - 34 - 2048 + 1))]).is_ok());
    assert_eq!(
        layout(DISK, &g, &[("a", efi, Some(DISK - 34 - 2048 + 2))]),
        Err(Error::DoesNotFit(1))
    );
    assert_eq!(
        layout(DISK, &g, &[("a", efi, None), ("b", efi, Some(1))]),
        Err(Error::BadSize(1))
    );
    assert_eq!(
        layout(DISK, &g, &[("a", efi, Some(0))]),
        Err(Error::BadSize(1))
    );
    assert_eq!(
        layout(DISK, &g, &[("a", efi, Some(u64::MAX))]),
        Err(Error::DoesNotFit(1))
    );
    // A disk with no room after LBA 2048.
    assert_eq!(
        layout(2000, &g, &[("a", efi, None)]),
        Err(Error::DoesNotFit(1))
    );
    assert_eq!(layout(10, &g, &[]), Err(Error::DiskTooSmall(10)));
    let long = "n".repeat(37);
    assert_eq!(
        layout(DISK, &g, &[(long.as_str(), efi, Some(1))]),
        Err(Error::BadName(1))
    );
    let many = vec![("p", efi, Some(1)); 129];
    assert_eq!(layout(DISK, &g, &many), Err(Error::TooManyPartitions));
}

#[test]
fn roundtrip() {
    let mut t = table();
    t.partitions[2].attributes = 1 << 63 | 1;
    t.partitions[2].name = "donn\u{e9}es \u{1f600}".into(); // a surrogate pair
    let (primary, backup) = write(&t, DISK).unwrap();
    assert_eq!(primary.len(), PRIMARY_LEN);
    assert_eq!(backup.len(), BACKUP_LEN);
    assert_eq!(read(&primary).unwrap(), t);

    // Entries need not be contiguous or in disk order.
    t.partitions.swap(0, 2);
    t.partitions[0].number = 7;
    let (primary, _) = write(&t, DISK).unwrap();
    let back = read(&primary).unwrap();
    let numbers: Vec<u32> = back.partitions.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 7]);
}

#[test]
fn empty_table_and_smallest_disk() {
    let t = Table {
        disk_guid: disk_guid(),
        partitions: vec![],
    };
    let (primary, backup) = write(&t, MIN_DISK_SECTORS).unwrap();
    assert_eq!(read(&primary).unwrap(), t);
    assert_eq!(le64(&backup, BACKUP_LEN - 512 + 24), MIN_DISK_SECTORS - 1);
    assert_eq!(
        write(&t, MIN_DISK_SECTORS - 1),
        Err(Error::DiskTooSmall(MIN_DISK_SECTORS - 1))
    );
}

#[test]
fn bytes_on_disk() {
    let t = table();
    let (primary, backup) = write(&t, DISK).unwrap();
    // Protective MBR.
    assert!(primary[..446].iter().all(|&b| b == 0));
    assert_eq!(
        &primary[446..462],
        &[0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0, 0xFF, 0xFF, 0x07, 0]
    );
    assert!(primary[462..510].iter().all(|&b| b == 0));
    assert_eq!(&primary[510..512], &[0x55, 0xAA]);

    // Primary header.
    let h = &primary[512..1024];
    assert_eq!(&h[..8], b"EFI PART");
    assert_eq!(&h[8..16], &[0, 0, 1, 0, 92, 0, 0, 0]);
    let mut zeroed = h[..92].to_vec();
    zeroed[16..20].fill(0);
    assert_eq!(le32(h, 16), crc32fast::hash(&zeroed));
    assert_eq!(le32(h, 20), 0);
    assert_eq!(le64(h, 24), 1);
    assert_eq!(le64(h, 32), DISK - 1);
    assert_eq!(le64(h, 40), 34);
    assert_eq!(le64(h, 48), DISK - 34);
    assert_eq!(&h[56..72], &disk_guid().0);
    assert_eq!(le64(h, 72), 2);
    assert_eq!(le32(h, 80), 128);
    assert_eq!(le32(h, 84), 128);
    assert_eq!(le32(h, 88), crc32fast::hash(&primary[1024..]));
    assert!(h[92..].iter().all(|&b| b == 0));

    // First entry.
    let e = &primary[1024..1152];
    assert_eq!(&e[..16], &Guid::EFI_SYSTEM.0);
    assert_eq!(&e[16..32], &t.partitions[0].unique_guid.0);
    assert_eq!(le64(e, 32), 2048);
    assert_eq!(le64(e, 40), 67_583);
    assert_eq!(le64(e, 48), 0);
    assert_eq!(&e[56..70], b"i\0b\0e\0x\0-\0a\0\0\0");
    assert!(primary[1024 + 3 * 128..].iter().all(|&b| b == 0));

    // Backup: the same entries, then a header that points at them.
    assert_eq!(&backup[..BACKUP_LEN - 512], &primary[1024..]);
    let b = &backup[BACKUP_LEN - 512..];
    let mut zeroed = b[..92].to_vec();
    zeroed[16..20].fill(0);
    assert_eq!(le32(b, 16), crc32fast::hash(&zeroed));
    assert_eq!(le64(b, 24), DISK - 1);
    assert_eq!(le64(b, 32), 1);
    assert_eq!(le64(b, 72), DISK - 33);
    assert_eq!(&b[40..56], &h[40..56]);
    assert_eq!(&b[56..72], &h[56..72]);
    assert_eq!(&b[80..92], &h[80..92]);
}

#[test]
fn huge_disk_caps_the_protective_mbr() {
    let t = Table {
        disk_guid: disk_guid(),
        partitions: vec![],
    };
    let (primary, _) = write(&t, 1 << 40).unwrap();
    assert_eq!(&primary[458..462], &[0xFF; 4]);
    assert_eq!(read(&primary).unwrap(), t);
}

#[test]
fn write_refuses_bad_tables() {
    let base = table();
    let with = |f: &dyn Fn(&mut Table)| {
        let mut t = base.clone();
        f(&mut t);
        write(&t, DISK).unwrap_err()
    };
    assert_eq!(
        with(&|t| t.partitions[1].first_lba = 60_000),
        Error::Overlap(1, 2)
    );
    assert_eq!(
        with(&|t| t.partitions[0].first_lba = 33),
        Error::BadRange(1)
    );
    assert_eq!(
        with(&|t| t.partitions[2].last_lba = DISK - 33),
        Error::BadRange(3)
    );
    assert_eq!(
        with(&|t| t.partitions[0].last_lba = t.partitions[0].first_lba - 1),
        Error::BadRange(1)
    );
    assert_eq!(with(&|t| t.partitions[0].number = 0), Error::BadNumber(0));
    assert_eq!(
        with(&|t| t.partitions[0].number = 129),
        Error::BadNumber(129)
    );
    assert_eq!(with(&|t| t.partitions[0].number = 2), Error::BadNumber(2));
    assert_eq!(
        with(&|t| t.partitions[1].type_guid = Guid::ZERO),
        Error::ZeroType(2)
    );
    assert_eq!(
        with(&|t| t.partitions[1].name = "x".repeat(37)),
        Error::BadName(2)
    );
    assert_eq!(
        with(&|t| t.partitions[1].name = "\u{1f600}".repeat(18) + "x"),
        Error::BadName(2)
    );
    assert_eq!(
        with(&|t| t.partitions[1].name = "a\0".into()),
        Error::BadName(2)
    );
    // 36 units fit exactly.
    let mut t = base.clone();
    t.partitions[1].name = "\u{1f600}".repeat(18);
    let (primary, _) = write(&t, DISK).unwrap();
    assert_eq!(read(&primary).unwrap(), t);
}

/// Recomputes the header's CRC32s after a test edited it.
fn fix_crcs(primary: &mut [u8]) {
    let count = u64::from(le32(primary, 512 + 80));
    let lba = le64(primary, 512 + 72);
    let span = lba
        .checked_mul(512)
        .and_then(|start| Some((start, start.checked_add(count * 128)?)))
        .and_then(|(s, e)| Some(usize::try_from(s).ok()?..usize::try_from(e).ok()?));
    if let Some(entries) = span.and_then(|r| primary.get(r)) {
        let crc = crc32fast::hash(entries);
        primary[512 + 88..512 + 92].copy_from_slice(&crc.to_le_bytes());
    }
    let size = (le32(primary, 512 + 12) as usize).clamp(92, 512);
    primary[512 + 16..512 + 20].fill(0);
    let crc = crc32fast::hash(&primary[512..512 + size]);
    primary[512 + 16..512 + 20].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn read_errors() {
    let (primary, _) = write(&table(), DISK).unwrap();
    assert_eq!(read(&primary[..1023]), Err(Error::TooShort));
    assert_eq!(read(&primary[..PRIMARY_LEN - 1]), Err(Error::TooShort));
    assert_eq!(read(&[0; PRIMARY_LEN]), Err(Error::BadSignature));

    let edited = |at: usize, bytes: &[u8]| {
        let mut p = primary.clone();
        p[512 + at..512 + at + bytes.len()].copy_from_slice(bytes);
        fix_crcs(&mut p);
        read(&p)
    };
    assert_eq!(
        edited(8, &[0, 0, 2, 0]),
        Err(Error::UnsupportedRevision(0x0002_0000))
    );
    assert_eq!(edited(12, &[91, 0, 0, 0]), Err(Error::BadHeaderSize(91)));
    assert_eq!(edited(12, &[1, 2, 0, 0]), Err(Error::BadHeaderSize(513)));
    assert_eq!(edited(20, &[1]), Err(Error::ReservedNotZero));
    assert_eq!(edited(24, &[2]), Err(Error::BadMyLba(2)));
    assert_eq!(edited(84, &[0, 1]), Err(Error::BadEntrySize(256)));
    assert_eq!(edited(72, &[1]), Err(Error::BadEntryArray));
    assert_eq!(edited(72, &[0xff; 8]), Err(Error::BadEntryArray));
    assert_eq!(edited(80, &[129]), Err(Error::TooShort));
    assert_eq!(edited(40, &[33]), Err(Error::BadUsableRange));
    assert_eq!(edited(32, &[0x10]), Err(Error::BadUsableRange));
    // Fewer entries than partitions' numbers: partition 3 is cut off, so
    // the table (re-summed) reads with two.
    assert_eq!(edited(80, &[2]).map(|t| t.partitions.len()), Ok(2));
    // A usable range that no longer holds partition 3.
    assert_eq!(edited(48, &[0]), Err(Error::BadRange(3)));

    // A larger header size covers more (zero) bytes.
    let t = edited(12, &[0, 1, 0, 0]).unwrap();
    assert_eq!(t, table());

    // Entries edited and re-summed are still checked.
    let mut p = primary.clone();
    p[1024 + 128 + 32..1024 + 128 + 40].copy_from_slice(&60_000u64.to_le_bytes());
    fix_crcs(&mut p);
    assert_eq!(read(&p), Err(Error::Overlap(1, 2)));
}

#[test]
fn every_flipped_bit_of_header_and_entries_is_caught() {
    let (primary, _) = write(&table(), DISK).unwrap();
    let mut p = primary.clone();
    // LBA 1 (the header sector) and LBA 2..34 (the entries).
    for i in 512 * 8..PRIMARY_LEN * 8 {
        p[i / 8] ^= 1 << (i % 8);
        assert!(read(&p).is_err(), "bit {i} flipped was accepted");
        p[i / 8] ^= 1 << (i % 8);
    }
}

#[test]
fn errors_display() {
    let all = [
        Error::TooShort,
        Error::BadSignature,
        Error::UnsupportedRevision(2),
        Error::BadHeaderSize(3),
        Error::HeaderCrcMismatch,
        Error::ReservedNotZero,
        Error::BadMyLba(4),
        Error::BadEntrySize(5),
        Error::BadEntryArray,
        Error::EntriesCrcMismatch,
        Error::BadUsableRange,
        Error::DiskTooSmall(6),
        Error::BadNumber(7),
        Error::BadRange(8),
        Error::Overlap(1, 2),
        Error::BadName(9),
        Error::ZeroType(10),
        Error::BadSize(11),
        Error::DoesNotFit(12),
        Error::TooManyPartitions,
    ];
    for e in all {
        assert!(!e.to_string().is_empty());
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..PRIMARY_LEN + 600)) {
        let _ = read(&bytes);
    }

    #[test]
    fn arbitrary_headers_with_good_crcs_never_panic(
        fields in proptest::collection::vec(any::<u8>(), 92),
        entry_lba in 0u64..40,
        count in prop_oneof![0u32..200, any::<u32>()],
        entries in proptest::collection::vec(any::<u8>(), 0..1024),
        extra in 0usize..2000,
    ) {
        // Signature, revision and header size valid, the rest random, the
        // CRCs right: the reader's later checks are reached.
        let mut p = vec![0u8; PRIMARY_LEN + extra];
        p[512..604].copy_from_slice(&fields);
        p[512..520].copy_from_slice(b"EFI PART");
        p[520..524].copy_from_slice(&[0, 0, 1, 0]);
        p[524..528].copy_from_slice(&[92, 0, 0, 0]);
        p[532..536].fill(0);
        p[536..544].copy_from_slice(&1u64.to_le_bytes());
        p[584..592].copy_from_slice(&entry_lba.to_le_bytes());
        p[592..596].copy_from_slice(&count.to_le_bytes());
        p[596..600].copy_from_slice(&128u32.to_le_bytes());
        p[1024..1024 + entries.len()].copy_from_slice(&entries);
        fix_crcs(&mut p);
        let _ = read(&p);
    }

    #[test]
    fn layouts_roundtrip(
        sizes in proptest::collection::vec(1u64..100_000, 0..10),
        rest in any::<bool>(),
        disk in 68u64..4_000_000,
    ) {
        let names: Vec<_> = (0..sizes.len()).map(|i| format!("p{i}")).collect();
        let mut requests: Vec<(&str, Guid, Option<u64>)> = names
            .iter()
            .zip(&sizes)
            .map(|(n, &s)| (n.as_str(), Guid::LINUX_FILESYSTEM, Some(s)))
            .collect();
        if rest {
            requests.push(("rest", Guid::LINUX_FILESYSTEM, None));
        }
        match layout(disk, &disk_guid(), &requests) {
            Ok(partitions) => {
                let t = Table { disk_guid: disk_guid(), partitions };
                let (primary, _) = write(&t, disk).unwrap();
                prop_assert_eq!(read(&primary).unwrap(), t);
            }
            Err(e) => prop_assert!(matches!(e, Error::DoesNotFit(_)), "{:?}", e),
        }
    }
}
