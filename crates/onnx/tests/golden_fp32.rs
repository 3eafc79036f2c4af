//! The fp32 ONNX encoders against the same reference fixtures and the same tolerances
//! as the candle encoders (crates/models/tests/golden.rs): dense cosine ≥ 0.9999,
//! SPLADE top-term weights within 1e-3, cross-encoder scores within 1e-3, and the
//! values recorded in docs/models.md. The runtime library and models must be installed
//! (`cargo run -- models fetch`); a missing one fails the test, it is never skipped.

mod common;

use common::*;
use esci_models::{CrossOptions, DenseOptions, SpladeOptions};
use esci_onnx::{OnnxCrossEncoder, OnnxDenseEncoder, OnnxSpladeEncoder, Precision};

fn options_fp32() -> esci_onnx::OnnxOptions {
    options(Precision::Fp32)
}

#[test]
fn dense_matches_the_fixture() {
    let fx = fixture("golden_minilm.json");
    let options = DenseOptions {
        max_length: fixture_max_length(&fx),
        ..DenseOptions::default()
    };
    let enc =
        OnnxDenseEncoder::load(&model_dir("all-minilm-l6-v2"), options, &options_fp32()).unwrap();
    assert_eq!(enc.dim(), 384);
    let texts = texts(&fx);
    let ours = enc.encode_documents(&texts).unwrap();
    let min_cos = check_dense_fixture(&fx, &ours, Some(enc.tokenizer()), 0.9999);
    eprintln!(
        "ONNX fp32 MiniLM: {} texts, min cosine {min_cos}",
        texts.len()
    );
}

#[test]
fn dense_reproduces_the_recorded_cosines() {
    let enc = OnnxDenseEncoder::load(
        &model_dir("all-minilm-l6-v2"),
        DenseOptions::default(),
        &options_fp32(),
    )
    .unwrap();
    let q = &enc.encode_queries(&["wireless mouse"]).unwrap()[0];
    check_recorded_cosines(q, &enc.encode_documents(&REFERENCE_DOCS).unwrap());
}

#[test]
fn splade_matches_the_fixture() {
    let fx = fixture("golden_splade.json");
    let options = SpladeOptions {
        max_length: fixture_max_length(&fx),
        ..SpladeOptions::default()
    };
    let enc = OnnxSpladeEncoder::load(&model_dir("splade-tiny"), options, &options_fp32()).unwrap();
    let texts = texts(&fx);
    let ours = enc.encode(&texts).unwrap();
    let token = |id| enc.token(id).map(str::to_owned);
    let max_err = check_splade_fixture(&fx, &ours, Some(enc.tokenizer()), &token);
    assert_eq!(enc.vocab_size(), 30522);
    eprintln!(
        "ONNX fp32 SPLADE: {} texts, max top-term error {max_err}",
        texts.len()
    );
}

#[test]
fn splade_reproduces_the_recorded_terms() {
    let enc = OnnxSpladeEncoder::load(
        &model_dir("splade-tiny"),
        SpladeOptions::default(),
        &options_fp32(),
    )
    .unwrap();
    let q = &enc.encode(&["wireless mouse"]).unwrap()[0];
    let token = |id| enc.token(id).map(str::to_owned);
    check_recorded_splade(q, &enc.encode(&REFERENCE_DOCS).unwrap(), &token);
}

#[test]
fn cross_encoder_matches_the_fixture() {
    let fx = fixture("golden_cross.json");
    let options = CrossOptions {
        max_length: fixture_max_length(&fx),
        ..CrossOptions::default()
    };
    let (weights, bias) = fixture_head(&fx);
    let enc = OnnxCrossEncoder::load(&model_dir("all-minilm-l6-v2"), options, &options_fp32())
        .unwrap()
        .with_head(weights, bias)
        .unwrap();
    assert_eq!(Some(enc.uses_pooler()), fx["head"]["uses_pooler"].as_bool());
    let pairs = pairs(&fx);
    let scores = enc.score(&pairs).unwrap();
    let max_err = check_cross_fixture(&fx, &scores, enc.tokenizer());
    eprintln!(
        "ONNX fp32 cross: {} pairs, max score error {max_err}",
        pairs.len()
    );
}
