//! The loaded, immutable BM25F index and its query path.

use crate::maxscore::{self, TermPostings};
use crate::{Bm25Params, exhaustive};
use esci_core::{DocId, Hit, RetrieveError, Retriever};
use esci_text::{Analyzer, AnalyzerConfig};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Fixed-point scale of stored impacts: a posting's BM25F contribution `s` is stored
/// as `round(s × SCALE)`. Integer sums are exact and order-independent, so pruned and
/// exhaustive traversal give bit-identical scores; the resolution (1.5e-5) is far
/// below any score difference that matters for ranking.
pub const IMPACT_SCALE: f64 = 65536.0;

/// Everything about an index except its postings: enough to check compatibility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    /// Scoring parameters the impacts were computed with.
    pub params: Bm25Params,
    /// Analyzer version the terms were produced by.
    pub analyzer_version: u32,
    /// Whether terms are stemmed.
    pub stem: bool,
    /// Whether stopwords were removed.
    pub stopwords: bool,
    /// Number of documents (doc ids are `0..num_docs`).
    pub num_docs: u32,
    /// Average token count of each indexed field, in `params.field_weights` order.
    pub avg_field_len: Vec<f64>,
}

impl IndexMeta {
    /// The analyzer configuration documents were indexed with (queries must use it too).
    pub fn analyzer_config(&self) -> AnalyzerConfig {
        AnalyzerConfig {
            stem: self.stem,
            stopwords: self.stopwords,
        }
    }
}

/// A BM25F inverted index in compressed-sparse-row form.
///
/// Term `t`'s postings are `docs[offsets[t]..offsets[t + 1]]` (ascending doc ids) with
/// the matching pre-computed `impacts`; `max_impact[t]` bounds them for pruning.
pub struct Bm25Index {
    pub(crate) meta: IndexMeta,
    pub(crate) terms: Vec<Box<str>>,
    pub(crate) term_ids: FxHashMap<Box<str>, u32>,
    pub(crate) offsets: Vec<u64>,
    pub(crate) docs: Vec<u32>,
    pub(crate) impacts: Vec<u32>,
    pub(crate) max_impact: Vec<u32>,
    pub(crate) analyzer: Analyzer,
}

/// Size figures of an index, for logs and benchmarks.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IndexStats {
    /// Documents.
    pub docs: u32,
    /// Distinct terms.
    pub terms: usize,
    /// Postings (term, doc) pairs.
    pub postings: usize,
    /// Bytes of postings, offsets and bounds in memory (term strings excluded).
    pub postings_bytes: usize,
}

impl Bm25Index {
    pub(crate) fn from_parts(
        meta: IndexMeta,
        terms: Vec<Box<str>>,
        offsets: Vec<u64>,
        docs: Vec<u32>,
        impacts: Vec<u32>,
        max_impact: Vec<u32>,
    ) -> Bm25Index {
        let term_ids = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let analyzer = Analyzer::new(meta.analyzer_config());
        Bm25Index {
            meta,
            terms,
            term_ids,
            offsets,
            docs,
            impacts,
            max_impact,
            analyzer,
        }
    }

    /// Parameters and shape of the index.
    pub fn meta(&self) -> &IndexMeta {
        &self.meta
    }

    /// Size figures.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            docs: self.meta.num_docs,
            terms: self.terms.len(),
            postings: self.docs.len(),
            postings_bytes: self.docs.len() * 8 + self.offsets.len() * 8 + self.terms.len() * 4,
        }
    }

    /// Number of documents holding `term` (an analyzed term, e.g. `drill`).
    pub fn doc_freq(&self, term: &str) -> usize {
        self.term_ids
            .get(term)
            .map_or(0, |&t| self.postings(t).0.len())
    }

    fn postings(&self, term: u32) -> (&[u32], &[u32]) {
        let start = self.offsets[term as usize] as usize;
        let end = self.offsets[term as usize + 1] as usize;
        (&self.docs[start..end], &self.impacts[start..end])
    }

    /// The query's known terms with their query-frequency weights.
    fn query_postings(&self, query: &str) -> Vec<TermPostings<'_>> {
        let mut counts: Vec<(u32, u64)> = Vec::new();
        self.analyzer.for_each_token(query, |token| {
            if let Some(&t) = self.term_ids.get(token) {
                match counts.iter_mut().find(|(id, _)| *id == t) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((t, 1)),
                }
            }
        });
        counts
            .into_iter()
            .map(|(t, weight)| {
                let (docs, impacts) = self.postings(t);
                TermPostings {
                    docs,
                    impacts,
                    weight,
                    upper_bound: weight * u64::from(self.max_impact[t as usize]),
                }
            })
            .collect()
    }

    /// Top-`k` by exhaustive scoring of every matching document: the oracle for the
    /// pruned path, and the baseline the benchmark compares against.
    pub fn search_exhaustive(&self, query: &str, k: usize) -> Vec<Hit> {
        let lists = self.query_postings(query);
        to_hits(exhaustive::top_k(&lists, self.meta.num_docs as usize, k))
    }

    /// Top-`k` with MaxScore pruning; identical to [`Bm25Index::search_exhaustive`].
    pub fn search_pruned(&self, query: &str, k: usize) -> Vec<Hit> {
        to_hits(maxscore::top_k(self.query_postings(query), k))
    }
}

fn to_hits(scored: Vec<(u32, u64)>) -> Vec<Hit> {
    scored
        .into_iter()
        .map(|(doc, s)| Hit::new(doc, (s as f64 / IMPACT_SCALE) as f32))
        .collect()
}

impl Retriever for Bm25Index {
    fn name(&self) -> &str {
        "bm25"
    }

    fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>, RetrieveError> {
        Ok(self.search_pruned(query, k))
    }

    fn score_docs(&self, query: &str, docs: &[DocId]) -> Result<Vec<f32>, RetrieveError> {
        let lists = self.query_postings(query);
        Ok(docs
            .iter()
            .map(|&doc| {
                let total: u64 = lists
                    .iter()
                    .filter_map(|l| {
                        l.docs
                            .binary_search(&doc)
                            .ok()
                            .map(|i| l.weight * u64::from(l.impacts[i]))
                    })
                    .sum();
                (total as f64 / IMPACT_SCALE) as f32
            })
            .collect())
    }
}
