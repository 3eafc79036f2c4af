//! The cross-encoder `esci train reranker` makes — MiniLM cut to its first layers
//! (`num_hidden_layers` in `config.json`), mean pooling (`"cross_pooling": "mean"`), a
//! linear head — on ONNX Runtime, held to candle's scores on the same model: fp32 within
//! 1e-3 (the golden tests' tolerance for cross-encoder scores; measured 2.4e-7), int8
//! within a stated looser bound (the fixture head's scores on these pairs span 0.59;
//! measured max difference 0.053, 9% of the span; bound 15% of the span) and, for fp32,
//! batched equal to unbatched in any order and from several threads. What int8 costs
//! the trained reranker's rankings is measured by `esci eval` (BENCHMARKS.md,
//! "Reranker").
//!
//! The model is built here from the fetched all-MiniLM-L6-v2 (a copy of its config with
//! 2 layers and mean pooling next to links to its weights and tokenizer) and the
//! fixtures' fixed head, so the test needs no trained reranker and never skips.

mod common;

use common::*;
use esci_models::{CrossEncoder, CrossOptions};
use esci_onnx::{OnnxCrossEncoder, Precision};
use std::path::Path;

const PAIRS: [(&str, &str); 7] = [
    (
        "wireless mouse",
        "Logitech M185 Wireless Mouse, 2.4GHz with USB Mini Receiver. Logitech",
    ),
    ("wireless mouse", "garden hose 50 ft. Flexzilla"),
    (
        "usb c cable",
        "Amazon Basics USB-C to USB-A 2.0 fast charger cable, 6 foot. Amazon Basics",
    ),
    (
        "drill",
        "DEWALT 20V MAX cordless drill / driver kit, compact, 1/2-inch. DEWALT",
    ),
    (
        "a much longer query about a cordless drill with two batteries and a case",
        "drill",
    ),
    ("garden hose", "hose"),
    ("mouse", ""),
];

/// A 2-layer, mean-pooled copy of the fetched MiniLM in `dir`.
fn cut_model(dir: &Path) {
    let base = model_dir("all-minilm-l6-v2");
    let text = std::fs::read_to_string(base.join("config.json")).unwrap();
    let mut config: serde_json::Value = serde_json::from_str(&text).unwrap();
    config["num_hidden_layers"] = 2.into();
    config["cross_pooling"] = "mean".into();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    for file in ["model.safetensors", "tokenizer.json"] {
        std::os::unix::fs::symlink(base.join(file), dir.join(file)).unwrap();
    }
}

fn head() -> (Vec<f32>, f32) {
    fixture_head(&fixture("golden_cross.json"))
}

fn cross_options() -> CrossOptions {
    CrossOptions {
        max_length: 48,
        batch_size: 4,
    }
}

fn onnx(dir: &Path, precision: Precision) -> OnnxCrossEncoder {
    let (w, b) = head();
    let enc = OnnxCrossEncoder::load(dir, cross_options(), &options(precision))
        .unwrap()
        .with_head(w, b)
        .unwrap();
    assert!(enc.uses_mean_pooling() && !enc.uses_pooler());
    enc
}

fn candle_scores(dir: &Path) -> Vec<f32> {
    let (w, b) = head();
    let enc = CrossEncoder::load(dir, cross_options())
        .unwrap()
        .with_head(w, b)
        .unwrap();
    assert!(enc.uses_mean_pooling());
    enc.score(&PAIRS).unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

#[test]
fn mean_pooled_cut_cross_encoder_matches_candle() {
    let dir = tempfile::tempdir().unwrap();
    cut_model(dir.path());
    let want = candle_scores(dir.path());
    let spread = want.iter().copied().fold(f32::MIN, f32::max)
        - want.iter().copied().fold(f32::MAX, f32::min);
    let fp32 = onnx(dir.path(), Precision::Fp32).score(&PAIRS).unwrap();
    let int8 = onnx(dir.path(), Precision::Int8).score(&PAIRS).unwrap();
    let (e32, e8) = (max_diff(&fp32, &want), max_diff(&int8, &want));
    eprintln!("cut mean-pooled cross: spread {spread}, fp32 max diff {e32}, int8 {e8}");
    assert!(spread > 0.1, "the head must separate the pairs: {want:?}");
    assert!(e32 <= 1e-3, "fp32 {fp32:?} vs candle {want:?}");
    assert!(e8 <= 0.15 * spread, "int8 {int8:?} vs candle {want:?}");
}

#[test]
fn mean_pooled_fp32_batched_equals_unbatched_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    cut_model(dir.path());
    let enc = onnx(dir.path(), Precision::Fp32);
    let batched = enc.score(&PAIRS).unwrap();
    for (pair, &score) in PAIRS.iter().zip(&batched) {
        let alone = enc.score(&[*pair]).unwrap()[0];
        assert!(
            (alone - score).abs() <= 1e-5,
            "{pair:?}: {alone} vs {score}"
        );
    }
    let reversed: Vec<(&str, &str)> = PAIRS.iter().rev().copied().collect();
    let mut back = enc.score(&reversed).unwrap();
    back.reverse();
    assert!(max_diff(&back, &batched) <= 1e-5, "{back:?} vs {batched:?}");
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| enc.score(&PAIRS).unwrap()))
            .collect();
        for h in handles {
            assert!(max_diff(&h.join().unwrap(), &batched) <= 1e-5);
        }
    });
}
