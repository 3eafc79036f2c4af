//! Starting ONNX Runtime from the library `esci models fetch` installed, and building
//! sessions over our graph files.
//!
//! `ort` is built with `load-dynamic`: nothing is linked at build time, and the library
//! is opened once per process from a path we choose (its default features would
//! download binaries from a host these machines cannot reach). ONNX Runtime allows one
//! environment per process, so the first successful start is kept for the process.

use crate::error::{OnnxError, Result};
use esci_models::fetch::{models_dir, onnxruntime_library};
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Environment variable naming the ONNX Runtime library to load instead of the fetched
/// one.
pub const LIBRARY_ENV: &str = "ESCI_ORT_LIBRARY";

/// The library to load: `$ESCI_ORT_LIBRARY` if set, else the one `esci models fetch`
/// installs under the models directory (`$ESCI_MODELS_DIR` or `data/models`).
pub fn default_library() -> PathBuf {
    match std::env::var_os(LIBRARY_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => onnxruntime_library(&models_dir(None)),
    }
}

/// The started environment and the library it came from. Only a success is kept: a
/// failed start (a missing or broken file) can be retried with another path.
static ENVIRONMENT: OnceLock<(PathBuf, Environment)> = OnceLock::new();
static STARTING: Mutex<()> = Mutex::new(());

/// The process's ONNX Runtime environment, started from `library` on first use.
///
/// Fails with [`OnnxError::RuntimeMissing`] (naming `models fetch`) when the file is
/// absent, [`OnnxError::RuntimeLoad`] when it cannot be loaded. Once started, later
/// calls reuse the environment whatever path they name: a process can load only one
/// ONNX Runtime.
pub fn environment(library: &Path) -> Result<&'static Environment> {
    if let Some((_, env)) = ENVIRONMENT.get() {
        return Ok(env);
    }
    let _starting = STARTING.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, env)) = ENVIRONMENT.get() {
        return Ok(env);
    }
    if !library.is_file() {
        return Err(OnnxError::RuntimeMissing {
            path: library.to_path_buf(),
            env: LIBRARY_ENV,
        });
    }
    let load_error = |reason: String| OnnxError::RuntimeLoad {
        path: library.to_path_buf(),
        reason,
    };
    let env = ort::init_from(library)
        .map_err(|e| load_error(e.to_string()))?
        .with_name("esci")
        .with_telemetry(false)
        .build()
        .map_err(|e| load_error(e.to_string()))?;
    tracing::info!(library = %library.display(), "ONNX Runtime started");
    Ok(&ENVIRONMENT.get_or_init(|| (library.to_path_buf(), env)).1)
}

/// The library the process's ONNX Runtime was started from, if it was.
pub fn loaded_library() -> Option<&'static Path> {
    ENVIRONMENT.get().map(|(p, _)| p.as_path())
}

/// A session over `graph` with all of ONNX Runtime's graph optimisations (the
/// LayerNorm, GELU and MatMul fusions) and `threads` intra-op threads that sleep
/// instead of spinning between calls (the machine is shared; spinning steals a core).
pub fn session(library: &Path, graph: &Path, threads: usize) -> Result<Session> {
    let env = environment(library)?;
    let context = || format!("building a session from {}", graph.display());
    Session::builder(env)
        .map_err(|e| OnnxError::ort(context(), e))?
        .with_optimization_level(GraphOptimizationLevel::All)
        .map_err(|e| OnnxError::ort(context(), e))?
        .with_intra_threads(threads.max(1))
        .map_err(|e| OnnxError::ort(context(), e))?
        .with_intra_op_spinning(false)
        .map_err(|e| OnnxError::ort(context(), e))?
        .commit_from_file(graph)
        .map_err(|e| OnnxError::ort(context(), e))
}
