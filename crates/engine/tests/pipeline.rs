//! The whole pipeline on the shared ESCI subset: ingest → index → search → eval, and
//! the artifact checks that keep an index from being served against the wrong catalog.

use esci_core::QuerySet;
use esci_engine::{
    Config, EngineError, EvalOptions, Searcher, Strategy, build_index, evaluate, split_queries,
};
use esci_eval::MetricsConfig;
use std::path::{Path, PathBuf};

fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/esci")
}

fn config_in(dir: &Path) -> Config {
    let mut config = Config::default();
    config.data.dir = shared_data();
    config.artifacts.dir = dir.join("artifacts");
    config.artifacts.runs_dir = dir.join("runs");
    // Encoding 12,777 products takes minutes: the neural path has its own small test.
    config.neural.dense = false;
    config.neural.splade = false;
    config
}

#[test]
fn real_subset_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config_in(tmp.path());
    let summary = build_index(&config).unwrap();
    assert_eq!(summary.products, 12_777);
    assert!(summary.stats.terms > 10_000, "{:?}", summary.stats);

    let searcher = Searcher::open(&config, true).unwrap();
    let bm25 = Strategy::parse("bm25").unwrap();
    assert_eq!(searcher.default_strategy(), bm25);
    let results = searcher.search("cordless drill 20v", 10, &bm25).unwrap();
    assert_eq!(results.len(), 10);
    assert!(results.windows(2).all(|w| w[0].score >= w[1].score));
    let top = results[0].title.to_lowercase();
    assert!(top.contains("drill"), "top result {top:?}");

    let queries = split_queries(searcher.catalog(), QuerySet::Test);
    assert!(queries.len() > 50, "{} test queries", queries.len());
    let options = EvalOptions {
        name: "bm25".into(),
        split: QuerySet::Test,
        depth: 200,
        metrics: MetricsConfig::default(),
        task1: true,
        threads: 2,
        min_timing_seconds: 0.0,
        params: serde_json::Value::Null,
    };
    let report = evaluate(searcher.bm25(), &queries, &options).unwrap();
    let mean = |key: &str| report.metric(key).unwrap().mean;
    // Loose floors well under the measured values (README): a broken analyzer, scorer or
    // id mapping lands far below them.
    assert!(
        mean("recall@200") > 0.80,
        "recall@200 {}",
        mean("recall@200")
    );
    assert!(mean("ndcg@20") > 0.55, "ndcg@20 {}", mean("ndcg@20"));
    assert!(mean("task1_ndcg") > 0.80, "task1 {}", mean("task1_ndcg"));
    assert!(mean("recall@50") <= mean("recall@100") && mean("recall@100") <= mean("recall@200"));
    let path = esci_engine::save_run(&report, &config.artifacts.runs_dir).unwrap();
    let back = esci_eval::RunReport::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(back.queries, report.queries);
}

fn write_jsonl(path: &Path, titles: &[&str]) {
    let lines: Vec<String> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"product_id": format!("P{i}"), "product_title": t, "product_locale": "us"}).to_string())
        .collect();
    std::fs::write(path, lines.join("\n")).unwrap();
}

#[test]
fn index_refuses_a_different_catalog() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = config_in(tmp.path());
    config.data.dir = tmp.path().to_owned();
    config.data.products = "catalog.jsonl".into();
    let catalog = tmp.path().join("catalog.jsonl");
    write_jsonl(&catalog, &["red cordless drill", "garden hose"]);
    build_index(&config).unwrap();
    assert!(Searcher::open(&config, false).is_ok());

    write_jsonl(&catalog, &["red cordless drill", "garden hose, green"]);
    let err = Searcher::open(&config, false).err().unwrap();
    assert!(matches!(err, EngineError::Artifacts(_)), "{err}");
    assert!(err.to_string().contains("different catalog"), "{err}");
}

#[test]
fn missing_index_and_data_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config_in(tmp.path());
    let err = Searcher::open(&config, false).err().unwrap();
    assert!(err.to_string().contains("esci index"), "{err}");

    let mut config = config_in(tmp.path());
    config.data.dir = tmp.path().join("nowhere");
    let err = build_index(&config).err().unwrap();
    assert!(err.to_string().contains("nowhere"), "{err}");
}

#[test]
fn empty_locale_selection_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = config_in(tmp.path());
    config.data.locale = "jp".into();
    let err = build_index(&config).err().unwrap();
    assert!(err.to_string().contains("no products"), "{err}");
}
