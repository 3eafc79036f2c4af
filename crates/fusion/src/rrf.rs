//! Weighted reciprocal-rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009).

use crate::{FusedHit, FusionError, FusionInput, collect_signals, rank_and_cut, validate_weights};
use serde::{Deserialize, Serialize};

/// Parameters of [`weighted_rrf`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RrfParams {
    /// The rank offset k: larger values flatten the difference between top ranks.
    pub k: f32,
    /// Hits each retriever contributes (its top-N).
    pub depth: usize,
    /// Fused hits kept.
    pub keep: usize,
}

impl Default for RrfParams {
    fn default() -> Self {
        RrfParams {
            k: 60.0,
            depth: 500,
            keep: 200,
        }
    }
}

/// Fuses ranked lists by weighted reciprocal rank:
///
/// ```text
/// score(d) = Σ_r  w_r / (k + rank_r(d))      over the retrievers r whose top-`depth` holds d
/// ```
///
/// with 1-based ranks. Only ranks matter, so retrievers with incomparable score scales
/// (BM25 in the tens, cosine below 1) mix without normalisation. Result: the best
/// `keep` documents, score desc then doc id asc, each with its signal breakdown.
pub fn weighted_rrf(
    inputs: &[FusionInput<'_>],
    params: &RrfParams,
) -> Result<Vec<FusedHit>, FusionError> {
    validate_weights(inputs)?;
    if !(params.k.is_finite() && params.k > 0.0) {
        return Err(FusionError::BadK(params.k));
    }
    let k = f64::from(params.k);
    let fused = collect_signals(inputs, params.depth)
        .into_iter()
        .map(|(doc, signals)| {
            let score: f64 = signals
                .iter()
                .zip(inputs)
                .filter_map(|(s, input)| {
                    s.map(|s| f64::from(input.weight) / (k + f64::from(s.rank)))
                })
                .sum();
            FusedHit {
                doc,
                score: score as f32,
                signals,
            }
        })
        .collect();
    Ok(rank_and_cut(fused, params.keep))
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::Hit;

    #[test]
    fn hand_computed_example() {
        // A = [1, 2, 3], B = [3, 1]; weights 1 and 0.5; k = 60.
        // d1: 1/61 + 0.5/62 = 0.0163934 + 0.0080645 = 0.0244579
        // d2: 1/62          = 0.0161290
        // d3: 1/63 + 0.5/61 = 0.0158730 + 0.0081967 = 0.0240697
        let a = [Hit::new(1, 9.0), Hit::new(2, 8.0), Hit::new(3, 7.0)];
        let b = [Hit::new(3, 0.9), Hit::new(1, 0.8)];
        let fused = weighted_rrf(
            &[
                FusionInput::new("a", 1.0, &a),
                FusionInput::new("b", 0.5, &b),
            ],
            &RrfParams::default(),
        )
        .unwrap();
        let docs: Vec<u32> = fused.iter().map(|h| h.doc).collect();
        assert_eq!(docs, vec![1, 3, 2]);
        for (hit, expected) in fused.iter().zip([0.0244579, 0.0240697, 0.0161290]) {
            assert!(
                (hit.score - expected).abs() < 1e-6,
                "{} vs {expected}",
                hit.score
            );
        }
        assert_eq!(fused[1].signals[0].unwrap().rank, 3);
        assert_eq!(fused[1].signals[1].unwrap().rank, 1);
        assert_eq!(fused[1].signals[1].unwrap().score, 0.9);
        assert_eq!(fused[2].signals[1], None);
    }

    #[test]
    fn depth_keep_ties_and_zero_weight() {
        let a = [Hit::new(5, 3.0), Hit::new(4, 2.0), Hit::new(3, 1.0)];
        let b = [Hit::new(4, 3.0), Hit::new(5, 2.0)];
        let params = RrfParams {
            k: 60.0,
            depth: 2,
            keep: 10,
        };
        let fused = weighted_rrf(
            &[
                FusionInput::new("a", 1.0, &a),
                FusionInput::new("b", 1.0, &b),
            ],
            &params,
        )
        .unwrap();
        // Doc 3 is beyond depth 2; docs 4 and 5 tie (1/61 + 1/62): lower id first.
        assert_eq!(fused.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![4, 5]);
        let keep_one = RrfParams { keep: 1, ..params };
        assert_eq!(
            weighted_rrf(&[FusionInput::new("a", 1.0, &a)], &keep_one)
                .unwrap()
                .len(),
            1
        );
        // A zero weight keeps signals but adds nothing.
        let fused = weighted_rrf(
            &[
                FusionInput::new("a", 1.0, &a),
                FusionInput::new("b", 0.0, &b),
            ],
            &RrfParams::default(),
        )
        .unwrap();
        assert_eq!(
            fused.iter().map(|h| h.doc).collect::<Vec<_>>(),
            vec![5, 4, 3]
        );
        assert_eq!(fused[0].signals[1].unwrap().rank, 2);
    }

    #[test]
    fn bad_parameters_are_named() {
        let a = [Hit::new(1, 1.0)];
        let err = weighted_rrf(
            &[FusionInput::new("dense", -1.0, &a)],
            &RrfParams::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("dense"));
        let err =
            weighted_rrf(&[FusionInput::new("dense", 0.0, &a)], &RrfParams::default()).unwrap_err();
        assert!(err.to_string().contains("every retriever"));
        let bad_k = RrfParams {
            k: 0.0,
            ..RrfParams::default()
        };
        assert_eq!(
            weighted_rrf(&[FusionInput::new("a", 1.0, &a)], &bad_k).unwrap_err(),
            FusionError::BadK(0.0)
        );
        assert!(weighted_rrf(&[], &RrfParams::default()).unwrap().is_empty());
    }
}
