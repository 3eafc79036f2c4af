//! The rerank stage: a trained cross-encoder rescores the first stage's top N.
//!
//! The first stage (any [`Retriever`]: a single one or the fused hybrid) proposes; the
//! cross-encoder (on `[rerank] runtime`, default `[neural] runtime`: ONNX Runtime)
//! reads each (query, product title. brand) pair jointly, and its ranking of the top
//! `depth` hits is combined with the first stage's ([`Combination`]: weight 0 keeps the
//! first stage, 1 is the cross-encoder alone; `esci eval` picks it on dev,
//! [`crate::rerank_tune`]). Hits beyond the depth keep their first-stage order below
//! the reranked ones, so R@k for k ≥ depth is unchanged by construction. [`Reranked`]
//! wraps any retriever, so `esci eval` scores it like any other; its `score_docs`
//! combines the first stage's and the cross-encoder's scores of a judged list the same
//! way (with its own dev-chosen weight), which is what the Task-1 nDCG measures.

use crate::artifacts::Manifest;
use crate::encoder_runtime::{EncoderRuntime, load_cross_encoder};
use crate::rerank_combine::{Combination, ranks};
use crate::rerank_train::{RERANK_FIELDS, RerankerManifest, rerank_text};
use crate::rerank_tune::{RerankTuneGrid, ServedRerank, TunedRerank, collect_dev, tune_rerank};
use crate::searcher::{RetrieverSignal, SearchResult};
use crate::{Config, EngineError, Searcher, Strategy};
use esci_core::{DocId, Hit, QuerySet, RetrieveError, Retriever};
use esci_ingest::{Catalog, TextBuilder};
use esci_models::{CrossOptions, PairScorer};
use std::path::PathBuf;

/// Name of the cross-encoder in signal breakdowns (its rank among the reranked and
/// its raw score).
pub const RERANK_SIGNAL: &str = "rerank";

/// Name of the combined score (cross-encoder with the first stage) in signal
/// breakdowns: the final rank and score.
pub const COMBINED_SIGNAL: &str = "combined";

/// Metric key of the Task-1 nDCG of the cross-encoder alone (the reranked run's
/// `task1_ndcg` is the combination's).
pub const TASK1_CE_KEY: &str = "task1_ndcg_ce";

/// A loaded, trained cross-encoder and the text it reads for every product.
pub struct Reranker {
    encoder: Box<dyn PairScorer>,
    runtime: EncoderRuntime,
    manifest: RerankerManifest,
    dir: PathBuf,
    /// Product text per doc id (title. brand), built once at load.
    texts: Vec<String>,
    depth: usize,
    /// `[rerank]`'s combination, served until `esci eval` tunes one.
    configured: Combination,
    /// Whether tuned combinations are served.
    tune: bool,
    artifacts_dir: PathBuf,
}

/// One hit of a reranked list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RerankedHit {
    /// The product and its combined score.
    pub hit: Hit,
    /// Its cross-encoder rank (1-based, among the reranked) and score; `None` past the
    /// depth.
    pub cross: Option<(u32, f32)>,
}

impl std::fmt::Debug for Reranker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reranker")
            .field("dir", &self.dir)
            .field("depth", &self.depth)
            .field("runtime", &self.runtime)
            .finish_non_exhaustive()
    }
}

impl Reranker {
    /// Loads the reranker of `[rerank]` (model directory, max length, batch size, depth)
    /// for the products of `catalog`. A missing or untrained model is an error that
    /// names `esci train reranker`.
    pub fn open(config: &Config, catalog: &Catalog) -> Result<Reranker, EngineError> {
        config.rerank.validate().map_err(EngineError::Config)?;
        let dir = config.rerank.model_dir(&config.models);
        let manifest = RerankerManifest::load(&dir)?;
        let expected: Vec<&str> = RERANK_FIELDS.iter().map(|f| f.name()).collect();
        if manifest.fields != expected {
            return Err(EngineError::Artifacts(format!(
                "the reranker in {} reads fields {:?}, this build feeds it {expected:?}: retrain it with `esci train reranker`",
                dir.display(),
                manifest.fields
            )));
        }
        let runtime = config.rerank.runtime.unwrap_or(config.neural.runtime);
        let options = CrossOptions {
            max_length: config.rerank.max_length,
            batch_size: config.rerank.batch_size,
        };
        let encoder = load_cross_encoder(config, runtime, &dir, options)?;
        if !encoder.is_trained() {
            return Err(EngineError::Artifacts(format!(
                "the model in {} has no trained scoring head: train one with `esci train reranker`",
                dir.display()
            )));
        }
        let builder = TextBuilder::new(RERANK_FIELDS.to_vec());
        let texts = (0..catalog.len() as DocId)
            .map(|doc| rerank_text(&builder, catalog, doc))
            .collect();
        Ok(Reranker {
            encoder,
            runtime,
            manifest,
            dir,
            texts,
            depth: config.rerank.depth,
            configured: config.rerank.combination(),
            tune: config.rerank.tune,
            artifacts_dir: config.artifacts.dir.clone(),
        })
    }

