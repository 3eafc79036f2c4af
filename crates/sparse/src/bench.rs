//! The benchmark: build time, pruned against exhaustive top-k latency and all-core
//! throughput on synthetic SPLADE-like data (`synth.rs`).

use crate::quantize::normalize;
use crate::synth::Synth;
use crate::{DocPruning, SparseError, SparseIndex, SparseIndexBuilder};
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to run besides the corpus size and seed.
#[derive(Debug, Clone)]
pub struct SparseBenchOptions {
    /// Vocabulary size (30,522 for BERT).
    pub vocab_size: u32,
    /// Distinct queries in the workload.
    pub queries: usize,
    /// Results per query.
    pub k: usize,
    /// Minimum seconds of each timing pass.
    pub min_seconds: f64,
    /// Documents per synthetic topic (relevance structure); 0: no topics, the worst
    /// case for pruning.
    pub docs_per_topic: usize,
    /// Document pruning to build with.
    pub pruning: DocPruning,
    /// Directory for the save/load timing; `None` skips it.
    pub scratch_dir: Option<PathBuf>,
}

impl Default for SparseBenchOptions {
    fn default() -> SparseBenchOptions {
        SparseBenchOptions {
            vocab_size: 30522,
            queries: 500,
            k: 200,
            min_seconds: 2.0,
            docs_per_topic: 250,
            pruning: DocPruning::default(),
            scratch_dir: None,
        }
    }
}

/// BenchLatency percentiles of one timing pass, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BenchLatency {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Timed query runs.
    pub runs: usize,
}

/// The measured figures.
#[derive(Debug, Clone, Serialize)]
pub struct SparseBenchReport {
    /// Documents indexed.
    pub docs: usize,
    /// Seed of the synthetic data.
    pub seed: u64,
    /// Threads available (build, throughput pass).
    pub threads: usize,
    /// Topics of the synthetic data (0: none).
    pub topics: usize,
    /// Document pruning used.
    pub pruning: DocPruning,
    /// Seconds to generate the vectors.
    pub generate_seconds: f64,
    /// Seconds to build the index in memory.
    pub build_seconds: f64,
    /// Seconds to write and to load the index, and the file's size in MiB, if measured.
    pub save_load_mib: Option<(f64, f64, f64)>,
    /// Postings in the index.
    pub postings: usize,
    /// Index size in memory, MiB.
    pub index_mib: f64,
    /// Queries in the workload.
    pub queries: usize,
    /// Mean distinct terms per query.
    pub mean_query_terms: f64,
    /// Mean postings a query touches exhaustively (sum of its lists' lengths).
    pub mean_query_postings: f64,
    /// Results per query.
    pub k: usize,
    /// Single-threaded latency of `search`.
    pub pruned: BenchLatency,
    /// Single-threaded latency, exhaustive.
    pub exhaustive: BenchLatency,
    /// `search` queries per second on all threads.
    pub pruned_qps_all_cores: f64,
    /// Whether `search` returned exactly the exhaustive hits on every query.
    pub identical_results: bool,
    /// Largest |hit score − float dot product| over every returned hit.
    pub max_score_error: f64,
    /// Largest documented error bound over the queries.
    pub max_error_bound: f64,
    /// Whether every hit's error was within its query's bound.
    pub errors_within_bound: bool,
}

/// `n_docs` SPLADE-like documents (Zipf-distributed terms, topic structure with
/// `docs_per_topic` documents per topic; 0 = none) from `seed`: a stand-in for an
/// encoded catalog where encoding one is too slow, e.g. the 480k hybrid benchmark.
pub fn synthetic_documents(
    n_docs: usize,
    vocab_size: u32,
    docs_per_topic: usize,
    seed: u64,
) -> Vec<Vec<(u32, f32)>> {
    let topics = n_docs.checked_div(docs_per_topic).map_or(0, |t| t.max(1));
    let synth = Synth::new(vocab_size, seed, topics);
    (0..n_docs)
        .into_par_iter()
        .map(|i| synth.document(i))
        .collect()
}

