//! Save/load round trip, model fingerprints and damaged files.

use esci_sparse::{DocPruning, SparseError, SparseIndex, SparseIndexBuilder};

const VOCAB: u32 = 48;

fn sample_docs() -> Vec<Vec<(u32, f32)>> {
    (0..40u32)
        .map(|i| {
            (0..(i % 7 + 1))
                .map(|j| ((i * 7 + j * 11) % VOCAB, 0.1 + ((i + j) % 9) as f32 * 0.33))
                .collect()
        })
        .collect()
}

fn sample_index(pruning: DocPruning) -> SparseIndex {
    SparseIndexBuilder::new(VOCAB, pruning)
        .unwrap()
        .build(&sample_docs())
        .unwrap()
}

fn queries() -> Vec<Vec<(u32, f32)>> {
    vec![
        vec![(3, 1.0), (10, 0.5), (3, 0.25)],
        (0..VOCAB)
            .map(|t| (t, 0.1 + (t % 5) as f32 * 0.2))
            .collect(),
        vec![(47, 2.0)],
        vec![],
    ]
}

#[test]
fn round_trip_preserves_index_and_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("splade.idx");
    let pruning = DocPruning {
        top_terms: Some(5),
        min_weight: 0.2,
    };
    let index = sample_index(pruning);
    index.save(&path, "splade-tiny@sha256:abc").unwrap();
    let (loaded, fingerprint) = SparseIndex::load(&path).unwrap();
    assert_eq!(fingerprint, "splade-tiny@sha256:abc");
    assert_eq!(loaded, index);
    assert_eq!(loaded.meta().pruning, pruning);
    for q in queries() {
        assert_eq!(
            loaded.search(&q, 10).unwrap(),
            index.search(&q, 10).unwrap()
        );
    }
    let same = SparseIndex::load_for_model(&path, "splade-tiny@sha256:abc").unwrap();
    assert_eq!(same, index);
    let err = SparseIndex::load_for_model(&path, "other-model").unwrap_err();
    assert!(matches!(err, SparseError::ModelMismatch { .. }), "{err}");
    assert!(err.to_string().contains("other-model"));
}

#[test]
fn missing_truncated_and_wrong_version_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("splade.idx");
    let missing = SparseIndex::load(&dir.path().join("absent.idx")).unwrap_err();
    assert!(matches!(missing, SparseError::Missing { .. }), "{missing}");

    sample_index(DocPruning::default())
        .save(&path, "m")
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // Every proper prefix, and the file with bytes appended.
    for cut in 0..bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = SparseIndex::load(&path).unwrap_err();
        assert!(
            matches!(err, SparseError::Corrupt { .. }),
            "cut {cut}: {err}"
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"extra");
    std::fs::write(&path, &longer).unwrap();
    assert!(matches!(
        SparseIndex::load(&path),
        Err(SparseError::Corrupt { .. })
    ));

    let mut wrong_version = bytes.clone();
    wrong_version[8] = 99;
    std::fs::write(&path, &wrong_version).unwrap();
    let err = SparseIndex::load(&path).unwrap_err();
    assert!(
        matches!(err, SparseError::Version { found: 99, .. }),
        "{err}"
    );
}

/// Flips bytes throughout: every outcome is a clean error or an index that answers
/// queries without panicking (and still agrees with its own oracle).
#[test]
fn damaged_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("splade.idx");
    sample_index(DocPruning::default())
        .save(&path, "m")
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut loaded_ok = 0;
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut damaged = bytes.clone();
            damaged[at] ^= flip;
            std::fs::write(&path, &damaged).unwrap();
            if let Ok((index, _)) = SparseIndex::load(&path) {
                loaded_ok += 1;
                for q in queries() {
                    let fast = index.search(&q, 7).unwrap();
                    assert_eq!(fast, index.search_exhaustive(&q, 7).unwrap(), "byte {at}");
                    let docs: Vec<u32> = (0..index.meta().num_docs).collect();
                    index.score_docs(&q, &docs).unwrap();
                }
            }
        }
    }
    // Some flips (a doc-scale digit, an impact below its bound) leave a valid index.
    assert!(loaded_ok > 0);
}

#[test]
fn failed_save_keeps_previous_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("splade.idx");
    let index = sample_index(DocPruning::default());
    index.save(&path, "m").unwrap();
    let before = std::fs::read(&path).unwrap();
    let bad = dir.path().join("no-such-dir").join("splade.idx");
    assert!(matches!(index.save(&bad, "m"), Err(SparseError::Io { .. })));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
