//! Ranking losses on candle tensors (differentiable through candle's autograd).
//!
//! - [`mnrl`]: MultipleNegativesRanking, as sentence-transformers defines it: the
//!   cosine of every query with every candidate in the batch, times a scale (20),
//!   softmax cross-entropy with the query's own positive as the target (column i for
//!   row i) — every other in-batch positive is a negative for free.
//! - [`matryoshka_mnrl`]: the same loss on the first d components of both sides,
//!   re-normalised, for each d of a list, summed with weights: it teaches the map to
//!   put what ranks well into the leading components.
//! - [`similarity_preservation`]: mean squared difference between the mapped prefix
//!   cosines of products and their original full-dimension cosines, so the map does not
//!   forget the geometry of products the few labelled queries never touch.
//!
//! Everything is built from basic ops (matmul, exp, log, sums), all of which have
//! backward passes in candle; the max in the log-softmax is detached (the result does
//! not depend on it).

use candle_core::{D, DType, Device, Tensor};

/// Scale of the cosines before the softmax (sentence-transformers' default).
pub const DEFAULT_SCALE: f64 = 20.0;
/// The Matryoshka prefixes of the reference system.
pub const DEFAULT_DIMS: [usize; 5] = [384, 256, 128, 64, 32];
/// Masked (never-negative) logits are pushed this far down.
const MASKED: f64 = -1.0e4;

/// Rows scaled to unit L2 norm (an all-zero row stays zero).
pub fn normalize_rows(x: &Tensor) -> candle_core::Result<Tensor> {
    let norm = (x.sqr()?.sum_keepdim(D::Minus1)? + 1e-12)?.sqrt()?;
    x.broadcast_div(&norm)
}

/// Row-wise log-softmax with the (gradient-free) max subtracted for stability.
fn log_softmax_rows(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let shifted = x.broadcast_sub(&max)?;
    let lse = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
    shifted.broadcast_sub(&lse)
}

/// MultipleNegativesRanking loss of `queries` (B × d) against `candidates` (C × d,
/// C ≥ B; row i is query i's positive, rows beyond B are extra negatives).
///
/// `mask` (B × C, 1 = ignore) removes candidates that are not negatives for a query
/// (another positive of the same query in the batch); the diagonal is never masked.
/// Returns the mean over queries of `−log softmax(scale · cos)[i, i]`.
pub fn mnrl(
    queries: &Tensor,
    candidates: &Tensor,
    scale: f64,
    mask: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    let (b, _) = queries.dims2()?;
    let (c, _) = candidates.dims2()?;
    if c < b {
        candle_core::bail!("MNRL needs at least as many candidates ({c}) as queries ({b})");
    }
    let q = normalize_rows(queries)?;
    let p = normalize_rows(candidates)?;
    let mut logits = (q.matmul(&p.t()?)? * scale)?;
    if let Some(mask) = mask {
        logits = (logits + (mask * MASKED)?)?;
    }
    let target = diagonal_targets(b, c, queries.dtype(), queries.device())?;
    let picked = (log_softmax_rows(&logits)? * target)?.sum_all()?;
    picked.neg()? / b as f64
}

/// `B × C` with ones at (i, i).
fn diagonal_targets(
    b: usize,
    c: usize,
    dtype: DType,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let mut t = vec![0.0f32; b * c];
    for i in 0..b {
        t[i * c + i] = 1.0;
    }
    Tensor::from_vec(t, (b, c), device)?.to_dtype(dtype)
}

/// Σ_k `weights[k]` · [`mnrl`] on the first `dims[k]` components of both sides.
pub fn matryoshka_mnrl(
    queries: &Tensor,
    candidates: &Tensor,
    scale: f64,
    mask: Option<&Tensor>,
    dims: &[usize],
    weights: &[f64],
) -> candle_core::Result<Tensor> {
    check_dims(queries, dims, weights)?;
    let mut total: Option<Tensor> = None;
    for (&d, &w) in dims.iter().zip(weights) {
        let loss = mnrl(
            &queries.narrow(1, 0, d)?,
            &candidates.narrow(1, 0, d)?,
            scale,
            mask,
        )?;
        let term = (loss * w)?;
        total = Some(match total {
            Some(t) => (t + term)?,
            None => term,
        });
    }
    total.ok_or_else(|| candle_core::Error::Msg("no Matryoshka dimensions".into()))
}

/// Σ_k `weights[k]` · mean over pairs of (cos of the mapped `dims[k]`-prefixes − `target`)²,
/// where `target` (M × M) holds the original cosines of the M products in `mapped`.
pub fn similarity_preservation(
    mapped: &Tensor,
    target: &Tensor,
    dims: &[usize],
    weights: &[f64],
) -> candle_core::Result<Tensor> {
    check_dims(mapped, dims, weights)?;
    let mut total: Option<Tensor> = None;
    for (&d, &w) in dims.iter().zip(weights) {
        let x = normalize_rows(&mapped.narrow(1, 0, d)?)?;
        let cos = x.matmul(&x.t()?)?;
        let term = ((cos - target)?.sqr()?.mean_all()? * w)?;
        total = Some(match total {
            Some(t) => (t + term)?,
            None => term,
        });
    }
    total.ok_or_else(|| candle_core::Error::Msg("no Matryoshka dimensions".into()))
}

