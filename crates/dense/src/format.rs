//! On-disk format of a dense index (little-endian, versioned, written atomically).
//!
//! ```text
//! "ESCIDENS"  magic, 8 bytes
//! u32         FORMAT_VERSION
//! u32 n, n B  header as JSON: {"num_docs": N, "dim": D, "model_fingerprint": "..."}
//! N × D × f32 the full-dimension unit vectors, row-major (views are derived at load)
//! u64         checksum of every byte above
//! "ESCIEND!"  trailer: a truncated file is detected, not half-read
//! ```
//!
//! Loading checks the exact file length before allocating, the checksum (so a flipped
//! byte anywhere is an error, not a silently different vector), finite values and
//! unit norms: a damaged file is an error, never a panic.

use crate::index::MAX_DIM;
use crate::{DenseError, DenseIndex};
use esci_core::atomic_file::write_atomically;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"ESCIDENS";
const TRAILER: &[u8; 8] = b"ESCIEND!";
/// Version of the layout above; bump on any change.
pub const FORMAT_VERSION: u32 = 1;
/// Largest JSON header accepted.
const MAX_HEADER: usize = 1 << 20;
/// How far a stored row's norm may stray from 1 (they are written normalised).
const NORM_TOLERANCE: f64 = 1e-3;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    num_docs: u64,
    dim: u64,
    model_fingerprint: String,
}

impl DenseIndex {
    /// Writes the full-dimension matrix and the model fingerprint to `path`
    /// atomically: an interrupted write leaves any previous index intact.
    pub fn save(&self, path: &Path) -> Result<(), DenseError> {
        let io_err = |source| DenseError::Io {
            path: path.to_owned(),
            source,
        };
        let header = serde_json::to_vec(&Header {
            num_docs: self.len() as u64,
            dim: self.dim() as u64,
            model_fingerprint: self.model_fingerprint().to_owned(),
        })
        .map_err(|e| io_err(io::Error::other(e)))?;
        let prefix = prefix_bytes(&header);
        let matrix = le_bytes(self.as_matrix());
        let sum = checksum(&[&prefix, &matrix]);
        write_atomically(path, |w| {
            w.write_all(&prefix)?;
            w.write_all(&matrix)?;
            w.write_all(&sum.to_le_bytes())?;
            w.write_all(TRAILER)
        })
        .map_err(io_err)
    }

    /// Loads an index written by [`DenseIndex::save`], validating it completely.
    /// The model fingerprint comes back in [`DenseIndex::model_fingerprint`].
    pub fn load(path: &Path) -> Result<DenseIndex, DenseError> {
        let file = File::open(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => DenseError::Missing {
                path: path.to_owned(),
            },
            _ => DenseError::Io {
                path: path.to_owned(),
                source,
            },
        })?;
        let corrupt = |reason: String| DenseError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let truncated = |e: io::Error| corrupt(format!("truncated or unreadable ({e})"));
        let file_len = file
            .metadata()
            .map(|m| m.len())
            .map_err(|source| DenseError::Io {
                path: path.to_owned(),
                source,
            })?;
        let mut r = BufReader::with_capacity(1 << 20, file);

