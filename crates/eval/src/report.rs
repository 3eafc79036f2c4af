//! The record of one evaluation run, as written to the run's JSON file.
use crate::evaluate::QueryMetrics;
use crate::latency::{LatencyStats, Throughput};
use crate::summary::{MetricSummary, find_metric};
use esci_core::QuerySet;
use serde::{Deserialize, Serialize};

/// [`RunReport::mode`] of a run that retrieves from the whole corpus.
pub const MODE_RETRIEVAL: &str = "retrieval";
/// [`RunReport::mode`] of a run that re-ranks each query's judged list (KDD Cup Task 1).
pub const MODE_TASK1: &str = "task1";

/// Why a report could not be (de)serialised.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The JSON is malformed or does not match the report schema, or a value
    /// cannot be written as JSON.
    #[error("run report JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// One evaluation run: what was run, how well it ranked and how fast.
///
/// Self-contained so a results directory can be re-rendered and compared later
/// without re-running anything: it keeps the run's parameters and every
/// per-query value next to the aggregates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Short name of the system, e.g. `bm25` or `hybrid-rrf`.
    pub name: String,
    /// The query set evaluated (`test`, `dev`, ...).
    pub split: QuerySet,
    /// [`MODE_RETRIEVAL`] or [`MODE_TASK1`].
    pub mode: String,
    /// Number of queries evaluated.
    pub queries: usize,
    /// Aggregates, in report order (see [`crate::summarize`]).
    pub metrics: Vec<MetricSummary>,
    /// Single-threaded latency, when measured.
    pub latency: Option<LatencyStats>,
    /// Throughput at each thread count measured (e.g. 1 and all cores).
    pub throughput: Vec<Throughput>,
    /// Free-form configuration of the run (retriever parameters, metric config...).
    pub params: serde_json::Value,
    /// Every query's values, for significance tests and error analysis.
    pub per_query: Vec<QueryMetrics>,
    /// When the run finished, in seconds since the Unix epoch (set by the caller).
    pub created_unix: u64,
}

impl RunReport {
    /// The summary of metric `key` (e.g. `ndcg@10`), if the run has it.
    pub fn metric(&self, key: &str) -> Option<&MetricSummary> {
        find_metric(&self.metrics, key)
    }

    /// Throughput measured with exactly `threads` threads, if any.
    pub fn throughput_at(&self, threads: usize) -> Option<&Throughput> {
        self.throughput.iter().find(|t| t.threads == threads)
    }

    /// Throughput at the largest thread count above one: the "all cores" figure.
    pub fn throughput_parallel(&self) -> Option<&Throughput> {
        self.throughput
            .iter()
            .filter(|t| t.threads > 1)
            .max_by_key(|t| t.threads)
    }

    /// The report as pretty-printed JSON, the run file's content.
    pub fn to_json(&self) -> Result<String, ReportError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// The report as a JSON value, e.g. to embed in a larger document.
    pub fn to_json_value(&self) -> Result<serde_json::Value, ReportError> {
        Ok(serde_json::to_value(self)?)
    }

    /// Parses a report written by [`RunReport::to_json`].
    pub fn from_json(json: &str) -> Result<RunReport, ReportError> {
        Ok(serde_json::from_str(json)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn report() -> RunReport {
        RunReport {
            name: "bm25".into(),
            split: QuerySet::Test,
            mode: MODE_RETRIEVAL.into(),
            queries: 1,
            metrics: vec![MetricSummary {
                metric: "recall@100".into(),
                mean: 0.5,
                queries: 1,
                skipped: 0,
            }],
            latency: Some(LatencyStats::from_durations(&[Duration::from_millis(3)])),
            throughput: vec![
                Throughput::new(1, 10, Duration::from_secs(1)),
                Throughput::new(8, 10, Duration::from_millis(200)),
                Throughput::new(4, 10, Duration::from_millis(400)),
            ],
            params: serde_json::json!({"k1": 0.9, "b": 0.4}),
            per_query: vec![QueryMetrics {
                query_id: "q1".into(),
                values: BTreeMap::from([("recall@100".to_string(), Some(0.5))]),
            }],
            created_unix: 1_700_000_000,
        }
    }

    #[test]
    fn json_round_trips() {
        let report = report();
        let json = report.to_json().unwrap();
        assert_eq!(RunReport::from_json(&json).unwrap(), report);
        let value = report.to_json_value().unwrap();
        assert_eq!(value["split"], "test");
        assert_eq!(value["metrics"][0]["metric"], "recall@100");
        assert_eq!(value["per_query"][0]["values"]["recall@100"], 0.5);
    }

    #[test]
    fn bad_json_is_an_error() {
        let err = RunReport::from_json("{\"name\": 3}").unwrap_err();
        assert!(err.to_string().starts_with("run report JSON:"));
    }

    #[test]
    fn lookups() {
        let report = report();
        assert_eq!(report.metric("recall@100").unwrap().mean, 0.5);
        assert!(report.metric("ndcg@10").is_none());
        assert_eq!(report.throughput_at(1).unwrap().qps, 10.0);
        assert_eq!(report.throughput_parallel().unwrap().threads, 8);
        assert_eq!(report.throughput_parallel().unwrap().qps, 50.0);
    }
}
