//! Exact top-k over impact postings with MaxScore pruning (Turtle & Flood, 1995).
//!
//! Query terms are ordered by their upper bound (the largest weighted impact in their
//! postings). Once the heap holds `k` documents, its weakest score θ is the bar to
//! beat: the lowest-bound terms whose bounds sum to at most θ are *non-essential* —
//! a document that holds only those terms cannot beat θ — so candidates come only
//! from the essential lists, and non-essential lists are probed (by galloping search)
//! only while the candidate can still beat θ. Scores are integers, so the result is
//! identical, ties included, to exhaustive scoring (see `exhaustive.rs` and the tests).

use esci_core::postings::gallop;
use esci_core::topk::TopK;

/// One query term's postings, with its query weight (its count in the query).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TermPostings<'a> {
    pub docs: &'a [u32],
    pub impacts: &'a [u32],
    pub weight: u64,
    /// `weight` × the largest impact in `impacts`.
    pub upper_bound: u64,
}

/// Exact top-`k` documents by summed weighted impact, best first.
pub(crate) fn top_k(mut lists: Vec<TermPostings<'_>>, k: usize) -> Vec<(u32, u64)> {
    let mut top = TopK::new(k);
    if k == 0 {
        return Vec::new();
    }
    lists.retain(|l| !l.docs.is_empty());
    lists.sort_by_key(|l| l.upper_bound);
    let n = lists.len();
    // prefix[i] = sum of the upper bounds of lists[0..=i].
    let prefix: Vec<u64> = lists
        .iter()
        .scan(0u64, |acc, l| {
            *acc += l.upper_bound;
            Some(*acc)
        })
        .collect();
    let mut pos = vec![0usize; n];
    // lists[..first_essential] are non-essential.
    let mut first_essential = 0;
    let mut threshold = 0u64;

    loop {
        let mut doc = u32::MAX;
        let mut found = false;
        for i in first_essential..n {
            if let Some(&d) = lists[i].docs.get(pos[i])
                && d <= doc
            {
                doc = d;
                found = true;
            }
        }
        if !found {
            break;
        }
        let mut score = 0u64;
        for i in first_essential..n {
            let list = &lists[i];
            if list.docs.get(pos[i]) == Some(&doc) {
                score += list.weight * u64::from(list.impacts[pos[i]]);
                pos[i] += 1;
            }
        }
        for i in (0..first_essential).rev() {
            if score + prefix[i] <= threshold {
                break;
            }
            let list = &lists[i];
            pos[i] = gallop(list.docs, pos[i], doc);
            if list.docs.get(pos[i]) == Some(&doc) {
                score += list.weight * u64::from(list.impacts[pos[i]]);
            }
        }
        // A document of only zero impacts is no match (the exhaustive oracle skips it too).
        if score > 0 && top.offer(doc, score) {
            threshold = top.threshold();
            while first_essential < n && prefix[first_essential] <= threshold {
                first_essential += 1;
            }
        }
    }
    top.into_sorted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_breaks_ties_by_doc_id() {
        let docs = [0, 1, 2, 3];
        let impacts = [5, 5, 5, 5];
        let list = TermPostings {
            docs: &docs,
            impacts: &impacts,
            weight: 1,
            upper_bound: 5,
        };
        assert_eq!(top_k(vec![list], 2), vec![(0, 5), (1, 5)]);
        assert_eq!(top_k(vec![list], 0), vec![]);
    }

    #[test]
    fn hand_computed_two_terms() {
        // term a: docs 0,2,4 impacts 1,1,1; term b: docs 1,2 impacts 10,3.
        // scores: 0→1, 1→10, 2→4, 4→1. Top 2: (1,10), (2,4).
        let a = TermPostings {
            docs: &[0, 2, 4],
            impacts: &[1, 1, 1],
            weight: 1,
            upper_bound: 1,
        };
        let b = TermPostings {
            docs: &[1, 2],
            impacts: &[10, 3],
            weight: 1,
            upper_bound: 10,
        };
        assert_eq!(top_k(vec![a, b], 2), vec![(1, 10), (2, 4)]);
        assert_eq!(top_k(vec![a, b], 10), vec![(1, 10), (2, 4), (0, 1), (4, 1)]);
    }
}
