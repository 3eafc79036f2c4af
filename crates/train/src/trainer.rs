//! The adapter's training loop: seeded batches, AdamW with warm-up and linear decay,
//! progress in the log, dev evaluations with early stopping that keeps the best map.

use crate::adapter::{AdapterConfig, AdapterData, EvalPoint, TrainReport, adapter_loss};
use crate::batch::{self, gather};
use crate::dev::recall_by_dim;
use crate::pairs::Pair;
use crate::steps::{schedule, shuffle};
use crate::{Projection, TrainError};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use esci_core::DocId;
use esci_core::rng::SplitMix64;
use std::time::Instant;

/// Trains the adapter from `init` (identity or PCA; its mean, if any, is kept).
pub fn train_adapter(
    data: &AdapterData<'_>,
    init: &Projection,
    config: &AdapterConfig,
    name: &str,
) -> Result<(Projection, TrainReport), TrainError> {
    let started = Instant::now();
    let (d_in, d_out) = (init.d_in(), init.d_out());
    config.validate(d_out)?;
    check_data(data, d_in)?;
    let device = Device::Cpu;
    let centre = |rows: &[f32]| -> Vec<f32> {
        match init.mean() {
            Some(m) => rows
                .chunks_exact(d_in)
                .flat_map(|r| r.iter().zip(m).map(|(x, mu)| x - mu))
                .collect(),
            None => rows.to_vec(),
        }
    };
    let products = centre(data.products);
    let queries = centre(data.queries);
    let dev_queries = centre(data.dev_queries);
    let n_products = data.products.len() / d_in;

    let w0 = Tensor::from_vec(init.weights().to_vec(), (d_out, d_in), &device)?;
    let var = if config.residual {
        Var::zeros((d_out, d_in), DType::F32, &device)?
    } else {
        Var::from_tensor(&w0)?
    };
    let current = |var: &Var| -> candle_core::Result<Tensor> {
        if config.residual {
            w0.add(var.as_tensor())
        } else {
            Ok(var.as_tensor().clone())
        }
    };
    let mut optimiser = AdamW::new(
        vec![var.clone()],
        ParamsAdamW {
            lr: config.lr,
            weight_decay: config.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    let judge = Judge {
        products: Tensor::from_vec(products.clone(), (n_products, d_in), &device)?,
        dev_queries: Tensor::from_vec(dev_queries.clone(), (data.dev.len(), d_in), &device)?,
        data,
        config,
        d_out,
    };

    let steps_per_epoch = data.pairs.len().div_ceil(config.batch_size);
    let total_steps = steps_per_epoch * config.epochs;
    let mut rng = SplitMix64::new(config.seed);
    let mut order: Vec<usize> = (0..data.pairs.len()).collect();
    let mut history = vec![judge.eval(&w0, 0, f64::NAN)?];
    let mut best = (history[0].score, 0usize, w0.clone());
    let (mut step, mut since_best, mut epochs, mut stopped_early) = (0usize, 0usize, 0usize, false);
    let (mut loss_sum, mut loss_n, mut train_seconds) = (0.0f64, 0usize, 0.0f64);
    'epochs: for _ in 0..config.epochs {
        epochs += 1;
        shuffle(&mut order, &mut rng);
        for chunk in order.chunks(config.batch_size) {
            let t = Instant::now();
            optimiser
                .set_learning_rate(config.lr * schedule(step, config.warmup_steps, total_steps));
            let pairs: Vec<Pair> = chunk.iter().map(|&i| data.pairs[i]).collect();
            let negatives: Vec<DocId> = (0..config.extra_negatives)
                .map(|_| rng.below(n_products as u64) as DocId)
                .collect();
            let b = batch::build(
                &pairs,
                &negatives,
                &queries,
                &products,
                d_in,
                data.positives,
                DType::F32,
                &device,
            )?;
            let sample: Vec<usize> = (0..config.preserve_batch)
                .map(|_| rng.below(n_products as u64) as usize)
                .collect();
            let preserve = if config.preserve_weight > 0.0 {
                let original = gather(
                    data.products,
                    d_in,
                    sample.iter().copied(),
                    DType::F32,
                    &device,
                )?;
                let target = original.matmul(&original.t()?)?;
                let input = gather(&products, d_in, sample.iter().copied(), DType::F32, &device)?;
                Some((input, target))
            } else {
                None
            };
            let w = current(&var)?;
            let loss = adapter_loss(
                &w,
                &b.queries,
                &b.candidates,
                Some(&b.mask),
                preserve.as_ref().map(|(a, b)| (a, b)),
                config,
            )?;
            optimiser.backward_step(&loss)?;
            let value = f64::from(loss.to_scalar::<f32>()?);
            if !value.is_finite() {
                return Err(TrainError::Invalid(format!(
                    "training diverged at step {step} (loss {value}): lower the learning rate"
                )));
            }
            loss_sum += value;
            loss_n += 1;
            step += 1;
            train_seconds += t.elapsed().as_secs_f64();
            if step % 50 == 0 || step == total_steps {
                let rate = step as f64 / train_seconds.max(1e-9);
                tracing::info!(
                    "adapter: step {step}/{total_steps}, loss {:.4}, {rate:.1} steps/s, ETA {:.0} s (training only)",
                    loss_sum / loss_n as f64,
                    (total_steps - step) as f64 / rate
                );
            }
            let at_eval = match config.eval_every {
                0 => false,
                n => step % n == 0,
            };
            if at_eval
                && judge.step(
                    &current(&var)?,
                    step,
                    &mut loss_sum,
                    &mut loss_n,
                    &mut history,
                    &mut best,
                    &mut since_best,
                )?
            {
                stopped_early = true;
                break 'epochs;
            }
        }
        if config.eval_every == 0
            && judge.step(
                &current(&var)?,
                step,
                &mut loss_sum,
                &mut loss_n,
                &mut history,
                &mut best,
                &mut since_best,
            )?
        {
            stopped_early = epochs < config.epochs;
            break;
        }
    }
    if data.dev.is_empty() {
        best = (f64::NAN, step, current(&var)?);
    }
    let (best_score, best_step, best_w) = best;
    let weights: Vec<f32> = best_w.flatten_all()?.to_vec1()?;
    let report = TrainReport {
        steps: step,
        epochs,
        best_step,
        best_score,
        stopped_early,
        seconds: started.elapsed().as_secs_f64(),
        steps_per_second: step as f64 / train_seconds.max(1e-9),
        history,
    };
    let mean = init.mean().map(<[f32]>::to_vec);
    let mut projection = Projection::new(
        name,
        "adapter",
        (d_out, d_in),
        weights,
        mean,
        None,
        init.base_model(),
    )?;
    projection.metadata = serde_json::json!({
        "init": init.name(),
        "init_fingerprint": init.fingerprint(),
        "config": config,
        "pairs": data.pairs.len(),
        "train_queries": data.positives.len(),
        "dev_queries": data.dev.len(),
        "best_step": report.best_step,
        "best_dev_score": report.best_score,
        "steps": report.steps,
    });
    Ok((projection, report))
}

/// Dev evaluation of the current map, and the early-stopping bookkeeping.
struct Judge<'a> {
    products: Tensor,
    dev_queries: Tensor,
    data: &'a AdapterData<'a>,
    config: &'a AdapterConfig,
    d_out: usize,
}

