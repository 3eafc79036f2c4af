//! Synthetic SPLADE-like vectors for the benchmark, reproducible from a seed.
//!
//! Term popularity follows a Zipf–Mandelbrot law `p(r) ∝ 1 / (r + 10)` over the
//! vocabulary (the most common term lands in about 60% of documents), with ranks
//! scattered over term ids. Background weights lie in (0, 3], skewed toward small
//! values and lower for common terms, as SPLADE's log-saturated, FLOPS-regularised
//! weights are. Relevance needs structure: documents belong to random topics (a
//! product category; doc ids are not grouped by topic, as catalog order is not), and
//! half of a document's terms are its topic's 120 characteristic terms with high
//! weights. A query takes about 40% of its terms from one topic (so a few hundred
//! documents match it well, as a product query's category does) and the rest are
//! expansion terms drawn by popularity with small weights (0.05–0.8). Without topics
//! only popular terms are shared: the worst case for pruning.

use esci_core::rng::SplitMix64;

/// A popularity law over a vocabulary.
pub(crate) struct Vocabulary {
    /// Cumulative probability of ranks `0..=r`.
    cdf: Vec<f64>,
    size: u32,
}

/// Multiplier scattering popularity ranks over term ids (a bijection when coprime with
/// the vocabulary size, as with 30,522).
const SCATTER: u64 = 7919;

impl Vocabulary {
    pub fn new(size: u32) -> Vocabulary {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (0..size)
            .map(|r| {
                acc += 1.0 / (f64::from(r) + 11.0);
                acc
            })
            .collect();
        cdf.iter_mut().for_each(|c| *c /= acc);
        Vocabulary { cdf, size }
    }

    /// A popularity rank (0 = most common).
    fn rank(&self, rng: &mut SplitMix64) -> u32 {
        let u = rng.unit();
        (self.cdf.partition_point(|&c| c < u) as u32).min(self.size - 1)
    }

    fn term(&self, rank: u32) -> u32 {
        if gcd(u64::from(self.size), SCATTER) != 1 {
            rank
        } else {
            (u64::from(rank) * SCATTER % u64::from(self.size)) as u32
        }
    }

    /// 0 for the most common term, 1 for the rarest.
    fn rarity(&self, rank: u32) -> f64 {
        (f64::from(rank) + 1.0).ln() / (f64::from(self.size) + 1.0).ln()
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// A seed for item `i` of a stream: items can be generated in any order or thread.
fn item_seed(seed: u64, stream: u64, i: usize) -> u64 {
    SplitMix64::new(
        seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F)
            ^ (i as u64).wrapping_mul(0xE703_7ED1_A0B4_28DB),
    )
    .next_u64()
}

/// The generator: a popularity law plus, optionally, topics.
pub(crate) struct Synth {
    vocab: Vocabulary,
    seed: u64,
    /// Each topic's terms (popularity ranks) and their affinity weight in (0.8, 3].
    topics: Vec<Vec<(u32, f64)>>,
}

/// Terms per topic, drawn by popularity among all but the 100 most common ranks.
const TOPIC_TERMS: usize = 120;

impl Synth {
    /// `topics == 0`: no topical structure (documents share only popular terms).
    pub fn new(vocab_size: u32, seed: u64, topics: usize) -> Synth {
        let vocab = Vocabulary::new(vocab_size);
        let topics = (0..topics)
            .map(|t| {
                let mut rng = SplitMix64::new(item_seed(seed, 3, t));
                let mut terms: Vec<(u32, f64)> = Vec::with_capacity(TOPIC_TERMS);
                for _ in 0..TOPIC_TERMS * 4 {
                    if terms.len() == TOPIC_TERMS {
                        break;
                    }
                    let r = vocab.rank(&mut rng);
                    if (r >= 100 || vocab.size <= 100) && !terms.iter().any(|&(x, _)| x == r) {
                        terms.push((r, 0.8 + 2.2 * rng.unit()));
                    }
                }
                terms
            })
            .collect();
        Synth {
            vocab,
            seed,
            topics,
        }
    }

