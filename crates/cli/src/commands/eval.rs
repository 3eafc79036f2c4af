//! `esci eval`

use esci_engine::{Config, EvalOptions, Searcher, evaluate, save_run, split_queries};
use esci_eval::{MetricsConfig, RunReport, markdown_table};

/// Evaluates BM25 on the configured split, prints the table and writes the run JSON.
pub fn run(config: &Config, task1: bool) -> anyhow::Result<RunReport> {
    let searcher = Searcher::open(config, true)?;
    let queries = split_queries(searcher.catalog(), config.eval.split);
    let metrics = MetricsConfig {
        gain: config.eval.gain,
        ..MetricsConfig::default()
    };
    let options = EvalOptions {
        name: "bm25".into(),
        split: config.eval.split,
        depth: config.eval.depth,
        metrics: metrics.clone(),
        task1,
        threads: config.eval.threads,
        min_timing_seconds: config.eval.min_timing_seconds,
        params: serde_json::json!({
            "bm25": searcher.manifest().bm25,
            "analyzer": config.analyzer,
            "corpus": searcher.manifest().corpus,
            "depth": config.eval.depth,
            "metrics": metrics,
        }),
    };
    let report = evaluate(searcher.bm25(), &queries, &options)?;
    let path = save_run(&report, &config.artifacts.runs_dir)?;
    println!(
        "{} queries of the {} split, {} products\n",
        report.queries,
        report.split,
        searcher.catalog().len()
    );
    println!("{}", markdown_table(std::slice::from_ref(&report)));
    eprintln!("run written to {}", path.display());
    Ok(report)
}
