//! A bounded heap that keeps the best `k` hits under [`Hit::rank_order`], so the
//! parallel scan, the merge of per-chunk heaps and a full sort all agree on ties.

use esci_core::{DocId, Hit};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Orders hits so the heap's top is the worst hit kept.
#[derive(Debug, Clone, Copy)]
struct Worst(Hit);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        Hit::rank_order(&self.0, &other.0)
    }
}

/// The best `k` hits seen so far.
#[derive(Debug, Clone)]
pub(crate) struct TopK {
    k: usize,
    heap: BinaryHeap<Worst>,
    /// Score of the worst kept hit once full; anything strictly below cannot enter.
    threshold: f32,
}

impl TopK {
    /// An empty heap; `expected` bounds the up-front allocation (k may be huge).
    pub(crate) fn new(k: usize, expected: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(expected)),
            threshold: f32::NEG_INFINITY,
        }
    }

    /// Offers one scored document.
    #[inline]
    pub(crate) fn push(&mut self, doc: DocId, score: f32) {
        if score < self.threshold || self.k == 0 {
            return;
        }
        let hit = Worst(Hit::new(doc, score));
        if self.heap.len() < self.k {
            self.heap.push(hit);
            if self.heap.len() == self.k {
                self.threshold = self.worst_score();
            }
        } else {
            // Dropping `PeekMut` restores the heap order.
            let replaced = match self.heap.peek_mut() {
                Some(mut top) if hit < *top => {
                    *top = hit;
                    true
                }
                _ => false,
            };
            if replaced {
                self.threshold = self.worst_score();
            }
        }
    }

    fn worst_score(&self) -> f32 {
        self.heap.peek().map_or(f32::NEG_INFINITY, |w| w.0.score)
    }

    /// Folds another heap into this one (the union's best `k`).
    pub(crate) fn merge(mut self, mut other: TopK) -> TopK {
        if other.heap.len() > self.heap.len() {
            std::mem::swap(&mut self, &mut other);
        }
        for w in other.heap {
            self.push(w.0.doc, w.0.score);
        }
        self
    }

    /// The kept hits, best first.
    pub(crate) fn into_sorted(self) -> Vec<Hit> {
        // BinaryHeap's ascending order under `Worst` is best first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|w| w.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::sort_hits;

    fn brute(hits: &[Hit], k: usize) -> Vec<Hit> {
        let mut all = hits.to_vec();
        sort_hits(&mut all);
        all.truncate(k);
        all
    }

    #[test]
    fn keeps_best_k_with_doc_id_tie_break() {
        let hits: Vec<Hit> = (0..50u32)
            .map(|d| Hit::new(d, ((d * 7) % 5) as f32))
            .collect();
        for k in [0, 1, 3, 10, 50, 80] {
            let mut top = TopK::new(k, 50);
            // Offer in reverse so ties do not arrive in doc order.
            for h in hits.iter().rev() {
                top.push(h.doc, h.score);
            }
            assert_eq!(top.into_sorted(), brute(&hits, k), "k {k}");
        }
    }

    #[test]
    fn merge_equals_one_heap() {
        let hits: Vec<Hit> = (0..40u32).map(|d| Hit::new(d, (d % 4) as f32)).collect();
        let (mut a, mut b) = (TopK::new(7, 40), TopK::new(7, 40));
        for h in &hits {
            if h.doc % 3 == 0 { &mut a } else { &mut b }.push(h.doc, h.score);
        }
        assert_eq!(a.merge(b).into_sorted(), brute(&hits, 7));
    }
}
