//! What every training loop here shares: the learning-rate schedule and the seeded
//! shuffle of the training order.

use esci_core::rng::SplitMix64;

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
