//! Tuning the rerank stage on the dev queries, and serving what was chosen.
//!
//! For each dev query the first stage's top `max depth` and the cross-encoder's scores
//! of them are computed once (likewise the judged list's first-stage and cross-encoder
//! scores, for Task 1); every candidate [`Combination`] is then a cheap re-sort. The
//! retrieval objective is mean nDCG@20 of the reranked list, the Task-1 objective mean
//! Task-1 nDCG of the combined judged-list scores; each picks its own combination.
//! Weight 0 (the first stage alone) is always a candidate and wins ties (weights are
//! tried in ascending order and the sort is stable), so on dev the rerank stage is
//! never worse than the first stage by construction. The choice is recorded in the run
//! JSON and in `rerank-tuned.json` beside the indexes, which `esci search` serves.

use crate::EngineError;
use crate::artifacts::Manifest;
use crate::rerank::{Reranker, reorder};
use crate::rerank_combine::{Combination, CombineMethod};
use esci_core::{DocId, Hit, QuerySet, Retriever};
use esci_eval::{GainScheme, QueryJudgments, ndcg_at, task1_ndcg};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The candidates a rerank tuning run tries.
#[derive(Debug, Clone, Serialize)]
pub struct RerankTuneGrid {
    /// Rerank depths N scored (the run's own depth is always added).
    pub depths: Vec<usize>,
    /// Combination forms.
    pub methods: Vec<CombineMethod>,
    /// RRF k values (the `rrf` form only).
    pub ks: Vec<f32>,
    /// Cross-encoder weights, ascending, starting at 0.
    pub weights: Vec<f32>,
}

impl Default for RerankTuneGrid {
    fn default() -> RerankTuneGrid {
        RerankTuneGrid {
            depths: vec![50, 100],
            methods: vec![CombineMethod::Rrf, CombineMethod::Minmax],
            ks: vec![10.0, 30.0, 60.0],
            weights: (0..=20).map(|i| i as f32 / 20.0).collect(),
        }
    }
}

/// One dev query's cached scores.
#[derive(Debug, Clone)]
pub struct DevQuery {
    /// The first stage's top hits, best first.
    first: Vec<Hit>,
    /// Cross-encoder scores of `first`, same order.
    ce: Vec<f32>,
    /// The judged products.
    judged: Vec<DocId>,
    /// Their first-stage scores.
    judged_first: Vec<f32>,
    /// Their cross-encoder scores.
    judged_ce: Vec<f32>,
}

/// One candidate's dev score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RerankTrial {
    /// Rerank depth N.
    pub depth: usize,
    /// The combination.
    pub combination: Combination,
    /// Mean nDCG@20 (retrieval) or Task-1 nDCG (judged lists) on dev.
    pub value: f64,
}

/// The dev figures at one depth.
#[derive(Debug, Clone, Serialize)]
pub struct DepthSummary {
    /// Rerank depth N.
    pub depth: usize,
    /// nDCG@20 with the cross-encoder alone (weight 1, the stage before combining).
    pub cross_encoder_alone: f64,
    /// The best candidate at this depth.
    pub best: RerankTrial,
}

/// What a rerank tuning run tried and chose; recorded in the run report.
#[derive(Debug, Clone, Serialize)]
pub struct RerankTuneReport {
    /// Where the queries came from (always dev).
    pub query_set: QuerySet,
    /// Dev queries scored.
    pub queries: usize,
    /// The quantities maximised.
    pub objective: &'static str,
    /// The grid searched.
    pub grid: RerankTuneGrid,
    /// Retrieval candidates tried (all depths).
    pub trials: usize,
    /// nDCG@20 of the first stage alone on dev.
    pub first_stage_ndcg20: f64,
    /// Per depth: the cross-encoder alone and the best combination.
    pub by_depth: Vec<DepthSummary>,
    /// The chosen retrieval combination, at the run's depth.
    pub chosen: RerankTrial,
    /// The best ten at the run's depth, best first.
    pub top: Vec<RerankTrial>,
    /// Task-1 nDCG of the first stage's scores alone on dev.
    pub task1_first_stage: f64,
    /// Task-1 nDCG of the cross-encoder alone on dev.
    pub task1_cross_encoder: f64,
    /// The chosen Task-1 combination.
    pub task1_chosen: RerankTrial,
}

