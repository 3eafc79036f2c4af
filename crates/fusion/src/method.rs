//! One entry point over every fusion method, so callers (the hybrid retriever, the
//! tuner, the ablation) pick the method by configuration instead of by code path.

use crate::weighted_rrf;
use crate::{FusedHit, FusionError, FusionInput, Normalization, RrfParams, score_combination};
use serde::{Deserialize, Serialize};

/// How ranked lists are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FusionMethod {
    /// Weighted reciprocal-rank fusion: ranks only ([`weighted_rrf`]).
    #[default]
    Rrf,
    /// Convex combination of min-max normalised scores ([`score_combination`]).
    MinMax,
    /// Convex combination of z-scored scores ([`score_combination`]).
    ZScore,
}

impl FusionMethod {
    /// Every method, for comparisons.
    pub const ALL: [FusionMethod; 3] = [
        FusionMethod::Rrf,
        FusionMethod::MinMax,
        FusionMethod::ZScore,
    ];

    /// Lowercase name, as in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            FusionMethod::Rrf => "rrf",
            FusionMethod::MinMax => "minmax",
            FusionMethod::ZScore => "zscore",
        }
    }

    /// Parses `rrf`, `minmax` or `zscore`.
    pub fn parse(s: &str) -> Option<FusionMethod> {
        let s = s.trim().to_ascii_lowercase();
        FusionMethod::ALL.into_iter().find(|m| m.name() == s)
    }
}

impl std::fmt::Display for FusionMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Fuses `inputs` with `method`; `params.k` matters only to RRF, `params.depth` and
/// `params.keep` to every method.
pub fn fuse(
    inputs: &[FusionInput<'_>],
    method: FusionMethod,
    params: &RrfParams,
) -> Result<Vec<FusedHit>, FusionError> {
    match method {
        FusionMethod::Rrf => weighted_rrf(inputs, params),
        FusionMethod::MinMax => {
            score_combination(inputs, Normalization::MinMax, params.depth, params.keep)
        }
        FusionMethod::ZScore => {
            score_combination(inputs, Normalization::ZScore, params.depth, params.keep)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::Hit;

    #[test]
    fn names_round_trip() {
        for m in FusionMethod::ALL {
            assert_eq!(FusionMethod::parse(m.name()), Some(m));
        }
        assert_eq!(FusionMethod::parse("borda"), None);
    }

    #[test]
    fn dispatches_to_each_method() {
        let a = [Hit::new(1, 10.0), Hit::new(2, 0.0)];
        let b = [Hit::new(2, 1.0), Hit::new(3, 0.9)];
        let inputs = [
            FusionInput::new("a", 1.0, &a),
            FusionInput::new("b", 1.0, &b),
        ];
        let params = RrfParams::default();
        for method in FusionMethod::ALL {
            let got = fuse(&inputs, method, &params).unwrap();
            let want = match method {
                FusionMethod::Rrf => weighted_rrf(&inputs, &params).unwrap(),
                FusionMethod::MinMax => {
                    score_combination(&inputs, Normalization::MinMax, 500, 200).unwrap()
                }
                FusionMethod::ZScore => {
                    score_combination(&inputs, Normalization::ZScore, 500, 200).unwrap()
                }
            };
            assert_eq!(got, want, "{method}");
        }
        // Min-max, hand-computed: doc 1 = (1 + floor 0)/2 ties doc 2 = (0 + 1)/2 (doc id
        // breaks it), doc 3 = (floor 0 + 0)/2.
        let minmax = fuse(&inputs, FusionMethod::MinMax, &params).unwrap();
        let order: Vec<u32> = minmax.iter().map(|h| h.doc).collect();
        assert_eq!(order, vec![1, 2, 3]);
    }
}
