//! BERT encoder (post-LayerNorm, absolute positions, exact GELU), CPU f32.
//!
//! Our own rather than candle-transformers' so that training can reuse it: every op has
//! a backward pass ([`LayerNorm`] is built from basic ops, softmax falls back to basic
//! ops when gradients are tracked), and the same model loads from a checkpoint file or
//! from a `VarMap` through [`Weights`]. Dropout is omitted: this is the inference graph.

use crate::config::BertConfig;
use crate::error::{ModelError, Result};
use crate::layer_norm::LayerNorm;
use crate::weights::{Weights, require_file};
use candle_core::{D, DType, Device, Tensor};
use candle_nn::{Embedding, Init, Linear, Module};
use std::path::Path;

/// Added to attention scores of padded keys: far below any real score, yet finite, so a
/// row never becomes all `-inf` (NaN) and `exp` underflows to exactly 0.
const MASKED_SCORE: f64 = -1e9;
const WEIGHT_INIT: Init = Init::Randn {
    mean: 0.0,
    stdev: 0.02,
};

fn linear(weights: &Weights<'_>, name: &str, inputs: usize, outputs: usize) -> Result<Linear> {
    let w = weights.pp(name);
    Ok(Linear::new(
        w.get(&[outputs, inputs], "weight", WEIGHT_INIT)?,
        Some(w.get(&[outputs], "bias", Init::Const(0.0))?),
    ))
}

fn embedding(weights: &Weights<'_>, name: &str, rows: usize, width: usize) -> Result<Embedding> {
    let table = weights
        .pp(name)
        .get(&[rows, width], "weight", WEIGHT_INIT)?;
    Ok(Embedding::new(table, width))
}

struct Embeddings {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
}

struct Attention {
    query: Linear,
    key: Linear,
    value: Linear,
    output: Linear,
    norm: LayerNorm,
    heads: usize,
    head_dim: usize,
}

impl Attention {
    /// Self-attention plus the residual LayerNorm; `mask_bias` is `[batch, 1, 1, keys]`.
    fn forward(&self, x: &Tensor, mask_bias: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, seq, hidden) = x.dims3()?;
        let split = |t: Tensor| {
            t.reshape((batch, seq, self.heads, self.head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let q = split(self.query.forward(x)?.affine(scale, 0.0)?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let scores = q.matmul(&k.t()?)?.broadcast_add(mask_bias)?;
        let probs = if scores.track_op() {
            candle_nn::ops::softmax(&scores, D::Minus1)?
        } else {
            // Fused and faster, but without a backward pass: inference only.
            candle_nn::ops::softmax_last_dim(&scores)?
        };
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .reshape((batch, seq, hidden))?;
        self.norm.forward(&(self.output.forward(&context)? + x)?)
    }
}

struct Layer {
    attention: Attention,
    intermediate: Linear,
    output: Linear,
    norm: LayerNorm,
}

/// A BERT encoder with an optional pooler.
pub struct BertModel {
    config: BertConfig,
    embeddings: Embeddings,
    layers: Vec<Layer>,
    pooler: Option<Linear>,
}

impl std::fmt::Debug for BertModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BertModel")
            .field("config", &self.config)
            .field("pooler", &self.pooler.is_some())
            .finish_non_exhaustive()
    }
}

impl BertModel {
    /// Loads `config.json` and `model.safetensors` from a model directory.
    pub fn load(dir: &Path) -> Result<BertModel> {
        let config = BertConfig::from_file(&require_file(dir, "config.json")?)?;
        let weights = Weights::open(&require_file(dir, "model.safetensors")?)?;
        BertModel::new(&weights, &config)
    }

