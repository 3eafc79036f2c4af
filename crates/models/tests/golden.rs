//! Our encoders against reference outputs: the numpy/PyTorch fixtures in
//! `tests/fixtures/` (input ids must match exactly, outputs within a tolerance) and the
//! reference values recorded in `docs/models.md`.
//!
//! The models are not in git: a missing model fails the test with the command that
//! fetches it (CI fetches before testing), it is never skipped.

use esci_models::{
    CrossEncoder, CrossOptions, DenseEncoder, DenseOptions, SpladeEncoder, SpladeOptions,
};
use esci_test_support::{
    REFERENCE_DOCS, check_cross_fixture, check_dense_fixture, check_model_hash,
    check_recorded_cosines, check_recorded_splade, check_splade_fixture, fixture, fixture_head,
    fixture_max_length, model_dir, pairs, texts,
};

#[test]
fn minilm_matches_the_fixture() {
    let fx = fixture("golden_minilm.json");
    let dir = model_dir("all-minilm-l6-v2");
    check_model_hash(&fx, &dir);
    let options = DenseOptions {
        max_length: fixture_max_length(&fx),
        ..DenseOptions::default()
    };
    let enc = DenseEncoder::load(&dir, options).unwrap();
    if let Some(pooling) = fx["pooling"].as_str() {
        assert_eq!(
            format!("{:?}", enc.pooling()).to_lowercase(),
            pooling.to_lowercase()
        );
    }
    let texts = texts(&fx);
    let ours = enc.encode_documents(&texts).unwrap();
    let min_cos = check_dense_fixture(&fx, &ours, Some(enc.tokenizer()), 0.9999);
    eprintln!(
        "MiniLM: {} texts, min cosine to the reference {min_cos}",
        texts.len()
    );
}

#[test]
fn splade_matches_the_fixture() {
    let fx = fixture("golden_splade.json");
    let dir = model_dir("splade-tiny");
    check_model_hash(&fx, &dir);
    let options = SpladeOptions {
        max_length: fixture_max_length(&fx),
        ..SpladeOptions::default()
    };
    let enc = SpladeEncoder::load(&dir, options).unwrap();
    let texts = texts(&fx);
    let ours = enc.encode(&texts).unwrap();
    let token = |id| enc.token(id).map(str::to_owned);
    let max_err = check_splade_fixture(&fx, &ours, Some(enc.tokenizer()), &token);
    eprintln!(
        "SPLADE: {} texts, max top-term weight error {max_err}",
        texts.len()
    );
}

#[test]
fn cross_encoder_matches_the_fixture() {
    let fx = fixture("golden_cross.json");
    let options = CrossOptions {
        max_length: fixture_max_length(&fx),
        ..CrossOptions::default()
    };
    let dir = model_dir("all-minilm-l6-v2");
    check_model_hash(&fx, &dir);
    let (weights, bias) = fixture_head(&fx);
    let enc = CrossEncoder::load(&dir, options)
        .unwrap()
        .with_head(weights, bias)
        .unwrap();
    assert_eq!(Some(enc.uses_pooler()), fx["head"]["uses_pooler"].as_bool());
    let pairs = pairs(&fx);
    let scores = enc.score(&pairs).unwrap();
    let max_err = check_cross_fixture(&fx, &scores, enc.tokenizer());
    eprintln!("cross: {} pairs, max score error {max_err}", pairs.len());
}

#[test]
fn minilm_reproduces_the_recorded_cosines() {
    let enc = DenseEncoder::load(&model_dir("all-minilm-l6-v2"), DenseOptions::default()).unwrap();
    let q = &enc.encode_queries(&["wireless mouse"]).unwrap()[0];
    check_recorded_cosines(q, &enc.encode_documents(&REFERENCE_DOCS).unwrap());
    let norm: f32 = q.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5);
}

#[test]
fn splade_reproduces_the_recorded_terms_and_dots() {
    let enc = SpladeEncoder::load(&model_dir("splade-tiny"), SpladeOptions::default()).unwrap();
    let q = &enc.encode(&["wireless mouse"]).unwrap()[0];
    let token = |id| enc.token(id).map(str::to_owned);
    check_recorded_splade(q, &enc.encode(&REFERENCE_DOCS).unwrap(), &token);
}

#[test]
fn loading_errors_name_the_missing_file_or_tensor() {
    let empty = tempfile::tempdir().unwrap();
    let err = DenseEncoder::load(empty.path(), DenseOptions::default()).unwrap_err();
    assert!(err.to_string().contains("config.json"), "{err}");

    // SPLADE without its tokenizer, then with the MLM bias removed from the weights.
    let src = model_dir("splade-tiny");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(src.join("config.json"), dir.path().join("config.json")).unwrap();
    std::fs::copy(
        src.join("model.safetensors"),
        dir.path().join("model.safetensors"),
    )
    .unwrap();
    let err = SpladeEncoder::load(dir.path(), SpladeOptions::default()).unwrap_err();
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
    std::fs::copy(
        src.join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    let mut tensors =
        candle_core::safetensors::load(src.join("model.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    tensors.remove("cls.predictions.bias").unwrap();
    candle_core::safetensors::save(&tensors, dir.path().join("model.safetensors")).unwrap();
    let err = SpladeEncoder::load(dir.path(), SpladeOptions::default()).unwrap_err();
    assert!(err.to_string().contains("`cls.predictions.bias`"), "{err}");

    let options = SpladeOptions {
        max_length: 1000,
        ..SpladeOptions::default()
    };
    let err = SpladeEncoder::load(&src, options).unwrap_err();
    assert!(err.to_string().contains("max_position_embeddings"), "{err}");
}
