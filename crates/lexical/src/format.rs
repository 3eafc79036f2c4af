//! On-disk format of a BM25 index (little-endian, versioned, written atomically).
//!
//! ```text
//! "ESCIBM25"  magic, 8 bytes
//! u32         FORMAT_VERSION
//! u32 n, n B  IndexMeta as JSON (parameters, analyzer version, document count)
//! u64 T, u64 P       terms, postings
//! T × u32            byte length of each term; then the terms' UTF-8 bytes back to back
//! (T + 1) × u64      offsets
//! P × u32            doc ids      P × u32  impacts      T × u32  max impact per term
//! "ESCIEND!"  trailer: a truncated file is detected, not half-read
//! ```
//!
//! Loading reads the arrays straight into memory (no re-tokenising) and validates every
//! invariant the query path relies on, so a damaged file is an error, never a panic.

use crate::index::IndexMeta;
use crate::{Bm25Index, LexicalError};
use esci_core::atomic_file::write_atomically;
use esci_text::Analyzer;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"ESCIBM25";
const TRAILER: &[u8; 8] = b"ESCIEND!";
/// Version of the layout above; bump on any change.
pub const FORMAT_VERSION: u32 = 1;

impl Bm25Index {
    /// Writes the index to `path` atomically: an interrupted write leaves any previous
    /// index at `path` intact.
    pub fn save(&self, path: &Path) -> Result<(), LexicalError> {
        let io_err = |source| LexicalError::Io {
            path: path.to_owned(),
            source,
        };
        let meta = serde_json::to_vec(&self.meta).map_err(|e| io_err(io::Error::other(e)))?;
        write_atomically(path, |w| {
            w.write_all(MAGIC)?;
            w.write_all(&FORMAT_VERSION.to_le_bytes())?;
            w.write_all(&(meta.len() as u32).to_le_bytes())?;
            w.write_all(&meta)?;
            w.write_all(&(self.terms.len() as u64).to_le_bytes())?;
            w.write_all(&(self.docs.len() as u64).to_le_bytes())?;
            let lens: Vec<u32> = self.terms.iter().map(|t| t.len() as u32).collect();
            write_u32s(w, &lens)?;
            for term in &self.terms {
                w.write_all(term.as_bytes())?;
            }
            for offset in &self.offsets {
                w.write_all(&offset.to_le_bytes())?;
            }
            write_u32s(w, &self.docs)?;
            write_u32s(w, &self.impacts)?;
            write_u32s(w, &self.max_impact)?;
            w.write_all(TRAILER)
        })
        .map_err(io_err)
    }

    /// Loads an index written by [`Bm25Index::save`], checking version and invariants.
    pub fn load(path: &Path) -> Result<Bm25Index, LexicalError> {
        let file = File::open(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => LexicalError::Missing {
                path: path.to_owned(),
            },
            _ => LexicalError::Io {
                path: path.to_owned(),
                source,
            },
        })?;
        let corrupt = |reason: String| LexicalError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let truncated = |e: io::Error| corrupt(format!("truncated or unreadable ({e})"));
        let mut r = BufReader::with_capacity(1 << 20, file);

