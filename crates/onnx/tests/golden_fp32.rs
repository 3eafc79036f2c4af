//! The fp32 ONNX encoders against the same reference fixtures and the same tolerances
//! as the candle encoders (crates/models/tests/golden.rs): dense cosine ≥ 0.9999,
//! SPLADE top-term weights within 1e-3, cross-encoder scores within 1e-3, and the
//! values recorded in docs/models.md. The runtime library and models must be installed
//! (`cargo run -- models fetch`); a missing one fails the test, it is never skipped.

mod common;

use common::*;
use esci_models::{CrossOptions, DenseOptions, SpladeOptions};
use esci_onnx::{OnnxCrossEncoder, OnnxDenseEncoder, OnnxSpladeEncoder, Precision};

fn max_length(fx: &serde_json::Value) -> usize {
    fx["max_length"].as_u64().unwrap_or(128) as usize
}

#[test]
fn dense_matches_the_fixture() {
    let fx = fixture("golden_minilm.json");
    let options = DenseOptions {
        max_length: max_length(&fx),
        ..DenseOptions::default()
    };
    let enc =
        OnnxDenseEncoder::load(&model_dir("all-minilm-l6-v2"), options, &options_fp32()).unwrap();
    assert_eq!(enc.dim(), 384);
    let texts = texts(&fx);
    let ours = enc.encode_documents(&texts).unwrap();
    let mut min_cos = f32::MAX;
    for (case, vec) in fx["texts"].as_array().unwrap().iter().zip(&ours) {
        let text = case["text"].as_str().unwrap();
        assert_eq!(
            enc.tokenizer().encode(text).unwrap().ids,
            u32s(&case["input_ids"])
        );
        let cos = cosine(vec, &f32s(&case["embedding"]));
        assert!(cos >= 0.9999, "cosine {cos} for {text:?}");
        min_cos = min_cos.min(cos);
        let norm: f32 = vec.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "unit length");
    }
    eprintln!(
        "ONNX fp32 MiniLM: {} texts, min cosine {min_cos}",
        texts.len()
    );
}

fn options_fp32() -> esci_onnx::OnnxOptions {
    options(Precision::Fp32)
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
    let docs = enc.encode_documents(&REFERENCE_DOCS).unwrap();
    for (doc, (vec, want)) in REFERENCE_DOCS
        .iter()
        .zip(docs.iter().zip([0.7487, 0.6595, 0.1581, 0.1165]))
    {
        let dot: f32 = q.iter().zip(vec).map(|(a, b)| a * b).sum();
        assert!(
            (dot - want).abs() <= 1e-3,
            "{doc:?}: cosine {dot}, recorded {want}"
        );
    }
}

const REFERENCE_DOCS: [&str; 4] = [
    "bluetooth mouse for laptop",
    "cordless computer mouse with usb receiver",
    "usb-c charging cable",
    "garden hose",
];

#[test]
fn splade_matches_the_fixture() {
    let fx = fixture("golden_splade.json");
    let options = SpladeOptions {
        max_length: max_length(&fx),
        ..SpladeOptions::default()
    };
    let enc = OnnxSpladeEncoder::load(&model_dir("splade-tiny"), options, &options_fp32()).unwrap();
    let texts = texts(&fx);
    let ours = enc.encode(&texts).unwrap();
    let mut max_err = 0f32;
    for (case, vec) in fx["texts"].as_array().unwrap().iter().zip(&ours) {
        let text = case["text"].as_str().unwrap();
        let top = case["top_terms"].as_array().unwrap();
        let ours_top = vec.top(top.len());
        let floor = top
            .last()
            .map_or(0.0, |t| t["weight"].as_f64().unwrap() as f32);
        for (rank, term) in top.iter().enumerate() {
            let id = term["id"].as_u64().unwrap() as u32;
            let want = term["weight"].as_f64().unwrap() as f32;
            assert_eq!(enc.token(id), term["token"].as_str());
            let got = weight_of(vec, id);
            assert!(
                (got - want).abs() <= 1e-3,
                "{text:?} term {id}: {got} vs {want}"
            );
            max_err = max_err.max((got - want).abs());
            let (our_id, our_w) = ours_top[rank];
            assert!(
                our_id == id || (our_w - want).abs() <= 1e-3 || (our_w - floor).abs() <= 1e-3,
                "{text:?} rank {rank}: ours {our_id} ({our_w}), reference {id} ({want})"
            );
        }
        if let Some(nnz) = case["nnz"].as_u64() {
            assert!(
                (vec.len() as i64 - nnz as i64).abs() <= 2,
                "{text:?}: {} terms vs {nnz}",
                vec.len()
            );
        }
    }
    for d in fx["dot_products"].as_array().into_iter().flatten() {
        let pick = |v: &serde_json::Value| match v {
            serde_json::Value::Number(n) => &ours[n.as_u64().unwrap() as usize],
            serde_json::Value::String(s) => &ours[texts.iter().position(|t| t == s).unwrap()],
            other => panic!("dot operand {other}"),
        };
        let got = pick(&d["a"]).dot(pick(&d["b"]));
        let want = d["dot"].as_f64().unwrap() as f32;
        assert!((got - want).abs() <= 1e-2, "dot {d}: {got}");
    }
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
    let top: Vec<(&str, f32)> = q
        .top(4)
        .into_iter()
        .map(|(id, w)| (enc.token(id).unwrap(), w))
        .collect();
    for ((token, w), (want_token, want_w)) in top.iter().zip([
        ("mouse", 2.57),
        ("wireless", 2.17),
        ("##fi", 1.48),
        ("mice", 1.27),
    ]) {
        assert_eq!(*token, want_token, "top terms {top:?}");
        assert!((w - want_w).abs() <= 0.01, "{token}: {w} vs {want_w}");
    }
    let docs = enc.encode(&REFERENCE_DOCS).unwrap();
    for (i, want) in [(0, 5.67), (1, 5.09), (3, 0.30)] {
        let got = q.dot(&docs[i]);
        assert!(
            (got - want).abs() <= 0.01,
            "{:?}: dot {got} vs {want}",
            REFERENCE_DOCS[i]
        );
    }
}

#[test]
fn cross_encoder_matches_the_fixture() {
    let fx = fixture("golden_cross.json");
    let options = CrossOptions {
        max_length: max_length(&fx),
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
    let mut max_err = 0f32;
    for ((case, &(q, d)), score) in fx["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&pairs)
        .zip(&scores)
    {
        let e = enc.tokenizer().encode_pair(q, d).unwrap();
        assert_eq!(
            e.type_ids,
            u32s(&case["token_type_ids"]),
            "type ids of {q:?}"
        );
        let want = case["score"].as_f64().unwrap() as f32;
        assert!(
            (score - want).abs() <= 1e-3,
            "{q:?} / {d:?}: {score} vs {want}"
        );
        max_err = max_err.max((score - want).abs());
    }
    eprintln!(
        "ONNX fp32 cross: {} pairs, max score error {max_err}",
        pairs.len()
    );
}
