//! Fusion tuning: a grid search over the fusion parameters of one strategy on the dev
//! queries (carved from train, never test), with each retriever's ranked lists
//! computed once and re-fused for every candidate.
//!
//! Objective: mean nDCG@20 + mean Recall@200 on dev, the two headline metrics with
//! equal say, so a tuned hybrid is not bought with one at the cost of the other.
//! Weights are relative, so the first retriever's weight stays 1 and the others move.

use crate::{EngineError, FusionSection, Searcher, Strategy, split_queries};
use esci_core::{Hit, QuerySet, Retriever};
use esci_eval::{GainScheme, QueryJudgments, ndcg_at, recall_at};
use esci_fusion::{FusionInput, FusionMethod, fuse};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// The candidates a tuning run tries.
#[derive(Debug, Clone, Serialize)]
pub struct TuneGrid {
    /// RRF k values (ignored by the score combinations, which have no k).
    pub ks: Vec<f32>,
    /// Relative weights tried for every retriever but the first.
    pub weights: Vec<f32>,
}

impl Default for TuneGrid {
    fn default() -> TuneGrid {
        TuneGrid {
            ks: vec![5.0, 10.0, 20.0, 40.0, 60.0, 100.0],
            weights: vec![0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0],
        }
    }
}

/// One candidate's dev scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trial {
    /// RRF k (absent for score combinations).
    pub k: Option<f32>,
    /// Weight per retriever.
    pub weights: BTreeMap<String, f32>,
    /// Mean nDCG@20 on dev.
    pub ndcg20: f64,
    /// Mean Recall@200 on dev.
    pub recall200: f64,
    /// `ndcg20 + recall200`, the quantity maximised.
    pub objective: f64,
}

/// What a tuning run tried and chose; recorded in the run report.
#[derive(Debug, Clone, Serialize)]
pub struct TuneReport {
    /// The strategy tuned.
    pub strategy: String,
    /// The fusion method whose parameters were searched.
    pub method: FusionMethod,
    /// Where the queries came from (always dev).
    pub query_set: QuerySet,
    /// Dev queries scored.
    pub queries: usize,
    /// The quantity maximised.
    pub objective: &'static str,
    /// The grid searched.
    pub grid: TuneGrid,
    /// Candidates tried.
    pub trials: usize,
    /// The best ten, best first (the first is the one chosen).
    pub top: Vec<Trial>,
    /// The configuration's own values, scored the same way, for comparison.
    pub configured: Trial,
}

/// Each retriever's top-`depth` for each query: `lists[query][part]`.
pub fn collect_lists(
    parts: &[&dyn Retriever],
    queries: &[QueryJudgments],
    depth: usize,
) -> Result<Vec<Vec<Vec<Hit>>>, EngineError> {
    let bar = crate::progress::bar(queries.len() as u64, "dev lists");
    let lists = queries
        .iter()
        .map(|q| {
            let per_part = parts
                .iter()
                .map(|p| p.search(&q.query, depth))
                .collect::<Result<Vec<_>, _>>();
            bar.inc(1);
            per_part
        })
        .collect::<Result<Vec<_>, _>>()?;
    bar.finish_and_clear();
    Ok(lists)
}

/// Searches `grid` for the parameters of `base.method` that maximise the objective
/// on `queries`, given each part's lists; returns `base` with the chosen k and weights,
/// and the report.
pub fn tune_fusion(
    strategy: &Strategy,
    lists: &[Vec<Vec<Hit>>],
    queries: &[QueryJudgments],
    base: &FusionSection,
    grid: &TuneGrid,
    gain: GainScheme,
) -> Result<(FusionSection, TuneReport), EngineError> {
    let names: Vec<&str> = strategy.parts.iter().map(|p| p.name()).collect();
    if queries.is_empty() || lists.len() != queries.len() {
        return Err(EngineError::Input(
            "fusion tuning needs judged dev queries: the train split has none".into(),
        ));
    }
    if names.len() < 2 || grid.weights.is_empty() || grid.ks.is_empty() {
        return Err(EngineError::Config(format!(
            "nothing to tune for {}: fusion needs two retrievers and a non-empty grid",
            strategy.name()
        )));
    }
    let ks: Vec<Option<f32>> = match base.method {
        FusionMethod::Rrf => grid.ks.iter().copied().map(Some).collect(),
        FusionMethod::MinMax | FusionMethod::ZScore => vec![None],
    };
    let mut candidates = Vec::new();
    for k in ks {
        for rest in weight_combinations(&grid.weights, names.len() - 1) {
            let weights: BTreeMap<String, f32> = names
                .iter()
                .zip(std::iter::once(1.0).chain(rest))
                .map(|(n, w)| ((*n).to_owned(), w))
                .collect();
            candidates.push((k, weights));
        }
    }
    let score = |k: Option<f32>, weights: &BTreeMap<String, f32>| {
        let params = FusionSection {
            k: k.unwrap_or(base.k),
            weights: weights.clone(),
            ..base.clone()
        };
        score_candidate(&names, lists, queries, &params, gain)
    };
    let mut trials: Vec<Trial> = candidates
        .par_iter()
        .map(|(k, w)| score(*k, w))
        .collect::<Result<_, _>>()?;
    // Best objective first; the grid order (stable sort) breaks ties deterministically.
    trials.sort_by(|a, b| b.objective.total_cmp(&a.objective));
    let configured_weights = names
        .iter()
        .map(|n| ((*n).to_owned(), base.weight(n)))
        .collect();
    let configured = score(
        (base.method == FusionMethod::Rrf).then_some(base.k),
        &configured_weights,
    )?;
    let best = trials[0].clone();
    let mut chosen = base.clone();
    chosen.k = best.k.unwrap_or(base.k);
    chosen.weights = best.weights.clone();
    let report = TuneReport {
        strategy: strategy.name(),
        method: base.method,
        query_set: QuerySet::Dev,
        queries: queries.len(),
        objective: "mean nDCG@20 + mean Recall@200",
        grid: grid.clone(),
        trials: trials.len(),
        top: trials.into_iter().take(10).collect(),
        configured,
    };
    Ok((chosen, report))
}

