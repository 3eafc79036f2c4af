//! Reranker training data: each query's judged products as one list of tokenised
//! (query, product text) pairs with the KDD Cup gain of the label as the target.
//!
//! ESCI's judged lists already hold hard negatives: Amazon's own retrieval put the
//! Complement and Irrelevant products there, so no mining is needed for a first model.
//! Pairs are tokenised once, up front; a training step only gathers them.

use crate::TrainError;
use esci_models::{Encoded, TextTokenizer};

/// One query's judged products, tokenised, with their gains.
#[derive(Debug, Clone)]
pub struct TokenizedList {
    /// `(pair encoding, gain)`.
    pub pairs: Vec<(Encoded, f32)>,
}

/// A query's text and its judged products' texts with gains, before tokenising.
#[derive(Debug, Clone)]
pub struct TextList {
    /// The shopper's query.
    pub query: String,
    /// `(product text, gain)`.
    pub products: Vec<(String, f32)>,
}

/// Fit lists to train on, dev lists to judge by.
#[derive(Debug, Clone)]
pub struct RerankData {
    /// Lists of the fit queries.
    pub fit: Vec<TokenizedList>,
    /// Lists of the dev queries.
    pub dev: Vec<TokenizedList>,
    /// The tokenizer's padding id.
    pub pad_id: u32,
}

impl RerankData {
    /// Tokenises both parts with `tokenizer` (pairs truncated to its max length, the
    /// longer side first). Lists without products are dropped.
    pub fn tokenize(
        tokenizer: &TextTokenizer,
        fit: &[TextList],
        dev: &[TextList],
    ) -> Result<RerankData, TrainError> {
        let run = |lists: &[TextList]| -> Result<Vec<TokenizedList>, TrainError> {
            let mut out = Vec::with_capacity(lists.len());
            for list in lists.iter().filter(|l| !l.products.is_empty()) {
                if let Some((_, g)) = list.products.iter().find(|(_, g)| !(0.0..=1.0).contains(g)) {
                    return Err(TrainError::Invalid(format!(
                        "gain {g} of query {:?} is outside [0, 1]",
                        list.query
                    )));
                }
                let pairs: Vec<(&str, &str)> = list
                    .products
                    .iter()
                    .map(|(text, _)| (list.query.as_str(), text.as_str()))
                    .collect();
                let encoded = tokenizer.encode_pairs(&pairs)?;
                out.push(TokenizedList {
                    pairs: encoded
                        .into_iter()
                        .zip(list.products.iter().map(|(_, g)| *g))
                        .collect(),
                });
            }
            Ok(out)
        };
        Ok(RerankData {
            fit: run(fit)?,
            dev: run(dev)?,
            pad_id: tokenizer.pad_id(),
        })
    }

    /// Number of (query, product) pairs in the fit lists.
    pub fn fit_pairs(&self) -> usize {
        self.fit.iter().map(|l| l.pairs.len()).sum()
    }

    /// Number of pairs in the dev lists.
    pub fn dev_pairs(&self) -> usize {
        self.dev.iter().map(|l| l.pairs.len()).sum()
    }
}
