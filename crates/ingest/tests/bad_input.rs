//! Every kind of bad input gives an error or a warning that names the file and, where
//! it applies, the column and row or line.

mod common;

use common::*;
use esci_ingest::{
    Catalog, IngestError, IngestReport, PRODUCTS_FILE, WarningKind, read_judgments, read_products,
};
use std::path::Path;

fn products_err(path: &Path) -> IngestError {
    read_products(path, None, &mut IngestReport::default()).unwrap_err()
}

fn judgments(path: &Path) -> (Vec<esci_core::Judgment>, IngestReport) {
    let mut report = IngestReport::default();
    let judgments = read_judgments(path, None, &mut report).unwrap();
    (judgments, report)
}

/// Asserts `text` contains every needle.
fn assert_names(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
}

#[test]
fn missing_file_names_path_and_expected_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "nope.parquet");
    let err = products_err(&path);
    assert!(matches!(err, IngestError::NotFound { .. }));
    assert_names(
        &err.to_string(),
        &["nope.parquet", "products", PRODUCTS_FILE],
    );
    let err = products_err(dir.path());
    assert_names(&err.to_string(), &["is a directory", PRODUCTS_FILE]);

    let products = file(&dir, "p.csv");
    write_text(&products, "product_id,product_title\na,Mug\n");
    let examples = file(&dir, "missing_examples.csv");
    let err = Catalog::load(&products, Some(&examples), None).unwrap_err();
    assert_names(
        &err.to_string(),
        &["examples file not found", "missing_examples.csv"],
    );
}

#[test]
fn unknown_extension_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "products.xlsx");
    write_text(&path, "whatever");
    let err = products_err(&path);
    assert!(matches!(err, IngestError::UnknownFormat { .. }));
    assert_names(&err.to_string(), &["products.xlsx", "xlsx", ".parquet"]);
}

#[test]
fn missing_required_column_lists_columns_found() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = file(&dir, "p.parquet");
    write_parquet(
        &parquet,
        vec![("product_id", texts(&["a"])), ("title", texts(&["Mug"]))],
    );
    let jsonl = file(&dir, "p.jsonl");
    write_text(&jsonl, "{\"product_id\": \"a\", \"title\": \"Mug\"}\n");
    let csv = file(&dir, "p.csv");
    write_text(&csv, "product_id,title\na,Mug\n");
    for path in [&parquet, &jsonl, &csv] {
        let err = products_err(path);
        assert!(matches!(
            err,
            IngestError::MissingColumn {
                column: "product_title",
                ..
            }
        ));
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_names(
            &err.to_string(),
            &[name, "`product_title`", "product_id, title"],
        );
    }
    let examples = file(&dir, "e.csv");
    write_text(&examples, "query_id,query,product_id,split\n1,mug,a,test\n");
    let err = read_judgments(&examples, None, &mut IngestReport::default()).unwrap_err();
    assert_names(&err.to_string(), &["e.csv", "`esci_label`"]);
}

#[test]
fn wrong_column_type_names_column_and_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "p.parquet");
    write_parquet(
        &path,
        vec![
            ("product_id", texts(&["a"])),
            ("product_title", ints(&[42])),
        ],
    );
    let err = products_err(&path);
    assert!(matches!(err, IngestError::WrongType { .. }));
    assert_names(
        &err.to_string(),
        &["p.parquet", "`product_title`", "Int64", "string"],
    );

    let jsonl = file(&dir, "p.jsonl");
    write_text(
        &jsonl,
        "{\"product_id\": \"a\", \"product_title\": \"Mug\"}\n{\"product_id\": \"b\", \"product_title\": true}\n",
    );
    let err = products_err(&jsonl);
    assert!(matches!(err, IngestError::Parse { line: 2, .. }));
    assert_names(
        &err.to_string(),
        &["p.jsonl", "line 2", "`product_title`", "boolean"],
    );
}

