//! KDD Cup 2022 Task 1 ("query-product ranking"): re-rank a fixed judged list.
use crate::gain::{GainScheme, ideal_gains};
use crate::judgments::{LabelIndex, QueryJudgments};
use crate::metrics::{credited_labels, ndcg};
use esci_core::{DocId, Hit, sort_hits};
use std::collections::HashMap;

/// nDCG of the query's judged products ranked by `scored`, over the whole judged list.
///
/// Only judged products are ranked, ordered by [`Hit::rank_order`] so equal
/// scores break by doc id, as everywhere else in the engine. Products in
/// `scored` that were not judged are ignored (they are not part of the task);
/// judged products missing from `scored` score `-inf`, i.e. rank last, by doc id.
/// A product scored twice keeps its first score. `None` when the ideal DCG is 0
/// (no judged product has positive gain).
pub fn task1_ndcg(scored: &[Hit], judged: &QueryJudgments, gain: GainScheme) -> Option<f64> {
    let index = LabelIndex::new(judged);
    let ranked = task1_ranking(scored, &index);
    let credited = credited_labels(&ranked, &index, ranked.len());
    ndcg(&credited, &ideal_gains(&index, gain), ranked.len(), gain)
}

/// Every distinct judged product, best first under `scored`.
fn task1_ranking(scored: &[Hit], index: &LabelIndex) -> Vec<DocId> {
    let mut first_score: HashMap<DocId, f32> = HashMap::new();
    for hit in scored {
        if index.get(hit.doc).is_some() {
            first_score.entry(hit.doc).or_insert(hit.score);
        }
    }
    let mut hits: Vec<Hit> = index
        .iter()
        .map(|(doc, _)| {
            let score = first_score.get(&doc).copied();
            Hit::new(doc, score.unwrap_or(f32::NEG_INFINITY))
        })
        .collect();
    sort_hits(&mut hits);
    hits.into_iter().map(|h| h.doc).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::EsciLabel::{self, *};
    use esci_core::Split;

    /// 1 E, 2 S, 3 C, 4 I, 5 E.
    /// Linear IDCG over all five = 1 + 1/log2(3) + 0.1/2 + 0.01/log2(5) = 1.6852365191521914
    fn judged() -> QueryJudgments {
        labelled(&[
            (1, Exact),
            (2, Substitute),
            (3, Complement),
            (4, Irrelevant),
            (5, Exact),
        ])
    }

    fn labelled(labels: &[(DocId, EsciLabel)]) -> QueryJudgments {
        QueryJudgments {
            query_id: "q".into(),
            query: "query".into(),
            split: Split::Train,
            labels: labels.to_vec(),
        }
    }

    fn hits(pairs: &[(DocId, f32)]) -> Vec<Hit> {
        pairs.iter().map(|&(d, s)| Hit::new(d, s)).collect()
    }

    fn close(got: Option<f64>, want: f64) {
        let got = got.expect("metric should be defined");
        assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    }

    #[test]
    fn perfect_scores_give_one() {
        let scored = hits(&[(3, 0.2), (1, 0.9), (4, 0.1), (5, 0.8), (2, 0.5)]);
        close(task1_ndcg(&scored, &judged(), GainScheme::Linear), 1.0);
        close(task1_ndcg(&scored, &judged(), GainScheme::Exponential), 1.0);
    }

    #[test]
    fn ties_break_by_doc_id() {
        let scored = hits(&[(5, 1.0), (4, 1.0), (3, 1.0), (2, 1.0), (1, 1.0)]);
        // all tied -> order 1, 2, 3, 4, 5: gains [1, 0.1, 0.01, 0, 1]
        // DCG = 1 + 0.1/log2(3) + 0.01/2 + 0 + 1/log2(6) = 1.4549457825916874
        // nDCG = 1.4549457825916874 / 1.6852365191521914 = 0.8633481212023825
        close(
            task1_ndcg(&scored, &judged(), GainScheme::Linear),
            0.863_348_121_202_382_5,
        );
        // exponential: S = 2^0.1 - 1 = 0.0717734625, C = 2^0.01 - 1 = 0.0069555501
        // DCG  = 1 + S/log2(3) + C/2 + 1/log2(6)  = 1.4356145952938948
        // IDCG = 1 + 1/log2(3) + S/2 + C/log2(5)  = 1.6698120771975389
        // nDCG = 0.8597462043173745
        close(
            task1_ndcg(&scored, &judged(), GainScheme::Exponential),
            0.859_746_204_317_374_5,
        );
    }

    #[test]
    fn unjudged_ignored_and_missing_ranked_last() {
        // 99 is unjudged (ignored despite its top score); only 2 is scored, so the
        // rest rank last by doc id: 2, 1, 3, 4, 5 -> gains [0.1, 1, 0.01, 0, 1]
        // DCG = 0.1 + 1/log2(3) + 0.01/2 + 0 + 1/log2(6) = 1.1227825608059991
        // nDCG = 1.1227825608059991 / 1.6852365191521914 = 0.6662462794070285
        let scored = hits(&[(99, 100.0), (2, 1.0)]);
        close(
            task1_ndcg(&scored, &judged(), GainScheme::Linear),
            0.666_246_279_407_028_5,
        );
        // nothing scored at all: same as all tied (doc id order)
        close(
            task1_ndcg(&[], &judged(), GainScheme::Linear),
            0.863_348_121_202_382_5,
        );
    }

    #[test]
    fn first_score_of_a_repeated_doc_wins() {
        // 2 is first scored 5.0, so its later 0.0 is ignored; 5 scored -1 still beats
        // the unscored 3 and 4: order 2, 1, 5, 3, 4 -> gains [0.1, 1, 1, 0.01, 0]
        // DCG = 0.1 + 1/log2(3) + 1/2 + 0.01/log2(5) + 0 = 1.2352365191521912
        // nDCG = 1.2352365191521912 / 1.6852365191521914 = 0.73297516705466
        let scored = hits(&[(2, 5.0), (2, 0.0), (1, 1.0), (5, -1.0)]);
        close(
            task1_ndcg(&scored, &judged(), GainScheme::Linear),
            0.732_975_167_054_66,
        );
    }

    #[test]
    fn reversed_is_worse_and_all_irrelevant_is_undefined() {
        let reversed = hits(&[(4, 0.9), (3, 0.8), (2, 0.5), (5, 0.2), (1, 0.1)]);
        let got = task1_ndcg(&reversed, &judged(), GainScheme::Linear).unwrap();
        assert!(got < 1.0);
        let all_i = labelled(&[(1, Irrelevant), (2, Irrelevant)]);
        assert_eq!(task1_ndcg(&reversed, &all_i, GainScheme::Linear), None);
        assert_eq!(task1_ndcg(&[], &labelled(&[]), GainScheme::Linear), None);
    }
}
