//! Errors of the ONNX encoders. Each says what was wrong and, where a command fixes
//! it, which one: the usual causes are a runtime library that was never fetched and a
//! model directory that is incomplete.

use std::path::PathBuf;

/// Result of the ONNX encoder API.
pub type Result<T> = std::result::Result<T, OnnxError>;

/// Errors of exporting, loading and running the ONNX encoders.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// The ONNX Runtime shared library is not installed.
    #[error(
        "ONNX Runtime library {path} not found: install it with `cargo run -- models fetch` \
         (`esci models fetch`), or point {env} at a libonnxruntime.so 1.32"
    )]
    RuntimeMissing {
        /// Where the library was expected.
        path: PathBuf,
        /// The environment variable that overrides the location.
        env: &'static str,
    },
    /// The library exists but ONNX Runtime could not be started from it.
    #[error(
        "cannot start ONNX Runtime from {path}: {reason}; reinstall it with \
         `cargo run -- models fetch`"
    )]
    RuntimeLoad {
        /// The library.
        path: PathBuf,
        /// What `ort` reported.
        reason: String,
    },
    /// ONNX Runtime refused a graph or failed while running it.
    #[error("ONNX Runtime, {context}: {reason}")]
    Ort {
        /// What was being done (building a session from which file, running which model).
        context: String,
        /// What `ort` reported.
        reason: String,
    },
    /// Loading weights, config or tokenizer failed (names the file and tensor). Boxed:
    /// the models' errors are large and errors are rare.
    #[error(transparent)]
    Model(Box<esci_models::ModelError>),
    /// Fingerprinting the model directory failed.
    #[error(transparent)]
    Fetch(Box<esci_models::fetch::FetchError>),
    /// Reading or writing a cached graph failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An argument is out of range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl OnnxError {
    /// Wraps an `ort` error with what was being done.
    pub(crate) fn ort(context: impl Into<String>, err: impl std::fmt::Display) -> OnnxError {
        OnnxError::Ort {
            context: context.into(),
            reason: err.to_string(),
        }
    }
}

impl From<esci_models::ModelError> for OnnxError {
    fn from(e: esci_models::ModelError) -> OnnxError {
        OnnxError::Model(Box::new(e))
    }
}

impl From<esci_models::fetch::FetchError> for OnnxError {
    fn from(e: esci_models::fetch::FetchError) -> OnnxError {
        OnnxError::Fetch(Box::new(e))
    }
}

impl From<candle_core::Error> for OnnxError {
    fn from(e: candle_core::Error) -> OnnxError {
        esci_models::ModelError::Candle(e).into()
    }
}

/// The runtime-neutral error of the engine's encoder traits: a model error stays what it
/// was, anything else keeps its message.
impl From<OnnxError> for esci_models::ModelError {
    fn from(e: OnnxError) -> esci_models::ModelError {
        match e {
            OnnxError::Model(inner) => *inner,
            other => esci_models::ModelError::Runtime(other.to_string()),
        }
    }
}
