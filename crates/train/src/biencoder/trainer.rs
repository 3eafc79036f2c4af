//! The bi-encoder's training loop: seeded batches of (query, positive) pairs with the
//! other pairs' products (and optionally one mined hard negative per pair) as
//! negatives, the Matryoshka MNRL loss, AdamW with warm-up and linear decay, progress
//! in the log (steps/s, loss, ETA), a cheap dev proxy for early stopping and the choice
//! of the kept weights, and a wall-clock budget.
//!
//! The dev proxy ranks a pool (the dev queries' judged products plus a fixed sample of
//! the catalog) instead of all products: encoding the whole catalog with candle takes
//! minutes, the pool tens of seconds. The cut-off scales with the pool so that it asks
//! for about the same share of it as R@200 does of the catalog.
//!
//! No gradient accumulation: in-batch negatives make the loss of one batch depend on
//! all its members, so splitting a batch changes the objective (GradCache would fix
//! that at the price of a second forward pass); a batch of 32 with 64-token products
//! takes a few hundred MB here, so it is not needed.

use super::data::{BiEncoderData, DevPool};
use super::model::{LowerCache, TrainableBiEncoder};
use crate::TrainError;
use crate::loss::matryoshka_mnrl;
use crate::steps::{KeepBest, schedule, shuffle};
use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use esci_core::rng::SplitMix64;
use esci_models::{Batch, Encoded, length_buckets};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Instant;

/// Hyper-parameters of a fine-tuning run (recorded in the checkpoint's manifest).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BiEncoderConfig {
    /// Matryoshka prefixes of the loss (each weighted 1).
    pub dims: Vec<usize>,
    /// Scale of the cosines in the softmax.
    pub scale: f64,
    /// Peak learning rate.
    pub lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Pairs per step.
    pub batch_size: usize,
    /// Maximum passes over the fit pairs.
    pub epochs: usize,
    /// Steps of linear warm-up.
    pub warmup_steps: usize,
    /// Layers (from the bottom) left frozen.
    pub freeze_below: usize,
    /// Leave the embedding tables frozen.
    pub freeze_embeddings: bool,
    /// Longest query in tokens, special tokens included.
    pub query_max_length: usize,
    /// Longest product text in tokens while training.
    pub doc_max_length: usize,
    /// Add one mined hard negative per pair to the candidates.
    pub hard_negatives: bool,
    /// Steps between dev evaluations.
    pub eval_every: usize,
    /// Dev evaluations without improvement before stopping.
    pub patience: usize,
    /// Prefixes the dev proxy scores (the mean over them chooses the kept weights).
    pub dev_dims: Vec<usize>,
    /// Stop (after a last dev evaluation) once training has run this many minutes.
    pub max_minutes: Option<f64>,
    /// Seed of the pair order and of the hard-negative draws.
    pub seed: u64,
}

/// Defaults chosen on dev (BENCHMARKS.md, "Fine-tuned bi-encoder"): 2 frozen layers
/// beat 4 at equal wall time; 4 epochs (480 steps of 32 pairs) fit the 22-minute
/// budget at about 2 s a step on 2 cores, so the learning rate has decayed when it ends.
impl Default for BiEncoderConfig {
    fn default() -> BiEncoderConfig {
        BiEncoderConfig {
            dims: crate::loss::DEFAULT_DIMS.to_vec(),
            scale: crate::loss::DEFAULT_SCALE,
            lr: 3e-5,
            weight_decay: 0.01,
            batch_size: 32,
            epochs: 4,
            warmup_steps: 20,
            freeze_below: 2,
            freeze_embeddings: true,
            query_max_length: 16,
            doc_max_length: 64,
            hard_negatives: false,
            eval_every: 80,
            patience: 3,
            dev_dims: vec![384, 64],
            max_minutes: Some(22.0),
            seed: 42,
        }
    }
}