/// Scores each dev query's first-stage top `depth` and judged list with `first` and
/// the cross-encoder, once.
pub fn collect_dev(
    first: &dyn Retriever,
    reranker: &Reranker,
    queries: &[QueryJudgments],
    depth: usize,
) -> Result<Vec<DevQuery>, EngineError> {
    let bar = crate::progress::bar(queries.len() as u64, "rerank dev lists");
    let out = queries
        .iter()
        .map(|q| {
            let first_hits = first.search(&q.query, depth)?;
            let docs: Vec<DocId> = first_hits.iter().map(|h| h.doc).collect();
            let ce = reranker.score(&q.query, &docs)?;
            let judged: Vec<DocId> = q.labels.iter().map(|(d, _)| *d).collect();
            let judged_first = first.score_docs(&q.query, &judged)?;
            let judged_ce = reranker.score(&q.query, &judged)?;
            bar.inc(1);
            Ok(DevQuery {
                first: first_hits,
                ce,
                judged,
                judged_first,
                judged_ce,
            })
        })
        .collect::<Result<Vec<_>, EngineError>>();
    bar.finish_and_clear();
    out
}

/// Mean over the defined values.
fn mean(values: impl Iterator<Item = Option<f64>>) -> f64 {
    let (sum, n) = values
        .flatten()
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// Mean nDCG@20 of the dev lists reranked at `depth` with `c`.
fn retrieval_value(
    dev: &[DevQuery],
    queries: &[QueryJudgments],
    depth: usize,
    c: &Combination,
    gain: GainScheme,
) -> f64 {
    mean(dev.iter().zip(queries).map(|(d, q)| {
        let n = depth.min(d.first.len());
        let docs: Vec<DocId> = d.first[..n].iter().map(|h| h.doc).collect();
        let firsts: Vec<f32> = d.first[..n].iter().map(|h| h.score).collect();
        let combined = c.scores(&docs, &firsts, &d.ce[..n]);
        let ranked: Vec<DocId> = reorder(&d.first, &combined)
            .iter()
            .map(|(h, _)| h.doc)
            .collect();
        ndcg_at(&ranked, q, 20, gain)
    }))
}

/// Mean Task-1 nDCG of the dev judged lists scored with `c`.
fn task1_value(
    dev: &[DevQuery],
    queries: &[QueryJudgments],
    c: &Combination,
    gain: GainScheme,
) -> f64 {
    mean(dev.iter().zip(queries).map(|(d, q)| {
        let scores = c.scores(&d.judged, &d.judged_first, &d.judged_ce);
        let hits: Vec<Hit> = d
            .judged
            .iter()
            .zip(scores)
            .map(|(&doc, s)| Hit::new(doc, s))
            .collect();
        task1_ndcg(&hits, q, gain)
    }))
}

/// Every combination of `grid`, weight outermost (ascending), so that among equal
/// scores the smallest weight comes first.
fn candidates(grid: &RerankTuneGrid) -> Vec<Combination> {
    let mut out = Vec::new();
    for &weight in &grid.weights {
        for &method in &grid.methods {
            let ks: &[f32] = match method {
                CombineMethod::Rrf => &grid.ks,
                CombineMethod::Minmax => &[0.0],
            };
            for &k in ks {
                out.push(Combination { method, weight, k });
            }
        }
    }
    out
}

fn best_first(trials: &mut [RerankTrial]) {
    trials.sort_by(|a, b| b.value.total_cmp(&a.value));
}

/// Picks the retrieval combination at `depth` and the Task-1 combination on `dev`.
/// Returns (retrieval, Task-1, report).
pub fn tune_rerank(
    dev: &[DevQuery],
    queries: &[QueryJudgments],
    grid: &RerankTuneGrid,
    depth: usize,
    gain: GainScheme,
) -> Result<(Combination, Combination, RerankTuneReport), EngineError> {
    let cands = candidates(grid);
    if dev.is_empty() || dev.len() != queries.len() || cands.is_empty() {
        return Err(EngineError::Input(
            "rerank tuning needs judged dev queries and a non-empty grid".into(),
        ));
    }
    let mut depths = grid.depths.clone();
    depths.push(depth);
    depths.sort_unstable();
    depths.dedup();
    let alone = |weight: f32| Combination {
        method: CombineMethod::Rrf,
        weight,
        k: 60.0,
    };
    let mut by_depth = Vec::new();
    let mut chosen_top = Vec::new();
    let mut trials = 0;
    for &n in &depths {
        let mut scored: Vec<RerankTrial> = cands
            .iter()
            .map(|c| RerankTrial {
                depth: n,
                combination: *c,
                value: retrieval_value(dev, queries, n, c, gain),
            })
            .collect();
        trials += scored.len();
        best_first(&mut scored);
        by_depth.push(DepthSummary {
            depth: n,
            cross_encoder_alone: retrieval_value(dev, queries, n, &alone(1.0), gain),
            best: scored[0].clone(),
        });
        if n == depth {
            chosen_top = scored.into_iter().take(10).collect();
        }
    }
    let mut task1: Vec<RerankTrial> = cands
        .iter()
        .map(|c| RerankTrial {
            depth: 0,
            combination: *c,
            value: task1_value(dev, queries, c, gain),
        })
        .collect();
    best_first(&mut task1);
    let chosen = chosen_top[0].clone();
    let report = RerankTuneReport {
        query_set: QuerySet::Dev,
        queries: queries.len(),
        objective: "retrieval: mean nDCG@20 of the reranked list; Task 1: mean Task-1 nDCG",
        grid: RerankTuneGrid {
            depths,
            ..grid.clone()
        },
        trials,
        first_stage_ndcg20: retrieval_value(dev, queries, depth, &alone(0.0), gain),
        by_depth,
        chosen: chosen.clone(),
        top: chosen_top,
        task1_first_stage: task1_value(dev, queries, &alone(0.0), gain),
        task1_cross_encoder: task1_value(dev, queries, &alone(1.0), gain),
        task1_chosen: task1[0].clone(),
    };
    Ok((chosen.combination, task1[0].combination, report))
}

/// File name of the served rerank combinations inside the artifact directory.
pub const RERANK_TUNED_FILE: &str = "rerank-tuned.json";

/// The combinations a reranked retriever is served with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServedRerank {
    /// Orders the reranked list.
    pub retrieval: Combination,
    /// Scores a judged list (Task 1).
    pub task1: Combination,
}

