//! Learned projections end to end on a small catalog: `train_dense` (PCA and a short
//! adapter run) writes the projection and the projected index, `Searcher::open` serves
//! it under `dense-<name>@d`, and every mismatch is refused with both sides named.

use common::{TITLES, models_dir};
use esci_engine::{
    Config, FinetuneSettings, ProjectionMethod, Searcher, Strategy, TrainDenseOptions, build_index,
    finetuned_dir, projection_path, read_finetune_manifest, train_dense,
};
use esci_train::Projection;
use esci_train::adapter::AdapterConfig;
use esci_train::biencoder::BiEncoderConfig;
use std::path::Path;

mod common;

/// (query_id, query, product, label, split); ids 4 and 6 fall in the dev carve.
const JUDGMENTS: [(&str, &str, usize, &str, &str); 7] = [
    ("1", "wireless mouse", 0, "E", "train"),
    ("1", "wireless mouse", 5, "S", "train"),
    ("2", "cordless drill", 2, "E", "train"),
    ("3", "water bottle", 6, "E", "train"),
    ("4", "garden hose", 3, "E", "train"),
    ("6", "usb c cable", 4, "E", "train"),
    ("7", "running shoes", 7, "E", "test"),
];

fn setup(tmp: &Path) -> Config {
    let products: Vec<String> = TITLES
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({"product_id": format!("P{i}"), "product_title": t}).to_string()
        })
        .collect();
    std::fs::write(tmp.join("catalog.jsonl"), products.join("\n")).unwrap();
    let judgments: Vec<String> = JUDGMENTS
        .iter()
        .map(|(id, q, doc, label, split)| {
            serde_json::json!({"query_id": id, "query": q, "product_id": format!("P{doc}"),
                "esci_label": label, "split": split})
            .to_string()
        })
        .collect();
    std::fs::write(tmp.join("judgments.jsonl"), judgments.join("\n")).unwrap();
    let mut config = Config::default();
    config.data.dir = tmp.to_owned();
    config.data.products = "catalog.jsonl".into();
    config.data.examples = "judgments.jsonl".into();
    config.data.locale = String::new();
    config.artifacts.dir = tmp.join("artifacts");
    config.models.dir = tmp.join("models");
    // The projection is saved under the models directory: link the real models into a
    // private one so the test writes nothing into the shared data/models.
    std::fs::create_dir_all(&config.models.dir).unwrap();
    for name in ["all-minilm-l6-v2", "splade-tiny", "onnxruntime"] {
        std::os::unix::fs::symlink(models_dir().join(name), config.models.dir.join(name)).unwrap();
    }
    config.neural.splade = false;
    config
}

fn options(method: ProjectionMethod) -> TrainDenseOptions {
    TrainDenseOptions {
        method,
        name: None,
        center: false,
        init_pca: true,
        substitutes: true,
        adapter: AdapterConfig {
            batch_size: 4,
            epochs: 3,
            extra_negatives: 2,
            preserve_batch: 4,
            dev_k: 3,
            ..AdapterConfig::default()
        },
        finetune: FinetuneSettings {
            train: BiEncoderConfig {
                batch_size: 2,
                epochs: 1,
                freeze_below: 4,
                doc_max_length: 16,
                query_max_length: 8,
                eval_every: 1,
                hard_negatives: true,
                max_minutes: None,
                ..BiEncoderConfig::default()
            },
            negative_depth: 5,
            dev_sample: 3,
            ..FinetuneSettings::default()
        },
        save: true,
    }
}

