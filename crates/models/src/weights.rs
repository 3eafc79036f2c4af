//! Named, shape-checked access to model weights, whatever the checkpoint calls them.
//!
//! Checkpoints spell the same BERT differently: MiniLM's has bare names
//! (`embeddings.word_embeddings.weight`), SPLADE-tiny's prefixes the encoder with `bert.`
//! and keeps the old LayerNorm names `gamma`/`beta`. [`Weights::open`] detects both from
//! the names in the file and renames everything to one canonical spelling (no `bert.`
//! prefix, `weight`/`bias`), so the model code reads one layout; error messages translate
//! back to the name as the file spells it, which is what a person will grep for.
//!
//! The same type wraps a candle [`VarBuilder`] (e.g. over a `VarMap`), so training can
//! build the identical model from trainable variables.

use crate::error::{ModelError, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Init, VarBuilder};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The path of `name` inside `dir`, or [`ModelError::MissingFile`] if it is not there.
pub(crate) fn require_file(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(ModelError::MissingFile { path })
    }
}

/// Parses a JSON file, naming the file in any error.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| ModelError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// How a checkpoint spells its tensor names, detected from the names themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NameLayout {
    /// Encoder tensors live under `bert.` (a `BertFor*` checkpoint).
    pub bert_prefix: bool,
    /// LayerNorm parameters are called `gamma`/`beta` instead of `weight`/`bias`.
    pub gamma_beta: bool,
}

const ENCODER_ROOTS: [&str; 3] = ["embeddings.", "encoder.", "pooler."];

impl NameLayout {
    /// Detects the layout from the tensor names of a checkpoint.
    pub fn detect<'n>(names: impl IntoIterator<Item = &'n str>) -> NameLayout {
        let mut layout = NameLayout::default();
        for name in names {
            layout.bert_prefix |= name.starts_with("bert.embeddings.");
            layout.gamma_beta |=
                name.ends_with("LayerNorm.gamma") || name.ends_with("LayerNorm.beta");
        }
        layout
    }

    /// The canonical name of a tensor spelt `name` in the file.
    pub fn canonical(&self, name: &str) -> String {
        let mut out = match name.strip_prefix("bert.") {
            Some(rest) if self.bert_prefix => rest.to_string(),
            _ => name.to_string(),
        };
        if self.gamma_beta {
            if let Some(stem) = out.strip_suffix("LayerNorm.gamma") {
                out = format!("{stem}LayerNorm.weight");
            } else if let Some(stem) = out.strip_suffix("LayerNorm.beta") {
                out = format!("{stem}LayerNorm.bias");
            }
        }
        out
    }

    /// How the file would spell the canonical `name` (for error messages).
    pub fn in_file(&self, name: &str) -> String {
        let mut out = name.to_string();
        if self.gamma_beta {
            if let Some(stem) = out.strip_suffix("LayerNorm.weight") {
                out = format!("{stem}LayerNorm.gamma");
            } else if let Some(stem) = out.strip_suffix("LayerNorm.bias") {
                out = format!("{stem}LayerNorm.beta");
            }
        }
        if self.bert_prefix && ENCODER_ROOTS.iter().any(|root| out.starts_with(root)) {
            out = format!("bert.{out}");
        }
        out
    }
}

/// What a file-backed [`Weights`] knows about its file, to check before candle looks.
#[derive(Debug)]
struct FileIndex {
    path: PathBuf,
    layout: NameLayout,
    shapes: HashMap<String, Vec<usize>>,
}

/// A view of model weights under a name prefix (f32, CPU).
#[derive(Clone)]
pub struct Weights<'a> {
    vb: VarBuilder<'a>,
    prefix: String,
    file: Option<Arc<FileIndex>>,
}

impl std::fmt::Debug for Weights<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Weights")
            .field("prefix", &self.prefix)
            .field("path", &self.path())
            .field("layout", &self.layout())
            .finish_non_exhaustive()
    }
}

impl Weights<'static> {
    /// Reads a safetensors file whole and renames its tensors to the canonical layout.
    pub fn open(path: &Path) -> Result<Weights<'static>> {
        if !path.is_file() {
            return Err(ModelError::MissingFile {
                path: path.to_path_buf(),
            });
        }
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let raw =
            candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).map_err(|source| {
                ModelError::Safetensors {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        let layout = NameLayout::detect(raw.keys().map(String::as_str));
        let tensors: HashMap<String, Tensor> = raw
            .into_iter()
            .map(|(name, tensor)| (layout.canonical(&name), tensor))
            .collect();
        let shapes = tensors
            .iter()
            .map(|(name, t)| (name.clone(), t.dims().to_vec()))
            .collect();
        Ok(Weights {
            vb: VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu),
            prefix: String::new(),
            file: Some(Arc::new(FileIndex {
                path: path.to_path_buf(),
                layout,
                shapes,
            })),
        })
    }
}

