use std::path::PathBuf;

/// Errors of building, querying, writing and loading a sparse index.
#[derive(Debug, thiserror::Error)]
pub enum SparseError {
    /// A builder setting is out of range (user error).
    #[error("invalid sparse index configuration: {0}")]
    InvalidConfig(String),
    /// A sparse vector names a term outside the vocabulary: the vector comes from a
    /// model with a different vocabulary, or is damaged.
    #[error("term id {term} is outside the vocabulary of {vocab_size} terms")]
    TermOutOfRange {
        /// The offending term id.
        term: u32,
        /// Terms the index knows (`0..vocab_size`).
        vocab_size: u32,
    },
    /// A sparse vector holds a NaN, infinite or negative weight; pruning bounds assume
    /// every contribution is non-negative.
    #[error("term {term} has weight {weight}: weights must be finite and non-negative")]
    InvalidWeight {
        /// The term carrying the weight.
        term: u32,
        /// The offending weight.
        weight: f32,
    },
    /// A document vector was rejected; `doc` is the id it would have had.
    #[error("document {doc}: {source}")]
    Document {
        /// Doc id of the rejected document.
        doc: u32,
        /// Why it was rejected.
        source: Box<SparseError>,
    },
    /// More documents than doc ids can name.
    #[error("a sparse index holds at most {max} documents")]
    TooManyDocs {
        /// The limit.
        max: u32,
    },
    /// `score_docs` was asked about a document the index does not hold.
    #[error("document {doc} is not in the index ({num_docs} documents)")]
    DocOutOfRange {
        /// The requested doc id.
        doc: u32,
        /// Documents in the index.
        num_docs: u32,
    },
    /// The index file does not exist.
    #[error("no SPLADE index at {path}: build one with `esci index`")]
    Missing {
        /// Where the index was expected.
        path: PathBuf,
    },
    /// The file is not a valid sparse index (wrong magic, truncated, inconsistent).
    #[error("{path} is not a valid SPLADE index: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The file was written by another format version.
    #[error(
        "{path} was written with format version {found}, this build reads version {expected}: rebuild it with `esci index`"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Version this build understands.
        expected: u32,
    },
    /// The index was encoded by another model than the one that would encode queries.
    #[error(
        "{path} was built with model {found:?}, queries would be encoded by {expected:?}: rebuild it with `esci index`"
    )]
    ModelMismatch {
        /// The file.
        path: PathBuf,
        /// Fingerprint stored in the file.
        found: String,
        /// Fingerprint the caller expected.
        expected: String,
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
