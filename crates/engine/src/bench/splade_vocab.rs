//! `esci bench encoders --splade-vocab N`: SPLADE with the full decoder against SPLADE
//! restricted to an active vocabulary fitted on N products (as `esci index` fits it,
//! `[neural] splade_vocab = "active"`, with that section's `splade_vocab_input_tokens`
//! and `splade_vocab_max_ids`), on each ONNX runtime in one run: documents per
//! second, single-query latency, and what the restriction loses on documents outside
//! the sample (terms and weight mass outside the vocabulary, cosine to the full head).

use super::encoders::sparse_cosine;
use super::{EncoderBenchOptions, distinct_queries, time_each};
use crate::splade_vocab::{VocabArtifact, fit_vocabulary, sample_indices};
use crate::{Config, EncoderRuntime, EngineError, load_catalog};
use esci_core::Field;
use esci_eval::LatencyStats;
use esci_ingest::TextBuilder;
use esci_models::{ActiveVocabulary, Coverage, SparseVector, SpladeOptions, TextTokenizer};
use esci_onnx::{OnnxOptions, OnnxSpladeEncoder, Precision};
use serde::Serialize;
use std::time::Instant;

/// One encoder's speed.
#[derive(Debug, Clone, Serialize)]
pub struct SpladeSpeed {
    /// Runtime.
    pub runtime: EncoderRuntime,
    /// Output ids computed (the vocabulary size, or the active vocabulary's).
    pub width: usize,
    /// Documents per second.
    pub docs_per_s: f64,
    /// Single-query latency.
    pub query: LatencyStats,
}

/// The restricted encoder's outputs against the full head's, on the timed documents.
#[derive(Debug, Clone, Serialize)]
pub struct RestrictionQuality {
    /// Runtime.
    pub runtime: EncoderRuntime,
    /// The full head's document vectors outside the vocabulary.
    pub docs: Coverage,
    /// The full head's query vectors outside the vocabulary (no score changes: no
    /// product has those terms).
    pub queries: Coverage,
    /// Mean / minimum cosine of restricted to full document vectors.
    pub mean_cosine: f64,
    /// Minimum cosine.
    pub min_cosine: f64,
}

/// The measured figures.
#[derive(Debug, Clone, Serialize)]
pub struct SpladeVocabBenchReport {
    /// `/proc/loadavg` (1 min) at the start and at the end.
    pub load: (f64, f64),
    /// Documents timed.
    pub docs: usize,
    /// Queries timed.
    pub queries: usize,
    /// Token limit.
    pub max_length: usize,
    /// Texts per call asked for.
    pub batch_size: usize,
    /// ONNX sessions × threads.
    pub onnx_sessions: String,
    /// The fitted vocabulary (fp32 full head on the sample).
    pub vocabulary: VocabArtifact,
    /// Coverage of the timed documents without the input-token margin (sample only).
    pub sample_only_docs: Coverage,
    /// Ids of the sample-only vocabulary.
    pub sample_only_ids: usize,
    /// Full and restricted, per runtime.
    pub speed: Vec<(SpladeSpeed, SpladeSpeed)>,
    /// Per runtime.
    pub quality: Vec<RestrictionQuality>,
}

