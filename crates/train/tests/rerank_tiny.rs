//! The reranker's training machinery on a tiny random BERT (width 8, two layers): every
//! trainable tensor gets a gradient, a few steps lower the loss, frozen layers stay
//! put, runs are deterministic, and a saved checkpoint reloads with its trained head.

mod common;

use candle_core::{Device, Tensor};
use common::{tiny_config, tiny_weights};
use esci_models::{Batch, Encoded};
use esci_train::rerank::loss::{listwise_softmax, pointwise_bce};
use esci_train::rerank::trainer::dev_ndcg;
use esci_train::rerank::{
    Freeze, RerankConfig, RerankData, RerankLoss, TokenizedList, TrainableCross, train_reranker,
};

fn model(freeze_below: usize) -> TrainableCross {
    TrainableCross::new(
        tiny_config(),
        tiny_weights(7),
        2,
        Freeze {
            embeddings: false,
            below_layer: freeze_below,
        },
        1,
    )
    .unwrap()
}

fn pair(q: &[u32], d: &[u32]) -> Encoded {
    let mut ids = vec![1];
    ids.extend(q);
    ids.push(2);
    let mut type_ids = vec![0; ids.len()];
    ids.extend(d);
    ids.push(2);
    type_ids.resize(ids.len(), 1);
    Encoded { ids, type_ids }
}

/// Two queries; the relevant product shares a token with its query.
fn data() -> RerankData {
    let list = |q: u32, good: u32| TokenizedList {
        pairs: vec![
            (pair(&[q, 5], &[good, 6, 7]), 1.0),
            (pair(&[q, 5], &[9, 10]), 0.0),
            (pair(&[q, 5], &[11, good]), 0.1),
            (pair(&[q, 5], &[12, 13, 14]), 0.01),
        ],
    };
    RerankData {
        fit: vec![list(3, 3), list(4, 4)],
        dev: vec![list(3, 3)],
        pad_id: 0,
    }
}

fn batch_of(data: &RerankData) -> (Batch, Vec<f32>) {
    let items: Vec<&Encoded> = data
        .fit
        .iter()
        .flat_map(|l| l.pairs.iter().map(|(e, _)| e))
        .collect();
    let gains = data
        .fit
        .iter()
        .flat_map(|l| l.pairs.iter().map(|(_, g)| *g))
        .collect();
    (Batch::new(&items, 0).unwrap(), gains)
}

#[test]
fn every_trainable_tensor_gets_a_nonzero_gradient() {
    let m = model(0);
    let (batch, gains) = batch_of(&data());
    let scores = m.scores(&batch).unwrap();
    let loss = listwise_softmax(&scores, &gains, &[(0, 4), (4, 4)])
        .unwrap()
        .unwrap();
    let grads = loss.backward().unwrap();
    let names = m.trainable_names();
    // embeddings (3 tables + LayerNorm 2) + 2 layers × 16; the pooler is not used
    assert_eq!(names.len(), 5 + 32);
    assert!(names.iter().all(|n| !n.starts_with("pooler.")));
    for (name, var) in names.iter().zip(m.encoder_vars()) {
        let g = grads
            .get(var.as_tensor())
            .unwrap_or_else(|| panic!("{name}: no gradient"));
        let norm = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(norm > 0.0, "{name} got a zero gradient");
    }
    for var in m.head_vars() {
        let g = grads.get(var.as_tensor()).expect("head gradient");
        assert!(
            g.abs()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
                > 0.0
        );
    }
}

#[test]
fn frozen_embeddings_alone_leave_every_layer_trainable() {
    let m = TrainableCross::new(
        tiny_config(),
        tiny_weights(7),
        2,
        Freeze {
            embeddings: true,
            below_layer: 0,
        },
        1,
    )
    .unwrap();
    let names = m.trainable_names();
    assert!(names.iter().all(|n| !n.starts_with("embeddings.")));
    assert_eq!(names.len(), 32);
}

