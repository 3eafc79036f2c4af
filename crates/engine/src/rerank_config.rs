//! `[rerank]`: the cross-encoder stage after fusion.

use crate::config::ModelsConfig;
use crate::encoder_runtime::EncoderRuntime;
use crate::rerank_combine::{Combination, CombineMethod};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[rerank]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RerankSection {
    /// Rerank the fused list in `esci search` and `esci eval` (flag `--rerank N` turns it
    /// on for one command).
    pub enabled: bool,
    /// The trained reranker: a directory name inside `[models] dir`, or any path
    /// (`esci train reranker` writes it).
    pub model: PathBuf,
    /// How many of the first stage's top hits are rescored (50, 100 or 200: more costs
    /// time linearly).
    pub depth: usize,
    /// Longest (query, product) pair in tokens (the default matches `esci train
    /// reranker`'s).
    pub max_length: usize,
    /// Pairs per forward pass.
    pub batch_size: usize,
    /// What runs the cross-encoder (`candle`, `onnx`, `onnx-int8`); absent: `[neural]
    /// runtime`. Default `onnx-int8`: on dev it reranked as well as fp32 (nDCG@20 0.6441
    /// vs 0.6448 at N = 50) at about twice the queries per second (BENCHMARKS.md,
    /// "Reranker").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<EncoderRuntime>,
    /// How the cross-encoder's ranking is combined with the first stage's: `rrf` or
    /// `minmax` (see `weight`).
    pub combine: CombineMethod,
    /// The cross-encoder's share of the final score, 0..=1: 0 keeps the first stage's
    /// order, 1 is the cross-encoder alone. `esci eval` tunes it on dev (unless `tune`
    /// is off) and search serves the tuned value; this one (the dev choice for the
    /// default reranker, int8, N = 50) serves until then.
    pub weight: f32,
    /// RRF k of the `rrf` combination.
    pub k: f32,
    /// Let `esci eval` choose `combine`, `weight` and `k` on the dev queries.
    pub tune: bool,
}

impl Default for RerankSection {
    fn default() -> Self {
        RerankSection {
            enabled: false,
            model: "reranker".into(),
            depth: 50,
            max_length: 48,
            batch_size: 32,
            runtime: Some(EncoderRuntime::OnnxInt8),
            combine: CombineMethod::Rrf,
            weight: 0.25,
            k: 10.0,
            tune: true,
        }
    }
}

impl RerankSection {
    /// Directory of the reranker model.
    pub fn model_dir(&self, models: &ModelsConfig) -> PathBuf {
        models.dir.join(&self.model)
    }

    /// The configured combination.
    pub fn combination(&self) -> Combination {
        Combination {
            method: self.combine,
            weight: self.weight,
            k: self.k,
        }
    }

    /// Checks the values, naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if self.depth == 0 || self.depth > 1000 {
            return Err(format!(
                "rerank.depth must be in 1..=1000, got {}",
                self.depth
            ));
        }
        if self.max_length < 8 || self.max_length > 512 {
            return Err(format!(
                "rerank.max_length must be in 8..=512, got {}",
                self.max_length
            ));
        }
        if self.batch_size == 0 {
            return Err("rerank.batch_size must be at least 1".into());
        }
        self.combination().validate()
    }
}