fn check_dims(x: &Tensor, dims: &[usize], weights: &[f64]) -> candle_core::Result<()> {
    let (_, width) = x.dims2()?;
    if dims.len() != weights.len() || dims.is_empty() {
        candle_core::bail!("{} dims but {} weights", dims.len(), weights.len());
    }
    if let Some(d) = dims.iter().find(|&&d| d == 0 || d > width) {
        candle_core::bail!("Matryoshka prefix {d} is outside 1..={width}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64], rows: usize) -> Tensor {
        Tensor::from_vec(v.to_vec(), (rows, v.len() / rows), &Device::Cpu).unwrap()
    }

    fn scalar(x: Tensor) -> f64 {
        x.to_scalar::<f64>().unwrap()
    }

    #[test]
    fn mnrl_by_hand() {
        let ln = |x: f64| x.ln();
        let e = std::f64::consts::E;
        // Orthogonal pairs, scale 1: each row is softmax([1, 0]) → −log(e/(e+1)).
        let eye = t(&[1.0, 0.0, 0.0, 1.0], 2);
        let want = ln(1.0 + 1.0 / e);
        assert!((scalar(mnrl(&eye, &eye, 1.0, None).unwrap()) - want).abs() < 1e-12);
        // Scale 2: −log(e²/(e²+1)).
        let want2 = ln(1.0 + (-2.0f64).exp());
        assert!((scalar(mnrl(&eye, &eye, 2.0, None).unwrap()) - want2).abs() < 1e-12);
        // Query 1 = (1,1)/√2 is equally close to both: its row costs log 2.
        let q = t(&[1.0, 0.0, 3.0, 3.0], 2); // norms do not matter
        let want = (ln(1.0 + 1.0 / e) + 2f64.ln()) / 2.0;
        assert!((scalar(mnrl(&q, &eye, 1.0, None).unwrap()) - want).abs() < 1e-12);
        // An extra negative candidate (1, 0) for query 0 adds e¹ to its denominator.
        let cands = t(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0], 3);
        let row0 = -ln(e / (e + 1.0 + e));
        let row1 = -ln(e / (1.0 + e + 1.0));
        let got = scalar(mnrl(&eye, &cands, 1.0, None).unwrap());
        assert!((got - (row0 + row1) / 2.0).abs() < 1e-12);
        // Masking that extra candidate brings back the first value.
        let mask = t(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0], 2);
        let got = scalar(mnrl(&eye, &cands, 1.0, Some(&mask)).unwrap());
        assert!((got - ln(1.0 + 1.0 / e)).abs() < 1e-9);
        assert!(mnrl(&cands, &eye, 1.0, None).is_err());
    }

    #[test]
    fn matryoshka_by_hand() {
        let e = std::f64::consts::E;
        // q = [(1,0), (1,1)], p = [(1,0), (0,1)], scale 1.
        let q = t(&[1.0, 0.0, 1.0, 1.0], 2);
        let p = t(&[1.0, 0.0, 0.0, 1.0], 2);
        // d = 2: rows cost log(1+1/e) and log 2.
        let d2 = ((1.0 + 1.0 / e).ln() + 2f64.ln()) / 2.0;
        // d = 1: q → [1, 1], p → [1, 0] (a zero prefix stays zero): logits [[1,0],[1,0]];
        // row 0 costs log(1+1/e), row 1 (target column 1) costs log(1+e).
        let d1 = ((1.0 + 1.0 / e).ln() + (1.0 + e).ln()) / 2.0;
        let got = scalar(matryoshka_mnrl(&q, &p, 1.0, None, &[2, 1], &[1.0, 0.5]).unwrap());
        assert!((got - (d2 + 0.5 * d1)).abs() < 1e-9, "{got}");
        assert!(matryoshka_mnrl(&q, &p, 1.0, None, &[3], &[1.0]).is_err());
        assert!(matryoshka_mnrl(&q, &p, 1.0, None, &[2, 1], &[1.0]).is_err());
    }

    #[test]
    fn preservation_by_hand() {
        // Mapped rows (1,0), (1,1): cos at d=2 is [[1, .7071], [.7071, 1]]; at d=1 all ones.
        let mapped = t(&[1.0, 0.0, 1.0, 1.0], 2);
        let target = t(&[1.0, 0.0, 0.0, 1.0], 2);
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let d2 = 2.0 * r * r / 4.0;
        let d1 = 2.0 / 4.0;
        let got = scalar(similarity_preservation(&mapped, &target, &[2, 1], &[1.0, 2.0]).unwrap());
        assert!((got - (d2 + 2.0 * d1)).abs() < 1e-9, "{got}");
        // A map's own cosines are preserved exactly.
        let unit = normalize_rows(&mapped).unwrap();
        let own = unit.matmul(&unit.t().unwrap()).unwrap();
        let zero = scalar(similarity_preservation(&mapped, &own, &[2], &[1.0]).unwrap());
        assert!(zero.abs() < 1e-12, "{zero}");
    }
}
