//! `[neural] runtime`: the same small catalog indexed and searched with the candle and
//! the ONNX Runtime encoders. fp32 ONNX finds what candle finds, int8 too on this easy
//! query; the manifest records the runtime, and changing it rebuilds the neural
//! indexes instead of reusing vectors another runtime made. Needs the models and the
//! runtime library (`cargo run -- models fetch`).

use common::small_catalog;
use esci_engine::{Config, EncoderRuntime, Searcher, Strategy, build_index};
use std::path::Path;

mod common;

const TITLES: [&str; 6] = [
    "Logitech M185 Wireless Mouse, 2.4GHz with USB Receiver",
    "DEWALT 20V MAX Cordless Drill Kit",
    "Garden Hose 50 ft, Kink Free",
    "USB-C Charging Cable, 6 ft, Braided",
    "Stainless Steel Water Bottle, 32 oz",
    "Running Shoes for Men, Lightweight",
];

fn setup(tmp: &Path) -> Config {
    small_catalog(tmp, &TITLES)
}

fn top(config: &Config, strategy: &str, query: &str) -> String {
    let searcher = Searcher::open(config, false).unwrap();
    let results = searcher
        .search(query, 3, &Strategy::parse(strategy).unwrap())
        .unwrap();
    results[0].product_id.clone()
}

#[test]
fn every_runtime_indexes_and_searches_and_a_change_rebuilds() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = setup(tmp.path());
    let mut tops = Vec::new();
    for runtime in [
        EncoderRuntime::Candle,
        EncoderRuntime::Onnx,
        EncoderRuntime::OnnxInt8,
    ] {
        config.neural.runtime = runtime;
        let summary = build_index(&config).unwrap();
        for (what, artifact) in [("dense", &summary.dense), ("splade", &summary.splade)] {
            let (artifact, reused) = artifact.as_ref().unwrap();
            assert!(
                !reused,
                "{what} reused across a runtime change to {runtime:?}"
            );
            assert_eq!(artifact.runtime, runtime);
        }
        // Same runtime again: reused.
        let again = build_index(&config).unwrap();
        assert!(again.dense.as_ref().unwrap().1 && again.splade.as_ref().unwrap().1);
        for strategy in ["dense", "splade"] {
            tops.push((runtime, strategy, top(&config, strategy, "cordless drill")));
        }
    }
    assert!(tops.iter().all(|(_, _, id)| id == "P1"), "{tops:?}");
}
