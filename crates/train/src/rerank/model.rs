//! The cross-encoder being trained: our candle BERT (whose LayerNorm has a backward
//! pass) started from a pretrained checkpoint, cut to its first layers if asked, plus a
//! fresh linear scoring head on the mean of the token vectors. Not the pooler: in a
//! MiniLM cut to two layers `[CLS]` has hardly looked at the pair, the pretrained
//! pooler's tanh saturates on it, and neither loss moved on dev with it (BENCHMARKS.md);
//! the token mean is also what MiniLM was trained to make meaningful.
//!
//! Parameters are split into trainable and frozen ones by the shared
//! [`crate::bert_params::TrainableBert`]. The checkpoint written by
//! [`TrainableCross::save`] has the layout `esci_models::CrossEncoder::load` reads
//! (`config.json` with the kept layer count, `model.safetensors` with
//! `classifier.weight`/`classifier.bias`).

use crate::TrainError;
pub use crate::bert_params::Freeze;
use crate::bert_params::{TrainableBert, read_checkpoint, restore, snapshot};
use candle_core::{DType, Device, Tensor, Var};
use esci_core::rng::SplitMix64;
use esci_models::{Batch, BertModel};
use std::collections::HashMap;
use std::path::Path;

/// A cross-encoder with trainable parameters.
pub struct TrainableCross {
    bert: TrainableBert,
    head_weight: Var,
    head_bias: Var,
}

