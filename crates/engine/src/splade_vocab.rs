//! `[neural] splade_vocab`: the active SPLADE vocabulary of a build.
//!
//! With `active`, `esci index` encodes a seeded random sample of the catalog with the
//! full SPLADE head, keeps every vocabulary id that some sampled product activates
//! (weight above the encoder's pruning threshold) plus every token id of any product's
//! text (tokenising the whole catalog is cheap; SPLADE mostly weights the text's own
//! tokens), optionally cut to the heaviest `splade_vocab_max_ids`, and encodes the
//! rest of the catalog with a head restricted to those ids (the decoder is ~90% of
//! SPLADE-tiny's cost; the sampled products keep their full-head vectors, which lie
//! inside the vocabulary unless it was cut). The vocabulary is written beside the index
//! (`splade-vocab-<fingerprint>.json`), fingerprinted in the manifest, and loaded by the
//! query encoder, for which the restriction changes no score: a query term no product
//! has contributes nothing.

use crate::EngineError;
use esci_core::rng::SplitMix64;
use esci_models::{
    ActiveVocabulary, SparseTextEncoder, SparseVector, SpladeOptions, TextTokenizer,
};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// The seed of the sample (fixed: a rebuild fits the same vocabulary).
const SAMPLE_SEED: u64 = 0x0059_1ADE_5EED;

/// Which SPLADE output vocabulary a build encodes with (`[neural] splade_vocab`).
///
/// `active` is the default: on the dev queries it gave the full head's SPLADE and
/// fused metrics to four decimals with samples of 2,000 and 4,000 products (and the
/// whole catalog), while encoding documents and queries about twice as fast
/// (BENCHMARKS.md, "Encoders").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpladeVocab {
    /// The decoder over the whole vocabulary (30,522 ids for BERT).
    Full,
    /// The decoder over the ids the catalog activates, fitted at build time.
    #[default]
    Active,
}

/// The manifest's record of an active vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VocabArtifact {
    /// File name inside the artifact directory.
    pub file: String,
    /// [`ActiveVocabulary::fingerprint`] of the file's ids.
    pub fingerprint: String,
    /// Products sampled to fit it (`[neural] splade_vocab_sample`, at most the catalog).
    pub sample: usize,
    /// Whether the catalog's input tokens joined it.
    pub input_tokens: bool,
    /// The cap on its size (`[neural] splade_vocab_max_ids`).
    pub max_ids: Option<usize>,
    /// Ids kept.
    pub ids: usize,
    /// Of them, ids only the catalog's input tokens contributed.
    pub token_only_ids: usize,
    /// Ids the sample activated (before the cap).
    pub sample_ids: usize,
    /// Seconds encoding the sample and tokenising the catalog.
    pub fit_seconds: f64,
}

impl VocabArtifact {
    /// What decides the vocabulary besides the catalog and the model: sample size,
    /// input tokens, cap.
    pub fn settings(&self) -> (usize, bool, Option<usize>) {
        (self.sample, self.input_tokens, self.max_ids)
    }

    /// What a build with these settings will record, before it fits anything.
    pub fn planned((sample, input_tokens, max_ids): (usize, bool, Option<usize>)) -> Self {
        VocabArtifact {
            file: String::new(),
            fingerprint: String::new(),
            sample,
            input_tokens,
            max_ids,
            ids: 0,
            token_only_ids: 0,
            sample_ids: 0,
            fit_seconds: 0.0,
        }
    }

    /// Loads the vocabulary of `dir`, refusing a file whose ids are not the ones the
    /// manifest recorded.
    pub fn load(&self, dir: &Path) -> Result<ActiveVocabulary, EngineError> {
        let path = dir.join(&self.file);
        let v = ActiveVocabulary::load(&path)?;
        if v.fingerprint() != self.fingerprint {
            return Err(EngineError::Artifacts(format!(
                "{} has fingerprint {}, the manifest recorded {}: rebuild with `esci index`",
                path.display(),
                v.fingerprint(),
                self.fingerprint
            )));
        }
        Ok(v)
    }
}

/// `k` distinct indices of `0..n`, ascending, drawn with a fixed seed (all of them
/// when `k >= n`).
pub fn sample_indices(n: usize, k: usize) -> Vec<usize> {
    if k >= n {
        return (0..n).collect();
    }
    // Partial Fisher-Yates over the index list.
    let mut all: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64::new(SAMPLE_SEED);
    for i in 0..k {
        let j = i + rng.below((n - i) as u64) as usize;
        all.swap(i, j);
    }
    all.truncate(k);
    all.sort_unstable();
    all
}

