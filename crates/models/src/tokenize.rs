//! WordPiece tokenisation and padded batch tensors.
//!
//! The shipped `tokenizer.json` files bake in padding and truncation (MiniLM's pads
//! every text to 128 tokens): both are removed on load. Truncation is ours, to a
//! configurable `max_length` (longest-first for pairs), and padding happens per batch,
//! to the longest member, so short texts do not pay for 128 positions.

use crate::error::{ModelError, Result};
use candle_core::{Device, Tensor};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

/// Fewest tokens a sequence may be truncated to: `[CLS]`, one token, `[SEP]`.
const MIN_LENGTH: usize = 3;

/// A tokenised text or pair, unpadded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Token ids, `[CLS] … [SEP]` (pairs: `[CLS] q [SEP] d [SEP]`).
    pub ids: Vec<u32>,
    /// Segment ids: 0 for the first text, 1 for the second of a pair.
    pub type_ids: Vec<u32>,
}

impl Encoded {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no tokens (never the case with special tokens).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A `tokenizer.json` with our truncation and no padding.
pub struct TextTokenizer {
    inner: Tokenizer,
    path: PathBuf,
    max_length: usize,
    pad_id: u32,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTokenizer")
            .field("path", &self.path)
            .field("max_length", &self.max_length)
            .field("pad_id", &self.pad_id)
            .finish_non_exhaustive()
    }
}

impl TextTokenizer {
    /// Loads `path`, removes its padding and truncates to `max_length` tokens (special
    /// tokens included).
    pub fn from_file(path: &Path, max_length: usize) -> Result<TextTokenizer> {
        if !path.is_file() {
            return Err(ModelError::MissingFile {
                path: path.to_path_buf(),
            });
        }
        let err = |reason: String| ModelError::Tokenizer {
            path: path.to_path_buf(),
            reason,
        };
        if max_length < MIN_LENGTH {
            return Err(err(format!(
                "max_length {max_length} is below {MIN_LENGTH}"
            )));
        }
        let mut inner = Tokenizer::from_file(path).map_err(|e| err(e.to_string()))?;
        // The baked padding's id is the model's pad id; fall back to `[PAD]`, then 0.
        let pad_id = inner
            .get_padding()
            .map(|p| p.pad_id)
            .or_else(|| inner.token_to_id("[PAD]"))
            .unwrap_or(0);
        inner.with_padding(None);
        inner
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| err(e.to_string()))?;
        Ok(TextTokenizer {
            inner,
            path: path.to_path_buf(),
            max_length,
            pad_id,
        })
    }

    /// The file this tokenizer was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Longest sequence produced, special tokens included.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// The id padded positions get.
    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// Tokenises one text.
    pub fn encode(&self, text: &str) -> Result<Encoded> {
        let e = self
            .inner
            .encode_fast(text, true)
            .map_err(|e| ModelError::Encode(e.to_string()))?;
        Ok(Encoded {
            ids: e.get_ids().to_vec(),
            type_ids: e.get_type_ids().to_vec(),
        })
    }

    /// Tokenises a (query, document) pair: segment 0 then 1, the longer side truncated
    /// first.
    pub fn encode_pair(&self, query: &str, document: &str) -> Result<Encoded> {
        let e = self
            .inner
            .encode_fast((query, document), true)
            .map_err(|e| ModelError::Encode(e.to_string()))?;
        Ok(Encoded {
            ids: e.get_ids().to_vec(),
            type_ids: e.get_type_ids().to_vec(),
        })
    }

    /// Tokenises many texts (in parallel), each with `prefix` prepended if given.
    pub fn encode_all(&self, texts: &[&str], prefix: Option<&str>) -> Result<Vec<Encoded>> {
        texts
            .par_iter()
            .map(|t| match prefix {
                Some(p) => self.encode(&format!("{p}{t}")),
                None => self.encode(t),
            })
            .collect()
    }

    /// Tokenises many (query, document) pairs (in parallel).
    pub fn encode_pairs(&self, pairs: &[(&str, &str)]) -> Result<Vec<Encoded>> {
        pairs
            .par_iter()
            .map(|(q, d)| self.encode_pair(q, d))
            .collect()
    }

    /// Every token string indexed by id (ids absent from the vocabulary get "").
    pub fn vocabulary(&self) -> Vec<String> {
        let vocab = self.inner.get_vocab(true);
        let size = vocab.values().map(|&id| id as usize + 1).max().unwrap_or(0);
        let mut out = vec![String::new(); size];
        for (token, id) in vocab {
            out[id as usize] = token;
        }
        out
    }
}