#[test]
fn projections_are_trained_served_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = setup(tmp.path());
    build_index(&config).unwrap();

    let pca = train_dense(&config, &options(ProjectionMethod::Pca)).unwrap();
    assert_eq!(
        (pca.fit_queries, pca.dev_queries),
        (3, 2),
        "test query 7 is never used"
    );
    assert!(pca.index_file.is_file() && pca.projection_file.is_file());
    let adapter = train_dense(&config, &options(ProjectionMethod::Adapter)).unwrap();
    assert_eq!(adapter.pairs, 4, "E and S pairs of the fit queries");
    assert!(adapter.report.as_ref().unwrap().steps > 0);

    let dense = Strategy::parse("dense").unwrap();
    for (name, dim, shown) in [("pca", 4, "dense-pca@4"), ("adapter", 384, "dense-adapter")] {
        config.neural.projection = Some(name.into());
        config.neural.dim = Some(dim);
        let searcher = Searcher::open(&config, false).unwrap();
        assert_eq!(searcher.retriever(&dense, 3).unwrap().name(), shown);
        let hits = searcher.search("cordless drill", 3, &dense).unwrap();
        assert_eq!(hits.len(), 3);
    }
    // PCA is a rotation: at full dimension it ranks like the base model.
    config.neural.dim = None;
    config.neural.projection = Some("pca".into());
    let rotated = Searcher::open(&config, false).unwrap();
    config.neural.projection = None;
    let base = Searcher::open(&config, false).unwrap();
    let docs = |s: &Searcher| -> Vec<u32> {
        s.search("wireless mouse", 8, &dense)
            .unwrap()
            .iter()
            .map(|r| r.doc)
            .collect()
    };
    assert_eq!(docs(&rotated), docs(&base));

    // An unknown name says how to make it.
    config.neural.projection = Some("nope".into());
    let err = Searcher::open(&config, false).err().unwrap().to_string();
    assert!(err.contains("esci train dense"), "{err}");

    // A projection file fitted for another model is refused, naming both fingerprints.
    config.neural.projection = Some("pca".into());
    let path = projection_path(&config, "pca");
    let real = Projection::load(&path).unwrap();
    Projection::identity(384, "another-model")
        .unwrap()
        .save(&path)
        .unwrap();
    let err = Searcher::open(&config, false).err().unwrap().to_string();
    assert!(
        err.contains("another-model") && err.contains(real.base_model()),
        "{err}"
    );

    // The right model but another projection than the index was built with.
    Projection::identity(384, real.base_model())
        .unwrap()
        .save(&path)
        .unwrap();
    let err = Searcher::open(&config, false).err().unwrap().to_string();
    assert!(err.contains(real.fingerprint()), "{err}");
}

#[test]
fn a_fine_tuned_encoder_is_trained_served_resumed_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = setup(tmp.path());
    build_index(&config).unwrap();

    let summary = train_dense(&config, &options(ProjectionMethod::Finetune)).unwrap();
    let run = summary.finetune.as_ref().unwrap();
    assert_eq!((run.fit_queries, run.fit_pairs, run.dev_queries), (3, 4, 2));
    assert_eq!(run.report.steps, 2, "4 pairs in batches of 2, one epoch");
    assert_eq!(summary.dev.len(), 5, "full-catalog dev recall per prefix");
    let out = finetuned_dir(&config, "finetune");
    for file in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "finetune.json",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let manifest = read_finetune_manifest(&out).unwrap();
    assert_eq!(manifest.settings.train.freeze_below, 4);

    // Served with the fine-tuned model as the query encoder.
    let dense = Strategy::parse("dense").unwrap();
    config.neural.projection = Some("finetune".into());
    config.neural.dim = Some(4);
    let searcher = Searcher::open(&config, false).unwrap();
    assert_eq!(
        searcher.retriever(&dense, 3).unwrap().name(),
        "dense-finetune@4"
    );
    assert_eq!(
        searcher.search("cordless drill", 3, &dense).unwrap().len(),
        3
    );
    drop(searcher);

    // Resuming continues from the last evaluation's step towards the (now longer)
    // schedule.
    let mut resume = options(ProjectionMethod::Finetune);
    resume.finetune.resume = true;
    resume.finetune.train.epochs = 2;
    let resumed = train_dense(&config, &resume).unwrap();
    assert_eq!(resumed.finetune.as_ref().unwrap().report.steps, 4);

    // A changed fine-tuned model is refused, naming both fingerprints.
    let recorded = esci_models::fetch::model_fingerprint(&out).unwrap();
    let text = std::fs::read_to_string(out.join("config.json")).unwrap();
    std::fs::write(out.join("config.json"), format!("{text}\n")).unwrap();
    let err = Searcher::open(&config, false).err().unwrap().to_string();
    let now = esci_models::fetch::model_fingerprint(&out).unwrap();
    assert!(err.contains(&recorded) && err.contains(&now), "{err}");

    // A missing checkpoint file is named, for serving and for resuming.
    std::fs::remove_file(out.join("model.safetensors")).unwrap();
    let err = Searcher::open(&config, false).err().unwrap().to_string();
    assert!(err.contains("model.safetensors"), "{err}");

    // A run killed before finetune.json was written resumes from the weights of its
    // last dev evaluation (`last/`: step 4 of 4, nothing left to train).
    assert!(out.join("last/state.json").is_file());
    std::fs::remove_file(out.join("finetune.json")).unwrap();
    let again = train_dense(&config, &resume).unwrap();
    assert_eq!(again.finetune.as_ref().unwrap().report.steps, 4);
    // With neither, resuming names what is missing.
    std::fs::remove_dir_all(out.join("last")).unwrap();
    std::fs::remove_file(out.join("finetune.json")).unwrap();
    let err = train_dense(&config, &resume).err().unwrap().to_string();
    assert!(err.contains("finetune.json"), "{err}");
}
