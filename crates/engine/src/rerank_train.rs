//! `esci train reranker`: fine-tune a cross-encoder on ESCI's graded judgments.
//!
//! The encoder starts from the dense model's MiniLM (a pretrained BERT is a far better
//! start than random weights, and no pretrained reranker can be fetched here), cut to
//! its first layers (fewer layers: faster training and a faster rerank stage), with a
//! fresh scoring head. It trains on the judged lists of the `fit` queries (train minus
//! dev) and keeps the weights with the best dev nDCG@20 of reranking each `dev` query's
//! judged list; test queries are never read. The checkpoint directory holds what
//! `esci_models::CrossEncoder::load` reads plus `reranker.json`, the manifest that
//! records where the model came from and how it did.

use crate::negatives::{NegativeSource, bm25_unjudged, first_stage_unjudged};
use crate::{Config, EngineError, Searcher, catalog_fingerprint, load_catalog, split_queries};
use esci_core::{DocId, Field, QuerySet};
use esci_eval::QueryJudgments;
use esci_ingest::{Catalog, TextBuilder};
use esci_models::TextTokenizer;
use esci_models::fetch::model_fingerprint;
use esci_train::rerank::{
    Freeze, RerankConfig, RerankData, RerankReport, TextList, TrainableCross, train_reranker,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The manifest written beside the checkpoint.
pub const RERANKER_MANIFEST: &str = "reranker.json";
/// Product fields the reranker reads (short: the pair must fit a short max length).
pub const RERANK_FIELDS: [Field; 2] = [Field::Title, Field::Brand];

/// Options of `esci train reranker`.
#[derive(Debug, Clone, Serialize)]
pub struct TrainRerankerOptions {
    /// Model to start from (default: the dense model directory).
    pub base: Option<PathBuf>,
    /// Where to write the checkpoint (default: the `[rerank] model` directory).
    pub out: Option<PathBuf>,
    /// Hyper-parameters.
    pub train: RerankConfig,
    /// Unjudged products of each fit query's top [`Self::mine_depth`] (in the list of
    /// [`Self::negative_source`]) added to its list as weak negatives (gain 0); 0 adds
    /// none. The judged lists hold only products Amazon's retrieval surfaced, so without
    /// these the model never sees the off-topic products our own first stage puts in the
    /// top N.
    pub mined_negatives: usize,
    /// Depth the weak negatives are drawn from.
    pub mine_depth: usize,
    /// The list the weak negatives are drawn from.
    pub negative_source: NegativeSource,
    /// Judge the weights on what the rerank stage sees: each dev query's judged list
    /// plus every unjudged product of the first stage's top [`Self::mine_depth`] (gain
    /// 0). Off: the judged lists alone, which reward only the order among judged
    /// products and never pushing an off-topic one below them.
    pub dev_first_stage: bool,
    /// Write nothing, only report dev figures (for comparing settings).
    pub save: bool,
}

/// `reranker.json`: provenance and results of a trained reranker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RerankerManifest {
    /// Always `cross-encoder`.
    pub kind: String,
    /// Directory of the base model.
    pub base_model: PathBuf,
    /// sha256 fingerprint of the base model's files.
    pub base_fingerprint: String,
    /// Fingerprint of the catalog and of the fit and dev judgments.
    pub data_fingerprint: String,
    /// Product fields in the pair's second segment, in order.
    pub fields: Vec<String>,
    /// Hyper-parameters.
    pub config: RerankConfig,
    /// Weak negatives per fit query (unjudged); 0 in manifests written before they
    /// existed.
    #[serde(default)]
    pub mined_negatives: usize,
    /// Depth of the weak negatives.
    #[serde(default)]
    pub mine_depth: usize,
    /// Where the weak negatives came from (BM25 in manifests written before this was
    /// recorded).
    #[serde(default = "bm25_source")]
    pub negative_source: NegativeSource,
    /// Whether the dev lists held the first stage's unjudged products (off in manifests
    /// written before this was recorded).
    #[serde(default)]
    pub dev_first_stage: bool,
    /// Fit and dev queries and pairs.
    pub fit_queries: usize,
    /// Pairs of the fit queries.
    pub fit_pairs: usize,
    /// Dev queries.
    pub dev_queries: usize,
    /// Pairs of the dev queries.
    pub dev_pairs: usize,
    /// Dev nDCG@k of the kept weights (judged lists reranked).
    pub dev_ndcg: f64,
    /// The run (steps, history, timing).
    pub report: serde_json::Value,
    /// Unix time of the run.
    pub created_unix: u64,
}

