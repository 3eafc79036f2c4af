//! The bounded heap every postings traversal (BM25's and SPLADE's, fast paths and
//! their exhaustive oracles) keeps its best `k` documents in.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Bounded heap keeping the `k` best (score desc, doc asc) documents, offered in any
/// order.
pub struct TopK {
    k: usize,
    /// Min-heap on (score, larger doc first): the root is the current weakest entry.
    heap: BinaryHeap<Reverse<(u64, Reverse<u32>)>>,
}

impl TopK {
    /// An empty heap for the best `k`.
    pub fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.saturating_add(1).min(1 << 16)),
        }
    }

    /// The weakest kept (score, doc) once the heap is full: a newcomer must score
    /// more, or the same with a lower doc id.
    #[inline]
    pub fn weakest(&self) -> Option<(u64, u32)> {
        if self.heap.len() < self.k {
            None
        } else {
            self.heap.peek().map(|&Reverse((s, Reverse(d)))| (s, d))
        }
    }

    /// The score a new document must exceed to enter, 0 while the heap has room.
    ///
    /// Where documents arrive in increasing id order (MaxScore), a newcomer tying θ
    /// ranks below the incumbent, so "exceed" is exact.
    #[inline]
    pub fn threshold(&self) -> u64 {
        self.weakest().map_or(0, |(s, _)| s)
    }

    /// Offers a document; returns whether the threshold may have changed.
    pub fn offer(&mut self, doc: u32, score: u64) -> bool {
        if self.k == 0 {
            return false;
        }
        if let Some((s, d)) = self.weakest()
            && (score < s || (score == s && doc > d))
        {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_with_ties_to_lower_ids_in_any_order() {
        let mut top = TopK::new(2);
        for (doc, score) in [(5, 3), (9, 7), (2, 3), (7, 3), (1, 7)] {
            top.offer(doc, score);
        }
        assert_eq!(top.weakest(), Some((7, 9)));
        assert_eq!(top.into_sorted(), vec![(1, 7), (9, 7)]);
        let mut none = TopK::new(0);
        assert!(!none.offer(1, 1));
        assert!(none.into_sorted().is_empty());
    }
}
