//! On-disk format of a projection (little-endian, versioned, checksummed, atomic).
//!
//! ```text
//! "ESCIPROJ"  magic, 8 bytes
//! u32         FORMAT_VERSION
//! u32 n, n B  header as JSON (name, method, shape, base model, fingerprint, metadata)
//! f32 …       W (d_out × d_in), then the mean (d_in) and the bias (d_out) when present
//! 32 B        sha256 of every byte above
//! ```
//!
//! Our own format rather than safetensors: one file carries the numbers and the
//! provenance the serving side checks (base model, fingerprint), and loading verifies
//! a real hash, the shape and the recomputed fingerprint before anything is used.

use crate::{Projection, TrainError};
use esci_core::atomic_file::write_atomically;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8; 8] = b"ESCIPROJ";
const FORMAT_VERSION: u32 = 1;
const MAX_HEADER: usize = 1 << 20;

#[derive(Serialize, Deserialize)]
struct Header {
    name: String,
    method: String,
    d_in: usize,
    d_out: usize,
    has_mean: bool,
    has_bias: bool,
    base_model_fingerprint: String,
    fingerprint: String,
    #[serde(default)]
    metadata: serde_json::Value,
}

impl Projection {
    /// Writes the projection to `path` atomically (creating the parent directory).
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let io_err = |source| TrainError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
        let header = serde_json::to_vec(&Header {
            name: self.name().to_owned(),
            method: self.method().to_owned(),
            d_in: self.d_in(),
            d_out: self.d_out(),
            has_mean: self.mean().is_some(),
            has_bias: self.bias().is_some(),
            base_model_fingerprint: self.base_model().to_owned(),
            fingerprint: self.fingerprint().to_owned(),
            metadata: self.metadata.clone(),
        })
        .map_err(|e| io_err(std::io::Error::other(e)))?;
        let mut bytes = Vec::with_capacity(16 + header.len() + 4 * self.weights().len() + 32);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&header);
        let numbers = [Some(self.weights()), self.mean(), self.bias()];
        for v in numbers.into_iter().flatten().flatten() {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let sum = Sha256::digest(&bytes);
        write_atomically(path, |w| {
            w.write_all(&bytes)?;
            w.write_all(&sum)
        })
        .map_err(io_err)
    }

    /// Loads a projection written by [`Projection::save`], validating it completely.
    pub fn load(path: &Path) -> Result<Projection, TrainError> {
        let bytes = std::fs::read(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => TrainError::Missing {
                path: path.to_owned(),
            },
            _ => TrainError::Io {
                path: path.to_owned(),
                source,
            },
        })?;
        let corrupt = |reason: String| TrainError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        if bytes.len() < 16 + 32 || &bytes[..8] != MAGIC {
            return Err(corrupt("wrong magic bytes or too short".into()));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != sum {
            return Err(corrupt("checksum mismatch".into()));
        }
        let word =
            |at: usize| u32::from_le_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        let version = word(8);
        if version != FORMAT_VERSION {
            return Err(corrupt(format!(
                "format version {version}, this build reads {FORMAT_VERSION}: retrain it"
            )));
        }
        let header_len = word(12) as usize;
        if header_len > MAX_HEADER || 16 + header_len > body.len() {
            return Err(corrupt(format!("header of {header_len} bytes")));
        }
        let header: Header = serde_json::from_slice(&body[16..16 + header_len])
            .map_err(|e| corrupt(format!("header: {e}")))?;
        let (d_in, d_out) = (header.d_in, header.d_out);
        if d_in == 0 || d_out == 0 || d_in > esci_dense::MAX_DIM || d_out > esci_dense::MAX_DIM {
            return Err(corrupt(format!("shape {d_out}×{d_in} is out of range")));
        }
        let floats = d_out * d_in
            + if header.has_mean { d_in } else { 0 }
            + if header.has_bias { d_out } else { 0 };
        let data = &body[16 + header_len..];
        if data.len() != 4 * floats {
            return Err(corrupt(format!(
                "expected {floats} numbers, found {} bytes",
                data.len()
            )));
        }
        let mut values = data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let mut take = |n: usize| values.by_ref().take(n).collect::<Vec<f32>>();
        let weights = take(d_out * d_in);
        let mean = header.has_mean.then(|| take(d_in));
        let bias = header.has_bias.then(|| take(d_out));
        let mut projection = Projection::new(
            header.name,
            header.method,
            (d_out, d_in),
            weights,
            mean,
            bias,
            header.base_model_fingerprint,
        )
        .map_err(|e| corrupt(e.to_string()))?;
        if projection.fingerprint() != header.fingerprint {
            return Err(corrupt(format!(
                "the numbers have fingerprint {}, the header says {}",
                projection.fingerprint(),
                header.fingerprint
            )));
        }
        projection.metadata = header.metadata;
        Ok(projection)
    }

    /// Loads a projection and refuses it unless it was fitted for `model_fingerprint`.
    pub fn load_for_model(path: &Path, model_fingerprint: &str) -> Result<Projection, TrainError> {
        let projection = Projection::load(path)?;
        projection.check_model(model_fingerprint)?;
        Ok(projection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Projection {
        let mut p = Projection::new(
            "pca",
            "pca",
            (2, 3),
            vec![0.5, -1.0, 2.0, 0.25, 0.0, 1.0],
            Some(vec![0.1, 0.2, 0.3]),
            None,
            "model-a",
        )
        .unwrap();
        p.metadata = serde_json::json!({"centre": true});
        p
    }

    #[test]
    fn round_trips_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/projection.bin");
        let p = sample();
        p.save(&path).unwrap();
        assert_eq!(Projection::load(&path).unwrap(), p);
        assert_eq!(Projection::load_for_model(&path, "model-a").unwrap(), p);
    }

    #[test]
    fn another_model_is_refused_naming_both() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("projection.bin");
        sample().save(&path).unwrap();
        let err = Projection::load_for_model(&path, "model-b")
            .unwrap_err()
            .to_string();
        assert!(err.contains("model-a") && err.contains("model-b"), "{err}");
    }

    #[test]
    fn every_flipped_byte_and_truncation_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("projection.bin");
        sample().save(&path).unwrap();
        let good = std::fs::read(&path).unwrap();
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            std::fs::write(&path, &bad).unwrap();
            assert!(Projection::load(&path).is_err(), "byte {at}");
        }
        for len in [0, 10, good.len() - 1] {
            std::fs::write(&path, &good[..len]).unwrap();
            assert!(Projection::load(&path).is_err(), "length {len}");
        }
        let missing = Projection::load(&dir.path().join("none.bin")).unwrap_err();
        assert!(
            missing.to_string().contains("esci train dense"),
            "{missing}"
        );
    }
}
