//! Batching must not change results: a text encoded alone and inside a padded batch of
//! very different lengths, in any order, and from several threads at once, gives the
//! same output. fp32 is held to the candle encoders' tolerances
//! (crates/models/tests/batching.rs). int8 quantises activations per batch (one scale
//! over the whole `[batch, seq, hidden]` input of each matmul), so its outputs move a
//! little with the batch: held to a stated looser bound (measured: "mouse" alone vs in
//! this batch, cosine 0.9907; the empty text 0.969; cross scores move by up to 0.031).

mod common;

use common::*;
use esci_models::{CrossOptions, DenseOptions, SparseVector, SpladeOptions};
use esci_onnx::{OnnxCrossEncoder, OnnxDenseEncoder, OnnxSpladeEncoder, Precision};
use esci_test_support::{BATCH_PAIRS as PAIRS, BATCH_TEXTS as TEXTS};

/// (minimum cosine, maximum absolute difference) a batched vector of `text` may be
/// from the text encoded alone. int8: the empty text (`[CLS] [SEP]`, all its
/// activations quantised with a batch's scale) moves most (measured cosine 0.969).
fn dense_bound(precision: Precision, text: &str) -> (f32, f32) {
    match precision {
        Precision::Fp32 => (0.99999, 1e-5),
        Precision::Int8 if text.is_empty() => (0.96, 0.05),
        Precision::Int8 => (0.985, 0.035),
    }
}

fn dense_batched_equals_unbatched(precision: Precision) {
    let enc = OnnxDenseEncoder::load(
        &model_dir("all-minilm-l6-v2"),
        DenseOptions::default(),
        &options(precision),
    )
    .unwrap();
    let check = |a: &[f32], b: &[f32], what: &str| {
        let (min_cos, max_diff) = dense_bound(precision, what);
        let cos = cosine(a, b);
        let diff = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(
            cos >= min_cos && diff <= max_diff,
            "{precision:?} {what}: cosine {cos}, max abs diff {diff}"
        );
    };
    let batched = enc.encode_documents(&TEXTS).unwrap();
    for (text, vec) in TEXTS.iter().zip(&batched) {
        check(&enc.encode_documents(&[text]).unwrap()[0], vec, text);
    }
    let (texts, order) = shuffled(&TEXTS);
    for (vec, &i) in enc.encode_documents(&texts).unwrap().iter().zip(&order) {
        check(vec, &batched[i], TEXTS[i]);
    }
    // Several threads share the encoder (its sessions are pooled).
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| enc.encode_documents(&TEXTS).unwrap()))
            .collect();
        for h in handles {
            for ((a, b), text) in h.join().unwrap().iter().zip(&batched).zip(TEXTS) {
                check(a, b, text);
            }
        }
    });
    assert!(enc.encode_documents(&[]).unwrap().is_empty());
}

#[test]
fn dense_fp32_batched_equals_unbatched_in_any_order() {
    dense_batched_equals_unbatched(Precision::Fp32);
}

#[test]
fn dense_int8_batched_stays_close_to_unbatched() {
    dense_batched_equals_unbatched(Precision::Int8);
}

fn splade_batched_equals_unbatched(precision: Precision) {
    let enc = OnnxSpladeEncoder::load(
        &model_dir("splade-tiny"),
        SpladeOptions::default(),
        &options(precision),
    )
    .unwrap();
    let batched = enc.encode(&TEXTS).unwrap();
    let (texts, order) = shuffled(&TEXTS);
    let reordered = enc.encode(&texts).unwrap();
    for (i, text) in TEXTS.iter().enumerate() {
        let alone = &enc.encode(&[text]).unwrap()[0];
        let again = &reordered[order.iter().position(|&j| j == i).unwrap()];
        for other in [&batched[i], again] {
            match precision {
                Precision::Fp32 => assert_same_terms(alone, other, text),
                Precision::Int8 => {
                    let cos = sparse_cosine(alone, other);
                    assert!(cos >= 0.995, "int8 {text:?}: sparse cosine {cos}");
                }
            }
        }
    }
    assert!(batched.iter().all(|v| !v.is_empty()));
}

fn assert_same_terms(a: &SparseVector, b: &SparseVector, text: &str) {
    let ids = |v: &SparseVector| v.terms.iter().map(|t| t.0).collect::<Vec<_>>();
    assert_eq!(ids(a), ids(b), "terms of {text:?}");
    for (x, y) in a.terms.iter().zip(&b.terms) {
        assert!(
            (x.1 - y.1).abs() <= 1e-4,
            "{text:?} term {}: {} vs {}",
            x.0,
            x.1,
            y.1
        );
    }
}

fn sparse_cosine(a: &SparseVector, b: &SparseVector) -> f32 {
    let norm = |v: &SparseVector| v.terms.iter().map(|t| t.1 * t.1).sum::<f32>().sqrt();
    a.dot(b) / (norm(a) * norm(b))
}

#[test]
fn splade_fp32_batched_equals_unbatched_in_any_order() {
    splade_batched_equals_unbatched(Precision::Fp32);
}

#[test]
fn splade_int8_batched_stays_close_to_unbatched() {
    splade_batched_equals_unbatched(Precision::Int8);
}

fn cross_batched_equals_unbatched(precision: Precision, tolerance: f32) {
    let weights = (0..384).map(|i| ((i + 1) as f32).sin() / 10.0).collect();
    let enc = OnnxCrossEncoder::load(
        &model_dir("all-minilm-l6-v2"),
        CrossOptions::default(),
        &options(precision),
    )
    .unwrap()
    .with_head(weights, 0.05)
    .unwrap();
    let batched = enc.score(&PAIRS).unwrap();
    for (pair, score) in PAIRS.iter().zip(&batched) {
        let alone = enc.score(&[*pair]).unwrap()[0];
        assert!(
            (alone - score).abs() <= tolerance,
            "{precision:?} {pair:?}: {alone} vs {score}"
        );
    }
    let (pairs, order) = shuffled(&PAIRS);
    for (score, &i) in enc.score(&pairs).unwrap().iter().zip(&order) {
        assert!(
            (score - batched[i]).abs() <= tolerance,
            "{:?} reordered",
            PAIRS[i]
        );
    }
    assert!(batched.windows(2).any(|w| (w[0] - w[1]).abs() > 1e-3));
    let (_, timing) = enc.score_timed(&PAIRS).unwrap();
    assert!(timing.run > timing.tokenize, "{timing:?}");
}

#[test]
fn cross_fp32_batched_equals_unbatched_in_any_order() {
    cross_batched_equals_unbatched(Precision::Fp32, 1e-4);
}

#[test]
fn cross_int8_batched_stays_close_to_unbatched() {
    // Measured: up to 0.031 (the long query with a one-word document).
    cross_batched_equals_unbatched(Precision::Int8, 0.04);
}

#[test]
fn encoders_are_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<OnnxDenseEncoder>();
    both::<OnnxSpladeEncoder>();
    both::<OnnxCrossEncoder>();
}
