//! The dense retriever's index: exact and int8-quantised top-k scans over
//! Matryoshka-truncatable embeddings. It takes query *vectors*; the encoder that
//! makes them lives in `esci-models`.
//!
//! A [`DenseIndex`] stores N unit vectors at the model's full dimension D and its
//! model fingerprint; [`DenseIndex::view`] cuts every vector to its first d
//! components and re-normalises (the Matryoshka view), materialised once so the scan
//! streams one contiguous matrix. A [`DenseView`] answers exact top-k with a
//! multi-threaded f32 scan, or ([`SearchMode::Int8`]) scans int8 codes and rescores
//! the best candidates in f32. Ties rank by [`esci_core::Hit::rank_order`].
//!
//! ```
//! use esci_dense::{DenseIndex, SearchMode};
//! let vectors = vec![
//!     1.0, 0.0, 0.0, 0.0, //
//!     0.6, 0.8, 0.0, 0.0, //
//!     0.0, 0.0, 1.0, 0.0,
//! ];
//! let index = DenseIndex::new(vectors, 4, "minilm@abc").unwrap();
//! let view = index.view(2).unwrap(); // first two components, re-normalised
//! let hits = view.search(&[1.0, 0.2, 9.0, 9.0], 2).unwrap(); // full-D query: cut too
//! assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![0, 1]);
//! let same = view.search_with(&[1.0, 0.2], 2, SearchMode::int8(2)).unwrap();
//! assert_eq!(same, hits);
//! ```
#![deny(missing_docs)]

mod bench;
mod error;
mod format;
mod index;
mod kernel;
mod quant;
mod quant4;
mod scan;
mod search;
mod simd;
mod synthetic;
mod topk;
mod view;

pub use bench::{Latency, ScanBenchReport, bench_scan, bench_view};
pub use error::DenseError;
pub use format::FORMAT_VERSION;
pub use index::{DenseIndex, MAX_DIM};
pub use kernel::{dot_f32, normalise};
pub use search::{DEFAULT_RESCORE_FACTOR, INT4_RESCORE_FACTOR, SearchMode};
pub use simd::{Isa, active_isa};
pub use synthetic::{SplitMix64, synthetic_unit_vectors};
pub use view::DenseView;

#[cfg(test)]
mod tests {
    /// The engine shares one loaded view between query threads.
    #[test]
    fn index_and_views_are_shareable_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<crate::DenseIndex>();
        send_sync::<crate::DenseView>();
    }
}
