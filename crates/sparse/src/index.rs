//! The loaded, immutable SPLADE index and its query path.

use crate::bounds::RankImpacts;
use crate::builder::DocPruning;
use crate::maxscore::{self, TermPostings};
use crate::quantize::{QuantizedQuery, dequantize, quantize_query};
use crate::taat;
use crate::{SparseError, exhaustive};
use esci_core::{DocId, Hit, sort_hits};
use serde::{Deserialize, Serialize};

/// A query with at least `num_docs / DENSE_FROM` postings is scored term at a time
/// over a dense accumulator (`taat.rs`), a lighter one window by window
/// (`maxscore.rs`): the dense pass scans every document, which only pays off once
/// the postings are that many.
const DENSE_FROM: usize = 4;

/// Everything about an index except its postings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SparseMeta {
    /// Term ids are `0..vocab_size` (the encoder's vocabulary).
    pub vocab_size: u32,
    /// Doc ids are `0..num_docs`.
    pub num_docs: u32,
    /// `S_d`: stored impact per unit of document weight (65535 / heaviest weight).
    pub doc_scale: f64,
    /// The document pruning the index was built with.
    pub pruning: DocPruning,
}

/// Size figures of an index, for logs and benchmarks.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SparseStats {
    /// Documents.
    pub docs: u32,
    /// Terms with at least one posting.
    pub terms_used: usize,
    /// Postings (term, doc) pairs.
    pub postings: usize,
    /// Bytes of postings, offsets and bounds in memory.
    pub bytes: usize,
}

/// A doc-ordered inverted index in CSR form over SPLADE term ids, with quantised
/// impacts.
///
/// Term `t`'s postings are `docs[offsets[t]..offsets[t + 1]]` (ascending doc ids) with
/// the matching quantised `impacts` (never 0); `max_impact[t]` bounds them for pruning.
/// Immutable once built, so it is shared across query threads.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseIndex {
    pub(crate) meta: SparseMeta,
    pub(crate) offsets: Vec<u64>,
    pub(crate) docs: Vec<u32>,
    pub(crate) impacts: Vec<u16>,
    pub(crate) max_impact: Vec<u16>,
    /// Derived from the postings at build and load time.
    pub(crate) ranks: RankImpacts,
}

impl SparseIndex {
    /// Assembles an index; callers guarantee the invariants (`format::validate`).
    pub(crate) fn from_parts(
        meta: SparseMeta,
        offsets: Vec<u64>,
        docs: Vec<u32>,
        impacts: Vec<u16>,
        max_impact: Vec<u16>,
    ) -> SparseIndex {
        let ranks = RankImpacts::build(&offsets, &impacts);
        SparseIndex {
            meta,
            offsets,
            docs,
            impacts,
            max_impact,
            ranks,
        }
    }

    /// Shape and quantisation of the index.
    pub fn meta(&self) -> &SparseMeta {
        &self.meta
    }

    /// Size figures.
    pub fn stats(&self) -> SparseStats {
        SparseStats {
            docs: self.meta.num_docs,
            terms_used: self.offsets.windows(2).filter(|w| w[1] > w[0]).count(),
            postings: self.docs.len(),
            bytes: self.docs.len() * 6
                + self.offsets.len() * 8
                + self.max_impact.len() * 2
                + self.ranks.bytes(),
        }
    }

    /// Number of documents holding term `term` (0 for ids outside the vocabulary).
    pub fn doc_freq(&self, term: u32) -> usize {
        if term < self.meta.vocab_size {
            self.postings(term).0.len()
        } else {
            0
        }
    }

    /// Exact top-`k` by the dot product of `query` and each document, with MaxScore
    /// pruning started from a precomputed floor (`bounds.rs`): term at a time over a
    /// dense accumulator for heavy queries (`taat.rs`), window by window for light
    /// ones (`maxscore.rs`). Identical to [`SparseIndex::search_exhaustive`].
    ///
    /// `query` is `(term id, weight)` pairs; repeated term ids are summed. Documents
    /// sharing no term with the query are not returned. Ranking is by the exact integer
    /// score (see [`crate::quantize`]); the returned hits are then in
    /// [`Hit::rank_order`] of their `f32` scores.
    pub fn search(&self, query: &[(u32, f32)], k: usize) -> Result<Vec<Hit>, SparseError> {
        let q = quantize_query(query, self.meta.vocab_size)?;
        let lists = self.query_postings(&q);
        let floor = lists
            .iter()
            .map(|l| l.weight * u64::from(self.ranks.at_least_k(l.term, k)))
            .max()
            .unwrap_or(0);
        let num_docs = self.meta.num_docs as usize;
        let postings: usize = lists.iter().map(|l| l.docs.len()).sum();
        let scored = if postings.saturating_mul(DENSE_FROM) < num_docs {
            maxscore::top_k(lists, k, floor, maxscore::WALK_RATIO)
        } else {
            taat::top_k(lists, num_docs, k, floor)
        };
        Ok(self.to_hits(scored, &q))
    }

