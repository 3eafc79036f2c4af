//! `esci eval`

use esci_engine::{Config, EvalOptions, Searcher, Strategy, evaluate, save_run, split_queries};
use esci_eval::{MetricsConfig, RunReport, markdown_table};

/// Evaluates each strategy (default: every built retriever alone, then all fused) on
/// the configured split, prints one table and writes one run JSON per strategy.
pub fn run(config: &Config, strategies: &[String], task1: bool) -> anyhow::Result<Vec<RunReport>> {
    let searcher = Searcher::open(config, true)?;
    let strategies: Vec<Strategy> = if strategies.is_empty() {
        let all = searcher.default_strategy();
        let mut list: Vec<Strategy> = all
            .parts
            .iter()
            .map(|&p| Strategy { parts: vec![p] })
            .collect();
        if all.parts.len() > 1 {
            list.push(all);
        }
        list
    } else {
        strategies
            .iter()
            .map(|s| Strategy::parse(s).map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<_>>()?
    };
    let queries = split_queries(searcher.catalog(), config.eval.split);
    let metrics = MetricsConfig {
        gain: config.eval.gain,
        ..MetricsConfig::default()
    };
    let mut reports = Vec::new();
    for strategy in &strategies {
        let retriever = searcher.retriever(strategy, config.eval.depth)?;
        let options = EvalOptions {
            name: retriever.name().to_owned(),
            split: config.eval.split,
            depth: config.eval.depth,
            metrics: metrics.clone(),
            task1,
            threads: config.eval.threads,
            min_timing_seconds: config.eval.min_timing_seconds,
            params: serde_json::json!({
                "strategy": strategy.name(),
                "manifest": searcher.manifest(),
                "analyzer": config.analyzer,
                "neural": config.neural,
                "fusion": config.fusion,
                "depth": config.eval.depth,
                "metrics": metrics,
            }),
        };
        let report = evaluate(retriever.as_ref(), &queries, &options)?;
        let path = save_run(&report, &config.artifacts.runs_dir)?;
        eprintln!("{}: run written to {}", report.name, path.display());
        reports.push(report);
    }
    println!(
        "{} queries of the {} split, {} products\n",
        queries.len(),
        config.eval.split,
        searcher.catalog().len()
    );
    println!("{}", markdown_table(&reports));
    Ok(reports)
}
