//! Top-k search and scoring over a [`DenseView`]: the exact f32 scan, and the int8
//! scan whose candidates are rescored exactly.

use crate::kernel::dot_f32;
use crate::quant::GROUP_ROWS;
use crate::quant::quantise_vector;
use crate::scan::{block_rows, offer_block, scan};
use crate::simd::{active_isa, pack_query4, score_f32, score_i4, score_i8};
use crate::topk::TopK;
use crate::{DenseError, DenseView};
use esci_core::int8::pack_shifted;
use esci_core::{DocId, Hit};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Default int8 candidate depth as a multiple of k (see [`SearchMode::int8`]).
pub const DEFAULT_RESCORE_FACTOR: usize = 2;
/// Default int4 candidate depth as a multiple of k (see [`SearchMode::int4`]): the
/// coarser codes need a deeper candidate list for the same recall.
pub const INT4_RESCORE_FACTOR: usize = 4;

/// How a view finds its top k.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum SearchMode {
    /// Every document scored in f32: the reference result.
    #[default]
    Exact,
    /// Scan int8 codes (a quarter of the memory traffic), keep the best `rescore`
    /// candidates (at least k), rescore those in f32 and return the best k. Scores
    /// returned are exact; only the candidate list is approximate.
    Int8 {
        /// Candidates kept from the int8 pass.
        rescore: usize,
    },
    /// As [`SearchMode::Int8`] with 4-bit codes: half the memory traffic again, so a
    /// 480k × 64 matrix of codes fits in a 32 MiB L3 cache; more candidates rescored.
    Int4 {
        /// Candidates kept from the int4 pass.
        rescore: usize,
    },
}

impl SearchMode {
    /// Int8 with [`DEFAULT_RESCORE_FACTOR`] × k candidates.
    pub fn int8(k: usize) -> SearchMode {
        SearchMode::Int8 {
            rescore: DEFAULT_RESCORE_FACTOR.saturating_mul(k),
        }
    }

    /// Int4 with [`INT4_RESCORE_FACTOR`] × k candidates.
    pub fn int4(k: usize) -> SearchMode {
        SearchMode::Int4 {
            rescore: INT4_RESCORE_FACTOR.saturating_mul(k),
        }
    }
}

