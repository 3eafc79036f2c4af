//! `esci bench encoders`: documents per second and single-query latency of the dense
//! and SPLADE encoders, and the cost of scoring (query, title) pairs with the
//! cross-encoder (split into tokenising and running), all on the real catalog's text
//! and real queries, for one or more runtimes (candle f32, ONNX Runtime fp32 / int8)
//! in the same run. For int8 it also reports how far its outputs are from fp32's on
//! the same texts. With a dump folder it also writes its inputs, settings and outputs
//! for a reference runtime outside Rust ([`super::encoder_dump`]).

use super::encoder_dump::{BUCKETING, DUMP_FORMAT, Dump, EncoderSettings, InputsManifest, Outputs};
use crate::{Config, EncoderRuntime, EngineError, load_catalog};
use esci_core::Field;
use esci_core::rng::SplitMix64;
use esci_eval::LatencyStats;
use esci_ingest::TextBuilder;
use esci_models::{
    BertConfig, CrossEncoder, CrossOptions, DenseEncoder, DenseOptions, Pooling, SparseVector,
    SpladeEncoder, SpladeOptions, TextTokenizer,
};
use esci_onnx::{
    Head, MAX_SPLADE_BATCH, OnnxCrossEncoder, OnnxDenseEncoder, OnnxError, OnnxSpladeEncoder,
    Precision,
};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Cross-encoder calls timed, each over all the pairs.
const CROSS_CALLS: usize = 5;

/// Seed of the fixed cross-encoder head every runtime scores with.
const CROSS_HEAD_SEED: u64 = 3;

/// What to measure.
#[derive(Debug, Clone)]
pub struct EncoderBenchOptions {
    /// Documents to encode (the first N products of the catalog).
    pub docs: usize,
    /// Queries timed one at a time.
    pub queries: usize,
    /// (query, title) pairs per cross-encoder call.
    pub pairs: usize,
    /// Token limit of documents (queries are short anyway).
    pub max_length: usize,
    /// Texts per forward pass.
    pub batch_size: usize,
    /// Runtimes to measure, in order.
    pub runtimes: Vec<EncoderRuntime>,
    /// ONNX sessions per encoder (`None`: one per core).
    pub sessions: Option<usize>,
    /// Intra-op threads per ONNX session (`None`: 1).
    pub threads_per_session: Option<usize>,
    /// Where to write the inputs, settings and outputs for a reference runtime
    /// (`None`: nothing is written).
    pub dump_dir: Option<PathBuf>,
}

impl Default for EncoderBenchOptions {
    fn default() -> Self {
        EncoderBenchOptions {
            docs: 1000,
            queries: 200,
            pairs: 100,
            max_length: 64,
            batch_size: 32,
            runtimes: vec![EncoderRuntime::Candle],
            sessions: None,
            threads_per_session: None,
            dump_dir: None,
        }
    }
}

/// The figures of one runtime.
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeFigures {
    /// Which runtime.
    pub runtime: EncoderRuntime,
    /// Dense documents per second.
    pub dense_docs_per_s: f64,
    /// Dense single-query latency.
    pub dense_query: LatencyStats,
    /// SPLADE documents per second.
    pub splade_docs_per_s: f64,
    /// SPLADE single-query latency.
    pub splade_query: LatencyStats,
    /// Seconds per cross-encoder call over `pairs` pairs (each repeat).
    pub cross_call: LatencyStats,
    /// Mean milliseconds of a call spent tokenising.
    pub cross_tokenize_ms: f64,
    /// Mean milliseconds of a call spent padding, running the model and the head.
    pub cross_run_ms: f64,
    /// For int8: how close its outputs are to ONNX fp32 on the same texts.
    pub quality: Option<QualityVsFp32>,
}

