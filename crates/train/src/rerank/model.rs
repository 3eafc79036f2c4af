//! The cross-encoder being trained: our candle BERT (whose LayerNorm has a backward
//! pass) started from a pretrained checkpoint, cut to its first layers if asked, plus a
//! fresh linear scoring head on the mean of the token vectors. Not the pooler: in a
//! MiniLM cut to two layers `[CLS]` has hardly looked at the pair, the pretrained
//! pooler's tanh saturates on it, and neither loss moved on dev with it (BENCHMARKS.md);
//! the token mean is also what MiniLM was trained to make meaningful.
//!
//! Parameters come through a custom [`SimpleBackend`]: tensors of frozen parts (the
//! embeddings and the lower layers, when asked) are plain tensors, so backward never
//! walks below the first trainable layer — that is where freezing saves time, not just
//! in the optimiser. Trainable parts are [`Var`]s. The checkpoint written by
//! [`TrainableCross::save`] has the layout `esci_models::CrossEncoder::load` reads
//! (`config.json` with the kept layer count, `model.safetensors` with
//! `classifier.weight`/`classifier.bias`).

use crate::TrainError;
use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder};
use esci_core::rng::SplitMix64;
use esci_models::{Batch, BertConfig, BertModel, Weights};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Which parameters train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freeze {
    /// The embedding tables and their LayerNorm stay as they are. Their gradient is a
    /// dense [vocab, hidden] scatter and AdamW would update 11.7M values per step for
    /// the few hundred token rows a batch touches: freezing them is most of the saving.
    pub embeddings: bool,
    /// Layers below this index are frozen too (backward stops above them).
    pub below_layer: usize,
}

#[derive(Clone)]
enum Param {
    Trainable(Var),
    Frozen(Tensor),
}

/// Hands the model its tensors from a name → tensor map (the pretrained checkpoint),
/// as `Var`s or plain tensors, and remembers every one it handed out.
struct InitBackend {
    tensors: HashMap<String, Tensor>,
    freeze: Freeze,
    handed: Arc<Mutex<Vec<(String, Param)>>>,
}

impl InitBackend {
    fn trainable(&self, name: &str) -> bool {
        if name.starts_with("embeddings.") {
            return !self.freeze.embeddings && self.freeze.below_layer == 0;
        }
        if let Some(rest) = name.strip_prefix("encoder.layer.")
            && let Some(index) = rest.split('.').next().and_then(|i| i.parse::<usize>().ok())
        {
            return index >= self.freeze.below_layer;
        }
        true
    }
}

impl SimpleBackend for InitBackend {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _init: Init,
        dtype: DType,
        _dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let Some(t) = self.tensors.get(name) else {
            candle_core::bail!("the base checkpoint has no tensor `{name}`");
        };
        if t.shape() != &shape {
            candle_core::bail!(
                "tensor `{name}` has shape {:?} in the checkpoint, the model needs {:?}",
                t.dims(),
                shape.dims()
            );
        }
        let t = t.to_dtype(dtype)?;
        let param = if self.trainable(name) {
            Param::Trainable(Var::from_tensor(&t)?)
        } else {
            Param::Frozen(t)
        };
        let out = match &param {
            Param::Trainable(v) => v.as_tensor().clone(),
            Param::Frozen(t) => t.clone(),
        };
        self.handed
            .lock()
            .map_err(|_| candle_core::Error::Msg("poisoned lock".into()))?
            .push((name.to_owned(), param));
        Ok(out)
    }

    fn get_unchecked(
        &self,
        name: &str,
        dtype: DType,
        _dev: &Device,
    ) -> candle_core::Result<Tensor> {
        match self.tensors.get(name) {
            Some(t) => t.to_dtype(dtype),
            None => candle_core::bail!("the base checkpoint has no tensor `{name}`"),
        }
    }

    /// The pooler is never used (mean pooling), so the model never asks for it.
    fn contains_tensor(&self, name: &str) -> bool {
        !name.starts_with("pooler.") && self.tensors.contains_key(name)
    }
}

