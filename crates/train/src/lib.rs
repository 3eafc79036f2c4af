//! Training of esci-search: learned projections that make a short Matryoshka prefix
//! of a frozen dense encoder's embeddings keep recall.
//!
//! The encoder stays frozen; its embeddings are computed once (products are already in
//! the dense index) and a linear map is fitted on top:
//! - [`pca`]: the rotation onto the principal axes of the product embeddings (no
//!   labels), so the first d components carry the most variance;
//! - [`adapter`]: a linear map initialised from identity or PCA and trained with the
//!   Matryoshka ranking loss ([`loss`]) on (query, relevant product) pairs
//!   ([`pairs`]), plus a term that keeps product-to-product cosines.
//!
//! [`rerank`] trains the cross-encoder reranker (a BERT fine-tuned on graded
//! judgments) on the same fit/dev carve; [`biencoder`] fine-tunes the dense encoder
//! itself with the Matryoshka ranking loss. Both take their trainable BERT from
//! [`bert_params`].
//!
//! Either result is a [`Projection`], applied to query and product vectors alike and
//! saved with the fingerprint of the model it was fitted for, so it is never applied
//! to another model's vectors.
#![deny(missing_docs)]

pub mod adapter;
mod batch;
pub mod bert_params;
pub mod biencoder;
pub mod dev;
pub mod eigen;
mod error;
mod format;
pub mod loss;
pub mod pairs;
pub mod pca;
mod projection;
pub mod rerank;
mod steps;
mod trainer;

pub use error::TrainError;
pub use projection::Projection;
