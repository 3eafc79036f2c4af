//! The neural path on a small catalog: dense and SPLADE indexes built from the real
//! models, fused search with signal breakdowns, reuse on rebuild, and refusal of a
//! query model other than the one that built the index.

use common::{TITLES, small_catalog};
use esci_engine::{Config, Searcher, Strategy, build_index};
use std::path::Path;

mod common;

fn setup(tmp: &Path) -> Config {
    small_catalog(tmp, &TITLES)
}

#[test]
fn hybrid_search_explains_itself_and_reuses_encodings() {
    let tmp = tempfile::tempdir().unwrap();
    let config = setup(tmp.path());
    let summary = build_index(&config).unwrap();
    assert_eq!(
        summary.dense.as_ref().map(|(a, reused)| (a.docs, *reused)),
        Some((8, false))
    );
    assert_eq!(
        summary.splade.as_ref().map(|(a, reused)| (a.docs, *reused)),
        Some((8, false))
    );

    let searcher = Searcher::open(&config, false).unwrap();
    let all = searcher.default_strategy();
    assert_eq!(all.name(), "dense+bm25+splade");
    for strategy in ["dense", "splade", "dense+bm25+splade"] {
        let results = searcher
            .search("wireless mouse", 3, &Strategy::parse(strategy).unwrap())
            .unwrap();
        assert!(
            results[0].title.contains("Mouse"),
            "{strategy}: {:?}",
            results[0].title
        );
        assert_eq!(results[0].signals.len(), strategy.split('+').count());
    }
    // The fused top hit is found by all three retrievers, each at its own rank.
    let fused = searcher.search("wireless mouse", 8, &all).unwrap();
    assert_eq!(fused[0].product_id, "P0");
    assert!(fused[0].signals.iter().all(|s| s.rank.is_some()));
    // "garden hose" holds no BM25 term of the query: BM25 is absent from its signals.
    let hose = fused.iter().find(|r| r.product_id == "P3").unwrap();
    assert_eq!(hose.signals[1].retriever, "bm25");
    assert_eq!(hose.signals[1].rank, None);

    let again = build_index(&config).unwrap();
    assert!(
        again.dense.unwrap().1,
        "unchanged inputs reuse the dense index"
    );
    assert!(
        again.splade.unwrap().1,
        "unchanged inputs reuse the SPLADE index"
    );

    let mut truncated = config.clone();
    truncated.neural.dim = Some(64);
    let searcher = Searcher::open(&truncated, false).unwrap();
    let results = searcher
        .search("wireless mouse", 3, &Strategy::parse("dense").unwrap())
        .unwrap();
    assert!(results[0].title.contains("Mouse"));
}

#[test]
fn a_different_query_model_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = setup(tmp.path());
    config.neural.splade = false;
    build_index(&config).unwrap();
    // Point the dense query encoder at another model than the one that built the index.
    config.models.dense = "splade-tiny".into();
    let err = Searcher::open(&config, false).err().unwrap().to_string();
    assert!(
        err.contains("dense index was built with the model"),
        "{err}"
    );
    assert!(
        err.contains("all-minilm-l6-v2") && err.contains("splade-tiny"),
        "{err}"
    );
}