/// Agreement of int8 outputs with fp32 outputs on the benchmark's texts.
#[derive(Debug, Clone, Serialize)]
pub struct QualityVsFp32 {
    /// Mean cosine of dense document vectors.
    pub dense_mean_cosine: f64,
    /// Minimum cosine of dense document vectors.
    pub dense_min_cosine: f64,
    /// Mean cosine of SPLADE document vectors (as sparse vectors).
    pub splade_mean_cosine: f64,
    /// Minimum cosine of SPLADE document vectors.
    pub splade_min_cosine: f64,
    /// Mean fraction of fp32's top-10 SPLADE terms among int8's top 10.
    pub splade_top10_overlap: f64,
}

/// The measured figures.
#[derive(Debug, Clone, Serialize)]
pub struct EncoderBenchReport {
    /// Threads available.
    pub threads: usize,
    /// Documents encoded.
    pub docs: usize,
    /// Mean document length in MiniLM tokens after truncation.
    pub mean_doc_tokens: f64,
    /// Token limit.
    pub max_length: usize,
    /// Pairs per cross-encoder call.
    pub pairs: usize,
    /// Mean pair length in tokens.
    pub mean_pair_tokens: f64,
    /// ONNX sessions × intra-op threads per encoder.
    pub onnx_sessions: String,
    /// One entry per runtime measured.
    pub runtimes: Vec<RuntimeFigures>,
}

/// The three encoders behind one interface, whatever runs them.
trait Encoders {
    fn dense_docs(&self, docs: &[&str]) -> Result<Vec<Vec<f32>>, EngineError>;
    fn dense_query(&self, q: &str) -> Result<(), EngineError>;
    fn splade(&self, texts: &[&str]) -> Result<Vec<SparseVector>, EngineError>;
    /// Scores the pairs; returns the scores and (tokenise, total) time.
    fn cross(&self, pairs: &[(&str, &str)]) -> Result<(Vec<f32>, Duration, Duration), EngineError>;
    /// The graph files run (dense, SPLADE, cross), if any.
    fn graphs(&self) -> Option<[PathBuf; 3]> {
        None
    }
}

struct Candle(DenseEncoder, SpladeEncoder, CrossEncoder);

impl Encoders for Candle {
    fn dense_docs(&self, docs: &[&str]) -> Result<Vec<Vec<f32>>, EngineError> {
        Ok(self.0.encode_documents(docs)?)
    }
    fn dense_query(&self, q: &str) -> Result<(), EngineError> {
        self.0.encode_queries(&[q])?;
        Ok(())
    }
    fn splade(&self, texts: &[&str]) -> Result<Vec<SparseVector>, EngineError> {
        Ok(self.1.encode(texts)?)
    }
    fn cross(&self, pairs: &[(&str, &str)]) -> Result<(Vec<f32>, Duration, Duration), EngineError> {
        // candle's score tokenises inside: time tokenising alone, then the whole call.
        let t = Instant::now();
        self.2.tokenizer().encode_pairs(pairs)?;
        let tokenize = t.elapsed();
        let t = Instant::now();
        let scores = self.2.score(pairs)?;
        Ok((scores, tokenize, t.elapsed()))
    }
}

struct Onnx(OnnxDenseEncoder, OnnxSpladeEncoder, OnnxCrossEncoder);

fn onnx_err(e: OnnxError) -> EngineError {
    EngineError::Input(format!("ONNX encoder: {e}"))
}

impl Encoders for Onnx {
    fn dense_docs(&self, docs: &[&str]) -> Result<Vec<Vec<f32>>, EngineError> {
        self.0.encode_documents(docs).map_err(onnx_err)
    }
    fn dense_query(&self, q: &str) -> Result<(), EngineError> {
        self.0.encode_queries(&[q]).map(drop).map_err(onnx_err)
    }
    fn splade(&self, texts: &[&str]) -> Result<Vec<SparseVector>, EngineError> {
        self.1.encode(texts).map_err(onnx_err)
    }
    fn cross(&self, pairs: &[(&str, &str)]) -> Result<(Vec<f32>, Duration, Duration), EngineError> {
        let (scores, timing) = self.2.score_timed(pairs).map_err(onnx_err)?;
        Ok((scores, timing.tokenize, timing.tokenize + timing.run))
    }
    /// SPLADE's is the whole model's graph: at int8 our encoder runs its decoder in
    /// Rust, and the reference runs all of it in its runtime.
    fn graphs(&self) -> Option<[PathBuf; 3]> {
        let splade = self
            .1
            .whole_graph()
            .map_err(|e| tracing::warn!("no whole SPLADE graph for the reference: {e}"))
            .ok()?;
        Some([
            self.0.graph().to_path_buf(),
            splade,
            self.2.graph().to_path_buf(),
        ])
    }
}