impl TrainableCross {
    /// Builds the model from `config_json` (the base `config.json`, whose
    /// `num_hidden_layers` is replaced by `layers`) and `tensors` in the canonical naming
    /// (`esci_models::NameLayout::canonical`). The head is `classifier.*` when `tensors`
    /// has it (continuing from a checkpoint), else drawn from `seed`: small uniform
    /// weights, so every parameter gets a gradient from the first step.
    pub fn new(
        mut config_json: serde_json::Value,
        tensors: HashMap<String, Tensor>,
        layers: usize,
        freeze: Freeze,
        seed: u64,
    ) -> Result<TrainableCross, TrainError> {
        let base_layers = config_json
            .get("num_hidden_layers")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| TrainError::Invalid("config.json has no num_hidden_layers".into()))?
            as usize;
        if layers == 0 || layers > base_layers {
            return Err(TrainError::Invalid(format!(
                "cannot keep {layers} layers of a {base_layers}-layer model"
            )));
        }
        config_json["num_hidden_layers"] = layers.into();
        config_json["cross_pooling"] = "mean".into();
        let h = config_json
            .get("hidden_size")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| TrainError::Invalid("config.json has no hidden_size".into()))?
            as usize;
        let head = match (
            tensors.get("classifier.weight"),
            tensors.get("classifier.bias"),
        ) {
            (Some(w), Some(b)) => Some((w.to_dtype(DType::F32)?, b.to_dtype(DType::F32)?)),
            _ => None,
        };
        let bert = TrainableBert::new(config_json, tensors, freeze)?;
        let (head_weight, head_bias) = match head {
            Some((w, b)) if w.dims() == [1, h] && b.dims() == [1] => {
                (Var::from_tensor(&w)?, Var::from_tensor(&b)?)
            }
            Some((w, _)) => {
                return Err(TrainError::Invalid(format!(
                    "classifier.weight has shape {:?}, expected [1, {h}]",
                    w.dims()
                )));
            }
            None => {
                let bound = 1.0 / (h as f64).sqrt();
                let mut rng = SplitMix64::new(seed);
                let w: Vec<f32> = (0..h)
                    .map(|_| ((rng.unit() * 2.0 - 1.0) * bound) as f32)
                    .collect();
                (
                    Var::from_vec(w, (1, h), &Device::Cpu)?,
                    Var::zeros(1, DType::F32, &Device::Cpu)?,
                )
            }
        };
        Ok(TrainableCross {
            bert,
            head_weight,
            head_bias,
        })
    }

    /// Reads `config.json` and `model.safetensors` of `dir` and builds the model.
    pub fn from_pretrained(
        dir: &Path,
        layers: usize,
        freeze: Freeze,
        seed: u64,
    ) -> Result<TrainableCross, TrainError> {
        let (config_json, tensors) = read_checkpoint(dir)?;
        TrainableCross::new(config_json, tensors, layers, freeze, seed)
    }

    /// Every trainable parameter of the encoder (the head excluded).
    pub fn encoder_vars(&self) -> Vec<Var> {
        self.bert.vars()
    }

    /// The head's weight and bias.
    pub fn head_vars(&self) -> Vec<Var> {
        vec![self.head_weight.clone(), self.head_bias.clone()]
    }

    /// Names of the trainable encoder tensors, in the order of [`Self::encoder_vars`].
    pub fn trainable_names(&self) -> Vec<&str> {
        self.bert.trainable_names()
    }

    /// Encoder layers kept.
    pub fn layers(&self) -> usize {
        self.bert.bert().config().num_hidden_layers
    }

    /// One score (logit) per pair of the batch, `[n]`.
    pub fn scores(&self, batch: &Batch) -> Result<Tensor, TrainError> {
        head_scores(
            self.bert.bert(),
            self.head_weight.as_tensor(),
            self.head_bias.as_tensor(),
            batch,
        )
    }

    /// A copy of the current weights with nothing tracked for gradients: scoring with
    /// it skips autograd bookkeeping and uses the fused softmax (dev evaluations).
    pub fn frozen_copy(&self) -> Result<FrozenCross, TrainError> {
        Ok(FrozenCross {
            bert: self.bert.frozen_copy()?,
            head_weight: self.head_weight.as_tensor().detach(),
            head_bias: self.head_bias.as_tensor().detach(),
        })
    }

    fn all_vars(&self) -> Vec<Var> {
        self.encoder_vars()
            .into_iter()
            .chain(self.head_vars())
            .collect()
    }

    /// Copies of the current values of every trainable tensor (head included).
    pub fn snapshot(&self) -> Result<Vec<Tensor>, TrainError> {
        snapshot(&self.all_vars())
    }

    /// Puts back values taken by [`Self::snapshot`].
    pub fn restore(&self, snapshot: &[Tensor]) -> Result<(), TrainError> {
        restore(&self.all_vars(), snapshot)
    }

    /// Writes `config.json` (the kept layer count) and `model.safetensors` (the kept
    /// encoder and `classifier.*`) into `dir`. The tokenizer is the caller's to copy.
    pub fn save(&self, dir: &Path) -> Result<(), TrainError> {
        self.bert.save(
            dir,
            &[
                ("classifier.weight", self.head_weight.as_tensor()),
                ("classifier.bias", self.head_bias.as_tensor()),
            ],
        )
    }
}

/// A gradient-free copy of a [`TrainableCross`] (see [`TrainableCross::frozen_copy`]).
pub struct FrozenCross {
    bert: BertModel,
    head_weight: Tensor,
    head_bias: Tensor,
}

impl FrozenCross {
    /// One score (logit) per pair of the batch, `[n]`.
    pub fn scores(&self, batch: &Batch) -> Result<Tensor, TrainError> {
        head_scores(&self.bert, &self.head_weight, &self.head_bias, batch)
    }
}

/// `w · mean(BERT(pair)) + b`, the mean over real tokens.
fn head_scores(
    bert: &BertModel,
    weight: &Tensor,
    bias: &Tensor,
    batch: &Batch,
) -> Result<Tensor, TrainError> {
    let hidden = bert.forward(
        &batch.input_ids,
        &batch.token_type_ids,
        &batch.attention_mask,
    )?;
    let pooled = esci_models::mean_pool(&hidden, &batch.attention_mask)?;
    Ok(pooled
        .matmul(&weight.t()?)?
        .squeeze(1)?
        .broadcast_add(bias)?)
}
