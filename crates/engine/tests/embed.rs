//! `esci embed` encodes on the configured runtime, as search does.

mod common;

use esci_engine::{Config, EncoderRuntime, embed};

#[test]
fn embed_uses_the_configured_runtime() {
    let mut config = Config::default();
    config.models.dir = common::models_dir();
    let mut by_runtime = Vec::new();
    for runtime in [EncoderRuntime::Candle, EncoderRuntime::Onnx] {
        config.neural.runtime = runtime;
        let e = embed(&config, "wireless mouse", 5).unwrap();
        assert_eq!(e.runtime, runtime.name());
        assert_eq!(e.max_length, config.neural.max_length);
        assert_eq!(e.splade_top[0].0, "mouse", "{:?}", e.splade_top);
        by_runtime.push(e);
    }
    // Same model, same outputs (fp32 ONNX is held to candle's golden vectors).
    let dot: f32 = by_runtime[0]
        .dense
        .iter()
        .zip(&by_runtime[1].dense)
        .map(|(a, b)| a * b)
        .sum();
    assert!(dot > 0.9999, "cosine {dot}");
}