    /// Builds the model from weights in the canonical layout (`embeddings.*`,
    /// `encoder.layer.N.*`, optional `pooler.dense.*`).
    pub fn new(weights: &Weights<'_>, config: &BertConfig) -> Result<BertModel> {
        if let Err(reason) = config.validate() {
            return Err(ModelError::InvalidArgument(format!(
                "BERT config: {reason}"
            )));
        }
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let e = weights.pp("embeddings");
        let embeddings = Embeddings {
            word: embedding(&e, "word_embeddings", config.vocab_size, h)?,
            position: embedding(&e, "position_embeddings", config.max_position_embeddings, h)?,
            token_type: embedding(&e, "token_type_embeddings", config.type_vocab_size, h)?,
            norm: LayerNorm::load(&e.pp("LayerNorm"), h, eps)?,
        };
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = weights.pp(format!("encoder.layer.{i}"));
            let a = l.pp("attention");
            layers.push(Layer {
                attention: Attention {
                    query: linear(&a, "self.query", h, h)?,
                    key: linear(&a, "self.key", h, h)?,
                    value: linear(&a, "self.value", h, h)?,
                    output: linear(&a, "output.dense", h, h)?,
                    norm: LayerNorm::load(&a.pp("output.LayerNorm"), h, eps)?,
                    heads: config.num_attention_heads,
                    head_dim: h / config.num_attention_heads,
                },
                intermediate: linear(&l, "intermediate.dense", h, config.intermediate_size)?,
                output: linear(&l, "output.dense", config.intermediate_size, h)?,
                norm: LayerNorm::load(&l.pp("output.LayerNorm"), h, eps)?,
            });
        }
        let pooler = if weights.contains("pooler.dense.weight") {
            Some(linear(weights, "pooler.dense", h, h)?)
        } else {
            None
        };
        Ok(BertModel {
            config: config.clone(),
            embeddings,
            layers,
            pooler,
        })
    }

    /// Checks options every encoder shares against the model's limits.
    pub(crate) fn check_encoder_options(&self, max_length: usize, batch_size: usize) -> Result<()> {
        let limit = self.config.max_position_embeddings;
        if max_length > limit {
            return Err(ModelError::InvalidArgument(format!(
                "max_length {max_length} exceeds the model's max_position_embeddings {limit}"
            )));
        }
        if batch_size == 0 {
            return Err(ModelError::InvalidArgument("batch_size is 0".into()));
        }
        Ok(())
    }

    /// The configuration the model was built from.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Width of the hidden states.
    pub fn hidden_size(&self) -> usize {
        self.config.hidden_size
    }

    /// The word-embedding table `[vocab, hidden]`; MLM decoders are tied to it.
    pub fn word_embeddings(&self) -> &Tensor {
        self.embeddings.word.embeddings()
    }

    /// Whether the checkpoint had a pooler (`pooler.dense.*`).
    pub fn has_pooler(&self) -> bool {
        self.pooler.is_some()
    }

