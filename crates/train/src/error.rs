use std::path::PathBuf;

/// Everything that can stop fitting, training, saving or loading a projection.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The inputs (vectors, pairs, options) cannot be used; the message says why.
    #[error("invalid training input: {0}")]
    Invalid(String),
    /// A projection fitted for one encoder was offered vectors of another.
    #[error(
        "projection {name:?} was trained for the dense model with fingerprint {projection_model}, but the configured dense model has fingerprint {model}: retrain it with `esci train dense`"
    )]
    ModelMismatch {
        /// Name of the projection.
        name: String,
        /// The model fingerprint recorded in the projection.
        projection_model: String,
        /// The fingerprint of the model at hand.
        model: String,
    },
    /// The file does not exist.
    #[error("no projection at {path}: train one with `esci train dense`")]
    Missing {
        /// Where it was expected.
        path: PathBuf,
    },
    /// The file is not a valid projection (bad magic, checksum, shape ...).
    #[error("{path} is not a valid projection file: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A tensor operation failed (shapes are checked first, so this is unexpected).
    #[error("tensor computation failed: {0}")]
    Tensor(#[from] candle_core::Error),
    /// Loading, tokenising or running a model failed.
    #[error(transparent)]
    Model(#[from] esci_models::ModelError),
    /// Searching the dev set failed.
    #[error(transparent)]
    Dense(#[from] esci_dense::DenseError),
    /// Reading or writing failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}
