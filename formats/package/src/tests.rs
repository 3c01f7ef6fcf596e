use super::*;
use alloc::string::ToString;
use alloc::vec;
use proptest::prelude::*;

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed([n; 32])
}

fn file(path: &str, data: &[u8], mode: u32) -> FileEntry {
    FileEntry {
        path: path.into(),
        kind: FileKind::File {
            size: data.len() as u64,
            sha256: sha256(data),
        },
        mode,
        uid: 0,
        gid: 0,
    }
}

fn dir(path: &str) -> FileEntry {
    FileEntry {
        path: path.into(),
        kind: FileKind::Dir,
        mode: 0o755,
        uid: 0,
        gid: 0,
    }
}

fn sample() -> (Metadata, Vec<u8>) {
    let hello = b"#!/bin/sh\necho hello\n";
    let conf = b"greeting=hi\n";
    let meta = Metadata {
        name: "hello".into(),
        version: "1.0-r0".into(),
        arch: "x86_64".into(),
        description: "says hello".into(),
        depends: vec![Dependency::parse("musl>=1.2").unwrap()],
        config: vec!["etc/hello.conf".into()],
        files: vec![
            dir("usr"),
            dir("usr/bin"),
            file("usr/bin/hello", hello, 0o755),
            dir("etc"),
            file("etc/hello.conf", conf, 0o644),
        ],
        installed_size: (hello.len() + conf.len()) as u64,
        ..Metadata::default()
    };
    let payload = compress(&[&hello[..], &conf[..]].concat());
    (meta, payload)
}

#[test]
fn package_roundtrip() {
    let (meta, payload) = sample();
    let bytes = encode_package(&meta, &payload, &key(1));
    let pkg = decode_package(&bytes, &[key(2).public(), key(1).public()]).unwrap();
    assert_eq!(pkg.metadata.name, "hello");
    assert_eq!(pkg.metadata.payload_sha256, sha256(&payload));
    let contents = unpack(&pkg).unwrap();
    assert_eq!(contents.of(2), b"#!/bin/sh\necho hello\n");
    assert_eq!(contents.of(4), b"greeting=hi\n");
    assert_eq!(contents.of(0), b"");
}

#[test]
fn inspect_reads_metadata_without_a_key_but_checks_the_crc() {
    let (meta, payload) = sample();
    let bytes = encode_package(&meta, &payload, &key(1));
    let (seen, id) = inspect_package(&bytes).unwrap();
    assert_eq!(seen.name, "hello");
    assert_eq!(id, key(1).public().id());
    let mut damaged = bytes.clone();
    damaged[100] ^= 1;
    assert_eq!(inspect_package(&damaged).unwrap_err(), Error::BadChecksum);
    assert_eq!(inspect_package(&bytes[..50]).unwrap_err(), Error::Truncated);
}

#[test]
fn rejects_damage_and_strangers() {
    let (meta, payload) = sample();
    let bytes = encode_package(&meta, &payload, &key(1));
    let keys = [key(1).public()];
    assert_eq!(
        decode_package(&bytes, &[key(2).public()]).unwrap_err(),
        Error::UnknownKey(key(1).public().id())
    );
    assert_eq!(
        decode_package(&bytes[..bytes.len() - 1], &keys).unwrap_err(),
        Error::BadChecksum
    );
    assert_eq!(
        decode_package(&bytes[..50], &keys).unwrap_err(),
        Error::Truncated
    );
    let mut flipped = bytes.clone();
    flipped[100] ^= 1;
    assert_eq!(
        decode_package(&flipped, &keys).unwrap_err(),
        Error::BadChecksum
    );
    // Same change with the CRC fixed up: the signature catches it.
    let resealed = seal(flipped[..flipped.len() - 4].to_vec());
    assert_eq!(
        decode_package(&resealed, &keys).unwrap_err(),
        Error::BadSignature
    );
    // A payload swapped (CRC fixed up) fails the signed payload hash.
    let mut swapped = bytes[..bytes.len() - 4].to_vec();
    let last = swapped.len() - 1;
    swapped[last] ^= 0xff;
    assert_eq!(
        decode_package(&seal(swapped), &keys).unwrap_err(),
        Error::PayloadHashMismatch
    );
    let mut index = encode_index(&Index::default(), &key(1));
    assert_eq!(decode_package(&index, &keys).unwrap_err(), Error::BadMagic);
    index[4] = 9;
    assert_eq!(
        decode_index(&index, &keys).unwrap_err(),
        Error::UnsupportedVersion(9)
    );
}