impl DenseView {
    /// The exact top `k` for one query (full-D or d-long), best first by
    /// [`Hit::rank_order`]; all N documents when k > N.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>, DenseError> {
        self.search_with(query, k, SearchMode::Exact)
    }

    /// The top `k` for one query under `mode`.
    pub fn search_with(
        &self,
        query: &[f32],
        k: usize,
        mode: SearchMode,
    ) -> Result<Vec<Hit>, DenseError> {
        let mut results = self.search_batch_with(std::slice::from_ref(&query), k, mode)?;
        Ok(results.pop().unwrap_or_default())
    }

    /// The exact top `k` for each query; equal to calling [`DenseView::search`] on
    /// each, but reads the matrix once for the whole batch.
    pub fn search_batch<Q: AsRef<[f32]>>(
        &self,
        queries: &[Q],
        k: usize,
    ) -> Result<Vec<Vec<Hit>>, DenseError> {
        self.search_batch_with(queries, k, SearchMode::Exact)
    }

    /// The top `k` for each query under `mode`. Any unusable query fails the batch.
    /// Each parallel task holds up to 2k hits per query, so very large batches are best
    /// split into a few hundred queries at a time.
    pub fn search_batch_with<Q: AsRef<[f32]>>(
        &self,
        queries: &[Q],
        k: usize,
        mode: SearchMode,
    ) -> Result<Vec<Vec<Hit>>, DenseError> {
        let prepared = queries
            .iter()
            .map(|q| self.prepare_query(q.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match mode {
            SearchMode::Exact => self.exact(&prepared, k),
            SearchMode::Int8 { rescore } => self.int8_then_rescore(&prepared, k, rescore),
            SearchMode::Int4 { rescore } => self.int4_then_rescore(&prepared, k, rescore),
        })
    }

    /// Exact scores of `docs` (in the given order) for `query`, bit-identical to the
    /// scores [`DenseView::search`] returns.
    pub fn score_docs(&self, query: &[f32], docs: &[DocId]) -> Result<Vec<f32>, DenseError> {
        let query = self.prepare_query(query)?;
        docs.iter()
            .map(|&doc| {
                self.vector(doc)
                    .map(|row| dot_f32(&query, row))
                    .ok_or(DenseError::DocOutOfRange {
                        doc,
                        len: self.len(),
                    })
            })
            .collect()
    }

    fn exact(&self, queries: &[Vec<f32>], k: usize) -> Vec<Vec<Hit>> {
        let d = self.dim();
        let matrix = self.as_matrix();
        let isa = active_isa();
        let tops = scan(
            self.len(),
            queries.len(),
            k,
            self.chunk_rows(),
            block_rows(4 * d),
            |q, rows, top| {
                let block = &matrix[rows.start * d..rows.end * d];
                offer_block(top, rows.start, rows.len(), |scores| {
                    score_f32(isa, &queries[q], block, scores)
                });
            },
        );
        tops.into_iter().map(TopK::into_sorted).collect()
    }

    fn int8_then_rescore(&self, queries: &[Vec<f32>], k: usize, rescore: usize) -> Vec<Vec<Hit>> {
        let int8 = self.int8();
        let coded: Vec<Vec<u32>> = queries
            .iter()
            .map(|q| pack_shifted(&query_codes(q), int8.padded_dim))
            .collect();
        let isa = active_isa();
        let candidates = self.scan_groups(
            queries.len(),
            rescore.max(k),
            self.dim(),
            int8.group_bytes(),
            |q, rows, codes, scores| {
                let (sums, scales) = (&int8.sums[rows.clone()], &int8.scales[rows]);
                score_i8(isa, &coded[q], codes, sums, scales, scores)
            },
            &int8.codes,
        );
        self.rescore(queries, k, candidates)
    }

    fn int4_then_rescore(&self, queries: &[Vec<f32>], k: usize, rescore: usize) -> Vec<Vec<Hit>> {
        let int4 = self.int4();
        let coded: Vec<(Vec<u32>, i32)> = queries
            .iter()
            .map(|q| pack_query4(&query_codes(q), int4.padded_dim))
            .collect();
        let isa = active_isa();
        let candidates = self.scan_groups(
            queries.len(),
            rescore.max(k),
            self.dim() / 2,
            int4.group_bytes(),
            |q, rows, codes, scores| {
                let (query, correction) = &coded[q];
                score_i4(isa, (query, *correction), codes, &int4.scales[rows], scores)
            },
            &int4.codes,
        );
        self.rescore(queries, k, candidates)
    }

    /// The best `depth` rows per query of a quantised scan over codes blocked in groups
    /// of [`GROUP_ROWS`] rows (`group_bytes` each, about `row_bytes` a row). Chunks and
    /// blocks start on group boundaries; `score(q, rows, codes, scores)` scores the
    /// rows `rows` from `codes`, the whole groups that hold them.
    fn scan_groups<C, F>(
        &self,
        queries: usize,
        depth: usize,
        row_bytes: usize,
        group_bytes: usize,
        score: F,
        codes: &[C],
    ) -> Vec<TopK>
    where
        C: Sync,
        F: Fn(usize, Range<usize>, &[C], &mut [f32]) + Sync,
    {
        let align = |rows: usize| rows.div_ceil(GROUP_ROWS).saturating_mul(GROUP_ROWS);
        scan(
            self.len(),
            queries,
            depth,
            align(self.quantised_chunk_rows()),
            align(block_rows(row_bytes)),
            |q, rows, top| {
                let groups = rows.start / GROUP_ROWS..rows.end.div_ceil(GROUP_ROWS);
                let block = &codes[groups.start * group_bytes..groups.end * group_bytes];
                offer_block(top, rows.start, rows.len(), |scores| {
                    score(q, rows.clone(), block, scores)
                });
            },
        )
    }

    /// The best `k` of each query's candidates by exact f32 score.
    fn rescore(&self, queries: &[Vec<f32>], k: usize, candidates: Vec<TopK>) -> Vec<Vec<Hit>> {
        let d = self.dim();
        let matrix = self.as_matrix();
        candidates
            .into_par_iter()
            .zip(queries)
            .map(|(found, query)| {
                let found = found.into_docs();
                let mut best = TopK::new(k, found.len());
                for doc in found {
                    let start = doc as usize * d;
                    best.push(doc, dot_f32(query, &matrix[start..start + d]));
                }
                best.into_sorted()
            })
            .collect()
    }
}

/// The int8 codes of a query for the quantised scans. The query's own scale
/// multiplies every score alike: it cannot change the order, so it is dropped.
fn query_codes(query: &[f32]) -> Vec<i8> {
    let mut codes = vec![0i8; query.len()];
    quantise_vector(query, &mut codes);
    codes
}