/// Runs the benchmark with the configured models and catalog.
pub fn run_encoder_bench(
    config: &Config,
    options: &EncoderBenchOptions,
) -> Result<EncoderBenchReport, EngineError> {
    let catalog = load_catalog(config, true)?;
    let builder = TextBuilder::new(vec![Field::Title, Field::Brand, Field::Bullets]);
    let texts: Vec<String> = catalog
        .products
        .iter()
        .take(options.docs)
        .map(|p| builder.build(p))
        .collect();
    let docs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut queries: Vec<&str> = catalog.judgments.iter().map(|j| j.query.as_str()).collect();
    queries.sort_unstable();
    queries.dedup();
    queries.truncate(options.queries);
    if docs.is_empty() || queries.is_empty() {
        return Err(EngineError::Input(
            "the benchmark needs products and judged queries".into(),
        ));
    }
    let pairs: Vec<(&str, &str)> = (0..options.pairs)
        .map(|i| {
            (
                queries[i % queries.len()],
                catalog.products[i % catalog.len()].title.as_str(),
            )
        })
        .collect();

    let dense_options = DenseOptions {
        max_length: options.max_length,
        batch_size: options.batch_size,
        ..DenseOptions::default()
    };
    let splade_options = SpladeOptions {
        max_length: options.max_length,
        batch_size: options.batch_size,
        ..SpladeOptions::default()
    };
    let cross_options = CrossOptions {
        max_length: 128,
        batch_size: options.batch_size,
    };
    let (dense_dir, splade_dir) = (config.models.dense_dir(), config.models.splade_dir());
    // The pretrained MiniLM with a fixed pseudo-random scoring head: the cost does not
    // depend on the head's values, and fixed values make every runtime's scores (and a
    // reference runtime's) comparable.
    let hidden = BertConfig::from_file(&dense_dir.join("config.json"))?.hidden_size;
    let (head_weights, head_bias) = cross_head(hidden);
    let onnx = |precision: Precision| {
        let mut o = crate::encoder_runtime::onnx_options(config, precision);
        if let Some(s) = options.sessions {
            o.sessions = s;
        }
        if let Some(t) = options.threads_per_session {
            o.threads_per_session = t;
        }
        o
    };
    let load_onnx = |precision: Precision| -> Result<Onnx, EngineError> {
        let o = onnx(precision);
        Ok(Onnx(
            OnnxDenseEncoder::load(&dense_dir, dense_options.clone(), &o).map_err(onnx_err)?,
            OnnxSpladeEncoder::load(&splade_dir, splade_options.clone(), &o).map_err(onnx_err)?,
            OnnxCrossEncoder::load(&dense_dir, cross_options.clone(), &o)
                .and_then(|c| c.with_head(head_weights.clone(), head_bias))
                .map_err(onnx_err)?,
        ))
    };

    let tokenizer = DenseEncoder::load(&dense_dir, dense_options.clone())?;
    let tokens: usize = docs
        .iter()
        .map(|d| tokenizer.tokenizer().encode(d).map_or(0, |e| e.len()))
        .sum();
    let pair_tokens: usize = pairs
        .iter()
        .map(|(q, d)| {
            tokenizer
                .tokenizer()
                .encode_pair(q, d)
                .map_or(0, |e| e.len().min(cross_options.max_length))
        })
        .sum();
    drop(tokenizer);

    let dump = match &options.dump_dir {
        None => None,
        Some(dir) => {
            let dump = Dump::create(dir)?;
            let o = onnx(Precision::Fp32);
            let manifest = InputsManifest {
                format: DUMP_FORMAT,
                docs_file: "docs.jsonl",
                queries_file: "queries.jsonl",
                pairs_file: "pairs.jsonl",
                docs: docs.len(),
                queries: queries.len(),
                pairs: pairs.len(),
                cross_calls: CROSS_CALLS,
                warmup: "before each timed pass, the first batch_size texts (pairs) once",
                threads: rayon::current_num_threads(),
                onnx_sessions: o.sessions,
                onnx_threads_per_session: o.threads_per_session,
                onnx_library: o.library,
                onnx_session: "graph optimisation level all, intra-op threads as above, \
                               intra-op spinning off",
                bucketing: BUCKETING,
                dense: encoder_settings(
                    &dense_dir,
                    options.max_length,
                    options.batch_size,
                    Head::Dense(Pooling::from_model_dir(&dense_dir)?),
                    "L2 normalisation (norm clamped at 1e-12)",
                )?,
                dense_pooling: match Pooling::from_model_dir(&dense_dir)? {
                    Pooling::Mean => "mean",
                    Pooling::Cls => "cls",
                },
                dense_query_prefix: dense_options.query_prefix.clone(),
                dense_document_prefix: dense_options.document_prefix.clone(),
                splade: encoder_settings(
                    &splade_dir,
                    options.max_length,
                    options.batch_size.min(MAX_SPLADE_BATCH),
                    Head::Splade,
                    "term weight log1p(a) of each activation a > 0 with log1p(a) > \
                     min_weight (top_k heaviest if set), ids ascending",
                )?,
                splade_top_k: splade_options.top_k,
                splade_min_weight: splade_options.min_weight,
                cross: encoder_settings(
                    &dense_dir,
                    cross_options.max_length,
                    cross_options.batch_size,
                    Head::Cross,
                    "score = pooled · cross_head_weights + cross_head_bias",
                )?,
                cross_head_weights: head_weights.clone(),
                cross_head_bias: head_bias,
            };
            dump.inputs(&docs, &queries, &pairs, &manifest)?;
            Some(dump)
        }
    };

    let mut figures = Vec::new();
    for &runtime in &options.runtimes {
        let (encoders, reference): (Box<dyn Encoders>, Option<Onnx>) = match runtime {
            EncoderRuntime::Candle => (
                Box::new(Candle(
                    DenseEncoder::load(&dense_dir, dense_options.clone())?,
                    SpladeEncoder::load(&splade_dir, splade_options.clone())?,
                    CrossEncoder::load(&dense_dir, cross_options.clone())?
                        .with_head(head_weights.clone(), head_bias)?,
                )),
                None,
            ),
            EncoderRuntime::Onnx => (Box::new(load_onnx(Precision::Fp32)?), None),
            EncoderRuntime::OnnxInt8 => (
                Box::new(load_onnx(Precision::Int8)?),
                Some(load_onnx(Precision::Fp32)?),
            ),
        };
        let (figure, outputs) = measure(
            runtime,
            encoders.as_ref(),
            reference.as_ref(),
            &docs,
            &queries,
            &pairs,
            options.batch_size,
        )?;
        figures.push(figure);
        if let Some(dump) = &dump {
            dump.outputs(runtime, &outputs)?;
        }
    }

    let report = EncoderBenchReport {
        threads: rayon::current_num_threads(),
        docs: docs.len(),
        mean_doc_tokens: tokens as f64 / docs.len() as f64,
        max_length: options.max_length,
        pairs: pairs.len(),
        mean_pair_tokens: pair_tokens as f64 / pairs.len().max(1) as f64,
        onnx_sessions: {
            let o = onnx(Precision::Fp32);
            format!("{} × {}", o.sessions, o.threads_per_session)
        },
        runtimes: figures,
    };
    if let Some(dump) = &dump {
        dump.report(&report)?;
    }
    Ok(report)
}

