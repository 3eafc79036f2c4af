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
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One query term's postings, with its query weight (its count in the query).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TermPostings<'a> {
    pub docs: &'a [u32],
    pub impacts: &'a [u32],
    pub weight: u64,
    /// `weight` × the largest impact in `impacts`.
    pub upper_bound: u64,
}

/// Bounded heap keeping the `k` best (score desc, doc asc) documents.
pub(crate) struct TopK {
    k: usize,
    /// Min-heap on (score, larger doc first): the root is the current weakest entry.
    heap: BinaryHeap<Reverse<(u64, Reverse<u32>)>>,
}

impl TopK {
    pub fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The score a new document must exceed to enter, 0 while the heap has room.
    ///
    /// Documents arrive in increasing id order, so a newcomer tying θ ranks below the
    /// incumbent and is rightly turned away by the strict comparison.
    pub fn threshold(&self) -> u64 {
        if self.heap.len() < self.k {
            0
        } else {
            self.heap.peek().map_or(0, |Reverse((s, _))| *s)
        }
    }

    /// Offers a document; returns whether the threshold may have changed.
    pub fn offer(&mut self, doc: u32, score: u64) -> bool {
        if self.k == 0 || score <= self.threshold() {
            return false;
        }
        self.heap.push(Reverse((score, Reverse(doc))));
        if self.heap.len() > self.k {
            self.heap.pop();
        }
        self.heap.len() == self.k
    }

    /// The kept documents, best first.
    pub fn into_sorted(self) -> Vec<(u32, u64)> {
        let mut out: Vec<(u32, u64)> = self
            .heap
            .into_iter()
            .map(|Reverse((s, Reverse(d)))| (d, s))
            .collect();
        out.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
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
        if top.offer(doc, score) {
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
