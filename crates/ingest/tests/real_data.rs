//! The shared ESCI subset (official schema) loads completely and consistently.
//!
//! Counts are asserted exactly so that a change in cleaning or validation that drops or
//! adds rows shows up here, with the report printed for the record.

use esci_ingest::{Catalog, EXAMPLES_FILE, IngestReport, PRODUCTS_FILE, WarningKind};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn data_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/esci"
    ))
    .to_path_buf()
}

fn load(locale: Option<&str>) -> Catalog {
    let dir = data_dir();
    let start = Instant::now();
    let catalog = Catalog::load(
        &dir.join(PRODUCTS_FILE),
        Some(&dir.join(EXAMPLES_FILE)),
        locale,
    )
    .expect("the shared ESCI files load");
    println!(
        "loaded in {:?} (locale {locale:?}):\n{}",
        start.elapsed(),
        catalog.report.summary()
    );
    catalog
}

#[test]
fn shared_files_load_with_every_row_accounted_for() {
    let catalog = load(Some("us"));
    let report: &IngestReport = &catalog.report;
    assert_eq!(catalog.len(), 12_777);
    assert_eq!(report.products_read, 12_777);
    assert_eq!(report.products_kept, 12_777);
    assert_eq!(report.products_other_locale, 0);
    assert_eq!(report.judgments_read, 9_803);
    assert_eq!(report.judgments_other_locale, 0);
    assert_eq!(report.judgments_kept, catalog.judgments.len());
    // Every row read is kept, in another locale, or skipped with a warning.
    let skipped = report.rows_skipped();
    assert_eq!(
        report.products_read + report.judgments_read,
        report.products_kept
            + report.products_other_locale
            + report.judgments_kept
            + report.judgments_other_locale
            + skipped,
        "{}",
        report.summary()
    );
    assert_eq!(report.judgments_kept, 9_803 - skipped);
    // Every judgment resolves, and to the product it names.
    for judgment in &catalog.judgments {
        let doc = catalog
            .doc_id(&judgment.product_id)
            .expect("judgment resolves");
        assert_eq!(catalog.products[doc as usize].id, judgment.product_id);
    }
    for (doc, product) in catalog.products.iter().enumerate() {
        assert_eq!(catalog.doc_id(&product.id), Some(doc as u32));
        assert_eq!(product.locale, "us");
    }
}

#[test]
fn shared_files_have_expected_shape() {
    let catalog = load(None);
    assert_eq!(catalog.len(), 12_777);
    let queries: HashSet<&str> = catalog
        .judgments
        .iter()
        .map(|j| j.query_id.as_str())
        .collect();
    let mut labels: HashMap<char, usize> = HashMap::new();
    for judgment in &catalog.judgments {
        *labels.entry(judgment.label.letter()).or_default() += 1;
    }
    println!("{} queries; labels {labels:?}", queries.len());
    assert!(!queries.is_empty());
    assert!(labels.contains_key(&'E'));
    // Cleaning left no markup and no stray whitespace behind.
    for product in &catalog.products {
        for text in [
            &product.title,
            &product.description,
            &product.brand,
            &product.color,
        ] {
            assert!(!text.contains("<br"), "{}: {text}", product.id);
            assert!(
                !text.contains('\n') && !text.contains("  "),
                "{}",
                product.id
            );
            assert_eq!(text.trim(), text.as_str());
        }
        assert!(!product.bullets.contains("\n\n"), "{}", product.id);
    }
    let with = |f: fn(&esci_core::Product) -> &str| {
        catalog.products.iter().filter(|p| !f(p).is_empty()).count()
    };
    println!(
        "non-empty: title {}, brand {}, color {}, bullets {}, description {}; empty titles {}",
        with(|p| &p.title),
        with(|p| &p.brand),
        with(|p| &p.color),
        with(|p| &p.bullets),
        with(|p| &p.description),
        catalog.report.count(WarningKind::EmptyTitle)
    );
}
