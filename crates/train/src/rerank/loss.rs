//! The two reranker losses compared on dev (BENCHMARKS.md, "Reranker").
//!
//! Both read the same thing: a flat vector of pair scores (logits) and, for each pair,
//! the KDD Cup gain of its ESCI label (E = 1, S = 0.1, C = 0.01, I = 0) as the target.
//! - [`pointwise_bce`] treats each pair alone: binary cross-entropy with logits toward
//!   the gain, so the model learns a calibrated "how exact is this product" score.
//! - [`listwise_softmax`] treats each query's (part of its) judged list as one sample:
//!   softmax cross-entropy of the scores against the gains normalised to sum to 1, so
//!   only the order inside a list matters — what nDCG measures.
//!
//! Built from basic ops only (every one has a backward pass in candle); the max in the
//! log-softmax is detached because the result does not depend on it.

use candle_core::{D, Tensor};

/// Mean binary cross-entropy with logits of `scores` toward `targets` (both `[n]`, targets
/// in `[0, 1]`): `mean(max(s, 0) − s·y + log(1 + exp(−|s|)))`, the numerically stable
/// form of `−y·log σ(s) − (1−y)·log(1−σ(s))`.
pub fn pointwise_bce(scores: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    if scores.dims() != targets.dims() || scores.rank() != 1 {
        candle_core::bail!(
            "pointwise loss needs scores and targets of one shape [n], got {:?} and {:?}",
            scores.dims(),
            targets.dims()
        );
    }
    let softplus_neg_abs = (scores.abs()?.neg()?.exp()? + 1.0)?.log()?;
    (scores.relu()? - scores.mul(targets)?)?
        .add(&softplus_neg_abs)?
        .mean_all()
}

/// Softmax cross-entropy per list, averaged over lists that have any gain.
///
/// `scores` and `gains` are `[n]`; `lists` gives each list as `(start, len)` into them.
/// For a list, the target is `gains / Σ gains` and the loss `−Σ target · log_softmax(s)`.
/// A list whose gains are all 0 (only Irrelevant products) has no target and is
/// skipped; `None` when every list is skipped.
pub fn listwise_softmax(
    scores: &Tensor,
    gains: &[f32],
    lists: &[(usize, usize)],
) -> candle_core::Result<Option<Tensor>> {
    let n = scores.dims1()?;
    if gains.len() != n {
        candle_core::bail!("{} gains for {n} scores", gains.len());
    }
    let mut losses = Vec::new();
    for &(start, len) in lists {
        if len == 0 || start + len > n {
            candle_core::bail!("list ({start}, {len}) does not fit {n} scores");
        }
        let g = &gains[start..start + len];
        let total: f32 = g.iter().sum();
        if total <= 0.0 {
            continue;
        }
        let target: Vec<f32> = g.iter().map(|x| x / total).collect();
        let target = Tensor::from_vec(target, len, scores.device())?;
        let s = scores.narrow(0, start, len)?;
        let shifted = s.broadcast_sub(&s.max_keepdim(D::Minus1)?.detach())?;
        let lse = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
        let log_p = shifted.broadcast_sub(&lse)?;
        losses.push(log_p.mul(&target)?.sum_all()?.neg()?);
    }
    if losses.is_empty() {
        return Ok(None);
    }
    let count = losses.len() as f64;
    Ok(Some((Tensor::stack(&losses, 0)?.sum_all()? / count)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn t(v: &[f32]) -> Tensor {
        Tensor::from_slice(v, v.len(), &Device::Cpu).unwrap()
    }

    fn scalar(x: &Tensor) -> f32 {
        x.to_scalar::<f32>().unwrap()
    }

    #[test]
    fn bce_matches_hand_computed_values() {
        // s = 0, y = 1: log 2. s = 2, y = 0: log(1 + e^2) = 2.126928.
        // s = -1, y = 0.1: 0.1·log(1+e^1) + 0.9·log(1+e^-1) = 0.131326 + 0.281936.
        let loss = pointwise_bce(&t(&[0.0, 2.0, -1.0]), &t(&[1.0, 0.0, 0.1])).unwrap();
        let expected = (std::f32::consts::LN_2 + 2.126928 + 0.413262) / 3.0;
        assert!((scalar(&loss) - expected).abs() < 1e-5, "{}", scalar(&loss));
    }

    #[test]
    fn bce_is_stable_for_large_logits() {
        let loss = pointwise_bce(&t(&[80.0, -80.0]), &t(&[1.0, 0.0])).unwrap();
        assert!(scalar(&loss).abs() < 1e-6);
        let loss = pointwise_bce(&t(&[80.0]), &t(&[0.0])).unwrap();
        assert!((scalar(&loss) - 80.0).abs() < 1e-4);
    }

    #[test]
    fn bce_gradient_is_sigmoid_minus_target() {
        let s = Var::from_slice(&[0.0f32, 1.0], 2, &Device::Cpu).unwrap();
        let loss = pointwise_bce(s.as_tensor(), &t(&[1.0, 0.0])).unwrap();
        let g: Vec<f32> = loss
            .backward()
            .unwrap()
            .get(s.as_tensor())
            .unwrap()
            .to_vec1()
            .unwrap();
        // d/ds mean = (σ(s) − y) / n
        assert!((g[0] - (0.5 - 1.0) / 2.0).abs() < 1e-6);
        assert!((g[1] - (0.731_058_6 - 0.0) / 2.0).abs() < 1e-6);
    }

    #[test]
    fn listwise_matches_hand_computed_values() {
        // List 1: scores (0, ln 3), gains (1, 0): p = (1/4, 3/4), loss = ln 4.
        // List 2: scores (0, 0), gains (1, 1): target (1/2, 1/2), loss = ln 2.
        // List 3: gains all 0: skipped. Mean over two lists = (ln 4 + ln 2) / 2.
        let scores = t(&[0.0, 3f32.ln(), 0.0, 0.0, 5.0]);
        let gains = [1.0, 0.0, 1.0, 1.0, 0.0];
        let loss = listwise_softmax(&scores, &gains, &[(0, 2), (2, 2), (4, 1)])
            .unwrap()
            .unwrap();
        let expected = (4f32.ln() + 2f32.ln()) / 2.0;
        assert!((scalar(&loss) - expected).abs() < 1e-6, "{}", scalar(&loss));
    }

    #[test]
    fn listwise_skips_lists_without_gain_and_rejects_bad_spans() {
        let scores = t(&[1.0, 2.0]);
        assert!(
            listwise_softmax(&scores, &[0.0, 0.0], &[(0, 2)])
                .unwrap()
                .is_none()
        );
        assert!(listwise_softmax(&scores, &[1.0, 0.0], &[(1, 2)]).is_err());
        assert!(listwise_softmax(&scores, &[1.0], &[(0, 1)]).is_err());
    }

    #[test]
    fn listwise_gradient_is_softmax_minus_target() {
        let s = Var::from_slice(&[0.0f32, 3f32.ln()], 2, &Device::Cpu).unwrap();
        let loss = listwise_softmax(s.as_tensor(), &[1.0, 0.0], &[(0, 2)])
            .unwrap()
            .unwrap();
        let g: Vec<f32> = loss
            .backward()
            .unwrap()
            .get(s.as_tensor())
            .unwrap()
            .to_vec1()
            .unwrap();
        assert!((g[0] - (0.25 - 1.0)).abs() < 1e-6);
        assert!((g[1] - 0.75).abs() < 1e-6);
    }
}
