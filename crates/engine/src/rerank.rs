//! The rerank stage: a trained cross-encoder rescores the first stage's top N.
//!
//! The first stage (any [`Retriever`]: a single one or the fused hybrid) proposes; the
//! cross-encoder reads each (query, product title. brand) pair jointly and reorders the
//! top `depth` hits. Hits beyond the depth keep their first-stage order below the
//! reranked ones, so R@k for k ≥ depth is unchanged by construction. [`Reranked`] wraps
//! any retriever, so `esci eval` scores it like any other; its `score_docs` is the
//! cross-encoder itself, which is what the Task-1 nDCG (each query's judged list scored
//! and ranked) measures.

use crate::rerank_train::{RERANK_FIELDS, RerankerManifest, rerank_text};
use crate::searcher::{RetrieverSignal, SearchResult};
use crate::{Config, EngineError, Searcher, Strategy};
use esci_core::{DocId, Hit, RetrieveError, Retriever};
use esci_ingest::{Catalog, TextBuilder};
use esci_models::{CrossEncoder, CrossOptions};
use std::path::PathBuf;

/// Name of the rerank stage in signal breakdowns.
pub const RERANK_SIGNAL: &str = "rerank";

/// A loaded, trained cross-encoder and the text it reads for every product.
pub struct Reranker {
    encoder: CrossEncoder,
    manifest: RerankerManifest,
    dir: PathBuf,
    /// Product text per doc id (title. brand), built once at load.
    texts: Vec<String>,
    depth: usize,
}

impl std::fmt::Debug for Reranker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reranker")
            .field("dir", &self.dir)
            .field("depth", &self.depth)
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
        let encoder = CrossEncoder::load(
            &dir,
            CrossOptions {
                max_length: config.rerank.max_length,
                batch_size: config.rerank.batch_size,
            },
        )?;
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
            manifest,
            dir,
            texts,
            depth: config.rerank.depth,
        })
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

    /// Reorders the first `depth` of `hits` (best first) by cross-encoder score; the
    /// rest follow in their order. Returns the new list and, for each reranked hit,
    /// its cross-encoder score (`None` past the depth). Scores of the returned hits
    /// are the cross-encoder's; hits past the depth get scores below all of them,
    /// decreasing, so [`Hit::rank_order`] agrees with the list order.
    pub fn rerank(
        &self,
        query: &str,
        hits: &[Hit],
    ) -> Result<Vec<(Hit, Option<f32>)>, EngineError> {
        let n = hits.len().min(self.depth);
        let docs: Vec<DocId> = hits[..n].iter().map(|h| h.doc).collect();
        let scores = self.score(query, &docs)?;
        Ok(reorder(hits, &scores))
    }
}

/// The reranked list: `hits[..scores.len()]` ordered by `scores` ([`Hit::rank_order`]),
/// then the rest of `hits` in their order with scores below every reranked one.
fn reorder(hits: &[Hit], scores: &[f32]) -> Vec<(Hit, Option<f32>)> {
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
    name: String,
}

impl<'a> Reranked<'a> {
    /// Wraps `inner`: its top `reranker.depth()` hits are rescored.
    pub fn new(inner: Box<dyn Retriever + 'a>, reranker: &'a Reranker) -> Reranked<'a> {
        let name = format!("{}+rerank@{}", inner.name(), reranker.depth());
        Reranked {
            inner,
            reranker,
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
            .rerank(query, &hits)
            .map_err(|e| internal(&self.name, e))?
            .into_iter()
            .map(|(h, _)| h)
            .collect();
        out.truncate(k);
        Ok(out)
    }

    /// The cross-encoder's scores: Task-1 nDCG of a reranked run is the reranker's.
    fn score_docs(&self, query: &str, docs: &[DocId]) -> Result<Vec<f32>, RetrieveError> {
        self.reranker
            .score(query, docs)
            .map_err(|e| internal(&self.name, e))
    }
}

/// [`Searcher::search`] with the rerank stage: the first stage's top
/// `max(k, depth)` with their signals, the top `depth` reordered by the cross-encoder,
/// whose score and rank (1-based, among the reranked) join each result's signals. The
/// result's score is the cross-encoder's (below every reranked one past the depth).
pub fn search_reranked(
    searcher: &Searcher,
    reranker: &Reranker,
    query: &str,
    k: usize,
    strategy: &Strategy,
) -> Result<Vec<SearchResult>, EngineError> {
    let first = searcher.search(query, k.max(reranker.depth()), strategy)?;
    let hits: Vec<Hit> = first.iter().map(|r| Hit::new(r.doc, r.score)).collect();
    let reranked = reranker.rerank(query, &hits)?;
    let mut by_doc: std::collections::HashMap<DocId, SearchResult> =
        first.into_iter().map(|r| (r.doc, r)).collect();
    let mut out = Vec::with_capacity(k);
    for (i, (hit, score)) in reranked.into_iter().take(k).enumerate() {
        let Some(mut result) = by_doc.remove(&hit.doc) else {
            continue;
        };
        result.rank = i + 1;
        result.score = hit.score;
        result.signals.push(RetrieverSignal {
            retriever: RERANK_SIGNAL.into(),
            rank: score.map(|_| (i + 1) as u32),
            score,
        });
        out.push(result);
    }
    Ok(out)
}

/// Evaluates `strategy` (fused with `fusion`, e.g. the values `evaluate_strategy` just
/// tuned on dev) with the rerank stage on top: the same metrics, timing passes and run
/// report as the first stage alone, plus Task-1 nDCG from the cross-encoder.
pub fn evaluate_reranked(
    searcher: &Searcher,
    reranker: &Reranker,
    strategy: &Strategy,
    fusion: &crate::FusionSection,
    config: &Config,
    queries: &[esci_eval::QueryJudgments],
    task1: bool,
) -> Result<esci_eval::RunReport, EngineError> {
    let first =
        searcher.retriever_with(strategy, config.eval.depth.max(reranker.depth()), fusion)?;
    let retriever = Reranked::new(first, reranker);
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
            "reranker": reranker.manifest(),
        }),
    );
    crate::evaluate(&retriever, queries, &options)
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
