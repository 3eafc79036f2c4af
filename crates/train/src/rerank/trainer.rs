//! The reranker's training loop: seeded lists of judged products, AdamW (one optimiser
//! for the encoder, one with a larger learning rate for the fresh head), warm-up and
//! linear decay, progress in the log, dev nDCG@k of reranking each dev query's judged
//! list for early stopping and the choice of the kept weights, and an optional
//! wall-clock budget.

use super::data::{RerankData, TokenizedList};
use super::loss::{listwise_softmax, pointwise_bce};
use super::model::TrainableCross;
use crate::TrainError;
use crate::steps::{KeepBest, schedule, shuffle};
use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use esci_core::rng::SplitMix64;
use esci_models::{Batch, Encoded, length_buckets};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Which loss trains the reranker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RerankLoss {
    /// Binary cross-entropy per pair toward its gain.
    Pointwise,
    /// Softmax cross-entropy per list against gain-normalised targets.
    Listwise,
}

impl RerankLoss {
    /// `pointwise` or `listwise`.
    pub fn name(self) -> &'static str {
        match self {
            RerankLoss::Pointwise => "pointwise",
            RerankLoss::Listwise => "listwise",
        }
    }
}

/// Hyper-parameters of a reranker run (recorded in the checkpoint's manifest).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RerankConfig {
    /// The loss.
    pub loss: RerankLoss,
    /// Encoder layers kept from the base model (fewer: faster training and reranking).
    pub layers: usize,
    /// Layers (from the bottom, embeddings included) left frozen.
    pub freeze_below: usize,
    /// Leave the embeddings frozen (even when no layer is).
    pub freeze_embeddings: bool,
    /// Longest (query, product) pair in tokens, special tokens included.
    pub max_length: usize,
    /// Judged products per list (a query's list is cut into lists of this size).
    pub list_size: usize,
    /// Lists per optimiser step.
    pub lists_per_step: usize,
    /// Peak learning rate of the encoder.
    pub lr: f64,
    /// Peak learning rate of the fresh head.
    pub head_lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Maximum passes over the fit lists.
    pub epochs: usize,
    /// Steps of linear warm-up.
    pub warmup_steps: usize,
    /// Steps between dev evaluations.
    pub eval_every: usize,
    /// Dev evaluations without improvement before stopping.
    pub patience: usize,
    /// Cut-off of the dev nDCG.
    pub dev_k: usize,
    /// Stop (after a last dev evaluation) once training has run this many minutes.
    pub max_minutes: Option<f64>,
    /// Seed of the head and of the list order.
    pub seed: u64,
}

impl Default for RerankConfig {
    fn default() -> RerankConfig {
        RerankConfig {
            loss: RerankLoss::Listwise,
            layers: 6,
            freeze_below: 3,
            freeze_embeddings: true,
            max_length: 48,
            list_size: 8,
            lists_per_step: 4,
            lr: 3e-4,
            head_lr: 1e-2,
            weight_decay: 0.01,
            epochs: 4,
            warmup_steps: 20,
            eval_every: 40,
            patience: 6,
            dev_k: 20,
            max_minutes: Some(20.0),
            seed: 42,
        }
    }
}

impl RerankConfig {
    /// Checks the values a run divides or indexes by.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: &str| Err(TrainError::Invalid(m.into()));
        if self.list_size < 2 || self.lists_per_step == 0 {
            return bad("list_size must be ≥ 2 and lists_per_step ≥ 1");
        }
        if self.epochs == 0 || self.eval_every == 0 || self.dev_k == 0 {
            return bad("epochs, eval_every and dev_k must be ≥ 1");
        }
        if !(self.lr > 0.0 && self.head_lr > 0.0 && self.weight_decay >= 0.0) {
            return bad("learning rates must be > 0 and weight decay ≥ 0");
        }
        if self.max_length < 8 {
            return bad("max_length below 8 tokens leaves no room for the pair");
        }
        if self.max_minutes.is_some_and(|m| m.is_nan() || m <= 0.0) {
            return bad("max_minutes must be > 0");
        }
        Ok(())
    }
}

