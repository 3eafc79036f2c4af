use crate::DocId;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One retrieved document and its score under the retriever that found it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Internal id of the product.
    pub doc: DocId,
    /// Retriever-specific score; higher is better. Scales differ between retrievers.
    pub score: f32,
}

impl Hit {
    /// A hit.
    pub fn new(doc: DocId, score: f32) -> Hit {
        Hit { doc, score }
    }

    /// The ranking order used everywhere: score descending, then doc id ascending.
    ///
    /// A total order, so fast paths and brute-force oracles agree on ties.
    pub fn rank_order(a: &Hit, b: &Hit) -> Ordering {
        b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc))
    }
}

/// Sorts hits best first by [`Hit::rank_order`].
pub fn sort_hits(hits: &mut [Hit]) {
    hits.sort_unstable_by(Hit::rank_order);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_break_by_doc_id() {
        let mut hits = vec![Hit::new(9, 0.5), Hit::new(4, 0.5), Hit::new(7, 0.9)];
        sort_hits(&mut hits);
        assert_eq!(
            hits,
            vec![Hit::new(7, 0.9), Hit::new(4, 0.5), Hit::new(9, 0.5)]
        );
    }
}
