//! The stored embeddings: N unit vectors at the encoder's full dimension D.

use crate::kernel::normalise;
use crate::{DenseError, DenseView};
use rayon::prelude::*;
use std::sync::Arc;

/// Largest dimension accepted: bounds allocations from a damaged file and keeps int8
/// sums (≤ 127² per component) far inside i32.
pub const MAX_DIM: usize = 1 << 16;

/// N embeddings at full dimension D, row-major, each of unit L2 norm.
///
/// Immutable once built; [`DenseIndex::view`] derives the searchable Matryoshka
/// views. The model fingerprint travels with the vectors so a query encoded by
/// another model can be refused ([`DenseIndex::check_model`]).
#[derive(Clone)]
pub struct DenseIndex {
    dim: usize,
    len: usize,
    /// Shared with the full-dimension view, so `view(D)` costs no copy.
    rows: Arc<Vec<f32>>,
    model: Arc<str>,
}

impl DenseIndex {
    /// Takes `vectors` (row-major, `dim` floats per document; doc id = row) made by
    /// the model identified by `model_fingerprint`.
    ///
    /// Rows are normalised again here (a rounding-level no-op for the caller's unit
    /// vectors) so every score is a cosine; an all-zero row stays zero and scores 0.
    /// Non-finite values, a ragged length or a dimension outside `1..=MAX_DIM` are
    /// errors.
    pub fn new(
        mut vectors: Vec<f32>,
        dim: usize,
        model_fingerprint: impl Into<String>,
    ) -> Result<DenseIndex, DenseError> {
        if dim == 0 || dim > MAX_DIM {
            return Err(DenseError::InvalidVectors(format!(
                "dimension {dim} is outside 1..={MAX_DIM}"
            )));
        }
        if !vectors.len().is_multiple_of(dim) {
            return Err(DenseError::InvalidVectors(format!(
                "{} floats are not a whole number of {dim}-dimensional rows",
                vectors.len()
            )));
        }
        let len = vectors.len() / dim;
        if len > u32::MAX as usize {
            return Err(DenseError::InvalidVectors(format!(
                "{len} vectors exceed the u32 doc id space"
            )));
        }
        if let Some(at) = vectors.iter().position(|x| !x.is_finite()) {
            return Err(DenseError::NonFinite {
                doc: at / dim,
                component: at % dim,
            });
        }
        vectors.par_chunks_mut(dim).for_each(|row| {
            normalise(row);
        });
        Ok(DenseIndex::from_normalised(
            vectors,
            dim,
            model_fingerprint.into(),
        ))
    }

    /// Wraps rows already validated and normalised (by `new` or the loader).
    pub(crate) fn from_normalised(rows: Vec<f32>, dim: usize, model: String) -> DenseIndex {
        DenseIndex {
            dim,
            len: rows.len() / dim,
            rows: Arc::new(rows),
            model: model.into(),
        }
    }

    /// Number of documents N.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the index holds no documents.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The full dimension D.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Fingerprint of the model that made the vectors, as given to [`DenseIndex::new`].
    pub fn model_fingerprint(&self) -> &str {
        &self.model
    }

    /// Refuses a query encoder other than the one that embedded the documents.
    pub fn check_model(&self, query_model_fingerprint: &str) -> Result<(), DenseError> {
        if *self.model == *query_model_fingerprint {
            Ok(())
        } else {
            Err(DenseError::ModelMismatch {
                index: self.model.to_string(),
                query: query_model_fingerprint.to_owned(),
            })
        }
    }

    /// The stored (normalised) vector of one document.
    pub fn vector(&self, doc: esci_core::DocId) -> Option<&[f32]> {
        let start = (doc as usize).checked_mul(self.dim)?;
        self.rows.get(start..start + self.dim)
    }

    /// The whole row-major matrix.
    pub fn as_matrix(&self) -> &[f32] {
        &self.rows
    }

    /// The searchable view of the first `d` components of every vector, re-normalised.
    ///
    /// `d == D` shares this index's storage; a shorter prefix is materialised once as
    /// its own contiguous matrix (N × d floats) so the scan streams through memory.
    /// The view owns its data: the index may be dropped afterwards.
    pub fn view(&self, d: usize) -> Result<DenseView, DenseError> {
        if d == 0 || d > self.dim {
            return Err(DenseError::InvalidViewDim {
                requested: d,
                full: self.dim,
            });
        }
        let rows = if d == self.dim {
            Arc::clone(&self.rows)
        } else {
            Arc::new(truncate_rows(&self.rows, self.dim, d))
        };
        Ok(DenseView::from_parts(
            rows,
            d,
            self.dim,
            Arc::clone(&self.model),
        ))
    }
}

/// Shape and model only: the matrix can be gigabytes.
impl std::fmt::Debug for DenseIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DenseIndex")
            .field("len", &self.len)
            .field("dim", &self.dim)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// The first `d` of every `full`-long row, each prefix re-normalised.
fn truncate_rows(rows: &[f32], full: usize, d: usize) -> Vec<f32> {
    let n = rows.len() / full;
    let mut out = vec![0.0f32; n * d];
    out.par_chunks_mut(d)
        .zip(rows.par_chunks(full))
        .for_each(|(dst, src)| {
            dst.copy_from_slice(&src[..d]);
            normalise(dst);
        });
    out
}
