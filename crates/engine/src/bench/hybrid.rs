//! `esci bench hybrid`: the full first stage at catalog scale — dense@d + BM25 +
//! SPLADE + fusion, query encoding included — with build times, the memory of the
//! loaded index set, single-query latency per stage and all-core throughput.
//!
//! Encoding 480k products takes hours on 2 cores, so the neural *document* sides are
//! stand-ins with the real shapes: unit vectors at the dense model's full dimension,
//! and SPLADE-like sparse documents (Zipf terms, topic structure) over the SPLADE
//! vocabulary. The BM25 index is real (built from the given catalog), and queries are
//! real texts encoded by the real models. Rankings are therefore meaningless for
//! quality; costs (scan, traversal, fusion, encoding) are those of the real system.

use crate::encoder_runtime::{load_dense_encoder, load_splade_encoder};
use crate::neural::{DenseRetriever, SpladeRetriever};
use crate::{Config, EngineError, Hybrid, progress};
use esci_core::Retriever;
use esci_dense::{DenseIndex, synthetic_unit_vectors};
use esci_eval::LatencyStats;
use esci_ingest::Catalog;
use esci_lexical::{Bm25Index, IndexBuilder};
use esci_sparse::{DocPruning, SparseIndex, SparseIndexBuilder, synthetic_documents};
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct HybridBenchOptions {
    /// Products file (e.g. a generated 480k synthetic catalog).
    pub products: PathBuf,
    /// Judgments file whose distinct query texts are the workload.
    pub queries_from: PathBuf,
    /// Matryoshka prefix of the dense retriever.
    pub dim: usize,
    /// Results per query.
    pub k: usize,
    /// Minimum seconds of each timing pass.
    pub min_seconds: f64,
    /// Seed of the synthetic document vectors.
    pub seed: u64,
    /// Directory for the index files (written, reloaded, then removed).
    pub scratch_dir: PathBuf,
}

/// Seconds and size of one index.
#[derive(Debug, Clone, Serialize)]
pub struct IndexFigures {
    /// Seconds to build it in memory (all cores).
    pub build_seconds: f64,
    /// Seconds to load it from its file.
    pub load_seconds: f64,
    /// File size in MiB.
    pub file_mib: f64,
}

/// The measured figures.
#[derive(Debug, Clone, Serialize)]
pub struct HybridBenchReport {
    /// Products in every index.
    pub products: usize,
    /// Threads of the all-core pass.
    pub threads: usize,
    /// Distinct queries in the workload.
    pub queries: usize,
    /// Dense prefix.
    pub dim: usize,
    /// Dense scan (`exact` or `int8`).
    pub dense_scan: String,
    /// Encoder runtime of the query encoders.
    pub runtime: String,
    /// Results per query.
    pub k: usize,
    /// BM25 (real text).
    pub bm25: IndexFigures,
    /// Dense (synthetic vectors at full dimension).
    pub dense: IndexFigures,
    /// SPLADE (synthetic documents).
    pub splade: IndexFigures,
    /// Resident memory after loading the three indexes and the two query encoders,
    /// in MiB (an upper bound: the allocator may keep freed build memory).
    pub rss_loaded_mib: Option<f64>,
    /// Peak resident memory of the whole run in MiB.
    pub peak_rss_mib: Option<f64>,
    /// Single-query latency of each stage alone and of the fused whole, 1 thread.
    pub stages: Vec<(String, LatencyStats)>,
    /// Fused queries per second with every core busy.
    pub hybrid_qps_all_cores: f64,
}

/// One timed stage: runs a query, returns the result size (kept from the optimiser).
type StageRun<'a> = dyn Fn(&str) -> Result<usize, EngineError> + 'a;

