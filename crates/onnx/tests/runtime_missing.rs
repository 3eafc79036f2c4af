//! Without the runtime library the encoders fail with an error that names the command
//! installing it. Its own test binary: a process keeps the first ONNX Runtime it
//! starts, so these tests must run before any other starts one.

mod common;

use esci_models::DenseOptions;
use esci_onnx::{OnnxDenseEncoder, OnnxError, OnnxOptions, Precision};

#[test]
fn a_missing_or_broken_library_names_the_fetch_command() {
    let dir = common::model_dir("all-minilm-l6-v2");
    let tmp = tempfile::tempdir().unwrap();
    let missing = OnnxOptions {
        library: tmp.path().join("libonnxruntime.so.1.32.0"),
        cache_dir: Some(tmp.path().join("graphs")),
        ..OnnxOptions::new(Precision::Fp32)
    };
    let err = OnnxDenseEncoder::load(&dir, DenseOptions::default(), &missing).unwrap_err();
    assert!(matches!(err, OnnxError::RuntimeMissing { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("cargo run -- models fetch") && message.contains("libonnxruntime"),
        "{message}"
    );
    assert!(
        !tmp.path().join("graphs").exists(),
        "no graph written without a runtime"
    );

    let broken = tmp.path().join("broken.so");
    std::fs::write(&broken, b"not a shared library").unwrap();
    let err = OnnxDenseEncoder::load(
        &dir,
        DenseOptions::default(),
        &OnnxOptions {
            library: broken,
            ..missing.clone()
        },
    )
    .unwrap_err();
    assert!(matches!(err, OnnxError::RuntimeLoad { .. }), "{err}");
    assert!(err.to_string().contains("broken.so") && err.to_string().contains("models fetch"));

    // A failed start is not remembered: the real library still starts afterwards.
    let good = common::options(Precision::Fp32);
    let enc = OnnxDenseEncoder::load(&dir, DenseOptions::default(), &good).unwrap();
    assert_eq!(enc.encode_queries(&["mouse"]).unwrap()[0].len(), 384);
    assert_eq!(
        esci_onnx::runtime::loaded_library(),
        Some(good.library.as_path())
    );
}
