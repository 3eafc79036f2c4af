//! Recall, nDCG and MRR at a cut-off, over a ranked list of doc ids.
//!
//! Conventions shared by all three, fixed here so every caller agrees:
//! - `ranked` is best first and already ordered; it may be shorter than `k`.
//! - A product retrieved twice is credited once, at its first rank; the repeat
//!   still occupies its rank (with no gain), so duplicates can only lower a score.
//! - Unjudged products gain nothing but occupy their rank.
//! - "Relevant" means E or S ([`EsciLabel::is_relevant`]).
use crate::gain::{GainScheme, dcg_at, ideal_gains};
use crate::judgments::{LabelIndex, QueryJudgments};
use esci_core::{DocId, EsciLabel};
use std::collections::HashSet;

/// Fraction of the query's relevant products found in the top `k`.
///
/// `None` when the query has no relevant product: recall is undefined there, and
/// counting it as 0 or 1 would bias the mean.
pub fn recall_at(ranked: &[DocId], judged: &QueryJudgments, k: usize) -> Option<f64> {
    let index = LabelIndex::new(judged);
    recall(&credited_labels(ranked, &index, k), index.num_relevant(), k)
}

/// nDCG at `k` under `gain`, with a `log2(rank + 1)` discount.
///
/// The ideal DCG ranks all judged products of the query, retrieved or not.
/// `None` when that ideal DCG is 0 (nothing of positive gain was judged, or `k` is 0).
pub fn ndcg_at(
    ranked: &[DocId],
    judged: &QueryJudgments,
    k: usize,
    gain: GainScheme,
) -> Option<f64> {
    let index = LabelIndex::new(judged);
    let credited = credited_labels(ranked, &index, k);
    ndcg(&credited, &ideal_gains(&index, gain), k, gain)
}

/// Reciprocal rank of the first relevant product within `k`, 0 when none is there.
///
/// `None` when the query has no relevant product.
pub fn mrr_at(ranked: &[DocId], judged: &QueryJudgments, k: usize) -> Option<f64> {
    let index = LabelIndex::new(judged);
    mrr(&credited_labels(ranked, &index, k), index.num_relevant(), k)
}

/// The label credited at each rank of `ranked[..depth]`.
///
/// `None` for an unjudged product and for a repeat of an earlier product.
pub(crate) fn credited_labels(
    ranked: &[DocId],
    index: &LabelIndex,
    depth: usize,
) -> Vec<Option<EsciLabel>> {
    let mut seen = HashSet::new();
    ranked
        .iter()
        .take(depth)
        .map(|&doc| {
            let label = index.get(doc)?;
            seen.insert(doc).then_some(label)
        })
        .collect()
}

/// Recall at `k` from credited labels.
pub(crate) fn recall(credited: &[Option<EsciLabel>], num_relevant: usize, k: usize) -> Option<f64> {
    if num_relevant == 0 {
        return None;
    }
    let found = credited
        .iter()
        .take(k)
        .flatten()
        .filter(|l| l.is_relevant())
        .count();
    Some(found as f64 / num_relevant as f64)
}

/// nDCG at `k` from credited labels and the sorted ideal gains.
pub(crate) fn ndcg(
    credited: &[Option<EsciLabel>],
    ideal: &[f64],
    k: usize,
    gain: GainScheme,
) -> Option<f64> {
    let ideal_dcg = dcg_at(ideal, k);
    if ideal_dcg <= 0.0 {
        return None;
    }
    let gains: Vec<f64> = credited
        .iter()
        .take(k)
        .map(|l| l.map_or(0.0, |l| gain.gain(l)))
        .collect();
    Some(dcg_at(&gains, k) / ideal_dcg)
}