fn load_avg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Runs the comparison with the configured SPLADE model and catalog: `options` as for
/// the encoder benchmark (documents, queries, length, batch, ONNX runtimes, sessions;
/// candle is skipped, it cannot restrict its decoder), the vocabulary fitted on
/// `sample` products other than the timed ones.
pub fn run_splade_vocab_bench(
    config: &Config,
    options: &EncoderBenchOptions,
    sample: usize,
) -> Result<SpladeVocabBenchReport, EngineError> {
    let load_start = load_avg();
    let catalog = load_catalog(config, false)?;
    let builder = TextBuilder::new(vec![Field::Title, Field::Brand, Field::Bullets]);
    let texts: Vec<String> = catalog.products.iter().map(|p| builder.build(p)).collect();
    let all: Vec<&str> = texts.iter().map(String::as_str).collect();
    let docs = &all[..options.docs.min(all.len())];
    let mut queries = distinct_queries(&config.data.examples_path(), config.data.locale_filter())?;
    queries.truncate(options.queries);
    if docs.is_empty() || docs.len() == all.len() {
        return Err(EngineError::Input(
            "the benchmark needs products to time and others to sample".into(),
        ));
    }
    let rest = all.len() - docs.len();
    let sample: Vec<usize> = sample_indices(rest, sample)
        .into_iter()
        .map(|i| i + docs.len())
        .collect();

    let model_dir = config.models.splade_dir();
    let splade_options = SpladeOptions {
        max_length: options.max_length,
        batch_size: options.batch_size,
        ..SpladeOptions::default()
    };
    let onnx = |precision: Precision| {
        let mut o = OnnxOptions::new(precision);
        o.library = esci_models::fetch::onnxruntime_library(&config.models.dir);
        if let Some(s) = options.sessions {
            o.sessions = s;
        }
        if let Some(t) = options.threads_per_session {
            o.threads_per_session = t;
        }
        o
    };
    let load = |precision: Precision, active: Option<ActiveVocabulary>| {
        OnnxSpladeEncoder::load_with_vocabulary(
            &model_dir,
            splade_options.clone(),
            &onnx(precision),
            active,
        )
        .map_err(|e| EngineError::Input(format!("ONNX SPLADE encoder: {e}")))
    };

    // Fitted as `esci index` fits it, with the fp32 head.
    let full_fp32 = load(Precision::Fp32, None)?;
    let tokenizer =
        TextTokenizer::from_file(&model_dir.join("tokenizer.json"), options.max_length)?;
    let max_ids = config.neural.splade_vocab_max_ids;
    let fitted = fit_vocabulary(
        &full_fp32,
        &all,
        &sample,
        config
            .neural
            .splade_vocab_input_tokens
            .then_some(&tokenizer),
        max_ids,
        &splade_options,
    )?;
    let (vocabulary, artifact) = (fitted.vocabulary, fitted.artifact);
    let sample_only =
        fit_vocabulary(&full_fp32, &all, &sample, None, max_ids, &splade_options)?.vocabulary;
    drop(full_fp32);

    let mut speed = Vec::new();
    let mut quality = Vec::new();
    let mut sample_only_docs = Coverage::default();
    for &runtime in &options.runtimes {
        let precision = match runtime {
            EncoderRuntime::Candle => continue,
            EncoderRuntime::Onnx => Precision::Fp32,
            EncoderRuntime::OnnxInt8 => Precision::Int8,
        };
        let full = load(precision, None)?;
        let pruned = load(precision, Some(vocabulary.clone()))?;
        let (full_speed, full_docs) = time_encoder(runtime, &full, 30522, docs, &queries)?;
        let (pruned_speed, pruned_docs) =
            time_encoder(runtime, &pruned, vocabulary.len(), docs, &queries)?;
        let query_vectors = full
            .encode(&queries.iter().map(String::as_str).collect::<Vec<_>>())
            .map_err(|e| EngineError::Input(e.to_string()))?;
        let cosines: Vec<f64> = full_docs
            .iter()
            .zip(&pruned_docs)
            .map(|(a, b)| sparse_cosine(a, b))
            .collect();
        if precision == Precision::Fp32 || sample_only_docs.vectors == 0 {
            sample_only_docs = sample_only.coverage(&full_docs);
        }
        quality.push(RestrictionQuality {
            runtime,
            docs: vocabulary.coverage(&full_docs),
            queries: vocabulary.coverage(&query_vectors),
            mean_cosine: cosines.iter().sum::<f64>() / cosines.len().max(1) as f64,
            min_cosine: cosines.iter().copied().fold(f64::MAX, f64::min),
        });
        speed.push((full_speed, pruned_speed));
    }
    let o = onnx(Precision::Fp32);
    Ok(SpladeVocabBenchReport {
        load: (load_start, load_avg()),
        docs: docs.len(),
        queries: queries.len(),
        max_length: options.max_length,
        batch_size: options.batch_size,
        onnx_sessions: format!("{} × {}", o.sessions, o.threads_per_session),
        vocabulary: artifact,
        sample_only_docs,
        sample_only_ids: sample_only.len(),
        speed,
        quality,
    })
}

