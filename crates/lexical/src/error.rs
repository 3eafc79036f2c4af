use std::path::PathBuf;

/// Errors of building, writing and loading a BM25 index.
#[derive(Debug, thiserror::Error)]
pub enum LexicalError {
    /// A parameter is out of range (user error).
    #[error("invalid BM25 parameters: {0}")]
    InvalidParams(String),
    /// The index file does not exist.
    #[error("no BM25 index at {path}: build one with `esci index`")]
    Missing {
        /// Where the index was expected.
        path: PathBuf,
    },
    /// The file is not a valid index (wrong magic, truncated, inconsistent sections).
    #[error("{path} is not a valid BM25 index: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The file was written by another format or analyzer version.
    #[error(
        "{path} was built with {what} version {found}, this build reads version {expected}: rebuild it with `esci index`"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// `format` or `analyzer`.
        what: &'static str,
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
