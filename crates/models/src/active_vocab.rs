//! [`ActiveVocabulary`]: the vocabulary ids a SPLADE encoder computes its decoder for.
//!
//! SPLADE's tied MLM decoder (hidden × 30,522 per token) is about 90% of SPLADE-tiny's
//! cost, yet a product catalog activates only part of the vocabulary. An encoder
//! restricted to an active vocabulary computes the logits of those ids only and gives,
//! for them, the same weights as the full head; every other id is 0.
//!
//! - Queries: restricting to the ids the indexed documents contain changes no score
//!   (a query term that no document has contributes nothing to any dot product).
//! - Documents: the vocabulary is fitted on a sample of the catalog, so a document
//!   outside the sample may lose the weight of ids the sample never activated: an
//!   approximation, measured by [`ActiveVocabulary::coverage`].

use crate::error::{ModelError, Result};
use crate::splade::SparseVector;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// A set of vocabulary ids, strictly ascending, below `vocab_size`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveVocabulary {
    vocab_size: u32,
    ids: Vec<u32>,
}

/// The file form: the ids with their fingerprint, checked on load.
#[derive(Serialize, Deserialize)]
struct VocabularyFile {
    fingerprint: String,
    #[serde(flatten)]
    vocabulary: ActiveVocabulary,
}

/// How much of some vectors lies outside an [`ActiveVocabulary`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Coverage {
    /// Vectors counted.
    pub vectors: usize,
    /// Vectors with at least one term outside.
    pub vectors_touched: usize,
    /// Terms counted / outside.
    pub terms: usize,
    /// Terms outside the vocabulary.
    pub terms_outside: usize,
    /// Sum of all weights / of the weights outside.
    pub mass: f64,
    /// Sum of the weights outside the vocabulary.
    pub mass_outside: f64,
}

impl Coverage {
    /// Fraction of the terms outside the vocabulary.
    pub fn terms_outside_fraction(&self) -> f64 {
        self.terms_outside as f64 / self.terms.max(1) as f64
    }

    /// Fraction of the weight mass outside the vocabulary.
    pub fn mass_outside_fraction(&self) -> f64 {
        if self.mass > 0.0 {
            self.mass_outside / self.mass
        } else {
            0.0
        }
    }
}