/// Tunes `strategy`'s fusion on the dev queries of the searcher's catalog (which must
/// have been opened with judgments).
pub fn tune_on_dev(
    searcher: &Searcher,
    strategy: &Strategy,
    base: &FusionSection,
    grid: &TuneGrid,
    gain: GainScheme,
) -> Result<(FusionSection, TuneReport), EngineError> {
    let queries = split_queries(searcher.catalog(), QuerySet::Dev);
    let lists = collect_lists(&searcher.parts(strategy)?, &queries, base.depth)?;
    tune_fusion(strategy, &lists, &queries, base, grid, gain)
}

/// Every sequence of `n` weights drawn from `grid`, in lexicographic grid order.
fn weight_combinations(grid: &[f32], n: usize) -> Vec<Vec<f32>> {
    let mut out: Vec<Vec<f32>> = vec![Vec::new()];
    for _ in 0..n {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                grid.iter().map(move |&w| {
                    let mut next = prefix.clone();
                    next.push(w);
                    next
                })
            })
            .collect();
    }
    out
}

/// Fuses every query's lists with `params` and scores the result.
fn score_candidate(
    names: &[&str],
    lists: &[Vec<Vec<Hit>>],
    queries: &[QueryJudgments],
    params: &FusionSection,
    gain: GainScheme,
) -> Result<Trial, EngineError> {
    let mut ndcg = Mean::default();
    let mut recall = Mean::default();
    for (q, parts) in queries.iter().zip(lists) {
        let inputs: Vec<FusionInput<'_>> = names
            .iter()
            .zip(parts)
            .map(|(n, hits)| FusionInput::new(n, params.weight(n), hits))
            .collect();
        let fused = fuse(&inputs, params.method, &params.rrf(200))
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let ranked: Vec<u32> = fused.iter().map(|h| h.doc).collect();
        ndcg.add(ndcg_at(&ranked, q, 20, gain));
        recall.add(recall_at(&ranked, q, 200));
    }
    let (ndcg20, recall200) = (ndcg.value(), recall.value());
    Ok(Trial {
        k: (params.method == FusionMethod::Rrf).then_some(params.k),
        weights: names
            .iter()
            .map(|n| ((*n).to_owned(), params.weight(n)))
            .collect(),
        ndcg20,
        recall200,
        objective: ndcg20 + recall200,
    })
}

/// Mean over the defined values (a query without relevant products has no recall).
#[derive(Default)]
struct Mean {
    sum: f64,
    count: usize,
}

impl Mean {
    fn add(&mut self, value: Option<f64>) {
        if let Some(v) = value {
            self.sum += v;
            self.count += 1;
        }
    }

    fn value(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::RetrieverKind;
    use esci_core::{EsciLabel, Split};

    fn judged(relevant: &[u32]) -> QueryJudgments {
        QueryJudgments {
            query_id: "q".into(),
            query: "q".into(),
            split: Split::Train,
            labels: relevant.iter().map(|&d| (d, EsciLabel::Exact)).collect(),
        }
    }

    #[test]
    fn weight_combinations_cover_the_grid_in_order() {
        let combos = weight_combinations(&[1.0, 2.0], 2);
        assert_eq!(
            combos,
            vec![
                vec![1.0, 1.0],
                vec![1.0, 2.0],
                vec![2.0, 1.0],
                vec![2.0, 2.0]
            ]
        );
    }

    #[test]
    fn picks_the_weights_that_put_the_relevant_product_first() {
        // bm25 has the relevant doc 7 first, dense has it last: any weight that lets
        // bm25 dominate ranks it first; the tuner must find one and score it 1.0.
        let strategy = Strategy {
            parts: vec![RetrieverKind::Dense, RetrieverKind::Bm25],
        };
        let dense = vec![Hit::new(1, 0.9), Hit::new(2, 0.8), Hit::new(7, 0.1)];
        let bm25 = vec![Hit::new(7, 9.0), Hit::new(3, 1.0)];
        let lists = vec![vec![dense, bm25]];
        let queries = vec![judged(&[7])];
        let grid = TuneGrid {
            ks: vec![1.0],
            weights: vec![0.25, 4.0],
        };
        let (chosen, report) = tune_fusion(
            &strategy,
            &lists,
            &queries,
            &FusionSection::default(),
            &grid,
            GainScheme::Linear,
        )
        .unwrap();
        assert_eq!(report.trials, 2);
        // k = 1: dense weight 1 gives doc 1 1/2 and doc 7 1/4 + w/2: w = 4 wins.
        assert_eq!(chosen.weights["bm25"], 4.0);
        assert_eq!(chosen.k, 1.0);
        assert_eq!(report.top[0].ndcg20, 1.0);
        assert!(report.top[1].ndcg20 < 1.0);
    }

    #[test]
    fn refuses_a_single_retriever_and_empty_dev() {
        let single = Strategy {
            parts: vec![RetrieverKind::Bm25],
        };
        let lists = vec![vec![vec![Hit::new(1, 1.0)]]];
        let queries = vec![judged(&[1])];
        let base = FusionSection::default();
        let grid = TuneGrid::default();
        assert!(tune_fusion(&single, &lists, &queries, &base, &grid, GainScheme::Linear).is_err());
        assert!(tune_fusion(&single, &[], &[], &base, &grid, GainScheme::Linear).is_err());
    }
}
