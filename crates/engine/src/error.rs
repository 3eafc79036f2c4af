use std::path::PathBuf;

/// Everything that can stop a pipeline step. User errors (bad config, bad data, a
/// missing or stale index) carry a message that says what to do about them.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A configuration value is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The catalog or judgments could not be read.
    #[error(transparent)]
    Ingest(#[from] esci_ingest::IngestError),
    /// The BM25 index could not be built, written or loaded.
    #[error(transparent)]
    Lexical(#[from] esci_lexical::LexicalError),
    /// A model could not be installed (boxed: the error is large and rare).
    #[error(transparent)]
    Fetch(Box<esci_models::fetch::FetchError>),
    /// A model could not be loaded or run.
    #[error(transparent)]
    Model(#[from] esci_models::ModelError),
    /// The dense index could not be built, written or loaded.
    #[error(transparent)]
    Dense(#[from] esci_dense::DenseError),
    /// The SPLADE index could not be built, written or loaded.
    #[error(transparent)]
    Sparse(#[from] esci_sparse::SparseError),
    /// A projection could not be fitted, trained, saved or loaded.
    #[error(transparent)]
    Train(#[from] esci_train::TrainError),
    /// A retriever failed on a query.
    #[error(transparent)]
    Retrieve(#[from] esci_core::RetrieveError),
    /// The artifacts are missing or do not belong to this catalog/configuration.
    #[error("{0}")]
    Artifacts(String),
    /// The request cannot be served with the data at hand (e.g. no queries in a split).
    #[error("{0}")]
    Input(String),
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl From<esci_models::fetch::FetchError> for EngineError {
    fn from(e: esci_models::fetch::FetchError) -> Self {
        EngineError::Fetch(Box::new(e))
    }
}

impl EngineError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
        move |source| EngineError::Io {
            path: path.to_owned(),
            source,
        }
    }
}
