//! Graph files cached next to the model: written once per (model content, head,
//! precision, graph version), atomically, and rebuilt when missing.
//!
//! The file name carries the model's content fingerprint (`esci_models::fetch::
//! model_fingerprint`: config, weights, tokenizer), the fingerprint of a SPLADE
//! head's active vocabulary if it has one, and [`GRAPH_VERSION`], so retrained
//! weights or a changed graph builder never reuse a stale graph; old files are simply
//! left behind (a few tens of MB each).

use crate::bert_graph::{self, GRAPH_VERSION, Head};
use crate::error::{OnnxError, Result};
use crate::graph::Precision;
use esci_core::atomic_file::write_atomically;
use esci_models::fetch::model_fingerprint;
use esci_models::{ActiveVocabulary, BertConfig, Weights};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static WRITING: Mutex<()> = Mutex::new(());

/// Default cache directory of a model: `<model_dir>/onnx`.
pub fn default_cache_dir(model_dir: &Path) -> PathBuf {
    model_dir.join("onnx")
}

/// Path of the graph of `head` at `precision` for the model in `model_dir`, writing it
/// first if it is not in `cache_dir` (default [`default_cache_dir`]).
pub fn graph_file(
    model_dir: &Path,
    head: Head,
    precision: Precision,
    cache_dir: Option<&Path>,
) -> Result<PathBuf> {
    graph_file_for(model_dir, head, precision, cache_dir, None)
}

/// [`graph_file`] for a SPLADE head restricted to an active vocabulary (`None`: the
/// whole vocabulary); the vocabulary's fingerprint joins the file name. Heads without
/// the decoder ignore `active`.
pub fn graph_file_for(
    model_dir: &Path,
    head: Head,
    precision: Precision,
    cache_dir: Option<&Path>,
    active: Option<&ActiveVocabulary>,
) -> Result<PathBuf> {
    let fingerprint = model_fingerprint(model_dir)?;
    let dir = cache_dir.map_or_else(|| default_cache_dir(model_dir), Path::to_path_buf);
    // Only a head with the decoder depends on the vocabulary; the others (SPLADE's
    // transform-only head included) are one graph for every vocabulary.
    let active = active.filter(|_| head == Head::Splade);
    let vocabulary = active.map(ActiveVocabulary::fingerprint);
    let head_name = match &vocabulary {
        Some(v) => format!("{}-v{}", head.name(), &v[..12]),
        None => head.name().to_owned(),
    };
    let path = dir.join(format!(
        "{head_name}-{}-g{GRAPH_VERSION}-{}.onnx",
        precision.name(),
        &fingerprint[..16]
    ));
    if path.is_file() {
        return Ok(path);
    }
    // One writer per process: the atomic write's temporary file is named by process
    // id, so two threads writing the same graph would collide (encoders are often
    // loaded in parallel, e.g. by tests). Other processes use other temporary files.
    let _writing = WRITING.lock().unwrap_or_else(|p| p.into_inner());
    if path.is_file() {
        return Ok(path);
    }
    let started = std::time::Instant::now();
    let config = BertConfig::from_file(&model_dir.join("config.json"))?;
    let weights = Weights::open(&model_dir.join("model.safetensors"))?;
    let version = GRAPH_VERSION.to_string();
    let mut metadata = vec![
        ("esci.model_fingerprint", fingerprint.as_str()),
        ("esci.head", head.name()),
        ("esci.precision", precision.name()),
        ("esci.graph_version", &version),
    ];
    if let Some(v) = &vocabulary {
        metadata.push(("esci.active_vocabulary", v));
    }
    let bytes = bert_graph::build(
        &weights,
        &config,
        head,
        precision,
        &metadata,
        active.map(ActiveVocabulary::ids),
    )?;
    std::fs::create_dir_all(&dir).map_err(|source| OnnxError::Io {
        path: dir.clone(),
        source,
    })?;
    write_atomically(&path, |w| w.write_all(&bytes)).map_err(|source| OnnxError::Io {
        path: path.clone(),
        source,
    })?;
    tracing::info!(path = %path.display(), bytes = bytes.len(),
        seconds = started.elapsed().as_secs_f64(), "wrote ONNX graph");
    Ok(path)
}