/// Padded model inputs for a batch of encoded texts.
#[derive(Debug)]
pub struct Batch {
    /// u32 `[batch, seq]`, padded with the pad id.
    pub input_ids: Tensor,
    /// u32 `[batch, seq]`, padded with 0.
    pub token_type_ids: Tensor,
    /// u32 `[batch, seq]`: 1 for tokens, 0 for padding.
    pub attention_mask: Tensor,
    /// Unpadded length of each member.
    pub lengths: Vec<usize>,
}

impl Batch {
    /// Pads `items` on the right to the longest one. Errors on an empty batch.
    pub fn new(items: &[&Encoded], pad_id: u32) -> Result<Batch> {
        let seq = items.iter().map(|e| e.len()).max().unwrap_or(0);
        if seq == 0 {
            return Err(ModelError::InvalidArgument(
                "cannot build a batch of no tokens".into(),
            ));
        }
        let n = items.len();
        let mut ids = vec![pad_id; n * seq];
        let mut types = vec![0u32; n * seq];
        let mut mask = vec![0u32; n * seq];
        for (row, e) in items.iter().enumerate() {
            let at = row * seq;
            ids[at..at + e.len()].copy_from_slice(&e.ids);
            types[at..at + e.len()].copy_from_slice(&e.type_ids);
            mask[at..at + e.len()].fill(1);
        }
        let dev = Device::Cpu;
        Ok(Batch {
            input_ids: Tensor::from_vec(ids, (n, seq), &dev)?,
            token_type_ids: Tensor::from_vec(types, (n, seq), &dev)?,
            attention_mask: Tensor::from_vec(mask, (n, seq), &dev)?,
            lengths: items.iter().map(|e| e.len()).collect(),
        })
    }
}

/// Groups item indices into batches of similar length: indices sorted by length (ties
/// by index, so the plan is deterministic), cut every `batch_size`. Padding is then
/// nearly free; callers scatter results back by index.
pub fn length_buckets(lengths: &[usize], batch_size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| (lengths[i], i));
    order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect()
}

/// Runs `f` on length-bucketed padded batches of `items` and returns its per-item
/// outputs in the original order. `f` must return one output per batch member.
pub(crate) fn map_in_buckets<T>(
    items: &[Encoded],
    pad_id: u32,
    batch_size: usize,
    f: impl Fn(&Batch) -> Result<Vec<T>>,
) -> Result<Vec<T>> {
    let lengths: Vec<usize> = items.iter().map(Encoded::len).collect();
    let mut out: Vec<Option<T>> = (0..items.len()).map(|_| None).collect();
    for bucket in length_buckets(&lengths, batch_size) {
        let members: Vec<&Encoded> = bucket.iter().map(|&i| &items[i]).collect();
        let results = f(&Batch::new(&members, pad_id)?)?;
        if results.len() != bucket.len() {
            return Err(ModelError::InvalidArgument(format!(
                "batch of {} produced {} outputs",
                bucket.len(),
                results.len()
            )));
        }
        for (i, r) in bucket.into_iter().zip(results) {
            out[i] = Some(r);
        }
    }
    Ok(out.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_group_similar_lengths_and_cover_every_index() {
        let buckets = length_buckets(&[5, 1, 9, 1, 5], 2);
        assert_eq!(buckets, vec![vec![1, 3], vec![0, 4], vec![2]]);
        assert!(length_buckets(&[], 4).is_empty());
    }

    #[test]
    fn batch_pads_right_with_the_pad_id() {
        let a = Encoded {
            ids: vec![101, 7, 102],
            type_ids: vec![0, 0, 0],
        };
        let b = Encoded {
            ids: vec![101, 102],
            type_ids: vec![0, 0],
        };
        let batch = Batch::new(&[&a, &b], 9).unwrap();
        let ids: Vec<Vec<u32>> = batch.input_ids.to_vec2().unwrap();
        assert_eq!(ids, vec![vec![101, 7, 102], vec![101, 102, 9]]);
        let mask: Vec<Vec<u32>> = batch.attention_mask.to_vec2().unwrap();
        assert_eq!(mask, vec![vec![1, 1, 1], vec![1, 1, 0]]);
        assert_eq!(batch.lengths, vec![3, 2]);
        assert!(Batch::new(&[], 0).is_err());
    }
}
