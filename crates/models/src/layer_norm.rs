//! LayerNorm built from basic tensor ops.
//!
//! candle-nn's fused `LayerNorm` has no backward pass: a BERT built on it trains nothing,
//! silently (0 of 101 variables got a gradient in our probe). Mean, variance, sqrt and
//! broadcasts all have gradients, and at BERT sizes the extra passes cost little next to
//! the matmuls, so there is one LayerNorm for inference and training.

use crate::error::Result;
use crate::weights::Weights;
use candle_core::{D, Tensor};
use candle_nn::Init;

/// `y = (x - mean) / sqrt(var + eps) * weight + bias` over the last dimension
/// (biased variance, as PyTorch).
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    /// A LayerNorm with the given scale (`weight`), shift (`bias`) and epsilon.
    pub fn new(weight: Tensor, bias: Tensor, eps: f64) -> LayerNorm {
        LayerNorm { weight, bias, eps }
    }

    /// Loads `weight` and `bias` of width `size` (initialised to 1 and 0 when training).
    pub fn load(weights: &Weights<'_>, size: usize, eps: f64) -> Result<LayerNorm> {
        Ok(LayerNorm {
            weight: weights.get(&[size], "weight", Init::Const(1.0))?,
            bias: weights.get(&[size], "bias", Init::Const(0.0))?,
            eps,
        })
    }

    /// Normalises `x` over its last dimension.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centered = x.broadcast_sub(&mean)?;
        let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
        let std = var.affine(1.0, self.eps)?.sqrt()?;
        centered
            .broadcast_div(&std)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn matches_the_fused_layer_norm() {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 3.0, (2, 5, 16), &dev).unwrap();
        let w = Tensor::randn(1f32, 0.1, 16, &dev).unwrap();
        let b = Tensor::randn(0f32, 0.1, 16, &dev).unwrap();
        let ours = LayerNorm::new(w.clone(), b.clone(), 1e-12)
            .forward(&x)
            .unwrap();
        let fused = candle_nn::ops::layer_norm(&x, &w, &b, 1e-12).unwrap();
        let diff = (ours - fused)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-5, "max abs diff {diff}");
    }

    #[test]
    fn every_parameter_and_the_input_get_gradients() {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (3, 8), &dev).unwrap()).unwrap();
        let w = Var::from_tensor(&Tensor::randn(1f32, 0.1, 8, &dev).unwrap()).unwrap();
        let b =
            Var::from_tensor(&Tensor::zeros(8, candle_core::DType::F32, &dev).unwrap()).unwrap();
        let norm = LayerNorm::new(w.as_tensor().clone(), b.as_tensor().clone(), 1e-5);
        let target = Tensor::randn(0f32, 1.0, (3, 8), &dev).unwrap();
        let loss = (norm.forward(x.as_tensor()).unwrap() * target)
            .unwrap()
            .sum_all()
            .unwrap();
        let grads = loss.backward().unwrap();
        for (name, var) in [("x", &x), ("weight", &w), ("bias", &b)] {
            let g = grads.get(var.as_tensor()).expect(name);
            let norm = g
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(norm > 0.0, "{name} got a zero gradient");
        }
    }
}
