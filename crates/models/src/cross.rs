//! Cross-encoder: BERT reads a (query, document) pair jointly and a linear head scores it.
//!
//! `score = w · pooled + b`, where `pooled` is the mean of the token vectors when the
//! checkpoint's `config.json` says `"cross_pooling": "mean"` (what `esci train
//! reranker` writes: a MiniLM cut to its first layers has a barely contextualised
//! `[CLS]`), else the pooler output (`tanh(W · h[CLS])`) when the checkpoint has a
//! pooler, else the raw `[CLS]` vector. No pretrained reranker can be fetched here, so
//! the head usually starts untrained: see [`CrossEncoder::is_trained`].

use crate::bert::BertModel;
use crate::error::{ModelError, Result};
use crate::tokenize::{Batch, TextTokenizer, map_in_buckets};
use crate::weights::{Weights, require_file};
use candle_core::{Device, Tensor};
use candle_nn::Init;
use std::path::Path;

/// How to read a cross-encoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossOptions {
    /// Longest pair in tokens, special tokens included; the longer side is truncated
    /// first.
    pub max_length: usize,
    /// Pairs per forward pass.
    pub batch_size: usize,
}

impl Default for CrossOptions {
    fn default() -> CrossOptions {
        CrossOptions {
            max_length: 128,
            batch_size: 32,
        }
    }
}

/// Where the scoring head came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadSource {
    /// `classifier.weight`/`classifier.bias` of the checkpoint.
    Checkpoint,
    /// Given by the caller ([`CrossEncoder::with_head`]).
    Supplied,
    /// A fresh zero head: every pair scores 0.
    Untrained,
}

/// A loaded cross-encoder.
pub struct CrossEncoder {
    bert: BertModel,
    tokenizer: TextTokenizer,
    /// `[hidden, 1]`.
    head_weight: Tensor,
    head_bias: f32,
    head_source: HeadSource,
    options: CrossOptions,
    mean_pooling: bool,
}

/// Whether the `config.json` at `path` asks for mean pooling (`"cross_pooling":
/// "mean"`); any other value is an error, an absent key means the pooler or `[CLS]`.
/// Every runtime of the cross-encoder reads the pooling here.
pub fn reads_mean_pooling(path: &Path) -> Result<bool> {
    let value: serde_json::Value = crate::weights::read_json(path)?;
    match value.get("cross_pooling").and_then(|v| v.as_str()) {
        None => Ok(false),
        Some("mean") => Ok(true),
        Some("cls") => Ok(false),
        Some(other) => Err(ModelError::Unsupported {
            path: path.to_path_buf(),
            reason: format!("cross_pooling {other:?} is not \"mean\" or \"cls\""),
        }),
    }
}