#[test]
fn refuses_unsafe_metadata() {
    type Case = (&'static str, fn(&mut Metadata));
    let cases: Vec<Case> = vec![
        ("unsafe path '../etc/passwd'", |m| {
            m.files[2].path = "../etc/passwd".into()
        }),
        ("unsafe path '/etc/passwd'", |m| {
            m.files[2].path = "/etc/passwd".into()
        }),
        ("points out of the root", |m| {
            m.files[2].kind = FileKind::Symlink {
                target: "../../../etc".into(),
            };
            m.installed_size = 12;
        }),
        ("would be written through the symlink usr/bin", |m| {
            m.files[1].kind = FileKind::Symlink {
                target: "/etc".into(),
            }
        }),
        ("not a permission mode", |m| m.files[2].mode = 0o20644),
        ("set-id bits the recipe did not declare", |m| {
            m.files[2].mode = 0o4755
        }),
        ("not the declared", |m| m.installed_size += 1),
        ("listed twice", |m| m.files[3].path = "usr".into()),
        ("config file", |m| m.config = vec!["usr/bin".into()]),
        ("invalid version", |m| m.version = "x".into()),
    ];
    for (want, change) in cases {
        let (mut meta, _) = sample();
        change(&mut meta);
        let err = check_metadata(&meta).unwrap_err().to_string();
        assert!(err.contains(want), "{err:?} should contain {want:?}");
    }
}

#[test]
fn refuses_decompression_bombs() {
    let (mut meta, _) = sample();
    let big = vec![0u8; 1 << 20];
    let payload = compress(&big);
    // Declares a small size for a payload that inflates to 1 MiB.
    meta.files = vec![file("zero", &big[..10], 0o644)];
    meta.installed_size = 10;
    meta.config.clear();
    let bytes = encode_package(&meta, &payload, &key(1));
    let pkg = decode_package(&bytes, &[key(1).public()]).unwrap();
    assert_eq!(unpack(&pkg).unwrap_err(), Error::PayloadTooLarge);
}

#[test]
fn keys_as_text() {
    let k = key(7);
    let back = SigningKey::from_text(&k.to_text()).unwrap();
    assert_eq!(back.public(), k.public());
    assert_eq!(
        PublicKey::from_text(&k.public().to_text()),
        Some(k.public())
    );
    assert_eq!(PublicKey::from_text(&k.to_text()), None);
    assert_eq!(PublicKey::from_text("ibex-ed25519-public 12"), None);
}

#[test]
fn symlink_containment() {
    assert!(symlink_stays_inside("usr/lib/libz.so", "libz.so.1"));
    assert!(symlink_stays_inside("usr/lib/x", "../../bin/busybox"));
    assert!(!symlink_stays_inside("usr/lib/x", "../../../bin"));
    assert!(symlink_stays_inside("bin/sh", "/bin/ibox"));
    assert!(!symlink_stays_inside("a", ".."));
}

fn entry_strategy() -> impl Strategy<Value = IndexEntry> {
    (
        "[a-z][a-z0-9-]{0,10}",
        0u64..100,
        0u64..5,
        any::<[u8; 32]>(),
    )
        .prop_map(|(name, major, rev, sha)| IndexEntry {
            file: alloc::format!("{name}-{major}.ibx"),
            version: alloc::format!("{major}.0-r{rev}"),
            arch: "x86_64".into(),
            description: name.clone(),
            depends: vec![Dependency::parse("musl").unwrap()],
            provides: vec![],
            conflicts: vec![],
            size: major,
            sha256: sha,
            installed_size: rev,
            name,
        })
}

proptest! {
    #[test]
    fn index_roundtrip(entries in proptest::collection::vec(entry_strategy(), 0..20)) {
        let index = Index { packages: entries };
        let bytes = encode_index(&index, &key(3));
        prop_assert_eq!(decode_index(&bytes, &[key(3).public()]).unwrap(), index);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_package(&bytes, &[key(1).public()]);
        let _ = decode_index(&bytes, &[key(1).public()]);
    }

    #[test]
    fn any_flipped_bit_is_caught(at in 0usize..10_000, bit in 0u8..8) {
        let (meta, payload) = sample();
        let mut bytes = encode_package(&meta, &payload, &key(1));
        let at = at % bytes.len();
        bytes[at] ^= 1 << bit;
        prop_assert!(decode_package(&bytes, &[key(1).public()]).is_err());
    }
}
