//! Helpers of the ONNX integration tests: the runtime library and graph cache, plus
//! everything `esci-test-support` shares with the candle encoders' tests (installed
//! models, fixtures, the golden checks).
#![allow(dead_code)] // each test binary uses a subset

pub use esci_test_support::*;

use esci_onnx::{OnnxOptions, Precision};
use std::path::{Path, PathBuf};

/// Options at `precision` with the fetched runtime library; fails (never skips) with
/// the command that installs it. Graphs are cached in a per-test-run directory under
/// the target dir, so tests never depend on (or write into) the models directory.
pub fn options(precision: Precision) -> OnnxOptions {
    let library = match std::env::var_os(esci_onnx::runtime::LIBRARY_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => esci_models::fetch::onnxruntime_library(&models_root()),
    };
    assert!(
        library.is_file(),
        "ONNX Runtime library {} not found: run `cargo run -- models fetch` (or set {})",
        library.display(),
        esci_onnx::runtime::LIBRARY_ENV
    );
    OnnxOptions {
        library,
        cache_dir: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("onnx-graphs")),
        ..OnnxOptions::new(precision)
    }
}
