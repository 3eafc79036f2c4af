//! Dense retrieval through a learned projection (`[neural] projection = "pca"`): the
//! manifest entry of a projected product index, and opening it for queries.
//!
//! `esci train dense` writes the projected products once (`dense-<name>.idx`) so
//! serving only maps the query vector. Three fingerprints must agree before a query is
//! answered: the configured dense model = the model the projection was fitted for = the
//! model that embedded the products; and the projection file = the projection the
//! index was built with. Any mismatch is refused naming both sides.
//!
//! A fine-tuned encoder (`esci train dense --method finetune`) is the same kind of
//! entry with an [`EncoderRef`]: its products were embedded by the fine-tuned model
//! (then mapped by the fixed rotation it was trained behind), so queries are encoded by
//! that model, whose directory must still hold the files with the recorded
//! fingerprint; the configured dense model must still be the base it was tuned from.

use crate::artifacts::{Manifest, NeuralArtifact};
use crate::encoder_runtime::load_dense_encoder;
use crate::neural::DenseRetriever;
use crate::{Config, EngineError};
use esci_dense::DenseIndex;
use esci_models::fetch::model_fingerprint;
use esci_train::Projection;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Sub-directory of the models directory holding trained projections.
pub const PROJECTIONS_DIR: &str = "projections";
/// File name of a projection inside its directory.
pub const PROJECTION_FILE: &str = "projection.bin";

/// A projected product index in the artifact directory and what made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectionArtifact {
    /// `pca`, `adapter`, ...
    pub method: String,
    /// Index file name inside the artifact directory (`dense-<name>.idx`).
    pub file: String,
    /// Where the projection was saved.
    pub projection_file: PathBuf,
    /// sha256 of the projection's numbers.
    pub projection_fingerprint: String,
    /// Fingerprint of the dense model whose vectors were projected.
    pub model_fingerprint: String,
    /// Dimension of the projected vectors.
    pub dim: usize,
    /// Documents in the index.
    pub docs: usize,
    /// Wall seconds of fitting or training (query encoding excluded).
    pub train_seconds: f64,
    /// The fine-tuned encoder of `--method finetune` (absent: the configured dense
    /// model encodes queries, as for `pca` and `adapter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoder: Option<EncoderRef>,
}

/// A fine-tuned dense model directory and the fingerprint of its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderRef {
    /// The model directory (config.json, model.safetensors, tokenizer.json).
    pub dir: PathBuf,
    /// `esci_models::fetch::model_fingerprint` of it when the index was built.
    pub fingerprint: String,
}

/// Path of the projection called `name` under the configured models directory.
pub fn projection_path(config: &Config, name: &str) -> PathBuf {
    config
        .models
        .dir
        .join(PROJECTIONS_DIR)
        .join(name)
        .join(PROJECTION_FILE)
}

/// The fingerprint a projected index carries: the model's and the projection's.
pub(crate) fn projected_fingerprint(model: &str, projection: &str) -> String {
    format!("{model}+projection:{projection}")
}

/// Opens the dense retriever through projection `name`; `dense` is the manifest entry
/// of the unprojected index (the model check has been done against it).
pub(crate) fn open_projected_dense(
    config: &Config,
    dir: &Path,
    manifest: &Manifest,
    dense: &NeuralArtifact,
    name: &str,
) -> Result<DenseRetriever, EngineError> {
    let entry = manifest.projections.get(name).ok_or_else(|| {
        let known: Vec<&str> = manifest.projections.keys().map(String::as_str).collect();
        EngineError::Artifacts(format!(
            "no projection {name:?} in {} (built: {}): make it with `esci train dense --method pca|adapter|finetune --name {name}`",
            dir.display(),
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        ))
    })?;
    let model_dir = config.models.dense_dir();
    let model = model_fingerprint(&model_dir)?;
    if entry.model_fingerprint != model || dense.model_fingerprint != model {
        return Err(EngineError::Artifacts(format!(
            "the {name} projection index was built from vectors of the dense model with fingerprint {}, but the configured model {} has fingerprint {model}: retrain with `esci train dense --method {}`",
            entry.model_fingerprint,
            model_dir.display(),
            entry.method
        )));
    }
    // The model whose vectors the projection maps: the fine-tuned one, if any.
    let (encoder_dir, encoder_model) = match &entry.encoder {
        None => (model_dir.clone(), model.clone()),
        Some(e) => {
            let found = model_fingerprint(&e.dir).map_err(|err| {
                EngineError::Artifacts(format!(
                    "the {name} index needs the fine-tuned model in {}: {err}; retrain with `esci train dense --method {}`",
                    e.dir.display(),
                    entry.method
                ))
            })?;
            if found != e.fingerprint {
                return Err(EngineError::Artifacts(format!(
                    "the {name} index was built by the fine-tuned model with fingerprint {}, but {} now has fingerprint {found}: retrain with `esci train dense --method {}`",
                    e.fingerprint,
                    e.dir.display(),
                    entry.method
                )));
            }
            (e.dir.clone(), found)
        }
    };
    let projection = Projection::load_for_model(&projection_path(config, name), &encoder_model)?;
    if projection.fingerprint() != entry.projection_fingerprint {
        return Err(EngineError::Artifacts(format!(
            "{} has fingerprint {}, but {} was built with projection {}: retrain with `esci train dense --method {}`",
            projection_path(config, name).display(),
            projection.fingerprint(),
            dir.join(&entry.file).display(),
            entry.projection_fingerprint,
            entry.method
        )));
    }
    let index = DenseIndex::load(&dir.join(&entry.file))?;
    let expected = projected_fingerprint(&encoder_model, projection.fingerprint());
    if index.model_fingerprint() != expected
        || index.len() != entry.docs
        || index.dim() != entry.dim
    {
        return Err(EngineError::Artifacts(format!(
            "{} does not match its manifest entry (fingerprint {} vs {expected}): retrain with `esci train dense --method {}`",
            dir.join(&entry.file).display(),
            index.model_fingerprint(),
            entry.method
        )));
    }
    let encoder = load_dense_encoder(config, &encoder_dir, dense.max_length)?;
    let dim = config.neural.dim.unwrap_or(index.dim());
    Ok(DenseRetriever::new(encoder, &index, dim)?.with_projection(projection))
}
