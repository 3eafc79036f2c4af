//! The best `k` hits under [`Hit::rank_order`], so the parallel scan, the merge of
//! per-chunk results and a full sort all agree on ties.
//!
//! Not a binary heap: with k in the hundreds a heap pays a log k sift (with
//! mispredicted branches) for every hit that beats the current k-th, ~9% of the
//! 480k benchmark's profile. Instead hits at or above a threshold are appended to a
//! buffer; when it holds 2k, a linear-time selection keeps the best k and raises the
//! threshold to the k-th score. Each push is amortised O(1).

use esci_core::{DocId, Hit};

/// The best `k` hits seen so far.
#[derive(Debug, Clone)]
pub(crate) struct TopK {
    k: usize,
    /// Candidates, unordered; holds the best k among everything offered.
    hits: Vec<Hit>,
    /// The k-th best score at the last compaction: anything strictly below cannot
    /// enter (−∞ until then).
    threshold: f32,
}

impl TopK {
    /// An empty collector; `expected` bounds the up-front allocation (k may be huge).
    pub(crate) fn new(k: usize, expected: usize) -> TopK {
        TopK {
            k,
            hits: Vec::with_capacity(k.saturating_mul(2).min(expected)),
            threshold: f32::NEG_INFINITY,
        }
    }

    /// Offers one scored document.
    #[inline]
    pub(crate) fn push(&mut self, doc: DocId, score: f32) {
        if score < self.threshold || self.k == 0 {
            return;
        }
        self.hits.push(Hit::new(doc, score));
        if self.hits.len() >= self.k.saturating_mul(2) {
            self.compact();
        }
    }

    /// Scores strictly below this cannot enter.
    #[inline]
    pub(crate) fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Keeps the best k and raises the threshold to the k-th score.
    fn compact(&mut self) {
        if self.hits.len() > self.k {
            let k = self.k;
            self.hits.select_nth_unstable_by(k - 1, Hit::rank_order);
            self.hits.truncate(k);
            self.threshold = self.hits[k - 1].score;
        }
    }

    /// Folds another collector into this one (the union's best `k`).
    pub(crate) fn merge(mut self, mut other: TopK) -> TopK {
        if other.hits.len() > self.hits.len() {
            std::mem::swap(&mut self, &mut other);
        }
        for hit in other.hits {
            self.push(hit.doc, hit.score);
        }
        self
    }

    /// The documents of the kept hits in ascending id order: what a rescoring pass
    /// wants, since neighbouring ids are neighbouring rows in memory.
    pub(crate) fn into_docs(mut self) -> Vec<DocId> {
        self.compact();
        let mut docs: Vec<DocId> = self.hits.iter().map(|h| h.doc).collect();
        docs.sort_unstable();
        docs
    }

    /// The kept hits, best first.
    pub(crate) fn into_sorted(mut self) -> Vec<Hit> {
        self.hits.sort_unstable_by(Hit::rank_order);
        self.hits.truncate(self.k);
        self.hits
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
    fn docs_are_the_best_k_in_id_order() {
        let hits: Vec<Hit> = (0..60u32)
            .map(|d| Hit::new(59 - d, (d % 9) as f32))
            .collect();
        let mut top = TopK::new(10, 60);
        for h in &hits {
            top.push(h.doc, h.score);
        }
        let mut want: Vec<DocId> = brute(&hits, 10).iter().map(|h| h.doc).collect();
        want.sort_unstable();
        assert_eq!(top.into_docs(), want);
    }

    #[test]
    fn merge_equals_one_collector() {
        let hits: Vec<Hit> = (0..40u32).map(|d| Hit::new(d, (d % 4) as f32)).collect();
        let (mut a, mut b) = (TopK::new(7, 40), TopK::new(7, 40));
        for h in &hits {
            if h.doc % 3 == 0 { &mut a } else { &mut b }.push(h.doc, h.score);
        }
        assert_eq!(a.merge(b).into_sorted(), brute(&hits, 7));
    }
}
