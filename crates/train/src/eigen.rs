//! Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations.
//!
//! Why Jacobi: the matrices here are covariance matrices of embeddings (384×384), a few
//! seconds at most; Jacobi is short, needs no external linear-algebra library, and is
//! accurate to the last bits for symmetric matrices (every step is an orthogonal
//! rotation), including the small eigenvalues that decide the tail of a PCA rotation.

use crate::TrainError;

/// Sweeps before giving up; Jacobi converges quadratically, ~10 sweeps are typical.
const MAX_SWEEPS: usize = 60;

/// Eigenvalues in descending order and the matching unit eigenvectors.
#[derive(Debug, Clone)]
pub struct SymmetricEigen {
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// Row-major `n × n`: row k is the eigenvector of `values[k]`, its largest-magnitude
    /// component made positive (a deterministic sign).
    pub vectors: Vec<f64>,
}

/// Decomposes the symmetric `n × n` row-major matrix `a`.
///
/// Errors on a non-square length, non-finite values or an asymmetric matrix (beyond
/// rounding), never panics.
pub fn symmetric_eigen(a: &[f64], n: usize) -> Result<SymmetricEigen, TrainError> {
    if n == 0 || a.len() != n * n {
        return Err(TrainError::Invalid(format!(
            "{} values are not an {n}×{n} matrix",
            a.len()
        )));
    }
    if a.iter().any(|x| !x.is_finite()) {
        return Err(TrainError::Invalid("matrix has non-finite values".into()));
    }
    let scale = a
        .iter()
        .fold(0.0f64, |m, x| m.max(x.abs()))
        .max(f64::MIN_POSITIVE);
    for i in 0..n {
        for j in 0..i {
            if (a[i * n + j] - a[j * n + i]).abs() > 1e-9 * scale {
                return Err(TrainError::Invalid(format!(
                    "matrix is not symmetric at ({i}, {j})"
                )));
            }
        }
    }
    let mut m = a.to_vec();
    // v[k * n + j]: component k of eigenvector j (columns are eigenvectors).
    let mut v = vec![0.0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let total: f64 = m.iter().map(|x| x * x).sum();
    let mut converged = false;
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off <= 1e-26 * total || off == 0.0 {
            converged = true;
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                rotate(&mut m, &mut v, n, p, q);
            }
        }
    }
    if !converged {
        return Err(TrainError::Invalid(format!(
            "Jacobi eigensolver did not converge in {MAX_SWEEPS} sweeps"
        )));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| m[y * n + y].total_cmp(&m[x * n + x]).then(x.cmp(&y)));
    let values = order.iter().map(|&j| m[j * n + j]).collect();
    let mut vectors = Vec::with_capacity(n * n);
    for &j in &order {
        let mut row: Vec<f64> = (0..n).map(|k| v[k * n + j]).collect();
        let big = row
            .iter()
            .copied()
            .fold(0.0f64, |b, x| if x.abs() > b.abs() { x } else { b });
        if big < 0.0 {
            row.iter_mut().for_each(|x| *x = -*x);
        }
        vectors.extend(row);
    }
    Ok(SymmetricEigen { values, vectors })
}

/// One Jacobi rotation in the (p, q) plane that zeroes `m[p][q]`: `m ← Jᵀ m J`,
/// `v ← v J`.
fn rotate(m: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize) {
    let apq = m[p * n + q];
    if apq == 0.0 {
        return;
    }
    let (app, aqq) = (m[p * n + p], m[q * n + q]);
    // Skip rotations that would change nothing at double precision.
    if apq.abs() < 1e-300 || (apq.abs() * 1e18 < app.abs() && apq.abs() * 1e18 < aqq.abs()) {
        m[p * n + q] = 0.0;
        m[q * n + p] = 0.0;
        return;
    }
    let theta = (aqq - app) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for k in 0..n {
        let (akp, akq) = (m[k * n + p], m[k * n + q]);
        m[k * n + p] = c * akp - s * akq;
        m[k * n + q] = s * akp + c * akq;
    }
    for k in 0..n {
        let (apk, aqk) = (m[p * n + k], m[q * n + k]);
        m[p * n + k] = c * apk - s * aqk;
        m[q * n + k] = s * apk + c * aqk;
    }
    m[p * n + q] = 0.0;
    m[q * n + p] = 0.0;
    for k in 0..n {
        let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
        v[k * n + p] = c * vkp - s * vkq;
        v[k * n + q] = s * vkp + c * vkq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::rng::SplitMix64;

    #[test]
    fn two_by_two_by_hand() {
        // [[2, 1], [1, 2]]: eigenvalues 3 (1, 1)/√2 and 1 (1, −1)/√2.
        let e = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2).unwrap();
        assert!((e.values[0] - 3.0).abs() < 1e-12 && (e.values[1] - 1.0).abs() < 1e-12);
        let r = std::f64::consts::FRAC_1_SQRT_2;
        assert!((e.vectors[0] - r).abs() < 1e-12 && (e.vectors[1] - r).abs() < 1e-12);
        assert!((e.vectors[2].abs() - r).abs() < 1e-12);
        assert!((e.vectors[2] + e.vectors[3]).abs() < 1e-12);
    }

    #[test]
    fn random_symmetric_matrix_is_decomposed() {
        let n = 40;
        let mut rng = SplitMix64::new(7);
        let mut a = vec![0.0f64; n * n];
        for i in 0..n {
            for j in 0..=i {
                let x = rng.unit() * 2.0 - 1.0;
                a[i * n + j] = x;
                a[j * n + i] = x;
            }
        }
        let e = symmetric_eigen(&a, n).unwrap();
        assert!(e.values.windows(2).all(|w| w[0] >= w[1]));
        for k in 0..n {
            let vk = &e.vectors[k * n..(k + 1) * n];
            // A v = λ v
            for i in 0..n {
                let av: f64 = (0..n).map(|j| a[i * n + j] * vk[j]).sum();
                assert!((av - e.values[k] * vk[i]).abs() < 1e-10, "k {k} i {i}");
            }
            // orthonormal rows
            for l in 0..n {
                let d: f64 = (0..n).map(|j| vk[j] * e.vectors[l * n + j]).sum();
                let want = if k == l { 1.0 } else { 0.0 };
                assert!((d - want).abs() < 1e-10);
            }
        }
        // trace is preserved
        let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
        assert!((trace - e.values.iter().sum::<f64>()).abs() < 1e-10);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(symmetric_eigen(&[1.0, 2.0, 3.0], 2).is_err());
        assert!(symmetric_eigen(&[1.0, 2.0, 3.0, 4.0], 2).is_err());
        assert!(symmetric_eigen(&[f64::NAN, 0.0, 0.0, 1.0], 2).is_err());
        assert!(symmetric_eigen(&[], 0).is_err());
    }
}
