//! A linear map from the encoder's space to a space whose prefixes are meant to be cut.

use crate::TrainError;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// `y = W (x − mean) + bias`, with `W` of shape `d_out × d_in` (row k makes output k).
///
/// Applied to query and product vectors alike; the caller re-normalises (the dense
/// index stores unit vectors and every Matryoshka view re-normalises its prefix). The
/// fingerprint is the sha256 of the numbers, so an index built with one projection can
/// refuse queries projected by another; `base_model` is the fingerprint of the encoder
/// whose vectors it was fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    name: String,
    method: String,
    d_in: usize,
    d_out: usize,
    weights: Vec<f32>,
    mean: Option<Vec<f32>>,
    bias: Option<Vec<f32>>,
    base_model: String,
    fingerprint: String,
    /// Free-form record of how it was made (hyper-parameters, dev metrics).
    pub metadata: serde_json::Value,
}

impl Projection {
    /// Checks shapes and values and computes the fingerprint.
    pub fn new(
        name: impl Into<String>,
        method: impl Into<String>,
        (d_out, d_in): (usize, usize),
        weights: Vec<f32>,
        mean: Option<Vec<f32>>,
        bias: Option<Vec<f32>>,
        base_model: impl Into<String>,
    ) -> Result<Projection, TrainError> {
        let invalid = |m: String| Err(TrainError::Invalid(m));
        if d_in == 0 || d_out == 0 || d_in > esci_dense::MAX_DIM || d_out > esci_dense::MAX_DIM {
            return invalid(format!("projection shape {d_out}×{d_in} is out of range"));
        }
        if weights.len() != d_out * d_in {
            return invalid(format!(
                "{} weights do not make a {d_out}×{d_in} matrix",
                weights.len()
            ));
        }
        if mean.as_ref().is_some_and(|m| m.len() != d_in) {
            return invalid(format!("the mean must have {d_in} components"));
        }
        if bias.as_ref().is_some_and(|b| b.len() != d_out) {
            return invalid(format!("the bias must have {d_out} components"));
        }
        let all = weights
            .iter()
            .chain(mean.iter().flatten())
            .chain(bias.iter().flatten());
        if all.clone().any(|x| !x.is_finite()) {
            return invalid("projection values must be finite".into());
        }
        let fingerprint = fingerprint(d_in, d_out, &weights, mean.as_deref(), bias.as_deref());
        Ok(Projection {
            name: name.into(),
            method: method.into(),
            d_in,
            d_out,
            weights,
            mean,
            bias,
            base_model: base_model.into(),
            fingerprint,
            metadata: serde_json::Value::Null,
        })
    }

    /// The identity map on `dim` components (what "no projection" means).
    pub fn identity(dim: usize, base_model: &str) -> Result<Projection, TrainError> {
        let mut w = vec![0.0f32; dim * dim];
        for i in 0..dim {
            w[i * dim + i] = 1.0;
        }
        Projection::new(
            "identity",
            "identity",
            (dim, dim),
            w,
            None,
            None,
            base_model,
        )
    }

    /// Name under which it is saved and selected (`pca`, `adapter`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How it was made (`pca`, `adapter`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Input dimension (the encoder's).
    pub fn d_in(&self) -> usize {
        self.d_in
    }

    /// Output dimension (the projected index's full dimension).
    pub fn d_out(&self) -> usize {
        self.d_out
    }

    /// `W`, row-major `d_out × d_in`.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The vector subtracted before the map, if any.
    pub fn mean(&self) -> Option<&[f32]> {
        self.mean.as_deref()
    }

    /// The vector added after the map, if any.
    pub fn bias(&self) -> Option<&[f32]> {
        self.bias.as_deref()
    }

    /// Fingerprint of the encoder it was fitted for.
    pub fn base_model(&self) -> &str {
        &self.base_model
    }

    /// sha256 (hex) of the shape and numbers.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Refuses vectors of another encoder, naming both fingerprints.
    pub fn check_model(&self, model_fingerprint: &str) -> Result<(), TrainError> {
        if self.base_model == model_fingerprint {
            Ok(())
        } else {
            Err(TrainError::ModelMismatch {
                name: self.name.clone(),
                projection_model: self.base_model.clone(),
                model: model_fingerprint.to_owned(),
            })
        }
    }

