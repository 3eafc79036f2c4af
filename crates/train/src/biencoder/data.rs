//! The bi-encoder's training data, tokenised once up front: fit queries and the
//! products they touch (one table, so a product in several pairs is tokenised once),
//! (query, positive) pairs, the positives of each query (masked as in-batch negatives
//! of that query) and mined hard negatives; and the dev pool the proxy metric ranks.
//!
//! Queries and products have their own token limits: queries are short (16 tokens
//! hold almost every ESCI query), products are the expensive side.

use crate::TrainError;
use esci_models::{Encoded, TextTokenizer};

/// The data as texts, indices into the text tables.
#[derive(Debug, Clone, Default)]
pub struct BiEncoderTexts {
    /// Fit query texts.
    pub queries: Vec<String>,
    /// Product texts (positives and hard negatives of the fit queries).
    pub docs: Vec<String>,
    /// `(query, doc)` positive pairs.
    pub pairs: Vec<(usize, usize)>,
    /// Per fit query: its positive docs (sorted).
    pub positives: Vec<Vec<usize>>,
    /// Per fit query: mined negatives (may be empty).
    pub hard_negatives: Vec<Vec<usize>>,
    /// Dev query texts.
    pub dev_queries: Vec<String>,
    /// Dev pool product texts: the dev queries' judged products plus a fixed sample.
    pub dev_docs: Vec<String>,
    /// Per dev query: its relevant pool docs.
    pub dev_relevant: Vec<Vec<usize>>,
    /// Cut-off of the proxy recall on the pool.
    pub dev_k: usize,
}

/// The dev proxy: dev queries ranked against a pool of products.
#[derive(Debug, Clone)]
pub struct DevPool {
    /// Dev queries.
    pub queries: Vec<Encoded>,
    /// Pool products.
    pub docs: Vec<Encoded>,
    /// Per dev query: its relevant pool docs.
    pub relevant: Vec<Vec<usize>>,
    /// Recall cut-off on the pool.
    pub k: usize,
}

/// Tokenised training data.
#[derive(Debug, Clone)]
pub struct BiEncoderData {
    /// Fit queries.
    pub queries: Vec<Encoded>,
    /// Products of the fit pairs and negatives.
    pub docs: Vec<Encoded>,
    /// `(query, doc)` positive pairs.
    pub pairs: Vec<(usize, usize)>,
    /// Per query: positive docs, sorted.
    pub positives: Vec<Vec<usize>>,
    /// Per query: mined negatives.
    pub hard_negatives: Vec<Vec<usize>>,
    /// The dev proxy.
    pub dev: DevPool,
    /// The tokenizer's padding id.
    pub pad_id: u32,
}

impl BiEncoderData {
    /// Tokenises queries with `queries` (its max length) and products with `docs`,
    /// checking every index.
    pub fn tokenize(
        queries: &TextTokenizer,
        docs: &TextTokenizer,
        texts: &BiEncoderTexts,
    ) -> Result<BiEncoderData, TrainError> {
        let t = texts;
        let bad = |m: String| Err(TrainError::Invalid(m));
        if t.positives.len() != t.queries.len() || t.hard_negatives.len() != t.queries.len() {
            return bad("positives and negatives must have one list per fit query".into());
        }
        if t.dev_relevant.len() != t.dev_queries.len() {
            return bad("dev relevance must have one list per dev query".into());
        }
        let (nq, nd) = (t.queries.len(), t.docs.len());
        if t.pairs.iter().any(|&(q, d)| q >= nq || d >= nd)
            || t.positives.iter().flatten().any(|&d| d >= nd)
            || t.hard_negatives.iter().flatten().any(|&d| d >= nd)
            || t.dev_relevant
                .iter()
                .flatten()
                .any(|&d| d >= t.dev_docs.len())
        {
            return bad("a pair, positive or negative points outside its table".into());
        }
        let mut positives = t.positives.clone();
        for p in &mut positives {
            p.sort_unstable();
            p.dedup();
        }
        Ok(BiEncoderData {
            queries: queries.encode_all(&refs(&t.queries), None)?,
            docs: docs.encode_all(&refs(&t.docs), None)?,
            pairs: t.pairs.clone(),
            positives,
            hard_negatives: t.hard_negatives.clone(),
            dev: DevPool {
                queries: queries.encode_all(&refs(&t.dev_queries), None)?,
                docs: docs.encode_all(&refs(&t.dev_docs), None)?,
                relevant: t.dev_relevant.clone(),
                k: t.dev_k,
            },
            pad_id: docs.pad_id(),
        })
    }
}

fn refs(texts: &[String]) -> Vec<&str> {
    texts.iter().map(String::as_str).collect()
}
