//! Builds a [`Bm25Index`] from products: analyze in parallel, merge, lay out CSR.

use crate::index::{IMPACT_SCALE, IndexMeta};
use crate::{Bm25Index, Bm25Params, LexicalError};
use esci_core::Product;
use esci_text::{Analyzer, AnalyzerConfig};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Products analyzed per parallel task: large enough that the per-chunk vocabulary
/// pays for itself, small enough to balance two to sixteen threads.
const CHUNK: usize = 2048;

/// Most fields an index can weight (the five ESCI text fields).
const MAX_FIELDS: usize = 5;

/// Turns products into a [`Bm25Index`]. Building never reads or writes files.
pub struct IndexBuilder {
    params: Bm25Params,
    analyzer: Analyzer,
}

/// One term's occurrences in one document, per indexed field.
type FieldFreqs = [u16; MAX_FIELDS];

/// Analyzed postings of one chunk of documents, with chunk-local term ids.
#[derive(Default)]
struct Chunk {
    vocab: Vec<String>,
    /// (local term, per-field frequencies), grouped by document.
    entries: Vec<(u32, FieldFreqs)>,
    /// `entries[doc_starts[i]..doc_starts[i + 1]]` belong to the chunk's i-th document.
    doc_starts: Vec<usize>,
    field_lens: Vec<[u32; MAX_FIELDS]>,
}

impl IndexBuilder {
    /// A builder; fails on out-of-range parameters.
    pub fn new(params: Bm25Params, analyzer: AnalyzerConfig) -> Result<IndexBuilder, LexicalError> {
        params.validate().map_err(LexicalError::InvalidParams)?;
        Ok(IndexBuilder {
            params,
            analyzer: Analyzer::new(analyzer),
        })
    }

    /// Indexes `products`; doc id `i` is `products[i]`. `progress` is called with the
    /// number of products just analyzed, from worker threads.
    pub fn build(&self, products: &[Product], progress: &(dyn Fn(usize) + Sync)) -> Bm25Index {
        let chunks: Vec<Chunk> = products
            .par_chunks(CHUNK)
            .map(|chunk| {
                let analyzed = self.analyze_chunk(chunk);
                progress(chunk.len());
                analyzed
            })
            .collect();

        // Merge chunk vocabularies into global term ids, in first-seen order.
        let mut term_ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut terms: Vec<Box<str>> = Vec::new();
        let mut local_to_global: Vec<Vec<u32>> = Vec::with_capacity(chunks.len());
        for chunk in &chunks {
            let map = chunk
                .vocab
                .iter()
                .map(|term| {
                    *term_ids.entry(term.clone()).or_insert_with(|| {
                        terms.push(term.as_str().into());
                        (terms.len() - 1) as u32
                    })
                })
                .collect();
            local_to_global.push(map);
        }
        drop(term_ids);

        let num_docs = products.len();
        let mut doc_freq = vec![0u64; terms.len()];
        let mut len_sums = [0f64; MAX_FIELDS];
        for (chunk, map) in chunks.iter().zip(&local_to_global) {
            for (term, _) in &chunk.entries {
                doc_freq[map[*term as usize] as usize] += 1;
            }
            for lens in &chunk.field_lens {
                for (sum, len) in len_sums.iter_mut().zip(lens) {
                    *sum += f64::from(*len);
                }
            }
        }
        let nf = self.params.field_weights.len();
        let avg_field_len: Vec<f64> = len_sums[..nf]
            .iter()
            .map(|s| s / num_docs.max(1) as f64)
            .collect();
        let idf: Vec<f64> = doc_freq.iter().map(|&df| idf(num_docs, df)).collect();

        let impacts_per_chunk: Vec<Vec<u32>> = chunks
            .par_iter()
            .zip(&local_to_global)
            .map(|(chunk, map)| self.chunk_impacts(chunk, map, &idf, &avg_field_len))
            .collect();

        // Lay out CSR: docs arrive in increasing id order, so each list ends up sorted.
        let mut offsets = Vec::with_capacity(terms.len() + 1);
        offsets.push(0u64);
        for df in &doc_freq {
            offsets.push(offsets.last().unwrap() + df);
        }
        let total = *offsets.last().unwrap() as usize;
        let mut cursor: Vec<u64> = offsets[..terms.len()].to_vec();
        let mut docs = vec![0u32; total];
        let mut impacts = vec![0u32; total];
        let mut max_impact = vec![0u32; terms.len()];
        let mut doc_base = 0u32;
        for ((chunk, map), chunk_impacts) in
            chunks.iter().zip(&local_to_global).zip(&impacts_per_chunk)
        {
            for i in 0..chunk.field_lens.len() {
                let doc = doc_base + i as u32;
                for e in chunk.doc_starts[i]..chunk.doc_starts[i + 1] {
                    let term = map[chunk.entries[e].0 as usize] as usize;
                    let at = cursor[term] as usize;
                    cursor[term] += 1;
                    docs[at] = doc;
                    impacts[at] = chunk_impacts[e];
                    max_impact[term] = max_impact[term].max(chunk_impacts[e]);
                }
            }
            doc_base += chunk.field_lens.len() as u32;
        }

        let analyzer = self.analyzer.config();
        let meta = IndexMeta {
            params: self.params.clone(),
            analyzer_version: Analyzer::VERSION,
            stem: analyzer.stem,
            stopwords: analyzer.stopwords,
            num_docs: num_docs as u32,
            avg_field_len,
        };
        Bm25Index::from_parts(meta, terms, offsets, docs, impacts, max_impact)
    }

