//! Ingestion of ESCI products and judgments, with validation.
//!
//! Reads the official Shopping Queries Dataset files (parquet), or the same columns as
//! JSONL or CSV so that users can bring their own catalog, and turns them into a
//! [`Catalog`]: clean products numbered by dense [`esci_core::DocId`]s and the judgments
//! that point at them.
//!
//! Design choices, each for a reason:
//! - **Streaming**: parquet is read batch by batch, projected onto the columns used, so
//!   the full 1.8M-product official file is decoded once and never held twice. Decoding
//!   and cleaning run on separate threads; checks that depend on earlier rows
//!   (duplicates) run in file order, so results and row numbers are deterministic.
//! - **Clean on the way in**: HTML and entities are removed and whitespace normalised
//!   once here ([`strip_html`], [`normalize_whitespace`], [`normalize_lines`]), so every
//!   index and encoder downstream sees the same text.
//! - **Nothing silently dropped**: a bad file is an [`IngestError`] naming the file,
//!   column or line; a bad row is skipped (or kept) with a counted, located warning in
//!   the [`IngestReport`]. Whatever the input bytes, the result is an error, never a
//!   panic.
//!
//! ```no_run
//! use esci_ingest::{Catalog, EXAMPLES_FILE, PRODUCTS_FILE};
//! use std::path::Path;
//! let dir = Path::new("data/esci");
//! let catalog = Catalog::load(
//!     &dir.join(PRODUCTS_FILE),
//!     Some(&dir.join(EXAMPLES_FILE)),
//!     Some("us"),
//! )?;
//! println!("{} products\n{}", catalog.len(), catalog.report.summary());
//! # Ok::<(), esci_ingest::IngestError>(())
//! ```
#![deny(missing_docs)]

mod catalog;
mod error;
mod format;
mod html;
mod id_map;
mod judgments;
mod parquet_table;
mod products;
mod report;
mod table;
mod text_builder;
mod text_table;
mod whitespace;
mod writer;

pub use catalog::Catalog;
pub use error::IngestError;
pub use format::Format;
pub use html::strip_html;
pub use judgments::read_judgments;
pub use products::read_products;
pub use report::{EXAMPLES_PER_KIND, IngestReport, Warning, WarningKind};
pub use text_builder::TextBuilder;
pub use whitespace::{clean_lines, clean_text, normalize_lines, normalize_whitespace};
pub use writer::write_products_parquet;

/// File name of the official products table.
pub const PRODUCTS_FILE: &str = "shopping_queries_dataset_products.parquet";

/// File name of the official examples (judgments) table.
pub const EXAMPLES_FILE: &str = "shopping_queries_dataset_examples.parquet";
