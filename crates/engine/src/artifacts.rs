//! The artifact directory of one build: index files plus a manifest saying what made them.

use crate::EngineError;
use esci_core::atomic_file::write_atomically;
use esci_lexical::{Bm25Params, IndexStats};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Manifest file name inside the artifact directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// BM25 index file name inside the artifact directory.
pub const BM25_FILE: &str = "bm25.idx";
/// Dense index file name inside the artifact directory.
pub const DENSE_FILE: &str = "dense.idx";
/// SPLADE index file name inside the artifact directory.
pub const SPLADE_FILE: &str = "splade.idx";
/// Version of the manifest layout.
pub const MANIFEST_VERSION: u32 = 1;

/// What a build consumed and produced. Loading compares it with the catalog at hand, so
/// an index is never silently served against products it was not built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version of this file.
    pub manifest_version: u32,
    /// esci-search version that wrote it.
    pub esci_version: String,
    /// Seconds since the Unix epoch at build time.
    pub created_unix: u64,
    /// The catalog the indexes were built from.
    pub corpus: CorpusInfo,
    /// The BM25 index.
    pub bm25: Bm25Artifact,
    /// The dense index, when built.
    #[serde(default)]
    pub dense: Option<NeuralArtifact>,
    /// The SPLADE index, when built.
    #[serde(default)]
    pub splade: Option<NeuralArtifact>,
    /// Projected dense indexes by projection name (`esci train dense`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub projections: std::collections::BTreeMap<String, crate::ProjectionArtifact>,
}

/// A neural index file and what made it. Two builds with equal [`NeuralArtifact::inputs`]
/// over the same catalog produce the same index, so a rebuild reuses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeuralArtifact {
    /// File name inside the artifact directory.
    pub file: String,
    /// The model directory used.
    pub model_dir: PathBuf,
    /// Content fingerprint of the model (`esci_models::fetch::model_fingerprint`); a
    /// query encoder with another fingerprint is refused.
    pub model_fingerprint: String,
    /// Product fields encoded, in order.
    pub text_fields: Vec<String>,
    /// Token limit of product texts.
    pub max_length: usize,
    /// Documents encoded.
    pub docs: usize,
    /// Wall seconds to encode and index.
    pub build_seconds: f64,
    /// What ran the encoder (`[neural] runtime`; manifests from before the choice
    /// existed were built by candle). int8 vectors differ from fp32 ones, so a change
    /// of runtime rebuilds the index.
    #[serde(default)]
    pub runtime: crate::EncoderRuntime,
    /// SPLADE only: the active vocabulary the products were encoded with (`[neural]
    /// splade_vocab = "active"`), which the query encoder loads; absent: the full one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocabulary: Option<crate::splade_vocab::VocabArtifact>,
    /// SPLADE on int8 only: where the decoder ran (`fused`: in Rust, `graph`: in ONNX
    /// Runtime; `esci_onnx::SpladeDecoder`). Their int8 vectors differ slightly, so a
    /// change rebuilds the index; absent in manifests from before the fused decoder
    /// (which used the graph's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub splade_decoder: Option<String>,
}

impl NeuralArtifact {
    /// What determines the index's content (with the catalog fingerprint): model, text
    /// fields, token limit, runtime, how the active vocabulary was fitted, if any, and
    /// where an int8 SPLADE decoder ran.
    #[allow(clippy::type_complexity)]
    pub fn inputs(
        &self,
    ) -> (
        &str,
        &[String],
        usize,
        crate::EncoderRuntime,
        Option<(usize, bool, Option<usize>)>,
        Option<&str>,
    ) {
        (
            &self.model_fingerprint,
            &self.text_fields,
            self.max_length,
            self.runtime,
            self.vocabulary.as_ref().map(|v| v.settings()),
            self.splade_decoder.as_deref(),
        )
    }

    /// Refuses a query model other than the one that built the index, naming both.
    pub fn check_query_model(
        &self,
        what: &str,
        model_dir: &Path,
        fingerprint: &str,
    ) -> Result<(), EngineError> {
        if fingerprint != self.model_fingerprint {
            return Err(EngineError::Artifacts(format!(
                "the {what} index was built with the model in {} (fingerprint {}), but queries would be encoded by {} (fingerprint {fingerprint}): rebuild with `esci index` or point [models] back at the original model",
                self.model_dir.display(),
                self.model_fingerprint,
                model_dir.display()
            )));
        }
        Ok(())
    }
}

/// Identity of the catalog an index was built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusInfo {
    /// Products file as given.
    pub products_file: PathBuf,
    /// Locale filter applied, if any.
    pub locale: Option<String>,
    /// Number of products indexed.
    pub products: usize,
    /// [`crate::catalog_fingerprint`] of the products, in doc-id order.
    pub fingerprint: String,
}

/// The BM25 index file and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bm25Artifact {
    /// File name inside the artifact directory.
    pub file: String,
    /// Scoring parameters.
    pub params: Bm25Params,
    /// Analyzer version.
    pub analyzer_version: u32,
    /// Index on-disk format version.
    pub format_version: u32,
    /// Distinct terms.
    pub terms: usize,
    /// Postings.
    pub postings: usize,
    /// Wall seconds to build (analysis + layout, excluding ingest and write).
    pub build_seconds: f64,
}

impl Bm25Artifact {
    /// Describes a freshly built index.
    pub fn new(params: Bm25Params, stats: IndexStats, build_seconds: f64) -> Bm25Artifact {
        Bm25Artifact {
            file: BM25_FILE.into(),
            params,
            analyzer_version: esci_text::Analyzer::VERSION,
            format_version: esci_lexical::FORMAT_VERSION,
            terms: stats.terms,
            postings: stats.postings,
            build_seconds,
        }
    }
}

impl Manifest {
    /// Path of the manifest in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(MANIFEST_FILE)
    }

    /// Writes the manifest atomically (after the index files, so a manifest never
    /// describes files that are not there yet).
    pub fn save(&self, dir: &Path) -> Result<(), EngineError> {
        let path = Manifest::path(dir);
        let json = serde_json::to_vec_pretty(self).expect("manifest serialises");
        write_atomically(&path, |w| w.write_all(&json)).map_err(EngineError::io(&path))
    }

    /// Reads the manifest of `dir`, with an error that says how to create one.
    pub fn load(dir: &Path) -> Result<Manifest, EngineError> {
        let path = Manifest::path(dir);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                EngineError::Artifacts(format!(
                    "no index in {}: build it with `esci index` (or pass --artifacts-dir)",
                    dir.display()
                ))
            } else {
                EngineError::Io {
                    path: path.clone(),
                    source: e,
                }
            }
        })?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
            EngineError::Artifacts(format!(
                "{} is not a valid manifest ({e}): rebuild with `esci index`",
                path.display()
            ))
        })?;
        if manifest.manifest_version != MANIFEST_VERSION {
            return Err(EngineError::Artifacts(format!(
                "{} has manifest version {}, this build reads {MANIFEST_VERSION}: rebuild with `esci index`",
                path.display(),
                manifest.manifest_version
            )));
        }
        Ok(manifest)
    }

    /// Refuses artifacts built from another catalog than the one loaded.
    pub fn check_corpus(&self, products: usize, fingerprint: &str) -> Result<(), EngineError> {
        if self.corpus.fingerprint != fingerprint || self.corpus.products != products {
            return Err(EngineError::Artifacts(format!(
                "the index was built from a different catalog ({} products, fingerprint {}) than the one loaded ({products} products, fingerprint {fingerprint}): rebuild it with `esci index`",
                self.corpus.products, self.corpus.fingerprint
            )));
        }
        Ok(())
    }
}