#[test]
fn duplicate_product_id_keeps_first_and_names_rows() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = file(&dir, "p.parquet");
    write_parquet(
        &parquet,
        vec![
            ("product_id", texts(&["a", "b", "a"])),
            ("product_title", texts(&["First", "B", "Second"])),
        ],
    );
    let mut report = IngestReport::default();
    let products = read_products(&parquet, None, &mut report).unwrap();
    assert_eq!(products.len(), 2);
    assert_eq!(products[0].title, "First");
    assert_eq!(report.count(WarningKind::DuplicateProductId), 1);
    assert_eq!(report.warning_count(), 1);
    let warning = &report.examples(WarningKind::DuplicateProductId)[0];
    assert_eq!(warning.row, 3);
    assert_names(
        &warning.to_string(),
        &["p.parquet", "row 3", "`a`", "row 1"],
    );
    assert_eq!((report.products_read, report.products_kept), (3, 2));

    let csv = file(&dir, "p.csv");
    write_text(
        &csv,
        "product_id,product_title\na,First\n\"b\",\"two\nlines\"\na,Second\n",
    );
    let mut report = IngestReport::default();
    read_products(&csv, None, &mut report).unwrap();
    let warning = &report.examples(WarningKind::DuplicateProductId)[0];
    assert_eq!((warning.row, warning.line), (3, Some(5)));
    assert_names(
        &report.summary(),
        &["duplicate_product_id: 1 (skipped)", "p.csv, row 3 (line 5)"],
    );
}

#[test]
fn empty_title_and_empty_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "p.parquet");
    write_parquet(
        &path,
        vec![
            (
                "product_id",
                strings(&[Some("a"), Some(" "), None, Some("d")]),
            ),
            (
                "product_title",
                strings(&[Some("<br>"), Some("x"), Some("y"), None]),
            ),
            (
                "product_brand",
                strings(&[Some("Acme"), None, None, Some("Zed")]),
            ),
        ],
    );
    let mut report = IngestReport::default();
    let products = read_products(&path, None, &mut report).unwrap();
    assert_eq!(
        products.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["a", "d"]
    );
    assert_eq!(products[0].brand, "Acme");
    assert_eq!(report.count(WarningKind::EmptyTitle), 2);
    assert_eq!(report.count(WarningKind::EmptyProductId), 2);
    let rows: Vec<usize> = report
        .examples(WarningKind::EmptyProductId)
        .iter()
        .map(|w| w.row)
        .collect();
    assert_eq!(rows, [2, 3]);
    assert_names(
        &report.examples(WarningKind::EmptyTitle)[1].to_string(),
        &["p.parquet", "row 4", "`d`"],
    );
}

#[test]
fn judgment_warnings_name_file_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let products = file(&dir, "p.csv");
    write_text(&products, "product_id,product_title\na,Mug\nb,Cup\n");
    let examples = file(&dir, "e.csv");
    write_text(
        &examples,
        "query_id,query,product_id,esci_label,split\n\
         1,mug,a,E,train\n\
         1,mug,zzz,E,train\n\
         1,mug,b,X,train\n\
         1,mug,b,S,dev\n\
         1,mug,a,I,train\n\
         1,MUG,b,S,train\n\
         2,  ,a,E,test\n\
         ,cup,a,E,test\n\
         3,cup,,E,test\n",
    );
    let catalog = Catalog::load(&products, Some(&examples), None).unwrap();
    let report = &catalog.report;
    let expect = [
        (WarningKind::UnknownProduct, 2, "`zzz`"),
        (WarningKind::BadLabel, 3, "`X`"),
        (WarningKind::BadSplit, 4, "`dev`"),
        (WarningKind::DuplicateJudgment, 5, "row 1"),
        (WarningKind::QueryTextMismatch, 6, "`MUG`"),
        (WarningKind::EmptyQuery, 7, "empty query"),
        (WarningKind::EmptyProductId, 9, "empty product_id"),
    ];
    for (kind, row, needle) in expect {
        let warning = &report.examples(kind)[0];
        assert_eq!(warning.row, row, "{warning}");
        assert_names(
            &warning.to_string(),
            &["e.csv", &format!("row {row} (line {})", row + 1), needle],
        );
    }
    assert_eq!(report.count(WarningKind::EmptyQuery), 2);
    assert_eq!(report.warning_count(), 8);
    // Kept: row 1, and row 6 (mismatched text, given the first text).
    assert_eq!(catalog.judgments.len(), 2);
    assert_eq!(catalog.judgments[1].query, "mug");
    assert_eq!(report.judgments_read, 9);
    assert_eq!(
        report.judgments_kept + report.rows_skipped(),
        report.judgments_read
    );

    // Read alone, the unknown product is not yet known to be unknown.
    let (alone, report) = judgments(&examples);
    assert_eq!(
        (alone.len(), report.count(WarningKind::UnknownProduct)),
        (3, 0)
    );
}