        let mut magic = [0u8; 8];
        r.read_exact(&mut magic).map_err(truncated)?;
        if &magic != MAGIC {
            return Err(corrupt("wrong magic bytes".into()));
        }
        let version = read_u32(&mut r).map_err(truncated)?;
        if version != FORMAT_VERSION {
            return Err(LexicalError::Version {
                path: path.to_owned(),
                what: "format",
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let meta_len = read_u32(&mut r).map_err(truncated)? as usize;
        if meta_len > 1 << 20 {
            return Err(corrupt(format!("metadata of {meta_len} bytes")));
        }
        let mut meta = vec![0u8; meta_len];
        r.read_exact(&mut meta).map_err(truncated)?;
        let meta: IndexMeta =
            serde_json::from_slice(&meta).map_err(|e| corrupt(format!("metadata: {e}")))?;
        if meta.analyzer_version != Analyzer::VERSION {
            return Err(LexicalError::Version {
                path: path.to_owned(),
                what: "analyzer",
                found: meta.analyzer_version,
                expected: Analyzer::VERSION,
            });
        }
        meta.params
            .validate()
            .map_err(|e| corrupt(format!("metadata: {e}")))?;
        if meta.avg_field_len.len() != meta.params.field_weights.len() {
            return Err(corrupt(
                "field statistics do not match the field list".into(),
            ));
        }

        let num_terms = read_u64(&mut r).map_err(truncated)?;
        let num_postings = read_u64(&mut r).map_err(truncated)?;
        // Bound allocations by the file size before trusting the counts.
        let file_len = r.get_ref().metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        if num_terms
            .saturating_mul(16)
            .saturating_add(num_postings.saturating_mul(8))
            > file_len
        {
            return Err(corrupt(format!(
                "{num_terms} terms and {num_postings} postings cannot fit in {file_len} bytes"
            )));
        }
        let (num_terms, num_postings) = (num_terms as usize, num_postings as usize);
        let lens = read_u32s(&mut r, num_terms).map_err(truncated)?;
        let blob_len: u64 = lens.iter().map(|&l| u64::from(l)).sum();
        if blob_len > file_len {
            return Err(corrupt("term lengths exceed the file".into()));
        }
        let mut blob = vec![0u8; blob_len as usize];
        r.read_exact(&mut blob).map_err(truncated)?;
        let blob = String::from_utf8(blob).map_err(|_| corrupt("terms are not UTF-8".into()))?;
        let mut terms = Vec::with_capacity(num_terms);
        let mut at = 0usize;
        for &len in &lens {
            let end = at + len as usize;
            let term = blob
                .get(at..end)
                .ok_or_else(|| corrupt("a term splits a UTF-8 character".into()))?;
            terms.push(Box::<str>::from(term));
            at = end;
        }
        let mut offsets = vec![0u64; num_terms + 1];
        for offset in offsets.iter_mut() {
            *offset = read_u64(&mut r).map_err(truncated)?;
        }
        let docs = read_u32s(&mut r, num_postings).map_err(truncated)?;
        let impacts = read_u32s(&mut r, num_postings).map_err(truncated)?;
        let max_impact = read_u32s(&mut r, num_terms).map_err(truncated)?;
        let mut trailer = [0u8; 8];
        r.read_exact(&mut trailer).map_err(truncated)?;
        if &trailer != TRAILER {
            return Err(corrupt("missing end marker".into()));
        }

        validate(&meta, &terms, &offsets, &docs, &impacts, &max_impact).map_err(corrupt)?;
        Ok(Bm25Index::from_parts(
            meta, terms, offsets, docs, impacts, max_impact,
        ))
    }
}

/// Checks every invariant the query path indexes by.
fn validate(
    meta: &IndexMeta,
    terms: &[Box<str>],
    offsets: &[u64],
    docs: &[u32],
    impacts: &[u32],
    max_impact: &[u32],
) -> Result<(), String> {
    let mut seen = HashSet::with_capacity(terms.len());
    if let Some(dup) = terms.iter().find(|t| !seen.insert(&***t)) {
        return Err(format!("term {dup:?} appears twice"));
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
        let list = &docs[w[0] as usize..w[1] as usize];
        if list.windows(2).any(|p| p[0] >= p[1]) {
            return Err(format!("postings of term {:?} are not ascending", terms[t]));
        }
        if list.last().is_some_and(|&d| d >= meta.num_docs) {
            return Err(format!("term {:?} points past the last document", terms[t]));
        }
        let list_impacts = &impacts[w[0] as usize..w[1] as usize];
        if list_impacts.contains(&0)
            || list_impacts.iter().max().copied().unwrap_or(0) != max_impact[t]
        {
            return Err(format!(
                "impacts of term {:?} disagree with their bound",
                terms[t]
            ));
        }
    }
    Ok(())
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Reads `n` little-endian u32s straight into their final buffer.
fn read_u32s(r: &mut impl Read, n: usize) -> io::Result<Vec<u32>> {
    let mut v = vec![0u32; n];
    r.read_exact(bytemuck::cast_slice_mut(&mut v))?;
    for x in v.iter_mut() {
        *x = u32::from_le(*x);
    }
    Ok(v)
}

fn write_u32s(w: &mut impl Write, v: &[u32]) -> io::Result<()> {
    if cfg!(target_endian = "little") {
        w.write_all(bytemuck::cast_slice(v))
    } else {
        v.iter().try_for_each(|x| w.write_all(&x.to_le_bytes()))
    }
}
