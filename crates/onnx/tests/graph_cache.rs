//! Graph files: written once per model content, head and precision into the cache
//! directory, reused, rebuilt when deleted, and valid ONNX that the runtime accepts;
//! bad inputs are refused with errors that name the problem.

mod common;

use esci_models::{DenseOptions, SpladeOptions};
use esci_onnx::{Head, OnnxDenseEncoder, OnnxError, OnnxOptions, OnnxSpladeEncoder, Precision};
use std::path::Path;

fn onnx_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn graphs_are_cached_by_fingerprint_and_rebuilt_when_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let options = OnnxOptions {
        cache_dir: Some(tmp.path().to_path_buf()),
        sessions: 1,
        ..common::options(Precision::Int8)
    };
    let dir = common::model_dir("splade-tiny");
    let enc = OnnxSpladeEncoder::load(&dir, SpladeOptions::default(), &options).unwrap();
    let files = onnx_files(tmp.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let fingerprint = esci_models::fetch::model_fingerprint(&dir).unwrap();
    assert!(files[0].starts_with("splade-hidden-int8-g"), "{files:?}");
    assert!(
        files[0].ends_with(&format!("{}.onnx", &fingerprint[..16])),
        "{files:?}"
    );
    assert_eq!(enc.graph(), tmp.path().join(&files[0]));
    let first = enc.encode(&["wireless mouse"]).unwrap();

    // Reused: same file, same modification time.
    let path = enc.graph().to_path_buf();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    drop(enc);
    let again = OnnxSpladeEncoder::load(&dir, SpladeOptions::default(), &options).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );

    // Deleted: written again, same outputs.
    std::fs::remove_file(&path).unwrap();
    drop(again);
    let rebuilt = OnnxSpladeEncoder::load(&dir, SpladeOptions::default(), &options).unwrap();
    assert!(path.is_file());
    assert_eq!(rebuilt.encode(&["wireless mouse"]).unwrap(), first);
    assert_eq!(onnx_files(tmp.path()).len(), 1, "no temporary files left");
}

#[test]
fn option_and_model_errors_are_named() {
    let dir = common::model_dir("all-minilm-l6-v2");
    let options = common::options(Precision::Fp32);
    let too_long = DenseOptions {
        max_length: 1000,
        ..DenseOptions::default()
    };
    let err = OnnxDenseEncoder::load(&dir, too_long, &options).unwrap_err();
    assert!(err.to_string().contains("max_position_embeddings"), "{err}");
    let no_batch = DenseOptions {
        batch_size: 0,
        ..DenseOptions::default()
    };
    assert!(matches!(
        OnnxDenseEncoder::load(&dir, no_batch, &options),
        Err(OnnxError::InvalidArgument(_))
    ));
    let no_sessions = OnnxOptions {
        sessions: 0,
        ..options.clone()
    };
    let err = OnnxDenseEncoder::load(&dir, DenseOptions::default(), &no_sessions).unwrap_err();
    assert!(err.to_string().contains("at least one session"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let err = OnnxDenseEncoder::load(empty.path(), DenseOptions::default(), &options).unwrap_err();
    assert!(
        err.to_string().contains("config.json") && err.to_string().contains("models fetch"),
        "{err}"
    );
    let bad_weight = SpladeOptions {
        min_weight: f32::NAN,
        ..SpladeOptions::default()
    };
    let err = OnnxSpladeEncoder::load(&common::model_dir("splade-tiny"), bad_weight, &options)
        .unwrap_err();
    assert!(err.to_string().contains("min_weight"), "{err}");
    assert_eq!(Head::Splade.output(), "activations");
}

#[test]
fn encoders_loaded_at_once_share_one_graph_write() {
    let tmp = tempfile::tempdir().unwrap();
    let options = OnnxOptions {
        cache_dir: Some(tmp.path().to_path_buf()),
        sessions: 1,
        ..common::options(Precision::Fp32)
    };
    let dir = common::model_dir("splade-tiny");
    std::thread::scope(|s| {
        let loads: Vec<_> = (0..4)
            .map(|_| s.spawn(|| OnnxSpladeEncoder::load(&dir, SpladeOptions::default(), &options)))
            .collect();
        for load in loads {
            load.join().unwrap().unwrap();
        }
    });
    assert_eq!(
        onnx_files(tmp.path()).len(),
        1,
        "one graph, no temporary files"
    );
}
