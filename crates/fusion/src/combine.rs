//! Normalised score combination: the alternative to RRF that uses score magnitudes.

use crate::{FusedHit, FusionError, FusionInput, collect_signals, rank_and_cut, validate_weights};
use serde::{Deserialize, Serialize};

/// How each retriever's scores are put on a common scale before mixing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// `(s − min) / (max − min)` over the list's top-`depth`; a constant list maps to 1.
    MinMax,
    /// `(s − mean) / std` over the list's top-`depth`; a constant list maps to 0.
    ZScore,
}

/// Fuses by a convex combination of normalised scores:
///
/// ```text
/// score(d) = Σ_r  (w_r / Σ w) · norm_r(d)
/// ```
///
/// A document absent from retriever r's top-`depth` gets that list's floor — the
/// normalised value of its lowest score (0 under min-max) — since all we know is that
/// r scored it no better than its last hit. Result: the best `keep`, score desc then
/// doc id asc, with signal breakdowns.
pub fn score_combination(
    inputs: &[FusionInput<'_>],
    normalization: Normalization,
    depth: usize,
    keep: usize,
) -> Result<Vec<FusedHit>, FusionError> {
    validate_weights(inputs)?;
    let total_weight: f64 = inputs.iter().map(|i| f64::from(i.weight)).sum();
    let scalers: Vec<Scaler> = inputs
        .iter()
        .map(|i| Scaler::fit(normalization, &i.hits[..i.hits.len().min(depth)]))
        .collect();
    let fused = collect_signals(inputs, depth)
        .into_iter()
        .map(|(doc, signals)| {
            let score: f64 = signals
                .iter()
                .zip(inputs)
                .zip(&scalers)
                .map(|((s, input), scaler)| {
                    let value = s.map_or(scaler.floor(), |s| scaler.apply(s.score));
                    f64::from(input.weight) / total_weight * value
                })
                .sum();
            FusedHit {
                doc,
                score: score as f32,
                signals,
            }
        })
        .collect();
    Ok(rank_and_cut(fused, keep))
}

/// An affine map fitted to one list's scores.
struct Scaler {
    offset: f64,
    scale: f64,
    /// Value for a constant list (every hit scores the same).
    constant: Option<f64>,
    /// Lowest raw score of the list (the floor for absent documents).
    min: f64,
}

impl Scaler {
    fn fit(normalization: Normalization, hits: &[esci_core::Hit]) -> Scaler {
        let scores: Vec<f64> = hits.iter().map(|h| f64::from(h.score)).collect();
        let n = scores.len().max(1) as f64;
        let min = scores.iter().copied().fold(f64::INFINITY, f64::min);
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        match normalization {
            Normalization::MinMax => Scaler {
                offset: min,
                scale: max - min,
                constant: (max - min <= 0.0).then_some(1.0),
                min,
            },
            Normalization::ZScore => {
                let mean = scores.iter().sum::<f64>() / n;
                let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
                Scaler {
                    offset: mean,
                    scale: var.sqrt(),
                    constant: (var <= 0.0).then_some(0.0),
                    min,
                }
            }
        }
    }

    fn apply(&self, score: f32) -> f64 {
        match self.constant {
            Some(c) => c,
            None => (f64::from(score) - self.offset) / self.scale,
        }
    }

    fn floor(&self) -> f64 {
        match (self.constant, self.min.is_finite()) {
            (_, false) => 0.0, // empty list: contributes nothing to anyone
            (Some(_), true) => 0.0,
            (None, true) => (self.min - self.offset) / self.scale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::Hit;

    #[test]
    fn hand_computed_min_max() {
        // bm25 = [1: 10, 2: 6, 3: 2] → 1, 0.5, 0;  dense = [3: 0.9, 1: 0.5] → 1, 0.
        // weights 3 and 1 → 0.75 / 0.25.
        // d1: 0.75·1 + 0.25·0 = 0.75;  d2: 0.75·0.5 + 0.25·floor(0) = 0.375;
        // d3: 0.75·0 + 0.25·1 = 0.25.
        let bm25 = [Hit::new(1, 10.0), Hit::new(2, 6.0), Hit::new(3, 2.0)];
        let dense = [Hit::new(3, 0.9), Hit::new(1, 0.5)];
        let fused = score_combination(
            &[
                FusionInput::new("bm25", 3.0, &bm25),
                FusionInput::new("dense", 1.0, &dense),
            ],
            Normalization::MinMax,
            500,
            10,
        )
        .unwrap();
        let got: Vec<(u32, f32)> = fused.iter().map(|h| (h.doc, h.score)).collect();
        assert_eq!(got, vec![(1, 0.75), (2, 0.375), (3, 0.25)]);
        assert_eq!(fused[1].signals[1], None);
    }

    #[test]
    fn hand_computed_z_score() {
        // a = [1: 3, 2: 1]: mean 2, std 1 → z 1, −1; floor −1.
        // b = [2: 5]: constant → 0; floor 0.  Equal weights.
        // d1: 0.5·1 + 0.5·0 (absent, floor of a constant list) = 0.5; d2: 0.5·(−1) + 0.5·0 = −0.5.
        let a = [Hit::new(1, 3.0), Hit::new(2, 1.0)];
        let b = [Hit::new(2, 5.0)];
        let fused = score_combination(
            &[
                FusionInput::new("a", 1.0, &a),
                FusionInput::new("b", 1.0, &b),
            ],
            Normalization::ZScore,
            500,
            10,
        )
        .unwrap();
        let got: Vec<(u32, f32)> = fused.iter().map(|h| (h.doc, h.score)).collect();
        assert_eq!(got, vec![(1, 0.5), (2, -0.5)]);
    }

    #[test]
    fn empty_lists_and_bad_weights() {
        let a = [Hit::new(7, 1.0)];
        let fused = score_combination(
            &[
                FusionInput::new("a", 1.0, &a),
                FusionInput::new("empty", 1.0, &[]),
            ],
            Normalization::MinMax,
            500,
            10,
        )
        .unwrap();
        assert_eq!(fused.len(), 1);
        assert_eq!(fused[0].score, 0.5);
        assert!(
            score_combination(
                &[FusionInput::new("a", f32::NAN, &a)],
                Normalization::MinMax,
                5,
                5
            )
            .is_err()
        );
    }
}
