//! How the ONNX encoders run: precision, runtime library, graph cache, sessions.

use crate::graph::Precision;
use crate::runtime;
use std::path::PathBuf;

/// Most sessions [`OnnxOptions::new`] makes, whatever the core count.
pub const MAX_DEFAULT_SESSIONS: usize = 4;

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
    /// Where an int8 SPLADE encoder runs its decoder (fp32 always uses the graph's).
    pub splade_decoder: SpladeDecoder,
}

/// Where an int8 SPLADE encoder computes its vocabulary-wide decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpladeDecoder {
    /// In the graph: ONNX Runtime's int8 matmul writes `[tokens, vocab]` logits, then
    /// the mask and the max read them back.
    Graph,
    /// In Rust, fused with the max over tokens (`esci_models::Int8Decoder`): the graph
    /// stops at the MLM transform. Faster (BENCHMARKS.md "Encoders"); the default.
    Fused,
}

impl SpladeDecoder {
    /// `ESCI_SPLADE_DECODER=graph` selects [`SpladeDecoder::Graph`] (to compare the two
    /// in a benchmark); anything else, or unset, [`SpladeDecoder::Fused`].
    pub fn from_env() -> SpladeDecoder {
        match std::env::var("ESCI_SPLADE_DECODER")
            .as_deref()
            .map(str::trim)
        {
            Ok("graph") => SpladeDecoder::Graph,
            _ => SpladeDecoder::Fused,
        }
    }

    /// `graph` or `fused`.
    pub fn name(self) -> &'static str {
        match self {
            SpladeDecoder::Graph => "graph",
            SpladeDecoder::Fused => "fused",
        }
    }
}

impl OnnxOptions {
    /// Defaults for `precision`: one single-threaded session per core (at most
    /// [`MAX_DEFAULT_SESSIONS`], each holding its own copy of the weights; the cores
    /// left over become intra-op threads), so a large encoding job runs one batch per
    /// core. On 2 cores that is 2 × 1; against 1 × 2 (`esci bench encoders
    /// --runtime onnx-int8 --sessions 1 --threads-per-session 2`, one run each on the
    /// busy shared machine) it ran SPLADE at 435 vs 334 docs/s and 100 cross-encoder
    /// pairs in 0.25 vs 0.33 s, MiniLM and query latency about equal. A single query
    /// runs on one core.
    pub fn new(precision: Precision) -> OnnxOptions {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let sessions = cores.clamp(1, MAX_DEFAULT_SESSIONS);
        OnnxOptions {
            precision,
            library: runtime::default_library(),
            cache_dir: None,
            sessions,
            threads_per_session: (cores / sessions).max(1),
            splade_decoder: SpladeDecoder::from_env(),
        }
    }
}

impl Default for OnnxOptions {
    fn default() -> OnnxOptions {
        OnnxOptions::new(Precision::Fp32)
    }
}
