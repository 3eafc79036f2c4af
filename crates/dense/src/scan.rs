//! The parallel, cache-blocked scan shared by every search mode.
//!
//! Rows are cut into chunks, one rayon task each; a task walks its chunk in blocks
//! small enough to stay in cache and scores each block against every query of the
//! batch before moving on, so a batch of Q queries reads the matrix once rather than
//! Q times. Each task keeps one [`TopK`] per query; they are merged afterwards.
//! Since [`TopK`] keeps the best k under a total order, the result is independent of
//! chunking, blocking and thread count.

use crate::topk::TopK;
use esci_core::DocId;
use rayon::prelude::*;
use std::ops::Range;

/// Bytes of matrix per cache block (comfortably inside a 1 MiB L2 with the queries).
const BLOCK_BYTES: usize = 64 << 10;

/// Rows per cache block for rows of `row_bytes` bytes.
pub(crate) fn block_rows(row_bytes: usize) -> usize {
    (BLOCK_BYTES / row_bytes.max(1)).max(1)
}

/// Best `k` rows of `0..n` for each of `queries` queries.
///
/// `score_block(q, rows, top)` must offer every row of `rows`, scored against query
/// `q`, to `top` (see [`offer`]).
pub(crate) fn scan<F>(
    n: usize,
    queries: usize,
    k: usize,
    chunk_rows: usize,
    block_rows: usize,
    score_block: F,
) -> Vec<TopK>
where
    F: Fn(usize, Range<usize>, &mut TopK) + Sync,
{
    let chunk_rows = chunk_rows.max(1);
    let block_rows = block_rows.max(1);
    let empty = || -> Vec<TopK> { (0..queries).map(|_| TopK::new(k, 0)).collect() };
    (0..n.div_ceil(chunk_rows))
        .into_par_iter()
        .map(|chunk| {
            let start = chunk * chunk_rows;
            let end = start.saturating_add(chunk_rows).min(n);
            let mut tops: Vec<TopK> = (0..queries).map(|_| TopK::new(k, end - start)).collect();
            let mut block = start;
            while block < end {
                let block_end = block.saturating_add(block_rows).min(end);
                for (q, top) in tops.iter_mut().enumerate() {
                    score_block(q, block..block_end, top);
                }
                block = block_end;
            }
            tops
        })
        .reduce(empty, |a, b| {
            a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect()
        })
}

/// Scores one block of rows starting at row `first` into a scratch buffer with
/// `score(scores)` (which must fill all of it: one score per row of the block), then
/// offers them to `top`. The buffer is per thread, so a scan allocates nothing per
/// block.
#[inline(always)]
pub(crate) fn offer_block(
    top: &mut TopK,
    first: usize,
    rows: usize,
    score: impl FnOnce(&mut [f32]),
) {
    SCRATCH.with_borrow_mut(|scores| {
        scores.clear();
        scores.resize(rows, 0.0);
        score(scores);
        offer(top, (first as DocId..).zip(scores.iter().copied()));
    });
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Offers `(doc, score)` pairs to `top`, comparing against a local copy of its
/// threshold so the scoring loop keeps it in a register: most rows never touch the
/// collector.
#[inline(always)]
pub(crate) fn offer(top: &mut TopK, scored: impl Iterator<Item = (DocId, f32)>) {
    let mut threshold = top.threshold();
    for (doc, score) in scored {
        if score >= threshold {
            top.push(doc, score);
            threshold = top.threshold();
        }
    }
}