/// The fixed cross-encoder head: `hidden` weights and a bias, uniform in ±0.1.
fn cross_head(hidden: usize) -> (Vec<f32>, f32) {
    let mut rng = SplitMix64::new(CROSS_HEAD_SEED);
    let mut draw = || ((rng.unit() * 2.0 - 1.0) * 0.1) as f32;
    let weights = (0..hidden).map(|_| draw()).collect();
    (weights, draw())
}

/// How one encoder of `model_dir` with `head` ran, for the dump.
fn encoder_settings(
    model_dir: &Path,
    max_length: usize,
    batch_size: usize,
    head: Head,
    post: &str,
) -> Result<EncoderSettings, EngineError> {
    let tokenizer = model_dir.join("tokenizer.json");
    let pad_id = TextTokenizer::from_file(&tokenizer, max_length)?.pad_id();
    let mut inputs = vec!["input_ids", "attention_mask"];
    if head.uses_token_types() {
        inputs.push("token_type_ids");
    }
    Ok(EncoderSettings {
        model_dir: model_dir.to_path_buf(),
        tokenizer,
        max_length,
        batch_size,
        pad_id,
        inputs,
        output: head.output(),
        post: post.to_owned(),
    })
}

fn measure(
    runtime: EncoderRuntime,
    enc: &dyn Encoders,
    reference: Option<&Onnx>,
    docs: &[&str],
    queries: &[&str],
    pairs: &[(&str, &str)],
    batch_size: usize,
) -> Result<(RuntimeFigures, Outputs), EngineError> {
    let warm = &docs[..docs.len().min(batch_size)];
    enc.dense_docs(warm)?;
    let t = Instant::now();
    let dense = enc.dense_docs(docs)?;
    let dense_docs_per_s = docs.len() as f64 / t.elapsed().as_secs_f64();
    let dense_query = latency(queries, |q| enc.dense_query(q))?;

    enc.splade(warm)?;
    let t = Instant::now();
    let splade = enc.splade(docs)?;
    let splade_docs_per_s = docs.len() as f64 / t.elapsed().as_secs_f64();
    let splade_query = latency(queries, |q| enc.splade(&[q]).map(drop))?;

    enc.cross(&pairs[..pairs.len().min(batch_size)])?;
    let (mut calls, mut tokenize, mut scores) = (Vec::new(), Duration::ZERO, Vec::new());
    for _ in 0..CROSS_CALLS {
        let (s, tok, total) = enc.cross(pairs)?;
        tokenize += tok;
        calls.push(total);
        scores = s;
    }
    let cross_call = LatencyStats::from_durations(&calls);
    let cross_tokenize_ms = tokenize.as_secs_f64() * 1e3 / calls.len() as f64;

    let quality = match reference {
        None => None,
        Some(fp32) => Some(compare(
            &dense,
            &fp32.dense_docs(docs)?,
            &splade,
            &fp32.splade(docs)?,
        )),
    };
    let figures = RuntimeFigures {
        runtime,
        dense_docs_per_s,
        dense_query,
        splade_docs_per_s,
        splade_query,
        cross_tokenize_ms,
        cross_run_ms: cross_call.mean_ms - cross_tokenize_ms,
        cross_call,
        quality,
    };
    let outputs = Outputs {
        dense,
        splade,
        cross: scores,
        graphs: enc.graphs(),
    };
    Ok((figures, outputs))
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum();
    let na: f64 = a.iter().map(|x| f64::from(x * x)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(x * x)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na * nb)
}

