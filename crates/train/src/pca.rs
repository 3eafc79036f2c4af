//! PCA rotation of the product embeddings: the unsupervised Matryoshka baseline.
//!
//! Rotating onto the principal axes puts the directions along which products differ
//! most into the first components, so cutting to d keeps the most variance any linear
//! d-dimensional map can. Without centring the map is a pure rotation (full-dimension
//! cosines are unchanged); with centring, scores become cosines around the catalog
//! mean. Which one retrieves better is measured (`esci train dense --method pca`,
//! BENCHMARKS.md), not assumed.

use crate::eigen::symmetric_eigen;
use crate::{Projection, TrainError};
use rayon::prelude::*;

/// Rows per parallel task when accumulating the covariance.
const CHUNK_ROWS: usize = 512;

/// A fitted PCA rotation and the spectrum behind it.
#[derive(Debug, Clone)]
pub struct PcaFit {
    /// `d × d` rotation (rows = principal axes, largest eigenvalue first), with the mean
    /// subtracted first when centred.
    pub projection: Projection,
    /// Eigenvalues of the (centred or uncentred) second-moment matrix, descending.
    pub eigenvalues: Vec<f64>,
}

impl PcaFit {
    /// Share of the total variance carried by the first `d` components.
    pub fn explained(&self, d: usize) -> f64 {
        let total: f64 = self.eigenvalues.iter().map(|x| x.max(0.0)).sum();
        if total == 0.0 {
            return 0.0;
        }
        self.eigenvalues
            .iter()
            .take(d)
            .map(|x| x.max(0.0))
            .sum::<f64>()
            / total
    }
}

/// Fits the rotation on `rows` (row-major, `dim` floats each).
pub fn fit_pca(
    rows: &[f32],
    dim: usize,
    center: bool,
    name: &str,
    base_model: &str,
) -> Result<PcaFit, TrainError> {
    if dim == 0 || !rows.len().is_multiple_of(dim) || rows.len() < 2 * dim {
        return Err(TrainError::Invalid(format!(
            "PCA needs at least two rows of {dim} components, got {} floats",
            rows.len()
        )));
    }
    if rows.iter().any(|x| !x.is_finite()) {
        return Err(TrainError::Invalid(
            "PCA input has non-finite values".into(),
        ));
    }
    let n = rows.len() / dim;
    let mean: Vec<f64> = if center {
        let mut m = vec![0.0f64; dim];
        for row in rows.chunks_exact(dim) {
            m.iter_mut().zip(row).for_each(|(a, &x)| *a += f64::from(x));
        }
        m.iter_mut().for_each(|a| *a /= n as f64);
        m
    } else {
        vec![0.0; dim]
    };
    let mut cov = rows
        .par_chunks(CHUNK_ROWS * dim)
        .map(|chunk| {
            let mut acc = vec![0.0f64; dim * dim];
            let mut x = vec![0.0f64; dim];
            for row in chunk.chunks_exact(dim) {
                x.iter_mut()
                    .zip(row.iter().zip(&mean))
                    .for_each(|(d, (&r, m))| *d = f64::from(r) - m);
                for i in 0..dim {
                    let xi = x[i];
                    let out = &mut acc[i * dim..i * dim + i + 1];
                    out.iter_mut()
                        .zip(&x[..=i])
                        .for_each(|(a, &xj)| *a += xi * xj);
                }
            }
            acc
        })
        .reduce(
            || vec![0.0f64; dim * dim],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    for i in 0..dim {
        for j in 0..=i {
            let v = cov[i * dim + j] / n as f64;
            cov[i * dim + j] = v;
            cov[j * dim + i] = v;
        }
    }
    let eigen = symmetric_eigen(&cov, dim)?;
    let weights = eigen.vectors.iter().map(|&x| x as f32).collect();
    let mean = center.then(|| mean.iter().map(|&x| x as f32).collect());
    let mut projection = Projection::new(name, "pca", (dim, dim), weights, mean, None, base_model)?;
    projection.metadata = serde_json::json!({ "center": center, "rows": n });
    Ok(PcaFit {
        projection,
        eigenvalues: eigen.values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::rng::SplitMix64;

    /// Points stretched along known axes: PCA must put the widest axis first.
    fn stretched(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        let sigma = [0.2f64, 3.0, 1.0];
        let mut rows = Vec::new();
        for _ in 0..n {
            for (k, s) in sigma.iter().enumerate() {
                let z = rng.unit() * 2.0 - 1.0;
                rows.push((s * z + if k == 0 { 5.0 } else { 0.0 }) as f32);
            }
        }
        rows
    }

    #[test]
    fn widest_axis_comes_first_and_the_map_is_a_rotation() {
        let rows = stretched(4000, 3);
        for center in [true, false] {
            let fit = fit_pca(&rows, 3, center, "pca", "m").unwrap();
            let w = fit.projection.weights();
            if center {
                // axis 1 (σ 3) then axis 2 (σ 1) then axis 0 (σ 0.2)
                assert!(
                    w[1].abs() > 0.99 && w[5].abs() > 0.99 && w[6].abs() > 0.99,
                    "{w:?}"
                );
                assert!(fit.explained(1) > 0.85 && fit.explained(1) < 0.95);
            } else {
                // the offset of 5 on axis 0 dominates the uncentred second moment
                assert!(w[0].abs() > 0.99, "{w:?}");
            }
            for a in 0..3 {
                for b in 0..3 {
                    let d: f32 = (0..3).map(|j| w[a * 3 + j] * w[b * 3 + j]).sum();
                    assert!((d - if a == b { 1.0 } else { 0.0 }).abs() < 1e-5);
                }
            }
            assert!((fit.explained(3) - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn uncentred_rotation_keeps_full_dimension_cosines() {
        let rows = stretched(500, 9);
        let fit = fit_pca(&rows, 3, false, "pca", "m").unwrap();
        let (a, b) = (&rows[0..3], &rows[3..6]);
        let cos = |x: &[f32], y: &[f32]| {
            let d: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
            d / (x.iter().map(|v| v * v).sum::<f32>().sqrt()
                * y.iter().map(|v| v * v).sum::<f32>().sqrt())
        };
        let (pa, pb) = (
            fit.projection.apply(a).unwrap(),
            fit.projection.apply(b).unwrap(),
        );
        assert!((cos(a, b) - cos(&pa, &pb)).abs() < 1e-5);
    }

    #[test]
    fn too_little_or_bad_data_is_an_error() {
        assert!(fit_pca(&[1.0, 2.0, 3.0], 3, true, "p", "m").is_err());
        assert!(fit_pca(&[1.0; 7], 3, true, "p", "m").is_err());
        assert!(fit_pca(&[f32::NAN; 6], 3, true, "p", "m").is_err());
    }
}
