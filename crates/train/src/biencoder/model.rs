//! The bi-encoder being fine-tuned: our candle BERT (whose LayerNorm has a backward
//! pass) with mean pooling and L2 normalisation, as `esci_models::DenseEncoder` runs it,
//! optionally followed by a fixed linear map.
//!
//! The map is not trained: it is the PCA rotation of the base model's product vectors
//! (uncentred, as `esci train dense --method pca` fits it), so the Matryoshka loss
//! starts from the ordering whose 64-dim prefix already keeps most recall (the
//! adapter's experience: from identity, 172 queries do not teach the ordering). At
//! serving time the same map is a projection applied to query and product vectors.

use crate::bert_params::{Freeze, TrainableBert, read_checkpoint, restore, snapshot};
use crate::{Projection, TrainError};
use candle_core::{Device, Tensor, Var};
use esci_models::{Batch, BertModel, Encoded, length_buckets};
use std::collections::HashMap;
use std::path::Path;

/// `y = (x − mean) Wᵀ + bias` as tensors.
#[derive(Clone)]
struct Map {
    weight_t: Tensor,
    mean: Option<Tensor>,
    bias: Option<Tensor>,
}

impl Map {
    fn new(p: &Projection) -> Result<Map, TrainError> {
        let dev = &Device::Cpu;
        let w = Tensor::from_slice(p.weights(), (p.d_out(), p.d_in()), dev)?;
        Ok(Map {
            weight_t: w.t()?.contiguous()?,
            mean: p
                .mean()
                .map(|m| Tensor::from_slice(m, (1, p.d_in()), dev))
                .transpose()?,
            bias: p
                .bias()
                .map(|b| Tensor::from_slice(b, (1, p.d_out()), dev))
                .transpose()?,
        })
    }