impl BiEncoderConfig {
    /// Checks the values a run divides or indexes by.
    pub fn validate(&self, hidden: usize) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Invalid(m));
        if self.dims.is_empty() || self.dims.iter().any(|&d| d == 0 || d > hidden) {
            return bad(format!(
                "Matryoshka dims {:?} must be within 1..={hidden}",
                self.dims
            ));
        }
        if self.dev_dims.is_empty() || self.dev_dims.iter().any(|&d| d == 0 || d > hidden) {
            return bad(format!(
                "dev dims {:?} must be within 1..={hidden}",
                self.dev_dims
            ));
        }
        if self.batch_size < 2 || self.epochs == 0 || self.eval_every == 0 {
            return bad("batch_size must be ≥ 2, epochs and eval_every ≥ 1".into());
        }
        if !(self.lr > 0.0 && self.weight_decay >= 0.0 && self.scale > 0.0) {
            return bad("lr and scale must be > 0 and weight decay ≥ 0".into());
        }
        if self.query_max_length < 3 || self.doc_max_length < 3 {
            return bad("token limits below 3 leave no room for a word".into());
        }
        if self.max_minutes.is_some_and(|m| m.is_nan() || m <= 0.0) {
            return bad("max_minutes must be > 0".into());
        }
        Ok(())
    }
}

/// One dev evaluation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevPoint {
    /// Optimiser steps done.
    pub step: usize,
    /// Mean training loss since the previous evaluation.
    #[serde(deserialize_with = "nan_if_null")]
    pub train_loss: f64,
    /// Proxy recall per dev prefix, `(dim, recall)`.
    #[serde(deserialize_with = "nan_if_null_by_dim")]
    pub recall: Vec<(usize, f64)>,
}

/// What a run did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BiEncoderReport {
    /// Optimiser steps (counting those of the run resumed from).
    pub steps: usize,
    /// Epochs started in this run.
    pub epochs: usize,
    /// Step of the kept weights.
    pub best_step: usize,
    /// Mean proxy recall over the dev prefixes of the kept weights.
    #[serde(deserialize_with = "nan_if_null")]
    pub best_dev: f64,
    /// Patience ran out.
    pub stopped_early: bool,
    /// The time budget ran out.
    pub stopped_by_budget: bool,
    /// Wall seconds of the run (dev evaluations included).
    pub seconds: f64,
    /// Optimiser steps per second (training steps only).
    pub steps_per_second: f64,
    /// Every dev evaluation.
    pub history: Vec<DevPoint>,
}

/// The frozen lower layers' output of every text of a run, when layers are frozen.
struct Caches {
    queries: LowerCache,
    docs: LowerCache,
    dev_queries: LowerCache,
    dev_docs: LowerCache,
}

impl Caches {
    fn new(model: &TrainableBiEncoder, data: &BiEncoderData) -> Result<Option<Caches>, TrainError> {
        let t = Instant::now();
        let cache = |items: &[Encoded]| model.cache_lower(items, data.pad_id);
        let caches = match (
            cache(&data.queries)?,
            cache(&data.docs)?,
            cache(&data.dev.queries)?,
            cache(&data.dev.docs)?,
        ) {
            (Some(queries), Some(docs), Some(dev_queries), Some(dev_docs)) => Some(Caches {
                queries,
                docs,
                dev_queries,
                dev_docs,
            }),
            _ => None,
        };
        if let Some(c) = &caches {
            tracing::info!(
                "bi-encoder: frozen layers run once over {} texts ({:.0} s)",
                c.queries.len() + c.docs.len() + c.dev_queries.len() + c.dev_docs.len(),
                t.elapsed().as_secs_f64()
            );
        }
        Ok(caches)
    }
}

/// NaN (undefined: no step, no relevant dev product) is written as JSON `null`;
/// read it back as NaN.
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn nan_if_null_by_dim<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<(usize, f64)>, D::Error> {
    Ok(Vec::<(usize, Option<f64>)>::deserialize(d)?
        .into_iter()
        .map(|(dim, r)| (dim, r.unwrap_or(f64::NAN)))
        .collect())
}

/// Trains `model` on `data`, evaluating the dev proxy every `eval_every` steps, and
/// leaves the best weights in the model. `start_step` continues the learning-rate
/// schedule of a resumed run (0 for a fresh one).
pub fn train_bi_encoder(
    model: &TrainableBiEncoder,
    data: &BiEncoderData,
    config: &BiEncoderConfig,
    start_step: usize,
) -> Result<BiEncoderReport, TrainError> {
    train_bi_encoder_with(model, data, config, start_step, &mut |_, _| Ok(()))
}