/// Dev-tuned rerank combinations by reranked retriever (first stage, depth, reranker
/// model and runtime), stamped with the manifest they were tuned against: after a
/// rebuild the file is ignored until `esci eval` tunes again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TunedRerank {
    /// `created_unix` of the manifest tuned against.
    pub manifest_created_unix: u64,
    /// Catalog fingerprint of that manifest.
    pub corpus_fingerprint: String,
    /// Combinations by key ([`Reranker::tuning_key`]).
    pub by_key: BTreeMap<String, ServedRerank>,
}

impl TunedRerank {
    fn path(dir: &Path) -> PathBuf {
        dir.join(RERANK_TUNED_FILE)
    }

    /// The tuned combinations for `manifest` (empty when missing, stale or unreadable:
    /// the file only caches a tuning run).
    pub fn load(dir: &Path, manifest: &Manifest) -> TunedRerank {
        TunedRerank::load_stamped(dir, manifest.created_unix, &manifest.corpus.fingerprint)
    }

    fn load_stamped(dir: &Path, created_unix: u64, corpus: &str) -> TunedRerank {
        std::fs::read_to_string(TunedRerank::path(dir))
            .ok()
            .and_then(|text| serde_json::from_str::<TunedRerank>(&text).ok())
            .filter(|t| t.manifest_created_unix == created_unix && t.corpus_fingerprint == corpus)
            .unwrap_or_else(|| TunedRerank {
                manifest_created_unix: created_unix,
                corpus_fingerprint: corpus.to_owned(),
                by_key: BTreeMap::new(),
            })
    }

