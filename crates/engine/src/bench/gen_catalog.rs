//! `esci bench gen-catalog`: a synthetic catalog of any size with the real catalog's
//! vocabulary and length distribution, for scale benchmarks the subset cannot give.
//!
//! Each synthetic product copies the per-field word counts of a random real product
//! (so the joint length distribution, empty fields included, is the real one) and
//! fills each field with words drawn from that field's real unigram distribution.
//! A small share of words are fresh model-number-like tokens, so the vocabulary keeps
//! growing with the catalog as real catalogs' do (Heaps' law) instead of saturating
//! at the subset's vocabulary.

use esci_core::rng::SplitMix64;
use esci_core::{Field, Product};
use rayon::prelude::*;
use std::collections::HashMap;

/// Settings of the generator.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Products to generate.
    pub count: usize,
    /// Seed: the same seed and source give the same catalog.
    pub seed: u64,
    /// Probability that a word is a fresh synthetic token rather than a real word.
    pub fresh_token_rate: f64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            count: 480_000,
            seed: 42,
            fresh_token_rate: 0.01,
        }
    }
}

/// A field's words with cumulative counts, for sampling by frequency.
struct Unigrams {
    words: Vec<String>,
    cumulative: Vec<u64>,
}

impl Unigrams {
    fn from_texts<'a>(texts: impl Iterator<Item = &'a str>) -> Unigrams {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        for text in texts {
            for word in text.split_whitespace() {
                *counts.entry(word).or_default() += 1;
            }
        }
        let mut pairs: Vec<(&str, u64)> = counts.into_iter().collect();
        pairs.sort_unstable();
        let mut total = 0;
        let cumulative = pairs
            .iter()
            .map(|(_, c)| {
                total += c;
                total
            })
            .collect();
        Unigrams {
            words: pairs.into_iter().map(|(w, _)| w.to_owned()).collect(),
            cumulative,
        }
    }

    fn sample(&self, rng: &mut SplitMix64) -> &str {
        let total = *self.cumulative.last().unwrap_or(&0);
        if total == 0 {
            return "";
        }
        let target = rng.below(total);
        &self.words[self.cumulative.partition_point(|&c| c <= target)]
    }
}

/// Generates `options.count` products from the distributions of `source`.
pub fn generate_catalog(source: &[Product], options: &GenOptions) -> Vec<Product> {
    if source.is_empty() {
        return Vec::new();
    }
    let unigrams: Vec<Unigrams> = Field::ALL
        .iter()
        .map(|&f| Unigrams::from_texts(source.iter().map(|p| p.field(f))))
        .collect();
    let lengths: Vec<[usize; 5]> = source
        .iter()
        .map(|p| Field::ALL.map(|f| p.field(f).split_whitespace().count()))
        .collect();
    (0..options.count)
        .into_par_iter()
        .map(|i| {
            let mut rng =
                SplitMix64::new(options.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let template = &lengths[rng.below(lengths.len() as u64) as usize];
            let mut fields = Field::ALL.map(|_| String::new());
            for (slot, field) in Field::ALL.iter().enumerate() {
                let text = &mut fields[slot];
                for w in 0..template[slot] {
                    if w > 0 {
                        text.push(if *field == Field::Bullets && rng.below(12) == 0 {
                            '\n'
                        } else {
                            ' '
                        });
                    }
                    if rng.unit() < options.fresh_token_rate {
                        text.push_str(&fresh_token(&mut rng));
                    } else {
                        text.push_str(unigrams[slot].sample(&mut rng));
                    }
                }
            }
            let [title, brand, color, bullets, description] = fields;
            Product {
                id: format!("SYN{i:08}"),
                title,
                brand,
                color,
                bullets,
                description,
                locale: "us".into(),
            }
        })
        .collect()
}

/// A model-number-like token such as `KX-4821`, drawn from a space of ~10^8.
fn fresh_token(rng: &mut SplitMix64) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    let a = LETTERS[rng.below(LETTERS.len() as u64) as usize] as char;
    let b = LETTERS[rng.below(LETTERS.len() as u64) as usize] as char;
    format!("{a}{b}-{}", rng.below(100_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Vec<Product> {
        vec![
            Product {
                id: "a".into(),
                title: "cordless drill 20V".into(),
                brand: "Makita".into(),
                ..Default::default()
            },
            Product {
                id: "b".into(),
                title: "garden hose".into(),
                bullets: "50 ft\nkink free".into(),
                ..Default::default()
            },
        ]
    }

    #[test]
    fn deterministic_with_real_lengths_and_words() {
        let options = GenOptions {
            count: 200,
            seed: 3,
            fresh_token_rate: 0.0,
        };
        let a = generate_catalog(&source(), &options);
        assert_eq!(a, generate_catalog(&source(), &options));
        assert_eq!(a.len(), 200);
        let title_words = ["cordless", "drill", "20V", "garden", "hose"];
        for p in &a {
            let n = p.title.split_whitespace().count();
            assert!(n == 3 || n == 2, "{p:?}");
            assert!(p.title.split_whitespace().all(|w| title_words.contains(&w)));
        }
        let ids: std::collections::HashSet<_> = a.iter().map(|p| &p.id).collect();
        assert_eq!(ids.len(), 200);
        assert!(generate_catalog(&[], &options).is_empty());
    }
}