#[test]
fn garbage_parquet_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "p.parquet");
    for bytes in [
        &b""[..],
        b"PAR1",
        b"hello, this is not parquet at all PAR1",
        &[0xff; 4096],
    ] {
        std::fs::write(&path, bytes).unwrap();
        let err = products_err(&path);
        assert!(matches!(err, IngestError::Corrupt { .. }), "{err}");
        assert_names(
            &err.to_string(),
            &["p.parquet", "not a readable parquet file"],
        );
    }
    // A truncated real file.
    esci_ingest::write_products_parquet(&path, &sample_products()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(products_err(&path), IngestError::Corrupt { .. }));
}

#[test]
fn malformed_jsonl_names_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "p.jsonl");
    write_text(
        &path,
        "{\"product_id\": \"a\", \"product_title\": \"Mug\"}\n\n{\"product_id\": \"b\", \n",
    );
    let err = products_err(&path);
    assert!(matches!(err, IngestError::Parse { line: 3, .. }), "{err}");
    assert_names(&err.to_string(), &["p.jsonl", "line 3", "not valid JSON"]);

    write_text(
        &path,
        "{\"product_id\": \"a\", \"product_title\": \"Mug\"}\n[1, 2]\n",
    );
    assert_names(
        &products_err(&path).to_string(),
        &[
            "p.jsonl",
            "line 2",
            "expected a JSON object, found an array",
        ],
    );

    std::fs::write(
        &path,
        b"{\"product_id\": \"a\", \"product_title\": \"M\xffug\"}\n",
    )
    .unwrap();
    assert_names(
        &products_err(&path).to_string(),
        &["p.jsonl", "line 1", "UTF-8"],
    );
}

#[test]
fn csv_short_row_names_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "p.csv");
    write_text(
        &path,
        "product_id,product_title,product_brand\na,Mug,Acme\nb,Cup\n",
    );
    let err = products_err(&path);
    assert!(matches!(err, IngestError::Parse { line: 3, .. }), "{err}");
    assert_names(
        &err.to_string(),
        &["p.csv", "line 3", "2 fields", "header has 3"],
    );

    std::fs::write(&path, b"product_id,product_title\na,M\xffug\n").unwrap();
    assert_names(
        &products_err(&path).to_string(),
        &["p.csv", "line 2", "UTF-8"],
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn read_any(name: &str, bytes: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let path = file(&dir, name);
        std::fs::write(&path, bytes).unwrap();
        let _ = read_products(&path, Some("us"), &mut IngestReport::default());
        let _ = read_judgments(&path, None, &mut IngestReport::default());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for name in ["x.parquet", "x.jsonl", "x.csv"] {
                read_any(name, &bytes);
            }
        }

        #[test]
        fn on_damaged_parquet(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
            let dir = tempfile::tempdir().unwrap();
            let path = file(&dir, "x.parquet");
            esci_ingest::write_products_parquet(&path, &sample_products()).unwrap();
            let mut bytes = std::fs::read(&path).unwrap();
            for (index, value) in flips {
                let i = index.index(bytes.len());
                bytes[i] ^= value;
            }
            read_any("x.parquet", &bytes);
        }
    }
}
