//! `esci bench dense`: exact and int8 scan latency on synthetic unit vectors, with
//! the recall the int8 pass gives up. One function, so the CLI and tests share it.

use crate::search::{DEFAULT_RESCORE_FACTOR, INT4_RESCORE_FACTOR};
use crate::synthetic::synthetic_unit_vectors;
use crate::{DenseError, DenseIndex, DenseView, SearchMode};
use esci_core::Hit;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Instant;

/// Per-query latency of one configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
    /// Mean, milliseconds.
    pub mean_ms: f64,
}

/// What [`bench_scan`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanBenchReport {
    /// Where the vectors came from, e.g. `synthetic unit vectors`.
    pub source: String,
    /// Documents.
    pub n: usize,
    /// Dimension.
    pub d: usize,
    /// Queries timed.
    pub queries: usize,
    /// Hits per query.
    pub k: usize,
    /// Int8 candidates rescored in f32 ([`DEFAULT_RESCORE_FACTOR`] × k).
    pub rescore: usize,
    /// Rayon threads of the "all threads" runs.
    pub threads: usize,
    /// The SIMD level the scan kernels ran on ([`crate::active_isa`]).
    pub isa: String,
    /// Size of the f32 matrix, MiB.
    pub f32_mib: f64,
    /// Size of the int8 codes and scales, MiB.
    pub int8_mib: f64,
    /// Time to generate and normalise the synthetic vectors, ms.
    pub generate_ms: f64,
    /// Time to quantise the matrix to int8, ms.
    pub quantise_ms: f64,
    /// Exact f32 scan, one query at a time on one thread.
    pub exact_one_thread: Latency,
    /// Exact f32 scan, one query at a time over all threads.
    pub exact_all_threads: Latency,
    /// Exact f32, all queries as one `search_batch` (matrix read once per batch).
    pub exact_batch_qps: f64,
    /// Int8 scan and f32 rescore, one thread.
    pub int8_one_thread: Latency,
    /// Int8 scan and f32 rescore, all threads.
    pub int8_all_threads: Latency,
    /// Int8 with its own top-k only (rescore = k): recall@k against exact.
    pub int8_recall_without_rescore: f64,
    /// Int8 with `rescore` candidates rescored: recall@k against exact.
    pub int8_recall: f64,
    /// Int4 candidates rescored in f32 ([`INT4_RESCORE_FACTOR`] × k).
    pub int4_rescore: usize,
    /// Size of the int4 codes and scales, MiB.
    pub int4_mib: f64,
    /// Time to quantise the matrix to int4, ms.
    pub int4_quantise_ms: f64,
    /// Int4 scan and f32 rescore, one thread.
    pub int4_one_thread: Latency,
    /// Int4 scan and f32 rescore, all threads.
    pub int4_all_threads: Latency,
    /// Int4 with its own top-k only: recall@k against exact.
    pub int4_recall_without_rescore: f64,
    /// Int4 with `int4_rescore` candidates rescored: recall@k against exact.
    pub int4_recall: f64,
}

/// Times exact and int8 top-`k` over `n` random unit vectors of dimension `d`
/// (seeded), with `queries` random unit queries.
pub fn bench_scan(
    n: usize,
    d: usize,
    queries: usize,
    k: usize,
    seed: u64,
) -> Result<ScanBenchReport, DenseError> {
    let fits = |rows: usize| rows.checked_mul(d).and_then(|f| f.checked_mul(4)).is_some();
    if !fits(n) || !fits(queries) || n > u32::MAX as usize {
        return Err(DenseError::InvalidVectors(format!(
            "{n} × {d} (and {queries} queries) is too large to generate"
        )));
    }
    let started = Instant::now();
    let vectors = synthetic_unit_vectors(n, d, seed);
    let index = DenseIndex::new(vectors, d, "synthetic")?;
    let view = index.view(d)?;
    drop(index);
    let query_vectors: Vec<Vec<f32>> = synthetic_unit_vectors(queries, d, !seed)
        .chunks(d)
        .map(<[f32]>::to_vec)
        .collect();
    let generate_ms = ms(started);
    let mut report = bench_view(&view, &query_vectors, k)?;
    report.generate_ms = generate_ms;
    Ok(report)
}