#[test]
fn frozen_layers_are_not_variables() {
    let m = model(1);
    let names = m.trainable_names();
    assert!(names.iter().all(|n| !n.starts_with("embeddings.")));
    assert!(names.iter().all(|n| !n.starts_with("encoder.layer.0.")));
    assert!(names.iter().any(|n| n.starts_with("encoder.layer.1.")));
    assert!(
        TrainableCross::new(
            tiny_config(),
            tiny_weights(7),
            2,
            Freeze {
                embeddings: false,
                below_layer: 2
            },
            1
        )
        .is_err()
    );
    assert!(
        TrainableCross::new(
            tiny_config(),
            tiny_weights(7),
            3,
            Freeze {
                embeddings: false,
                below_layer: 0
            },
            1
        )
        .is_err()
    );
}

fn loss_of(m: &TrainableCross, data: &RerankData, kind: RerankLoss) -> f32 {
    let (batch, gains) = batch_of(data);
    let scores = m.scores(&batch).unwrap();
    let loss = match kind {
        RerankLoss::Pointwise => {
            let t = Tensor::from_slice(&gains, gains.len(), &Device::Cpu).unwrap();
            pointwise_bce(&scores, &t).unwrap()
        }
        RerankLoss::Listwise => listwise_softmax(&scores, &gains, &[(0, 4), (4, 4)])
            .unwrap()
            .unwrap(),
    };
    loss.to_scalar().unwrap()
}

#[test]
fn a_few_steps_lower_the_loss_for_both_losses() {
    let data = data();
    for kind in [RerankLoss::Pointwise, RerankLoss::Listwise] {
        let m = model(0);
        let before = loss_of(&m, &data, kind);
        let config = RerankConfig {
            loss: kind,
            layers: 2,
            list_size: 4,
            lists_per_step: 2,
            lr: 1e-2,
            head_lr: 1e-2,
            epochs: 30,
            warmup_steps: 0,
            eval_every: 1000,
            patience: 100,
            max_minutes: None,
            ..RerankConfig::default()
        };
        let report = train_reranker(&m, &data, &config).unwrap();
        let after = loss_of(&m, &data, kind);
        assert_eq!(report.steps, 30);
        assert!(after < before * 0.8, "{kind:?}: loss {before} -> {after}");
    }
}

#[test]
fn training_is_deterministic_given_the_seed() {
    let data = data();
    let run = || {
        let m = model(0);
        let config = RerankConfig {
            layers: 2,
            list_size: 2,
            lists_per_step: 2,
            epochs: 2,
            eval_every: 3,
            max_minutes: None,
            ..RerankConfig::default()
        };
        let report = train_reranker(&m, &data, &config).unwrap();
        (
            report
                .history
                .iter()
                .map(|p| p.dev_ndcg)
                .collect::<Vec<_>>(),
            loss_of(&m, &data, RerankLoss::Listwise),
        )
    };
    assert_eq!(run(), run());
}

#[test]
fn the_checkpoint_reloads_with_the_trained_head_and_the_same_scores() {
    let data = data();
    let m = model(1);
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let expected: Vec<f32> = {
        let (batch, _) = batch_of(&data);
        m.scores(&batch).unwrap().to_vec1().unwrap()
    };
    let tensors =
        candle_core::safetensors::load(dir.path().join("model.safetensors"), &Device::Cpu).unwrap();
    assert!(tensors.contains_key("classifier.weight"));
    assert!(tensors.contains_key("encoder.layer.1.output.dense.weight"));
    // Reload (the head comes from the checkpoint, not from the new seed): same scores.
    let reloaded = TrainableCross::new(
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("config.json")).unwrap())
            .unwrap(),
        tensors,
        2,
        Freeze {
            embeddings: false,
            below_layer: 0,
        },
        99,
    )
    .unwrap();
    let (batch, _) = batch_of(&data);
    let got: Vec<f32> = reloaded.scores(&batch).unwrap().to_vec1().unwrap();
    for (a, b) in got.iter().zip(&expected) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    assert!(dev_ndcg(&reloaded, &data.dev, 0, 20).unwrap().is_finite());
}

#[test]
fn the_frozen_copy_scores_like_the_trainable_model() {
    let data = data();
    let m = model(0);
    let (batch, _) = batch_of(&data);
    let a: Vec<f32> = m.scores(&batch).unwrap().to_vec1().unwrap();
    let b: Vec<f32> = m
        .frozen_copy()
        .unwrap()
        .scores(&batch)
        .unwrap()
        .to_vec1()
        .unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-5, "{x} vs {y}");
    }
}
