//! Unjudged products near the top of a retriever's list: the weak negatives both
//! trainers mine.
//!
//! ESCI's judged lists hold only products Amazon's own retrieval surfaced for a query,
//! never the off-topic ones our first stage also ranks high. A model trained on judged
//! lists alone never learns to push those down; the products of a query's top `depth`
//! that are not judged for it are, for nearly every query, not what the shopper wanted,
//! and nDCG counts them as gain 0.

use crate::{Config, EngineError, Searcher, catalog_fingerprint};
use esci_core::{DocId, Retriever};
use esci_eval::QueryJudgments;
use esci_ingest::Catalog;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Which list the reranker's weak negatives come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NegativeSource {
    /// BM25's top `depth`.
    Bm25,
    /// The default fused first stage's top `depth`: exactly the list the rerank stage
    /// reorders (its fusion served as `esci search` serves it).
    FirstStage,
}

impl NegativeSource {
    /// `bm25` or `first-stage`.
    pub fn name(self) -> &'static str {
        match self {
            NegativeSource::Bm25 => "bm25",
            NegativeSource::FirstStage => "first-stage",
        }
    }
}

/// For each query, the products of `retriever`'s top `depth` that are not judged for
/// it, in rank order.
pub fn unjudged_in(
    retriever: &dyn Retriever,
    queries: &[QueryJudgments],
    depth: usize,
) -> Result<Vec<Vec<DocId>>, EngineError> {
    queries
        .iter()
        .map(|q| {
            let judged: HashSet<DocId> = q.labels.iter().map(|(d, _)| *d).collect();
            Ok(retriever
                .search(&q.query, depth)?
                .into_iter()
                .map(|h| h.doc)
                .filter(|d| !judged.contains(d))
                .collect())
        })
        .collect()
}

/// [`unjudged_in`] BM25's top `depth`, loading only the BM25 index (no neural model).
pub fn bm25_unjudged(
    config: &Config,
    catalog: &Catalog,
    queries: &[QueryJudgments],
    depth: usize,
) -> Result<Vec<Vec<DocId>>, EngineError> {
    let dir = &config.artifacts.dir;
    let manifest = crate::artifacts::Manifest::load(dir)?;
    manifest.check_corpus(catalog.len(), &catalog_fingerprint(&catalog.products))?;
    let bm25 = crate::build::load_bm25(dir, &manifest)?;
    unjudged_in(&bm25, queries, depth)
}

/// [`unjudged_in`] the default fused first stage's top `depth` of `searcher`.
pub fn first_stage_unjudged(
    searcher: &Searcher,
    queries: &[QueryJudgments],
    depth: usize,
) -> Result<Vec<Vec<DocId>>, EngineError> {
    let strategy = searcher.default_strategy();
    let first = searcher.retriever(&strategy, depth)?;
    unjudged_in(first.as_ref(), queries, depth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::{EsciLabel, Hit, RetrieveError, Split};

    /// Returns documents 0..k for every query.
    struct Ranks;

    impl Retriever for Ranks {
        fn name(&self) -> &str {
            "ranks"
        }
        fn search(&self, _query: &str, k: usize) -> Result<Vec<Hit>, RetrieveError> {
            Ok((0..k as DocId)
                .map(|doc| Hit {
                    doc,
                    score: -(doc as f32),
                })
                .collect())
        }
        fn score_docs(&self, _query: &str, docs: &[DocId]) -> Result<Vec<f32>, RetrieveError> {
            Ok(docs.iter().map(|&d| -(d as f32)).collect())
        }
    }

    #[test]
    fn judged_products_are_left_out_and_rank_order_kept() {
        let q = QueryJudgments {
            query_id: "q".into(),
            query: "shoes".into(),
            split: Split::Train,
            labels: vec![(1, EsciLabel::Exact), (3, EsciLabel::Irrelevant)],
        };
        let pools = unjudged_in(&Ranks, &[q], 6).unwrap();
        assert_eq!(pools, vec![vec![0, 2, 4, 5]]);
    }
}