    /// Records `served` under `key` and writes the file atomically.
    pub fn record(
        dir: &Path,
        manifest: &Manifest,
        key: &str,
        served: ServedRerank,
    ) -> Result<(), EngineError> {
        let stamp = (manifest.created_unix, manifest.corpus.fingerprint.as_str());
        TunedRerank::record_stamped(dir, stamp, key, served)
    }

    fn record_stamped(
        dir: &Path,
        (created_unix, corpus): (u64, &str),
        key: &str,
        served: ServedRerank,
    ) -> Result<(), EngineError> {
        let mut tuned = TunedRerank::load_stamped(dir, created_unix, corpus);
        tuned.by_key.insert(key.to_owned(), served);
        let path = TunedRerank::path(dir);
        let json =
            serde_json::to_string_pretty(&tuned).map_err(|e| EngineError::Input(e.to_string()))?;
        esci_core::atomic_file::write_atomically(&path, |w| {
            std::io::Write::write_all(w, json.as_bytes())
        })
        .map_err(EngineError::io(&path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::{EsciLabel, Split};

    fn judged(labels: &[(DocId, EsciLabel)]) -> QueryJudgments {
        QueryJudgments {
            query_id: "q".into(),
            query: "q".into(),
            split: Split::Train,
            labels: labels.to_vec(),
        }
    }

    fn dev(first: &[(DocId, f32)], ce: &[f32]) -> DevQuery {
        DevQuery {
            first: first.iter().map(|&(d, s)| Hit::new(d, s)).collect(),
            ce: ce.to_vec(),
            judged: first.iter().map(|&(d, _)| d).collect(),
            judged_first: first.iter().map(|&(_, s)| s).collect(),
            judged_ce: ce.to_vec(),
        }
    }

    fn grid() -> RerankTuneGrid {
        RerankTuneGrid {
            depths: vec![2],
            ..RerankTuneGrid::default()
        }
    }

    #[test]
    fn a_useless_cross_encoder_gets_weight_zero() {
        // The first stage has the exact product first; the cross-encoder puts it last.
        let d = dev(&[(1, 3.0), (2, 2.0), (3, 1.0)], &[-1.0, 5.0, 4.0]);
        let q = judged(&[(1, EsciLabel::Exact), (2, EsciLabel::Irrelevant)]);
        let (c, t1, report) = tune_rerank(&[d], &[q], &grid(), 3, GainScheme::Linear).unwrap();
        assert_eq!(c.weight, 0.0);
        assert_eq!(t1.weight, 0.0);
        assert_eq!(report.chosen.value, report.first_stage_ndcg20);
        assert!(report.by_depth.iter().all(|s| s.cross_encoder_alone < 1.0));
        assert_eq!(report.by_depth.len(), 2, "depths 2 and 3");
    }

    #[test]
    fn a_good_cross_encoder_gets_weight() {
        // The exact product is third in the first stage; the cross-encoder puts it first.
        let d = dev(&[(1, 3.0), (2, 2.0), (3, 1.0)], &[0.0, 1.0, 9.0]);
        let q = judged(&[(3, EsciLabel::Exact), (1, EsciLabel::Irrelevant)]);
        let (c, t1, report) = tune_rerank(&[d], &[q], &grid(), 3, GainScheme::Linear).unwrap();
        assert!(c.weight > 0.0 && t1.weight > 0.0);
        assert_eq!(report.chosen.value, 1.0);
        assert!(report.first_stage_ndcg20 < 1.0);
        assert_eq!(report.task1_cross_encoder, 1.0);
    }

    #[test]
    fn tuned_file_round_trips_and_goes_stale_with_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let c = Combination {
            method: CombineMethod::Minmax,
            weight: 0.3,
            k: 0.0,
        };
        let served = ServedRerank {
            retrieval: c,
            task1: c,
        };
        TunedRerank::record_stamped(dir.path(), (5, "c"), "a", served).unwrap();
        let load = |t, c| TunedRerank::load_stamped(dir.path(), t, c).by_key;
        assert_eq!(load(5, "c")["a"], served);
        assert!(load(6, "c").is_empty());
        assert!(load(5, "d").is_empty());
    }
}
