//! Benchmarks that print figures (never timed tests): a synthetic-catalog generator
//! for scale, the BM25 build/query benchmark, and the encoder benchmark.

mod dense_real;
mod encoder_dump;
mod encoders;
mod gen_catalog;
mod hybrid;
mod lexical;
mod splade_vocab;

pub use dense_real::run_real_dense_bench;
pub use encoders::{
    EncoderBenchOptions, EncoderBenchReport, QualityVsFp32, RuntimeFigures, run_encoder_bench,
};
pub use esci_dense::{ScanBenchReport, bench_scan};
pub use esci_sparse::{SparseBenchOptions, SparseBenchReport, bench_sparse};
pub use gen_catalog::{GenOptions, generate_catalog};
pub use hybrid::{HybridBenchOptions, HybridBenchReport, IndexFigures, run_hybrid_bench};
pub use lexical::{Bm25BenchOptions, Bm25BenchReport, run_bm25_bench};
pub use splade_vocab::{SpladeVocabBenchReport, run_splade_vocab_bench};

/// The distinct query texts of a judgments file: the workload of the benchmarks.
pub(crate) fn distinct_queries(
    path: &std::path::Path,
    locale: Option<&str>,
) -> Result<Vec<String>, crate::EngineError> {
    let mut report = esci_ingest::IngestReport::default();
    let mut queries: Vec<String> = esci_ingest::read_judgments(path, locale, &mut report)?
        .into_iter()
        .map(|j| j.query)
        .collect();
    queries.sort();
    queries.dedup();
    if queries.is_empty() {
        return Err(crate::EngineError::Input(format!(
            "{} holds no queries",
            path.display()
        )));
    }
    Ok(queries)
}

/// Peak resident memory of this process so far, in MiB (Linux `VmHWM`; `None` elsewhere).
pub fn peak_rss_mib() -> Option<f64> {
    proc_status_mib("VmHWM:")
}

/// Resident memory of this process now, in MiB (Linux `VmRSS`; `None` elsewhere).
pub fn current_rss_mib() -> Option<f64> {
    proc_status_mib("VmRSS:")
}

/// A kB line of `/proc/self/status`, in MiB.
fn proc_status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Latency of `run` on each query, one at a time, repeating the set until
/// `min_seconds` have passed; the first error stops the timing.
pub(crate) fn time_each(
    queries: &[String],
    min_seconds: f64,
    run: &dyn Fn(&str) -> Result<usize, crate::EngineError>,
) -> Result<esci_eval::LatencyStats, crate::EngineError> {
    let mut durations: Vec<std::time::Duration> = Vec::new();
    let started = std::time::Instant::now();
    while durations.is_empty() || started.elapsed().as_secs_f64() < min_seconds {
        for q in queries {
            let t = std::time::Instant::now();
            std::hint::black_box(run(q)?);
            durations.push(t.elapsed());
        }
    }
    Ok(esci_eval::LatencyStats::from_durations(&durations))
}

/// Writes products as an official-schema parquet file, creating its directory.
pub fn write_catalog(
    path: &std::path::Path,
    products: &[esci_core::Product],
) -> Result<(), crate::EngineError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(crate::EngineError::io(dir))?;
    }
    Ok(esci_ingest::write_products_parquet(path, products)?)
}
