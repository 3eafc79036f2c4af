use std::path::PathBuf;

/// Errors of building, querying, writing and loading a dense index.
#[derive(Debug, thiserror::Error)]
pub enum DenseError {
    /// The vectors handed to [`crate::DenseIndex::new`] do not form a valid matrix.
    #[error("invalid dense vectors: {0}")]
    InvalidVectors(String),
    /// A vector component is NaN or infinite.
    #[error("vector {doc} has a non-finite value at component {component}")]
    NonFinite {
        /// Row of the offending vector.
        doc: usize,
        /// Position of the value within the row.
        component: usize,
    },
    /// A Matryoshka prefix outside `1..=D` was asked for.
    #[error("cannot view {requested} dimensions of a {full}-dimensional index")]
    InvalidViewDim {
        /// The prefix length asked for.
        requested: usize,
        /// The stored dimension D.
        full: usize,
    },
    /// A query vector has neither the view's dimension nor the index's full one.
    #[error("query has {found} components; this view takes {view} (or the full {full})")]
    DimensionMismatch {
        /// Components in the query.
        found: usize,
        /// The view's prefix length d.
        view: usize,
        /// The index's full dimension D.
        full: usize,
    },
    /// The query vector is unusable (non-finite values, or a zero prefix).
    #[error("invalid query vector: {0}")]
    InvalidQuery(String),
    /// `score_docs` was asked about a document the index does not hold.
    #[error("document {doc} is out of range (the index holds {len})")]
    DocOutOfRange {
        /// The requested id.
        doc: u32,
        /// Number of documents.
        len: usize,
    },
    /// The index was embedded by another model than the one encoding queries.
    #[error(
        "dense index was built with model {index:?} but queries come from {query:?}: rebuild it with `esci index`"
    )]
    ModelMismatch {
        /// Fingerprint stored in the index.
        index: String,
        /// Fingerprint of the query encoder.
        query: String,
    },
    /// The index file does not exist.
    #[error("no dense index at {path}: build one with `esci index`")]
    Missing {
        /// Where the index was expected.
        path: PathBuf,
    },
    /// The file is not a valid dense index (wrong magic, truncated, bad checksum, ...).
    #[error("{path} is not a valid dense index: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The file was written by another format version.
    #[error(
        "{path} has dense format version {found}, this build reads version {expected}: rebuild it with `esci index`"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Version this build understands.
        expected: u32,
    },
    /// Reading or writing failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}
