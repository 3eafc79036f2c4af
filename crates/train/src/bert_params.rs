//! A pretrained BERT whose parameters split into trainable [`Var`]s and frozen tensors —
//! shared by the cross-encoder reranker ([`crate::rerank`]) and the bi-encoder
//! fine-tune ([`crate::biencoder`]).
//!
//! Parameters come through a custom [`SimpleBackend`]: tensors of frozen parts (the
//! embeddings and the lower layers, when asked) are plain tensors, so backward never
//! walks below the first trainable layer — that is where freezing saves time, not just
//! in the optimiser. Trainable parts are [`Var`]s. The pooler is never handed out (both
//! models mean-pool the token vectors), so it is neither trained nor saved.

use crate::TrainError;
use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder};
use esci_models::{BertConfig, BertModel, Weights};
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

impl Param {
    fn tensor(&self) -> &Tensor {
        match self {
            Param::Trainable(v) => v.as_tensor(),
            Param::Frozen(t) => t,
        }
    }
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
        let out = param.tensor().clone();
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

/// Reads `config.json` and `model.safetensors` of a model directory, tensor names made
/// canonical (`esci_models::NameLayout`).
pub fn read_checkpoint(
    dir: &Path,
) -> Result<(serde_json::Value, HashMap<String, Tensor>), TrainError> {
    let config_path = dir.join("config.json");
    let weights_path = dir.join("model.safetensors");
    for path in [&config_path, &weights_path] {
        if !path.is_file() {
            return Err(TrainError::Invalid(format!(
                "{} is missing: {} is not a BERT checkpoint (config.json + model.safetensors)",
                path.display(),
                dir.display()
            )));
        }
    }
    let text = std::fs::read_to_string(&config_path).map_err(|source| TrainError::Io {
        path: config_path.clone(),
        source,
    })?;
    let config_json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| TrainError::Invalid(format!("{}: {e}", config_path.display())))?;
    let raw = candle_core::safetensors::load(&weights_path, &Device::Cpu)
        .map_err(|e| TrainError::Invalid(format!("{}: {e}", weights_path.display())))?;
    let layout = esci_models::NameLayout::detect(raw.keys().map(String::as_str));
    let tensors = raw
        .into_iter()
        .map(|(name, t)| (layout.canonical(&name), t))
        .collect();
    Ok((config_json, tensors))
}

/// A BERT with its parameters split into trainable and frozen ones.
pub struct TrainableBert {
    bert: BertModel,
    params: Vec<(String, Param)>,
    config_json: serde_json::Value,
}

impl TrainableBert {
    /// Builds the model from `config_json` (a `config.json`, written back unchanged by
    /// [`Self::save`]) and `tensors` in the canonical naming.
    pub fn new(
        config_json: serde_json::Value,
        tensors: HashMap<String, Tensor>,
        freeze: Freeze,
    ) -> Result<TrainableBert, TrainError> {
        let config = parse_config(&config_json)?;
        if freeze.below_layer >= config.num_hidden_layers {
            return Err(TrainError::Invalid(format!(
                "freezing {} layers of {} leaves nothing to train",
                freeze.below_layer, config.num_hidden_layers
            )));
        }
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
        Ok(TrainableBert {
            bert,
            params,
            config_json,
        })
    }

    /// The model, tracking gradients of its trainable parameters.
    pub fn bert(&self) -> &BertModel {
        &self.bert
    }

    /// The `config.json` it was built from.
    pub fn config_json(&self) -> &serde_json::Value {
        &self.config_json
    }

    /// Every trainable parameter.
    pub fn vars(&self) -> Vec<Var> {
        self.params
            .iter()
            .filter_map(|(_, p)| match p {
                Param::Trainable(v) => Some(v.clone()),
                Param::Frozen(_) => None,
            })
            .collect()
    }

    /// Names of the trainable tensors, in the order of [`Self::vars`].
    pub fn trainable_names(&self) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(_, p)| matches!(p, Param::Trainable(_)))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The current value of every tensor by name (`detach`: nothing tracked).
    pub fn tensors(&self, detach: bool) -> HashMap<String, Tensor> {
        self.params
            .iter()
            .map(|(name, p)| {
                let t = match detach {
                    true => p.tensor().detach(),
                    false => p.tensor().clone(),
                };
                (name.clone(), t)
            })
            .collect()
    }

    /// A copy of the current weights with nothing tracked for gradients: running it
    /// skips autograd bookkeeping and uses the fused softmax (dev evaluations).
    pub fn frozen_copy(&self) -> Result<BertModel, TrainError> {
        let config = parse_config(&self.config_json)?;
        let vb = VarBuilder::from_tensors(self.tensors(true), DType::F32, &Device::Cpu);
        Ok(BertModel::new(&Weights::from_var_builder(vb), &config)?)
    }

    /// Writes `config.json` and `model.safetensors` (every tensor plus `extra`) into
    /// `dir`, the weights through a temporary file and a rename.
    pub fn save(&self, dir: &Path, extra: &[(&str, &Tensor)]) -> Result<(), TrainError> {
        std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut tensors = self.tensors(false);
        for (name, t) in extra {
            tensors.insert((*name).to_owned(), (*t).clone());
        }
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

/// Copies of the current values of `vars` (to keep the best weights seen).
pub fn snapshot(vars: &[Var]) -> Result<Vec<Tensor>, TrainError> {
    Ok(vars
        .iter()
        .map(|v| v.as_tensor().copy())
        .collect::<candle_core::Result<_>>()?)
}

/// Puts back values taken by [`snapshot`] from the same variables.
pub fn restore(vars: &[Var], snapshot: &[Tensor]) -> Result<(), TrainError> {
    if vars.len() != snapshot.len() {
        return Err(TrainError::Invalid("snapshot of another model".into()));
    }
    for (v, t) in vars.iter().zip(snapshot) {
        v.set(t)?;
    }
    Ok(())
}

fn parse_config(config_json: &serde_json::Value) -> Result<BertConfig, TrainError> {
    serde_json::from_value(config_json.clone())
        .map_err(|e| TrainError::Invalid(format!("config.json: {e}")))
}