impl ActiveVocabulary {
    /// The vocabulary of `ids` (any order, duplicates allowed) over `0..vocab_size`.
    pub fn new(vocab_size: u32, mut ids: Vec<u32>) -> Result<ActiveVocabulary> {
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Err(ModelError::InvalidArgument(
                "an active vocabulary needs at least one id".into(),
            ));
        }
        if let Some(&id) = ids.last().filter(|&&id| id >= vocab_size) {
            return Err(ModelError::InvalidArgument(format!(
                "active vocabulary id {id} is outside the vocabulary of {vocab_size}"
            )));
        }
        Ok(ActiveVocabulary { vocab_size, ids })
    }

    /// Every id with a weight above `min_weight` in some vector, plus `extra` ids (e.g.
    /// the input tokens of texts that were not encoded).
    pub fn fit<'a>(
        vocab_size: u32,
        vectors: impl IntoIterator<Item = &'a SparseVector>,
        min_weight: f32,
        extra: impl IntoIterator<Item = u32>,
    ) -> Result<ActiveVocabulary> {
        let mut seen = vec![false; vocab_size as usize];
        for v in vectors {
            for &(id, w) in &v.terms {
                if w > min_weight
                    && let Some(s) = seen.get_mut(id as usize)
                {
                    *s = true;
                }
            }
        }
        for id in extra {
            if let Some(s) = seen.get_mut(id as usize) {
                *s = true;
            }
        }
        let ids = (0..vocab_size).filter(|&i| seen[i as usize]).collect();
        ActiveVocabulary::new(vocab_size, ids)
    }

    /// The ids, ascending.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Never true once built.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Size of the full vocabulary the ids index.
    pub fn vocab_size(&self) -> u32 {
        self.vocab_size
    }

    /// Whether `id` is active.
    pub fn contains(&self, id: u32) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// sha256 (hex) of the vocabulary size and the ids: names graphs and artifacts.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.vocab_size.to_le_bytes());
        for id in &self.ids {
            h.update(id.to_le_bytes());
        }
        format!("{:x}", h.finalize())
    }

    /// A vector over positions in this vocabulary (`i` = the `i`-th active id) as a
    /// vector over vocabulary ids. The map is increasing, so the order is kept.
    pub fn to_vocabulary_ids(&self, mut v: SparseVector) -> SparseVector {
        for t in &mut v.terms {
            t.0 = self.ids[t.0 as usize];
        }
        v
    }

    /// `v` without its terms outside the vocabulary.
    pub fn restrict(&self, v: &SparseVector) -> SparseVector {
        SparseVector {
            terms: v
                .terms
                .iter()
                .copied()
                .filter(|t| self.contains(t.0))
                .collect(),
        }
    }

    /// What of `vectors` lies outside the vocabulary.
    pub fn coverage<'a>(&self, vectors: impl IntoIterator<Item = &'a SparseVector>) -> Coverage {
        let mut c = Coverage::default();
        for v in vectors {
            c.vectors += 1;
            let mut touched = false;
            for &(id, w) in &v.terms {
                c.terms += 1;
                c.mass += f64::from(w);
                if !self.contains(id) {
                    c.terms_outside += 1;
                    c.mass_outside += f64::from(w);
                    touched = true;
                }
            }
            c.vectors_touched += usize::from(touched);
        }
        c
    }

    /// Writes the vocabulary and its fingerprint as JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let file = VocabularyFile {
            fingerprint: self.fingerprint(),
            vocabulary: self.clone(),
        };
        let json = serde_json::to_vec(&file).expect("a vocabulary serialises");
        esci_core::atomic_file::write_atomically(path, |w| std::io::Write::write_all(w, &json))
            .map_err(|source| ModelError::Io {
                path: path.to_owned(),
                source,
            })
    }

    /// Reads a file written by [`ActiveVocabulary::save`], checking its ids against
    /// the fingerprint it records.
    pub fn load(path: &Path) -> Result<ActiveVocabulary> {
        let text = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_owned(),
            source,
        })?;
        let file: VocabularyFile =
            serde_json::from_slice(&text).map_err(|source| ModelError::Json {
                path: path.to_owned(),
                source,
            })?;
        let v = ActiveVocabulary::new(file.vocabulary.vocab_size, file.vocabulary.ids)?;
        if v.fingerprint() != file.fingerprint {
            return Err(ModelError::InvalidArgument(format!(
                "{}: the ids do not match the recorded fingerprint (a damaged file): rebuild it",
                path.display()
            )));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::splade::tests::sv;

    #[test]
    fn fit_keeps_ids_above_the_threshold_and_the_extra_ids() {
        let docs = [sv(&[(3, 0.5), (7, 0.05)]), sv(&[(1, 1.0), (3, 0.2)])];
        let v = ActiveVocabulary::fit(10, &docs, 0.1, [9, 9, 42]).unwrap();
        assert_eq!(v.ids(), &[1, 3, 9]);
        assert!(v.contains(3) && !v.contains(7));
        let c = v.coverage(&docs);
        assert_eq!((c.vectors, c.vectors_touched), (2, 1));
        assert_eq!((c.terms, c.terms_outside), (4, 1));
        assert!((c.mass_outside_fraction() - 0.05 / 1.75).abs() < 1e-6);
        assert_eq!(v.restrict(&docs[0]), sv(&[(3, 0.5)]));
        assert_eq!(
            v.to_vocabulary_ids(sv(&[(0, 0.3), (2, 0.4)])),
            sv(&[(1, 0.3), (9, 0.4)])
        );
    }

    #[test]
    fn bad_vocabularies_are_refused() {
        assert!(ActiveVocabulary::new(10, vec![]).is_err());
        assert!(ActiveVocabulary::new(10, vec![3, 10]).is_err());
        let v = ActiveVocabulary::new(10, vec![4, 2, 2]).unwrap();
        assert_eq!(v.ids(), &[2, 4]);
        assert_ne!(
            v.fingerprint(),
            ActiveVocabulary::new(11, vec![2, 4]).unwrap().fingerprint()
        );
    }

    #[test]
    fn save_and_load_round_trip_and_a_changed_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vocab.json");
        let v = ActiveVocabulary::new(30522, vec![101, 2000, 30000]).unwrap();
        v.save(&path).unwrap();
        assert_eq!(ActiveVocabulary::load(&path).unwrap(), v);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("2000", "2001");
        std::fs::write(&path, text).unwrap();
        let err = ActiveVocabulary::load(&path).unwrap_err().to_string();
        assert!(err.contains("fingerprint"), "{err}");
    }
}
