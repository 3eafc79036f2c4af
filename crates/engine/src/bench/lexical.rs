//! `esci bench bm25`: index build time, size, load time and query latency of the BM25
//! retriever on any catalog, pruned (MaxScore) against exhaustive scoring.

use crate::{EngineError, progress};
use esci_eval::LatencyStats;
use esci_ingest::Catalog;
use esci_lexical::{Bm25Index, Bm25Params, IndexBuilder};
use esci_text::AnalyzerConfig;
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct Bm25BenchOptions {
    /// Products file (e.g. a generated synthetic catalog).
    pub products: PathBuf,
    /// Judgments file whose distinct query texts (every split) are the workload.
    pub queries_from: PathBuf,
    /// Locale filter.
    pub locale: Option<String>,
    /// Results per query.
    pub k: usize,
    /// Minimum seconds of each timing pass.
    pub min_seconds: f64,
    /// Scoring parameters.
    pub params: Bm25Params,
    /// Analyzer options.
    pub analyzer: AnalyzerConfig,
    /// Where to write the index for the save/load timing (a temporary file).
    pub scratch_index: PathBuf,
}

/// The measured figures.
#[derive(Debug, Clone, Serialize)]
pub struct Bm25BenchReport {
    /// Products indexed.
    pub products: usize,
    /// Threads available to the build.
    pub threads: usize,
    /// Seconds to read the catalog.
    pub ingest_seconds: f64,
    /// Seconds to build the index in memory.
    pub build_seconds: f64,
    /// Seconds to write it.
    pub save_seconds: f64,
    /// Seconds to load it back.
    pub load_seconds: f64,
    /// Index file size in MiB.
    pub file_mib: f64,
    /// Distinct terms.
    pub terms: usize,
    /// Postings.
    pub postings: usize,
    /// Peak resident memory of the process in MiB (after build and load).
    pub peak_rss_mib: Option<f64>,
    /// Distinct queries in the workload.
    pub queries: usize,
    /// Results per query.
    pub k: usize,
    /// Single-threaded latency with MaxScore.
    pub maxscore: LatencyStats,
    /// Single-threaded latency with exhaustive scoring.
    pub exhaustive: LatencyStats,
    /// MaxScore queries per second using every core.
    pub maxscore_qps_all_cores: f64,
    /// Whether MaxScore returned exactly the exhaustive results on every query.
    pub identical_results: bool,
}

/// Runs the benchmark.
pub fn run_bm25_bench(options: &Bm25BenchOptions) -> Result<Bm25BenchReport, EngineError> {
    let started = Instant::now();
    let catalog = Catalog::load(&options.products, None, options.locale.as_deref())?;
    let ingest_seconds = started.elapsed().as_secs_f64();
    let queries = super::distinct_queries(&options.queries_from, options.locale.as_deref())?;

    let builder = IndexBuilder::new(options.params.clone(), options.analyzer)?;
    let bar = progress::bar(catalog.len() as u64, "bm25");
    let started = Instant::now();
    let built = builder.build(&catalog.products, &|n| bar.inc(n as u64));
    let build_seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let stats = built.stats();
    let products = catalog.len();
    drop(catalog);

    let started = Instant::now();
    built.save(&options.scratch_index)?;
    let save_seconds = started.elapsed().as_secs_f64();
    drop(built);
    let started = Instant::now();
    let index = Bm25Index::load(&options.scratch_index)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let file_mib = std::fs::metadata(&options.scratch_index)
        .map(|m| m.len() as f64 / (1 << 20) as f64)
        .unwrap_or(0.0);
    let _ = std::fs::remove_file(&options.scratch_index);

    let identical_results = queries
        .par_iter()
        .all(|q| index.search_pruned(q, options.k) == index.search_exhaustive(q, options.k));
    let maxscore = super::time_each(&queries, options.min_seconds, &|q| {
        Ok(index.search_pruned(q, options.k).len())
    })?;
    let exhaustive = super::time_each(&queries, options.min_seconds, &|q| {
        Ok(index.search_exhaustive(q, options.k).len())
    })?;

    let mut done = 0usize;
    let started = Instant::now();
    while done == 0 || started.elapsed().as_secs_f64() < options.min_seconds {
        queries.par_iter().for_each(|q| {
            std::hint::black_box(index.search_pruned(q, options.k));
        });
        done += queries.len();
    }
    let maxscore_qps_all_cores = done as f64 / started.elapsed().as_secs_f64();

    Ok(Bm25BenchReport {
        products,
        threads: rayon::current_num_threads(),
        ingest_seconds,
        build_seconds,
        save_seconds,
        load_seconds,
        file_mib,
        terms: stats.terms,
        postings: stats.postings,
        peak_rss_mib: super::peak_rss_mib(),
        queries: queries.len(),
        k: options.k,
        maxscore,
        exhaustive,
        maxscore_qps_all_cores,
        identical_results,
    })
}

impl Bm25BenchReport {
    /// The figures as a Markdown table.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "BM25 benchmark: {} products, {} distinct queries, top-{}, {} threads\n\n",
            self.products, self.queries, self.k, self.threads
        ));
        out.push_str("| step | figure |\n|---|---|\n");
        let rows = [
            ("read catalog", format!("{:.2} s", self.ingest_seconds)),
            (
                "build index (all cores)",
                format!("{:.2} s", self.build_seconds),
            ),
            ("write index", format!("{:.2} s", self.save_seconds)),
            ("load index", format!("{:.2} s", self.load_seconds)),
            ("index file", format!("{:.1} MiB", self.file_mib)),
            (
                "terms / postings",
                format!("{} / {}", self.terms, self.postings),
            ),
            (
                "peak RSS",
                self.peak_rss_mib
                    .map_or("n/a".into(), |m| format!("{m:.0} MiB")),
            ),
            (
                "MaxScore latency, 1 thread (p50 / p95 / p99)",
                format!(
                    "{:.3} / {:.3} / {:.3} ms",
                    self.maxscore.p50_ms, self.maxscore.p95_ms, self.maxscore.p99_ms
                ),
            ),
            (
                "exhaustive latency, 1 thread (p50 / p95 / p99)",
                format!(
                    "{:.3} / {:.3} / {:.3} ms",
                    self.exhaustive.p50_ms, self.exhaustive.p95_ms, self.exhaustive.p99_ms
                ),
            ),
            (
                "MaxScore QPS, all cores",
                format!("{:.0}", self.maxscore_qps_all_cores),
            ),
            (
                "MaxScore = exhaustive on every query",
                if self.identical_results {
                    "yes".into()
                } else {
                    "NO".into()
                },
            ),
        ];
        for (step, figure) in rows {
            out.push_str(&format!("| {step} | {figure} |\n"));
        }
        out
    }
}
