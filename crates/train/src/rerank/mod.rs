//! The cross-encoder reranker: a pretrained BERT (optionally cut to its first layers)
//! with a fresh scoring head, fine-tuned on ESCI's graded judgments of the fit queries
//! and chosen on the dev queries.
//!
//! - [`data`]: judged lists tokenised once, gains as targets;
//! - [`loss`]: pointwise BCE toward the gains, listwise softmax cross-entropy;
//! - [`model`]: the trainable model, frozen lower layers as plain tensors, checkpoint
//!   in the layout `esci_models::CrossEncoder` loads;
//! - [`trainer`]: the seeded AdamW loop with dev early stopping and a time budget.

pub mod data;
pub mod loss;
pub mod model;
pub mod trainer;

pub use data::{RerankData, TextList, TokenizedList};
pub use model::{Freeze, FrozenCross, TrainableCross};
pub use trainer::{RerankConfig, RerankLoss, RerankReport, train_reranker};