    /// What runs the cross-encoder.
    pub fn runtime(&self) -> EncoderRuntime {
        self.runtime
    }

    /// The key of this reranker over the first stage `first` in `rerank-tuned.json`:
    /// first stage, depth, model (directory and training time) and runtime.
    pub fn tuning_key(&self, first: &str) -> String {
        format!(
            "{first}+rerank@{} {} {} {}",
            self.depth,
            self.dir.display(),
            self.manifest.created_unix,
            self.runtime.name()
        )
    }

    /// The combinations served over the first stage `first`: the ones the last `esci
    /// eval` tuned on dev for exactly this key and index build, else `[rerank]`'s.
    pub fn served(&self, manifest: &Manifest, first: &str) -> (ServedRerank, bool) {
        let tuned = self
            .tune
            .then(|| TunedRerank::load(&self.artifacts_dir, manifest))
            .and_then(|t| t.by_key.get(&self.tuning_key(first)).copied());
        match tuned {
            Some(t) => (t, true),
            None => (
                ServedRerank {
                    retrieval: self.configured,
                    task1: self.configured,
                },
                false,
            ),
        }
    }

    /// How many first-stage hits are rescored.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The manifest of the loaded model.
    pub fn manifest(&self) -> &RerankerManifest {
        &self.manifest
    }

    /// Cross-encoder scores of `docs` for `query`, in input order.
    pub fn score(&self, query: &str, docs: &[DocId]) -> Result<Vec<f32>, EngineError> {
        let mut pairs = Vec::with_capacity(docs.len());
        for &doc in docs {
            let text = self
                .texts
                .get(doc as usize)
                .ok_or_else(|| EngineError::Input(format!("doc id {doc} is not in the catalog")))?;
            pairs.push((query, text.as_str()));
        }
        Ok(self.encoder.score(&pairs)?)
    }

    /// Reorders the first `depth` of `hits` (best first) by the combination `c` of
    /// their first-stage scores with their cross-encoder scores; the rest follow in
    /// their order, scored below every reranked hit, so [`Hit::rank_order`] agrees with
    /// the list order.
    pub fn rerank(
        &self,
        query: &str,
        hits: &[Hit],
        c: &Combination,
    ) -> Result<Vec<RerankedHit>, EngineError> {
        let n = hits.len().min(self.depth);
        let docs: Vec<DocId> = hits[..n].iter().map(|h| h.doc).collect();
        let firsts: Vec<f32> = hits[..n].iter().map(|h| h.score).collect();
        let ce = self.score(query, &docs)?;
        let ce_ranks = ranks(&docs, &ce);
        let combined = c.scores(&docs, &firsts, &ce);
        Ok(reorder(hits, &combined)
            .into_iter()
            .map(|(hit, reranked)| RerankedHit {
                hit,
                cross: reranked.and_then(|_| {
                    let i = docs.iter().position(|&d| d == hit.doc)?;
                    Some((ce_ranks[i] as u32, ce[i]))
                }),
            })
            .collect())
    }

    /// Scores of `docs` (e.g. a judged list) combined by `c` from `first`'s scores and
    /// the cross-encoder's.
    fn combined_scores(
        &self,
        first: &dyn Retriever,
        query: &str,
        docs: &[DocId],
        c: &Combination,
    ) -> Result<Vec<f32>, EngineError> {
        let firsts = first.score_docs(query, docs)?;
        let ce = self.score(query, docs)?;
        Ok(c.scores(docs, &firsts, &ce))
    }
}

