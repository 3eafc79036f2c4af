//! The bi-encoder fine-tune on a tiny random BERT (width 8, two layers): every
//! trainable tensor gets a gradient from the Matryoshka loss, a few steps lower it,
//! runs are deterministic, the checkpoint loads with `esci_models::DenseEncoder` and
//! gives the trained model's vectors, and bad input is refused with a clear error.

mod common;

use common::{tiny_config, tiny_tokenizer_json, tiny_weights};
use esci_models::{Batch, DenseEncoder, DenseOptions, TextTokenizer};
use esci_train::Projection;
use esci_train::bert_params::Freeze;
use esci_train::biencoder::{
    BiEncoderConfig, BiEncoderData, BiEncoderTexts, TrainableBiEncoder, train_bi_encoder,
};
use esci_train::loss::matryoshka_mnrl;
use std::path::Path;

const DIMS: [usize; 3] = [8, 4, 2];

fn tokenizer(dir: &Path, max: usize) -> TextTokenizer {
    let path = dir.join("tokenizer.json");
    std::fs::write(&path, tiny_tokenizer_json()).unwrap();
    TextTokenizer::from_file(&path, max).unwrap()
}

/// A fixed permutation-with-signs map, so the rotated path is exercised.
fn rotation() -> Projection {
    let mut w = vec![0f32; 64];
    for i in 0..8 {
        w[i * 8 + (i * 3) % 8] = if i % 2 == 0 { 1.0 } else { -1.0 };
    }
    Projection::new("rot", "pca", (8, 8), w, None, None, "tiny").unwrap()
}

fn model(freeze_below: usize, map: Option<&Projection>) -> TrainableBiEncoder {
    TrainableBiEncoder::new(
        tiny_config(),
        tiny_weights(7),
        Freeze {
            embeddings: false,
            below_layer: freeze_below,
        },
        map,
    )
    .unwrap()
}

fn texts() -> BiEncoderTexts {
    let s = |v: &[&str]| v.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
    BiEncoderTexts {
        queries: s(&["red shoe", "usb cable", "desk lamp", "phone case"]),
        docs: s(&[
            "red shoe blue",
            "usb cable phone",
            "desk lamp",
            "phone case red",
            "drill bit",
            "mug cup",
        ]),
        pairs: vec![(0, 0), (1, 1), (2, 2), (3, 3), (0, 3)],
        positives: vec![vec![0, 3], vec![1], vec![2], vec![3]],
        hard_negatives: vec![vec![4], vec![5], vec![], vec![4, 5]],
        dev_queries: s(&["blue shoe", "pen ink"]),
        dev_docs: s(&["blue shoe", "pen ink cup", "lamp", "usb"]),
        dev_relevant: vec![vec![0], vec![1]],
        dev_k: 1,
    }
}

fn data(dir: &Path) -> BiEncoderData {
    BiEncoderData::tokenize(&tokenizer(dir, 8), &tokenizer(dir, 12), &texts()).unwrap()
}

/// No relevant dev product: the proxy is NaN, so every evaluation keeps the current
/// weights and a run ends with its last ones.
fn data_keeping_the_last_weights(dir: &Path) -> BiEncoderData {
    let texts = BiEncoderTexts {
        dev_relevant: vec![vec![], vec![]],
        ..texts()
    };
    BiEncoderData::tokenize(&tokenizer(dir, 8), &tokenizer(dir, 12), &texts).unwrap()
}

fn loss(m: &TrainableBiEncoder, data: &BiEncoderData) -> f32 {
    let q: Vec<_> = data.pairs.iter().map(|&(q, _)| &data.queries[q]).collect();
    let d: Vec<_> = data.pairs.iter().map(|&(_, d)| &data.docs[d]).collect();
    let q = m.embed(&Batch::new(&q, 0).unwrap()).unwrap();
    let d = m.embed(&Batch::new(&d, 0).unwrap()).unwrap();
    matryoshka_mnrl(&q, &d, 20.0, None, &DIMS, &[1.0; 3])
        .unwrap()
        .to_scalar()
        .unwrap()
}

