//! `[neural] splade_vocab = "active"` on a small catalog: the vocabulary is fitted on a
//! sample, stored beside the index and fingerprinted in the manifest; the index holds
//! only its ids; queries restricted to it score every product exactly as the full
//! query does; unchanged settings reuse the index, changed ones rebuild it, and a
//! vocabulary file that is not the manifest's is refused.

use common::{TITLES, small_catalog};
use esci_core::Retriever;
use esci_engine::splade_vocab::SpladeVocab;
use esci_engine::{
    Config, Manifest, SPLADE_FILE, Searcher, SpladeRetriever, Strategy, build_index,
};
use esci_models::{ActiveVocabulary, SpladeOptions};
use esci_onnx::{OnnxOptions, OnnxSpladeEncoder, Precision};
use esci_sparse::SparseIndex;
use std::path::Path;

mod common;

fn setup(tmp: &Path) -> Config {
    let mut config = small_catalog(tmp, &TITLES);
    config.neural.dense = false;
    config.neural.splade_vocab = SpladeVocab::Active;
    config.neural.splade_vocab_sample = 3;
    config
}

fn retriever(config: &Config, active: Option<ActiveVocabulary>) -> SpladeRetriever {
    let mut onnx = OnnxOptions::new(Precision::Fp32);
    onnx.library = esci_models::fetch::onnxruntime_library(&config.models.dir);
    let encoder = OnnxSpladeEncoder::load_with_vocabulary(
        &config.models.splade_dir(),
        SpladeOptions::default(),
        &onnx,
        active,
    )
    .unwrap();
    let (index, _) = SparseIndex::load(&config.artifacts.dir.join(SPLADE_FILE)).unwrap();
    SpladeRetriever::new(encoder, index)
}

#[test]
fn an_active_vocabulary_is_fitted_stored_and_lossless_for_queries() {
    let tmp = tempfile::tempdir().unwrap();
    let config = setup(tmp.path());
    let summary = build_index(&config).unwrap();
    let (artifact, reused) = summary.splade.unwrap();
    assert!(!reused);
    let recorded = artifact.vocabulary.clone().unwrap();
    assert_eq!((recorded.sample, recorded.input_tokens), (3, true));
    let manifest = Manifest::load(&config.artifacts.dir).unwrap();
    assert_eq!(manifest.splade.unwrap().vocabulary, Some(recorded.clone()));
    let vocabulary = recorded.load(&config.artifacts.dir).unwrap();
    assert_eq!(vocabulary.len(), recorded.ids);
    assert!(vocabulary.len() < 30522 / 10, "{} ids", vocabulary.len());

    // The index holds only active ids.
    let full = retriever(&config, None);
    let (index, _) = SparseIndex::load(&config.artifacts.dir.join(SPLADE_FILE)).unwrap();
    assert!((0..30522).all(|t| vocabulary.contains(t) || index.doc_freq(t) == 0));

    // Queries: the restricted encoder drops terms, yet every product scores the same.
    let pruned = retriever(&config, Some(vocabulary.clone()));
    let docs: Vec<u32> = (0..TITLES.len() as u32).collect();
    let mut dropped = 0;
    for q in [
        "wireless mouse",
        "cordless drill 20v",
        "kink free hose",
        "insulated bottle",
        "mens trail sneakers",
    ] {
        let (a, b) = (
            full.encode_query(q).unwrap(),
            pruned.encode_query(q).unwrap(),
        );
        dropped += a.len() - b.len();
        assert!(b.iter().all(|t| a.contains(t)), "{q}: {b:?} not in {a:?}");
        let (sa, sb) = (
            full.score_docs(q, &docs).unwrap(),
            pruned.score_docs(q, &docs).unwrap(),
        );
        for (x, y) in sa.iter().zip(&sb) {
            // Both are quantised with the query's heaviest weight; a dropped heaviest
            // term would change the rounding (by < 1e-3 here), not the dot product.
            assert!((x - y).abs() <= 1e-3, "{q}: {sa:?} vs {sb:?}");
        }
        assert_eq!(
            full.search(q, 8)
                .unwrap()
                .iter()
                .map(|h| h.doc)
                .collect::<Vec<_>>(),
            pruned
                .search(q, 8)
                .unwrap()
                .iter()
                .map(|h| h.doc)
                .collect::<Vec<_>>(),
            "{q}"
        );
    }
    assert!(
        dropped > 0,
        "the queries must have terms outside the vocabulary"
    );

    // The searcher loads the vocabulary for its query encoder.
    let searcher = Searcher::open(&config, false).unwrap();
    let hits = searcher
        .search("wireless mouse", 3, &Strategy::parse("splade").unwrap())
        .unwrap();
    assert!(hits[0].title.contains("Mouse"), "{:?}", hits[0].title);

    // Same settings reuse the index; another cap rebuilds it.
    assert!(build_index(&config).unwrap().splade.unwrap().1);
    let mut capped = config.clone();
    capped.neural.splade_vocab_max_ids = Some(40);
    let (artifact, reused) = build_index(&capped).unwrap().splade.unwrap();
    assert!(!reused);
    assert_eq!(artifact.vocabulary.as_ref().unwrap().ids, 40);

    // A vocabulary file that is not the one the manifest recorded is refused.
    let recorded = artifact.vocabulary.unwrap();
    ActiveVocabulary::new(30522, vec![1, 2, 3])
        .unwrap()
        .save(&capped.artifacts.dir.join(&recorded.file))
        .unwrap();
    let err = Searcher::open(&capped, false).err().unwrap().to_string();
    assert!(
        err.contains("fingerprint") && err.contains("esci index"),
        "{err}"
    );

    // The full head stays available.
    let mut full_config = capped.clone();
    full_config.neural.splade_vocab = SpladeVocab::Full;
    let (artifact, reused) = build_index(&full_config).unwrap().splade.unwrap();
    assert!(!reused && artifact.vocabulary.is_none());
    Searcher::open(&full_config, false).unwrap();
}