/// The reranked list: `hits[..scores.len()]` ordered by `scores` ([`Hit::rank_order`]),
/// then the rest of `hits` in their order with scores below every reranked one.
pub(crate) fn reorder(hits: &[Hit], scores: &[f32]) -> Vec<(Hit, Option<f32>)> {
    let n = scores.len().min(hits.len());
    let mut head: Vec<Hit> = hits[..n]
        .iter()
        .zip(scores)
        .map(|(h, &s)| Hit::new(h.doc, s))
        .collect();
    head.sort_by(Hit::rank_order);
    let floor = head.iter().map(|h| h.score).fold(f32::INFINITY, f32::min);
    let floor = if floor.is_finite() { floor } else { 0.0 };
    let mut out: Vec<(Hit, Option<f32>)> = head.into_iter().map(|h| (h, Some(h.score))).collect();
    out.extend(
        hits[n..]
            .iter()
            .enumerate()
            .map(|(i, h)| (Hit::new(h.doc, floor - 1.0 - i as f32), None)),
    );
    out
}

/// Any retriever with the rerank stage on top.
pub struct Reranked<'a> {
    inner: Box<dyn Retriever + 'a>,
    reranker: &'a Reranker,
    served: ServedRerank,
    name: String,
}

impl<'a> Reranked<'a> {
    /// Wraps `inner`: its top `reranker.depth()` hits are reordered by `served.retrieval`;
    /// judged lists are scored by `served.task1`.
    pub fn new(
        inner: Box<dyn Retriever + 'a>,
        reranker: &'a Reranker,
        served: ServedRerank,
    ) -> Reranked<'a> {
        let name = format!("{}+rerank@{}", inner.name(), reranker.depth());
        Reranked {
            inner,
            reranker,
            served,
            name,
        }
    }
}

fn internal(name: &str, e: EngineError) -> RetrieveError {
    RetrieveError::Internal {
        retriever: name.to_owned(),
        message: e.to_string(),
    }
}

impl Retriever for Reranked<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>, RetrieveError> {
        let hits = self.inner.search(query, k.max(self.reranker.depth()))?;
        let mut out: Vec<Hit> = self
            .reranker
            .rerank(query, &hits, &self.served.retrieval)
            .map_err(|e| internal(&self.name, e))?
            .into_iter()
            .map(|r| r.hit)
            .collect();
        out.truncate(k);
        Ok(out)
    }

    /// The first stage's and the cross-encoder's scores combined by the Task-1
    /// combination: the Task-1 nDCG of a reranked run.
    fn score_docs(&self, query: &str, docs: &[DocId]) -> Result<Vec<f32>, RetrieveError> {
        self.reranker
            .combined_scores(self.inner.as_ref(), query, docs, &self.served.task1)
            .map_err(|e| internal(&self.name, e))
    }
}

/// [`Searcher::search`] with the rerank stage: the first stage's top
/// `max(k, depth)` with their signals, the top `depth` reordered by the served
/// combination ([`Reranker::served`]) of first-stage and cross-encoder scores. The
/// cross-encoder's rank (among the reranked) and score, then the combined rank and
/// score, join each result's signals; the result's score is the combined one (below
/// every reranked one past the depth). Also returns the combination used and whether
/// it was tuned on dev.
pub fn search_reranked(
    searcher: &Searcher,
    reranker: &Reranker,
    query: &str,
    k: usize,
    strategy: &Strategy,
) -> Result<(Vec<SearchResult>, Combination, bool), EngineError> {
    let depth = k.max(reranker.depth());
    let first_name = searcher.retriever(strategy, depth)?.name().to_owned();
    let (served, tuned) = reranker.served(searcher.manifest(), &first_name);
    let first = searcher.search(query, depth, strategy)?;
    let hits: Vec<Hit> = first.iter().map(|r| Hit::new(r.doc, r.score)).collect();
    let reranked = reranker.rerank(query, &hits, &served.retrieval)?;
    let mut by_doc: std::collections::HashMap<DocId, SearchResult> =
        first.into_iter().map(|r| (r.doc, r)).collect();
    let mut out = Vec::with_capacity(k);
    for (i, r) in reranked.into_iter().take(k).enumerate() {
        let Some(mut result) = by_doc.remove(&r.hit.doc) else {
            continue;
        };
        result.rank = i + 1;
        result.score = r.hit.score;
        result.signals.push(RetrieverSignal {
            retriever: RERANK_SIGNAL.into(),
            rank: r.cross.map(|c| c.0),
            score: r.cross.map(|c| c.1),
        });
        result.signals.push(RetrieverSignal {
            retriever: COMBINED_SIGNAL.into(),
            rank: r.cross.map(|_| (i + 1) as u32),
            score: r.cross.map(|_| r.hit.score),
        });
        out.push(result);
    }
    Ok((out, served.retrieval, tuned))
}