    fn apply(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = match &self.mean {
            Some(m) => x.broadcast_sub(m)?,
            None => x.clone(),
        };
        let y = x.matmul(&self.weight_t)?;
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

/// A dense bi-encoder with trainable parameters.
pub struct TrainableBiEncoder {
    bert: TrainableBert,
    map: Option<Map>,
    frozen_layers: usize,
}

/// The hidden states of texts after the frozen lower layers, one `[len, hidden]`
/// tensor per text. Those layers never change, so their output is computed once and a
/// training step runs only the trainable layers (the lean forward pass; backward
/// already stopped there). Sound because nothing here is random (candle's BERT has
/// no dropout) and a real token's state does not depend on its batch's padding.
pub struct LowerCache {
    rows: Vec<Tensor>,
}

impl LowerCache {
    /// Texts cached.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no text is cached.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl TrainableBiEncoder {
    /// Builds the encoder from `config_json` and `tensors` (canonical naming), with
    /// `map` applied after pooling when given (its input width must be the hidden size).
    pub fn new(
        config_json: serde_json::Value,
        tensors: HashMap<String, Tensor>,
        freeze: Freeze,
        map: Option<&Projection>,
    ) -> Result<TrainableBiEncoder, TrainError> {
        let bert = TrainableBert::new(config_json, tensors, freeze)?;
        let hidden = bert.bert().hidden_size();
        if let Some(p) = map
            && p.d_in() != hidden
        {
            return Err(TrainError::Invalid(format!(
                "projection {:?} takes {} components, the encoder makes {hidden}",
                p.name(),
                p.d_in()
            )));
        }
        Ok(TrainableBiEncoder {
            bert,
            map: map.map(Map::new).transpose()?,
            frozen_layers: freeze.below_layer,
        })
    }

    /// Reads `config.json` and `model.safetensors` of `dir` and builds the encoder.
    pub fn from_pretrained(
        dir: &Path,
        freeze: Freeze,
        map: Option<&Projection>,
    ) -> Result<TrainableBiEncoder, TrainError> {
        let (config_json, tensors) = read_checkpoint(dir)?;
        TrainableBiEncoder::new(config_json, tensors, freeze, map)
    }

    /// Every trainable parameter.
    pub fn vars(&self) -> Vec<Var> {
        self.bert.vars()
    }

    /// Names of the trainable tensors, in the order of [`Self::vars`].
    pub fn trainable_names(&self) -> Vec<&str> {
        self.bert.trainable_names()
    }

    /// Width of the vectors.
    pub fn dim(&self) -> usize {
        self.bert.bert().hidden_size()
    }

    /// The vectors of a batch `[n, dim]`: mean-pooled, unit length, then mapped.
    pub fn embed(&self, batch: &Batch) -> Result<Tensor, TrainError> {
        embed(self.bert.bert(), self.map.as_ref(), batch)
    }

    /// The vectors of cached texts `rows` `[rows.len(), dim]`: only the trainable
    /// layers run.
    pub fn embed_cached(&self, cache: &LowerCache, rows: &[usize]) -> Result<Tensor, TrainError> {
        embed_cached(
            self.bert.bert(),
            self.frozen_layers,
            self.map.as_ref(),
            cache,
            rows,
        )
    }

    /// Runs the frozen lower layers once over `items` (length-bucketed batches of 64);
    /// `None` when no layer is frozen.
    pub fn cache_lower(
        &self,
        items: &[Encoded],
        pad_id: u32,
    ) -> Result<Option<LowerCache>, TrainError> {
        if self.frozen_layers == 0 {
            return Ok(None);
        }
        let bert = self.bert.frozen_copy()?;
        let lengths: Vec<usize> = items.iter().map(Encoded::len).collect();
        let mut rows: Vec<Option<Tensor>> = vec![None; items.len()];
        for bucket in length_buckets(&lengths, 64) {
            let members: Vec<&Encoded> = bucket.iter().map(|&i| &items[i]).collect();
            let batch = Batch::new(&members, pad_id)?;
            let x = bert.embed(&batch.input_ids, &batch.token_type_ids)?;
            let h = bert.forward_layers(&x, &batch.attention_mask, 0..self.frozen_layers)?;
            for (k, &i) in bucket.iter().enumerate() {
                // A compact copy: a view (and candle's `copy`) would keep the whole
                // padded batch alive per row.
                let row = h.get(k)?.narrow(0, 0, lengths[i])?;
                let values: Vec<f32> = row.flatten_all()?.to_vec1()?;
                rows[i] = Some(Tensor::from_vec(values, row.dims(), &Device::Cpu)?);
            }
        }
        let rows = rows
            .into_iter()
            .map(|r| r.ok_or_else(|| TrainError::Invalid("a text was not cached".into())))
            .collect::<Result<_, _>>()?;
        Ok(Some(LowerCache { rows }))
    }

    /// A gradient-free copy of the current weights (dev evaluations).
    pub fn frozen_copy(&self) -> Result<FrozenBiEncoder, TrainError> {
        Ok(FrozenBiEncoder {
            bert: self.bert.frozen_copy()?,
            map: self.map.clone(),
            frozen_layers: self.frozen_layers,
        })
    }

    /// Copies of the current values of every trainable tensor.
    pub fn snapshot(&self) -> Result<Vec<Tensor>, TrainError> {
        snapshot(&self.vars())
    }

    /// Puts back values taken by [`Self::snapshot`].
    pub fn restore(&self, snapshot: &[Tensor]) -> Result<(), TrainError> {
        restore(&self.vars(), snapshot)
    }

    /// Writes `config.json` and `model.safetensors` into `dir` (the encoder only, no
    /// map: that is saved as a projection). Tokenizer and pooling configuration are the
    /// caller's to copy.
    pub fn save(&self, dir: &Path) -> Result<(), TrainError> {
        self.bert.save(dir, &[])
    }
}

/// A gradient-free copy of a [`TrainableBiEncoder`].
pub struct FrozenBiEncoder {
    bert: BertModel,
    map: Option<Map>,
    frozen_layers: usize,
}

impl FrozenBiEncoder {
    /// The vectors of a batch `[n, dim]`, as [`TrainableBiEncoder::embed`].
    pub fn embed(&self, batch: &Batch) -> Result<Tensor, TrainError> {
        embed(&self.bert, self.map.as_ref(), batch)
    }

    /// The vectors of cached texts, as [`TrainableBiEncoder::embed_cached`].
    pub fn embed_cached(&self, cache: &LowerCache, rows: &[usize]) -> Result<Tensor, TrainError> {
        embed_cached(
            &self.bert,
            self.frozen_layers,
            self.map.as_ref(),
            cache,
            rows,
        )
    }
}

/// Pads the cached states of `rows` into one batch, runs the layers from `from` up,
/// then pools and maps like [`embed`].
fn embed_cached(
    bert: &BertModel,
    from: usize,
    map: Option<&Map>,
    cache: &LowerCache,
    rows: &[usize],
) -> Result<Tensor, TrainError> {
    let states: Vec<&Tensor> = rows
        .iter()
        .map(|&r| {
            cache
                .rows
                .get(r)
                .ok_or_else(|| TrainError::Invalid(format!("row {r} is not in the cache")))
        })
        .collect::<Result<_, _>>()?;
    let longest = states.iter().map(|t| t.dims()[0]).max().unwrap_or(0);
    let mut padded = Vec::with_capacity(states.len());
    let mut mask = Vec::with_capacity(states.len() * longest);
    for t in &states {
        let len = t.dims()[0];
        padded.push(t.pad_with_zeros(0, 0, longest - len)?);
        mask.extend((0..longest).map(|i| u32::from(i < len)));
    }
    let x = Tensor::stack(&padded, 0)?;
    let mask = Tensor::from_vec(mask, (states.len(), longest), &Device::Cpu)?;
    let layers = bert.config().num_hidden_layers;
    let hidden = bert.forward_layers(&x, &mask, from..layers)?;
    pool_and_map(&hidden, &mask, map)
}

fn embed(bert: &BertModel, map: Option<&Map>, batch: &Batch) -> Result<Tensor, TrainError> {
    let hidden = bert.forward(
        &batch.input_ids,
        &batch.token_type_ids,
        &batch.attention_mask,
    )?;
    pool_and_map(&hidden, &batch.attention_mask, map)
}

/// Mean pooling over real tokens, unit length, then the map.
fn pool_and_map(hidden: &Tensor, mask: &Tensor, map: Option<&Map>) -> Result<Tensor, TrainError> {
    let pooled = esci_models::mean_pool(hidden, mask)?;
    let unit = crate::loss::normalize_rows(&pooled)?;
    Ok(match map {
        Some(m) => m.apply(&unit)?,
        None => unit,
    })
}
