//! The comparison table of several runs, as Markdown for the README and results.
use crate::keys::MetricKey;
use crate::report::RunReport;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// One row per run: name, every metric any run has (in [`MetricKey`] order),
/// then QPS on one thread, QPS on all cores, and p50/p95/p99 latency.
///
/// A column appears only when some run has it; a run lacking it (or whose
/// metric was defined for no query) shows `-`. Metrics have 4 decimals, QPS 1,
/// milliseconds 3 (sub-millisecond lexical queries are common).
///
/// The all-cores column is titled `QPS N threads` when every run measured the
/// same N; otherwise `QPS all cores`, with each cell noting its thread count.
pub fn markdown_table(runs: &[RunReport]) -> String {
    let keys: BTreeSet<MetricKey> = runs
        .iter()
        .flat_map(|r| &r.metrics)
        .map(|m| MetricKey::parse(&m.metric))
        .collect();
    let single = runs.iter().any(|r| r.throughput_at(1).is_some());
    let parallel: BTreeSet<usize> = runs
        .iter()
        .filter_map(|r| r.throughput_parallel())
        .map(|t| t.threads)
        .collect();
    let latency = runs.iter().any(|r| r.latency.is_some());

    let mut header = vec!["run".to_string()];
    header.extend(keys.iter().map(MetricKey::column_title));
    if single {
        header.push("QPS 1 thread".into());
    }
    let uniform_threads = (parallel.len() == 1)
        .then(|| parallel.first().copied())
        .flatten();
    match uniform_threads {
        Some(n) => header.push(format!("QPS {n} threads")),
        None if !parallel.is_empty() => header.push("QPS all cores".into()),
        None => {}
    }
    if latency {
        header.extend(["p50 ms", "p95 ms", "p99 ms"].map(String::from));
    }

    let mut out = String::new();
    push_row(&mut out, &header);
    let mut rule = vec![":---".to_string()];
    rule.resize(header.len(), "---:".to_string());
    push_row(&mut out, &rule);

    for run in runs {
        let mut row = vec![escape(&run.name)];
        for key in &keys {
            let summary = run.metric(&key.to_string()).filter(|m| m.queries > 0);
            row.push(summary.map_or_else(dash, |m| format!("{:.4}", m.mean)));
        }
        if single {
            let t = run.throughput_at(1);
            row.push(t.map_or_else(dash, |t| format!("{:.1}", t.qps)));
        }
        if !parallel.is_empty() {
            row.push(run.throughput_parallel().map_or_else(dash, |t| {
                if uniform_threads.is_some() {
                    format!("{:.1}", t.qps)
                } else {
                    format!("{:.1} ({} thr)", t.qps, t.threads)
                }
            }));
        }
        if latency {
            match &run.latency {
                Some(l) => row.extend([l.p50_ms, l.p95_ms, l.p99_ms].map(|v| format!("{v:.3}"))),
                None => row.extend([dash(), dash(), dash()]),
            }
        }
        push_row(&mut out, &row);
    }
    out
}

fn dash() -> String {
    "-".to_string()
}

/// A run name may contain `|`, which would split the cell.
fn escape(cell: &str) -> String {
    cell.replace('|', "\\|")
}

fn push_row(out: &mut String, cells: &[String]) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latency::{LatencyStats, Throughput};
    use crate::report::{MODE_RETRIEVAL, MODE_TASK1};
    use crate::summary::MetricSummary;
    use esci_core::QuerySet;
    use std::time::Duration;

    fn summary(metric: &str, mean: f64, queries: usize) -> MetricSummary {
        MetricSummary {
            metric: metric.into(),
            mean,
            queries,
            skipped: 0,
        }
    }

    fn run(name: &str, mode: &str, metrics: Vec<MetricSummary>) -> RunReport {
        RunReport {
            name: name.into(),
            split: QuerySet::Test,
            mode: mode.into(),
            queries: 2,
            metrics,
            latency: None,
            throughput: vec![],
            params: serde_json::Value::Null,
            per_query: vec![],
            created_unix: 0,
        }
    }

    fn runs() -> Vec<RunReport> {
        let mut bm25 = run(
            "bm25",
            MODE_RETRIEVAL,
            vec![
                summary("recall@100", 0.612_34, 2),
                summary("recall@50", 0.5, 2),
                summary("ndcg@10", 1.0 / 3.0, 2),
                summary("mrr@10", 0.0, 0),
            ],
        );
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&m| Duration::from_micros(m))
                .collect::<Vec<_>>()
        };
        bm25.latency = Some(LatencyStats::from_durations(&ms(&[500, 1500, 2250, 9000])));
        bm25.throughput = vec![
            Throughput::new(1, 100, Duration::from_millis(80)),
            Throughput::new(8, 100, Duration::from_millis(16)),
        ];
        let mut rerank = run(
            "ce | top-100",
            MODE_TASK1,
            vec![summary("task1_ndcg", 0.8765, 2)],
        );
        rerank.throughput = vec![Throughput::new(4, 100, Duration::from_millis(400))];
        vec![bm25, rerank]
    }

    #[test]
    fn snapshot() {
        // latencies 0.5, 1.5, 2.25, 9 ms: p50 rank 2 -> 1.5, p95 and p99 rank 4 -> 9
        // QPS: 100/0.08 = 1250, 100/0.016 = 6250, 100/0.4 = 250
        let want = "\
| run | R@50 | R@100 | nDCG@10 | MRR@10 | Task-1 nDCG | QPS 1 thread | QPS all cores | p50 ms | p95 ms | p99 ms |
| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| bm25 | 0.5000 | 0.6123 | 0.3333 | - | - | 1250.0 | 6250.0 (8 thr) | 1.500 | 9.000 | 9.000 |
| ce \\| top-100 | - | - | - | - | 0.8765 | - | 250.0 (4 thr) | - | - | - |
";
        assert_eq!(markdown_table(&runs()), want);
    }

    #[test]
    fn uniform_threads_in_header_and_optional_columns_dropped() {
        let mut runs = runs();
        runs[1].throughput.clear();
        runs[0].latency = None;
        runs[0].throughput.remove(0);
        let want = "\
| run | R@50 | R@100 | nDCG@10 | MRR@10 | Task-1 nDCG | QPS 8 threads |
| :--- | ---: | ---: | ---: | ---: | ---: | ---: |
| bm25 | 0.5000 | 0.6123 | 0.3333 | - | - | 6250.0 |
| ce \\| top-100 | - | - | - | - | 0.8765 | - |
";
        assert_eq!(markdown_table(&runs), want);
    }

    #[test]
    fn no_runs_gives_header_only() {
        assert_eq!(markdown_table(&[]), "| run |\n| :--- |\n");
    }
}
