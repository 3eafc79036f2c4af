//! Exhaustive term-at-a-time scoring: the oracle every fast path is checked against,
//! and the baseline the benchmark measures MaxScore against.

use crate::maxscore::TermPostings;
use esci_core::topk::TopK;

/// Scores every document that holds a query term into a dense accumulator, then keeps
/// the best `k` in the same (score desc, doc asc) order as MaxScore.
pub(crate) fn top_k(lists: &[TermPostings<'_>], num_docs: usize, k: usize) -> Vec<(u32, u64)> {
    let mut scores = vec![0u64; num_docs];
    for list in lists {
        for (&doc, &impact) in list.docs.iter().zip(list.impacts) {
            scores[doc as usize] += list.weight * u64::from(impact);
        }
    }
    let mut top = TopK::new(k);
    for (doc, &score) in scores.iter().enumerate() {
        if score > 0 {
            top.offer(doc as u32, score);
        }
    }
    top.into_sorted()
}