/// Times exact and int8 top-`k` on `view` (any vectors, e.g. a real product index
/// at a Matryoshka prefix) for `query_vectors`; `generate_ms` is left 0.
pub fn bench_view(
    view: &DenseView,
    query_vectors: &[Vec<f32>],
    k: usize,
) -> Result<ScanBenchReport, DenseError> {
    let (n, d, queries) = (view.len(), view.dim(), query_vectors.len());
    let started = Instant::now();
    view.prepare_int8();
    let quantise_ms = ms(started);
    let rescore = DEFAULT_RESCORE_FACTOR.saturating_mul(k);
    let int8 = SearchMode::Int8 { rescore };
    // One task covering every row runs on a single thread.
    let single = view.clone().with_chunk_rows(usize::MAX);

    let (exact_one_thread, exact) = time_each(&single, query_vectors, k, SearchMode::Exact)?;
    let (exact_all_threads, _) = time_each(view, query_vectors, k, SearchMode::Exact)?;
    let started = Instant::now();
    view.search_batch(query_vectors, k)?;
    let exact_batch_qps = queries as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let (int8_one_thread, _) = time_each(&single, query_vectors, k, int8)?;
    let (int8_all_threads, approx) = time_each(view, query_vectors, k, int8)?;
    let bare = view.search_batch_with(query_vectors, k, SearchMode::Int8 { rescore: k })?;
    let started = Instant::now();
    view.prepare_int4();
    let int4_quantise_ms = ms(started);
    let int4 = SearchMode::int4(k);
    let (int4_one_thread, _) = time_each(&single, query_vectors, k, int4)?;
    let (int4_all_threads, approx4) = time_each(view, query_vectors, k, int4)?;
    let bare4 = view.search_batch_with(query_vectors, k, SearchMode::Int4 { rescore: k })?;

    Ok(ScanBenchReport {
        source: "synthetic unit vectors".into(),
        n,
        d,
        queries,
        k,
        rescore,
        threads: rayon::current_num_threads(),
        isa: crate::active_isa().name().to_owned(),
        f32_mib: (view.as_matrix().len() * 4) as f64 / (1 << 20) as f64,
        int8_mib: view.int8().bytes() as f64 / (1 << 20) as f64,
        generate_ms: 0.0,
        quantise_ms,
        exact_one_thread,
        exact_all_threads,
        exact_batch_qps,
        int8_one_thread,
        int8_all_threads,
        int8_recall_without_rescore: mean_recall(&exact, &bare),
        int8_recall: mean_recall(&exact, &approx),
        int4_rescore: INT4_RESCORE_FACTOR.saturating_mul(k),
        int4_mib: view.int4().bytes() as f64 / (1 << 20) as f64,
        int4_quantise_ms,
        int4_one_thread,
        int4_all_threads,
        int4_recall_without_rescore: mean_recall(&exact, &bare4),
        int4_recall: mean_recall(&exact, &approx4),
    })
}

