//! A tiny random BERT (width 8, two layers, vocabulary 20) shared by the training
//! tests.
#![allow(dead_code)]

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use esci_core::rng::SplitMix64;
use esci_models::{BertConfig, BertModel, Weights};
use std::collections::HashMap;

pub fn tiny_config() -> serde_json::Value {
    serde_json::json!({
        "vocab_size": 20, "hidden_size": 8, "num_hidden_layers": 2,
        "num_attention_heads": 2, "intermediate_size": 16,
        "max_position_embeddings": 16, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "hidden_act": "gelu"
    })
}

/// Seeded random weights for every tensor the tiny BERT reads, plus a pooler.
pub fn tiny_weights(seed: u64) -> HashMap<String, Tensor> {
    let config: BertConfig = serde_json::from_value(tiny_config()).unwrap();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    BertModel::new(&Weights::from_var_builder(vb), &config).unwrap();
    let mut shapes: Vec<(String, Vec<usize>)> = varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .map(|(n, v)| (n.clone(), v.dims().to_vec()))
        .collect();
    shapes.push(("pooler.dense.weight".into(), vec![8, 8]));
    shapes.push(("pooler.dense.bias".into(), vec![8]));
    shapes.sort();
    let mut rng = SplitMix64::new(seed);
    shapes
        .into_iter()
        .map(|(name, dims)| {
            let n: usize = dims.iter().product();
            let values: Vec<f32> = if name.ends_with("LayerNorm.weight") {
                vec![1.0; n]
            } else {
                (0..n).map(|_| (rng.normal_pair().0 * 0.2) as f32).collect()
            };
            (name, Tensor::from_vec(values, dims, &Device::Cpu).unwrap())
        })
        .collect()
}

/// A WordPiece `tokenizer.json` whose 20 ids match the tiny model: `[PAD]` 0, `[CLS]` 1,
/// `[SEP]` 2, `[UNK]` 3, then 16 words.
pub fn tiny_tokenizer_json() -> String {
    let words = [
        "red", "blue", "shoe", "shirt", "lamp", "desk", "cable", "usb", "phone", "case", "drill",
        "bit", "mug", "cup", "pen", "ink",
    ];
    let mut vocab = serde_json::Map::new();
    for (i, t) in ["[PAD]", "[CLS]", "[SEP]", "[UNK]"]
        .iter()
        .chain(&words)
        .enumerate()
    {
        vocab.insert((*t).to_owned(), i.into());
    }
    serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": {"type": "BertNormalizer", "clean_text": true,
            "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
        "decoder": null,
        "model": {"type": "WordPiece", "unk_token": "[UNK]",
            "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
            "vocab": vocab}
    })
    .to_string()
}
