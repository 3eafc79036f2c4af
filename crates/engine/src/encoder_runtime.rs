//! `[neural] runtime`: which inference engine runs the dense and SPLADE encoders at
//! index and query time — candle (f32, the engine training uses) or ONNX Runtime (fp32
//! with the same outputs, or int8), through the runtime-neutral encoder traits of
//! `esci-models`.

use crate::neural::{dense_options, splade_options};
use crate::{Config, EngineError};
use esci_models::{
    CrossEncoder, CrossOptions, DenseEncoder, DenseTextEncoder, PairScorer, SparseTextEncoder,
    SpladeEncoder,
};
use esci_onnx::{OnnxCrossEncoder, OnnxDenseEncoder, OnnxOptions, OnnxSpladeEncoder, Precision};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What runs the neural encoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncoderRuntime {
    /// Our candle BERT, f32 (the training engine).
    Candle,
    /// ONNX Runtime with fp32 graphs (same outputs as candle, held to the same golden
    /// vectors, about twice as fast here): the default.
    #[default]
    Onnx,
    /// ONNX Runtime with int8 per-channel weights.
    OnnxInt8,
}

impl EncoderRuntime {
    /// The name used in configuration, on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            EncoderRuntime::Candle => "candle",
            EncoderRuntime::Onnx => "onnx",
            EncoderRuntime::OnnxInt8 => "onnx-int8",
        }
    }

    /// Parses `candle`, `onnx` or `onnx-int8`.
    pub fn parse(s: &str) -> Result<EncoderRuntime, String> {
        match s {
            "candle" => Ok(EncoderRuntime::Candle),
            "onnx" => Ok(EncoderRuntime::Onnx),
            "onnx-int8" => Ok(EncoderRuntime::OnnxInt8),
            other => Err(format!(
                "unknown encoder runtime {other:?}: expected candle, onnx or onnx-int8"
            )),
        }
    }

    /// The ONNX precision, or `None` for candle.
    fn precision(self) -> Option<Precision> {
        match self {
            EncoderRuntime::Candle => None,
            EncoderRuntime::Onnx => Some(Precision::Fp32),
            EncoderRuntime::OnnxInt8 => Some(Precision::Int8),
        }
    }
}

/// ONNX Runtime settings for `precision`, with the runtime library `esci models fetch`
/// put in the configured models directory (`$ESCI_ORT_LIBRARY` overrides it).
pub(crate) fn onnx_options(config: &Config, precision: Precision) -> OnnxOptions {
    let mut options = OnnxOptions::new(precision);
    if std::env::var_os(esci_onnx::runtime::LIBRARY_ENV).is_none_or(|v| v.is_empty()) {
        options.library = esci_models::fetch::onnxruntime_library(&config.models.dir);
    }
    options
}

fn onnx_error(e: esci_onnx::OnnxError) -> EngineError {
    EngineError::Model(e.into())
}

/// The dense encoder of `model_dir` on the configured runtime.
pub(crate) fn load_dense_encoder(
    config: &Config,
    model_dir: &Path,
    max_length: usize,
) -> Result<Box<dyn DenseTextEncoder>, EngineError> {
    let options = dense_options(max_length);
    Ok(match config.neural.runtime.precision() {
        None => Box::new(DenseEncoder::load(model_dir, options)?),
        Some(p) => Box::new(
            OnnxDenseEncoder::load(model_dir, options, &onnx_options(config, p))
                .map_err(onnx_error)?,
        ),
    })
}

/// The SPLADE encoder of `model_dir` on the configured runtime, restricted to the
/// `active` vocabulary if given (ONNX computes only those decoder rows; candle computes
/// all and drops the rest).
pub(crate) fn load_splade_encoder(
    config: &Config,
    model_dir: &Path,
    max_length: usize,
    active: Option<esci_models::ActiveVocabulary>,
) -> Result<Box<dyn SparseTextEncoder>, EngineError> {
    let options = splade_options(max_length);
    Ok(match (config.neural.runtime.precision(), active) {
        (None, None) => Box::new(SpladeEncoder::load(model_dir, options)?),
        (None, Some(vocabulary)) => Box::new(crate::splade_vocab::Restricted {
            encoder: SpladeEncoder::load(model_dir, options)?,
            vocabulary,
        }),
        (Some(p), active) => Box::new(
            OnnxSpladeEncoder::load_with_vocabulary(
                model_dir,
                options,
                &onnx_options(config, p),
                active,
            )
            .map_err(onnx_error)?,
        ),
    })
}

/// The cross-encoder of `model_dir` on `runtime` (the rerank stage's, which defaults
/// to `[neural] runtime`).
pub(crate) fn load_cross_encoder(
    config: &Config,
    runtime: EncoderRuntime,
    model_dir: &Path,
    options: CrossOptions,
) -> Result<Box<dyn PairScorer>, EngineError> {
    Ok(match runtime.precision() {
        None => Box::new(CrossEncoder::load(model_dir, options)?),
        Some(p) => Box::new(
            OnnxCrossEncoder::load(model_dir, options, &onnx_options(config, p))
                .map_err(onnx_error)?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names_round_trip_through_parse_and_toml() {
        for r in [
            EncoderRuntime::Candle,
            EncoderRuntime::Onnx,
            EncoderRuntime::OnnxInt8,
        ] {
            assert_eq!(EncoderRuntime::parse(r.name()), Ok(r));
            #[derive(Deserialize)]
            struct Wrap {
                runtime: EncoderRuntime,
            }
            let w: Wrap = toml::from_str(&format!("runtime = \"{}\"", r.name())).unwrap();
            assert_eq!(w.runtime, r);
        }
        assert!(
            EncoderRuntime::parse("tract")
                .unwrap_err()
                .contains("onnx-int8")
        );
    }
}
