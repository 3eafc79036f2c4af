//! The three input formats give identical results, ids of any integer type read as
//! text, the locale filter works, and the parquet writer round-trips.

mod common;

use arrow_array::{ArrayRef, Int32Array, LargeStringArray, NullArray, UInt64Array};
use common::*;
use esci_core::{EsciLabel, Split};
use esci_ingest::{
    Catalog, Format, IngestReport, read_judgments, read_products, write_products_parquet,
};
use std::sync::Arc;

fn read(path: &std::path::Path) -> Vec<esci_core::Product> {
    let mut report = IngestReport::default();
    let products = read_products(path, None, &mut report).unwrap();
    assert_eq!(report.warning_count(), 0, "{}", report.summary());
    products
}

#[test]
fn parquet_jsonl_and_csv_load_identically() {
    let dir = tempfile::tempdir().unwrap();
    let products = sample_products();
    let parquet = file(&dir, "p.parquet");
    write_products_parquet(&parquet, &products).unwrap();
    let jsonl = file(&dir, "p.jsonl");
    write_text(&jsonl, &products_jsonl(&products));
    let csv = file(&dir, "p.csv");
    write_text(&csv, &products_csv(&products));
    assert_eq!(Format::detect(&csv).unwrap(), Format::Csv);

    let expected = cleaned_sample();
    assert_eq!(read(&parquet), expected);
    assert_eq!(read(&jsonl), expected);
    assert_eq!(read(&csv), expected);
}

#[test]
fn writer_round_trips_clean_products() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "products.parquet");
    let products = cleaned_sample();
    write_products_parquet(&path, &products).unwrap();
    assert_eq!(read(&path), products);
    // Overwriting is atomic and leaves no temporary file behind.
    write_products_parquet(&path, &products[..1]).unwrap();
    assert_eq!(read(&path), products[..1].to_vec());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("products.parquet")]);
    // An empty catalog is a valid file too.
    write_products_parquet(&path, &[]).unwrap();
    assert!(read(&path).is_empty());
}

#[test]
fn write_into_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/p.parquet");
    let err = write_products_parquet(&path, &sample_products()).unwrap_err();
    assert!(err.to_string().contains("p.parquet"), "{err}");
}

#[test]
fn ids_of_any_integer_type_read_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let products = file(&dir, "p.parquet");
    let ids: ArrayRef = Arc::new(UInt64Array::from(vec![7u64, 8]));
    write_parquet(
        &products,
        vec![("product_id", ids), ("product_title", texts(&["a", "b"]))],
    );
    let examples = file(&dir, "e.parquet");
    let query_ids: ArrayRef = Arc::new(Int32Array::from(vec![1, 1]));
    write_parquet(
        &examples,
        vec![
            ("example_id", ints(&[10, 11])),
            ("query", texts(&["red  mug", "red mug"])),
            ("query_id", query_ids),
            ("product_id", ints(&[7, 8])),
            ("esci_label", texts(&["E", "I"])),
            ("split", texts(&["train", "train"])),
        ],
    );
    let catalog = Catalog::load(&products, Some(&examples), Some("us")).unwrap();
    assert_eq!(catalog.doc_id("8"), Some(1));
    assert_eq!(catalog.judgments.len(), 2);
    let first = &catalog.judgments[0];
    assert_eq!(
        (first.query_id.as_str(), first.query.as_str()),
        ("1", "red mug")
    );
    assert_eq!((first.label, first.split), (EsciLabel::Exact, Split::Train));
    assert_eq!(
        catalog.report.warning_count(),
        0,
        "{}",
        catalog.report.summary()
    );
}

#[test]
fn large_strings_and_all_null_columns_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "p.parquet");
    let titles: ArrayRef = Arc::new(LargeStringArray::from(vec!["Mug", "Cup"]));
    let nulls: ArrayRef = Arc::new(NullArray::new(2));
    write_parquet(
        &path,
        vec![
            ("product_id", texts(&["a", "b"])),
            ("product_title", titles),
            ("product_brand", nulls),
        ],
    );
    let products = read(&path);
    assert_eq!(products[1].title, "Cup");
    assert_eq!(products[1].brand, "");
}

#[test]
fn locale_filter_counts_other_locales() {
    let dir = tempfile::tempdir().unwrap();
    let products = file(&dir, "p.jsonl");
    // The first object omits the locale (an exporter dropping nulls): its locale is
    // unknown, so it is kept, and the column still filters the rows that have it.
    write_text(
        &products,
        concat!(
            "\u{feff}{\"product_id\": \"z\", \"product_title\": \"Untagged\"}\n",
            r#"{"product_id": "a", "product_title": "Mug", "product_locale": "us"}"#,
            "\n",
            r#"{"product_id": "b", "product_title": "Taza", "product_locale": "es"}"#,
            "\n\n",
            r#"{"product_id": "c", "product_title": "Cup", "product_locale": " US"}"#,
            "\n",
        ),
    );
    let examples = file(&dir, "e.csv");
    write_text(
        &examples,
        "query_id,query,product_id,esci_label,split,product_locale\n\
         1,mug,a,E,test,us\n2,taza,b,E,test,es\n",
    );
    let catalog = Catalog::load(&products, Some(&examples), Some("us")).unwrap();
    let report = &catalog.report;
    let ids: Vec<&str> = catalog.products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["z", "a", "c"]);
    assert_eq!(catalog.products[2].locale, "US");
    let products_counts = (
        report.products_read,
        report.products_kept,
        report.products_other_locale,
    );
    assert_eq!(products_counts, (4, 3, 1));
    let judgment_counts = (
        report.judgments_read,
        report.judgments_kept,
        report.judgments_other_locale,
    );
    assert_eq!(judgment_counts, (2, 1, 1));
    assert_eq!(report.warning_count(), 0);

    // No locale (or an empty one) keeps everything, and so does a file without the column.
    for locale in [None, Some(""), Some("  ")] {
        let all = Catalog::load(&products, Some(&examples), locale).unwrap();
        assert_eq!((all.len(), all.judgments.len()), (4, 2));
    }
    let no_column = file(&dir, "n.csv");
    write_text(&no_column, "product_id,product_title\nx,Mug\n");
    let mut report = IngestReport::default();
    assert_eq!(
        read_products(&no_column, Some("jp"), &mut report)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn judgments_read_alone_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let csv = file(&dir, "e.csv");
    write_text(
        &csv,
        "query_id,query,product_id,esci_label,split\n5,lamp,a,S,train\n5,lamp,b,C,train\n",
    );
    let jsonl = file(&dir, "e.ndjson");
    write_text(
        &jsonl,
        concat!(
            r#"{"query_id": 5, "query": "lamp", "product_id": "a", "esci_label": "S", "split": "train"}"#,
            "\n",
            r#"{"query_id": 5, "query": "lamp", "product_id": "b", "esci_label": "C", "split": "train"}"#,
            "\n",
        ),
    );
    let parquet = file(&dir, "e.parquet");
    write_parquet(
        &parquet,
        vec![
            ("query_id", ints(&[5, 5])),
            ("query", texts(&["lamp", "lamp"])),
            ("product_id", texts(&["a", "b"])),
            ("esci_label", texts(&["S", "C"])),
            ("split", texts(&["train", "train"])),
        ],
    );
    let mut results = Vec::new();
    for path in [&csv, &jsonl, &parquet] {
        let mut report = IngestReport::default();
        results.push(read_judgments(path, None, &mut report).unwrap());
        assert_eq!((report.judgments_read, report.judgments_kept), (2, 2));
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0], results[2]);
    assert_eq!(results[0][1].label, EsciLabel::Complement);
}
