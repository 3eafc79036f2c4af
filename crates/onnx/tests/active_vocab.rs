//! The SPLADE encoder restricted to an active vocabulary against the full head: for the
//! ids inside the vocabulary the weights are the full encoder's (fp32: the golden
//! tolerance, 1e-3; in practice ~1e-6), every id outside is absent, batched equals
//! unbatched, and the golden fixture's top terms that lie in the vocabulary still match
//! the reference computation.

mod common;

use common::*;
use esci_models::{ActiveVocabulary, SparseVector, SpladeOptions};
use esci_onnx::{OnnxSpladeEncoder, Precision, SpladeDecoder};

const TEXTS: [&str; 6] = [
    "mouse",
    "wireless mouse",
    "Logitech M185 Wireless Mouse, 2.4GHz with USB Mini Receiver, 12-Month Battery Life, \
     1000 DPI Optical Tracking, Ambidextrous, Compatible with PC, Mac, Laptop. Logitech.",
    "garden hose 50 ft",
    "Amazon Basics USB-C to USB-A 2.0 fast charger cable, 6 foot, black",
    "",
];

fn load(precision: Precision, active: Option<ActiveVocabulary>) -> OnnxSpladeEncoder {
    OnnxSpladeEncoder::load_with_vocabulary(
        &model_dir("splade-tiny"),
        SpladeOptions::default(),
        &options(precision),
        active,
    )
    .unwrap()
}

/// Half of the ids the texts activate (every other one, so each text keeps some and
/// loses some) plus a spread of ids no text activates.
fn vocabulary(full: &[SparseVector]) -> ActiveVocabulary {
    let mut ids: Vec<u32> = full
        .iter()
        .flat_map(|v| v.terms.iter().map(|t| t.0))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut kept: Vec<u32> = ids.iter().copied().step_by(2).collect();
    kept.extend((0..30522).step_by(97));
    ActiveVocabulary::new(30522, kept).unwrap()
}

/// `pruned` holds exactly the terms of `full` inside `active` (a term within
/// `tolerance` of 0 may be on either side), with weights within `tolerance`.
fn assert_restricted(
    full: &SparseVector,
    pruned: &SparseVector,
    active: &ActiveVocabulary,
    tolerance: f32,
    text: &str,
) {
    assert!(
        pruned.terms.iter().all(|t| active.contains(t.0)),
        "{text:?}: a term outside the vocabulary"
    );
    let want = active.restrict(full);
    for &(id, w) in want.terms.iter().chain(&pruned.terms) {
        let (a, b) = (weight_of(&want, id), weight_of(pruned, id));
        assert!(
            (a - b).abs() <= tolerance,
            "{text:?} term {id} ({w}): full {a}, pruned {b}"
        );
    }
}

fn pruned_matches_full(precision: Precision, tolerance: f32) {
    let full_enc = load(precision, None);
    let full = full_enc.encode(&TEXTS).unwrap();
    let active = vocabulary(&full);
    assert!(
        active.len() < 1000,
        "a real restriction: {} ids",
        active.len()
    );
    let enc = load(precision, Some(active.clone()));
    assert_eq!(enc.active_vocabulary(), Some(&active));
    assert_eq!(enc.vocab_size(), 30522);
    match enc.decoder() {
        // The decoder (and so the vocabulary) is inside the graph.
        SpladeDecoder::Graph => assert_ne!(enc.graph(), full_enc.graph()),
        // The graph ends before the decoder: one file for every vocabulary.
        SpladeDecoder::Fused => assert_eq!(enc.graph(), full_enc.graph()),
    }
    let batched = enc.encode(&TEXTS).unwrap();
    let mut lost = 0;
    for (i, text) in TEXTS.iter().enumerate() {
        assert_restricted(&full[i], &batched[i], &active, tolerance, text);
        lost += full[i].len() - batched[i].len();
        // Batched equals unbatched, as for the full head.
        let alone = &enc.encode(&[text]).unwrap()[0];
        let full_alone = &full_enc.encode(&[text]).unwrap()[0];
        assert_restricted(full_alone, alone, &active, tolerance, text);
        if precision == Precision::Fp32 {
            assert_restricted(&batched[i], alone, &active, 1e-4, text);
        }
    }
    assert!(lost > 0, "the vocabulary must drop some terms");
}

#[test]
fn fp32_pruned_weights_equal_the_full_heads_inside_the_vocabulary() {
    pruned_matches_full(Precision::Fp32, 1e-3);
}

#[test]
fn int8_pruned_weights_equal_the_full_int8_heads_inside_the_vocabulary() {
    // Each decoder column keeps its own int8 scale and the activations are quantised
    // before the decoder, so the gathered columns compute what the full head does.
    pruned_matches_full(Precision::Int8, 1e-3);
}

#[test]
fn the_golden_top_terms_inside_the_vocabulary_match_the_reference() {
    let fx = fixture("golden_splade.json");
    let texts = texts(&fx);
    let full = load(Precision::Fp32, None).encode(&texts).unwrap();
    let active = vocabulary(&full);
    let enc = OnnxSpladeEncoder::load_with_vocabulary(
        &model_dir("splade-tiny"),
        SpladeOptions {
            max_length: fx["max_length"].as_u64().unwrap_or(128) as usize,
            ..SpladeOptions::default()
        },
        &options(Precision::Fp32),
        Some(active.clone()),
    )
    .unwrap();
    let ours = enc.encode(&texts).unwrap();
    let mut checked = 0;
    for (case, vec) in fx["texts"].as_array().unwrap().iter().zip(&ours) {
        for term in case["top_terms"].as_array().unwrap() {
            let id = term["id"].as_u64().unwrap() as u32;
            let want = term["weight"].as_f64().unwrap() as f32;
            let got = weight_of(vec, id);
            if active.contains(id) {
                assert!((got - want).abs() <= 1e-3, "term {id}: {got} vs {want}");
                checked += 1;
            } else {
                assert_eq!(got, 0.0, "term {id} is outside the vocabulary");
            }
        }
    }
    assert!(checked > 0);
}

#[test]
fn a_vocabulary_of_another_size_is_refused() {
    let err = OnnxSpladeEncoder::load_with_vocabulary(
        &model_dir("splade-tiny"),
        SpladeOptions::default(),
        &options(Precision::Fp32),
        Some(ActiveVocabulary::new(1000, vec![1, 2, 3]).unwrap()),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("1000") && err.contains("30522"), "{err}");
}
