//! Combining the cross-encoder with the first stage instead of replacing it.
//!
//! A [`Combination`] scores each of the top N hits from two rankings of the same N
//! products: the first stage's and the cross-encoder's. `weight` is the
//! cross-encoder's share: 0 is the first stage alone (its order, exactly), 1 the
//! cross-encoder alone. Two forms:
//! - `rrf`: `(1 − w)/(k + first rank) + w/(k + cross-encoder rank)`, ranks 1-based
//!   among the N (no score scale to trust);
//! - `minmax`: `(1 − w)·first + w·ce`, each score min-max normalised over the N.
//!
//! The weight (with the form and k) is chosen on the dev queries by `esci eval`
//! ([`crate::rerank_tune`]), so dev can pick 0 ("no effect") when the cross-encoder
//! does not help. The same combination, with its own dev-chosen weight, scores a
//! query's judged list for the Task-1 nDCG.

use esci_core::{DocId, Hit};
use serde::{Deserialize, Serialize};

/// How the two rankings are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CombineMethod {
    /// Weighted reciprocal ranks.
    #[default]
    Rrf,
    /// Convex combination of min-max normalised scores.
    Minmax,
}

impl CombineMethod {
    /// The name in configuration and tables.
    pub fn name(self) -> &'static str {
        match self {
            CombineMethod::Rrf => "rrf",
            CombineMethod::Minmax => "minmax",
        }
    }
}

impl std::fmt::Display for CombineMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One way of combining the cross-encoder with the first stage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Combination {
    /// The form.
    pub method: CombineMethod,
    /// The cross-encoder's share in 0..=1 (0: the first stage alone).
    pub weight: f32,
    /// RRF k (unused by `minmax`).
    pub k: f32,
}

impl Combination {
    /// Checks the values, naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.weight) {
            return Err(format!(
                "rerank.weight must be in 0..=1, got {}",
                self.weight
            ));
        }
        if !(self.k.is_finite() && self.k >= 0.0) {
            return Err(format!("rerank.k must be ≥ 0, got {}", self.k));
        }
        Ok(())
    }

    /// The combined score of each of `docs` (any order), given its first-stage score
    /// and its cross-encoder score (same order). Ranks break ties like
    /// [`Hit::rank_order`] (score descending, then doc id).
    pub fn scores(&self, docs: &[DocId], first: &[f32], ce: &[f32]) -> Vec<f32> {
        let n = docs.len().min(first.len()).min(ce.len());
        let (docs, first, ce) = (&docs[..n], &first[..n], &ce[..n]);
        let w = self.weight;
        match self.method {
            CombineMethod::Rrf => {
                let (rf, rc) = (ranks(docs, first), ranks(docs, ce));
                rf.iter()
                    .zip(&rc)
                    .map(|(&a, &b)| (1.0 - w) / (self.k + a as f32) + w / (self.k + b as f32))
                    .collect()
            }
            CombineMethod::Minmax => minmax(first)
                .iter()
                .zip(minmax(ce))
                .map(|(&a, b)| (1.0 - w) * a + w * b)
                .collect(),
        }
    }
}

/// 1-based rank of each position when `docs` are ordered by `scores` ([`Hit::rank_order`]).
pub(crate) fn ranks(docs: &[DocId], scores: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| {
        Hit::rank_order(&Hit::new(docs[a], scores[a]), &Hit::new(docs[b], scores[b]))
    });
    let mut rank = vec![0; docs.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r + 1;
    }
    rank
}

/// `scores` scaled to 0..=1 (all 0 when they are all equal or not finite).
fn minmax(scores: &[f32]) -> Vec<f32> {
    let lo = scores.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return vec![0.0; scores.len()];
    }
    scores.iter().map(|s| (s - lo) / span).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(docs: &[DocId], scores: &[f32]) -> Vec<DocId> {
        let mut hits: Vec<Hit> = docs
            .iter()
            .zip(scores)
            .map(|(&d, &s)| Hit::new(d, s))
            .collect();
        hits.sort_by(Hit::rank_order);
        hits.iter().map(|h| h.doc).collect()
    }

    const DOCS: [DocId; 4] = [9, 4, 7, 1];
    const FIRST: [f32; 4] = [0.9, 0.5, 0.5, 0.1];
    const CE: [f32; 4] = [-3.0, 2.0, 0.5, 4.0];

    #[test]
    fn weight_zero_is_the_first_stage_and_one_the_cross_encoder() {
        for method in [CombineMethod::Rrf, CombineMethod::Minmax] {
            let at = |weight| Combination {
                method,
                weight,
                k: 60.0,
            };
            let first = order(&DOCS, &FIRST);
            assert_eq!(first, vec![9, 4, 7, 1], "ties by doc id");
            assert_eq!(order(&DOCS, &at(0.0).scores(&DOCS, &FIRST, &CE)), first);
            assert_eq!(
                order(&DOCS, &at(1.0).scores(&DOCS, &FIRST, &CE)),
                vec![1, 4, 7, 9],
                "{method}"
            );
        }
    }

    #[test]
    fn rrf_mixes_ranks_and_minmax_mixes_scores() {
        let rrf = Combination {
            method: CombineMethod::Rrf,
            weight: 0.5,
            k: 0.0,
        };
        // ranks first (1, 2, 3, 4), cross-encoder (4, 2, 3, 1): 9 and 1 tie at 1/2+1/8.
        let s = rrf.scores(&DOCS, &FIRST, &CE);
        assert!(
            (s[0] - 0.625).abs() < 1e-6 && (s[3] - 0.625).abs() < 1e-6,
            "{s:?}"
        );
        assert!((s[1] - 0.5).abs() < 1e-6, "{s:?}");
        let mm = Combination {
            method: CombineMethod::Minmax,
            weight: 0.25,
            k: 0.0,
        };
        let s = mm.scores(&DOCS, &FIRST, &CE);
        assert!((s[0] - 0.75).abs() < 1e-6, "{s:?}");
        assert!((s[3] - 0.25).abs() < 1e-6, "{s:?}");
        assert_eq!(minmax(&[2.0, 2.0]), vec![0.0, 0.0]);
        assert!(rrf.scores(&[], &[], &[]).is_empty());
    }

    #[test]
    fn validate_names_the_bad_value() {
        let bad = Combination {
            method: CombineMethod::Rrf,
            weight: 1.5,
            k: 60.0,
        };
        assert!(bad.validate().unwrap_err().contains("rerank.weight"));
        let bad = Combination {
            weight: 0.5,
            k: -1.0,
            ..bad
        };
        assert!(bad.validate().unwrap_err().contains("rerank.k"));
    }
}