/// One dev evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct RerankEvalPoint {
    /// Optimiser steps done.
    pub step: usize,
    /// Mean training loss since the previous evaluation.
    pub train_loss: f64,
    /// Mean dev nDCG@k of the judged lists reranked by the model.
    pub dev_ndcg: f64,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RerankReport {
    /// Optimiser steps.
    pub steps: usize,
    /// Epochs started.
    pub epochs: usize,
    /// Step of the kept weights.
    pub best_step: usize,
    /// Dev nDCG@k of the kept weights.
    pub best_dev_ndcg: f64,
    /// Patience ran out.
    pub stopped_early: bool,
    /// The time budget ran out.
    pub stopped_by_budget: bool,
    /// Wall seconds of the run (dev evaluations included).
    pub seconds: f64,
    /// Optimiser steps per second (training steps only).
    pub steps_per_second: f64,
    /// Every dev evaluation.
    pub history: Vec<RerankEvalPoint>,
}

/// Trains `model` on `data.fit`, evaluates on `data.dev`, and leaves the best weights
/// (by dev nDCG@k) in the model.
pub fn train_reranker(
    model: &TrainableCross,
    data: &RerankData,
    config: &RerankConfig,
) -> Result<RerankReport, TrainError> {
    config.validate()?;
    if data.fit.is_empty() {
        return Err(TrainError::Invalid(
            "no fit query has a judged product".into(),
        ));
    }
    let mut keep = KeepBest::new(config.patience, config.max_minutes);
    let params = |lr| ParamsAdamW {
        lr,
        weight_decay: config.weight_decay,
        ..ParamsAdamW::default()
    };
    let mut encoder_opt = AdamW::new(model.encoder_vars(), params(config.lr))?;
    let mut head_opt = AdamW::new(model.head_vars(), params(config.head_lr))?;
    let mut rng = SplitMix64::new(config.seed ^ 0x05EE_D0F1_1575);
    let lists_per_epoch: usize = data
        .fit
        .iter()
        .map(|l| l.pairs.len().div_ceil(config.list_size))
        .sum();
    let total_steps = lists_per_epoch.div_ceil(config.lists_per_step) * config.epochs;

    let mut history = Vec::new();
    let (mut step, mut epochs) = (0usize, 0usize);
    let (mut stopped_early, mut stopped_by_budget) = (false, false);
    let mut train_seconds = 0.0f64;
    'epochs: for _ in 0..config.epochs {
        epochs += 1;
        let groups = epoch_lists(&data.fit, config.list_size, &mut rng);
        for chunk in groups.chunks(config.lists_per_step) {
            let t = Instant::now();
            let factor = schedule(step, config.warmup_steps, total_steps);
            encoder_opt.set_learning_rate(config.lr * factor);
            head_opt.set_learning_rate(config.head_lr * factor);
            let mut items: Vec<&Encoded> = Vec::new();
            let mut gains: Vec<f32> = Vec::new();
            let mut spans = Vec::new();
            for (list, members) in chunk {
                spans.push((items.len(), members.len()));
                for &m in members {
                    let (encoded, gain) = &data.fit[*list].pairs[m];
                    items.push(encoded);
                    gains.push(*gain);
                }
            }
            let batch = Batch::new(&items, data.pad_id)?;
            let scores = model.scores(&batch)?;
            let loss = match config.loss {
                RerankLoss::Pointwise => Some(pointwise_bce(
                    &scores,
                    &Tensor::from_slice(&gains, gains.len(), &Device::Cpu)?,
                )?),
                RerankLoss::Listwise => listwise_softmax(&scores, &gains, &spans)?,
            };
            step += 1;
            if let Some(loss) = loss {
                let grads = loss.backward()?;
                encoder_opt.step(&grads)?;
                head_opt.step(&grads)?;
                let value = f64::from(loss.to_scalar::<f32>()?);
                if !value.is_finite() {
                    return Err(TrainError::Invalid(format!(
                        "training diverged at step {step} (loss {value}): lower the learning rate"
                    )));
                }
                keep.add_loss(value);
            }
            train_seconds += t.elapsed().as_secs_f64();
            if step % 10 == 0 || step == total_steps {
                let rate = step as f64 / train_seconds.max(1e-9);
                let left = keep.capped_eta((total_steps - step) as f64 / rate);
                tracing::info!(
                    "reranker: step {step}/{total_steps} (epoch {epochs}), loss {:.4}, {rate:.2} steps/s, ETA {left:.0} s",
                    keep.train_loss(),
                );
            }
            let out_of_time = keep.out_of_time();
            if step % config.eval_every == 0 || out_of_time {
                let done = judge(model, data, config, step, &mut keep, &mut history)?;
                if out_of_time {
                    stopped_by_budget = true;
                    tracing::info!("reranker: time budget reached at step {step}");
                    break 'epochs;
                }
                if done {
                    stopped_early = true;
                    break 'epochs;
                }
            }
        }
    }
    if !keep.evaluated_at(step) {
        judge(model, data, config, step, &mut keep, &mut history)?;
    }
    let seconds = keep.elapsed();
    let (best_dev_ndcg, best_step) = keep.finish(step, |s| model.restore(s))?;
    Ok(RerankReport {
        steps: step,
        epochs,
        best_step,
        best_dev_ndcg,
        stopped_early,
        stopped_by_budget,
        seconds,
        steps_per_second: step as f64 / train_seconds.max(1e-9),
        history,
    })
}

