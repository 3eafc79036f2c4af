//! The inner loop: the f32 dot product, written so the compiler vectorises it
//! without intrinsics, and the one L2 normalisation used for rows and queries.
//!
//! Every score the crate returns comes from [`dot_f32`], so the parallel scan, the
//! batch scan, rescoring and `score_docs` agree bit for bit.

/// Independent f32 accumulators: floating-point addition is not associative, so the
/// compiler only vectorises a reduction that is written out lane by lane.
const LANES: usize = 16;

/// Inner product of two equally long slices (the shorter length is used otherwise).
///
/// The summation order is fixed (16 lanes, a tail, then a fixed tree), so the result
/// is deterministic for a given pair regardless of threads or call site.
#[inline]
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    dot_f32_inlined(a, b)
}

/// [`dot_f32`]'s body, always inlined so a caller compiled for wider vectors
/// ([`crate::simd`]) vectorises it with them; same lanes, same order, same bits.
#[inline(always)]
pub(crate) fn dot_f32_inlined(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    reduce16(acc) + tail
}

/// Sums 16 lanes pairwise, in a fixed order.
#[inline(always)]
fn reduce16(acc: [f32; LANES]) -> f32 {
    let mut v8 = [0.0f32; 8];
    for i in 0..8 {
        v8[i] = acc[i] + acc[i + 8];
    }
    let v4 = [v8[0] + v8[4], v8[1] + v8[5], v8[2] + v8[6], v8[3] + v8[7]];
    (v4[0] + v4[2]) + (v4[1] + v4[3])
}

/// Scales `v` to unit L2 norm in place (sum of squares in f64) and returns the
/// original norm. A zero vector is left as it is and 0 is returned.
pub fn normalise(v: &mut [f32]) -> f64 {
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm > 0.0 {
        let inv = 1.0 / norm;
        for x in v.iter_mut() {
            *x = (f64::from(*x) * inv) as f32;
        }
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum()
    }

    #[test]
    fn dot_f32_matches_f64_for_every_length() {
        for n in 0..70 {
            let a: Vec<f32> = (0..n).map(|i| ((i * 7 % 13) as f32 - 6.0) / 5.0).collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0).collect();
            let got = f64::from(dot_f32(&a, &b));
            assert!((got - naive(&a, &b)).abs() < 1e-4, "n {n}");
        }
    }

    #[test]
    fn normalise_gives_unit_norm_and_keeps_zero() {
        let mut v = vec![3.0, 4.0];
        assert_eq!(normalise(&mut v), 5.0);
        assert_eq!(v, vec![0.6, 0.8]);
        let mut z = vec![0.0; 3];
        assert_eq!(normalise(&mut z), 0.0);
        assert_eq!(z, vec![0.0; 3]);
    }
}