fn bm25_source() -> NegativeSource {
    NegativeSource::Bm25
}

impl RerankerManifest {
    /// Reads `reranker.json` of a checkpoint directory.
    pub fn load(dir: &Path) -> Result<RerankerManifest, EngineError> {
        let path = dir.join(RERANKER_MANIFEST);
        if !path.is_file() {
            return Err(EngineError::Artifacts(format!(
                "no trained reranker in {} ({RERANKER_MANIFEST} is missing): train one with `esci train reranker`",
                dir.display()
            )));
        }
        let text = std::fs::read_to_string(&path).map_err(EngineError::io(&path))?;
        serde_json::from_str(&text)
            .map_err(|e| EngineError::Artifacts(format!("{}: {e}", path.display())))
    }
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainRerankerSummary {
    /// The checkpoint directory (nothing written when `save` was off).
    pub out: PathBuf,
    /// The manifest (also written as `reranker.json`).
    pub manifest: RerankerManifest,
    /// The run.
    pub report: RerankReport,
    /// Wall seconds from start to saved checkpoint.
    pub seconds: f64,
}

/// The text a reranker reads for a product: title and brand.
pub fn rerank_text(builder: &TextBuilder, catalog: &Catalog, doc: u32) -> String {
    catalog
        .product(doc)
        .map(|p| builder.build(p))
        .unwrap_or_default()
}

fn text_lists(catalog: &Catalog, queries: &[QueryJudgments]) -> Vec<TextList> {
    let builder = TextBuilder::new(RERANK_FIELDS.to_vec());
    queries
        .iter()
        .map(|q| TextList {
            query: q.query.clone(),
            products: q
                .labels
                .iter()
                .map(|&(doc, label)| (rerank_text(&builder, catalog, doc), label.gain() as f32))
                .collect(),
        })
        .collect()
}

/// FNV-1a over the catalog fingerprint and every (query id, product, label) of the
/// fit and dev queries: a changed catalog or judgment file changes it.
pub(crate) fn data_fingerprint(
    catalog_fp: &str,
    fit: &[QueryJudgments],
    dev: &[QueryJudgments],
) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut write = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    write(catalog_fp.as_bytes());
    for (part, queries) in [("fit", fit), ("dev", dev)] {
        write(part.as_bytes());
        for q in queries {
            write(q.query_id.as_bytes());
            for (doc, label) in &q.labels {
                write(&doc.to_le_bytes());
                write(&[label.letter() as u8]);
            }
        }
    }
    format!("{h:016x}")
}

/// Appends to each list products of its query's pool as gain-0 pairs: `Some(n)` draws
/// up to `n` with `seed`, `None` takes the whole pool. Returns how many were added.
fn add_weak_negatives(
    catalog: &Catalog,
    pools: Vec<Vec<DocId>>,
    lists: &mut [TextList],
    count: Option<usize>,
    seed: u64,
) -> usize {
    let builder = TextBuilder::new(RERANK_FIELDS.to_vec());
    let mut rng = esci_core::rng::SplitMix64::new(seed ^ 0xB325);
    let mut added = 0usize;
    for (mut pool, list) in pools.into_iter().zip(lists.iter_mut()) {
        let take = count.map_or(pool.len(), |n| n.min(pool.len()));
        for i in 0..take {
            if count.is_some() {
                let j = i + rng.below((pool.len() - i) as u64) as usize;
                pool.swap(i, j);
            }
            list.products
                .push((rerank_text(&builder, catalog, pool[i]), 0.0));
            added += 1;
        }
    }
    added
}