/// Generates `n_docs` SPLADE-like documents and `options.queries` queries from `seed`,
/// builds the index and times it (see [`SparseBenchReport`]).
pub fn bench_sparse(
    n_docs: usize,
    seed: u64,
    options: &SparseBenchOptions,
) -> Result<SparseBenchReport, SparseError> {
    let started = Instant::now();
    let topics = n_docs
        .checked_div(options.docs_per_topic)
        .map_or(0, |t| t.max(1));
    let synth = Synth::new(options.vocab_size, seed, topics);
    let docs: Vec<Vec<(u32, f32)>> = (0..n_docs)
        .into_par_iter()
        .map(|i| synth.document(i))
        .collect();
    let queries: Vec<Vec<(u32, f32)>> = (0..options.queries.max(1))
        .map(|i| synth.query(&docs, i))
        .collect();
    let generate_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut index = SparseIndexBuilder::new(options.vocab_size, options.pruning)?.build(&docs)?;
    let build_seconds = started.elapsed().as_secs_f64();
    let save_load_mib = match &options.scratch_dir {
        Some(dir) => {
            let path = dir.join("splade-bench.idx");
            let started = Instant::now();
            index.save(&path, "synthetic")?;
            let save = started.elapsed().as_secs_f64();
            drop(index);
            let started = Instant::now();
            index = SparseIndex::load(&path)?.0;
            let load = started.elapsed().as_secs_f64();
            let mib = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1048576.0);
            let _ = std::fs::remove_file(&path);
            Some((save, load, mib))
        }
        None => None,
    };
    let stats = index.stats();

    let k = options.k;
    let mut identical_results = true;
    let (mut max_score_error, mut max_error_bound) = (0.0f64, 0.0f64);
    let mut errors_within_bound = true;
    let (mut terms, mut touched) = (0usize, 0usize);
    for q in &queries {
        let fast = index.search(q, k)?;
        let slow = index.search_exhaustive(q, k)?;
        identical_results &= fast == slow;
        let bound = index.score_error_bound(q)?;
        max_error_bound = max_error_bound.max(bound);
        for hit in &fast {
            // The bound holds for the document as indexed, i.e. after pruning.
            let mut doc = normalize(&docs[hit.doc as usize], options.vocab_size)?;
            options.pruning.apply(&mut doc);
            let exact = dot(q, &doc);
            let error = (f64::from(hit.score) - exact).abs();
            max_score_error = max_score_error.max(error);
            errors_within_bound &= error <= bound + exact.abs() * 1e-7;
        }
        let mut ids: Vec<u32> = q.iter().map(|&(t, _)| t).collect();
        ids.sort_unstable();
        ids.dedup();
        terms += ids.len();
        touched += ids.iter().map(|&t| index.doc_freq(t)).sum::<usize>();
    }
    drop(docs);

    let [pruned, exhaustive] = time_interleaved(
        &queries,
        options.min_seconds,
        [&|q| index.search(q, k).map_or(0, |h| h.len()), &|q| {
            index.search_exhaustive(q, k).map_or(0, |h| h.len())
        }],
    );
    let mut done = 0usize;
    let started = Instant::now();
    while done == 0 || started.elapsed().as_secs_f64() < options.min_seconds {
        queries.par_iter().for_each(|q| {
            std::hint::black_box(index.search(q, k).ok());
        });
        done += queries.len();
    }
    let pruned_qps_all_cores = done as f64 / started.elapsed().as_secs_f64();

    Ok(SparseBenchReport {
        docs: n_docs,
        seed,
        threads: rayon::current_num_threads(),
        topics,
        pruning: options.pruning,
        generate_seconds,
        build_seconds,
        save_load_mib,
        postings: stats.postings,
        index_mib: stats.bytes as f64 / 1048576.0,
        queries: queries.len(),
        mean_query_terms: terms as f64 / queries.len() as f64,
        mean_query_postings: touched as f64 / queries.len() as f64,
        k,
        pruned,
        exhaustive,
        pruned_qps_all_cores,
        identical_results,
        max_score_error,
        max_error_bound,
        errors_within_bound,
    })
}