impl ScanBenchReport {
    /// The report as a markdown table for BENCHMARKS.md.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "{} × {} {} (f32 {:.0} MiB, int8 {:.0} MiB quantised in {:.0} ms, int4 {:.0} MiB \
             in {:.0} ms), {} queries, top-{}, {} kernels; without rescoring, int8 alone \
             recall@{} {:.3}, int4 alone {:.3}.\n\n",
            self.n,
            self.d,
            self.source,
            self.f32_mib,
            self.int8_mib,
            self.quantise_ms,
            self.int4_mib,
            self.int4_quantise_ms,
            self.queries,
            self.k,
            self.isa,
            self.k,
            self.int8_recall_without_rescore,
            self.int4_recall_without_rescore,
        );
        out.push_str(&format!(
            "| scan | threads | p50 ms | p95 ms | mean ms | QPS | recall@{} |\n|---|---:|---:|---:|---:|---:|---:|\n",
            self.k
        ));
        let int8 = format!("int8 + f32 rescore of {}", self.rescore);
        let int4 = format!("int4 + f32 rescore of {}", self.int4_rescore);
        let rows = [
            ("exact f32", 1, self.exact_one_thread, 1.0),
            ("exact f32", self.threads, self.exact_all_threads, 1.0),
            (&int8[..], 1, self.int8_one_thread, self.int8_recall),
            (
                &int8[..],
                self.threads,
                self.int8_all_threads,
                self.int8_recall,
            ),
            (&int4[..], 1, self.int4_one_thread, self.int4_recall),
            (
                &int4[..],
                self.threads,
                self.int4_all_threads,
                self.int4_recall,
            ),
        ];
        for (name, threads, l, recall) in rows {
            out.push_str(&format!(
                "| {name} | {threads} | {:.2} | {:.2} | {:.2} | {:.0} | {recall:.3} |\n",
                l.p50_ms,
                l.p95_ms,
                l.mean_ms,
                1000.0 / l.mean_ms.max(1e-9),
            ));
        }
        out.push_str(&format!(
            "| exact f32, one batch of {} | {} | – | – | – | {:.0} | 1.000 |\n",
            self.queries, self.threads, self.exact_batch_qps
        ));
        out
    }
}

/// Runs each query alone (after one warm-up) and returns latencies and results.
fn time_each(
    view: &DenseView,
    queries: &[Vec<f32>],
    k: usize,
    mode: SearchMode,
) -> Result<(Latency, Vec<Vec<Hit>>), DenseError> {
    if let Some(q) = queries.first() {
        view.search_with(q, k, mode)?;
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut results = Vec::with_capacity(queries.len());
    for q in queries {
        let started = Instant::now();
        results.push(view.search_with(q, k, mode)?);
        times.push(ms(started));
    }
    Ok((summarise(&mut times), results))
}

fn summarise(times: &mut [f64]) -> Latency {
    if times.is_empty() {
        return Latency::default();
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    Latency {
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        mean_ms: times.iter().sum::<f64>() / times.len() as f64,
    }
}

/// Mean over queries of |found ∩ exact| / |exact| (1 when exact is empty).
pub(crate) fn mean_recall(exact: &[Vec<Hit>], found: &[Vec<Hit>]) -> f64 {
    if exact.is_empty() {
        return 1.0;
    }
    let total: f64 = exact
        .iter()
        .zip(found)
        .map(|(e, f)| {
            if e.is_empty() {
                return 1.0;
            }
            let got: HashSet<u32> = f.iter().map(|h| h.doc).collect();
            e.iter().filter(|h| got.contains(&h.doc)).count() as f64 / e.len() as f64
        })
        .sum();
    total / exact.len() as f64
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_bench_runs_and_renders() {
        let report = bench_scan(2_000, 32, 5, 10, 7).unwrap();
        assert_eq!(
            (report.n, report.d, report.k, report.rescore),
            (2_000, 32, 10, 20)
        );
        assert!(report.int8_recall >= report.int8_recall_without_rescore - 1e-9);
        assert!(report.int4_recall >= report.int4_recall_without_rescore - 1e-9);
        assert!(report.int4_recall > 0.8, "{}", report.int4_recall);
        assert!(report.int8_recall > 0.8, "{}", report.int8_recall);
        let md = report.markdown();
        assert!(md.contains("| exact f32 | 1 |"), "{md}");
        assert!(bench_scan(10, 0, 1, 1, 0).is_err());
        assert!(bench_scan(usize::MAX / 2, 64, 1, 1, 0).is_err());
        let empty = bench_scan(0, 8, 0, 5, 1).unwrap();
        assert_eq!(empty.int8_recall, 1.0);
    }
}