/// Trains the reranker and writes the checkpoint.
pub fn train_reranker_model(
    config: &Config,
    options: &TrainRerankerOptions,
) -> Result<TrainRerankerSummary, EngineError> {
    config.validate().map_err(EngineError::Config)?;
    let started = Instant::now();
    let base = options
        .base
        .clone()
        .unwrap_or_else(|| config.models.dense_dir());
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| config.rerank.model_dir(&config.models));
    if options.save && out == base {
        return Err(EngineError::Config(format!(
            "the reranker would overwrite its base model in {}: pick another --out",
            out.display()
        )));
    }
    let base_fingerprint = model_fingerprint(&base)?;
    // The first stage's lists need its indexes and query encoders; BM25 alone does not.
    let first_stage_negatives =
        options.mined_negatives > 0 && options.negative_source == NegativeSource::FirstStage;
    let searcher = if first_stage_negatives || options.dev_first_stage {
        Some(Searcher::open(config, true)?)
    } else {
        None
    };
    let first_stage = || {
        searcher
            .as_ref()
            .ok_or_else(|| EngineError::Input("the first stage's indexes were not opened".into()))
    };
    let loaded;
    let catalog: &Catalog = match &searcher {
        Some(s) => s.catalog(),
        None => {
            loaded = load_catalog(config, true)?;
            &loaded
        }
    };
    let fit = split_queries(catalog, QuerySet::Fit);
    let dev = split_queries(catalog, QuerySet::Dev);
    if fit.is_empty() {
        return Err(EngineError::Input(
            "no judged fit queries (train split minus dev): check the examples file".into(),
        ));
    }
    let data_fp = data_fingerprint(&catalog_fingerprint(&catalog.products), &fit, &dev);
    let mut fit_lists = text_lists(catalog, &fit);
    if options.mined_negatives > 0 {
        let pools = match options.negative_source {
            NegativeSource::Bm25 => bm25_unjudged(config, catalog, &fit, options.mine_depth)?,
            NegativeSource::FirstStage => {
                first_stage_unjudged(first_stage()?, &fit, options.mine_depth)?
            }
        };
        let added = add_weak_negatives(
            catalog,
            pools,
            &mut fit_lists,
            Some(options.mined_negatives),
            options.train.seed,
        );
        tracing::info!(
            "reranker: {added} weak negatives (unjudged, {} top {}) added to {} fit queries",
            options.negative_source.name(),
            options.mine_depth,
            fit.len()
        );
    }
    let mut dev_lists = text_lists(catalog, &dev);
    if options.dev_first_stage {
        let pools = first_stage_unjudged(first_stage()?, &dev, options.mine_depth)?;
        let added = add_weak_negatives(catalog, pools, &mut dev_lists, None, 0);
        tracing::info!(
            "reranker: dev lists hold {added} unjudged products of the first stage's top {}",
            options.mine_depth
        );
    }
    let tokenizer =
        TextTokenizer::from_file(&base.join("tokenizer.json"), options.train.max_length)?;
    let data = RerankData::tokenize(&tokenizer, &fit_lists, &dev_lists)?;
    tracing::info!(
        "reranker: {} fit queries ({} pairs), {} dev queries ({} pairs), {} of {} base layers, {} frozen, {} loss",
        data.fit.len(),
        data.fit_pairs(),
        data.dev.len(),
        data.dev_pairs(),
        options.train.layers,
        base.display(),
        options.train.freeze_below,
        options.train.loss.name()
    );
    let model = TrainableCross::from_pretrained(
        &base,
        options.train.layers,
        Freeze {
            embeddings: options.train.freeze_embeddings,
            below_layer: options.train.freeze_below,
        },
        options.train.seed,
    )?;
    let report = train_reranker(&model, &data, &options.train)?;
    let manifest = RerankerManifest {
        kind: "cross-encoder".into(),
        base_model: base.clone(),
        base_fingerprint,
        data_fingerprint: data_fp,
        fields: RERANK_FIELDS.iter().map(|f| f.name().to_owned()).collect(),
        config: options.train.clone(),
        mined_negatives: options.mined_negatives,
        mine_depth: options.mine_depth,
        negative_source: options.negative_source,
        dev_first_stage: options.dev_first_stage,
        fit_queries: data.fit.len(),
        fit_pairs: data.fit_pairs(),
        dev_queries: data.dev.len(),
        dev_pairs: data.dev_pairs(),
        dev_ndcg: report.best_dev_ndcg,
        report: serde_json::to_value(&report)
            .map_err(|e| EngineError::Input(format!("cannot record the run: {e}")))?,
        created_unix: crate::unix_now(),
    };
    if options.save {
        // The manifest marks a finished checkpoint: drop the old one before the weights
        // change, so an interrupted save is never taken for a trained reranker.
        let path = out.join(RERANKER_MANIFEST);
        if path.is_file() {
            std::fs::remove_file(&path).map_err(EngineError::io(&path))?;
        }
        model.save(&out)?;
        let tokenizer_out = out.join("tokenizer.json");
        std::fs::copy(base.join("tokenizer.json"), &tokenizer_out)
            .map_err(EngineError::io(&tokenizer_out))?;
        let json = serde_json::to_string_pretty(&manifest)
            .map_err(|e| EngineError::Input(format!("cannot record the run: {e}")))?;
        let path = out.join(RERANKER_MANIFEST);
        esci_core::atomic_file::write_atomically(&path, |w| {
            std::io::Write::write_all(w, json.as_bytes())
        })
        .map_err(EngineError::io(&path))?;
    }
    Ok(TrainRerankerSummary {
        out,
        manifest,
        report,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::Product;

    fn catalog(n: usize) -> Catalog {
        let products = (0..n)
            .map(|i| Product {
                id: format!("p{i}"),
                title: format!("title {i}"),
                brand: "acme".into(),
                ..Default::default()
            })
            .collect();
        Catalog::from_parts(products, Vec::new())
    }

    fn list() -> TextList {
        TextList {
            query: "q".into(),
            products: vec![("judged".into(), 1.0)],
        }
    }

    #[test]
    fn dev_lists_take_the_whole_pool_in_order_with_gain_zero() {
        let catalog = catalog(6);
        let mut lists = vec![list(), list()];
        let added = add_weak_negatives(&catalog, vec![vec![4, 2], vec![]], &mut lists, None, 1);
        assert_eq!(added, 2);
        let texts: Vec<(&str, f32)> = lists[0]
            .products
            .iter()
            .map(|(t, g)| (t.as_str(), *g))
            .collect();
        assert_eq!(
            texts,
            [
                ("judged", 1.0),
                ("title 4. acme", 0.0),
                ("title 2. acme", 0.0)
            ]
        );
        assert_eq!(lists[1].products.len(), 1, "an empty pool adds nothing");
    }

    #[test]
    fn fit_lists_draw_a_seeded_sample_of_distinct_products() {
        let catalog = catalog(20);
        let draw = |seed| {
            let mut lists = vec![list()];
            let pool: Vec<DocId> = (0..20).collect();
            add_weak_negatives(&catalog, vec![pool], &mut lists, Some(5), seed);
            lists.remove(0).products
        };
        let a = draw(7);
        assert_eq!(a.len(), 6);
        assert_eq!(a, draw(7), "same seed, same sample");
        let distinct: std::collections::HashSet<&String> = a.iter().map(|(t, _)| t).collect();
        assert_eq!(distinct.len(), 6, "no product drawn twice");
        assert!(a[1..].iter().all(|(_, g)| *g == 0.0));
    }
}
