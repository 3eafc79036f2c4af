//! The fine-tune's data from the catalog and the judgments: (fit query, E or S product)
//! pairs, BM25-mined hard negatives, and the dev proxy's pool — all as texts built
//! with the same fields the dense index encodes.

use crate::{Config, EngineError};
use esci_core::rng::SplitMix64;
use esci_eval::QueryJudgments;
use esci_ingest::{Catalog, TextBuilder};
use esci_train::biencoder::BiEncoderTexts;
use esci_train::pairs::{is_positive, positive_pairs};
use std::collections::HashMap;

/// How the data is drawn.
pub(crate) struct DataPlan {
    /// Substitutes count as positives.
    pub substitutes: bool,
    /// BM25 depth of the hard negatives (0: none).
    pub negative_depth: usize,
    /// Random catalog products added to the dev pool.
    pub dev_sample: usize,
    /// R@k of the catalog the pool's cut-off stands for.
    pub dev_k: usize,
    /// Seed of the pool sample.
    pub seed: u64,
}

/// Gives each catalog product a row of a text table the first time it is asked for.
struct Table<'a> {
    catalog: &'a Catalog,
    builder: &'a TextBuilder,
    rows: HashMap<u32, usize>,
    texts: Vec<String>,
}

impl Table<'_> {
    fn row(&mut self, doc: u32) -> usize {
        if let Some(&r) = self.rows.get(&doc) {
            return r;
        }
        let text = self
            .catalog
            .product(doc)
            .map(|p| self.builder.build(p))
            .unwrap_or_default();
        self.texts.push(text);
        self.rows.insert(doc, self.texts.len() - 1);
        self.texts.len() - 1
    }
}

/// Builds the texts of the fit pairs, their hard negatives and the dev pool.
pub(crate) fn build_texts(
    config: &Config,
    catalog: &Catalog,
    fit: &[QueryJudgments],
    dev: &[QueryJudgments],
    plan: &DataPlan,
) -> Result<BiEncoderTexts, EngineError> {
    let fields = config.neural.fields().map_err(EngineError::Config)?;
    let builder = TextBuilder::new(fields);
    let mut docs = Table {
        catalog,
        builder: &builder,
        rows: HashMap::new(),
        texts: Vec::new(),
    };
    let pairs: Vec<(usize, usize)> = positive_pairs(fit, plan.substitutes)
        .into_iter()
        .map(|p| (p.query, docs.row(p.doc)))
        .collect();
    let positives: Vec<Vec<usize>> = fit
        .iter()
        .map(|q| {
            q.labels
                .iter()
                .filter(|(_, l)| is_positive(*l, plan.substitutes))
                .map(|&(d, _)| docs.row(d))
                .collect()
        })
        .collect();
    let hard_negatives: Vec<Vec<usize>> = match plan.negative_depth {
        0 => vec![Vec::new(); fit.len()],
        depth => crate::negatives::bm25_unjudged(config, catalog, fit, depth)?
            .into_iter()
            .map(|pool| pool.into_iter().map(|d| docs.row(d)).collect())
            .collect(),
    };

    let mut pool = Table {
        catalog,
        builder: &builder,
        rows: HashMap::new(),
        texts: Vec::new(),
    };
    let dev_relevant: Vec<Vec<usize>> = dev
        .iter()
        .map(|q| {
            q.labels
                .iter()
                .map(|&(d, l)| (pool.row(d), l))
                .filter(|(_, l)| l.is_relevant())
                .map(|(r, _)| r)
                .collect()
        })
        .collect();
    let mut rng = SplitMix64::new(plan.seed ^ 0xDE7_9001);
    let n = catalog.len() as u64;
    for _ in 0..plan.dev_sample.min(catalog.len()) {
        pool.row(rng.below(n) as u32);
    }
    let dev_k =
        ((plan.dev_k as f64 * pool.texts.len() as f64 / catalog.len().max(1) as f64).round()
            as usize)
            .max(10);
    Ok(BiEncoderTexts {
        queries: fit.iter().map(|q| q.query.clone()).collect(),
        docs: docs.texts,
        pairs,
        positives,
        hard_negatives,
        dev_queries: dev.iter().map(|q| q.query.clone()).collect(),
        dev_docs: pool.texts,
        dev_relevant,
        dev_k,
    })
}