impl std::fmt::Debug for CrossEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrossEncoder")
            .field("bert", &self.bert)
            .field("head_source", &self.head_source)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl CrossEncoder {
    /// Loads BERT from `model_dir` (`config.json`, `model.safetensors`,
    /// `tokenizer.json`) and the head from `classifier.weight`/`classifier.bias` when the
    /// checkpoint has them (a `[1, hidden]` head). Otherwise the head is fresh and
    /// **scores are meaningless until a reranker is trained** (`esci train reranker`,
    /// not yet written); check [`CrossEncoder::is_trained`].
    pub fn load(model_dir: &Path, options: CrossOptions) -> Result<CrossEncoder> {
        let config_path = require_file(model_dir, "config.json")?;
        let config = crate::config::BertConfig::from_file(&config_path)?;
        let mean_pooling = reads_mean_pooling(&config_path)?;
        let weights = Weights::open(&require_file(model_dir, "model.safetensors")?)?;
        let bert = BertModel::new(&weights, &config)?;
        bert.check_encoder_options(options.max_length, options.batch_size)?;
        let tokenizer = TextTokenizer::from_file(
            &require_file(model_dir, "tokenizer.json")?,
            options.max_length,
        )?;
        let h = config.hidden_size;
        let (head_weight, head_bias, head_source) = if weights.contains("classifier.weight") {
            let c = weights.pp("classifier");
            let w = c
                .get(&[1, h], "weight", Init::Const(0.0))?
                .t()?
                .contiguous()?;
            let b = c.get(&[1], "bias", Init::Const(0.0))?.to_vec1::<f32>()?[0];
            (w, b, HeadSource::Checkpoint)
        } else {
            (
                Tensor::zeros((h, 1), candle_core::DType::F32, &Device::Cpu)?,
                0.0,
                HeadSource::Untrained,
            )
        };
        Ok(CrossEncoder {
            bert,
            tokenizer,
            head_weight,
            head_bias,
            head_source,
            options,
            mean_pooling,
        })
    }

    /// Replaces the head with `weights` (one per hidden unit) and `bias`, e.g. a head
    /// trained elsewhere or a fixed one that pins scores in tests.
    pub fn with_head(mut self, weights: Vec<f32>, bias: f32) -> Result<CrossEncoder> {
        let h = self.bert.hidden_size();
        if weights.len() != h {
            return Err(ModelError::InvalidArgument(format!(
                "head has {} weights, the model's hidden size is {h}",
                weights.len()
            )));
        }
        if !bias.is_finite() || weights.iter().any(|w| !w.is_finite()) {
            return Err(ModelError::InvalidArgument(
                "head weights must be finite".into(),
            ));
        }
        self.head_weight = Tensor::from_vec(weights, (h, 1), &Device::Cpu)?;
        self.head_bias = bias;
        self.head_source = HeadSource::Supplied;
        Ok(self)
    }

    /// Whether the head was loaded or supplied. `false` means a fresh head whose
    /// scores carry no relevance signal.
    pub fn is_trained(&self) -> bool {
        self.head_source != HeadSource::Untrained
    }

    /// Where the head came from.
    pub fn head_source(&self) -> HeadSource {
        self.head_source
    }

    /// Whether the pooler (rather than the raw `[CLS]` vector or the token mean) feeds
    /// the head.
    pub fn uses_pooler(&self) -> bool {
        !self.mean_pooling && self.bert.has_pooler()
    }

    /// Whether the mean of the token vectors feeds the head.
    pub fn uses_mean_pooling(&self) -> bool {
        self.mean_pooling
    }

    /// The options the encoder was loaded with.
    pub fn options(&self) -> &CrossOptions {
        &self.options
    }

    /// The tokenizer (to inspect pair encodings).
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// One score per (query, document) pair, in input order; higher is more relevant.
    pub fn score(&self, pairs: &[(&str, &str)]) -> Result<Vec<f32>> {
        let encoded = self.tokenizer.encode_pairs(pairs)?;
        map_in_buckets(
            &encoded,
            self.tokenizer.pad_id(),
            self.options.batch_size,
            |batch| self.score_batch(batch),
        )
    }

    fn score_batch(&self, batch: &Batch) -> Result<Vec<f32>> {
        let hidden = self.bert.forward(
            &batch.input_ids,
            &batch.token_type_ids,
            &batch.attention_mask,
        )?;
        let pooled = if self.mean_pooling {
            crate::dense::mean_pool(&hidden, &batch.attention_mask)?
        } else {
            match self.bert.pool(&hidden)? {
                Some(p) => p,
                None => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            }
        };
        let scores = pooled
            .matmul(&self.head_weight)?
            .affine(1.0, f64::from(self.head_bias))?
            .squeeze(1)?;
        Ok(scores.to_vec1()?)
    }
}

impl crate::encoder::PairScorer for CrossEncoder {
    fn score(&self, pairs: &[(&str, &str)]) -> Result<Vec<f32>> {
        CrossEncoder::score(self, pairs)
    }
    fn is_trained(&self) -> bool {
        CrossEncoder::is_trained(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(extra: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, format!("{{\"hidden_size\": 8{extra}}}")).unwrap();
        (dir, path)
    }

    #[test]
    fn cross_pooling_is_read_from_the_config() {
        let (_d, p) = config_with(", \"cross_pooling\": \"mean\"");
        assert!(reads_mean_pooling(&p).unwrap());
        let (_d, p) = config_with("");
        assert!(!reads_mean_pooling(&p).unwrap());
        let (_d, p) = config_with(", \"cross_pooling\": \"cls\"");
        assert!(!reads_mean_pooling(&p).unwrap());
        let (_d, p) = config_with(", \"cross_pooling\": \"max\"");
        let err = reads_mean_pooling(&p).unwrap_err().to_string();
        assert!(err.contains("max"), "{err}");
    }
}