/// Documents per second over `docs` (after a warm-up batch) and query latency.
fn time_encoder(
    runtime: EncoderRuntime,
    encoder: &OnnxSpladeEncoder,
    width: usize,
    docs: &[&str],
    queries: &[String],
) -> Result<(SpladeSpeed, Vec<SparseVector>), EngineError> {
    let encode = |texts: &[&str]| {
        encoder
            .encode(texts)
            .map_err(|e| EngineError::Input(e.to_string()))
    };
    encode(&docs[..docs.len().min(32)])?;
    let t = Instant::now();
    let vectors = encode(docs)?;
    let docs_per_s = docs.len() as f64 / t.elapsed().as_secs_f64();
    let query = time_each(queries, 0.0, &|q| Ok(encode(&[q])?.len()))?;
    Ok((
        SpladeSpeed {
            runtime,
            width,
            docs_per_s,
            query,
        },
        vectors,
    ))
}

fn percent(c: &Coverage, what: &str) -> String {
    format!(
        "{:.2}% of terms, {:.2}% of weight mass, {:.1}% of {what} touched",
        100.0 * c.terms_outside_fraction(),
        100.0 * c.mass_outside_fraction(),
        100.0 * c.vectors_touched as f64 / c.vectors.max(1) as f64
    )
}

impl SpladeVocabBenchReport {
    /// The figures as Markdown.
    pub fn markdown(&self) -> String {
        let v = &self.vocabulary;
        let mut out = format!(
            "SPLADE active vocabulary: {} ids of 30522 ({} activated by a sample of {} products \
             outside the timed ones, {} more only from the catalog's input tokens; cap {}), fitted in {:.1} s. \
             {} documents timed (max {} tokens, batch {}), {} queries one at a time, \
             ONNX sessions × threads {}, load {:.2} → {:.2}\n\n\
             | runtime | vocabulary | docs/s | query p50 ms | p99 ms |\n|---|---|---:|---:|---:|\n",
            v.ids,
            v.ids - v.token_only_ids,
            v.sample,
            v.token_only_ids,
            v.max_ids.map_or("none".to_owned(), |m| m.to_string()),
            v.fit_seconds,
            self.docs,
            self.max_length,
            self.batch_size,
            self.queries,
            self.onnx_sessions,
            self.load.0,
            self.load.1,
        );
        for (full, pruned) in &self.speed {
            for (s, what) in [(full, "full"), (pruned, "active")] {
                out += &format!(
                    "| {} | {what} ({}) | {:.1} | {:.2} | {:.2} |\n",
                    s.runtime.name(),
                    s.width,
                    s.docs_per_s,
                    s.query.p50_ms,
                    s.query.p99_ms
                );
            }
        }
        out += "\nWhat the full head puts outside the vocabulary on the timed documents (none sampled):\n\n";
        for q in &self.quality {
            out += &format!(
                "- {}: {}; restricted vs full cosine mean {:.4} / min {:.4}; queries: {}\n",
                q.runtime.name(),
                percent(&q.docs, "documents"),
                q.mean_cosine,
                q.min_cosine,
                percent(&q.queries, "queries"),
            );
        }
        out += &format!(
            "- without the input-token margin ({} ids): {}\n",
            self.sample_only_ids,
            percent(&self.sample_only_docs, "documents")
        );
        out
    }
}
