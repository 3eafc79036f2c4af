//! `manifest.json` of the models directory, file hashing, verification and the model
//! fingerprint that index manifests record.

use super::FetchError;
use esci_core::atomic_file::write_atomically;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

/// Name of the manifest inside the models directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Files whose content determines an encoder's output; [`model_fingerprint`] hashes
/// exactly these, so it is the same for a fetched model and a hand-copied one.
pub const FINGERPRINT_FILES: &[&str] = &["config.json", "model.safetensors", "tokenizer.json"];

/// What `esci models fetch` installed: lets later runs check the files offline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelsManifest {
    /// One entry per installed model, in install order.
    pub models: Vec<InstalledModel>,
}

/// One installed model and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledModel {
    /// Directory name under the models directory.
    pub name: String,
    /// "dense" or "splade".
    pub role: String,
    /// PyPI package the files came from.
    pub package: String,
    /// Its pinned version.
    pub version: String,
    /// sha256 of the wheel.
    pub wheel_sha256: String,
    /// The installed files.
    pub files: Vec<InstalledFile>,
}

/// One installed file with the hash it had when installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledFile {
    /// Path relative to the model directory, '/'-separated.
    pub path: String,
    /// Lowercase hex sha256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

impl ModelsManifest {
    /// Reads `dir/manifest.json`; `Ok(None)` when there is none yet.
    pub fn load(dir: &Path) -> Result<Option<Self>, FetchError> {
        let path = dir.join(MANIFEST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(FetchError::io("cannot read", path, e)),
        };
        let manifest: ModelsManifest =
            serde_json::from_str(&text).map_err(|e| FetchError::ManifestInvalid {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        for model in &manifest.models {
            for file in &model.files {
                if relative_path(&file.path).is_none() {
                    return Err(FetchError::ManifestInvalid {
                        path,
                        reason: format!("file path {:?} leaves the model directory", file.path),
                    });
                }
            }
        }
        Ok(Some(manifest))
    }

    /// Writes `dir/manifest.json` atomically (readers see the old or the new one).
    pub fn save(&self, dir: &Path) -> Result<(), FetchError> {
        let path = dir.join(MANIFEST_FILE);
        let json = serde_json::to_vec_pretty(self).map_err(|e| FetchError::ManifestInvalid {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomically(&path, |w| {
            w.write_all(&json)?;
            w.write_all(b"\n")
        })
        .map_err(|e| FetchError::io("cannot write", path, e))
    }

    /// The entry of the model named `name`.
    pub fn get(&self, name: &str) -> Option<&InstalledModel> {
        self.models.iter().find(|m| m.name == name)
    }

    /// Adds `model`, replacing any entry with the same name in place.
    pub fn upsert(&mut self, model: InstalledModel) {
        match self.models.iter_mut().find(|m| m.name == model.name) {
            Some(slot) => *slot = model,
            None => self.models.push(model),
        }
    }
}

/// Checks every file of model `name` under `dir` against the sha256 in `dir/manifest.json`.
///
/// Returns the manifest entry when all files are intact; otherwise the first missing or
/// modified file.
pub fn verify_model(dir: &Path, name: &str) -> Result<InstalledModel, FetchError> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest = ModelsManifest::load(dir)?.ok_or_else(|| FetchError::ManifestMissing {
        path: manifest_path.clone(),
    })?;
    let model = manifest
        .get(name)
        .ok_or_else(|| FetchError::ModelNotInManifest {
            name: name.to_owned(),
            path: manifest_path,
        })?;
    check_files(&dir.join(name), &model.files)?;
    Ok(model.clone())
}

/// Hashes each recorded file under `model_dir` and compares it with the record.
pub(crate) fn check_files(model_dir: &Path, files: &[InstalledFile]) -> Result<(), FetchError> {
    for file in files {
        let path = model_dir.join(&file.path);
        let actual = sha256_file(&path)?;
        if actual != file.sha256 {
            return Err(FetchError::HashMismatch {
                path,
                expected: file.sha256.clone(),
                actual,
            });
        }
    }
    Ok(())
}

/// Identity of the model in `model_dir`: sha256 over the sorted lines
/// `"{path}\t{sha256 of file}\n"` of [`FINGERPRINT_FILES`].
///
/// Works for any local BERT directory (user-supplied models have no manifest), and
/// changes whenever weights, config or tokenizer change.
pub fn model_fingerprint(model_dir: &Path) -> Result<String, FetchError> {
    let missing: Vec<&str> = FINGERPRINT_FILES
        .iter()
        .copied()
        .filter(|f| !model_dir.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        return Err(FetchError::NotAModelDir {
            dir: model_dir.to_path_buf(),
            missing: missing.join(", "),
        });
    }
    let mut files: Vec<&str> = FINGERPRINT_FILES.to_vec();
    files.sort_unstable();
    let mut hasher = Sha256::new();
    for file in files {
        let digest = sha256_file(&model_dir.join(file))?;
        hasher.update(format!("{file}\t{digest}\n").as_bytes());
    }
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex sha256 of a file's content, streamed.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => FetchError::FileMissing {
            path: path.to_path_buf(),
        },
        _ => FetchError::io("cannot open", path, e),
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| FetchError::io("cannot read", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `path` as a relative path that stays inside its base directory, or `None`
/// (absolute, empty, or with `..`): manifest paths are joined onto the model directory.
pub(crate) fn relative_path(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let ok = !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then(|| p.to_path_buf())
}
