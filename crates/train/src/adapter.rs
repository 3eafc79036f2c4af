//! The Matryoshka adapter: a linear map over frozen embeddings, trained so that the
//! first d components of the mapped vectors rank a query's relevant products high.
//!
//! Why a linear map on precomputed embeddings instead of fine-tuning the encoder: the
//! encoder's forward and backward passes cost seconds per step on 2 cores (see
//! ../shared/docs/rust-stack.md), while a 384×384 map trains in seconds, and the
//! product embeddings are already in the dense index. The map starts from identity or
//! from the PCA rotation (already a good Matryoshka ordering) and, when `residual`,
//! weight decay pulls it back towards that start rather than towards zero, which keeps
//! a few hundred labelled queries from pulling it far. The similarity-preservation term
//! on random products keeps the product geometry the labels never see.
//!
//! Deterministic given the seed: batches, extra negatives and preserved products are
//! drawn from one SplitMix64 stream, and training runs on the CPU.

use crate::TrainError;
use crate::loss::{DEFAULT_DIMS, DEFAULT_SCALE, matryoshka_mnrl, similarity_preservation};
use crate::pairs::Pair;
use candle_core::Tensor;
use esci_core::DocId;
use esci_eval::QueryJudgments;
use serde::{Deserialize, Serialize};

pub use crate::trainer::train_adapter;

/// Hyper-parameters of adapter training (chosen on dev, see BENCHMARKS.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdapterConfig {
    /// Matryoshka prefixes trained (and judged on dev).
    pub dims: Vec<usize>,
    /// Weight of each prefix's loss (and of its dev recall in the stopping score).
    pub dim_weights: Vec<f64>,
    /// Cosine scale of the MNRL softmax.
    pub scale: f64,
    /// Peak AdamW learning rate.
    pub lr: f64,
    /// AdamW decoupled weight decay (towards the initial map when `residual`).
    pub weight_decay: f64,
    /// (query, positive) pairs per step.
    pub batch_size: usize,
    /// Passes over the pairs (at most; early stopping may end sooner).
    pub epochs: usize,
    /// Steps of linear learning-rate warm-up; then linear decay to zero.
    pub warmup_steps: usize,
    /// Random catalog products added to each batch as extra negatives.
    pub extra_negatives: usize,
    /// Weight of the similarity-preservation term (0 = off).
    pub preserve_weight: f64,
    /// Random products per step for the similarity-preservation term.
    pub preserve_batch: usize,
    /// Train the difference from the initial map (decay pulls back to it) rather than
    /// the map itself.
    pub residual: bool,
    /// Seed of every random draw.
    pub seed: u64,
    /// Dev evaluations without improvement before stopping.
    pub patience: usize,
    /// Steps between dev evaluations; 0 = at the end of every epoch.
    pub eval_every: usize,
    /// Cut-off of the dev recall.
    pub dev_k: usize,
}

impl Default for AdapterConfig {
    fn default() -> Self {
        AdapterConfig {
            dims: DEFAULT_DIMS.to_vec(),
            dim_weights: vec![1.0; DEFAULT_DIMS.len()],
            scale: DEFAULT_SCALE,
            lr: 3e-4,
            weight_decay: 0.01,
            batch_size: 64,
            epochs: 20,
            warmup_steps: 20,
            extra_negatives: 64,
            preserve_weight: 1.0,
            preserve_batch: 256,
            residual: true,
            seed: 42,
            patience: 6,
            eval_every: 12,
            dev_k: 200,
        }
    }
}

