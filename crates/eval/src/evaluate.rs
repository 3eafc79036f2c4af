//! Every configured metric of one query in one pass.
use crate::gain::{GainScheme, ideal_gains};
use crate::judgments::{LabelIndex, QueryJudgments};
use crate::keys::{MetricKey, TASK1_NDCG};
use crate::metrics::{credited_labels, mrr, ndcg, recall};
use crate::task1::task1_ndcg;
use esci_core::{DocId, Hit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which cut-offs to report, and under which gain.
///
/// The defaults suit a first stage feeding a re-ranker: recall deep in the list
/// (what the re-ranker can still fix), nDCG and MRR near the top (what a shopper sees).
/// Missing fields in a serialised config take their default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsConfig {
    /// Cut-offs of `recall@k`; default 50, 100, 200.
    pub recall_ks: Vec<usize>,
    /// Cut-offs of `ndcg@k`; default 10, 20, 50.
    pub ndcg_ks: Vec<usize>,
    /// Cut-off of `mrr@k`; default 10.
    pub mrr_k: usize,
    /// Gain of nDCG (and Task-1 nDCG); default linear.
    pub gain: GainScheme,
}

impl Default for MetricsConfig {
    fn default() -> MetricsConfig {
        MetricsConfig {
            recall_ks: vec![50, 100, 200],
            ndcg_ks: vec![10, 20, 50],
            mrr_k: 10,
            gain: GainScheme::Linear,
        }
    }
}

impl MetricsConfig {
    /// How deep a ranking must be to compute every configured metric.
    ///
    /// Retrieving fewer than this is allowed (metrics treat the rest as missing),
    /// but it lowers recall, so the engine should ask for at least this many.
    pub fn depth(&self) -> usize {
        let deepest = self.recall_ks.iter().chain(&self.ndcg_ks).copied().max();
        deepest.unwrap_or(0).max(self.mrr_k)
    }
}

/// The metrics of one query.
///
/// `None` marks a metric undefined for the query (e.g. recall with no relevant
/// product); [`crate::summarize`] skips those rather than counting them as 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryMetrics {
    /// `query_id` of the judged query.
    pub query_id: String,
    /// Metric values by key (`recall@200`, `ndcg@20`, `mrr@10`, `task1_ndcg`; see [`MetricKey`]).
    pub values: BTreeMap<String, Option<f64>>,
}

impl QueryMetrics {
    /// The value of `key`, flattening "absent" and "undefined" together.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.get(key).copied().flatten()
    }
}

/// Recall, nDCG and MRR at every configured cut-off for one retrieved list.
///
/// Same conventions as [`crate::recall_at`] and friends, which it agrees with
/// exactly; it only shares the label lookup and the ideal ranking across metrics.
pub fn evaluate_ranking(
    ranked: &[DocId],
    judged: &QueryJudgments,
    config: &MetricsConfig,
) -> QueryMetrics {
    let index = LabelIndex::new(judged);
    let credited = credited_labels(ranked, &index, config.depth());
    let relevant = index.num_relevant();
    let ideal = ideal_gains(&index, config.gain);
    let mut values = BTreeMap::new();
    for &k in &config.recall_ks {
        let value = recall(&credited, relevant, k);
        values.insert(MetricKey::Recall(k).to_string(), value);
    }
    for &k in &config.ndcg_ks {
        let value = ndcg(&credited, &ideal, k, config.gain);
        values.insert(MetricKey::Ndcg(k).to_string(), value);
    }
    let value = mrr(&credited, relevant, config.mrr_k);
    values.insert(MetricKey::Mrr(config.mrr_k).to_string(), value);
    QueryMetrics {
        query_id: judged.query_id.clone(),
        values,
    }
}

/// The Task-1 metrics of one query: `task1_ndcg` under `gain` (see [`task1_ndcg`]).
pub fn evaluate_task1(scored: &[Hit], judged: &QueryJudgments, gain: GainScheme) -> QueryMetrics {
    let value = task1_ndcg(scored, judged, gain);
    QueryMetrics {
        query_id: judged.query_id.clone(),
        values: BTreeMap::from([(TASK1_NDCG.to_string(), value)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mrr_at, ndcg_at, recall_at};
    use esci_core::EsciLabel::*;
    use esci_core::Split;

    fn judged() -> QueryJudgments {
        QueryJudgments {
            query_id: "q7".into(),
            query: "usb cable".into(),
            split: Split::Test,
            labels: vec![(1, Exact), (2, Substitute), (3, Complement), (60, Exact)],
        }
    }

    #[test]
    fn default_config_and_depth() {
        let config = MetricsConfig::default();
        assert_eq!(config.recall_ks, [50, 100, 200]);
        assert_eq!(config.ndcg_ks, [10, 20, 50]);
        assert_eq!(config.mrr_k, 10);
        assert_eq!(config.gain, GainScheme::Linear);
        assert_eq!(config.depth(), 200);
        let partial: MetricsConfig = serde_json::from_str(r#"{"mrr_k": 300}"#).unwrap();
        assert_eq!(partial.depth(), 300);
        assert_eq!(partial.recall_ks, [50, 100, 200]);
    }

    #[test]
    fn agrees_with_single_metrics() {
        // 60 is at rank 60, so recall@50 misses it and recall@100 finds it.
        let mut ranked: Vec<DocId> = (100..157).collect();
        ranked.insert(1, 2);
        ranked.push(1);
        ranked.push(60);
        assert_eq!(ranked.iter().position(|&d| d == 60), Some(59));
        for gain in [GainScheme::Linear, GainScheme::Exponential] {
            let config = MetricsConfig {
                gain,
                ..MetricsConfig::default()
            };
            let m = evaluate_ranking(&ranked, &judged(), &config);
            assert_eq!(m.query_id, "q7");
            let keys: Vec<&str> = m.values.keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                [
                    "mrr@10",
                    "ndcg@10",
                    "ndcg@20",
                    "ndcg@50",
                    "recall@100",
                    "recall@200",
                    "recall@50"
                ]
            );
            for k in [50, 100, 200] {
                assert_eq!(
                    m.get(&format!("recall@{k}")),
                    recall_at(&ranked, &judged(), k)
                );
            }
            for k in [10, 20, 50] {
                let want = ndcg_at(&ranked, &judged(), k, gain);
                assert_eq!(m.get(&format!("ndcg@{k}")), want);
            }
            assert_eq!(m.get("mrr@10"), mrr_at(&ranked, &judged(), 10));
        }
        let m = evaluate_ranking(&ranked, &judged(), &MetricsConfig::default());
        // relevant: 1, 2, 60. Top 50 holds only 2 -> 1/3; top 100 holds all -> 1.
        assert_eq!(m.get("recall@50"), Some(1.0 / 3.0));
        assert_eq!(m.get("recall@100"), Some(1.0));
        // 2 is at rank 2 -> MRR 1/2.
        assert_eq!(m.get("mrr@10"), Some(0.5));
    }

    #[test]
    fn task1_has_one_key() {
        let scored = [Hit::new(1, 2.0), Hit::new(60, 1.0), Hit::new(2, 0.5)];
        let m = evaluate_task1(&scored, &judged(), GainScheme::Linear);
        assert_eq!(m.values.len(), 1);
        assert_eq!(m.get(TASK1_NDCG), Some(1.0));
    }
}
