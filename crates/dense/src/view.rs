//! A Matryoshka view: every vector cut to its first d components and re-normalised,
//! held contiguously, with the query preparation that matches it.

use crate::DenseError;
use crate::kernel::normalise;
use crate::quant::Int8Matrix;
use crate::quant4::Int4Matrix;
use std::sync::{Arc, OnceLock};

/// Smallest amount of work (multiply-adds) worth a rayon task of its own.
const MIN_TASK_WORK: usize = 1 << 18;
/// Tasks per thread, so a slow (shared, noisy) core does not hold the others up.
const TASKS_PER_THREAD: usize = 4;

/// The searchable form of a [`crate::DenseIndex`] at one prefix length d.
///
/// Queries are cut to the same d components and re-normalised, so scores are cosines
/// in the truncated space. The int8 and int4 codes of [`crate::SearchMode::Int8`] and
/// [`crate::SearchMode::Int4`] are built
/// on first use (or by [`DenseView::prepare_int8`]) and then kept.
#[derive(Clone)]
pub struct DenseView {
    dim: usize,
    full_dim: usize,
    len: usize,
    rows: Arc<Vec<f32>>,
    model: Arc<str>,
    int8: OnceLock<Arc<Int8Matrix>>,
    int4: OnceLock<Arc<Int4Matrix>>,
    chunk_rows: Option<usize>,
}

impl DenseView {
    /// Wraps an already truncated and re-normalised matrix of `d`-long rows.
    pub(crate) fn from_parts(
        rows: Arc<Vec<f32>>,
        dim: usize,
        full_dim: usize,
        model: Arc<str>,
    ) -> DenseView {
        DenseView {
            dim,
            full_dim,
            len: rows.len() / dim,
            rows,
            model,
            int8: OnceLock::new(),
            int4: OnceLock::new(),
            chunk_rows: None,
        }
    }

    /// The prefix length d of this view.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The full dimension D of the index it came from.
    pub fn full_dim(&self) -> usize {
        self.full_dim
    }

    /// Number of documents N.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the view holds no documents.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Fingerprint of the model that made the vectors.
    pub fn model_fingerprint(&self) -> &str {
        &self.model
    }

    /// The truncated, re-normalised vector of one document.
    pub fn vector(&self, doc: esci_core::DocId) -> Option<&[f32]> {
        let start = (doc as usize).checked_mul(self.dim)?;
        self.rows.get(start..start + self.dim)
    }

    /// The whole row-major N × d matrix.
    pub fn as_matrix(&self) -> &[f32] {
        &self.rows
    }

    /// Sets how many rows one parallel task scans (default: about four tasks per
    /// thread, never under ~256k multiply-adds). Results never depend on it; tests
    /// use tiny chunks to exercise the merge of per-chunk results.
    pub fn with_chunk_rows(mut self, rows: usize) -> DenseView {
        self.chunk_rows = Some(rows.max(1));
        self
    }

    /// Rows per parallel task of the exact scan.
    pub(crate) fn chunk_rows(&self) -> usize {
        self.chunk_rows_for(TASKS_PER_THREAD)
    }

    /// Rows per parallel task of a quantised scan: one task per thread. Each task
    /// keeps its own deep candidate list (2–4·k), whose filling and merging cost
    /// grows with the number of tasks: at 480k × 64 with 2,000 candidates, four tasks
    /// on one thread took ~1 ms more than one (3.3 against 2.4 ms a query).
    pub(crate) fn quantised_chunk_rows(&self) -> usize {
        self.chunk_rows_for(1)
    }

    fn chunk_rows_for(&self, tasks_per_thread: usize) -> usize {
        self.chunk_rows.unwrap_or_else(|| {
            let threads = rayon::current_num_threads().max(1);
            let even = self.len.div_ceil(tasks_per_thread * threads);
            even.max(MIN_TASK_WORK / self.dim).max(1)
        })
    }

    /// Builds the int8 codes now rather than on the first int8 query.
    pub fn prepare_int8(&self) {
        self.int8();
    }

    /// The int8 codes of this view, built once.
    pub(crate) fn int8(&self) -> &Int8Matrix {
        self.int8
            .get_or_init(|| Arc::new(Int8Matrix::quantise(&self.rows, self.dim)))
    }

    /// Builds the int4 codes now rather than on the first int4 query.
    pub fn prepare_int4(&self) {
        self.int4();
    }

    /// The int4 codes of this view, built once.
    pub(crate) fn int4(&self) -> &Int4Matrix {
        self.int4
            .get_or_init(|| Arc::new(Int4Matrix::quantise(&self.rows, self.dim)))
    }

    /// Turns a full-D or d-long query into the unit-norm d-prefix the rows live in.
    pub fn prepare_query(&self, query: &[f32]) -> Result<Vec<f32>, DenseError> {
        if query.len() != self.dim && query.len() != self.full_dim {
            return Err(DenseError::DimensionMismatch {
                found: query.len(),
                view: self.dim,
                full: self.full_dim,
            });
        }
        if let Some(at) = query.iter().position(|x| !x.is_finite()) {
            return Err(DenseError::InvalidQuery(format!(
                "component {at} is not finite"
            )));
        }
        let mut prefix = query[..self.dim].to_vec();
        if normalise(&mut prefix) == 0.0 {
            return Err(DenseError::InvalidQuery(format!(
                "the first {} components are all zero",
                self.dim
            )));
        }
        Ok(prefix)
    }
}

/// Shape and model only: the matrix can be gigabytes.
impl std::fmt::Debug for DenseView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DenseView")
            .field("len", &self.len)
            .field("dim", &self.dim)
            .field("full_dim", &self.full_dim)
            .field("model", &self.model)
            .field("int8", &self.int8.get().is_some())
            .field("int4", &self.int4.get().is_some())
            .finish_non_exhaustive()
    }
}
