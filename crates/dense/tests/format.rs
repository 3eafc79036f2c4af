//! Save/load round trip, and damaged files: every truncation and every flipped byte
//! is a clean error.

use esci_dense::{DenseError, DenseIndex, FORMAT_VERSION, synthetic_unit_vectors};
use std::path::Path;

fn sample() -> DenseIndex {
    DenseIndex::new(synthetic_unit_vectors(16, 6, 3), 6, "minilm-l6@sha256:abc").unwrap()
}

fn load_err(path: &Path) -> DenseError {
    DenseIndex::load(path).expect_err("damaged file loaded")
}

#[test]
fn round_trip_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dense.idx");
    let index = sample();
    index.save(&path).unwrap();
    let loaded = DenseIndex::load(&path).unwrap();
    assert_eq!(loaded.model_fingerprint(), "minilm-l6@sha256:abc");
    assert_eq!((loaded.len(), loaded.dim()), (16, 6));
    assert_eq!(loaded.as_matrix(), index.as_matrix());
    let query = synthetic_unit_vectors(1, 6, 9);
    for d in [6, 4, 1] {
        assert_eq!(
            loaded.view(d).unwrap().search(&query, 10).unwrap(),
            index.view(d).unwrap().search(&query, 10).unwrap()
        );
    }
    // An empty index round-trips too.
    let empty = DenseIndex::new(vec![], 5, "").unwrap();
    empty.save(&path).unwrap();
    let loaded = DenseIndex::load(&path).unwrap();
    assert!(loaded.is_empty());
    assert_eq!(loaded.dim(), 5);
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dense.idx");
    sample().save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let missing = load_err(&dir.path().join("absent.idx"));
    assert!(matches!(missing, DenseError::Missing { .. }), "{missing}");
    assert!(missing.to_string().contains("esci index"));

    for cut in 0..bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = load_err(&path);
        assert!(
            matches!(err, DenseError::Corrupt { .. }),
            "cut {cut}: {err}"
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"extra");
    std::fs::write(&path, &longer).unwrap();
    assert!(matches!(load_err(&path), DenseError::Corrupt { .. }));

    let mut wrong_version = bytes.clone();
    wrong_version[8] = 99;
    std::fs::write(&path, &wrong_version).unwrap();
    let err = load_err(&path);
    assert!(
        matches!(err, DenseError::Version { found: 99, expected, .. } if expected == FORMAT_VERSION),
        "{err}"
    );

    // Every single flipped byte is caught (the checksum covers header and matrix).
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0xA5;
        std::fs::write(&path, &damaged).unwrap();
        assert!(DenseIndex::load(&path).is_err(), "flip at {at} loaded");
    }

    std::fs::write(&path, b"not an index at all, just some text").unwrap();
    assert!(matches!(load_err(&path), DenseError::Corrupt { .. }));
}

/// A header claiming a huge matrix is refused before anything is allocated.
#[test]
fn header_counts_are_bounded_by_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dense.idx");
    for header in [
        r#"{"num_docs":4000000000,"dim":384,"model_fingerprint":"m"}"#,
        r#"{"num_docs":1,"dim":0,"model_fingerprint":"m"}"#,
        r#"{"num_docs":1,"dim":99999999,"model_fingerprint":"m"}"#,
        r#"{"num_docs":18446744073709551615,"dim":65536,"model_fingerprint":"m"}"#,
        r#"{"dim":4}"#,
    ] {
        let mut bytes = b"ESCIDENS".to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&[0u8; 64]);
        std::fs::write(&path, &bytes).unwrap();
        let err = load_err(&path);
        assert!(matches!(err, DenseError::Corrupt { .. }), "{header}: {err}");
    }
}

#[test]
fn failed_save_keeps_previous_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dense.idx");
    let index = sample();
    index.save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let bad = dir.path().join("no-such-dir").join("dense.idx");
    assert!(matches!(index.save(&bad), Err(DenseError::Io { .. })));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
