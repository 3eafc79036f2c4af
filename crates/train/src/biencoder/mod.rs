//! Fine-tuning the dense bi-encoder itself (the reference system's method): one BERT
//! encodes queries and products (shared weights), trained with MultipleNegativesRanking
//! (in-batch negatives, optionally one mined hard negative per pair) summed over the
//! Matryoshka prefixes [384, 256, 128, 64, 32] ([`crate::loss::matryoshka_mnrl`]).
//!
//! - [`data`]: tokenised fit pairs, hard negatives and the dev pool;
//! - [`model`]: the trainable encoder (mean pooling, frozen lower layers as plain
//!   tensors), optionally followed by a fixed linear map (the PCA rotation of the base
//!   model's products) so training starts from an ordering whose short prefixes already
//!   keep recall; checkpoint in the layout `esci_models::DenseEncoder` loads;
//! - [`trainer`]: the seeded AdamW loop with a dev proxy, early stopping and a time
//!   budget.

pub mod data;
pub mod model;
pub mod trainer;

pub use data::{BiEncoderData, BiEncoderTexts, DevPool};
pub use model::{FrozenBiEncoder, TrainableBiEncoder};
pub use trainer::{
    BiEncoderConfig, BiEncoderReport, DevPoint, dev_recall, train_bi_encoder, train_bi_encoder_with,
};
