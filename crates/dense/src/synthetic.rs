//! Reproducible random unit vectors for benchmarks and tests: SplitMix64 and
//! Box-Muller, so a seed gives the same data on every platform and thread count.

use crate::kernel::normalise;
pub use esci_core::rng::SplitMix64;
use rayon::prelude::*;

/// `n` vectors of dimension `d`, uniform on the unit sphere (normalised Gaussians),
/// row-major. Row `i` depends only on `(seed, i)`, so generation runs in parallel.
///
/// Isotropic random vectors are a hard case: real embeddings cluster, so their top
/// scores stand further apart and approximate scans lose less.
pub fn synthetic_unit_vectors(n: usize, d: usize, seed: u64) -> Vec<f32> {
    let mut out = vec![0.0f32; n * d];
    if d == 0 {
        return out;
    }
    out.par_chunks_mut(d).enumerate().for_each(|(i, row)| {
        let mut rng = SplitMix64::new(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        for pair in row.chunks_mut(2) {
            let (a, b) = rng.normal_pair();
            pair[0] = a as f32;
            if let Some(x) = pair.get_mut(1) {
                *x = b as f32;
            }
        }
        normalise(row);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_unit_rows() {
        let a = synthetic_unit_vectors(50, 7, 3);
        assert_eq!(a, synthetic_unit_vectors(50, 7, 3));
        assert_ne!(a, synthetic_unit_vectors(50, 7, 4));
        for row in a.chunks(7) {
            let norm: f32 = row.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn normals_have_unit_variance() {
        let mut rng = SplitMix64::new(1);
        let (mut sum, mut sq) = (0.0, 0.0);
        for _ in 0..20_000 {
            let (a, b) = rng.normal_pair();
            sum += a + b;
            sq += a * a + b * b;
        }
        assert!((sum / 40_000.0).abs() < 0.03);
        assert!((sq / 40_000.0 - 1.0).abs() < 0.03);
    }
}
