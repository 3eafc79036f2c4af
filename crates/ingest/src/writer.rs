//! Writing products in the official parquet schema.
//!
//! The synthetic-catalog generator and the tests need files that go through exactly the
//! code path a user's official file does, so this writes the official schema: the seven
//! product columns, all nullable Utf8, with empty optional fields stored as null as in
//! the official data (they read back as `""`). The write is atomic, a temporary file in
//! the destination directory renamed over the target, so a crash or a full disk never
//! leaves a half-written catalog where a reader expects a whole one.

use crate::IngestError;
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use esci_core::Product;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per record batch written (and per row group at most).
const BATCH_ROWS: usize = 8192;

/// The official column names, in the official order.
const COLUMNS: [&str; 7] = [
    "product_id",
    "product_title",
    "product_description",
    "product_bullet_point",
    "product_brand",
    "product_color",
    "product_locale",
];

/// Writes `products` to `path` in the official ESCI products schema (snappy-compressed),
/// atomically: a temporary file in the same directory is renamed over `path`.
pub fn write_products_parquet(path: &Path, products: &[Product]) -> Result<(), IngestError> {
    let temp = temp_path(path);
    let result = write_to(&temp, path, products).and_then(|()| {
        std::fs::rename(&temp, path).map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })
    });
    if result.is_err() {
        // Best effort: the temporary file is ours and useless after a failure.
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A hidden sibling of `path`, unique to this process and call.
fn temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "products.parquet".to_string());
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{unique}.tmp", std::process::id()))
}

/// Writes the file at `temp`; errors name `destination`, the path the caller knows.
fn write_to(temp: &Path, destination: &Path, products: &[Product]) -> Result<(), IngestError> {
    let write_error = |e: parquet::errors::ParquetError| IngestError::Write {
        path: destination.to_path_buf(),
        message: e.to_string(),
    };
    let io_error = |source| IngestError::Io {
        path: destination.to_path_buf(),
        source,
    };
    let schema = Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|name| Field::new(*name, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let file = File::create(temp).map_err(io_error)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer =
        ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(write_error)?;
    for chunk in products.chunks(BATCH_ROWS) {
        let column = |get: fn(&Product) -> &str, null_if_empty: bool| -> ArrayRef {
            Arc::new(StringArray::from_iter(chunk.iter().map(|p| {
                let value = get(p);
                (!(null_if_empty && value.is_empty())).then_some(value)
            })))
        };
        let columns = vec![
            column(|p| &p.id, false),
            column(|p| &p.title, true),
            column(|p| &p.description, true),
            column(|p| &p.bullets, true),
            column(|p| &p.brand, true),
            column(|p| &p.color, true),
            column(|p| &p.locale, true),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| write_error(parquet::errors::ParquetError::from(e)))?;
        writer.write(&batch).map_err(write_error)?;
    }
    let file = writer.into_inner().map_err(write_error)?;
    file.sync_all().map_err(io_error)
}