impl<'a> Weights<'a> {
    /// Wraps a candle `VarBuilder` whose names are already canonical (training: a
    /// `VarMap` creates missing variables with the initialisation hints of the model).
    pub fn from_var_builder(vb: VarBuilder<'a>) -> Weights<'a> {
        Weights {
            vb,
            prefix: String::new(),
            file: None,
        }
    }

    /// The same weights one level down, e.g. `pp("encoder")`.
    pub fn pp(&self, segment: impl std::fmt::Display) -> Weights<'a> {
        Weights {
            vb: self.vb.clone(),
            prefix: self.full_name(&segment.to_string()),
            file: self.file.clone(),
        }
    }

    /// The file these weights came from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|f| f.path.as_path())
    }

    /// The detected naming layout, if read from a file.
    pub fn layout(&self) -> Option<NameLayout> {
        self.file.as_ref().map(|f| f.layout)
    }

    /// Whether a tensor `name` (under this prefix) exists: optional parts of a model
    /// (pooler, trained heads) are loaded only when present.
    pub fn contains(&self, name: &str) -> bool {
        let full = self.full_name(name);
        match &self.file {
            Some(file) => file.shapes.contains_key(&full),
            None => self.vb.contains_tensor(&full),
        }
    }

    /// The tensor `name` with the given shape, as f32. `init` is used only when the
    /// backing `VarBuilder` creates variables (training); files must contain the tensor.
    pub fn get(&self, shape: &[usize], name: &str, init: Init) -> Result<Tensor> {
        let full = self.full_name(name);
        if let Some(file) = &self.file {
            match file.shapes.get(&full) {
                None => {
                    return Err(ModelError::MissingTensor {
                        path: file.path.clone(),
                        tensor: file.layout.in_file(&full),
                    });
                }
                Some(found) if found.as_slice() != shape => {
                    return Err(ModelError::TensorShape {
                        path: file.path.clone(),
                        tensor: file.layout.in_file(&full),
                        expected: shape.to_vec(),
                        found: found.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        self.vb
            .get_with_hints(shape, &full, init)
            .map_err(|e| ModelError::Candle(e.context(format!("loading tensor `{full}`"))))
    }

    fn full_name(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bert::{BertModel, tests::tiny_model};

    /// Writes the tiny model as a SPLADE-style checkpoint (`bert.` prefix, gamma/beta),
    /// minus `drop`, with `reshape` given a wrong shape.
    fn write_checkpoint(dir: &Path, drop: Option<&str>, reshape: Option<&str>) {
        let (varmap, _) = tiny_model();
        let layout = NameLayout {
            bert_prefix: true,
            gamma_beta: true,
        };
        let mut tensors = HashMap::new();
        for (name, var) in varmap.data().lock().unwrap().iter() {
            let mut t = var.as_tensor().clone();
            if Some(name.as_str()) == reshape {
                t = t.flatten_all().unwrap();
            }
            if Some(name.as_str()) != drop {
                tensors.insert(layout.in_file(name), t);
            }
        }
        candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
        let config = r#"{"vocab_size":20,"hidden_size":8,"num_hidden_layers":2,
            "num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":12,
            "type_vocab_size":2,"layer_norm_eps":1e-12,"hidden_act":"gelu"}"#;
        std::fs::write(dir.join("config.json"), config).unwrap();
    }

    #[test]
    fn loads_a_prefixed_gamma_beta_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        write_checkpoint(dir.path(), None, None);
        let model = BertModel::load(dir.path()).unwrap();
        assert!(!model.has_pooler());
        let w = Weights::open(&dir.path().join("model.safetensors")).unwrap();
        assert_eq!(
            w.layout(),
            Some(NameLayout {
                bert_prefix: true,
                gamma_beta: true
            })
        );
    }

    #[test]
    fn errors_name_the_missing_file_tensor_or_shape() {
        let dir = tempfile::tempdir().unwrap();
        let err = BertModel::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("config.json") && err.contains("models fetch"),
            "{err}"
        );

        write_checkpoint(
            dir.path(),
            Some("encoder.layer.1.attention.self.key.weight"),
            None,
        );
        let err = BertModel::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("`bert.encoder.layer.1.attention.self.key.weight`"),
            "{err}"
        );
        write_checkpoint(dir.path(), Some("embeddings.LayerNorm.weight"), None);
        let err = BertModel::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("`bert.embeddings.LayerNorm.gamma`"), "{err}");

        write_checkpoint(
            dir.path(),
            None,
            Some("encoder.layer.0.output.dense.weight"),
        );
        let err = BertModel::load(dir.path()).unwrap_err();
        assert!(matches!(err, ModelError::TensorShape { .. }), "{err}");
        let err = err.to_string();
        assert!(
            err.contains("`bert.encoder.layer.0.output.dense.weight` has shape [128]"),
            "{err}"
        );

        std::fs::write(dir.path().join("model.safetensors"), b"not safetensors").unwrap();
        let err = BertModel::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("model.safetensors"), "{err}");

        let bad = r#"{"vocab_size":20,"hidden_size":8,"num_hidden_layers":2,
            "num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":12,
            "type_vocab_size":2,"hidden_act":"relu"}"#;
        std::fs::write(dir.path().join("config.json"), bad).unwrap();
        let err = BertModel::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("config.json") && err.contains("relu"), "{err}");
    }
}