/// Evaluates on dev, keeps the best weights; true when patience has run out.
fn judge(
    model: &TrainableCross,
    data: &RerankData,
    config: &RerankConfig,
    step: usize,
    keep: &mut KeepBest,
    history: &mut Vec<RerankEvalPoint>,
) -> Result<bool, TrainError> {
    let train_loss = keep.train_loss();
    let dev_ndcg = if data.dev.is_empty() {
        f64::NAN
    } else {
        let t = Instant::now();
        let v = dev_ndcg(model, &data.dev, data.pad_id, config.dev_k)?;
        tracing::info!(
            "reranker: step {step}: dev nDCG@{} {v:.4} (train loss {train_loss:.4}, {:.0} s to evaluate)",
            config.dev_k,
            t.elapsed().as_secs_f64()
        );
        v
    };
    history.push(RerankEvalPoint {
        step,
        train_loss,
        dev_ndcg,
    });
    keep.record(step, dev_ndcg, || model.snapshot())
}

/// Scores every dev pair (length-bucketed batches) and returns the mean nDCG@k of each
/// list reranked by the scores (queries with no gain are left out, as in `esci eval`).
pub fn dev_ndcg(
    model: &TrainableCross,
    lists: &[TokenizedList],
    pad_id: u32,
    k: usize,
) -> Result<f64, TrainError> {
    let mut total = 0.0;
    let mut counted = 0usize;
    let flat: Vec<(&Encoded, usize)> = lists
        .iter()
        .enumerate()
        .flat_map(|(li, l)| l.pairs.iter().map(move |(e, _)| (e, li)))
        .collect();
    let lengths: Vec<usize> = flat.iter().map(|(e, _)| e.len()).collect();
    let model = model.frozen_copy()?;
    let mut scores = vec![0f32; flat.len()];
    for bucket in length_buckets(&lengths, 64) {
        let items: Vec<&Encoded> = bucket.iter().map(|&i| flat[i].0).collect();
        let s: Vec<f32> = model.scores(&Batch::new(&items, pad_id)?)?.to_vec1()?;
        for (&i, v) in bucket.iter().zip(s) {
            scores[i] = v;
        }
    }
    let mut offset = 0;
    for list in lists {
        let n = list.pairs.len();
        let gains: Vec<f32> = list.pairs.iter().map(|(_, g)| *g).collect();
        if let Some(v) = ndcg_of_scores(&scores[offset..offset + n], &gains, k) {
            total += v;
            counted += 1;
        }
        offset += n;
    }
    Ok(if counted == 0 {
        f64::NAN
    } else {
        total / counted as f64
    })
}

