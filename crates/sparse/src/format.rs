//! On-disk format of a SPLADE index (little-endian, versioned, written atomically).
//!
//! ```text
//! "ESCISPLD"  magic, 8 bytes
//! u32         FORMAT_VERSION
//! u32 n, n B  header as JSON: vocab_size, num_docs, doc_scale, pruning,
//!             model_fingerprint, num_postings (P); V = vocab_size
//! (V + 1) × u64   offsets
//! P × u32         doc ids         P × u16   impacts         V × u16   max impact per term
//! "ESCIEND!"  trailer
//! ```
//!
//! The file's length must equal what the header announces, which catches truncation
//! and bounds every allocation before it is made. Loading then validates every
//! invariant the traversal indexes by, so a damaged file is an error, never a panic.

use crate::builder::MAX_VOCAB_SIZE;
use crate::index::SparseMeta;
use crate::maxscore::END;
use crate::{SparseError, SparseIndex};
use esci_core::atomic_file::write_atomically;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"ESCISPLD";
const TRAILER: &[u8; 8] = b"ESCIEND!";
/// Version of the layout above; bump on any change.
pub const FORMAT_VERSION: u32 = 1;
/// Largest JSON header accepted (the fingerprint is the only free-length field).
const MAX_HEADER: usize = 1 << 20;

#[derive(Serialize, Deserialize)]
struct Header {
    #[serde(flatten)]
    meta: SparseMeta,
    model_fingerprint: String,
    num_postings: u64,
}

impl SparseIndex {
    /// Writes the index to `path` atomically, stamped with the fingerprint of the model
    /// that encoded the documents (queries must be encoded by the same model).
    pub fn save(&self, path: &Path, model_fingerprint: &str) -> Result<(), SparseError> {
        let io_err = |source| SparseError::Io {
            path: path.to_owned(),
            source,
        };
        let header = serde_json::to_vec(&Header {
            meta: self.meta.clone(),
            model_fingerprint: model_fingerprint.to_owned(),
            num_postings: self.docs.len() as u64,
        })
        .map_err(|e| io_err(io::Error::other(e)))?;
        if header.len() > MAX_HEADER {
            return Err(SparseError::InvalidConfig(format!(
                "model fingerprint of {} bytes is too long",
                model_fingerprint.len()
            )));
        }
        write_atomically(path, |w| {
            w.write_all(MAGIC)?;
            w.write_all(&FORMAT_VERSION.to_le_bytes())?;
            w.write_all(&(header.len() as u32).to_le_bytes())?;
            w.write_all(&header)?;
            write_pod(w, &self.offsets)?;
            write_pod(w, &self.docs)?;
            write_pod(w, &self.impacts)?;
            write_pod(w, &self.max_impact)?;
            w.write_all(TRAILER)
        })
        .map_err(io_err)
    }

    /// Loads an index written by [`SparseIndex::save`], checking version and every
    /// invariant; returns it with the model fingerprint it was saved with.
    pub fn load(path: &Path) -> Result<(SparseIndex, String), SparseError> {
        let file = File::open(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => SparseError::Missing {
                path: path.to_owned(),
            },
            _ => SparseError::Io {
                path: path.to_owned(),
                source,
            },
        })?;
        let corrupt = |reason: String| SparseError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let truncated = |e: io::Error| corrupt(format!("truncated or unreadable ({e})"));
        let file_len = file
            .metadata()
            .map_err(|source| SparseError::Io {
                path: path.to_owned(),
                source,
            })?
            .len();
        let mut r = BufReader::with_capacity(1 << 20, file);