pub(super) fn sparse_cosine(a: &SparseVector, b: &SparseVector) -> f64 {
    let norm = |v: &SparseVector| {
        v.terms
            .iter()
            .map(|t| f64::from(t.1 * t.1))
            .sum::<f64>()
            .sqrt()
    };
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 {
        return if na == nb { 1.0 } else { 0.0 };
    }
    f64::from(a.dot(b)) / (na * nb)
}

fn compare(
    dense: &[Vec<f32>],
    dense_ref: &[Vec<f32>],
    splade: &[SparseVector],
    splade_ref: &[SparseVector],
) -> QualityVsFp32 {
    let stats = |values: Vec<f64>| {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        (mean, values.into_iter().fold(f64::MAX, f64::min))
    };
    let (dense_mean_cosine, dense_min_cosine) = stats(
        dense
            .iter()
            .zip(dense_ref)
            .map(|(a, b)| cosine(a, b))
            .collect(),
    );
    let (splade_mean_cosine, splade_min_cosine) = stats(
        splade
            .iter()
            .zip(splade_ref)
            .map(|(a, b)| sparse_cosine(a, b))
            .collect(),
    );
    let overlap: Vec<f64> = splade
        .iter()
        .zip(splade_ref)
        .map(|(a, b)| {
            let ours: Vec<u32> = a.top(10).iter().map(|t| t.0).collect();
            let theirs = b.top(10);
            let hit = theirs.iter().filter(|t| ours.contains(&t.0)).count();
            hit as f64 / theirs.len().max(1) as f64
        })
        .collect();
    QualityVsFp32 {
        dense_mean_cosine,
        dense_min_cosine,
        splade_mean_cosine,
        splade_min_cosine,
        splade_top10_overlap: stats(overlap).0,
    }
}

