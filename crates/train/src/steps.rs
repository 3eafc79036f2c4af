//! What every training loop here shares: the learning-rate schedule, the seeded
//! shuffle of the training order, and [`KeepBest`] (early stopping, the time budget and
//! the kept weights).

use crate::TrainError;
use candle_core::Tensor;
use esci_core::rng::SplitMix64;
use std::time::Instant;

/// Learning-rate factor: linear warm-up over `warmup` steps, then linear decay to 0.
pub(crate) fn schedule(step: usize, warmup: usize, total: usize) -> f64 {
    if step < warmup {
        (step + 1) as f64 / warmup as f64
    } else {
        let rest = total.saturating_sub(warmup).max(1);
        (1.0 - (step - warmup) as f64 / rest as f64).max(0.0)
    }
}

/// Fisher–Yates with the seeded stream.
pub(crate) fn shuffle<T>(items: &mut [T], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// A loop's dev bookkeeping: the training loss since the last dev evaluation, the
/// best dev figure with its step and a copy of its weights, the evaluations left
/// before patience runs out, and the wall-clock budget.
pub(crate) struct KeepBest {
    started: Instant,
    budget_seconds: Option<f64>,
    patience: usize,
    best: Option<(f64, usize, Vec<Tensor>)>,
    since_best: usize,
    loss: (f64, usize),
    evaluated_at: Option<usize>,
}

impl KeepBest {
    /// Starts the clock; `patience` evaluations without improvement stop the run (at
    /// least 1), `max_minutes` of wall time too.
    pub(crate) fn new(patience: usize, max_minutes: Option<f64>) -> KeepBest {
        KeepBest {
            started: Instant::now(),
            budget_seconds: max_minutes.map(|m| m * 60.0),
            patience: patience.max(1),
            best: None,
            since_best: 0,
            loss: (0.0, 0),
            evaluated_at: None,
        }
    }

    /// Seconds since [`KeepBest::new`].
    pub(crate) fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Counts one step's training loss.
    pub(crate) fn add_loss(&mut self, value: f64) {
        self.loss.0 += value;
        self.loss.1 += 1;
    }

    /// Mean training loss since the last evaluation; NaN when no step counted.
    pub(crate) fn train_loss(&self) -> f64 {
        if self.loss.1 == 0 {
            f64::NAN
        } else {
            self.loss.0 / self.loss.1 as f64
        }
    }

    /// `eta` seconds, or less when the budget ends sooner.
    pub(crate) fn capped_eta(&self, eta: f64) -> f64 {
        match self.budget_seconds {
            Some(b) => eta.min((b - self.elapsed()).max(0.0)),
            None => eta,
        }
    }

    /// The budget is spent.
    pub(crate) fn out_of_time(&self) -> bool {
        self.budget_seconds.is_some_and(|b| self.elapsed() >= b)
    }

    /// Whether the last evaluation was at `step`.
    pub(crate) fn evaluated_at(&self, step: usize) -> bool {
        self.evaluated_at == Some(step)
    }

    /// Records the dev figure `score` (higher is better) at `step`, keeping a copy of
    /// the weights when it is the best so far (or undefined: NaN keeps the latest), and
    /// restarts the loss average. True when patience has run out.
    pub(crate) fn record(
        &mut self,
        step: usize,
        score: f64,
        snapshot: impl FnOnce() -> Result<Vec<Tensor>, TrainError>,
    ) -> Result<bool, TrainError> {
        self.evaluated_at = Some(step);
        self.loss = (0.0, 0);
        let better = self
            .best
            .as_ref()
            .is_none_or(|(b, _, _)| score.is_nan() || b.is_nan() || score > *b);
        if better {
            self.best = Some((score, step, snapshot()?));
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        Ok(self.since_best >= self.patience)
    }

    /// Puts the kept weights back with `restore` and returns their dev figure and step;
    /// `(NaN, last_step)` when nothing was recorded.
    pub(crate) fn finish(
        self,
        last_step: usize,
        restore: impl FnOnce(&[Tensor]) -> Result<(), TrainError>,
    ) -> Result<(f64, usize), TrainError> {
        match self.best {
            Some((score, at, snapshot)) => {
                restore(&snapshot)?;
                Ok((score, at))
            }
            None => Ok((f64::NAN, last_step)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays_to_zero() {
        assert_eq!(schedule(0, 4, 20), 0.25);
        assert_eq!(schedule(3, 4, 20), 1.0);
        assert_eq!(schedule(4, 4, 20), 1.0);
        assert_eq!(schedule(12, 4, 20), 0.5);
        assert_eq!(schedule(20, 4, 20), 0.0);
        assert_eq!(schedule(0, 0, 10), 1.0);
    }

    #[test]
    fn keep_best_keeps_the_best_and_counts_patience() {
        let weights = |v: f32| move || Ok(vec![Tensor::new(&[v], &candle_core::Device::Cpu)?]);
        let mut keep = KeepBest::new(2, None);
        keep.add_loss(1.0);
        keep.add_loss(3.0);
        assert_eq!(keep.train_loss(), 2.0);
        assert!(!keep.record(10, 0.5, weights(0.5)).unwrap());
        assert!(
            keep.train_loss().is_nan(),
            "the average restarts after a record"
        );
        assert!(keep.evaluated_at(10) && !keep.evaluated_at(20));
        assert!(!keep.record(20, 0.7, weights(0.7)).unwrap());
        assert!(!keep.record(30, 0.6, weights(0.6)).unwrap());
        assert!(
            keep.record(40, 0.7, weights(0.7)).unwrap(),
            "a tie is no gain"
        );
        let mut restored = Vec::new();
        let (score, step) = keep
            .finish(40, |s| {
                restored = s[0].to_vec1::<f32>()?;
                Ok(())
            })
            .unwrap();
        assert_eq!((score, step, restored), (0.7, 20, vec![0.7]));
        assert!(!KeepBest::new(1, Some(10.0)).out_of_time());
        assert!(KeepBest::new(1, None).capped_eta(5.0) == 5.0);
    }

    #[test]
    fn nothing_recorded_keeps_the_last_weights() {
        let (score, step) = KeepBest::new(1, None)
            .finish(7, |_| panic!("nothing to restore"))
            .unwrap();
        assert!(score.is_nan());
        assert_eq!(step, 7);
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<usize> = (0..50).collect();
        let mut b = a.clone();
        shuffle(&mut a, &mut SplitMix64::new(1));
        shuffle(&mut b, &mut SplitMix64::new(1));
        assert_eq!(a, b);
        assert_ne!(a, (0..50).collect::<Vec<_>>());
        b.sort_unstable();
        assert_eq!(b, (0..50).collect::<Vec<_>>());
    }
}