fn config() -> BiEncoderConfig {
    BiEncoderConfig {
        dims: DIMS.to_vec(),
        dev_dims: vec![8, 2],
        lr: 1e-2,
        batch_size: 4,
        epochs: 15,
        warmup_steps: 0,
        eval_every: 1000,
        max_minutes: None,
        freeze_below: 0,
        freeze_embeddings: false,
        ..BiEncoderConfig::default()
    }
}

#[test]
fn every_trainable_tensor_gets_a_nonzero_gradient() {
    let dir = tempfile::tempdir().unwrap();
    let data = data(dir.path());
    let m = model(0, Some(&rotation()));
    let q: Vec<_> = data.pairs.iter().map(|&(q, _)| &data.queries[q]).collect();
    let d: Vec<_> = data.pairs.iter().map(|&(_, d)| &data.docs[d]).collect();
    let qv = m.embed(&Batch::new(&q, 0).unwrap()).unwrap();
    let dv = m.embed(&Batch::new(&d, 0).unwrap()).unwrap();
    let grads = matryoshka_mnrl(&qv, &dv, 20.0, None, &DIMS, &[1.0; 3])
        .unwrap()
        .backward()
        .unwrap();
    let names = m.trainable_names();
    // embeddings (3 tables + LayerNorm 2) + 2 layers × 16; no pooler
    assert_eq!(names.len(), 5 + 32);
    for (name, var) in names.iter().zip(m.vars()) {
        let g = grads
            .get(var.as_tensor())
            .unwrap_or_else(|| panic!("{name}: no gradient"));
        let norm: f32 = g.sqr().unwrap().sum_all().unwrap().to_scalar().unwrap();
        assert!(norm > 0.0, "{name} got a zero gradient");
    }
}

#[test]
fn frozen_lower_layers_are_not_trained() {
    let m = model(1, None);
    let names = m.trainable_names();
    assert!(names.iter().all(|n| n.starts_with("encoder.layer.1.")));
    assert_eq!(names.len(), 16);
}

#[test]
fn a_few_steps_lower_the_loss_with_and_without_hard_negatives() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_keeping_the_last_weights(dir.path());
    for hard_negatives in [false, true] {
        let m = model(0, Some(&rotation()));
        let before = loss(&m, &data);
        let report = train_bi_encoder(
            &m,
            &data,
            &BiEncoderConfig {
                hard_negatives,
                ..config()
            },
            0,
        )
        .unwrap();
        let after = loss(&m, &data);
        assert_eq!(report.steps, 30);
        // the start and the end
        assert_eq!(report.history.len(), 2);
        assert_eq!(report.best_step, 30);
        assert!(after < before * 0.7, "loss {before} -> {after}");
    }
}

#[test]
fn training_is_deterministic_given_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_keeping_the_last_weights(dir.path());
    let run = |seed: u64| {
        let m = model(0, None);
        let c = BiEncoderConfig {
            seed,
            epochs: 3,
            eval_every: 2,
            hard_negatives: true,
            ..config()
        };
        let report = train_bi_encoder(&m, &data, &c, 0).unwrap();
        let weights: Vec<Vec<f32>> = m
            .snapshot()
            .unwrap()
            .iter()
            .map(|t| t.flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        (report.history.len(), report.best_step, weights)
    };
    assert_eq!(run(5), run(5));
    assert!(run(5).2 != run(6).2, "another seed, other weights");
}