        let mut fixed = [0u8; 16];
        r.read_exact(&mut fixed).map_err(truncated)?;
        if &fixed[..8] != MAGIC {
            return Err(corrupt("wrong magic bytes".into()));
        }
        let version = u32::from_le_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]);
        if version != FORMAT_VERSION {
            return Err(DenseError::Version {
                path: path.to_owned(),
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let header_len = u32::from_le_bytes([fixed[12], fixed[13], fixed[14], fixed[15]]) as usize;
        if header_len > MAX_HEADER || header_len as u64 > file_len {
            return Err(corrupt(format!("header of {header_len} bytes")));
        }
        let mut header_bytes = vec![0u8; header_len];
        r.read_exact(&mut header_bytes).map_err(truncated)?;
        let header: Header =
            serde_json::from_slice(&header_bytes).map_err(|e| corrupt(format!("header: {e}")))?;
        if header.dim == 0 || header.dim > MAX_DIM as u64 || header.num_docs > u64::from(u32::MAX) {
            return Err(corrupt(format!(
                "{} vectors of dimension {} are out of range",
                header.num_docs, header.dim
            )));
        }
        // Bound the allocation by the file before trusting the counts.
        let matrix_bytes = header.num_docs * header.dim * 4;
        let expected = 16 + header_len as u64 + matrix_bytes + 16;
        if expected != file_len {
            return Err(corrupt(format!(
                "{} vectors of dimension {} need a file of {expected} bytes, found {file_len}",
                header.num_docs, header.dim
            )));
        }
        let dim = header.dim as usize;
        let floats = usize::try_from(header.num_docs * header.dim)
            .map_err(|_| corrupt("matrix too large for this machine".into()))?;
        let mut rows = vec![0.0f32; floats];
        r.read_exact(bytemuck::cast_slice_mut(&mut rows))
            .map_err(truncated)?;
        let mut tail = [0u8; 16];
        r.read_exact(&mut tail).map_err(truncated)?;
        if &tail[8..] != TRAILER {
            return Err(corrupt("missing end marker".into()));
        }
        let stored = u64::from_le_bytes([
            tail[0], tail[1], tail[2], tail[3], tail[4], tail[5], tail[6], tail[7],
        ]);
        let prefix = [&fixed[..], &header_bytes[..]].concat();
        if checksum(&[&prefix, bytemuck::cast_slice(&rows)]) != stored {
            return Err(corrupt("checksum mismatch".into()));
        }
        if cfg!(target_endian = "big") {
            for x in rows.iter_mut() {
                *x = f32::from_bits(u32::from_le(x.to_bits()));
            }
        }
        validate_rows(&rows, dim).map_err(corrupt)?;
        Ok(DenseIndex::from_normalised(
            rows,
            dim,
            header.model_fingerprint,
        ))
    }
}

/// Every value finite and every row of unit norm (or all zero).
fn validate_rows(rows: &[f32], dim: usize) -> Result<(), String> {
    let bad = rows.par_chunks(dim).position_first(|row| {
        let sq: f64 = row.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        !(row.iter().all(|x| x.is_finite())
            && (sq == 0.0 || (sq.sqrt() - 1.0).abs() <= NORM_TOLERANCE))
    });
    match bad {
        Some(doc) => Err(format!("vector {doc} is not finite and unit-norm")),
        None => Ok(()),
    }
}

/// Magic, version, header length and header: the bytes before the matrix.
fn prefix_bytes(header: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + header.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header);
    out
}

/// The matrix as little-endian bytes (borrowed on little-endian machines).
fn le_bytes(rows: &[f32]) -> Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        Cow::Borrowed(bytemuck::cast_slice(rows))
    } else {
        Cow::Owned(rows.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn mix(state: u64, word: u64) -> u64 {
    (state ^ word).wrapping_mul(MIX).rotate_left(29)
}

/// A fast 64-bit checksum over byte slices: four independent multiply-xor lanes (a
/// few hundred ms for 2.7 GB). Each step is a bijection of the lane state, so any
/// change confined to one 8-byte word is always detected.
fn checksum(parts: &[&[u8]]) -> u64 {
    let mut total = 0xCBF2_9CE4_8422_2325u64;
    for part in parts {
        let mut lanes = [1u64, 2, 3, 4];
        let mut blocks = part.chunks_exact(32);
        for block in &mut blocks {
            for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
                let mut w = [0u8; 8];
                w.copy_from_slice(word);
                *lane = mix(*lane, u64::from_le_bytes(w));
            }
        }
        for &byte in blocks.remainder() {
            lanes[0] = mix(lanes[0], u64::from(byte));
        }
        for lane in lanes {
            total = mix(total, lane);
        }
        total = mix(total, part.len() as u64);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file whose checksum is right but whose values are not usable is still refused.
    #[test]
    fn non_finite_or_unnormalised_rows_with_a_valid_checksum_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dense.idx");
        for bad in [f32::NAN, f32::INFINITY, 3.0] {
            let header = serde_json::to_vec(&Header {
                num_docs: 2,
                dim: 2,
                model_fingerprint: "m".into(),
            })
            .unwrap();
            let prefix = prefix_bytes(&header);
            let rows = [1.0f32, 0.0, bad, 0.0];
            let matrix = le_bytes(&rows);
            let sum = checksum(&[&prefix, &matrix]);
            let bytes = [&prefix[..], &matrix, &sum.to_le_bytes(), TRAILER].concat();
            std::fs::write(&path, bytes).unwrap();
            let err = DenseIndex::load(&path).err().unwrap();
            assert!(err.to_string().contains("vector 1"), "{err}");
        }
    }

    #[test]
    fn checksum_sees_single_word_changes() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 31 % 251) as u8).collect();
        let base = checksum(&[&data[..10], &data[10..]]);
        assert_ne!(base, checksum(&[&data[..11], &data[11..]]));
        for at in 0..data.len() {
            let mut d = data.clone();
            d[at] ^= 0x40;
            assert_ne!(checksum(&[&d[..10], &d[10..]]), base, "byte {at}");
        }
    }
}