/// A cross-encoder with trainable parameters.
pub struct TrainableCross {
    bert: BertModel,
    params: Vec<(String, Param)>,
    head_weight: Var,
    head_bias: Var,
    config_json: serde_json::Value,
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
        if freeze.below_layer >= layers {
            return Err(TrainError::Invalid(format!(
                "freezing {} layers of {layers} leaves nothing below the head to train",
                freeze.below_layer
            )));
        }
        config_json["num_hidden_layers"] = layers.into();
        config_json["cross_pooling"] = "mean".into();
        let config: BertConfig = serde_json::from_value(config_json.clone())
            .map_err(|e| TrainError::Invalid(format!("config.json: {e}")))?;
        let head = match (
            tensors.get("classifier.weight"),
            tensors.get("classifier.bias"),
        ) {
            (Some(w), Some(b)) => Some((w.to_dtype(DType::F32)?, b.to_dtype(DType::F32)?)),
            _ => None,
        };
        let handed = Arc::new(Mutex::new(Vec::new()));
        let backend = InitBackend {
            tensors,
            freeze,
            handed: handed.clone(),
        };
        let vb = VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu);
        let bert = BertModel::new(&Weights::from_var_builder(vb), &config)?;
        let params = std::mem::take(
            &mut *handed
                .lock()
                .map_err(|_| TrainError::Invalid("poisoned lock".into()))?,
        );
        let h = config.hidden_size;
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
            params,
            head_weight,
            head_bias,
            config_json,
        })
    }

    /// Reads `config.json` and `model.safetensors` of `dir` and builds the model.
    pub fn from_pretrained(
        dir: &Path,
        layers: usize,
        freeze: Freeze,
        seed: u64,
    ) -> Result<TrainableCross, TrainError> {
        let config_path = dir.join("config.json");
        let text = std::fs::read_to_string(&config_path).map_err(|source| TrainError::Io {
            path: config_path.clone(),
            source,
        })?;
        let config_json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| TrainError::Invalid(format!("{}: {e}", config_path.display())))?;
        let weights_path = dir.join("model.safetensors");
        let raw = candle_core::safetensors::load(&weights_path, &Device::Cpu)?;
        let layout = esci_models::NameLayout::detect(raw.keys().map(String::as_str));
        let tensors = raw
            .into_iter()
            .map(|(name, t)| (layout.canonical(&name), t))
            .collect();
        TrainableCross::new(config_json, tensors, layers, freeze, seed)
    }

    /// Every trainable parameter of the encoder (the head excluded).
    pub fn encoder_vars(&self) -> Vec<Var> {
        self.params
            .iter()
            .filter_map(|(_, p)| match p {
                Param::Trainable(v) => Some(v.clone()),
                Param::Frozen(_) => None,
            })
            .collect()
    }

    /// The head's weight and bias.
    pub fn head_vars(&self) -> Vec<Var> {
        vec![self.head_weight.clone(), self.head_bias.clone()]
    }

    /// Names of the trainable encoder tensors, in the order of [`Self::encoder_vars`].
    pub fn trainable_names(&self) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(_, p)| matches!(p, Param::Trainable(_)))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// Encoder layers kept.
    pub fn layers(&self) -> usize {
        self.bert.config().num_hidden_layers
    }

    /// One score (logit) per pair of the batch, `[n]`.
    pub fn scores(&self, batch: &Batch) -> Result<Tensor, TrainError> {
        head_scores(
            &self.bert,
            self.head_weight.as_tensor(),
            self.head_bias.as_tensor(),
            batch,
        )
    }

    /// A copy of the current weights with nothing tracked for gradients: scoring with
    /// it skips autograd bookkeeping and uses the fused softmax (dev evaluations).
    pub fn frozen_copy(&self) -> Result<FrozenCross, TrainError> {
        let tensors: HashMap<String, Tensor> = self
            .params
            .iter()
            .map(|(name, p)| {
                let t = match p {
                    Param::Trainable(v) => v.as_tensor().detach(),
                    Param::Frozen(t) => t.clone(),
                };
                (name.clone(), t)
            })
            .collect();
        let config: BertConfig = serde_json::from_value(self.config_json.clone())
            .map_err(|e| TrainError::Invalid(format!("config.json: {e}")))?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Ok(FrozenCross {
            bert: BertModel::new(&Weights::from_var_builder(vb), &config)?,
            head_weight: self.head_weight.as_tensor().detach(),
            head_bias: self.head_bias.as_tensor().detach(),
        })
    }

    /// Copies of the current values of every trainable tensor (head included).
    pub fn snapshot(&self) -> Result<Vec<Tensor>, TrainError> {
        let mut out = Vec::new();
        for v in self.encoder_vars().iter().chain(&self.head_vars()) {
            out.push(v.as_tensor().copy()?);
        }
        Ok(out)
    }

    /// Puts back values taken by [`Self::snapshot`].
    pub fn restore(&self, snapshot: &[Tensor]) -> Result<(), TrainError> {
        let vars: Vec<Var> = self
            .encoder_vars()
            .into_iter()
            .chain(self.head_vars())
            .collect();
        if vars.len() != snapshot.len() {
            return Err(TrainError::Invalid("snapshot of another model".into()));
        }
        for (v, t) in vars.iter().zip(snapshot) {
            v.set(t)?;
        }
        Ok(())
    }

    /// Writes `config.json` (the kept layer count) and `model.safetensors` (the kept
    /// encoder, pooler and `classifier.*`) into `dir`. The tokenizer is the caller's to
    /// copy.
    pub fn save(&self, dir: &Path) -> Result<(), TrainError> {
        std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut tensors: HashMap<String, Tensor> = self
            .params
            .iter()
            .map(|(name, p)| {
                let t = match p {
                    Param::Trainable(v) => v.as_tensor().clone(),
                    Param::Frozen(t) => t.clone(),
                };
                (name.clone(), t)
            })
            .collect();
        tensors.insert(
            "classifier.weight".into(),
            self.head_weight.as_tensor().clone(),
        );
        tensors.insert("classifier.bias".into(), self.head_bias.as_tensor().clone());
        let weights = dir.join("model.safetensors");
        let tmp = dir.join("model.safetensors.tmp");
        candle_core::safetensors::save(&tensors, &tmp)?;
        std::fs::rename(&tmp, &weights).map_err(|source| TrainError::Io {
            path: weights.clone(),
            source,
        })?;
        let config = serde_json::to_string_pretty(&self.config_json)
            .map_err(|e| TrainError::Invalid(e.to_string()))?;
        let path = dir.join("config.json");
        esci_core::atomic_file::write_atomically(&path, |w| {
            std::io::Write::write_all(w, config.as_bytes())
        })
        .map_err(|source| TrainError::Io { path, source })?;
        Ok(())
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
