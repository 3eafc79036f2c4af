//! `esci ablation`: the reference system's experiment grid — every fused strategy at
//! every Matryoshka dimension, for each dense model variant, plus the single
//! retrievers — each cell tuned on dev and scored on the evaluation set, written as
//! Markdown tables, JSON and a recall-vs-dimension plot.

mod plot;
mod table;

pub use plot::recall_plot_svg;
pub use table::markdown;

use crate::{
    Config, EngineError, FusionSection, Reranker, Searcher, Strategy, evaluate_reranked,
    evaluate_strategy, split_queries,
};
use esci_core::QuerySet;
use esci_eval::{RunReport, find_metric};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The fused strategies of the grid, in the reference system's order.
pub const GRID_STRATEGIES: [&str; 4] = ["dense", "dense+bm25", "dense+splade", "dense+bm25+splade"];

/// The dimensions of the grid.
pub const GRID_DIMS: [usize; 5] = [384, 256, 128, 64, 32];

/// What to run.
#[derive(Debug, Clone)]
pub struct AblationPlan {
    /// Dense model variants: `None` is the base model with naive truncation, `Some(p)`
    /// the base model followed by projection `p` (e.g. `pca`, `adapter`).
    pub variants: Vec<Option<String>>,
    /// Matryoshka dimensions.
    pub dims: Vec<usize>,
    /// Strategies involving the dense retriever, run at every dimension.
    pub strategies: Vec<Strategy>,
    /// Dense-free retrievers, run once (`bm25`, `splade`).
    pub singles: Vec<Strategy>,
    /// Dimensions at which the last (fullest) strategy is also run with the rerank
    /// stage on top, when `[rerank] enabled` (`--rerank N`): the reference system's
    /// rerank row.
    pub rerank_dims: Vec<usize>,
}

impl AblationPlan {
    /// The full grid for `variants`.
    pub fn full(variants: Vec<Option<String>>) -> AblationPlan {
        let parse = |s: &str| Strategy::parse(s).expect("grid strategies are valid");
        AblationPlan {
            variants,
            dims: GRID_DIMS.to_vec(),
            strategies: GRID_STRATEGIES.iter().map(|s| parse(s)).collect(),
            singles: vec![parse("bm25"), parse("splade")],
            rerank_dims: vec![GRID_DIMS[0], 64],
        }
    }
}

/// One evaluated cell.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Dense model variant (`base`, `pca`, ...); `-` for dense-free strategies.
    pub model: String,
    /// Strategy name, e.g. `dense+bm25`.
    pub strategy: String,
    /// Matryoshka dimension; `None` for dense-free strategies.
    pub dim: Option<usize>,
    /// Mean Recall@200.
    pub recall200: f64,
    /// Mean nDCG@20.
    pub ndcg20: f64,
    /// Queries per second with every core (query encoding included).
    pub qps: f64,
    /// Single-query p99 latency in milliseconds.
    pub p99_ms: f64,
    /// Fusion parameters used (tuned on dev unless tuning is off); `None` for one
    /// retriever.
    pub fusion: Option<FusionSection>,
    /// Depth N of the rerank stage on top of the strategy, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rerank: Option<usize>,
}

impl Cell {
    /// The strategy as the tables name it: `dense+bm25`, or `dense+bm25 → rerank top 50`.
    pub fn label(&self) -> String {
        match self.rerank {
            Some(n) => format!("{} → rerank top {n}", self.strategy),
            None => self.strategy.clone(),
        }
    }
}

/// The whole grid's results.
#[derive(Debug, Clone, Serialize)]
pub struct AblationResult {
    /// Evaluation query set.
    pub query_set: QuerySet,
    /// Queries evaluated per cell.
    pub queries: usize,
    /// Products in the catalog.
    pub products: usize,
    /// Every cell, in run order.
    pub cells: Vec<Cell>,
}

