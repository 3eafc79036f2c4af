//! The SPLADE retriever's inverted index: sparse vectors in, exact top-k out.
//!
//! Documents and queries arrive as sparse vectors `&[(term id, weight)]` over the
//! encoder's vocabulary (the SPLADE encoder itself lives in `esci-models`). Weights are
//! quantised to integers ([`quantize`]), so a document's score is an exact integer dot
//! product and the pruned traversal (MaxScore from a precomputed floor: `bounds.rs`,
//! `taat.rs` for heavy queries, `maxscore.rs` for light ones) returns bit for bit what
//! exhaustive scoring (`exhaustive.rs`) returns. `format.rs` is the versioned,
//! validated on-disk format; [`bench_sparse`] measures it all on synthetic
//! SPLADE-like data (`synth.rs`).
//!
//! ```
//! use esci_sparse::{DocPruning, SparseIndexBuilder};
//!
//! let index = SparseIndexBuilder::new(100, DocPruning::default())
//!     .unwrap()
//!     .build(&[vec![(7, 1.5), (42, 0.25)], vec![(42, 2.0)], vec![(3, 1.0)]])
//!     .unwrap();
//! let hits = index.search(&[(42, 1.0), (7, 0.5)], 10).unwrap();
//! assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![1, 0]);
//! assert!((hits[0].score - 2.0).abs() < 1e-3); // 1.0 × 2.0
//! assert!((hits[1].score - 1.0).abs() < 1e-3); // 0.5 × 1.5 + 1.0 × 0.25
//! assert!(index.search(&[(100, 1.0)], 10).is_err()); // outside the vocabulary
//! ```
//!
//! Measured with `cargo test --release -p esci-sparse --test bench -- --ignored
//! --nocapture` (480,000 synthetic documents, 43 M postings, 500 queries of ~22 terms
//! touching ~580,000 postings each, top-200, a shared 2-core AMD EPYC): build 2.0 s,
//! `search` 0.67 / 1.38 ms p50 / p99 against 0.85 / 1.34 ms exhaustive (figures vary
//! ±20% between runs; BENCHMARKS.md has the latest). On this data pruning is worth
//! little, not multiples: a SPLADE query's expansion terms keep bounds loose, and a
//! dense pass is already fast. Document-at-a-time MaxScore and block-max over
//! 64-document ranges were tried during development and were slower than exhaustive
//! here (almost every range's bound beat the k-th score); neither is kept.
#![deny(missing_docs)]

mod bench;
mod bounds;
mod builder;
mod error;
mod exhaustive;
mod format;
mod index;
mod maxscore;
pub mod quantize;
mod synth;
mod taat;

pub use bench::{
    BenchLatency, SparseBenchOptions, SparseBenchReport, bench_sparse, synthetic_documents,
};
pub use builder::{DocPruning, MAX_VOCAB_SIZE, SparseIndexBuilder};
pub use error::SparseError;
pub use format::FORMAT_VERSION;
pub use index::{SparseIndex, SparseMeta, SparseStats};
