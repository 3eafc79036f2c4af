//! Evaluation of esci-search: ranking metrics, latency statistics and run reports.
//!
//! Pure functions over rankings and judgments: no retrieval and no IO (reports
//! serialise to strings; the caller writes files). Keeping the metrics apart
//! from the engine means one hand-checked implementation scores every retriever.
//!
//! - [`recall_at`], [`ndcg_at`], [`mrr_at`]: one metric of one ranked list.
//! - [`task1_ndcg`]: KDD Cup 2022 Task 1, re-ranking the judged list itself.
//! - [`evaluate_ranking`] / [`evaluate_task1`] → [`QueryMetrics`] per query,
//!   [`summarize`] → [`MetricSummary`] per metric.
//! - [`LatencyStats`], [`Throughput`], collected in a [`RunReport`] and compared
//!   across runs by [`markdown_table`].
//!
//! ```
//! use esci_core::{EsciLabel, Split};
//! use esci_eval::{GainScheme, QueryJudgments, ndcg_at, recall_at};
//! let judged = QueryJudgments {
//!     query_id: "q1".into(),
//!     query: "usb c cable".into(),
//!     split: Split::Test,
//!     labels: vec![(7, EsciLabel::Exact), (3, EsciLabel::Irrelevant)],
//! };
//! assert_eq!(recall_at(&[3, 7], &judged, 1), Some(0.0));
//! assert_eq!(recall_at(&[3, 7], &judged, 2), Some(1.0));
//! assert_eq!(ndcg_at(&[7, 3], &judged, 10, GainScheme::Linear), Some(1.0));
//! ```
#![deny(missing_docs)]

mod evaluate;
mod gain;
mod judgments;
mod keys;
mod latency;
mod markdown;
mod metrics;
mod report;
mod summary;
mod task1;

pub use evaluate::{MetricsConfig, QueryMetrics, evaluate_ranking, evaluate_task1};
pub use gain::GainScheme;
pub use judgments::QueryJudgments;
pub use keys::{MetricKey, TASK1_NDCG};
pub use latency::{LatencyStats, Throughput};
pub use markdown::markdown_table;
pub use metrics::{mrr_at, ndcg_at, recall_at};
pub use report::{MODE_RETRIEVAL, MODE_TASK1, ReportError, RunReport};
pub use summary::{MetricSummary, find_metric, summarize};
pub use task1::task1_ndcg;
