//! BM25F lexical retrieval: an inverted index of our own in CSR form, with exact
//! MaxScore top-k, an exhaustive oracle, and a versioned on-disk format.
//!
//! ```
//! use esci_core::{Product, Retriever};
//! use esci_lexical::{Bm25Params, IndexBuilder};
//! use esci_text::AnalyzerConfig;
//!
//! let products = vec![
//!     Product { id: "a".into(), title: "20V Cordless Drill".into(), ..Default::default() },
//!     Product { id: "b".into(), title: "Garden hose, 50 ft".into(), ..Default::default() },
//! ];
//! let index = IndexBuilder::new(Bm25Params::default(), AnalyzerConfig::default())
//!     .unwrap()
//!     .build(&products, &|_| {});
//! let hits = index.search("cordless drill 20v", 10).unwrap();
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].doc, 0);
//! ```
#![deny(missing_docs)]

mod builder;
mod error;
mod exhaustive;
mod format;
mod index;
mod maxscore;
mod params;

pub use builder::IndexBuilder;
pub use error::LexicalError;
pub use format::FORMAT_VERSION;
pub use index::{Bm25Index, IMPACT_SCALE, IndexMeta, IndexStats};
pub use params::Bm25Params;