/// [`train_bi_encoder`], calling `after_eval(model, step)` with the current (not the
/// best) weights after every dev evaluation but the first: where a caller saves the
/// state an interrupted run resumes from.
pub fn train_bi_encoder_with(
    model: &TrainableBiEncoder,
    data: &BiEncoderData,
    config: &BiEncoderConfig,
    start_step: usize,
    after_eval: &mut dyn FnMut(&TrainableBiEncoder, usize) -> Result<(), TrainError>,
) -> Result<BiEncoderReport, TrainError> {
    config.validate(model.dim())?;
    if data.pairs.is_empty() {
        return Err(TrainError::Invalid(
            "no (query, positive) pair to train on".into(),
        ));
    }
    let mut keep = KeepBest::new(config.patience, config.max_minutes);
    let mut opt = AdamW::new(
        model.vars(),
        ParamsAdamW {
            lr: config.lr,
            weight_decay: config.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    let mut rng = SplitMix64::new(config.seed ^ 0xB1E0_C0DE ^ (start_step as u64));
    let steps_per_epoch = data.pairs.len().div_ceil(config.batch_size);
    let total_steps = steps_per_epoch * config.epochs;
    let weights = vec![1.0; config.dims.len()];
    let caches = Caches::new(model, data)?;
    let caches = caches.as_ref();

    let mut history = Vec::new();
    let (mut step, mut epochs) = (start_step, 0usize);
    let (mut stopped_early, mut stopped_by_budget) = (false, false);
    let (mut train_seconds, mut trained) = (0.0f64, 0);
    let evaluate = |step, keep: &mut KeepBest, history: &mut Vec<DevPoint>| {
        judge(
            model,
            caches,
            &data.dev,
            data.pad_id,
            config,
            step,
            keep,
            history,
        )
    };
    // Where the run starts: the base (or resumed) weights compete for the kept ones.
    evaluate(step, &mut keep, &mut history)?;
    'epochs: while step < total_steps {
        epochs += 1;
        let mut order: Vec<usize> = (0..data.pairs.len()).collect();
        shuffle(&mut order, &mut rng);
        for chunk in order.chunks(config.batch_size) {
            if step >= total_steps {
                break 'epochs;
            }
            let t = Instant::now();
            opt.set_learning_rate(config.lr * schedule(step, config.warmup_steps, total_steps));
            let loss = batch_loss(model, data, caches, config, chunk, &weights, &mut rng)?;
            let grads = loss.backward()?;
            opt.step(&grads)?;
            let value = f64::from(loss.to_scalar::<f32>()?);
            if !value.is_finite() {
                return Err(TrainError::Invalid(format!(
                    "training diverged at step {step} (loss {value}): lower the learning rate"
                )));
            }
            step += 1;
            trained += 1;
            keep.add_loss(value);
            train_seconds += t.elapsed().as_secs_f64();
            if step % 10 == 0 || step == total_steps {
                let rate = trained as f64 / train_seconds.max(1e-9);
                let left = keep.capped_eta((total_steps - step) as f64 / rate);
                tracing::info!(
                    "bi-encoder: step {step}/{total_steps} (epoch {epochs}), loss {:.4}, {rate:.2} steps/s, ETA {left:.0} s",
                    keep.train_loss(),
                );
            }
            let out_of_time = keep.out_of_time();
            if step % config.eval_every == 0 || out_of_time {
                let done = evaluate(step, &mut keep, &mut history)?;
                after_eval(model, step)?;
                if out_of_time {
                    stopped_by_budget = true;
                    tracing::info!("bi-encoder: time budget reached at step {step}");
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
        evaluate(step, &mut keep, &mut history)?;
        after_eval(model, step)?;
    }
    let seconds = keep.elapsed();
    let (best_dev, best_step) = keep.finish(step, |s| model.restore(s))?;
    Ok(BiEncoderReport {
        steps: step,
        epochs,
        best_step,
        best_dev,
        stopped_early,
        stopped_by_budget,
        seconds,
        steps_per_second: trained as f64 / train_seconds.max(1e-9),
        history,
    })
}

/// The Matryoshka MNRL loss of one batch of pairs. Each distinct query and product is
/// encoded once; a candidate that is a positive of a query (other than its own target)
/// is masked for that query rather than pushed away.
fn batch_loss(
    model: &TrainableBiEncoder,
    data: &BiEncoderData,
    caches: Option<&Caches>,
    config: &BiEncoderConfig,
    chunk: &[usize],
    weights: &[f64],
    rng: &mut SplitMix64,
) -> Result<Tensor, TrainError> {
    let pairs: Vec<(usize, usize)> = chunk.iter().map(|&i| data.pairs[i]).collect();
    let mut candidates: Vec<usize> = pairs.iter().map(|&(_, d)| d).collect();
    if config.hard_negatives {
        for &(q, _) in &pairs {
            let pool = &data.hard_negatives[q];
            if !pool.is_empty() {
                candidates.push(pool[rng.below(pool.len() as u64) as usize]);
            }
        }
    }
    let queries: Vec<usize> = pairs.iter().map(|&(q, _)| q).collect();
    let q = embed_rows(
        model,
        &data.queries,
        caches.map(|c| &c.queries),
        &queries,
        data.pad_id,
    )?;
    let c = embed_rows(
        model,
        &data.docs,
        caches.map(|c| &c.docs),
        &candidates,
        data.pad_id,
    )?;
    let (b, cn) = (pairs.len(), candidates.len());
    let mut mask = vec![0f32; b * cn];
    for (i, &(qi, _)) in pairs.iter().enumerate() {
        for (j, d) in candidates.iter().enumerate() {
            if j != i && data.positives[qi].binary_search(d).is_ok() {
                mask[i * cn + j] = 1.0;
            }
        }
    }
    let mask = Tensor::from_vec(mask, (b, cn), &Device::Cpu)?;
    Ok(matryoshka_mnrl(
        &q,
        &c,
        config.scale,
        Some(&mask),
        &config.dims,
        weights,
    )?)
}

/// Vectors of `table[rows[i]]` for each i, each distinct row encoded once.
fn embed_rows(
    model: &TrainableBiEncoder,
    table: &[Encoded],
    cache: Option<&LowerCache>,
    rows: &[usize],
    pad_id: u32,
) -> Result<Tensor, TrainError> {
    let mut distinct: Vec<usize> = Vec::new();
    let mut slot: HashMap<usize, u32> = HashMap::new();
    let picks: Vec<u32> = rows
        .iter()
        .map(|&r| {
            *slot.entry(r).or_insert_with(|| {
                distinct.push(r);
                (distinct.len() - 1) as u32
            })
        })
        .collect();
    let vectors = match cache {
        Some(cache) => model.embed_cached(cache, &distinct)?,
        None => {
            let items: Vec<&Encoded> = distinct.iter().map(|&r| &table[r]).collect();
            model.embed(&Batch::new(&items, pad_id)?)?
        }
    };
    if distinct.len() == rows.len() {
        return Ok(vectors);
    }
    let n = picks.len();
    Ok(vectors.index_select(&Tensor::from_vec(picks, n, &Device::Cpu)?, 0)?)
}

/// Evaluates the dev proxy and keeps the best weights; true when patience has run out.
#[allow(clippy::too_many_arguments)]
fn judge(
    model: &TrainableBiEncoder,
    caches: Option<&Caches>,
    dev: &DevPool,
    pad_id: u32,
    config: &BiEncoderConfig,
    step: usize,
    keep: &mut KeepBest,
    history: &mut Vec<DevPoint>,
) -> Result<bool, TrainError> {
    let train_loss = keep.train_loss();
    let t = Instant::now();
    let recall = dev_recall_with(
        model,
        dev,
        caches.map(|c| (&c.dev_queries, &c.dev_docs)),
        pad_id,
        &config.dev_dims,
    )?;
    let score = recall.iter().map(|(_, r)| r).sum::<f64>() / recall.len().max(1) as f64;
    tracing::info!(
        "bi-encoder: step {step}: dev proxy R@{} {} (train loss {train_loss:.4}, {:.0} s to evaluate)",
        dev.k,
        recall
            .iter()
            .map(|(d, r)| format!("{d}d {r:.4}"))
            .collect::<Vec<_>>()
            .join(", "),
        t.elapsed().as_secs_f64()
    );
    history.push(DevPoint {
        step,
        train_loss,
        recall,
    });
    keep.record(step, score, || model.snapshot())
}

/// Mean recall@`dev.k` of the dev queries ranked against the pool, per prefix in
/// `dims` (queries without a relevant pool product are skipped; NaN when none is left).
pub fn dev_recall(
    model: &TrainableBiEncoder,
    dev: &DevPool,
    pad_id: u32,
    dims: &[usize],
) -> Result<Vec<(usize, f64)>, TrainError> {
    dev_recall_with(model, dev, None, pad_id, dims)
}

/// [`dev_recall`], from the lower layers' cached output of the dev queries and pool
/// when given.
fn dev_recall_with(
    model: &TrainableBiEncoder,
    dev: &DevPool,
    caches: Option<(&LowerCache, &LowerCache)>,
    pad_id: u32,
    dims: &[usize],
) -> Result<Vec<(usize, f64)>, TrainError> {
    let frozen = model.frozen_copy()?;
    let encode =
        |items: &[Encoded], cache: Option<&LowerCache>| -> Result<Vec<Vec<f32>>, TrainError> {
            let lengths: Vec<usize> = items.iter().map(Encoded::len).collect();
            let mut out = vec![Vec::new(); items.len()];
            for bucket in length_buckets(&lengths, 64) {
                let vectors = match cache {
                    Some(cache) => frozen.embed_cached(cache, &bucket)?,
                    None => {
                        let batch: Vec<&Encoded> = bucket.iter().map(|&i| &items[i]).collect();
                        frozen.embed(&Batch::new(&batch, pad_id)?)?
                    }
                };
                let rows: Vec<Vec<f32>> = vectors.to_vec2()?;
                for (&i, row) in bucket.iter().zip(rows) {
                    out[i] = row;
                }
            }
            Ok(out)
        };
    let queries = encode(&dev.queries, caches.map(|c| c.0))?;
    let docs = encode(&dev.docs, caches.map(|c| c.1))?;
    Ok(dims
        .iter()
        .map(|&d| (d, pool_recall(&queries, &docs, &dev.relevant, d, dev.k)))
        .collect())
}

/// Mean recall@k of each query's relevant docs among the docs ranked by the cosine of
/// the first `d` components (ties by doc index).
fn pool_recall(
    queries: &[Vec<f32>],
    docs: &[Vec<f32>],
    relevant: &[Vec<usize>],
    d: usize,
    k: usize,
) -> f64 {
    let unit = |v: &[f32]| -> Vec<f32> {
        let p = &v[..d.min(v.len())];
        let n = p.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        p.iter().map(|x| x / n).collect()
    };
    let docs: Vec<Vec<f32>> = docs.iter().map(|v| unit(v)).collect();
    let (mut sum, mut n) = (0.0, 0usize);
    for (q, rel) in queries.iter().zip(relevant) {
        if rel.is_empty() {
            continue;
        }
        let q = unit(q);
        let mut scored: Vec<(f32, usize)> = docs
            .iter()
            .enumerate()
            .map(|(i, v)| (q.iter().zip(v).map(|(a, b)| a * b).sum(), i))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top: std::collections::HashSet<usize> =
            scored.iter().take(k).map(|&(_, i)| i).collect();
        sum += rel.iter().filter(|r| top.contains(r)).count() as f64 / rel.len() as f64;
        n += 1;
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_recall_by_hand() {
        // Query e0 wants docs 1 and 2; doc 0 = e1, doc 1 = e0, doc 2 = (e0 + e1)/√2.
        let r = std::f32::consts::FRAC_1_SQRT_2;
        let docs = vec![vec![0.0, 1.0], vec![1.0, 0.0], vec![r, r]];
        let q = vec![vec![1.0, 0.0]];
        assert_eq!(pool_recall(&q, &docs, &[vec![1, 2]], 2, 1), 0.5);
        assert_eq!(pool_recall(&q, &docs, &[vec![1, 2]], 2, 2), 1.0);
        // At one dimension docs 1 and 2 both score 1: still the top two.
        assert_eq!(pool_recall(&q, &docs, &[vec![1, 2]], 1, 2), 1.0);
        assert!(pool_recall(&q, &docs, &[vec![]], 2, 2).is_nan());
    }
}