/// The float dot product of a query and a normalised document.
fn dot(query: &[(u32, f32)], doc: &[(u32, f64)]) -> f64 {
    query
        .iter()
        .map(|&(t, qw)| {
            doc.binary_search_by_key(&t, |&(dt, _)| dt)
                .map_or(0.0, |i| f64::from(qw) * doc[i].1)
        })
        .sum()
}

/// A search path under test, returning its hit count.
type Path<'a> = &'a dyn Fn(&[(u32, f32)]) -> usize;

/// BenchLatency of each path on each query, running the paths back to back per query (so
/// drifting machine load hits them alike) in rotating order, repeating until
/// `min_seconds` × the number of paths have passed.
fn time_interleaved<const N: usize>(
    queries: &[Vec<(u32, f32)>],
    min_seconds: f64,
    paths: [Path<'_>; N],
) -> [BenchLatency; N] {
    let mut durations: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::new());
    let started = Instant::now();
    let mut round = 0;
    while durations[0].is_empty() || started.elapsed().as_secs_f64() < min_seconds * N as f64 {
        for (i, q) in queries.iter().enumerate() {
            // Rotate who goes first: the first run of a query pays its cache misses.
            for p in (0..N).map(|p| (p + i + round) % N) {
                let t = Instant::now();
                std::hint::black_box(paths[p](q));
                durations[p].push(t.elapsed());
            }
        }
        round += 1;
    }
    durations.map(|mut d| latency(&mut d))
}

fn latency(durations: &mut [Duration]) -> BenchLatency {
    durations.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |p: f64| ms(durations[((durations.len() - 1) as f64 * p).round() as usize]);
    BenchLatency {
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        mean_ms: durations.iter().map(|&d| ms(d)).sum::<f64>() / durations.len() as f64,
        runs: durations.len(),
    }
}

impl SparseBenchReport {
    /// The figures as a Markdown table.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "SPLADE index benchmark: {} synthetic docs (seed {}, {} topics), {} queries ({:.1} terms, {:.0} postings each on average), top-{}, {} threads, {}\n\n",
            self.docs,
            self.seed,
            self.topics,
            self.queries,
            self.mean_query_terms,
            self.mean_query_postings,
            self.k,
            self.threads,
            if self.pruning == DocPruning::default() {
                "no document pruning".to_string()
            } else {
                format!(
                    "documents pruned to {} terms of weight ≥ {}",
                    self.pruning
                        .top_terms
                        .map_or("all".into(), |n| format!("the top {n}")),
                    self.pruning.min_weight
                )
            }
        );
        out.push_str("| step | figure |\n|---|---|\n");
        let lat = |l: &BenchLatency| {
            format!(
                "{:.2} / {:.2} ms (mean {:.2}, {} runs)",
                l.p50_ms, l.p99_ms, l.mean_ms, l.runs
            )
        };
        let mut rows = vec![
            (
                "generate vectors",
                format!("{:.2} s", self.generate_seconds),
            ),
            (
                "build index (all threads)",
                format!("{:.2} s", self.build_seconds),
            ),
            (
                "postings / in memory",
                format!("{} / {:.0} MiB", self.postings, self.index_mib),
            ),
        ];
        if let Some((save, load, mib)) = self.save_load_mib {
            rows.push((
                "write / load / file",
                format!("{save:.2} s / {load:.2} s / {mib:.0} MiB"),
            ));
        }
        rows.extend([
            (
                "search (MaxScore) latency, 1 thread (p50 / p99)",
                lat(&self.pruned),
            ),
            (
                "exhaustive latency, 1 thread (p50 / p99)",
                lat(&self.exhaustive),
            ),
            (
                "search QPS, all threads",
                format!("{:.0}", self.pruned_qps_all_cores),
            ),
            (
                "search = exhaustive on every query",
                self.identical_results.to_string(),
            ),
            (
                "max score error (bound; all within)",
                format!(
                    "{:.2e} ({:.2e}; {})",
                    self.max_score_error, self.max_error_bound, self.errors_within_bound
                ),
            ),
        ]);
        for (step, figure) in rows {
            out.push_str(&format!("| {step} | {figure} |\n"));
        }
        out
    }
}