    /// Hidden states `[batch, seq, hidden]`. `input_ids` and `token_type_ids` are u32
    /// `[batch, seq]`; `attention_mask` is `[batch, seq]` of 1 (token) / 0 (padding), any
    /// dtype. Padded positions are masked as keys, so they never influence real tokens;
    /// their own outputs are garbage and must be masked by the caller's pooling.
    pub fn forward(
        &self,
        input_ids: &Tensor,
        token_type_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> Result<Tensor> {
        let (batch, seq) = input_ids.dims2()?;
        if seq > self.config.max_position_embeddings {
            return Err(ModelError::InvalidArgument(format!(
                "sequence of {seq} tokens exceeds max_position_embeddings {}",
                self.config.max_position_embeddings
            )));
        }
        for (name, t) in [
            ("token_type_ids", token_type_ids),
            ("attention_mask", attention_mask),
        ] {
            if t.dims() != [batch, seq] {
                return Err(ModelError::InvalidArgument(format!(
                    "{name} has shape {:?}, input_ids {:?}",
                    t.dims(),
                    [batch, seq]
                )));
            }
        }
        let x = self.embed(input_ids, token_type_ids)?;
        self.forward_layers(&x, attention_mask, 0..self.layers.len())
    }

    /// The embedding stage `[batch, seq, hidden]`: word + position + segment
    /// embeddings, LayerNorm. With [`Self::forward_layers`] it splits
    /// [`Self::forward`] so a trainer can keep the output of frozen lower layers.
    pub fn embed(&self, input_ids: &Tensor, token_type_ids: &Tensor) -> Result<Tensor> {
        let (_, seq) = input_ids.dims2()?;
        let positions = Tensor::arange(0u32, seq as u32, &Device::Cpu)?;
        let e = &self.embeddings;
        let x = e
            .word
            .forward(input_ids)?
            .broadcast_add(&e.position.forward(&positions)?)?
            .add(&e.token_type.forward(token_type_ids)?)?;
        Ok(e.norm.forward(&x)?)
    }

    /// Runs encoder layers `layers` on hidden states `x` `[batch, seq, hidden]`
    /// (`attention_mask` `[batch, seq]` as in [`Self::forward`]). A real token's output
    /// does not depend on padding, so a row's states may be computed alone and padded
    /// later.
    pub fn forward_layers(
        &self,
        x: &Tensor,
        attention_mask: &Tensor,
        layers: std::ops::Range<usize>,
    ) -> Result<Tensor> {
        let (batch, seq, _) = x.dims3()?;
        let Some(selected) = self.layers.get(layers.clone()) else {
            return Err(ModelError::InvalidArgument(format!(
                "layers {layers:?} of a {}-layer model",
                self.layers.len()
            )));
        };
        // 0 for tokens, MASKED_SCORE for padding, broadcast over heads and queries.
        let mask_bias = attention_mask
            .to_dtype(DType::F32)?
            .affine(-MASKED_SCORE, MASKED_SCORE)?
            .reshape((batch, 1, 1, seq))?;
        let mut x = x.clone();
        for layer in selected {
            let attended = layer.attention.forward(&x, &mask_bias)?;
            let inner = layer.intermediate.forward(&attended)?.gelu_erf()?;
            x = layer
                .norm
                .forward(&(layer.output.forward(&inner)? + attended)?)?;
        }
        Ok(x)
    }

    /// The pooler output `tanh(W · h[CLS] + b)` `[batch, hidden]`, or `None` when the
    /// checkpoint has no pooler.
    pub fn pool(&self, hidden: &Tensor) -> Result<Option<Tensor>> {
        match &self.pooler {
            None => Ok(None),
            Some(dense) => {
                let cls = hidden.narrow(1, 0, 1)?.squeeze(1)?;
                Ok(Some(dense.forward(&cls)?.tanh()?))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candle_nn::{VarBuilder, VarMap};

    /// A randomly initialised two-layer BERT and its variables.
    pub(crate) fn tiny_model() -> (VarMap, BertModel) {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let model = BertModel::new(&Weights::from_var_builder(vb), &BertConfig::tiny()).unwrap();
        (varmap, model)
    }

    fn inputs(rows: &[&[u32]]) -> (Tensor, Tensor, Tensor) {
        let seq = rows.iter().map(|r| r.len()).max().unwrap();
        let mut ids = vec![0u32; rows.len() * seq];
        let mut mask = vec![0u32; rows.len() * seq];
        for (i, r) in rows.iter().enumerate() {
            ids[i * seq..i * seq + r.len()].copy_from_slice(r);
            mask[i * seq..i * seq + r.len()].fill(1);
        }
        let shape = (rows.len(), seq);
        let dev = Device::Cpu;
        (
            Tensor::from_vec(ids, shape, &dev).unwrap(),
            Tensor::zeros(shape, DType::U32, &dev).unwrap(),
            Tensor::from_vec(mask, shape, &dev).unwrap(),
        )
    }

    #[test]
    fn every_variable_gets_a_gradient() {
        let (varmap, model) = tiny_model();
        let (ids, types, mask) = inputs(&[&[1, 5, 7, 2], &[1, 9, 2]]);
        let hidden = model.forward(&ids, &types, &mask).unwrap();
        let target = Tensor::randn(0f32, 1.0, hidden.dims(), &Device::Cpu).unwrap();
        let loss = (hidden * target).unwrap().sum_all().unwrap();
        let grads = loss.backward().unwrap();
        let data = varmap.data().lock().unwrap();
        assert_eq!(data.len(), 5 + 16 * 2);
        for (name, var) in data.iter() {
            let g = grads.get(var.as_tensor());
            let norm = g.map(|g| {
                g.sqr()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap()
            });
            assert!(norm.unwrap_or(0.0) > 0.0, "{name} got no gradient");
        }
    }

    #[test]
    fn padding_does_not_change_the_real_tokens() {
        let (_, model) = tiny_model();
        let (ids, types, mask) = inputs(&[&[1, 5, 2]]);
        let alone = model.forward(&ids, &types, &mask).unwrap().get(0).unwrap();
        let (ids, types, mask) = inputs(&[&[1, 5, 7, 8, 9, 2], &[1, 5, 2]]);
        let padded = model.forward(&ids, &types, &mask).unwrap().get(1).unwrap();
        let diff = (alone - padded.narrow(0, 0, 3).unwrap())
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-5, "max abs diff {diff}");
    }
}
