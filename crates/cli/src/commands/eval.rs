//! `esci eval`

use esci_core::QuerySet;
use esci_engine::{
    Config, FusionSection, Reranker, Searcher, Strategy, evaluate_reranked, evaluate_strategy,
    save_run, split_queries,
};
use esci_eval::{RunReport, markdown_table};

/// Evaluates each strategy (default: every built retriever alone, then all fused) on
/// the configured split, prints one table and writes one run JSON per strategy. With
/// the rerank stage on (`--rerank N`), each strategy is followed by its reranked run.
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
    if config.fusion.tune && matches!(config.eval.split, QuerySet::Dev | QuerySet::Train) {
        eprintln!(
            "note: fused strategies are tuned on the dev queries, which the {} set contains: \
             its figures are optimistic (pass --no-tune, or evaluate on fit or test)",
            config.eval.split
        );
    }
    let reranker = match config.rerank.enabled {
        true => Some(Reranker::open(config, searcher.catalog())?),
        false => None,
    };
    let mut reports = Vec::new();
    for strategy in &strategies {
        let (report, fusion) = evaluate_strategy(&searcher, strategy, config, &queries, task1)?;
        if strategy.parts.len() > 1 {
            let source = if config.fusion.tune {
                "tuned on dev"
            } else {
                "as configured"
            };
            eprintln!(
                "{}: {}",
                report.name,
                describe_fusion(strategy, &fusion, source)
            );
        }
        let path = save_run(&report, &config.artifacts.runs_dir)?;
        eprintln!("{}: run written to {}", report.name, path.display());
        reports.push(report);
        if let Some(reranker) = &reranker {
            let report = evaluate_reranked(
                &searcher, reranker, strategy, &fusion, config, &queries, task1,
            )?;
            if let Some(line) = describe_rerank_tuning(&report.params["rerank_tuning"]) {
                eprintln!("{}: {line}", report.name);
            }
            let path = save_run(&report, &config.artifacts.runs_dir)?;
            eprintln!("{}: run written to {}", report.name, path.display());
            reports.push(report);
        }
    }
    println!(
        "{} queries of the {} set, {} products\n",
        queries.len(),
        config.eval.split,
        searcher.catalog().len()
    );
    println!("{}", markdown_table(&reports));
    Ok(reports)
}

/// One line saying which fusion parameters a run used and where they came from.
pub fn describe_fusion(strategy: &Strategy, fusion: &FusionSection, source: &str) -> String {
    let weights: Vec<String> = strategy
        .parts
        .iter()
        .map(|p| format!("{} {}", p.name(), fusion.weight(p.name())))
        .collect();
    let k = match fusion.method {
        esci_engine::FusionMethod::Rrf => format!(" k {}", fusion.k),
        _ => String::new(),
    };
    format!(
        "{}{k}, weights {} ({source})",
        fusion.method,
        weights.join(", ")
    )
}

/// One line with what the rerank tuning saw on dev (first stage, cross-encoder alone
/// and the best combination at each depth; Task 1 likewise), from the run's
/// `rerank_tuning` record; `None` when the run was not tuned.
fn describe_rerank_tuning(t: &serde_json::Value) -> Option<String> {
    let f = |v: &serde_json::Value| v.as_f64().map_or("-".into(), |x| format!("{x:.4}"));
    let c = |v: &serde_json::Value| {
        let w = v["weight"].as_f64().unwrap_or(0.0);
        match v["method"].as_str() {
            Some("rrf") => format!("rrf k {} weight {w:.2}", v["k"]),
            Some(m) => format!("{m} weight {w:.2}"),
            None => "-".into(),
        }
    };
    let depths: Vec<String> = t["by_depth"]
        .as_array()?
        .iter()
        .map(|d| {
            format!(
                "N={}: cross-encoder alone {}, best {} {}",
                d["depth"],
                f(&d["cross_encoder_alone"]),
                c(&d["best"]["combination"]),
                f(&d["best"]["value"])
            )
        })
        .collect();
    Some(format!(
        "dev nDCG@20 first stage {}; {}; chosen {}. Dev Task-1: first stage {}, cross-encoder alone {}, chosen {} {}",
        f(&t["first_stage_ndcg20"]),
        depths.join("; "),
        c(&t["chosen"]["combination"]),
        f(&t["task1_first_stage"]),
        f(&t["task1_cross_encoder"]),
        c(&t["task1_chosen"]["combination"]),
        f(&t["task1_chosen"]["value"])
    ))
}