/// Runs the benchmark with the models and fusion settings of `config`.
pub fn run_hybrid_bench(
    config: &Config,
    options: &HybridBenchOptions,
) -> Result<HybridBenchReport, EngineError> {
    let queries = super::distinct_queries(&options.queries_from, config.data.locale_filter())?;
    std::fs::create_dir_all(&options.scratch_dir).map_err(EngineError::io(&options.scratch_dir))?;
    let paths = [
        options.scratch_dir.join("bench-bm25.idx"),
        options.scratch_dir.join("bench-dense.idx"),
        options.scratch_dir.join("bench-splade.idx"),
    ];
    // The configured runtime ([neural] runtime: candle, onnx, onnx-int8).
    let dense_encoder =
        load_dense_encoder(config, &config.models.dense_dir(), config.neural.max_length)?;
    let splade_encoder = load_splade_encoder(
        config,
        &config.models.splade_dir(),
        config.neural.max_length,
        None,
    )?;

    // Build and write each index, dropping it before the next, so the loaded set is
    // measured without build-time copies.
    let catalog = Catalog::load(&options.products, None, config.data.locale_filter())?;
    let products = catalog.len();
    let started = Instant::now();
    let bar = progress::bar(products as u64, "bm25");
    let params = config.bm25.params().map_err(EngineError::Config)?;
    let builder = IndexBuilder::new(params, config.analyzer_config())?;
    builder
        .build(&catalog.products, &|n| bar.inc(n as u64))
        .save(&paths[0])?;
    bar.finish_and_clear();
    let bm25_build = started.elapsed().as_secs_f64();
    drop(catalog);

    let started = Instant::now();
    let full_dim = dense_encoder.dim();
    let vectors = synthetic_unit_vectors(products, full_dim, options.seed);
    DenseIndex::new(vectors, full_dim, "synthetic")?.save(&paths[1])?;
    let dense_build = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let vocab = splade_encoder.vocab_size() as u32;
    let docs = synthetic_documents(products, vocab, 250, options.seed);
    SparseIndexBuilder::new(vocab, DocPruning::default())?
        .build(&docs)?
        .save(&paths[2], "synthetic")?;
    drop(docs);
    let splade_build = started.elapsed().as_secs_f64();

    let (bm25, bm25_load) = timed(|| Bm25Index::load(&paths[0]))?;
    let (dense_index, dense_load) = timed(|| DenseIndex::load(&paths[1]))?;
    let dense = DenseRetriever::new(dense_encoder, &dense_index, options.dim)?
        .with_scan(config.neural.dense_scan);
    drop(dense_index);
    let ((sparse, _), splade_load) = timed(|| SparseIndex::load(&paths[2]))?;
    let splade = SpladeRetriever::new(splade_encoder, sparse);
    let rss_loaded_mib = super::current_rss_mib();
    let figures = |i: usize, build_seconds: f64, load_seconds: f64| IndexFigures {
        build_seconds,
        load_seconds,
        file_mib: std::fs::metadata(&paths[i]).map_or(0.0, |m| m.len() as f64 / 1048576.0),
    };
    let (bm25_fig, dense_fig, splade_fig) = (
        figures(0, bm25_build, bm25_load),
        figures(1, dense_build, dense_load),
        figures(2, splade_build, splade_load),
    );
    for path in &paths {
        let _ = std::fs::remove_file(path);
    }

    let fusion = &config.fusion;
    let hybrid = Hybrid::new(
        vec![
            (&dense as &dyn Retriever, fusion.weight("dense")),
            (&bm25, fusion.weight("bm25")),
            (&splade, fusion.weight("splade")),
        ],
        fusion.method,
        fusion.rrf(options.k),
    );
    let depth = fusion.depth;
    let mut stages = Vec::new();
    let stage_runs: [(&str, &StageRun<'_>); 6] = [
        ("dense query encoding", &|q| dense_encode(&dense, q)),
        ("splade query encoding", &|q| splade_encode(&splade, q)),
        ("dense (encode + scan)", &|q| {
            Ok(dense.search(q, depth)?.len())
        }),
        ("bm25", &|q| Ok(bm25.search(q, depth)?.len())),
        ("splade (encode + traverse)", &|q| {
            Ok(splade.search(q, depth)?.len())
        }),
        ("hybrid (all + fusion)", &|q| {
            Ok(hybrid.search(q, options.k)?.len())
        }),
    ];
    for (name, run) in stage_runs {
        stages.push((
            name.to_owned(),
            super::time_each(&queries, options.min_seconds, run)?,
        ));
    }
    let mut done = 0usize;
    let started = Instant::now();
    while done == 0 || started.elapsed().as_secs_f64() < options.min_seconds {
        queries
            .par_iter()
            .try_for_each(|q| hybrid.search(q, options.k).map(drop))?;
        done += queries.len();
    }
    Ok(HybridBenchReport {
        products,
        threads: rayon::current_num_threads(),
        queries: queries.len(),
        dim: options.dim,
        dense_scan: format!("{:?}", config.neural.dense_scan).to_lowercase(),
        runtime: config.neural.runtime.name().to_owned(),
        k: options.k,
        bm25: bm25_fig,
        dense: dense_fig,
        splade: splade_fig,
        rss_loaded_mib,
        peak_rss_mib: super::peak_rss_mib(),
        stages,
        hybrid_qps_all_cores: done as f64 / started.elapsed().as_secs_f64(),
    })
}

fn dense_encode(dense: &DenseRetriever, query: &str) -> Result<usize, EngineError> {
    Ok(dense.encode_query(query)?.len())
}

fn splade_encode(splade: &SpladeRetriever, query: &str) -> Result<usize, EngineError> {
    Ok(splade.encode_query(query)?.len())
}

fn timed<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<(T, f64), EngineError>
where
    EngineError: From<E>,
{
    let started = Instant::now();
    let value = f()?;
    Ok((value, started.elapsed().as_secs_f64()))
}

impl HybridBenchReport {
    /// The figures as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Hybrid benchmark: {} products, {} distinct queries, dense@{} ({} scan) + BM25 + SPLADE, \
             encoders on {}, top-{}, {} threads\n\n",
            self.products,
            self.queries,
            self.dim,
            self.dense_scan,
            self.runtime,
            self.k,
            self.threads
        );
        out.push_str("| index | build s | load s | file MiB |\n|---|---:|---:|---:|\n");
        for (name, f) in [
            ("BM25 (real text)", &self.bm25),
            ("dense (synthetic vectors)", &self.dense),
            ("SPLADE (synthetic docs)", &self.splade),
        ] {
            out.push_str(&format!(
                "| {name} | {:.1} | {:.2} | {:.0} |\n",
                f.build_seconds, f.load_seconds, f.file_mib
            ));
        }
        let mib = |m: Option<f64>| m.map_or("n/a".to_owned(), |m| format!("{m:.0} MiB"));
        out.push_str(&format!(
            "\nRSS with the index set and encoders loaded: {}; peak RSS of the run: {}\n\n",
            mib(self.rss_loaded_mib),
            mib(self.peak_rss_mib)
        ));
        out.push_str("| stage, 1 thread | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|\n");
        for (name, l) in &self.stages {
            out.push_str(&format!(
                "| {name} | {:.2} | {:.2} | {:.2} |\n",
                l.p50_ms, l.p95_ms, l.p99_ms
            ));
        }
        out.push_str(&format!(
            "\nHybrid QPS, {} threads: {:.1}\n",
            self.threads, self.hybrid_qps_all_cores
        ));
        out
    }
}