/// MRR at `k` from credited labels.
pub(crate) fn mrr(credited: &[Option<EsciLabel>], num_relevant: usize, k: usize) -> Option<f64> {
    if num_relevant == 0 {
        return None;
    }
    let first = credited
        .iter()
        .take(k)
        .position(|l| l.is_some_and(|l| l.is_relevant()));
    Some(first.map_or(0.0, |i| 1.0 / (i + 1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use EsciLabel::*;
    use esci_core::Split;

    /// 1 E, 2 S, 3 C, 4 I, 5 E: three relevant (1, 2, 5).
    /// Linear ideal gains: [1, 1, 0.1, 0.01, 0].
    fn judged() -> QueryJudgments {
        with_labels(&[
            (1, Exact),
            (2, Substitute),
            (3, Complement),
            (4, Irrelevant),
            (5, Exact),
        ])
    }

    fn with_labels(labels: &[(DocId, EsciLabel)]) -> QueryJudgments {
        QueryJudgments {
            query_id: "q".into(),
            query: "query".into(),
            split: Split::Test,
            labels: labels.to_vec(),
        }
    }

    fn close(got: Option<f64>, want: f64) {
        let got = got.expect("metric should be defined");
        assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    }

    const LIN: GainScheme = GainScheme::Linear;
    const EXP: GainScheme = GainScheme::Exponential;

    #[test]
    fn recall_counts_relevant_in_top_k() {
        let q = judged();
        let ranked = [9, 2, 4, 1, 7];
        // top 2 = {9, 2}: 2 is S -> 1 of 3
        close(recall_at(&ranked, &q, 2), 1.0 / 3.0);
        // top 5 holds 2 (S) and 1 (E) -> 2 of 3
        close(recall_at(&ranked, &q, 5), 2.0 / 3.0);
        // fewer than k results: same as the whole list, 2 of 3
        close(recall_at(&ranked, &q, 100), 2.0 / 3.0);
        // k = 0 retrieves nothing
        close(recall_at(&ranked, &q, 0), 0.0);
        // perfect: all of 1, 5, 2
        close(recall_at(&[1, 5, 2], &q, 3), 1.0);
    }

    #[test]
    fn recall_duplicates_count_once_and_keep_their_slot() {
        let q = judged();
        // [2, 2, 1] at k = 2: second 2 is a repeat -> {2} -> 1/3
        close(recall_at(&[2, 2, 1], &q, 2), 1.0 / 3.0);
        // at k = 3: {2, 1} -> 2/3, not 3/3
        close(recall_at(&[2, 2, 1], &q, 3), 2.0 / 3.0);
    }

    #[test]
    fn no_relevant_product_is_undefined_for_recall_and_mrr() {
        // C and I only: nothing is E or S.
        let q = with_labels(&[(1, Complement), (2, Irrelevant)]);
        assert_eq!(recall_at(&[1, 2], &q, 10), None);
        assert_eq!(mrr_at(&[1, 2], &q, 10), None);
        // ...but nDCG is defined, since C has gain 0.01:
        // DCG = 0 + 0.01/log2(3); ideal = 0.01 -> 1/log2(3) = 0.6309297535714575
        close(ndcg_at(&[2, 1], &q, 10, LIN), 0.630_929_753_571_457_5);
        // All irrelevant: ideal DCG is 0 -> None.
        let q = with_labels(&[(1, Irrelevant)]);
        assert_eq!(ndcg_at(&[1], &q, 10, LIN), None);
        assert_eq!(ndcg_at(&[1], &q, 10, EXP), None);
        // No judgments at all.
        let q = with_labels(&[]);
        assert_eq!(ndcg_at(&[1], &q, 10, LIN), None);
        assert_eq!(recall_at(&[1], &q, 10), None);
    }

    #[test]
    fn ndcg_with_unjudged_docs() {
        let q = judged();
        // top 3 of [9, 2, 4, 1, 7]: gains [0 (unjudged), 0.1, 0 (I)]
        // DCG@3 = 0.1/log2(3) = 0.06309297535714575
        // IDCG@3 = 1 + 1/log2(3) + 0.1/2 = 1.6809297535714576
        // nDCG@3 = 0.037534569914710970
        close(
            ndcg_at(&[9, 2, 4, 1, 7], &q, 3, LIN),
            0.037_534_569_914_710_97,
        );
    }

    #[test]
    fn ndcg_perfect_is_one_and_reversed_is_less() {
        let q = judged();
        for k in [1, 2, 3, 5, 10] {
            close(ndcg_at(&[1, 5, 2, 3, 4], &q, k, LIN), 1.0);
            close(ndcg_at(&[5, 1, 2, 3, 4], &q, k, EXP), 1.0);
        }
        // reversed [4, 3, 2, 5, 1]: gains [0, 0.01, 0.1, 1, 1]
        // DCG  = 0.01/log2(3) + 0.1/2 + 1/log2(5) + 1/log2(6) = 0.8738386628436492
        // IDCG = 1 + 1/log2(3) + 0.1/2 + 0.01/log2(5)         = 1.6852365191521914
        // nDCG = 0.5185258288155659
        close(
            ndcg_at(&[4, 3, 2, 5, 1], &q, 5, LIN),
            0.518_525_828_815_565_9,
        );
    }

    #[test]
    fn ndcg_k_beyond_judged_list_uses_whole_ideal() {
        let q = judged();
        // [9, 1] at k = 10: DCG = 0 + 1/log2(3) = 0.6309297535714575
        // IDCG@10 = IDCG over all five judged = 1.6852365191521914
        // nDCG = 0.37438647121702867
        close(ndcg_at(&[9, 1], &q, 10, LIN), 0.374_386_471_217_028_67);
        // a perfect list stays 1 with k past its end
        close(ndcg_at(&[1, 5, 2, 3], &q, 50, LIN), 1.0);
    }

    #[test]
    fn ndcg_duplicates_gain_once() {
        let q = judged();
        // [1, 1, 5] at k = 3: gains [1, 0 (repeat), 1]
        // DCG = 1 + 0 + 1/2 = 1.5; IDCG@3 = 1.6809297535714576
        // nDCG = 0.8923632869327004
        close(ndcg_at(&[1, 1, 5], &q, 3, LIN), 0.892_363_286_932_700_4);
    }

    #[test]
    fn ndcg_linear_and_exponential_differ_on_substitutes() {
        let q = judged();
        // [2, 1] at k = 2, IDCG@2 = 1 + 1/log2(3) = 1.6309297535714575
        // linear: (0.1 + 1/log2(3)) / IDCG = 0.7309297535714575 / 1.6309... = 0.44816752651108743
        close(ndcg_at(&[2, 1], &q, 2, LIN), 0.448_167_526_511_087_43);
        // exponential: S = 2^0.1 - 1 = 0.07177346253629313
        // (0.07177346253629313 + 0.6309297535714575) / 1.6309... = 0.4308605043037266
        close(ndcg_at(&[2, 1], &q, 2, EXP), 0.430_860_504_303_726_6);
        // k = 0: ideal DCG@0 is 0 -> undefined
        assert_eq!(ndcg_at(&[2, 1], &q, 0, LIN), None);
    }

    #[test]
    fn mrr_first_relevant_within_k() {
        let q = judged();
        // [9, 4, 3, 2, 1]: 9 unjudged, 4 I, 3 C, 2 S at rank 4 -> 1/4
        close(mrr_at(&[9, 4, 3, 2, 1], &q, 10), 0.25);
        // cut at 3: no E or S in the top 3 -> 0
        close(mrr_at(&[9, 4, 3, 2, 1], &q, 3), 0.0);
        // first at rank 1
        close(mrr_at(&[5, 9], &q, 10), 1.0);
        // a repeat does not move the first hit: [4, 4, 1] -> rank 3
        close(mrr_at(&[4, 4, 1], &q, 10), 1.0 / 3.0);
        // empty ranking -> 0
        close(mrr_at(&[], &q, 10), 0.0);
    }
}
