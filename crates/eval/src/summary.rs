//! Aggregation of per-query metrics into one figure per metric.
use crate::evaluate::QueryMetrics;
use crate::keys::MetricKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The mean of one metric over the queries where it is defined.
///
/// `queries` and `skipped` travel with the mean because a mean over fewer
/// queries is a different experiment: a change that turns undefined queries
/// into defined ones moves the mean without any ranking getting better.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// The metric's key (`recall@200`, `ndcg@10`, ...; see [`MetricKey`]).
    pub metric: String,
    /// Mean over the counted queries; 0 when none was counted (see `queries`).
    pub mean: f64,
    /// Queries where the metric is defined, i.e. the value is `Some`.
    pub queries: usize,
    /// Queries where it is `None` or absent.
    pub skipped: usize,
}

/// One summary per metric key seen in any query, in report order ([`MetricKey`]'s).
///
/// A `Vec` rather than a map keyed by name: a string-sorted map would put
/// `recall@100` before `recall@50`, and the order is what reports show.
/// Use [`find_metric`] to look one up by key.
pub fn summarize(per_query: &[QueryMetrics]) -> Vec<MetricSummary> {
    let mut sums: BTreeMap<MetricKey, (f64, usize)> = BTreeMap::new();
    for query in per_query {
        for (name, value) in &query.values {
            let entry = sums.entry(MetricKey::parse(name)).or_insert((0.0, 0));
            if let Some(value) = value {
                entry.0 += value;
                entry.1 += 1;
            }
        }
    }
    sums.into_iter()
        .map(|(key, (sum, counted))| MetricSummary {
            metric: key.to_string(),
            mean: if counted == 0 {
                0.0
            } else {
                sum / counted as f64
            },
            queries: counted,
            skipped: per_query.len() - counted,
        })
        .collect()
}

/// The summary of metric `key`, if present.
pub fn find_metric<'a>(summaries: &'a [MetricSummary], key: &str) -> Option<&'a MetricSummary> {
    summaries.iter().find(|s| s.metric == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(id: &str, values: &[(&str, Option<f64>)]) -> QueryMetrics {
        QueryMetrics {
            query_id: id.into(),
            values: values.iter().map(|&(k, v)| (k.to_string(), v)).collect(),
        }
    }

    #[test]
    fn means_skip_undefined_and_absent() {
        let per_query = [
            query(
                "a",
                &[
                    ("recall@100", Some(0.5)),
                    ("recall@50", Some(0.25)),
                    ("mrr@10", None),
                ],
            ),
            query("b", &[("recall@100", Some(1.0)), ("recall@50", None)]),
            query("c", &[("recall@100", Some(0.0))]),
        ];
        let summary = summarize(&per_query);
        let want = [
            // recall@50: only a counts -> 0.25; b is None, c lacks it -> 2 skipped
            MetricSummary {
                metric: "recall@50".into(),
                mean: 0.25,
                queries: 1,
                skipped: 2,
            },
            // recall@100: (0.5 + 1.0 + 0.0) / 3 = 0.5
            MetricSummary {
                metric: "recall@100".into(),
                mean: 0.5,
                queries: 3,
                skipped: 0,
            },
            // mrr@10: never defined -> mean 0 over 0 queries
            MetricSummary {
                metric: "mrr@10".into(),
                mean: 0.0,
                queries: 0,
                skipped: 3,
            },
        ];
        assert_eq!(summary, want);
        assert_eq!(find_metric(&summary, "recall@100").unwrap().mean, 0.5);
        assert!(find_metric(&summary, "ndcg@10").is_none());
    }

    #[test]
    fn empty_input_gives_no_metrics() {
        assert!(summarize(&[]).is_empty());
    }
}
