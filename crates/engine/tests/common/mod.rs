//! Setup shared by the engine's integration tests: the installed models and a small
//! catalog written as JSONL.
#![allow(dead_code)] // each test file uses a different part

use esci_engine::Config;
use std::path::{Path, PathBuf};

/// The models directory (`ESCI_MODELS_DIR`, else the repository's `data/models`), with
/// MiniLM and the ONNX Runtime library checked present (the default runtime is ONNX).
pub fn models_dir() -> PathBuf {
    let dir = match std::env::var_os("ESCI_MODELS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/models"),
    };
    let library = esci_models::fetch::onnxruntime_library(&dir);
    assert!(
        dir.join("all-minilm-l6-v2/model.safetensors").is_file() && library.is_file(),
        "models or {} not found in {}: run `cargo run -- models fetch`",
        library.display(),
        dir.display()
    );
    dir
}

/// Eight product titles, easy to tell apart by query.
pub const TITLES: [&str; 8] = [
    "Logitech M185 Wireless Mouse, 2.4GHz with USB Receiver",
    "Bluetooth Mouse for Laptop, Silent Click",
    "DEWALT 20V MAX Cordless Drill Kit",
    "Garden Hose 50 ft, Kink Free",
    "USB-C Charging Cable, 6 ft, Braided",
    "Ergonomic Vertical Mouse, Rechargeable",
    "Stainless Steel Water Bottle, 32 oz",
    "Running Shoes for Men, Lightweight",
];

/// Writes `titles` as `tmp/catalog.jsonl` (ids `P0`, `P1`, ...) and returns a default
/// config reading it, with artifacts in `tmp/artifacts` and the installed models.
pub fn small_catalog(tmp: &Path, titles: &[&str]) -> Config {
    let lines: Vec<String> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({"product_id": format!("P{i}"), "product_title": t}).to_string()
        })
        .collect();
    std::fs::write(tmp.join("catalog.jsonl"), lines.join("\n")).unwrap();
    let mut config = Config::default();
    config.data.dir = tmp.to_owned();
    config.data.products = "catalog.jsonl".into();
    config.artifacts.dir = tmp.join("artifacts");
    config.models.dir = models_dir();
    config
}
