//! The ablation grid and dev-tuned fusion end to end on a small catalog with the real
//! models: every cell is produced, fused cells carry parameters tuned on dev, the
//! tables, JSON and plot are written, and search then serves the tuned values.

use common::{TITLES, small_catalog};
use esci_core::{QuerySet, is_dev_query};
use esci_engine::ablation::{AblationPlan, run_ablation, save_ablation};
use esci_engine::{Config, Searcher, Strategy, build_index, evaluate_strategy, split_queries};
use std::path::Path;

mod common;

/// (query, relevant product index) pairs, asked both in train and in test.
const QUERIES: [(&str, usize); 4] = [
    ("wireless mouse", 0),
    ("cordless drill", 2),
    ("water bottle", 6),
    ("usb c cable", 4),
];

fn setup(tmp: &Path) -> Config {
    let mut config = small_catalog(tmp, &TITLES);
    // Train query ids: the first ids the carve puts in dev, so tuning has queries.
    let dev_ids: Vec<u32> = (0..)
        .filter(|i| is_dev_query(&i.to_string()))
        .take(4)
        .collect();
    let mut examples = Vec::new();
    for (n, (query, relevant)) in QUERIES.iter().enumerate() {
        for (split, id) in [("train", dev_ids[n]), ("test", 1000 + n as u32)] {
            for doc in 0..TITLES.len() {
                let label = if doc == *relevant { "E" } else { "I" };
                examples.push(
                    serde_json::json!({
                        "query_id": id.to_string(), "query": query,
                        "product_id": format!("P{doc}"), "esci_label": label, "split": split,
                    })
                    .to_string(),
                );
            }
        }
    }
    std::fs::write(tmp.join("examples.jsonl"), examples.join("\n")).unwrap();
    config.data.examples = "examples.jsonl".into();
    config.artifacts.runs_dir = tmp.join("runs");
    config.eval.min_timing_seconds = 0.0;
    config
}

#[test]
fn the_grid_tunes_every_fused_cell_on_dev_and_writes_its_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let config = setup(tmp.path());
    build_index(&config).unwrap();

    let mut plan = AblationPlan::full(vec![None]);
    plan.dims = vec![384, 32];
    let mut seen = 0;
    let result = run_ablation(&config, &plan, |_| seen += 1).unwrap();
    assert_eq!(
        seen,
        2 * 4 + 2,
        "4 strategies at 2 dims, then bm25 and splade"
    );
    assert_eq!(result.cells.len(), seen);
    assert_eq!(result.queries, QUERIES.len());
    for cell in &result.cells {
        let fused = cell.strategy.contains('+');
        assert_eq!(cell.fusion.is_some(), fused, "{}", cell.strategy);
        assert!((0.0..=1.0).contains(&cell.recall200), "{cell:?}");
        if let Some(f) = &cell.fusion {
            assert!(f.tune, "fused cells are tuned on dev");
        }
    }
    // Every test query's one relevant product is among 8: full recall everywhere.
    assert!(result.cells.iter().all(|c| c.recall200 == 1.0));

    let dir = save_ablation(&result, &config.artifacts.runs_dir).unwrap();
    let markdown = std::fs::read_to_string(dir.join("ablation.md")).unwrap();
    assert!(
        markdown.contains("| model | strategy | 384 | 32 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| base | dense+bm25+splade |"),
        "{markdown}"
    );
    let svg = std::fs::read_to_string(dir.join("recall_vs_dim.svg")).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 4);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ablation.json")).unwrap()).unwrap();
    assert_eq!(json["cells"].as_array().unwrap().len(), seen);
}

#[test]
fn search_serves_the_fusion_values_eval_tuned() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = setup(tmp.path());
    build_index(&config).unwrap();
    // Configured values the dev grid cannot produce (its k values are 5..100).
    config.fusion.k = 7.5;
    let strategy = Strategy::parse("dense+bm25").unwrap();
    let searcher = Searcher::open(&config, true).unwrap();
    assert_eq!(searcher.fusion_for(&strategy).unwrap().k, 7.5);
    let queries = split_queries(searcher.catalog(), QuerySet::Test);
    let (report, tuned) = evaluate_strategy(&searcher, &strategy, &config, &queries, true).unwrap();
    assert_ne!(tuned.k, 7.5);
    assert!(
        report.params["fusion_tuning"]["top"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );
    assert_eq!(report.params["fusion_tuning"]["query_set"], "dev");

    let reopened = Searcher::open(&config, false).unwrap();
    assert_eq!(reopened.fusion_for(&strategy).unwrap(), &tuned);
    // Tuning off: the configured values serve, whatever was recorded.
    config.fusion.tune = false;
    let untuned = Searcher::open(&config, false).unwrap();
    assert_eq!(untuned.fusion_for(&strategy).unwrap().k, 7.5);
}
