//! Files larger than one record batch: parquet rows are decoded and cleaned on several
//! threads, so check that order, row numbers and errors survive the hand-offs.

mod common;

use esci_core::Product;
use esci_ingest::{IngestError, IngestReport, WarningKind, read_products, write_products_parquet};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::path::Path;

const ROWS: usize = 30_000;

/// Products `p0..`, with row 25,001 (1-based) repeating the id of row 3.
fn products() -> Vec<Product> {
    let mut products: Vec<Product> = (0..ROWS)
        .map(|i| Product {
            id: format!("p{i}"),
            title: format!("Product  <b>{i}</b>"),
            description: "<p>Line one</p><p>Line two &amp; more</p>".into(),
            locale: if i % 3 == 0 { "es".into() } else { "us".into() },
            ..Product::default()
        })
        .collect();
    products[25_000].id = "p2".into();
    products
}

#[test]
fn order_and_row_numbers_survive_parallel_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.parquet");
    write_products_parquet(&path, &products()).unwrap();
    let mut report = IngestReport::default();
    let read = read_products(&path, None, &mut report).unwrap();
    assert_eq!(read.len(), ROWS - 1);
    for (i, product) in read.iter().take(25_000).enumerate() {
        assert_eq!(product.id, format!("p{i}"));
        assert_eq!(product.title, format!("Product {i}"));
    }
    assert_eq!(read[25_000].id, "p25001");
    assert_eq!(read[0].description, "Line one Line two & more");
    let warning = &report.examples(WarningKind::DuplicateProductId)[0];
    assert_eq!(warning.row, 25_001, "{warning}");
    assert!(warning.message.contains("row 3"), "{warning}");

    let mut report = IngestReport::default();
    let us = read_products(&path, Some("us"), &mut report).unwrap();
    assert!(us.iter().all(|p| p.locale == "us"));
    assert_eq!(report.products_other_locale, ROWS / 3);
    assert_eq!(
        report.products_kept + report.products_other_locale + 1,
        ROWS
    );
}

/// Writes two row groups, then overwrites the data of the second with garbage.
fn write_damaged(path: &Path) {
    let products = products();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(ROWS / 2))
        .build();
    let tmp = path.with_extension("clean.parquet");
    write_products_parquet(&tmp, &products).unwrap();
    // Rewrite with two row groups through the arrow writer.
    let batches: Vec<_> = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&tmp).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap()
    .map(Result::unwrap)
    .collect();
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batches[0].schema(),
        Some(props),
    )
    .unwrap();
    for batch in &batches {
        writer.write(batch).unwrap();
    }
    writer.close().unwrap();
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let metadata = reader.metadata();
    assert_eq!(metadata.num_row_groups(), 2);
    let (start, len) = metadata.row_group(1).column(1).byte_range();
    let mut bytes = std::fs::read(path).unwrap();
    for byte in &mut bytes[start as usize..(start + len) as usize] {
        *byte = 0xAB;
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn corrupt_data_midway_is_an_error_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.parquet");
    write_damaged(&path);
    let mut report = IngestReport::default();
    let err = read_products(&path, None, &mut report).unwrap_err();
    assert!(matches!(err, IngestError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("damaged.parquet"), "{err}");
    // Rows before the damage were read (and would have been reported in order).
    assert!(report.products_read >= ROWS / 4, "{}", report.products_read);
}
