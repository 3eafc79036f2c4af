//! [`OnnxCrossEncoder`]: `esci_models::CrossEncoder` on ONNX Runtime.
//!
//! The graph ends at the pooled vector: the mean over the pair's tokens when
//! `config.json` says `"cross_pooling": "mean"` (a reranker trained by `esci train
//! reranker`, whose layer count is the config's), else the pooler output (or the raw
//! `[CLS]` vector when the checkpoint has no pooler) — the same choice as
//! `esci_models::CrossEncoder`; the linear scoring head is applied here. That keeps one
//! graph per backbone, lets [`OnnxCrossEncoder::with_head`] swap heads without
//! rewriting it, and the head costs `hidden` multiplications per pair.

use crate::batch::{Inputs, map_in_buckets};
use crate::bert_graph::Head;
use crate::common::Loaded;
use crate::error::{OnnxError, Result};
use crate::options::OnnxOptions;
use candle_nn::Init;
use esci_models::{CrossOptions, HeadSource, TextTokenizer, Weights, reads_mean_pooling};
use std::path::Path;
use std::time::{Duration, Instant};

/// A loaded cross-encoder on ONNX Runtime. `Send + Sync`: sessions are pooled.
#[derive(Debug)]
pub struct OnnxCrossEncoder {
    loaded: Loaded,
    head_weight: Vec<f32>,
    head_bias: f32,
    head_source: HeadSource,
    uses_pooler: bool,
    head: Head,
    options: CrossOptions,
}

/// Where the time of one [`OnnxCrossEncoder::score_timed`] call went.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScoreTiming {
    /// Tokenising the pairs.
    pub tokenize: Duration,
    /// Padding, running the graph and applying the head (all batches).
    pub run: Duration,
}

impl OnnxCrossEncoder {
    /// Loads BERT and, when the checkpoint has `classifier.weight`/`classifier.bias`
    /// (`[1, hidden]`), its head. Otherwise the head is zero and **scores are
    /// meaningless until a reranker is trained**: check [`OnnxCrossEncoder::is_trained`].
    pub fn load(model_dir: &Path, options: CrossOptions, onnx: &OnnxOptions) -> Result<Self> {
        let config_path = model_dir.join("config.json");
        let head = if config_path.is_file() && reads_mean_pooling(&config_path)? {
            Head::CrossMean
        } else {
            Head::Cross
        };
        let loaded = Loaded::new(
            model_dir,
            head,
            options.max_length,
            options.batch_size,
            onnx,
        )?;
        let h = loaded.config.hidden_size;
        let weights = Weights::open(&model_dir.join("model.safetensors"))?;
        let uses_pooler = head == Head::Cross && weights.contains("pooler.dense.weight");
        let (head_weight, head_bias, head_source) = if weights.contains("classifier.weight") {
            let c = weights.pp("classifier");
            let w = c
                .get(&[1, h], "weight", Init::Const(0.0))?
                .flatten_all()?
                .to_vec1::<f32>()?;
            let b = c.get(&[1], "bias", Init::Const(0.0))?.to_vec1::<f32>()?[0];
            (w, b, HeadSource::Checkpoint)
        } else {
            (vec![0.0; h], 0.0, HeadSource::Untrained)
        };
        Ok(OnnxCrossEncoder {
            loaded,
            head_weight,
            head_bias,
            head_source,
            uses_pooler,
            head,
            options,
        })
    }

    /// Replaces the head with `weights` (one per hidden unit) and `bias`.
    pub fn with_head(mut self, weights: Vec<f32>, bias: f32) -> Result<Self> {
        let h = self.loaded.config.hidden_size;
        if weights.len() != h {
            return Err(OnnxError::InvalidArgument(format!(
                "head has {} weights, the model's hidden size is {h}",
                weights.len()
            )));
        }
        if !bias.is_finite() || weights.iter().any(|w| !w.is_finite()) {
            return Err(OnnxError::InvalidArgument(
                "head weights must be finite".into(),
            ));
        }
        self.head_weight = weights;
        self.head_bias = bias;
        self.head_source = HeadSource::Supplied;
        Ok(self)
    }

    /// Whether the head was loaded or supplied (`false`: scores carry no signal).
    pub fn is_trained(&self) -> bool {
        self.head_source != HeadSource::Untrained
    }

    /// Where the head came from.
    pub fn head_source(&self) -> HeadSource {
        self.head_source
    }

    /// Whether the pooler (rather than the raw `[CLS]` vector or the token mean) feeds
    /// the head.
    pub fn uses_pooler(&self) -> bool {
        self.uses_pooler
    }

    /// Whether the mean of the token vectors feeds the head.
    pub fn uses_mean_pooling(&self) -> bool {
        self.head == Head::CrossMean
    }

    /// The options the encoder was loaded with.
    pub fn options(&self) -> &CrossOptions {
        &self.options
    }

    /// The tokenizer (to inspect pair encodings).
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.loaded.tokenizer
    }

    /// The graph file the sessions run.
    pub fn graph(&self) -> &Path {
        self.loaded.pool.graph()
    }

    /// One score per (query, document) pair, in input order; higher is more relevant.
    pub fn score(&self, pairs: &[(&str, &str)]) -> Result<Vec<f32>> {
        self.score_timed(pairs).map(|(scores, _)| scores)
    }

    /// [`OnnxCrossEncoder::score`] and where its time went.
    pub fn score_timed(&self, pairs: &[(&str, &str)]) -> Result<(Vec<f32>, ScoreTiming)> {
        let started = Instant::now();
        let encoded = self.loaded.tokenizer.encode_pairs(pairs)?;
        let tokenize = started.elapsed();
        let pad = self.loaded.tokenizer.pad_id();
        let scores = map_in_buckets(
            &encoded,
            self.options.batch_size,
            &self.loaded.pool,
            |s, members| {
                let rows = Inputs::new(members, pad, true)?.run(s, self.head.output())?;
                Ok(rows
                    .iter()
                    .map(|pooled| {
                        let dot: f32 = pooled
                            .iter()
                            .zip(&self.head_weight)
                            .map(|(a, b)| a * b)
                            .sum();
                        dot + self.head_bias
                    })
                    .collect())
            },
        )?;
        let run = started.elapsed() - tokenize;
        Ok((scores, ScoreTiming { tokenize, run }))
    }
}

impl esci_models::PairScorer for OnnxCrossEncoder {
    fn score(&self, pairs: &[(&str, &str)]) -> esci_models::Result<Vec<f32>> {
        Ok(OnnxCrossEncoder::score(self, pairs)?)
    }
    fn is_trained(&self) -> bool {
        OnnxCrossEncoder::is_trained(self)
    }
}