    /// Maps one vector of `d_in` components.
    pub fn apply(&self, x: &[f32]) -> Result<Vec<f32>, TrainError> {
        if x.len() != self.d_in {
            return Err(TrainError::Invalid(format!(
                "projection {:?} takes {} components, got {}",
                self.name,
                self.d_in,
                x.len()
            )));
        }
        let mut out = vec![0.0f32; self.d_out];
        self.apply_into(x, &mut out);
        Ok(out)
    }

    /// Maps a row-major matrix of `d_in`-long rows (in parallel).
    pub fn apply_batch(&self, rows: &[f32]) -> Result<Vec<f32>, TrainError> {
        if !rows.len().is_multiple_of(self.d_in) {
            return Err(TrainError::Invalid(format!(
                "{} floats are not a whole number of {}-long rows",
                rows.len(),
                self.d_in
            )));
        }
        let n = rows.len() / self.d_in;
        let mut out = vec![0.0f32; n * self.d_out];
        out.par_chunks_mut(self.d_out)
            .zip(rows.par_chunks(self.d_in))
            .for_each(|(dst, src)| self.apply_into(src, dst));
        Ok(out)
    }

    fn apply_into(&self, x: &[f32], out: &mut [f32]) {
        let centred: std::borrow::Cow<'_, [f32]> = match &self.mean {
            Some(m) => x.iter().zip(m).map(|(a, b)| a - b).collect(),
            None => x.into(),
        };
        for (k, o) in out.iter_mut().enumerate() {
            let row = &self.weights[k * self.d_in..(k + 1) * self.d_in];
            *o = esci_dense::dot_f32(row, &centred) + self.bias.as_ref().map_or(0.0, |b| b[k]);
        }
    }
}

/// sha256 over a domain tag, the shape and the little-endian numbers.
fn fingerprint(
    d_in: usize,
    d_out: usize,
    weights: &[f32],
    mean: Option<&[f32]>,
    bias: Option<&[f32]>,
) -> String {
    let mut h = Sha256::new();
    h.update(b"esci-projection-v1");
    h.update((d_in as u64).to_le_bytes());
    h.update((d_out as u64).to_le_bytes());
    for part in [Some(weights), mean, bias] {
        match part {
            Some(values) => {
                h.update([1u8]);
                for v in values {
                    h.update(v.to_le_bytes());
                }
            }
            None => h.update([0u8]),
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_mean_weights_and_bias() {
        // W = [[1, 2], [0, -1], [3, 0]], mean = [1, 1], bias = [0, 0, 0.5]
        let p = Projection::new(
            "t",
            "test",
            (3, 2),
            vec![1.0, 2.0, 0.0, -1.0, 3.0, 0.0],
            Some(vec![1.0, 1.0]),
            Some(vec![0.0, 0.0, 0.5]),
            "m",
        )
        .unwrap();
        // x − mean = [2, 0] → [2, 0, 6.5]
        assert_eq!(p.apply(&[3.0, 1.0]).unwrap(), vec![2.0, 0.0, 6.5]);
        let batch = p.apply_batch(&[3.0, 1.0, 1.0, 2.0]).unwrap();
        assert_eq!(batch, vec![2.0, 0.0, 6.5, 2.0, -1.0, 0.5]);
        assert!(p.apply(&[1.0]).is_err());
        assert!(p.apply_batch(&[1.0, 2.0, 3.0]).is_err());
    }

    #[test]
    fn fingerprint_follows_the_numbers_not_the_name() {
        let a = Projection::identity(3, "m").unwrap();
        let mut w = a.weights().to_vec();
        let same = Projection::new("other", "x", (3, 3), w.clone(), None, None, "m2").unwrap();
        assert_eq!(a.fingerprint(), same.fingerprint());
        w[4] = 0.5;
        let changed = Projection::new("identity", "identity", (3, 3), w, None, None, "m").unwrap();
        assert_ne!(a.fingerprint(), changed.fingerprint());
        assert_eq!(a.fingerprint().len(), 64);
    }

    #[test]
    fn bad_shapes_values_and_models_are_refused() {
        assert!(Projection::new("p", "m", (2, 2), vec![1.0; 3], None, None, "m").is_err());
        assert!(Projection::new("p", "m", (2, 2), vec![f32::NAN; 4], None, None, "m").is_err());
        assert!(
            Projection::new("p", "m", (2, 2), vec![1.0; 4], Some(vec![0.0]), None, "m").is_err()
        );
        let p = Projection::identity(2, "model-a").unwrap();
        p.check_model("model-a").unwrap();
        let err = p.check_model("model-b").unwrap_err().to_string();
        assert!(err.contains("model-a") && err.contains("model-b"), "{err}");
    }
}