impl Judge<'_> {
    fn eval(&self, w: &Tensor, step: usize, train_loss: f64) -> Result<EvalPoint, TrainError> {
        if self.data.dev.is_empty() {
            return Ok(EvalPoint {
                step,
                train_loss,
                dev_recall: Vec::new(),
                score: f64::NAN,
            });
        }
        let wt = w.t()?;
        let products: Vec<f32> = self.products.matmul(&wt)?.flatten_all()?.to_vec1()?;
        let queries: Vec<f32> = self.dev_queries.matmul(&wt)?.flatten_all()?.to_vec1()?;
        let recall = recall_by_dim(
            products,
            &queries,
            self.d_out,
            self.data.dev,
            &self.config.dims,
            self.config.dev_k,
        )?;
        let total: f64 = self.config.dim_weights.iter().sum();
        let score = recall
            .iter()
            .zip(&self.config.dim_weights)
            .map(|(r, w)| r * w)
            .sum::<f64>()
            / total;
        tracing::info!(
            "adapter: step {step}: dev R@{} {} (score {score:.4})",
            self.config.dev_k,
            self.config
                .dims
                .iter()
                .zip(&recall)
                .map(|(d, r)| format!("{d}:{r:.4}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        Ok(EvalPoint {
            step,
            train_loss,
            dev_recall: recall,
            score,
        })
    }

    /// Evaluates, keeps the best map; true when patience has run out.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        w: &Tensor,
        step: usize,
        loss_sum: &mut f64,
        loss_n: &mut usize,
        history: &mut Vec<EvalPoint>,
        best: &mut (f64, usize, Tensor),
        since_best: &mut usize,
    ) -> Result<bool, TrainError> {
        let loss = if *loss_n == 0 {
            f64::NAN
        } else {
            *loss_sum / *loss_n as f64
        };
        (*loss_sum, *loss_n) = (0.0, 0);
        let point = self.eval(w, step, loss)?;
        let score = point.score;
        history.push(point);
        if self.data.dev.is_empty() {
            return Ok(false);
        }
        if score > best.0 {
            *best = (score, step, w.clone());
            *since_best = 0;
        } else {
            *since_best += 1;
        }
        Ok(*since_best >= self.config.patience.max(1))
    }
}

fn check_data(data: &AdapterData<'_>, d_in: usize) -> Result<(), TrainError> {
    let bad = |m: String| Err(TrainError::Invalid(m));
    if data.dim != d_in {
        return bad(format!(
            "embeddings have {} components, the map takes {d_in}",
            data.dim
        ));
    }
    for (what, rows) in [
        ("products", data.products),
        ("queries", data.queries),
        ("dev queries", data.dev_queries),
    ] {
        if !rows.len().is_multiple_of(d_in) || rows.iter().any(|x| !x.is_finite()) {
            return bad(format!("{what} are not finite rows of {d_in} components"));
        }
    }
    let (n_products, n_queries) = (data.products.len() / d_in, data.queries.len() / d_in);
    if n_products < 2 || data.pairs.is_empty() {
        return bad("need at least two products and one training pair".into());
    }
    if data.positives.len() != n_queries || data.dev_queries.len() != data.dev.len() * d_in {
        return bad("queries, positives and dev judgments do not line up".into());
    }
    if let Some(p) = data
        .pairs
        .iter()
        .find(|p| p.query >= n_queries || p.doc as usize >= n_products)
    {
        return bad(format!("pair {p:?} points outside the data"));
    }
    Ok(())
}
