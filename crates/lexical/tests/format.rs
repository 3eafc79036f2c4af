//! Save/load round trip and damaged files.

use esci_core::{Product, Retriever};
use esci_lexical::{Bm25Index, Bm25Params, IndexBuilder, LexicalError};
use esci_text::AnalyzerConfig;

fn sample_index() -> Bm25Index {
    let products: Vec<Product> = (0..50)
        .map(|i| Product {
            id: format!("p{i}"),
            title: format!(
                "cordless drill model {i} {}",
                if i % 3 == 0 { "blue" } else { "red" }
            ),
            description: "A <b>sturdy</b> tool for home and garden".into(),
            ..Default::default()
        })
        .collect();
    IndexBuilder::new(Bm25Params::default(), AnalyzerConfig::default())
        .unwrap()
        .build(&products, &|_| {})
}

#[test]
fn round_trip_preserves_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bm25.idx");
    let index = sample_index();
    index.save(&path).unwrap();
    let loaded = Bm25Index::load(&path).unwrap();
    assert_eq!(loaded.meta(), index.meta());
    for q in [
        "cordless drill",
        "blue",
        "model 7",
        "garden tool",
        "nothing",
    ] {
        assert_eq!(
            loaded.search(q, 20).unwrap(),
            index.search(q, 20).unwrap(),
            "{q}"
        );
    }
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bm25.idx");
    sample_index().save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let missing = Bm25Index::load(&dir.path().join("absent.idx"))
        .err()
        .unwrap();
    assert!(matches!(missing, LexicalError::Missing { .. }), "{missing}");
    assert!(missing.to_string().contains("esci index"));

    for cut in [0, 5, 12, 40, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = Bm25Index::load(&path).err().unwrap();
        assert!(
            matches!(err, LexicalError::Corrupt { .. }),
            "cut {cut}: {err}"
        );
    }

    let mut wrong_version = bytes.clone();
    wrong_version[8] = 99;
    std::fs::write(&path, &wrong_version).unwrap();
    let err = Bm25Index::load(&path).err().unwrap();
    assert!(
        matches!(err, LexicalError::Version { found: 99, .. }),
        "{err}"
    );

    // Flip bytes throughout the body: every outcome must be Ok or a clean error.
    for at in (16..bytes.len()).step_by(97) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0xA5;
        std::fs::write(&path, &damaged).unwrap();
        let _ = Bm25Index::load(&path);
    }
}

#[test]
fn failed_save_keeps_previous_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bm25.idx");
    let index = sample_index();
    index.save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // Saving into a directory that does not exist fails before touching anything.
    let bad = dir.path().join("no-such-dir").join("bm25.idx");
    assert!(index.save(&bad).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
