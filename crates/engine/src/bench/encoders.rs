//! `esci bench encoders`: documents per second and single-query latency of the dense
//! and SPLADE encoders, and the cost of scoring (query, title) pairs with the
//! cross-encoder, all on the real catalog's text and real queries.

use crate::{Config, EngineError, load_catalog};
use esci_core::Field;
use esci_eval::LatencyStats;
use esci_ingest::TextBuilder;
use esci_models::{
    CrossEncoder, CrossOptions, DenseEncoder, DenseOptions, SpladeEncoder, SpladeOptions,
};
use serde::Serialize;
use std::time::{Duration, Instant};

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
}

impl Default for EncoderBenchOptions {
    fn default() -> Self {
        EncoderBenchOptions {
            docs: 1000,
            queries: 200,
            pairs: 100,
            max_length: 64,
            batch_size: 32,
        }
    }
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
    /// Dense documents per second.
    pub dense_docs_per_s: f64,
    /// Dense single-query latency.
    pub dense_query: LatencyStats,
    /// SPLADE documents per second.
    pub splade_docs_per_s: f64,
    /// SPLADE single-query latency.
    pub splade_query: LatencyStats,
    /// Pairs per cross-encoder call.
    pub pairs: usize,
    /// Mean pair length in tokens.
    pub mean_pair_tokens: f64,
    /// Seconds per cross-encoder call over `pairs` pairs (each repeat).
    pub cross_call: LatencyStats,
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

    let dense = DenseEncoder::load(
        &config.models.dense_dir(),
        DenseOptions {
            max_length: options.max_length,
            batch_size: options.batch_size,
            ..DenseOptions::default()
        },
    )?;
    let tokens: usize = docs
        .iter()
        .map(|d| dense.tokenizer().encode(d).map_or(0, |e| e.len()))
        .sum();
    dense.encode_documents(&docs[..docs.len().min(options.batch_size)])?; // warm-up
    let dense_docs_per_s = per_second(docs.len(), || dense.encode_documents(&docs).map(drop))?;
    let dense_query = latency(&queries, |q| dense.encode_queries(&[q]).map(drop))?;

    let splade = SpladeEncoder::load(
        &config.models.splade_dir(),
        SpladeOptions {
            max_length: options.max_length,
            batch_size: options.batch_size,
            ..SpladeOptions::default()
        },
    )?;
    splade.encode(&docs[..docs.len().min(options.batch_size)])?;
    let splade_docs_per_s = per_second(docs.len(), || splade.encode(&docs).map(drop))?;
    let splade_query = latency(&queries, |q| splade.encode(&[q]).map(drop))?;

    // The reranker is not trained yet: its cost does not depend on the head's values.
    let cross = CrossEncoder::load(
        &config.models.dense_dir(),
        CrossOptions {
            max_length: 128,
            batch_size: options.batch_size,
        },
    )?;
    let pairs: Vec<(&str, &str)> = (0..options.pairs)
        .map(|i| {
            (
                queries[i % queries.len()],
                catalog.products[i % catalog.len()].title.as_str(),
            )
        })
        .collect();
    let pair_tokens: usize = pairs
        .iter()
        .map(|(q, d)| cross.tokenizer().encode_pair(q, d).map_or(0, |e| e.len()))
        .sum();
    let mut calls = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        cross.score(&pairs)?;
        calls.push(t.elapsed());
    }

    Ok(EncoderBenchReport {
        threads: rayon::current_num_threads(),
        docs: docs.len(),
        mean_doc_tokens: tokens as f64 / docs.len() as f64,
        max_length: options.max_length,
        dense_docs_per_s,
        dense_query,
        splade_docs_per_s,
        splade_query,
        pairs: pairs.len(),
        mean_pair_tokens: pair_tokens as f64 / pairs.len().max(1) as f64,
        cross_call: LatencyStats::from_durations(&calls),
    })
}

fn per_second(
    n: usize,
    run: impl FnOnce() -> Result<(), esci_models::ModelError>,
) -> Result<f64, EngineError> {
    let t = Instant::now();
    run()?;
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

fn latency(
    queries: &[&str],
    mut run: impl FnMut(&str) -> Result<(), esci_models::ModelError>,
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
    /// The figures as a Markdown table.
    pub fn markdown(&self) -> String {
        format!(
            "Encoder benchmark: {} product texts (title + brand + bullets, max {} tokens, mean {:.1}), {} threads\n\n\
             | encoder | docs/s | query p50 ms | query p99 ms |\n|---|---:|---:|---:|\n\
             | dense MiniLM-L6 (candle, f32) | {:.1} | {:.2} | {:.2} |\n\
             | SPLADE-tiny (candle, f32) | {:.1} | {:.2} | {:.2} |\n\n\
             cross-encoder (MiniLM-L6 + head), {} (query, title) pairs of {:.1} tokens: p50 {:.3} s per call (mean {:.3}, max {:.3}, {} calls)\n",
            self.docs,
            self.max_length,
            self.mean_doc_tokens,
            self.threads,
            self.dense_docs_per_s,
            self.dense_query.p50_ms,
            self.dense_query.p99_ms,
            self.splade_docs_per_s,
            self.splade_query.p50_ms,
            self.splade_query.p99_ms,
            self.pairs,
            self.mean_pair_tokens,
            self.cross_call.p50_ms / 1e3,
            self.cross_call.mean_ms / 1e3,
            self.cross_call.max_ms / 1e3,
            self.cross_call.queries,
        )
    }
}