    fn topic_of(&self, doc: usize) -> Option<&[(u32, f64)]> {
        let n = self.topics.len() as u64;
        (n > 0).then(|| {
            let t = SplitMix64::new(item_seed(self.seed, 4, doc)).below(n);
            self.topics[t as usize].as_slice()
        })
    }

    /// Document `i`: 60–120 distinct terms with weights in (0, 3]; with topics, about
    /// half of them are its topic's terms, weighted by their affinity.
    pub fn document(&self, i: usize) -> Vec<(u32, f32)> {
        let vocab = &self.vocab;
        let mut rng = SplitMix64::new(item_seed(self.seed, 1, i));
        let n = rng.between(60, 120).min(vocab.size as usize);
        let mut ranks: Vec<(u32, f64)> = Vec::with_capacity(n + 16);
        if let Some(topic) = self.topic_of(i).filter(|t| !t.is_empty()) {
            for _ in 0..n / 2 {
                let (r, affinity) = topic[rng.below(topic.len() as u64) as usize];
                ranks.push((r, affinity * (0.4 + 0.6 * rng.unit())));
            }
        }
        for _ in 0..32 {
            while ranks.len() < n {
                let r = vocab.rank(&mut rng);
                let u = rng.unit();
                ranks.push((r, (0.02 + 2.98 * u * u) * (0.4 + 0.6 * vocab.rarity(r))));
            }
            // Keep the heavier weight of a repeated term.
            ranks.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
            ranks.dedup_by_key(|e| e.0);
            if ranks.len() >= n {
                break;
            }
        }
        let mut doc: Vec<(u32, f32)> = ranks
            .into_iter()
            .map(|(r, w)| (vocab.term(r), w.clamp(0.01, 3.0) as f32))
            .collect();
        doc.sort_unstable_by_key(|&(t, _)| t);
        doc
    }

    /// Query `i`: 15–30 terms. About 40% come from one document (with topics: from
    /// that document's topic, weighted by affinity), so some documents match it well;
    /// the rest are expansion terms drawn by popularity with small weights.
    pub fn query(&self, docs: &[Vec<(u32, f32)>], i: usize) -> Vec<(u32, f32)> {
        let vocab = &self.vocab;
        let mut rng = SplitMix64::new(item_seed(self.seed, 2, i));
        let n = rng.between(15, 30);
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(n);
        if !docs.is_empty() {
            let source = rng.below(docs.len() as u64) as usize;
            let own = n * 2 / 5;
            match self.topic_of(source).filter(|t| !t.is_empty()) {
                Some(topic) => {
                    for _ in 0..own {
                        let (r, affinity) = topic[rng.below(topic.len() as u64) as usize];
                        let w = affinity * (0.3 + 0.7 * rng.unit());
                        out.push((vocab.term(r), w as f32));
                    }
                }
                None if !docs[source].is_empty() => {
                    let doc = &docs[source];
                    for _ in 0..own {
                        let (t, w) = doc[rng.below(doc.len() as u64) as usize];
                        let w = (f64::from(w) * (0.5 + rng.unit())).clamp(0.05, 3.0);
                        out.push((t, w as f32));
                    }
                }
                None => {}
            }
        }
        while out.len() < n {
            let t = vocab.term(vocab.rank(&mut rng));
            let u = rng.unit();
            out.push((t, (0.05 + 0.75 * u * u) as f32));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible_and_in_range() {
        for topics in [0, 50] {
            let synth = Synth::new(30522, 7, topics);
            let a = synth.document(3);
            assert_eq!(a, Synth::new(30522, 7, topics).document(3));
            assert_ne!(a, synth.document(4));
            assert!((60..=120).contains(&a.len()), "{}", a.len());
            assert!(a.windows(2).all(|w| w[0].0 < w[1].0), "distinct, ascending");
            assert!(a.iter().all(|&(t, w)| t < 30522 && w > 0.0 && w <= 3.0));
            let docs = vec![a];
            let q = synth.query(&docs, 0);
            assert!((15..=30).contains(&q.len()));
            assert!(q.iter().all(|&(t, w)| t < 30522 && w > 0.0 && w <= 3.0));
        }
    }
}
