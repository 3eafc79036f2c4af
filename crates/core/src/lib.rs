//! Core vocabulary of esci-search, shared by every pipeline stage.
//!
//! This crate has no ML dependencies and no IO beyond [`atomic_file`], the one
//! crash-safe write every artifact goes through. Every other crate depends on it,
//! never the reverse. It holds the data model ([`Product`], [`Judgment`],
//! [`EsciLabel`]), the result type of retrieval ([`Hit`]) and the one read trait
//! every retriever implements ([`Retriever`]).
//!
//! ```
//! use esci_core::{EsciLabel, Hit};
//! assert_eq!(EsciLabel::Substitute.gain(), 0.1);
//! let mut hits = vec![Hit::new(3, 1.0), Hit::new(1, 2.0), Hit::new(2, 2.0)];
//! esci_core::sort_hits(&mut hits);
//! assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![1, 2, 3]);
//! ```
#![deny(missing_docs)]

pub mod atomic_file;
mod field;
mod hit;
pub mod int8;
pub mod isa;
mod judgment;
pub mod postings;
mod product;
mod query_set;
mod retriever;
pub mod rng;
pub mod topk;

pub use field::Field;
pub use hit::{Hit, sort_hits};
pub use judgment::{EsciLabel, Judgment, Split};
pub use product::Product;
pub use query_set::{DEV_FRACTION, QuerySet, is_dev_query};
pub use retriever::{RetrieveError, Retriever};

/// Dense internal document id: the position of a product in the corpus, `0..n`.
///
/// `u32` bounds the corpus at 4 billion products (the full ESCI set has 1.8 million)
/// and halves the size of postings compared with `usize`.
pub type DocId = u32;