    fn analyze_chunk(&self, products: &[Product]) -> Chunk {
        let mut chunk = Chunk::default();
        let mut vocab: FxHashMap<String, u32> = FxHashMap::default();
        let mut occurrences: Vec<(u32, u8)> = Vec::new();
        chunk.doc_starts.push(0);
        for product in products {
            occurrences.clear();
            let mut lens = [0u32; MAX_FIELDS];
            for (slot, (field, _)) in self.params.field_weights.iter().enumerate() {
                self.analyzer
                    .for_each_token(product.field(*field), |token| {
                        let id = match vocab.get(token) {
                            Some(&id) => id,
                            None => {
                                let id = chunk.vocab.len() as u32;
                                chunk.vocab.push(token.to_owned());
                                vocab.insert(token.to_owned(), id);
                                id
                            }
                        };
                        occurrences.push((id, slot as u8));
                        lens[slot] += 1;
                    });
            }
            occurrences.sort_unstable();
            let doc_start = chunk.entries.len();
            for &(term, slot) in &occurrences {
                let in_this_doc = chunk.entries.len() > doc_start;
                match chunk.entries.last_mut() {
                    Some((last, freqs)) if in_this_doc && *last == term => {
                        freqs[slot as usize] = freqs[slot as usize].saturating_add(1);
                    }
                    _ => {
                        let mut freqs = [0u16; MAX_FIELDS];
                        freqs[slot as usize] = 1;
                        chunk.entries.push((term, freqs));
                    }
                }
            }
            chunk.doc_starts.push(chunk.entries.len());
            chunk.field_lens.push(lens);
        }
        chunk
    }

    fn chunk_impacts(&self, chunk: &Chunk, map: &[u32], idf: &[f64], avg_len: &[f64]) -> Vec<u32> {
        let k1 = f64::from(self.params.k1);
        let b = f64::from(self.params.b);
        let weights: Vec<f64> = self
            .params
            .field_weights
            .iter()
            .map(|(_, w)| f64::from(*w))
            .collect();
        let mut out = Vec::with_capacity(chunk.entries.len());
        for (i, lens) in chunk.field_lens.iter().enumerate() {
            // Per-field length normalisers of this document.
            let norms: Vec<f64> = avg_len
                .iter()
                .zip(lens)
                .map(|(&avg, &len)| {
                    if avg > 0.0 {
                        1.0 - b + b * f64::from(len) / avg
                    } else {
                        1.0
                    }
                })
                .collect();
            for (term, freqs) in &chunk.entries[chunk.doc_starts[i]..chunk.doc_starts[i + 1]] {
                let tf: f64 = weights
                    .iter()
                    .zip(&norms)
                    .zip(freqs)
                    .map(|((w, norm), &f)| w * f64::from(f) / norm)
                    .sum();
                let score = idf[map[*term as usize] as usize] * tf * (k1 + 1.0) / (k1 + tf);
                out.push(quantize(score));
            }
        }
        out
    }
}

/// BM25 inverse document frequency in its non-negative form (Lucene, bm25s).
fn idf(num_docs: usize, df: u64) -> f64 {
    let n = num_docs as f64;
    let df = df as f64;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// Fixed-point impact, at least 1 so every posting counts as a match.
fn quantize(score: f64) -> u32 {
    (score * IMPACT_SCALE)
        .round()
        .clamp(1.0, f64::from(u32::MAX)) as u32
}
