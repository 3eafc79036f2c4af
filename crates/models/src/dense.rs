//! Dense bi-encoder (sentence-transformers style): BERT, pooling, L2 normalisation.
//!
//! Vectors are unit length, so cosine similarity is a dot product and the vector index
//! can be a plain inner-product scan. Texts are tokenised first and batched by length
//! ([`crate::tokenize::length_buckets`]): padding to the longest of a batch of similar
//! texts wastes almost nothing, while a random batch pads every text to the longest.
//!
//! Batches run one after another: candle's matmuls already use every core (gemm on the
//! rayon pool), and running two batches at once on rayon was not faster on 2 cores
//! when tried (`esci bench encoders` measures the current docs/s).

use crate::bert::BertModel;
use crate::error::{ModelError, Result};
use crate::tokenize::{Batch, TextTokenizer, map_in_buckets};
use crate::weights::read_json;
use candle_core::{D, DType, Tensor};
use serde::Deserialize;
use std::path::Path;

/// How to read a dense model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenseOptions {
    /// Longest input in tokens, special tokens included (MiniLM was trained at 128;
    /// 64 covers most product titles, and cost grows with length).
    pub max_length: usize,
    /// Prepended to every query (e5-style models want `"query: "`; MiniLM wants none).
    pub query_prefix: Option<String>,
    /// Prepended to every document.
    pub document_prefix: Option<String>,
    /// Texts per forward pass.
    pub batch_size: usize,
}

impl Default for DenseOptions {
    fn default() -> DenseOptions {
        DenseOptions {
            max_length: 128,
            query_prefix: None,
            document_prefix: None,
            batch_size: 32,
        }
    }
}

/// How token vectors become one text vector (`1_Pooling/config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Average of the unpadded token vectors.
    Mean,
    /// The `[CLS]` vector.
    Cls,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

impl Pooling {
    /// Reads `1_Pooling/config.json` of a sentence-transformers directory; mean pooling
    /// when the file is absent. Exactly one of mean or CLS must be enabled.
    pub fn from_model_dir(dir: &Path) -> Result<Pooling> {
        let path = dir.join("1_Pooling").join("config.json");
        if !path.is_file() {
            return Ok(Pooling::Mean);
        }
        let c: PoolingConfig = read_json(&path)?;
        match (
            c.pooling_mode_mean_tokens,
            c.pooling_mode_cls_token,
            c.pooling_mode_max_tokens || c.pooling_mode_mean_sqrt_len_tokens,
        ) {
            (true, false, false) => Ok(Pooling::Mean),
            (false, true, false) => Ok(Pooling::Cls),
            _ => Err(ModelError::Unsupported {
                path,
                reason: "pooling must be exactly one of mean or CLS".into(),
            }),
        }
    }
}

/// A loaded dense encoder.
pub struct DenseEncoder {
    bert: BertModel,
    tokenizer: TextTokenizer,
    pooling: Pooling,
    options: DenseOptions,
}

impl std::fmt::Debug for DenseEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DenseEncoder")
            .field("bert", &self.bert)
            .field("pooling", &self.pooling)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl DenseEncoder {
    /// Loads `config.json`, `model.safetensors`, `tokenizer.json` and the pooling
    /// configuration from `model_dir`.
    pub fn load(model_dir: &Path, options: DenseOptions) -> Result<DenseEncoder> {
        let bert = BertModel::load(model_dir)?;
        bert.check_encoder_options(options.max_length, options.batch_size)?;
        let tokenizer = TextTokenizer::from_file(
            &crate::weights::require_file(model_dir, "tokenizer.json")?,
            options.max_length,
        )?;
        let pooling = Pooling::from_model_dir(model_dir)?;
        Ok(DenseEncoder {
            bert,
            tokenizer,
            pooling,
            options,
        })
    }

    /// Dimension of the vectors.
    pub fn dim(&self) -> usize {
        self.bert.hidden_size()
    }

    /// The pooling in use.
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// The options the encoder was loaded with.
    pub fn options(&self) -> &DenseOptions {
        &self.options
    }

    /// The tokenizer (to count tokens or inspect ids).
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// Unit vectors of `queries` (with the query prefix), in input order.
    pub fn encode_queries(&self, queries: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.encode(queries, self.options.query_prefix.as_deref())
    }

    /// Unit vectors of `documents` (with the document prefix), in input order.
    pub fn encode_documents(&self, documents: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.encode(documents, self.options.document_prefix.as_deref())
    }

    fn encode(&self, texts: &[&str], prefix: Option<&str>) -> Result<Vec<Vec<f32>>> {
        let encoded = self.tokenizer.encode_all(texts, prefix)?;
        map_in_buckets(
            &encoded,
            self.tokenizer.pad_id(),
            self.options.batch_size,
            |batch| self.embed_batch(batch),
        )
    }

    fn embed_batch(&self, batch: &Batch) -> Result<Vec<Vec<f32>>> {
        let hidden = self.bert.forward(
            &batch.input_ids,
            &batch.token_type_ids,
            &batch.attention_mask,
        )?;
        let pooled = match self.pooling {
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Mean => mean_pool(&hidden, &batch.attention_mask)?,
        };
        Ok(l2_normalize(&pooled)?.to_vec2()?)
    }
}

/// Mean of the token vectors where `mask` is 1: `[batch, seq, h]` → `[batch, h]`.
pub fn mean_pool(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(D::Minus1)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    // sentence-transformers clamps the count at 1e-9; a batch row always has [CLS].
    let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
    summed.broadcast_div(&counts)
}

/// Rows scaled to unit length (a zero row stays zero).
pub(crate) fn l2_normalize(x: &Tensor) -> candle_core::Result<Tensor> {
    let norms = x
        .sqr()?
        .sum_keepdim(D::Minus1)?
        .sqrt()?
        .clamp(1e-12, f64::MAX)?;
    x.broadcast_div(&norms)
}
