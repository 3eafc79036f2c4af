//! `esci bench encoders --dump-inputs DIR`: everything a reference runtime needs to
//! repeat the benchmark's work outside Rust (scripts/reference-bench/bench_encoders.py
//! runs the same graphs on Python onnxruntime) and to check that it computed the same
//! thing:
//!
//! - `docs.jsonl`, `queries.jsonl` (one JSON string a line) and `pairs.jsonl`
//!   (`{"query", "title"}`): the texts, in the order they are encoded;
//! - `inputs.json`: tokenizer files, token limits, pad ids, batch sizes, pooling and
//!   post-processing of each encoder, the ONNX session settings, how batches are cut,
//!   and the fixed cross-encoder head the scores were computed with;
//! - `outputs-<runtime>.json`, one per runtime measured: the graph files it ran (ONNX
//!   only) and its outputs of the timed passes (every document's dense vector and
//!   SPLADE terms, the last cross-encoder call's scores);
//! - `report.json`: the figures of the run ([`EncoderBenchReport`]).

use super::encoders::EncoderBenchReport;
use crate::{EncoderRuntime, EngineError};
use esci_models::SparseVector;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Version of the files' layout, bumped when a reader would need to change.
pub(crate) const DUMP_FORMAT: u32 = 1;

/// How the benchmark cuts texts into batches and runs them (for `inputs.json`).
pub(crate) const BUCKETING: &str = "texts are tokenised, their indices sorted by (token count, index) \
     and cut every batch_size; each batch is padded on the right to its longest member \
     (input_ids with pad_id, attention_mask 0) and batches run in parallel, one per free \
     session; outputs are put back in input order";

/// Settings of one encoder, as the benchmark ran it.
#[derive(Debug, Serialize)]
pub(crate) struct EncoderSettings {
    /// Model directory (config.json, model.safetensors, tokenizer.json).
    pub model_dir: PathBuf,
    /// The tokenizer file; its baked-in padding is removed and truncation replaced.
    pub tokenizer: PathBuf,
    /// Truncation: longest first, from the right, special tokens included.
    pub max_length: usize,
    /// Texts (or pairs) per graph run.
    pub batch_size: usize,
    /// Id of padded positions.
    pub pad_id: u32,
    /// Graph inputs, all int64 `[batch, seq]`.
    pub inputs: Vec<&'static str>,
    /// The graph output read.
    pub output: &'static str,
    /// What happens to the output in Rust.
    pub post: String,
}

/// `inputs.json`.
#[derive(Debug, Serialize)]
pub(crate) struct InputsManifest {
    pub format: u32,
    pub docs_file: &'static str,
    pub queries_file: &'static str,
    pub pairs_file: &'static str,
    pub docs: usize,
    pub queries: usize,
    pub pairs: usize,
    /// Cross-encoder calls timed (each over all pairs).
    pub cross_calls: usize,
    /// Before each timed pass: the first `batch_size` texts (pairs) are encoded once.
    pub warmup: &'static str,
    pub threads: usize,
    pub onnx_sessions: usize,
    pub onnx_threads_per_session: usize,
    pub onnx_library: PathBuf,
    pub onnx_session: &'static str,
    pub bucketing: &'static str,
    pub dense: EncoderSettings,
    /// `"mean"` or `"cls"`: done inside the graph (output `pooled`).
    pub dense_pooling: &'static str,
    pub dense_query_prefix: Option<String>,
    pub dense_document_prefix: Option<String>,
    pub splade: EncoderSettings,
    pub splade_top_k: Option<usize>,
    pub splade_min_weight: f32,
    pub cross: EncoderSettings,
    /// The fixed head every runtime scored with: score = pooled · weights + bias.
    pub cross_head_weights: Vec<f32>,
    pub cross_head_bias: f32,
}

/// What one runtime produced in the timed passes.
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    /// Unit vectors of every document, in input order.
    pub dense: Vec<Vec<f32>>,
    /// SPLADE vectors of every document.
    pub splade: Vec<SparseVector>,
    /// Scores of the last cross-encoder call, in pair order.
    pub cross: Vec<f32>,
    /// Graph files run (dense, SPLADE, cross); `None` for candle.
    pub graphs: Option<[PathBuf; 3]>,
}

#[derive(Serialize)]
struct Graphs<'a> {
    dense: &'a Path,
    splade: &'a Path,
    cross: &'a Path,
}

#[derive(Serialize)]
struct OutputsFile<'a> {
    format: u32,
    runtime: &'static str,
    graphs: Option<Graphs<'a>>,
    dense: &'a [Vec<f32>],
    splade: Vec<&'a [(u32, f32)]>,
    cross_scores: &'a [f32],
}

/// The dump folder.
#[derive(Debug)]
pub(crate) struct Dump {
    dir: PathBuf,
}

impl Dump {
    /// Creates `dir` (and its parents) if needed.
    pub(crate) fn create(dir: &Path) -> Result<Dump, EngineError> {
        std::fs::create_dir_all(dir).map_err(|source| EngineError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Dump {
            dir: dir.to_path_buf(),
        })
    }

    /// Writes the texts, the pairs and `inputs.json`.
    pub(crate) fn inputs(
        &self,
        docs: &[&str],
        queries: &[&str],
        pairs: &[(&str, &str)],
        manifest: &InputsManifest,
    ) -> Result<(), EngineError> {
        #[derive(Serialize)]
        struct Pair<'a> {
            query: &'a str,
            title: &'a str,
        }
        self.json_lines(manifest.docs_file, docs)?;
        self.json_lines(manifest.queries_file, queries)?;
        let pairs: Vec<Pair> = pairs
            .iter()
            .map(|&(query, title)| Pair { query, title })
            .collect();
        self.json_lines(manifest.pairs_file, &pairs)?;
        self.json("inputs.json", manifest)
    }

    /// Writes `outputs-<runtime>.json`.
    pub(crate) fn outputs(
        &self,
        runtime: EncoderRuntime,
        outputs: &Outputs,
    ) -> Result<(), EngineError> {
        let file = OutputsFile {
            format: DUMP_FORMAT,
            runtime: runtime.name(),
            graphs: outputs
                .graphs
                .as_ref()
                .map(|[dense, splade, cross]| Graphs {
                    dense,
                    splade,
                    cross,
                }),
            dense: &outputs.dense,
            splade: outputs.splade.iter().map(|v| v.terms.as_slice()).collect(),
            cross_scores: &outputs.cross,
        };
        self.json(&format!("outputs-{}.json", runtime.name()), &file)
    }

    /// Writes `report.json`.
    pub(crate) fn report(&self, report: &EncoderBenchReport) -> Result<(), EngineError> {
        self.json("report.json", report)
    }

    fn json_lines<T: Serialize>(&self, name: &str, items: &[T]) -> Result<(), EngineError> {
        self.write(name, |w| {
            for item in items {
                serde_json::to_writer(&mut *w, item)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })
    }

    fn json<T: Serialize>(&self, name: &str, value: &T) -> Result<(), EngineError> {
        self.write(name, |w| {
            serde_json::to_writer(&mut *w, value)?;
            w.write_all(b"\n")
        })
    }

    fn write(
        &self,
        name: &str,
        f: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<()>,
    ) -> Result<(), EngineError> {
        let path = self.dir.join(name);
        let io = |source| EngineError::Io {
            path: path.clone(),
            source,
        };
        let mut w = BufWriter::new(std::fs::File::create(&path).map_err(io)?);
        f(&mut w).and_then(|()| w.flush()).map_err(io)
    }
}
