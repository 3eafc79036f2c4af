use crate::judgments::LabelIndex;
use esci_core::EsciLabel;
use serde::{Deserialize, Serialize};

/// How an ESCI label turns into the gain that nDCG sums.
///
/// Both forms start from the KDD Cup 2022 grades ([`EsciLabel::gain`]: E = 1,
/// S = 0.1, C = 0.01, I = 0). They agree on E and I and differ on the small
/// grades, so numbers are only comparable under the same scheme; reports record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum GainScheme {
    /// The grade itself, as the KDD Cup 2022 Task 1 scorer used it.
    #[default]
    Linear,
    /// `2^grade - 1`, the reference system's form (S ≈ 0.0718, C ≈ 0.00696).
    Exponential,
}

impl GainScheme {
    /// The gain of a product labelled `label`.
    pub fn gain(self, label: EsciLabel) -> f64 {
        let grade = label.gain();
        match self {
            GainScheme::Linear => grade,
            GainScheme::Exponential => grade.exp2() - 1.0,
        }
    }
}

/// The rank discount of DCG: `1 / log2(rank + 1)` for a 1-based `rank`.
///
/// Rank 1 is undiscounted, rank 3 gets 1/2, rank 7 gets 1/3.
pub(crate) fn discount(rank: usize) -> f64 {
    1.0 / ((rank + 1) as f64).log2()
}

/// DCG of gains listed best rank first, cut at `k`.
pub(crate) fn dcg_at(gains: &[f64], k: usize) -> f64 {
    gains
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| g * discount(i + 1))
        .sum()
}

/// The gains of every judged product sorted descending: the ideal ranking.
///
/// Built from all judged products, not only retrieved ones, so a retriever that
/// misses a relevant product is penalised.
pub(crate) fn ideal_gains(index: &LabelIndex, scheme: GainScheme) -> Vec<f64> {
    let mut gains: Vec<f64> = index.iter().map(|(_, l)| scheme.gain(l)).collect();
    gains.sort_unstable_by(|a, b| b.total_cmp(a));
    gains
}

#[cfg(test)]
mod tests {
    use super::*;
    use EsciLabel::*;

    #[test]
    fn linear_gain_is_the_kdd_grade() {
        let g = |l| GainScheme::Linear.gain(l);
        assert_eq!(
            [g(Exact), g(Substitute), g(Complement), g(Irrelevant)],
            [1.0, 0.1, 0.01, 0.0]
        );
    }

    #[test]
    fn exponential_gain_is_two_to_the_grade_minus_one() {
        let g = |l| GainScheme::Exponential.gain(l);
        // 2^1 - 1 = 1, 2^0 - 1 = 0
        assert_eq!(g(Exact), 1.0);
        assert_eq!(g(Irrelevant), 0.0);
        // 2^0.1 - 1 = 0.071773462..., 2^0.01 - 1 = 0.006955550...
        assert!((g(Substitute) - 0.071_773_462_536_293_1).abs() < 1e-12);
        assert!((g(Complement) - 0.006_955_550_056_718_9).abs() < 1e-12);
    }

    #[test]
    fn discount_and_dcg() {
        assert_eq!(discount(1), 1.0);
        assert_eq!(discount(3), 0.5);
        // 1/1 + 0.5/log2(3) + 0 + 1/log2(5), cut at 3 drops the last.
        let gains = [1.0, 0.5, 0.0, 1.0];
        let want = 1.0 + 0.5 / 3f64.log2();
        assert!((dcg_at(&gains, 3) - want).abs() < 1e-12);
        assert_eq!(dcg_at(&gains, 0), 0.0);
    }
}