/// Evaluates `strategy` (fused with `fusion`, e.g. the values `evaluate_strategy` just
/// tuned on dev) with the rerank stage on top: unless `[rerank] tune` is off, the
/// combination with the first stage (and, for Task 1, its own) is first chosen on the
/// dev queries ([`crate::rerank_tune`]) and recorded for search. Same metrics, timing
/// passes and run report as the first stage alone; Task-1 nDCG of the combination, and
/// of the cross-encoder alone under [`TASK1_CE_KEY`].
pub fn evaluate_reranked(
    searcher: &Searcher,
    reranker: &Reranker,
    strategy: &Strategy,
    fusion: &crate::FusionSection,
    config: &Config,
    queries: &[esci_eval::QueryJudgments],
    task1: bool,
) -> Result<esci_eval::RunReport, EngineError> {
    let grid = RerankTuneGrid::default();
    let deepest = grid
        .depths
        .iter()
        .copied()
        .fold(reranker.depth(), usize::max);
    let first = searcher.retriever_with(strategy, config.eval.depth.max(deepest), fusion)?;
    let key = reranker.tuning_key(first.name());
    let (served, tuning) = if config.rerank.tune {
        let dev_queries = crate::split_queries(searcher.catalog(), QuerySet::Dev);
        let dev = collect_dev(first.as_ref(), reranker, &dev_queries, deepest)?;
        let (retrieval, task1, report) = tune_rerank(
            &dev,
            &dev_queries,
            &grid,
            reranker.depth(),
            config.eval.gain,
        )?;
        let served = ServedRerank { retrieval, task1 };
        TunedRerank::record(&config.artifacts.dir, searcher.manifest(), &key, served)?;
        (served, Some(report))
    } else {
        (reranker.served(searcher.manifest(), first.name()).0, None)
    };
    let retriever = Reranked::new(first, reranker, served);
    let options = crate::EvalOptions::from_config(
        config,
        retriever.name(),
        task1,
        serde_json::json!({
            "strategy": strategy.name(),
            "manifest": searcher.manifest(),
            "neural": config.neural,
            "fusion": if strategy.parts.len() > 1 { Some(fusion) } else { None },
            "rerank": config.rerank,
            "rerank_runtime": reranker.runtime(),
            "rerank_combination": served,
            "rerank_tuning": tuning,
            "reranker": reranker.manifest(),
        }),
    );
    let mut report = crate::evaluate(&retriever, queries, &options)?;
    if task1 {
        for (q, metrics) in queries.iter().zip(report.per_query.iter_mut()) {
            let docs: Vec<DocId> = q.labels.iter().map(|(d, _)| *d).collect();
            let ce = reranker.score(&q.query, &docs)?;
            let hits: Vec<Hit> = docs.iter().zip(ce).map(|(&d, s)| Hit::new(d, s)).collect();
            let value = esci_eval::task1_ndcg(&hits, q, options.metrics.gain);
            metrics.values.insert(TASK1_CE_KEY.into(), value);
        }
        report.metrics = esci_eval::summarize(&report.per_query);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorder_sorts_the_head_and_keeps_the_tail_below_it() {
        let hits: Vec<Hit> = [(7, 0.9), (3, 0.8), (5, 0.7), (1, 0.6)]
            .iter()
            .map(|&(d, s)| Hit::new(d, s))
            .collect();
        let out = reorder(&hits, &[-2.0, 4.0, 1.0]);
        let docs: Vec<DocId> = out.iter().map(|(h, _)| h.doc).collect();
        assert_eq!(docs, vec![3, 5, 7, 1]);
        assert_eq!(out[0].1, Some(4.0));
        assert_eq!(out[3].1, None);
        assert!(out[3].0.score < out[2].0.score);
        let mut sorted: Vec<Hit> = out.iter().map(|(h, _)| *h).collect();
        sorted.sort_by(Hit::rank_order);
        assert_eq!(sorted.iter().map(|h| h.doc).collect::<Vec<_>>(), docs);
    }

    #[test]
    fn reorder_of_nothing_is_nothing() {
        assert!(reorder(&[], &[]).is_empty());
        let one = [Hit::new(2, 1.0)];
        assert_eq!(reorder(&one, &[]).len(), 1);
    }

    #[test]
    fn a_missing_reranker_names_the_training_command() {
        let dir = tempfile::tempdir().unwrap();
        let err = RerankerManifest::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("esci train reranker"), "{err}");
        let mut config = Config::default();
        config.models.dir = dir.path().to_path_buf();
        let catalog = Catalog::from_parts(Vec::new(), Vec::new());
        let err = Reranker::open(&config, &catalog).unwrap_err().to_string();
        assert!(err.contains("esci train reranker"), "{err}");
    }
}
