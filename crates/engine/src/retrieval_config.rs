//! The `[neural]` and `[fusion]` sections: which neural indexes to build, and how
//! retrievers are combined.

use crate::encoder_runtime::EncoderRuntime;
use crate::splade_vocab::SpladeVocab;
use esci_core::Field;
use esci_fusion::{FusionMethod, RrfParams};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default of `[neural] splade_vocab_sample`: one to two minutes of full-head encoding
/// (fp32), a small part of a 1.8M-product build; a catalog of at most 20,000 products
/// is sampled whole, which makes its document side exact. On the dev queries 2,000 of
/// the 12,777 products already gave the full head's metrics (BENCHMARKS.md,
/// "Encoders").
pub const DEFAULT_VOCAB_SAMPLE: usize = 20_000;

/// `[neural]`: the dense and SPLADE indexes built beside BM25.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NeuralSection {
    /// Build the dense index (encodes every product: minutes on 2 cores).
    pub dense: bool,
    /// Build the SPLADE index.
    pub splade: bool,
    /// Product fields joined into the text the encoders read, in order.
    pub text_fields: Vec<String>,
    /// Token limit of product texts.
    pub max_length: usize,
    /// Matryoshka prefix used by the dense retriever at query time (at most the model's
    /// dimension); absent = the full dimension.
    pub dim: Option<usize>,
    /// Learned projection applied to query and product vectors before the Matryoshka
    /// prefix (`pca`, `adapter`: made by `esci train dense`); absent = none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection: Option<String>,
    /// How the dense index is scanned: `exact` (every product in f32), `int8` (int8
    /// codes, the best 2·k rescored in f32: a quarter of the memory traffic) or `int4`
    /// (4-bit codes, the best 4·k rescored: an eighth).
    pub dense_scan: DenseScan,
    /// What runs the encoders at index and query time: `onnx` (the default: ONNX
    /// Runtime fp32, the same outputs as candle, about 2× faster), `candle` (f32, the
    /// training engine) or
    /// `onnx-int8` (int8 weights, several times faster, outputs within about 0.99
    /// cosine of fp32). BENCHMARKS.md ("Encoders") has the figures.
    pub runtime: EncoderRuntime,
    /// SPLADE's output vocabulary: `active` (the default: only the ids the catalog
    /// activates, fitted by `esci index` on a sample and stored beside the index;
    /// queries use it too) or `full` (the decoder over all 30,522 ids).
    /// BENCHMARKS.md ("Encoders").
    pub splade_vocab: SpladeVocab,
    /// Products `esci index` encodes with the full head to fit the active vocabulary.
    pub splade_vocab_sample: usize,
    /// The active vocabulary also keeps every token id of the catalog's texts (cheap:
    /// tokenising only; SPLADE weights a text's own tokens most).
    pub splade_vocab_input_tokens: bool,
    /// At most this many active ids: those with the most weight over the sample first
    /// (faster, loses more of the documents' weight); absent = no cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub splade_vocab_max_ids: Option<usize>,
}

/// The dense scan of `[neural] dense_scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DenseScan {
    /// Every product scored in f32: the reference.
    #[default]
    Exact,
    /// Int8 codes, then the best [`esci_dense::DEFAULT_RESCORE_FACTOR`]·k rescored in f32.
    Int8,
    /// 4-bit codes (half of int8's bytes: 480k × 64 fit in a 32 MiB L3), then the best
    /// [`esci_dense::INT4_RESCORE_FACTOR`]·k rescored in f32.
    Int4,
}

impl DenseScan {
    /// Parses `exact`, `int8` or `int4`.
    pub fn parse(s: &str) -> Option<DenseScan> {
        match s.trim().to_ascii_lowercase().as_str() {
            "exact" => Some(DenseScan::Exact),
            "int8" => Some(DenseScan::Int8),
            "int4" => Some(DenseScan::Int4),
            _ => None,
        }
    }

    /// The search mode for a top-`k` query.
    pub fn mode(self, k: usize) -> esci_dense::SearchMode {
        match self {
            DenseScan::Exact => esci_dense::SearchMode::Exact,
            DenseScan::Int8 => esci_dense::SearchMode::int8(k),
            DenseScan::Int4 => esci_dense::SearchMode::int4(k),
        }
    }
}

