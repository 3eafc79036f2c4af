//! [`OnnxSpladeEncoder`]: `esci_models::SpladeEncoder` on ONNX Runtime.
//!
//! The graph returns `max over real tokens of relu(logits)` for the whole vocabulary;
//! `log1p` and pruning happen here on the non-zero entries only, exactly as the candle
//! encoder does them, so both produce the same [`SparseVector`]s.

use crate::batch::{Inputs, map_in_buckets};
use crate::bert_graph::Head;
use crate::common::Loaded;
use crate::error::{OnnxError, Result};
use crate::options::OnnxOptions;
use esci_models::{SparseVector, SpladeOptions, TextTokenizer};
use std::path::Path;

/// Most texts one SPLADE run takes, whatever `batch_size` asks for. The decoder's
/// `[batch, seq, vocab]` logits (30522 wide: ~37 MB for 8 texts of 38 tokens) are read
/// again by the mask, the max and written by the matmul, so a batch must stay near
/// the cache: measured with `esci bench encoders --runtime onnx,onnx-int8` on the
/// product texts, int8 SPLADE ran 335 docs/s at batch 32 and 712 at batch 8 (611 at 4,
/// 469 at 1, where per-call overhead dominates).
pub const MAX_SPLADE_BATCH: usize = 8;

/// A loaded SPLADE encoder on ONNX Runtime. `Send + Sync`: sessions are pooled.
#[derive(Debug)]
pub struct OnnxSpladeEncoder {
    loaded: Loaded,
    vocabulary: Vec<String>,
    options: SpladeOptions,
}

impl OnnxSpladeEncoder {
    /// Loads a `BertForMaskedLM` directory (decoder tied to the word embeddings unless
    /// the checkpoint has its own) and a session pool over its graph.
    pub fn load(model_dir: &Path, options: SpladeOptions, onnx: &OnnxOptions) -> Result<Self> {
        if options.min_weight.is_nan() || options.min_weight < 0.0 {
            return Err(OnnxError::InvalidArgument(format!(
                "min_weight {} must be a number >= 0",
                options.min_weight
            )));
        }
        let loaded = Loaded::new(
            model_dir,
            Head::Splade,
            options.max_length,
            options.batch_size,
            onnx,
        )?;
        let mut vocabulary = loaded.tokenizer.vocabulary();
        let v = loaded.config.vocab_size;
        vocabulary.resize(v.max(vocabulary.len()), String::new());
        Ok(OnnxSpladeEncoder {
            loaded,
            vocabulary,
            options,
        })
    }

    /// The options the encoder was loaded with.
    pub fn options(&self) -> &SpladeOptions {
        &self.options
    }

    /// The tokenizer (to inspect ids).
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.loaded.tokenizer
    }

    /// The graph file the sessions run.
    pub fn graph(&self) -> &Path {
        self.loaded.pool.graph()
    }

    /// Vocabulary size: term ids are below it.
    pub fn vocab_size(&self) -> usize {
        self.loaded.config.vocab_size
    }

    /// The WordPiece token of a term id, for display (`None` outside the vocabulary).
    pub fn token(&self, id: u32) -> Option<&str> {
        self.vocabulary.get(id as usize).map(String::as_str)
    }

    /// Sparse vectors of `texts`, in input order (queries and documents alike), in
    /// batches of at most [`MAX_SPLADE_BATCH`] texts.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<SparseVector>> {
        let encoded = self.loaded.tokenizer.encode_all(texts, None)?;
        let pad = self.loaded.tokenizer.pad_id();
        map_in_buckets(
            &encoded,
            self.options.batch_size.min(MAX_SPLADE_BATCH),
            &self.loaded.pool,
            |s, members| {
                let rows = Inputs::new(members, pad, false)?.run(s, Head::Splade.output())?;
                Ok(rows
                    .iter()
                    .map(|r| {
                        SparseVector::from_activations(
                            r,
                            self.options.top_k,
                            self.options.min_weight,
                        )
                    })
                    .collect())
            },
        )
    }
}

impl esci_models::SparseTextEncoder for OnnxSpladeEncoder {
    fn vocab_size(&self) -> usize {
        OnnxSpladeEncoder::vocab_size(self)
    }
    fn encode(&self, texts: &[&str]) -> esci_models::Result<Vec<SparseVector>> {
        Ok(OnnxSpladeEncoder::encode(self, texts)?)
    }
}
