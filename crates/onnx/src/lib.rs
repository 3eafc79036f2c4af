//! The esci-search encoders on ONNX Runtime: the dense bi-encoder, SPLADE and the
//! cross-encoder of `esci-models`, with the same methods and (in fp32) the same outputs,
//! held to the same golden fixtures.
//!
//! Why a second backend: inference on ONNX Runtime is several times faster on CPU than
//! candle (fused kernels, int8 VNNI matmuls), while training stays on candle, which has
//! autograd. The graphs are written here, in Rust, from `config.json` and the
//! safetensors weights ([`bert_graph`], over a hand-written protobuf encoder in
//! [`proto`]): no Python, no protoc, and a model this project trains gets its graph the
//! same way. They are cached next to the model ([`export`]). The runtime library comes
//! from the pinned `onnxruntime` wheel through `esci models fetch` and is loaded at run
//! time ([`runtime`]).
#![deny(missing_docs)]

mod batch;
pub mod bert_graph;
mod common;
mod cross;
mod dense;
mod error;
pub mod export;
pub mod graph;
mod options;
mod pool;
pub mod proto;
pub mod runtime;
mod splade;

pub use bert_graph::Head;
pub use cross::{OnnxCrossEncoder, ScoreTiming};
pub use dense::OnnxDenseEncoder;
pub use error::{OnnxError, Result};
pub use graph::Precision;
pub use options::{MAX_DEFAULT_SESSIONS, OnnxOptions, SpladeDecoder};
pub use pool::SessionPool;
pub use splade::{MAX_SPLADE_BATCH, OnnxSpladeEncoder};
