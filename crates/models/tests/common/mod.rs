//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a subset

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
