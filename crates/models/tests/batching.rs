//! Batching must not change results: a text encoded alone and inside a padded batch of
//! very different lengths gives the same output, whatever the order of the batch.
//! This is what the attention mask (padded keys), masked pooling and SPLADE's
//! unpadded-rows-only max-pool guarantee.

use esci_models::{
    CrossEncoder, CrossOptions, DenseEncoder, DenseOptions, SpladeEncoder, SpladeOptions,
};
use esci_test_support::{BATCH_PAIRS as PAIRS, BATCH_TEXTS as TEXTS, model_dir, shuffled};

fn assert_close_vectors(a: &[f32], b: &[f32], what: &str) {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let max_diff = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(
        dot >= 0.99999 && max_diff <= 1e-5,
        "{what}: cosine {dot}, max abs diff {max_diff}"
    );
}

#[test]
fn dense_batched_equals_unbatched_in_any_order() {
    let enc = DenseEncoder::load(&model_dir("all-minilm-l6-v2"), DenseOptions::default()).unwrap();
    let batched = enc.encode_documents(&TEXTS).unwrap();
    for (text, vec) in TEXTS.iter().zip(&batched) {
        let alone = enc.encode_documents(&[text]).unwrap();
        assert_close_vectors(&alone[0], vec, text);
    }
    let (texts, order) = shuffled(&TEXTS);
    let again = enc.encode_documents(&texts).unwrap();
    for (vec, &i) in again.iter().zip(&order) {
        assert_close_vectors(vec, &batched[i], TEXTS[i]);
    }
    // Queries go through the same path (no prefix for MiniLM).
    let queries = enc.encode_queries(&TEXTS).unwrap();
    assert_close_vectors(&queries[2], &batched[2], "query path");
}

#[test]
fn splade_batched_equals_unbatched_in_any_order() {
    let enc = SpladeEncoder::load(&model_dir("splade-tiny"), SpladeOptions::default()).unwrap();
    let batched = enc.encode(&TEXTS).unwrap();
    let (texts, order) = shuffled(&TEXTS);
    let reordered = enc.encode(&texts).unwrap();
    for (i, text) in TEXTS.iter().enumerate() {
        let alone = &enc.encode(&[text]).unwrap()[0];
        let again = &reordered[order.iter().position(|&j| j == i).unwrap()];
        for other in [&batched[i], again] {
            let ids =
                |v: &esci_models::SparseVector| v.terms.iter().map(|t| t.0).collect::<Vec<_>>();
            assert_eq!(ids(alone), ids(other), "terms of {text:?}");
            for (a, b) in alone.terms.iter().zip(&other.terms) {
                assert!(
                    (a.1 - b.1).abs() <= 1e-4,
                    "{text:?} term {}: {} vs {}",
                    a.0,
                    a.1,
                    b.1
                );
            }
        }
    }
    assert!(batched.iter().all(|v| !v.is_empty()));
}

#[test]
fn cross_batched_equals_unbatched_in_any_order() {
    let weights = (0..384).map(|i| ((i + 1) as f32).sin() / 10.0).collect();
    let enc = CrossEncoder::load(&model_dir("all-minilm-l6-v2"), CrossOptions::default())
        .unwrap()
        .with_head(weights, 0.05)
        .unwrap();
    let batched = enc.score(&PAIRS).unwrap();
    for (pair, score) in PAIRS.iter().zip(&batched) {
        let alone = enc.score(&[*pair]).unwrap()[0];
        assert!(
            (alone - score).abs() <= 1e-4,
            "{pair:?}: {alone} vs {score}"
        );
    }
    let (pairs, order) = shuffled(&PAIRS);
    for (score, &i) in enc.score(&pairs).unwrap().iter().zip(&order) {
        assert!(
            (score - batched[i]).abs() <= 1e-4,
            "{:?} reordered",
            PAIRS[i]
        );
    }
    // Scores must depend on the pair, or the head is not reading BERT's output.
    assert!(batched.windows(2).any(|w| (w[0] - w[1]).abs() > 1e-3));
}

#[test]
fn small_batches_and_empty_input() {
    let options = DenseOptions {
        batch_size: 2,
        max_length: 16,
        ..DenseOptions::default()
    };
    let enc = DenseEncoder::load(&model_dir("all-minilm-l6-v2"), options).unwrap();
    let vecs = enc.encode_documents(&TEXTS).unwrap();
    assert_eq!(vecs.len(), TEXTS.len());
    assert!(vecs.iter().all(|v| v.len() == enc.dim()));
    let long = enc.tokenizer().encode(TEXTS[2]).unwrap();
    assert_eq!(long.len(), 16, "truncated to max_length");
    assert!(enc.encode_documents(&[]).unwrap().is_empty());
}
