//! Helpers shared by the ONNX integration tests: installed models, the runtime library,
//! the fixtures of `esci-models`, and comparisons.
#![allow(dead_code)] // each test binary uses a subset

use esci_onnx::{OnnxOptions, Precision};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Installed models: `$ESCI_MODELS_DIR` or the workspace's `data/models`.
pub fn models_root() -> PathBuf {
    match std::env::var_os(esci_models::fetch::MODELS_DIR_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/models"),
    }
}

/// One installed model's directory; fails (never skips) with the command that installs it.
pub fn model_dir(name: &str) -> PathBuf {
    let dir = models_root().join(name);
    assert!(
        dir.join("model.safetensors").is_file(),
        "model {name} not found in {}: run `cargo run -- models fetch` (or set ESCI_MODELS_DIR)",
        dir.display()
    );
    dir
}

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

/// A fixture of `esci-models` (made by scripts/reference/golden.py).
pub fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models/tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} unreadable ({e})", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Cosine similarity.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// A JSON array of ids.
pub fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .expect("array of ids")
        .iter()
        .map(|x| x.as_u64().expect("id") as u32)
        .collect()
}

/// A JSON array of numbers.
pub fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array of numbers")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

/// The fixture's texts.
pub fn texts(fx: &Value) -> Vec<&str> {
    fx["texts"]
        .as_array()
        .expect("texts")
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect()
}

/// The head every cross-encoder fixture uses: `w[i] = sin(i+1)/10`.
pub fn fixture_head(fx: &Value) -> (Vec<f32>, f32) {
    let head = &fx["head"];
    assert_eq!(head["formula"].as_str(), Some("w[i] = sin(i+1)/10"));
    let weights = (0..384).map(|i| ((i + 1) as f32).sin() / 10.0).collect();
    (weights, head["bias"].as_f64().unwrap() as f32)
}

/// The fixture's (query, document) pairs.
pub fn pairs(fx: &Value) -> Vec<(&str, &str)> {
    fx["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|c| {
            (
                c["query"].as_str().unwrap(),
                c["document"].as_str().unwrap(),
            )
        })
        .collect()
}

/// The weight of term `id` in a sparse vector (0 when absent).
pub fn weight_of(v: &esci_models::SparseVector, id: u32) -> f32 {
    v.terms
        .binary_search_by_key(&id, |t| t.0)
        .map_or(0.0, |i| v.terms[i].1)
}
