//! `esci bench encoders --dump-inputs`: the folder a reference runtime reads holds the
//! texts, the settings and the outputs of the run, consistent with each other.

mod common;

use common::{TITLES, small_catalog};
use esci_engine::EncoderRuntime;
use esci_engine::bench::{EncoderBenchOptions, run_encoder_bench};
use serde_json::Value;
use std::path::Path;

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_dump_holds_inputs_settings_and_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = small_catalog(tmp.path(), &TITLES);
    let examples: Vec<String> = ["wireless mouse", "cordless drill", "garden hose"]
        .iter()
        .enumerate()
        .map(|(i, q)| {
            serde_json::json!({"query_id": i.to_string(), "query": q, "product_id": "P0",
                "esci_label": "E", "split": "test"})
            .to_string()
        })
        .collect();
    std::fs::write(tmp.path().join("examples.jsonl"), examples.join("\n")).unwrap();
    config.data.examples = "examples.jsonl".into();
    let dump = tmp.path().join("dump");
    let options = EncoderBenchOptions {
        docs: 6,
        queries: 2,
        pairs: 4,
        batch_size: 4,
        runtimes: vec![EncoderRuntime::Onnx],
        dump_dir: Some(dump.clone()),
        ..EncoderBenchOptions::default()
    };
    run_encoder_bench(&config, &options).unwrap();

    let lines = |name: &str| -> Vec<Value> {
        std::fs::read_to_string(dump.join(name))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let docs = lines("docs.jsonl");
    assert_eq!(docs.len(), 6);
    assert!(docs[0].as_str().unwrap().starts_with(TITLES[0]));
    // Queries sorted and deduplicated, as they are timed.
    assert_eq!(
        lines("queries.jsonl"),
        [Value::from("cordless drill"), Value::from("garden hose")]
    );
    let pairs = lines("pairs.jsonl");
    assert_eq!(pairs.len(), 4);
    assert_eq!(pairs[1]["title"], TITLES[1]);

    let inputs = read_json(&dump.join("inputs.json"));
    assert_eq!(inputs["format"], 1);
    assert_eq!(inputs["dense"]["max_length"], 64);
    assert_eq!(inputs["dense"]["batch_size"], 4);
    assert_eq!(inputs["cross"]["max_length"], 128);
    assert_eq!(inputs["cross"]["inputs"][2], "token_type_ids");
    assert_eq!(inputs["dense_pooling"], "mean");
    assert!(Path::new(inputs["dense"]["tokenizer"].as_str().unwrap()).is_file());
    let hidden = inputs["cross_head_weights"].as_array().unwrap().len();
    assert_eq!(hidden, 384);

    let outputs = read_json(&dump.join("outputs-onnx.json"));
    for head in ["dense", "splade", "cross"] {
        let graph = outputs["graphs"][head].as_str().unwrap();
        assert!(Path::new(graph).is_file(), "{graph}");
    }
    let dense = outputs["dense"].as_array().unwrap();
    assert_eq!(dense.len(), 6);
    let norm: f64 = dense[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap().powi(2))
        .sum();
    assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    let splade = outputs["splade"].as_array().unwrap();
    assert_eq!(splade.len(), 6);
    assert!(!splade[0].as_array().unwrap().is_empty());
    // The fixed head gives scores that differ between pairs.
    let scores: Vec<f64> = outputs["cross_scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_f64().unwrap())
        .collect();
    assert_eq!(scores.len(), 4);
    assert!(scores.iter().any(|&s| s != scores[0]), "{scores:?}");

    let report = read_json(&dump.join("report.json"));
    assert_eq!(report["runtimes"][0]["runtime"], "onnx");
    assert_eq!(report["docs"], 6);
}