    /// Top-`k` by scoring every matching document into a dense accumulator: the oracle
    /// for [`SparseIndex::search`] and the baseline the benchmark compares against.
    pub fn search_exhaustive(
        &self,
        query: &[(u32, f32)],
        k: usize,
    ) -> Result<Vec<Hit>, SparseError> {
        let q = quantize_query(query, self.meta.vocab_size)?;
        let lists = self.query_postings(&q);
        let scored = exhaustive::top_k(&lists, self.meta.num_docs as usize, k);
        Ok(self.to_hits(scored, &q))
    }

    /// Scores exactly the given documents, in the given order, with the same numbers
    /// [`SparseIndex::search`] reports; a document sharing no term scores 0.
    pub fn score_docs(
        &self,
        query: &[(u32, f32)],
        docs: &[DocId],
    ) -> Result<Vec<f32>, SparseError> {
        if let Some(&doc) = docs.iter().find(|&&d| d >= self.meta.num_docs) {
            return Err(SparseError::DocOutOfRange {
                doc,
                num_docs: self.meta.num_docs,
            });
        }
        let q = quantize_query(query, self.meta.vocab_size)?;
        let lists = self.query_postings(&q);
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
                dequantize(total, q.scale, self.meta.doc_scale)
            })
            .collect())
    }

    /// A bound on `|reported score − Σ_t q_t d_t|` for this query and any document of
    /// the index, where `d` is the document's vector as indexed (after pruning):
    /// `0.5 · Σ q̂_t / S_d + 0.5 · Σ max d_t / S_q` (the final rounding to `f32`,
    /// 2⁻²⁴ relative, comes on top).
    pub fn score_error_bound(&self, query: &[(u32, f32)]) -> Result<f64, SparseError> {
        let q = quantize_query(query, self.meta.vocab_size)?;
        let s_d = self.meta.doc_scale;
        let (mut q_hat_sum, mut d_max_sum) = (0.0f64, 0.0f64);
        for &(t, w) in &q.terms {
            q_hat_sum += w as f64 / q.scale;
            // A weight that rounded to 0 was below half a step: bound it by one.
            d_max_sum += (f64::from(self.max_impact[t as usize]) + 0.5) / s_d;
        }
        Ok(0.5 * q_hat_sum / s_d + 0.5 * d_max_sum / q.scale)
    }

    fn postings(&self, term: u32) -> (&[u32], &[u16]) {
        let start = self.offsets[term as usize] as usize;
        let end = self.offsets[term as usize + 1] as usize;
        (&self.docs[start..end], &self.impacts[start..end])
    }

    /// The query's terms that take part in scoring, with their bounds.
    fn query_postings(&self, q: &QuantizedQuery) -> Vec<TermPostings<'_>> {
        q.terms
            .iter()
            .filter(|&&(t, w)| w > 0 && self.offsets[t as usize + 1] > self.offsets[t as usize])
            .map(|&(t, weight)| {
                let (docs, impacts) = self.postings(t);
                TermPostings {
                    term: t,
                    docs,
                    impacts,
                    weight,
                    upper_bound: weight * u64::from(self.max_impact[t as usize]),
                }
            })
            .collect()
    }

    fn to_hits(&self, scored: Vec<(u32, u64)>, q: &QuantizedQuery) -> Vec<Hit> {
        let mut hits: Vec<Hit> = scored
            .into_iter()
            .map(|(doc, s)| Hit::new(doc, dequantize(s, q.scale, self.meta.doc_scale)))
            .collect();
        // Distinct integer scores may meet in one f32; restore the house order.
        sort_hits(&mut hits);
        hits
    }
}
