//! How the ONNX encoders run: precision, runtime library, graph cache, sessions.

use crate::graph::Precision;
use crate::runtime;
use std::path::PathBuf;

/// Runtime settings shared by the three ONNX encoders (the model settings — length,
/// batch size, prefixes, pruning — are the candle encoders' option types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnnxOptions {
    /// fp32 (held to the golden tests like candle) or int8 weights.
    pub precision: Precision,
    /// The `libonnxruntime.so` to load ([`runtime::default_library`]).
    pub library: PathBuf,
    /// Where graph files are cached (`None`: `<model_dir>/onnx`).
    pub cache_dir: Option<PathBuf>,
    /// Sessions in the pool: batches that run at once.
    pub sessions: usize,
    /// Intra-op threads per session.
    pub threads_per_session: usize,
}

impl OnnxOptions {
    /// Defaults for `precision`: one session per core, one thread each, so a large
    /// encoding job runs one batch per core; a single query then runs on one core.
    pub fn new(precision: Precision) -> OnnxOptions {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        OnnxOptions {
            precision,
            library: runtime::default_library(),
            cache_dir: None,
            sessions: cores,
            threads_per_session: 1,
        }
    }
}

impl Default for OnnxOptions {
    fn default() -> OnnxOptions {
        OnnxOptions::new(Precision::Fp32)
    }
}
