//! The one error type of the encoders: loading a model directory and running it.
//!
//! Loading errors name the file and, for weights, the tensor as it is spelt in the
//! checkpoint, because the usual causes are a partial download or a different
//! architecture, and the fix depends on which file is wrong.

use std::path::PathBuf;

/// Result of the encoder API.
pub type Result<T> = std::result::Result<T, ModelError>;

/// Errors of loading and running the BERT encoders.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file the model needs is not in the model directory.
    #[error("model file {path} not found: fetch the models with `esci models fetch`")]
    MissingFile {
        /// Where the file was expected.
        path: PathBuf,
    },
    /// Reading a model file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A JSON configuration file could not be parsed.
    #[error("{path} is not a valid configuration: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The configuration parsed but asks for something this BERT does not implement.
    #[error("{path}: unsupported configuration: {reason}")]
    Unsupported {
        /// The configuration file.
        path: PathBuf,
        /// What is unsupported.
        reason: String,
    },
    /// `tokenizer.json` could not be loaded or configured.
    #[error("tokenizer {path}: {reason}")]
    Tokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// The tokenizers crate's message.
        reason: String,
    },
    /// Encoding a text failed inside the tokenizer.
    #[error("tokenizing failed: {0}")]
    Encode(String),
    /// The weights file is not a readable safetensors file.
    #[error("{path} is not a readable safetensors file: {source}")]
    Safetensors {
        /// The weights file.
        path: PathBuf,
        /// candle's error.
        source: candle_core::Error,
    },
    /// A tensor the architecture needs is absent from the checkpoint.
    #[error("{path} has no tensor `{tensor}`: is it a BERT checkpoint of this architecture?")]
    MissingTensor {
        /// The weights file (or `VarBuilder` when built from one).
        path: PathBuf,
        /// The tensor name as the checkpoint would spell it.
        tensor: String,
    },
    /// A tensor has a shape that does not match `config.json`.
    #[error("{path}: tensor `{tensor}` has shape {found:?}, config.json implies {expected:?}")]
    TensorShape {
        /// The weights file.
        path: PathBuf,
        /// The tensor name as the checkpoint spells it.
        tensor: String,
        /// Shape implied by the configuration.
        expected: Vec<usize>,
        /// Shape in the file.
        found: Vec<usize>,
    },
    /// An argument is out of range (bad options, a head of the wrong width).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Another inference runtime (ONNX Runtime, behind [`crate::DenseTextEncoder`])
    /// failed; the message is that runtime's.
    #[error("{0}")]
    Runtime(String),
    /// A tensor operation failed while running the model.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
}