fn latency(
    queries: &[&str],
    mut run: impl FnMut(&str) -> Result<(), EngineError>,
) -> Result<LatencyStats, EngineError> {
    let mut durations: Vec<Duration> = Vec::with_capacity(queries.len());
    for q in queries {
        let t = Instant::now();
        run(q)?;
        durations.push(t.elapsed());
    }
    Ok(LatencyStats::from_durations(&durations))
}

impl EncoderBenchReport {
    /// The figures as Markdown tables.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Encoder benchmark: {} product texts (title + brand + bullets, max {} tokens, mean {:.1}), \
             {} threads, ONNX sessions × threads per encoder {}\n\n\
             | runtime | dense MiniLM-L6 docs/s | query p50 ms | p99 ms | SPLADE-tiny docs/s | query p50 ms | p99 ms |\n\
             |---|---:|---:|---:|---:|---:|---:|\n",
            self.docs, self.max_length, self.mean_doc_tokens, self.threads, self.onnx_sessions,
        );
        for f in &self.runtimes {
            out += &format!(
                "| {} | {:.1} | {:.2} | {:.2} | {:.1} | {:.2} | {:.2} |\n",
                f.runtime.name(),
                f.dense_docs_per_s,
                f.dense_query.p50_ms,
                f.dense_query.p99_ms,
                f.splade_docs_per_s,
                f.splade_query.p50_ms,
                f.splade_query.p99_ms,
            );
        }
        out += &format!(
            "\nCross-encoder (MiniLM-L6 + head), {} (query, title) pairs of {:.1} tokens per call, {} calls:\n\n\
             | runtime | p50 s | mean s | max s | tokenize ms | run ms |\n|---|---:|---:|---:|---:|---:|\n",
            self.pairs,
            self.mean_pair_tokens,
            self.runtimes.first().map_or(0, |f| f.cross_call.queries),
        );
        for f in &self.runtimes {
            out += &format!(
                "| {} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} |\n",
                f.runtime.name(),
                f.cross_call.p50_ms / 1e3,
                f.cross_call.mean_ms / 1e3,
                f.cross_call.max_ms / 1e3,
                f.cross_tokenize_ms,
                f.cross_run_ms,
            );
        }
        for f in &self.runtimes {
            if let Some(q) = &f.quality {
                out += &format!(
                    "\n{} vs ONNX fp32 on the same {} texts: dense cosine mean {:.4} / min {:.4}; \
                     SPLADE cosine mean {:.4} / min {:.4}, top-10 term overlap {:.3}\n",
                    f.runtime.name(),
                    self.docs,
                    q.dense_mean_cosine,
                    q.dense_min_cosine,
                    q.splade_mean_cosine,
                    q.splade_min_cosine,
                    q.splade_top10_overlap,
                );
            }
        }
        out
    }
}