/// nDCG@k (linear gains, log2(rank + 1) discount) of the list ordered by `scores`
/// (ties broken by position), against the ideal order of all its gains; `None` when
/// the ideal DCG is 0.
pub fn ndcg_of_scores(scores: &[f32], gains: &[f32], k: usize) -> Option<f64> {
    let dcg = |order: &[usize]| -> f64 {
        order
            .iter()
            .take(k)
            .enumerate()
            .map(|(r, &i)| f64::from(gains[i]) / ((r + 2) as f64).log2())
            .sum()
    };
    let mut by_score: Vec<usize> = (0..gains.len()).collect();
    by_score.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut ideal: Vec<usize> = (0..gains.len()).collect();
    ideal.sort_by(|&a, &b| gains[b].total_cmp(&gains[a]));
    let best = dcg(&ideal);
    (best > 0.0).then(|| dcg(&by_score) / best)
}

/// One epoch's lists: each fit query's pairs shuffled and cut into lists of at most
/// `size`, then all lists shuffled. `(query index, pair indices)`.
fn epoch_lists(
    fit: &[TokenizedList],
    size: usize,
    rng: &mut SplitMix64,
) -> Vec<(usize, Vec<usize>)> {
    let mut out = Vec::new();
    for (qi, list) in fit.iter().enumerate() {
        let mut order: Vec<usize> = (0..list.pairs.len()).collect();
        shuffle(&mut order, rng);
        for chunk in order.chunks(size) {
            out.push((qi, chunk.to_vec()));
        }
    }
    shuffle(&mut out, rng);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_of_scores_by_hand() {
        // Gains (0, 1, 0.1) scored so the order is 0, 2, 1:
        // DCG = 0 + 0.1/log2(3) + 1/log2(4) = 0.063093 + 0.5; ideal = 1 + 0.1/log2(3).
        let v = ndcg_of_scores(&[3.0, 1.0, 2.0], &[0.0, 1.0, 0.1], 20).unwrap();
        assert!((v - 0.563093 / 1.063093).abs() < 1e-5, "{v}");
        assert_eq!(ndcg_of_scores(&[1.0, 2.0], &[0.0, 0.0], 20), None);
        assert!((ndcg_of_scores(&[0.0, 1.0], &[0.0, 1.0], 1).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn epoch_lists_cover_every_pair_once_and_are_seeded() {
        let list = |n: usize| TokenizedList {
            pairs: (0..n)
                .map(|i| {
                    (
                        Encoded {
                            ids: vec![1, i as u32],
                            type_ids: vec![0, 0],
                        },
                        0.0,
                    )
                })
                .collect(),
        };
        let fit = vec![list(5), list(3)];
        let a = epoch_lists(&fit, 2, &mut SplitMix64::new(3));
        let b = epoch_lists(&fit, 2, &mut SplitMix64::new(3));
        assert_eq!(a, b);
        assert_eq!(a.len(), 3 + 2);
        let mut seen: Vec<(usize, usize)> = a
            .iter()
            .flat_map(|(q, m)| m.iter().map(move |&i| (*q, i)))
            .collect();
        seen.sort_unstable();
        let expected: Vec<(usize, usize)> = (0..5)
            .map(|i| (0, i))
            .chain((0..3).map(|i| (1, i)))
            .collect();
        assert_eq!(seen, expected);
    }
}
