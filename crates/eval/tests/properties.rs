//! Properties every metric must satisfy on arbitrary rankings and judgments.
use esci_core::{DocId, EsciLabel, Hit, Split};
use esci_eval::{
    GainScheme, MetricsConfig, QueryJudgments, evaluate_ranking, mrr_at, ndcg_at, recall_at,
    task1_ndcg,
};
use proptest::prelude::*;

fn label() -> impl Strategy<Value = EsciLabel> {
    prop_oneof![
        Just(EsciLabel::Exact),
        Just(EsciLabel::Substitute),
        Just(EsciLabel::Complement),
        Just(EsciLabel::Irrelevant),
    ]
}

fn gain_scheme() -> impl Strategy<Value = GainScheme> {
    prop_oneof![Just(GainScheme::Linear), Just(GainScheme::Exponential)]
}

/// Up to 25 distinct judged docs among ids 0..40, so rankings hit both judged and unjudged.
fn judgments() -> impl Strategy<Value = QueryJudgments> {
    proptest::collection::btree_map(0u32..40, label(), 0..25).prop_map(|labels| QueryJudgments {
        query_id: "q".into(),
        query: "query".into(),
        split: Split::Test,
        labels: labels.into_iter().collect(),
    })
}

/// Rankings over ids 0..50, duplicates allowed.
fn ranking() -> impl Strategy<Value = Vec<DocId>> {
    proptest::collection::vec(0u32..50, 0..60)
}

fn in_unit(value: Option<f64>) -> bool {
    value.is_none_or(|v| (0.0..=1.0).contains(&v))
}

proptest! {
    #[test]
    fn metrics_lie_in_unit_interval(
        judged in judgments(),
        ranked in ranking(),
        k in 0usize..70,
        gain in gain_scheme(),
        scores in proptest::collection::vec(-5.0f32..5.0, 0..60),
    ) {
        prop_assert!(in_unit(recall_at(&ranked, &judged, k)));
        prop_assert!(in_unit(ndcg_at(&ranked, &judged, k, gain)));
        prop_assert!(in_unit(mrr_at(&ranked, &judged, k)));
        let scored: Vec<Hit> = ranked.iter().zip(&scores).map(|(&d, &s)| Hit::new(d, s)).collect();
        prop_assert!(in_unit(task1_ndcg(&scored, &judged, gain)));
    }

    #[test]
    fn ideal_ordering_has_ndcg_one(judged in judgments(), k in 1usize..40, gain in gain_scheme()) {
        let mut ideal = judged.labels.clone();
        ideal.sort_by(|a, b| b.1.gain().total_cmp(&a.1.gain()).then(a.0.cmp(&b.0)));
        let ranked: Vec<DocId> = ideal.iter().map(|&(d, _)| d).collect();
        let has_gain = judged.labels.iter().any(|(_, l)| l.gain() > 0.0);
        let got = ndcg_at(&ranked, &judged, k, gain);
        prop_assert_eq!(got.is_some(), has_gain);
        if let Some(v) = got {
            prop_assert!((v - 1.0).abs() < 1e-12, "ndcg {}", v);
        }
        // Task 1 with the gains as scores is the ideal ordering too.
        let scored: Vec<Hit> = judged.labels.iter().map(|&(d, l)| Hit::new(d, l.gain() as f32)).collect();
        if let Some(v) = task1_ndcg(&scored, &judged, gain) {
            prop_assert!((v - 1.0).abs() < 1e-12, "task1 ndcg {}", v);
        }
    }

    #[test]
    fn recall_is_non_decreasing_in_k(judged in judgments(), ranked in ranking()) {
        let mut previous = 0.0;
        for k in 0..=ranked.len() + 1 {
            match recall_at(&ranked, &judged, k) {
                Some(r) => {
                    prop_assert!(r >= previous, "recall@{} = {} < {}", k, r, previous);
                    previous = r;
                }
                None => prop_assert_eq!(judged.num_relevant(), 0),
            }
        }
    }

    #[test]
    fn evaluate_ranking_agrees_with_single_metrics(
        judged in judgments(),
        ranked in ranking(),
        ks in proptest::collection::vec(0usize..70, 1..4),
        mrr_k in 0usize..70,
        gain in gain_scheme(),
    ) {
        let config = MetricsConfig { recall_ks: ks.clone(), ndcg_ks: ks.clone(), mrr_k, gain };
        let m = evaluate_ranking(&ranked, &judged, &config);
        for &k in &ks {
            prop_assert_eq!(m.get(&format!("recall@{k}")), recall_at(&ranked, &judged, k));
            prop_assert_eq!(m.get(&format!("ndcg@{k}")), ndcg_at(&ranked, &judged, k, gain));
        }
        prop_assert_eq!(m.get(&format!("mrr@{mrr_k}")), mrr_at(&ranked, &judged, mrr_k));
    }
}