/// Runs `plan` under `config` (its split, depth, fusion method and tuning switch),
/// calling `on_cell` after each cell so callers can show progress.
pub fn run_ablation(
    config: &Config,
    plan: &AblationPlan,
    mut on_cell: impl FnMut(&Cell),
) -> Result<AblationResult, EngineError> {
    if config.rerank.enabled {
        // Fail before the grid, not after its first cells, when no reranker is trained.
        crate::RerankerManifest::load(&config.rerank.model_dir(&config.models))?;
    }
    let mut cells = Vec::new();
    let mut queries_len = 0;
    let mut products = 0;
    let mut singles_done = false;
    let mut reranker: Option<Reranker> = None;
    for variant in &plan.variants {
        for &dim in &plan.dims {
            let mut cfg = config.clone();
            cfg.neural.dim = Some(dim);
            set_projection(&mut cfg, variant.as_deref());
            let searcher = Searcher::open(&cfg, true)?;
            let queries = split_queries(searcher.catalog(), cfg.eval.split);
            queries_len = queries.len();
            products = searcher.catalog().len();
            let model = variant.clone().unwrap_or_else(|| "base".to_owned());
            let mut fullest = None;
            for strategy in &plan.strategies {
                let (report, fusion) =
                    evaluate_strategy(&searcher, strategy, &cfg, &queries, false)?;
                let cell = cell_of(&report, &model, strategy, Some(dim), fusion.clone());
                on_cell(&cell);
                cells.push(cell);
                fullest = Some((strategy, fusion));
            }
            if let Some((strategy, fusion)) = fullest
                && cfg.rerank.enabled
                && plan.rerank_dims.contains(&dim)
            {
                // Opened once, at the first cell that needs it.
                let stage = match reranker.take() {
                    Some(stage) => stage,
                    None => Reranker::open(&cfg, searcher.catalog())?,
                };
                let report =
                    evaluate_reranked(&searcher, &stage, strategy, &fusion, &cfg, &queries, false)?;
                let mut cell = cell_of(&report, &model, strategy, Some(dim), fusion);
                cell.rerank = Some(stage.depth());
                reranker = Some(stage);
                on_cell(&cell);
                cells.push(cell);
            }
            if !singles_done {
                for strategy in &plan.singles {
                    let (report, _) =
                        evaluate_strategy(&searcher, strategy, &cfg, &queries, false)?;
                    let cell = cell_of(&report, "-", strategy, None, cfg.fusion.clone());
                    on_cell(&cell);
                    cells.push(cell);
                }
                singles_done = true;
            }
        }
    }
    Ok(AblationResult {
        query_set: config.eval.split,
        queries: queries_len,
        products,
        cells,
    })
}

/// Writes `ablation.md`, `ablation.json` and `recall_vs_dim.svg` into a new folder
/// `<runs_dir>/ablation-<unix time>`; returns the folder.
pub fn save_ablation(result: &AblationResult, runs_dir: &Path) -> Result<PathBuf, EngineError> {
    let dir = runs_dir.join(format!("ablation-{}", crate::unix_now()));
    std::fs::create_dir_all(&dir).map_err(EngineError::io(&dir))?;
    let json = serde_json::to_string_pretty(result)
        .map_err(|e| EngineError::Input(format!("ablation result as JSON: {e}")))?;
    for (name, text) in [
        ("ablation.md", markdown(result)),
        ("ablation.json", json),
        ("recall_vs_dim.svg", recall_plot_svg(result)),
    ] {
        let path = dir.join(name);
        esci_core::atomic_file::write_atomically(&path, |w| {
            std::io::Write::write_all(w, text.as_bytes())
        })
        .map_err(EngineError::io(&path))?;
    }
    Ok(dir)
}

/// Points `config` at a projected dense index, or at the base model's.
fn set_projection(config: &mut Config, projection: Option<&str>) {
    config.neural.projection = projection.map(str::to_owned);
}

fn cell_of(
    report: &RunReport,
    model: &str,
    strategy: &Strategy,
    dim: Option<usize>,
    fusion: FusionSection,
) -> Cell {
    let mean = |key: &str| find_metric(&report.metrics, key).map_or(0.0, |m| m.mean);
    let fused = strategy.parts.len() > 1;
    Cell {
        model: model.to_owned(),
        strategy: strategy.name(),
        dim,
        recall200: mean("recall@200"),
        ndcg20: mean("ndcg@20"),
        qps: report
            .throughput
            .iter()
            .max_by_key(|t| t.threads)
            .map_or(0.0, |t| t.qps),
        p99_ms: report.latency.as_ref().map_or(0.0, |l| l.p99_ms),
        fusion: fused.then_some(fusion),
        rerank: None,
    }
}
