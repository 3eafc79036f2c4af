//! `esci ablation`

use crate::args::AblationArgs;
use esci_engine::Config;
use esci_engine::ablation::{AblationPlan, markdown, run_ablation, save_ablation};

/// Runs the grid, prints the tables and writes them with the plot under the runs
/// directory.
pub fn run(config: &Config, args: &AblationArgs) -> anyhow::Result<()> {
    let variants: Vec<Option<String>> = args
        .models
        .iter()
        .map(|m| match m.trim() {
            "base" | "none" => None,
            name => Some(name.to_owned()),
        })
        .collect();
    if args.dims.contains(&0) {
        anyhow::bail!("--dims: a dimension must be at least 1");
    }
    let mut plan = AblationPlan::full(variants);
    plan.dims = args.dims.clone();
    let reranked_dims = match config.rerank.enabled {
        true => plan
            .dims
            .iter()
            .filter(|d| plan.rerank_dims.contains(d))
            .count(),
        false => 0,
    };
    let total = plan.variants.len() * (plan.dims.len() * plan.strategies.len() + reranked_dims)
        + plan.singles.len();
    let mut done = 0;
    let result = run_ablation(config, &plan, |cell| {
        done += 1;
        let dim = cell.dim.map_or("-".to_owned(), |d| d.to_string());
        eprintln!(
            "[{done}/{total}] {} {} @{dim}: R@200 {:.4}, nDCG@20 {:.4}, {:.1} QPS",
            cell.model,
            cell.label(),
            cell.recall200,
            cell.ndcg20,
            cell.qps
        );
    })?;
    let dir = save_ablation(&result, &config.artifacts.runs_dir)?;
    println!("{}", markdown(&result));
    eprintln!(
        "tables, JSON and recall_vs_dim.svg written to {}",
        dir.display()
    );
    Ok(())
}
