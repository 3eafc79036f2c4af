//! Fusion of ranked lists: pure functions from each retriever's hits to one ranking,
//! keeping for every fused hit where it came from (its signal breakdown).
//!
//! Fusion is its own stage, not a feature of any retriever, so score scales never
//! leak between retrievers: [`weighted_rrf`] uses only ranks, [`score_combination`]
//! normalises each list before mixing.
//!
//! ```
//! use esci_core::Hit;
//! use esci_fusion::{FusionInput, RrfParams, weighted_rrf};
//! let bm25 = [Hit::new(1, 12.0), Hit::new(2, 9.5)];
//! let dense = [Hit::new(2, 0.81), Hit::new(3, 0.77)];
//! let fused = weighted_rrf(
//!     &[FusionInput::new("bm25", 1.0, &bm25), FusionInput::new("dense", 1.0, &dense)],
//!     &RrfParams::default(),
//! )
//! .unwrap();
//! assert_eq!(fused[0].doc, 2); // found by both
//! assert_eq!(fused[0].signals[0].unwrap().rank, 2); // bm25 had it second
//! assert!(fused[2].signals[0].is_none()); // doc 3: bm25 did not find it
//! ```
#![deny(missing_docs)]

mod combine;
mod method;
mod rrf;

pub use combine::{Normalization, score_combination};
pub use method::{FusionMethod, fuse};
pub use rrf::{RrfParams, weighted_rrf};

use esci_core::{DocId, Hit};
use serde::{Deserialize, Serialize};

/// One retriever's contribution: its name, its fusion weight, and its hits sorted best
/// first (by [`Hit::rank_order`]).
#[derive(Debug, Clone, Copy)]
pub struct FusionInput<'a> {
    /// Retriever name, e.g. `bm25`.
    pub name: &'a str,
    /// Non-negative weight; 0 silences the retriever but keeps its signals visible.
    pub weight: f32,
    /// Hits, best first.
    pub hits: &'a [Hit],
}

impl<'a> FusionInput<'a> {
    /// An input.
    pub fn new(name: &'a str, weight: f32, hits: &'a [Hit]) -> FusionInput<'a> {
        FusionInput { name, weight, hits }
    }
}

/// Where one retriever ranked a document.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// 1-based rank in that retriever's list.
    pub rank: u32,
    /// That retriever's raw score.
    pub score: f32,
}

/// A fused result with its signal breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FusedHit {
    /// The document.
    pub doc: DocId,
    /// The fused score.
    pub score: f32,
    /// One entry per input, in input order: the rank and raw score there, or `None`
    /// when that retriever did not return the document (within its fusion depth).
    pub signals: Vec<Option<Signal>>,
}

/// Invalid fusion parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FusionError {
    /// A weight is negative or not finite, or every weight is zero.
    #[error(
        "fusion weight of {retriever} must be a finite number >= 0 (and not all zero), got {weight}"
    )]
    BadWeight {
        /// The retriever.
        retriever: String,
        /// The weight given.
        weight: f32,
    },
    /// The RRF constant is not a positive finite number.
    #[error("RRF k must be a positive finite number, got {0}")]
    BadK(f32),
}

/// Checks the weights: finite, non-negative, not all zero.
fn validate_weights(inputs: &[FusionInput<'_>]) -> Result<(), FusionError> {
    for input in inputs {
        if !(input.weight.is_finite() && input.weight >= 0.0) {
            return Err(FusionError::BadWeight {
                retriever: input.name.to_owned(),
                weight: input.weight,
            });
        }
    }
    if !inputs.is_empty() && inputs.iter().all(|i| i.weight == 0.0) {
        return Err(FusionError::BadWeight {
            retriever: "every retriever".into(),
            weight: 0.0,
        });
    }
    Ok(())
}

/// Gathers, for every document in any input's first `depth` hits, its signal in each
/// input; documents in first-seen order.
fn collect_signals(inputs: &[FusionInput<'_>], depth: usize) -> Vec<(DocId, Vec<Option<Signal>>)> {
    let mut position: std::collections::HashMap<DocId, usize> = std::collections::HashMap::new();
    let mut docs: Vec<(DocId, Vec<Option<Signal>>)> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        for (r, hit) in input.hits.iter().take(depth).enumerate() {
            let at = *position.entry(hit.doc).or_insert_with(|| {
                docs.push((hit.doc, vec![None; inputs.len()]));
                docs.len() - 1
            });
            // A retriever listing a document twice: its best (first) rank counts.
            docs[at].1[i].get_or_insert(Signal {
                rank: r as u32 + 1,
                score: hit.score,
            });
        }
    }
    docs
}

/// Sorts fused hits best first (score desc, doc asc) and keeps `keep`.
fn rank_and_cut(mut hits: Vec<FusedHit>, keep: usize) -> Vec<FusedHit> {
    hits.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
    hits.truncate(keep);
    hits
}
