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
use std::sync::OnceLock;

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

static ENVIRONMENT: OnceLock<std::result::Result<(PathBuf, Environment), String>> = OnceLock::new();

/// The process's ONNX Runtime environment, started from `library` on first use.
///
/// Fails with [`OnnxError::RuntimeMissing`] (naming `models fetch`) when the file is
/// absent. Later calls reuse the first environment whatever path they name: a process
/// can load only one ONNX Runtime.
pub fn environment(library: &Path) -> Result<&'static Environment> {
    if ENVIRONMENT.get().is_none() && !library.is_file() {
        return Err(OnnxError::RuntimeMissing {
            path: library.to_path_buf(),
            env: LIBRARY_ENV,
        });
    }
    let started = ENVIRONMENT.get_or_init(|| {
        let env = ort::init_from(library)
            .map_err(|e| e.to_string())?
            .with_name("esci")
            .with_telemetry(false)
            .build()
            .map_err(|e| e.to_string())?;
        tracing::info!(library = %library.display(), "ONNX Runtime started");
        Ok((library.to_path_buf(), env))
    });
    match started {
        Ok((path, env)) => {
            if path != library {
                tracing::debug!(loaded = %path.display(), asked = %library.display(),
                    "ONNX Runtime already started from another library");
            }
            Ok(env)
        }
        Err(reason) => Err(OnnxError::RuntimeLoad {
            path: library.to_path_buf(),
            reason: reason.clone(),
        }),
    }
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