/// A fitted vocabulary with its manifest record and the sample's full-head vectors
/// (restricted to the vocabulary: exactly what the restricted head gives them).
pub struct Fitted {
    /// The ids.
    pub vocabulary: ActiveVocabulary,
    /// What the manifest records.
    pub artifact: VocabArtifact,
    /// The sampled texts' vectors, in sample order.
    pub sampled: Vec<SparseVector>,
}

/// The vocabulary of `texts`: what the full-head `encoder` activates on `sample` of
/// them (indices), plus the input token ids of all of them when `tokenizer` is given,
/// cut to `max_ids`.
pub fn fit_vocabulary(
    encoder: &dyn SparseTextEncoder,
    texts: &[&str],
    sample: &[usize],
    tokenizer: Option<&TextTokenizer>,
    max_ids: Option<usize>,
    options: &SpladeOptions,
) -> Result<Fitted, EngineError> {
    let started = Instant::now();
    let sampled: Vec<&str> = sample.iter().map(|&i| texts[i]).collect();
    let bar = crate::progress::bar(sampled.len() as u64, "splade vocabulary");
    let vocab_size = encoder.vocab_size();
    // Weight over the sample, and in how many products' input an id is.
    let mut mass = vec![0f64; vocab_size];
    let mut token_df = vec![0u32; vocab_size];
    let mut vectors = Vec::with_capacity(sampled.len());
    for chunk in sampled.chunks(256) {
        for v in encoder.encode(chunk)? {
            for &(id, w) in &v.terms {
                if w > options.min_weight
                    && let Some(m) = mass.get_mut(id as usize)
                {
                    *m += f64::from(w);
                }
            }
            vectors.push(v);
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    if let Some(tokenizer) = tokenizer {
        for chunk in texts.chunks(4096) {
            for mut e in tokenizer.encode_all(chunk, None)? {
                e.ids.sort_unstable();
                e.ids.dedup();
                for id in e.ids {
                    if let Some(df) = token_df.get_mut(id as usize) {
                        *df += 1;
                    }
                }
            }
        }
    }
    let mut ranked: Vec<u32> = (0..vocab_size as u32)
        .filter(|&i| mass[i as usize] > 0.0 || token_df[i as usize] > 0)
        .collect();
    let from_sample = ranked.iter().filter(|&&i| mass[i as usize] > 0.0).count();
    if let Some(cap) = max_ids.filter(|&cap| cap < ranked.len()) {
        ranked.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            mass[b]
                .total_cmp(&mass[a])
                .then(token_df[b].cmp(&token_df[a]))
                .then(a.cmp(&b))
        });
        ranked.truncate(cap);
    }
    let kept_from_sample = ranked.iter().filter(|&&i| mass[i as usize] > 0.0).count();
    let vocabulary = ActiveVocabulary::new(vocab_size as u32, ranked)?;
    let artifact = VocabArtifact {
        file: format!("splade-vocab-{}.json", &vocabulary.fingerprint()[..16]),
        fingerprint: vocabulary.fingerprint(),
        sample: sample.len(),
        input_tokens: tokenizer.is_some(),
        max_ids,
        ids: vocabulary.len(),
        token_only_ids: vocabulary.len() - kept_from_sample,
        sample_ids: from_sample,
        fit_seconds: started.elapsed().as_secs_f64(),
    };
    let sampled = vectors.iter().map(|v| vocabulary.restrict(v)).collect();
    Ok(Fitted {
        vocabulary,
        artifact,
        sampled,
    })
}

/// A SPLADE encoder that cannot restrict its head (candle) with its outputs restricted
/// to the vocabulary afterwards: the same vectors as a restricted head, none of the
/// speed.
pub(crate) struct Restricted<E> {
    pub(crate) encoder: E,
    pub(crate) vocabulary: ActiveVocabulary,
}

impl<E: SparseTextEncoder> SparseTextEncoder for Restricted<E> {
    fn vocab_size(&self) -> usize {
        self.encoder.vocab_size()
    }
    fn encode(&self, texts: &[&str]) -> esci_models::Result<Vec<esci_models::SparseVector>> {
        Ok(self
            .encoder
            .encode(texts)?
            .iter()
            .map(|v| self.vocabulary.restrict(v))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_distinct_sorted_seeded_and_capped() {
        let s = sample_indices(1000, 100);
        assert_eq!(s.len(), 100);
        assert!(s.windows(2).all(|w| w[0] < w[1]) && s[99] < 1000);
        assert_eq!(s, sample_indices(1000, 100));
        assert!(s[99] > 500, "spread over the catalog");
        assert_eq!(sample_indices(5, 10), vec![0, 1, 2, 3, 4]);
    }
}