#[test]
fn the_checkpoint_loads_as_a_dense_encoder_with_the_trained_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let data = data(dir.path());
    let m = model(1, None);
    train_bi_encoder(
        &m,
        &data,
        &BiEncoderConfig {
            epochs: 2,
            ..config()
        },
        0,
    )
    .unwrap();
    let out = dir.path().join("ckpt");
    m.save(&out).unwrap();
    std::fs::write(out.join("tokenizer.json"), tiny_tokenizer_json()).unwrap();
    let options = DenseOptions {
        max_length: 12,
        ..DenseOptions::default()
    };
    let encoder = DenseEncoder::load(&out, options).unwrap();
    let texts = ["red shoe blue", "drill bit"];
    let got = encoder.encode_documents(&texts).unwrap();
    let tok = tokenizer(dir.path(), 12);
    let encoded = tok.encode_all(&texts, None).unwrap();
    let refs: Vec<_> = encoded.iter().collect();
    let want: Vec<Vec<f32>> = m
        .frozen_copy()
        .unwrap()
        .embed(&Batch::new(&refs, 0).unwrap())
        .unwrap()
        .to_vec2()
        .unwrap();
    for (a, b) in got.iter().zip(&want) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }
    // Resuming from the checkpoint starts from the trained weights.
    let again = TrainableBiEncoder::from_pretrained(
        &out,
        Freeze {
            embeddings: true,
            below_layer: 0,
        },
        None,
    )
    .unwrap();
    assert_eq!(loss(&again, &data), loss(&m, &data));
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let freeze = Freeze {
        embeddings: true,
        below_layer: 0,
    };
    let err = TrainableBiEncoder::from_pretrained(dir.path(), freeze, None)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("config.json") && err.contains("missing"),
        "{err}"
    );
    std::fs::write(dir.path().join("config.json"), tiny_config().to_string()).unwrap();
    let err = TrainableBiEncoder::from_pretrained(dir.path(), freeze, None)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("model.safetensors"), "{err}");
    std::fs::write(dir.path().join("model.safetensors"), b"not safetensors").unwrap();
    assert!(TrainableBiEncoder::from_pretrained(dir.path(), freeze, None).is_err());

    let too_deep = Freeze {
        embeddings: true,
        below_layer: 2,
    };
    assert!(TrainableBiEncoder::new(tiny_config(), tiny_weights(1), too_deep, None).is_err());
    let wide = Projection::identity(16, "x").unwrap();
    let err = TrainableBiEncoder::new(tiny_config(), tiny_weights(1), freeze, Some(&wide))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("16 components"), "{err}");

    let mut bad = texts();
    bad.pairs.push((0, 99));
    let tok = tokenizer(dir.path(), 8);
    assert!(BiEncoderData::tokenize(&tok, &tok, &bad).is_err());
    let m = model(0, None);
    let data = data(dir.path());
    let wrong_dims = BiEncoderConfig {
        dims: vec![16],
        ..config()
    };
    assert!(train_bi_encoder(&m, &data, &wrong_dims, 0).is_err());
}

#[test]
fn cached_lower_layers_give_the_same_vectors_and_gradients() {
    let dir = tempfile::tempdir().unwrap();
    let data = data(dir.path());
    let m = model(1, Some(&rotation()));
    let cache = m.cache_lower(&data.docs, 0).unwrap().unwrap();
    assert_eq!(cache.len(), data.docs.len());
    let rows = [5, 0, 3, 0];
    let items: Vec<_> = rows.iter().map(|&r| &data.docs[r]).collect();
    let direct: Vec<Vec<f32>> = m
        .embed(&Batch::new(&items, 0).unwrap())
        .unwrap()
        .to_vec2()
        .unwrap();
    let cached_t = m.embed_cached(&cache, &rows).unwrap();
    let cached: Vec<Vec<f32>> = cached_t.to_vec2().unwrap();
    for (a, b) in direct.iter().zip(&cached) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }
    let grads = cached_t.sqr().unwrap().sum_all().unwrap();
    let grads = (grads - cached_t.sum_all().unwrap())
        .unwrap()
        .backward()
        .unwrap();
    for (name, var) in m.trainable_names().iter().zip(m.vars()) {
        let g = grads.get(var.as_tensor());
        assert!(g.is_some(), "{name}: no gradient through the cached path");
    }
    assert!(model(0, None).cache_lower(&data.docs, 0).unwrap().is_none());
}