impl AdapterConfig {
    /// Checks every value against the map's output dimension.
    pub fn validate(&self, d_out: usize) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Invalid(m));
        if self.dims.is_empty() || self.dims.len() != self.dim_weights.len() {
            return bad(format!(
                "{} Matryoshka dims but {} weights",
                self.dims.len(),
                self.dim_weights.len()
            ));
        }
        if let Some(d) = self.dims.iter().find(|&&d| d == 0 || d > d_out) {
            return bad(format!("Matryoshka dim {d} is outside 1..={d_out}"));
        }
        if self
            .dim_weights
            .iter()
            .any(|w| !(w.is_finite() && *w >= 0.0))
            || self.dim_weights.iter().sum::<f64>() <= 0.0
        {
            return bad("dim weights must be >= 0 and not all 0".into());
        }
        let positive = [self.scale, self.lr];
        if positive.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return bad("scale and lr must be positive".into());
        }
        let non_negative = [self.weight_decay, self.preserve_weight];
        if non_negative.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
            return bad("weight_decay and preserve_weight must be >= 0".into());
        }
        if self.batch_size < 2 || self.epochs == 0 || self.dev_k == 0 {
            return bad("batch_size must be >= 2, epochs and dev_k >= 1".into());
        }
        if self.preserve_weight > 0.0 && self.preserve_batch < 2 {
            return bad("preserve_batch must be >= 2 when preserve_weight > 0".into());
        }
        Ok(())
    }
}

/// The training inputs: precomputed, unit-norm embeddings of the frozen encoder.
#[derive(Debug, Clone, Copy)]
pub struct AdapterData<'a> {
    /// Embedding dimension.
    pub dim: usize,
    /// Catalog products, row = doc id.
    pub products: &'a [f32],
    /// Training queries; [`Pair::query`] and `positives` index these rows.
    pub queries: &'a [f32],
    /// (query, positive product) pairs.
    pub pairs: &'a [Pair],
    /// Each training query's positives, sorted (masked as in-batch negatives).
    pub positives: &'a [Vec<DocId>],
    /// Dev query embeddings, row i = `dev[i]`.
    pub dev_queries: &'a [f32],
    /// Dev judgments (early stopping); may be empty (then the last map is kept).
    pub dev: &'a [QueryJudgments],
}

/// One dev evaluation during training.
#[derive(Debug, Clone, Serialize)]
pub struct EvalPoint {
    /// Optimiser steps done.
    pub step: usize,
    /// Mean training loss since the previous evaluation (NaN before any step).
    pub train_loss: f64,
    /// Dev Recall@k per Matryoshka dim, in `dims` order.
    pub dev_recall: Vec<f64>,
    /// The stopping score: dev recalls averaged with the dim weights.
    pub score: f64,
}

/// What a training run did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// Optimiser steps taken.
    pub steps: usize,
    /// Epochs started.
    pub epochs: usize,
    /// Step whose map was kept (0 = the initial map).
    pub best_step: usize,
    /// Its stopping score.
    pub best_score: f64,
    /// Whether patience ran out before the last epoch.
    pub stopped_early: bool,
    /// Wall seconds of the whole run, dev evaluations included.
    pub seconds: f64,
    /// Optimiser steps per second (excluding dev evaluations).
    pub steps_per_second: f64,
    /// Every dev evaluation, the initial map first.
    pub history: Vec<EvalPoint>,
}

/// The differentiable objective for one step: Matryoshka MNRL of the mapped queries
/// against the mapped candidates, plus `preserve_weight` × similarity preservation of
/// the mapped `preserve.0` products against their original cosines `preserve.1`.
pub fn adapter_loss(
    weights: &Tensor,
    queries: &Tensor,
    candidates: &Tensor,
    mask: Option<&Tensor>,
    preserve: Option<(&Tensor, &Tensor)>,
    config: &AdapterConfig,
) -> candle_core::Result<Tensor> {
    let wt = weights.t()?;
    let (dims, dw) = (&config.dims, &config.dim_weights);
    let q = queries.matmul(&wt)?;
    let c = candidates.matmul(&wt)?;
    let mut loss = matryoshka_mnrl(&q, &c, config.scale, mask, dims, dw)?;
    if let Some((products, target)) = preserve.filter(|_| config.preserve_weight > 0.0) {
        let mapped = products.matmul(&wt)?;
        let keep = similarity_preservation(&mapped, target, dims, dw)?;
        loss = (loss + (keep * config.preserve_weight)?)?;
    }
    Ok(loss)
}
