//! The benchmark entry point: a quick run checks its figures are sane; the full
//! 480,000-document run is `#[ignore]`d (run it in release, see below).

use esci_sparse::{DocPruning, SparseBenchOptions, bench_sparse};

#[test]
fn small_benchmark_agrees_with_its_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let options = SparseBenchOptions {
        queries: 20,
        k: 50,
        min_seconds: 0.0,
        scratch_dir: Some(dir.path().to_owned()),
        ..SparseBenchOptions::default()
    };
    let report = bench_sparse(3000, 7, &options).unwrap();
    assert!(report.identical_results);
    assert!(report.errors_within_bound, "{}", report.markdown());
    assert!(report.postings > 3000 * 50);
    assert!((15.0..=30.0).contains(&report.mean_query_terms));
    let md = report.markdown();
    assert!(md.contains("| search QPS, all threads |"), "{md}");
    assert!(report.save_load_mib.is_some());

    let pruned = bench_sparse(
        3000,
        7,
        &SparseBenchOptions {
            pruning: DocPruning {
                top_terms: Some(40),
                min_weight: 0.0,
            },
            ..options
        },
    )
    .unwrap();
    assert!(pruned.identical_results && pruned.errors_within_bound);
    assert!(pruned.postings <= 3000 * 40);
}

/// `cargo test --release -p esci-sparse --test bench -- --ignored --nocapture`
/// (optionally `ESCI_SPARSE_BENCH_DOCS`, `…_DOCS_PER_TOPIC` (0: no topics), `…_TOP_TERMS`).
#[test]
#[ignore = "minutes of CPU; run in release"]
fn full_size_benchmark() {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
    };
    let docs = env("ESCI_SPARSE_BENCH_DOCS").unwrap_or(480_000);
    let docs_per_topic = env("ESCI_SPARSE_BENCH_DOCS_PER_TOPIC").unwrap_or(250);
    let dir = tempfile::tempdir().unwrap();
    let options = SparseBenchOptions {
        pruning: DocPruning {
            top_terms: env("ESCI_SPARSE_BENCH_TOP_TERMS"),
            min_weight: 0.0,
        },
        docs_per_topic,
        scratch_dir: Some(dir.path().to_owned()),
        ..SparseBenchOptions::default()
    };
    let report = bench_sparse(docs, 42, &options).unwrap();
    println!("{}", report.markdown());
    assert!(report.identical_results);
    assert!(report.errors_within_bound);
}
