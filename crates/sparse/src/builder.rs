//! Builds a [`SparseIndex`] from document vectors: check and prune each document,
//! then, once the heaviest weight fixes the scale, quantise and lay postings out in
//! CSR form by a counting sort over term ids.

use crate::SparseError;
use crate::index::{SparseIndex, SparseMeta};
use crate::quantize::{doc_impact, doc_scale, normalize};
use esci_core::DocId;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Documents checked in parallel per step of [`SparseIndexBuilder::build`].
const CHUNK: usize = 8192;

/// Largest vocabulary an index accepts: bounds the per-term arrays (BERT has 30,522).
pub const MAX_VOCAB_SIZE: u32 = 1 << 24;

/// Which terms of each document to index; fewer postings trade recall for speed.
///
/// Applied after duplicate term ids are summed: first weights below `min_weight` are
/// dropped, then only the `top_terms` heaviest are kept (ties to the lower term id,
/// so the choice is deterministic). The default keeps everything.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DocPruning {
    /// Keep at most this many terms per document (`None`: no limit).
    pub top_terms: Option<usize>,
    /// Drop terms whose weight is below this.
    pub min_weight: f32,
}

impl Default for DocPruning {
    fn default() -> DocPruning {
        DocPruning {
            top_terms: None,
            min_weight: 0.0,
        }
    }
}

impl DocPruning {
    /// Rejects settings that would silently index nothing or compare against NaN.
    pub fn validate(&self) -> Result<(), SparseError> {
        if !self.min_weight.is_finite() || self.min_weight < 0.0 {
            return Err(SparseError::InvalidConfig(format!(
                "min_weight must be finite and non-negative, not {}",
                self.min_weight
            )));
        }
        if self.top_terms == Some(0) {
            return Err(SparseError::InvalidConfig(
                "top_terms must be at least 1 (it would index nothing)".into(),
            ));
        }
        Ok(())
    }

    /// Prunes a normalised document (ascending term ids) in place; keeps the order.
    pub(crate) fn apply(&self, terms: &mut Vec<(u32, f64)>) {
        let min = f64::from(self.min_weight);
        terms.retain(|&(_, w)| w >= min);
        if let Some(n) = self.top_terms
            && terms.len() > n
        {
            terms.select_nth_unstable_by(n - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            terms.truncate(n);
            terms.sort_unstable_by_key(|&(t, _)| t);
        }
    }
}

/// Collects documents in doc-id order, then lays out a [`SparseIndex`].
///
/// Documents are kept as float `(term, weight)` lists until [`SparseIndexBuilder::finish`]:
/// the quantisation scale depends on the heaviest weight of the whole corpus.
pub struct SparseIndexBuilder {
    vocab_size: u32,
    pruning: DocPruning,
    terms: Vec<u32>,
    weights: Vec<f32>,
    /// Document `i` is `terms[doc_starts[i]..doc_starts[i + 1]]`.
    doc_starts: Vec<usize>,
    max_weight: f32,
}

impl SparseIndexBuilder {
    /// A builder for vectors over `0..vocab_size` (30,522 for BERT vocabularies).
    pub fn new(vocab_size: u32, pruning: DocPruning) -> Result<SparseIndexBuilder, SparseError> {
        if vocab_size == 0 || vocab_size > MAX_VOCAB_SIZE {
            return Err(SparseError::InvalidConfig(format!(
                "vocab_size must be in 1..={MAX_VOCAB_SIZE}, not {vocab_size}"
            )));
        }
        pruning.validate()?;
        Ok(SparseIndexBuilder {
            vocab_size,
            pruning,
            terms: Vec::new(),
            weights: Vec::new(),
            doc_starts: vec![0],
            max_weight: 0.0,
        })
    }

    /// Documents added so far.
    pub fn num_docs(&self) -> usize {
        self.doc_starts.len() - 1
    }

    /// Adds the next document (its doc id is the number added before it). Duplicate
    /// term ids are summed, zero weights ignored; an invalid vector adds nothing.
    pub fn add(&mut self, doc_terms: &[(u32, f32)]) -> Result<DocId, SparseError> {
        let doc = self.next_doc_id()?;
        let prepared = self.prepare(doc_terms).map_err(|e| SparseError::Document {
            doc,
            source: Box::new(e),
        })?;
        self.push(&prepared);
        Ok(doc)
    }