        let mut magic = [0u8; 8];
        r.read_exact(&mut magic).map_err(truncated)?;
        if &magic != MAGIC {
            return Err(corrupt("wrong magic bytes".into()));
        }
        let version = read_u32(&mut r).map_err(truncated)?;
        if version != FORMAT_VERSION {
            return Err(SparseError::Version {
                path: path.to_owned(),
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let header_len = read_u32(&mut r).map_err(truncated)? as usize;
        if header_len > MAX_HEADER {
            return Err(corrupt(format!("header of {header_len} bytes")));
        }
        let mut header = vec![0u8; header_len];
        r.read_exact(&mut header).map_err(truncated)?;
        let header: Header =
            serde_json::from_slice(&header).map_err(|e| corrupt(format!("header: {e}")))?;
        check_meta(&header.meta).map_err(corrupt)?;

        let vocab = u64::from(header.meta.vocab_size);
        let postings = header.num_postings;
        let expected_len = postings
            .checked_mul(6)
            .and_then(|p| p.checked_add((vocab + 1) * 8 + vocab * 2))
            .and_then(|b| b.checked_add(16 + header_len as u64 + TRAILER.len() as u64));
        if expected_len != Some(file_len) {
            return Err(corrupt(format!(
                "{file_len} bytes, but the header announces {postings} postings over {vocab} terms"
            )));
        }
        let (vocab, postings) = (vocab as usize, postings as usize);
        let offsets: Vec<u64> = read_pod(&mut r, vocab + 1).map_err(truncated)?;
        let docs: Vec<u32> = read_pod(&mut r, postings).map_err(truncated)?;
        let impacts: Vec<u16> = read_pod(&mut r, postings).map_err(truncated)?;
        let max_impact: Vec<u16> = read_pod(&mut r, vocab).map_err(truncated)?;
        let mut trailer = [0u8; 8];
        r.read_exact(&mut trailer).map_err(truncated)?;
        if &trailer != TRAILER {
            return Err(corrupt("missing end marker".into()));
        }

        validate(&header.meta, &offsets, &docs, &impacts, &max_impact).map_err(corrupt)?;
        let index = SparseIndex::from_parts(header.meta, offsets, docs, impacts, max_impact);
        Ok((index, header.model_fingerprint))
    }

    /// Loads an index and refuses it unless it was built with `model_fingerprint`.
    pub fn load_for_model(
        path: &Path,
        model_fingerprint: &str,
    ) -> Result<SparseIndex, SparseError> {
        let (index, found) = SparseIndex::load(path)?;
        if found != model_fingerprint {
            return Err(SparseError::ModelMismatch {
                path: path.to_owned(),
                found,
                expected: model_fingerprint.to_owned(),
            });
        }
        Ok(index)
    }
}

fn check_meta(meta: &SparseMeta) -> Result<(), String> {
    if meta.vocab_size == 0 || meta.vocab_size > MAX_VOCAB_SIZE {
        return Err(format!("vocabulary of {} terms", meta.vocab_size));
    }
    if meta.num_docs == END {
        return Err(format!("{} documents", meta.num_docs));
    }
    if !(meta.doc_scale.is_finite() && meta.doc_scale > 0.0) {
        return Err(format!("impact scale {}", meta.doc_scale));
    }
    meta.pruning
        .validate()
        .map_err(|e| format!("pruning settings: {e}"))
}

/// Checks every invariant the query path indexes by.
pub(crate) fn validate(
    meta: &SparseMeta,
    offsets: &[u64],
    docs: &[u32],
    impacts: &[u16],
    max_impact: &[u16],
) -> Result<(), String> {
    if offsets.len() != meta.vocab_size as usize + 1
        || max_impact.len() != meta.vocab_size as usize
        || impacts.len() != docs.len()
    {
        return Err("array lengths disagree with the header".into());
    }
    if offsets.first() != Some(&0) || offsets.last() != Some(&(docs.len() as u64)) {
        return Err("offsets do not span the postings".into());
    }
    for (t, w) in offsets.windows(2).enumerate() {
        if w[0] > w[1] || w[1] > docs.len() as u64 {
            return Err(format!(
                "offsets of term {t} are out of order or out of range"
            ));
        }
        let (start, end) = (w[0] as usize, w[1] as usize);
        let list = &docs[start..end];
        if list.windows(2).any(|p| p[0] >= p[1]) {
            return Err(format!("postings of term {t} are not ascending"));
        }
        if list.last().is_some_and(|&d| d >= meta.num_docs) {
            return Err(format!("term {t} points past the last document"));
        }
        let list_impacts = &impacts[start..end];
        if list_impacts.contains(&0)
            || list_impacts.iter().max().copied().unwrap_or(0) != max_impact[t]
        {
            return Err(format!("impacts of term {t} disagree with their bound"));
        }
    }
    Ok(())
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// Little-endian integers the loader reads in bulk.
trait LeInt: bytemuck::Pod {
    fn le_to_native(self) -> Self;
    fn native_to_le(self) -> Self;
}

macro_rules! le_int {
    ($($t:ty),*) => {$(
        impl LeInt for $t {
            fn le_to_native(self) -> Self { <$t>::from_le(self) }
            fn native_to_le(self) -> Self { <$t>::to_le(self) }
        }
    )*};
}
le_int!(u16, u32, u64);

/// Reads `n` little-endian integers straight into their final buffer (`n` was checked
/// against the file length).
fn read_pod<T: LeInt>(r: &mut impl Read, n: usize) -> io::Result<Vec<T>> {
    let mut v = vec![T::zeroed(); n];
    r.read_exact(bytemuck::cast_slice_mut(&mut v))?;
    if cfg!(target_endian = "big") {
        v.iter_mut().for_each(|x| *x = x.le_to_native());
    }
    Ok(v)
}

fn write_pod<T: LeInt>(w: &mut impl Write, v: &[T]) -> io::Result<()> {
    if cfg!(target_endian = "little") {
        w.write_all(bytemuck::cast_slice(v))
    } else {
        let swapped: Vec<T> = v.iter().map(|x| x.native_to_le()).collect();
        w.write_all(bytemuck::cast_slice(&swapped))
    }
}