impl Default for NeuralSection {
    fn default() -> Self {
        NeuralSection {
            dense: true,
            splade: true,
            text_fields: vec!["title".into(), "brand".into(), "bullets".into()],
            max_length: 128,
            dim: None,
            projection: None,
            dense_scan: DenseScan::Exact,
            runtime: EncoderRuntime::Onnx,
            splade_vocab: SpladeVocab::default(),
            splade_vocab_sample: DEFAULT_VOCAB_SAMPLE,
            splade_vocab_input_tokens: true,
            splade_vocab_max_ids: None,
        }
    }
}

impl NeuralSection {
    /// The text fields, validated.
    pub fn fields(&self) -> Result<Vec<Field>, String> {
        if self.text_fields.is_empty() {
            return Err("neural.text_fields must name at least one field".into());
        }
        self.text_fields
            .iter()
            .map(|name| {
                Field::parse(name).ok_or_else(|| {
                    format!("unknown field {name:?} in neural.text_fields: expected title, brand, color, bullets or description")
                })
            })
            .collect()
    }

    /// Checks every value.
    pub fn validate(&self) -> Result<(), String> {
        self.fields()?;
        if !(8..=512).contains(&self.max_length) {
            return Err(format!(
                "neural.max_length must be in 8..=512, got {}",
                self.max_length
            ));
        }
        if self.dim == Some(0) {
            return Err("neural.dim must be at least 1".into());
        }
        if let Some(name) = &self.projection {
            check_projection_name(name)?;
        }
        if self.splade_vocab_sample == 0 {
            return Err("neural.splade_vocab_sample must be at least 1".into());
        }
        if self.splade_vocab_max_ids == Some(0) {
            return Err("neural.splade_vocab_max_ids must be at least 1".into());
        }
        Ok(())
    }
}

/// A projection name is a file-name-safe word (it names a directory and an index file).
pub(crate) fn check_projection_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match ok {
        true => Ok(()),
        false => Err(format!(
            "projection name {name:?} must be 1-64 letters, digits, '-' or '_'"
        )),
    }
}

/// `[fusion]`: how the retrievers of a strategy are combined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FusionSection {
    /// `rrf` (weighted reciprocal-rank fusion), `minmax` or `zscore` (convex
    /// combination of normalised scores).
    pub method: FusionMethod,
    /// Evaluation re-tunes method parameters (k, weights) per fused strategy on the dev
    /// queries before scoring, and records the search in the run; false = use the
    /// values below as they are.
    pub tune: bool,
    /// RRF rank offset.
    pub k: f32,
    /// Hits each retriever contributes.
    pub depth: usize,
    /// Weight per retriever (`bm25`, `dense`, `splade`); absent means 1.
    pub weights: BTreeMap<String, f32>,
}

/// Defaults chosen on the TRAIN split with `scripts/tune-fusion.sh` (k 20, SPLADE at
/// half weight: train nDCG@20 0.639 vs 0.617 for k 60 with equal weights). Never tuned
/// on test.
impl Default for FusionSection {
    fn default() -> Self {
        FusionSection {
            method: FusionMethod::Rrf,
            tune: true,
            k: 20.0,
            depth: 500,
            weights: BTreeMap::from([
                ("bm25".to_owned(), 1.0),
                ("dense".to_owned(), 1.0),
                ("splade".to_owned(), 0.5),
            ]),
        }
    }
}

impl FusionSection {
    /// RRF parameters keeping `keep` fused hits.
    pub fn rrf(&self, keep: usize) -> RrfParams {
        RrfParams {
            k: self.k,
            depth: self.depth,
            keep,
        }
    }

    /// The weight of a retriever.
    pub fn weight(&self, retriever: &str) -> f32 {
        self.weights.get(retriever).copied().unwrap_or(1.0)
    }

    /// Checks every value.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.k.is_finite() && self.k > 0.0) {
            return Err(format!(
                "fusion.k must be a positive number, got {}",
                self.k
            ));
        }
        if self.depth == 0 {
            return Err("fusion.depth must be at least 1".into());
        }
        for (name, w) in &self.weights {
            if !matches!(name.as_str(), "bm25" | "dense" | "splade") {
                return Err(format!(
                    "unknown retriever {name:?} in [fusion.weights]: expected bm25, dense or splade"
                ));
            }
            if !(w.is_finite() && *w >= 0.0) {
                return Err(format!("fusion weight of {name} must be >= 0, got {w}"));
            }
        }
        Ok(())
    }
}