    /// Adds every document (checked and pruned in parallel, a chunk at a time so the
    /// float copy stays small) and finishes the index.
    pub fn build(mut self, docs: &[Vec<(u32, f32)>]) -> Result<SparseIndex, SparseError> {
        let total: usize = docs.iter().map(Vec::len).sum();
        self.terms.reserve(total);
        self.weights.reserve(total);
        for chunk in docs.chunks(CHUNK) {
            let first = self.num_docs();
            let prepared: Vec<Vec<(u32, f32)>> = chunk
                .par_iter()
                .enumerate()
                .map(|(i, d)| {
                    self.prepare(d).map_err(|e| SparseError::Document {
                        doc: (first + i).min(u32::MAX as usize) as u32,
                        source: Box::new(e),
                    })
                })
                .collect::<Result<_, _>>()?;
            for doc in &prepared {
                self.next_doc_id()?;
                self.push(doc);
            }
        }
        Ok(self.finish())
    }

    /// Quantises and lays out the postings.
    pub fn finish(self) -> SparseIndex {
        let scale = doc_scale(self.max_weight);
        let vocab = self.vocab_size as usize;
        let impacts_by_doc: Vec<u16> = self
            .weights
            .par_iter()
            .map(|&w| doc_impact(w, scale))
            .collect();
        drop(self.weights);

        let mut counts = vec![0u64; vocab + 1];
        for (&t, &imp) in self.terms.iter().zip(&impacts_by_doc) {
            if imp > 0 {
                counts[t as usize + 1] += 1;
            }
        }
        for t in 0..vocab {
            counts[t + 1] += counts[t];
        }
        let offsets = counts;
        let num_postings = offsets[vocab] as usize;
        let mut next: Vec<u64> = offsets[..vocab].to_vec();
        let mut docs = vec![0u32; num_postings];
        let mut impacts = vec![0u16; num_postings];
        let mut max_impact = vec![0u16; vocab];
        // Visiting documents in id order leaves every postings list ascending.
        for (doc, range) in self.doc_starts.windows(2).enumerate() {
            let terms = &self.terms[range[0]..range[1]];
            let doc_impacts = &impacts_by_doc[range[0]..range[1]];
            for (&t, &imp) in terms.iter().zip(doc_impacts) {
                if imp == 0 {
                    continue;
                }
                let t = t as usize;
                let at = next[t] as usize;
                next[t] += 1;
                docs[at] = doc as u32;
                impacts[at] = imp;
                max_impact[t] = max_impact[t].max(imp);
            }
        }
        let meta = SparseMeta {
            vocab_size: self.vocab_size,
            num_docs: (self.doc_starts.len() - 1) as u32,
            doc_scale: scale,
            pruning: self.pruning,
        };
        SparseIndex::from_parts(meta, offsets, docs, impacts, max_impact)
    }

    fn next_doc_id(&self) -> Result<DocId, SparseError> {
        // u32::MAX stays free as the traversal's end-of-list sentinel.
        let max = u32::MAX - 1;
        u32::try_from(self.num_docs())
            .ok()
            .filter(|&d| d < max)
            .ok_or(SparseError::TooManyDocs { max })
    }

    /// Checks, merges and prunes one document.
    fn prepare(&self, doc_terms: &[(u32, f32)]) -> Result<Vec<(u32, f32)>, SparseError> {
        let mut terms = normalize(doc_terms, self.vocab_size)?;
        self.pruning.apply(&mut terms);
        terms
            .into_iter()
            .map(|(t, w)| {
                let w32 = w as f32;
                if w32.is_finite() {
                    Ok((t, w32))
                } else {
                    Err(SparseError::InvalidWeight {
                        term: t,
                        weight: w32,
                    })
                }
            })
            .collect()
    }

    fn push(&mut self, doc: &[(u32, f32)]) {
        for &(t, w) in doc {
            self.terms.push(t);
            self.weights.push(w);
            self.max_weight = self.max_weight.max(w);
        }
        self.doc_starts.push(self.terms.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_keeps_the_heaviest_with_ties_to_lower_ids() {
        let p = DocPruning {
            top_terms: Some(2),
            min_weight: 0.5,
        };
        let mut terms = vec![(1, 0.4), (2, 1.0), (3, 2.0), (4, 1.0), (5, 0.6)];
        p.apply(&mut terms);
        assert_eq!(terms, vec![(2, 1.0), (3, 2.0)]);
        assert!(
            DocPruning {
                top_terms: Some(0),
                min_weight: 0.0
            }
            .validate()
            .is_err()
        );
        assert!(
            DocPruning {
                top_terms: None,
                min_weight: f32::NAN
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn invalid_documents_add_nothing() {
        let mut b = SparseIndexBuilder::new(10, DocPruning::default()).unwrap();
        assert_eq!(b.add(&[(1, 1.0)]).unwrap(), 0);
        assert!(b.add(&[(2, 1.0), (11, 1.0)]).is_err());
        assert_eq!(b.add(&[(3, 2.0)]).unwrap(), 1);
        assert!(b.add(&[(3, f32::MAX), (3, f32::MAX)]).is_err());
        assert_eq!(b.num_docs(), 2);
        assert!(SparseIndexBuilder::new(0, DocPruning::default()).is_err());
    }
}
