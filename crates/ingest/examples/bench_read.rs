//! Times reading large files in the official schema.
//!
//! Builds a products file and an examples file of ROWS rows each (default 480,000) by
//! repeating the raw rows of the shared ESCI files with ids made unique per copy (raw,
//! so HTML cleaning is exercised as on real data), then times parquet decoding alone,
//! cleaning alone, `read_products`, `read_judgments` and `Catalog::load` on them.
//!
//! Usage: `cargo run --release -p esci-ingest --example bench_read -- [ROWS] [DATA_DIR]`
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use esci_ingest::{
    Catalog, EXAMPLES_FILE, IngestReport, PRODUCTS_FILE, clean_lines, clean_text, read_judgments,
    read_products,
};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(480_000);
    let source = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/esci"
        ))
    });
    let dir = std::env::temp_dir().join(format!("esci-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let products = dir.join(PRODUCTS_FILE);
    let examples = dir.join(EXAMPLES_FILE);
    replicate(
        &source.join(PRODUCTS_FILE),
        &products,
        rows,
        suffix_product_ids,
    )?;
    replicate(
        &source.join(EXAMPLES_FILE),
        &examples,
        rows,
        |batch, copy| {
            let batch = suffix_product_ids(batch, copy)?;
            let schema = batch.schema();
            let index = schema.index_of("query_id")?;
            let ids = batch.column(index).as_primitive::<Int64Type>();
            let shift = copy as i64 * 1_000_000_000;
            let ids: ArrayRef = Arc::new(
                ids.iter()
                    .map(|id| id.map(|id| id + shift))
                    .collect::<Int64Array>(),
            );
            let mut columns = batch.columns().to_vec();
            columns[index] = ids;
            Ok(RecordBatch::try_new(schema, columns)?)
        },
    )?;
    for path in [&products, &examples] {
        let size = std::fs::metadata(path)?.len();
        println!(
            "wrote {rows} rows ({:.1} MB) to {}",
            size as f64 / 1e6,
            path.display()
        );
    }

    let start = Instant::now();
    let decoded: Vec<RecordBatch> =
        ParquetRecordBatchReaderBuilder::try_new(File::open(&products)?)?
            .with_batch_size(8192)
            .build()?
            .collect::<Result<_, _>>()?;
    println!("products, decode only: {:?}", start.elapsed());
    let start = Instant::now();
    let mut cleaned = 0;
    for batch in &decoded {
        for name in [
            "product_title",
            "product_description",
            "product_bullet_point",
            "product_brand",
            "product_color",
        ] {
            let column = batch
                .column_by_name(name)
                .ok_or("column")?
                .as_string::<i32>();
            for value in column.iter().flatten() {
                let clean = if name == "product_bullet_point" {
                    clean_lines(value)
                } else {
                    clean_text(value)
                };
                cleaned += clean.len();
            }
        }
    }
    println!(
        "products, clean only (one thread): {:.0} MB in {:?}",
        cleaned as f64 / 1e6,
        start.elapsed()
    );
    drop(decoded);

    for _ in 0..3 {
        let (cpu, start) = (cpu_seconds(), Instant::now());
        let products = read_products(&products, Some("us"), &mut IngestReport::default())?;
        let text: usize = products
            .iter()
            .map(|p| {
                p.title.len()
                    + p.brand.len()
                    + p.color.len()
                    + p.bullets.len()
                    + p.description.len()
            })
            .sum();
        println!(
            "read_products: {} products ({:.0} MB of clean text) in {:?} (cpu {:.2}s)",
            products.len(),
            text as f64 / 1e6,
            start.elapsed(),
            cpu_seconds() - cpu
        );
    }
    for _ in 0..3 {
        let (cpu, start) = (cpu_seconds(), Instant::now());
        let judgments = read_judgments(&examples, Some("us"), &mut IngestReport::default())?;
        println!(
            "read_judgments: {} judgments in {:?} (cpu {:.2}s)",
            judgments.len(),
            start.elapsed(),
            cpu_seconds() - cpu
        );
    }
    let start = Instant::now();
    let catalog = Catalog::load(&products, Some(&examples), Some("us"))?;
    println!(
        "Catalog::load: {} products, {} judgments in {:?}",
        catalog.len(),
        catalog.judgments.len(),
        start.elapsed()
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Writes `rows` rows to `dest`: the rows of `source` over and over, each copy passed
/// through `unique` with its copy number.
fn replicate(
    source: &Path,
    dest: &Path,
    rows: usize,
    unique: impl Fn(&RecordBatch, usize) -> Result<RecordBatch, Error>,
) -> Result<(), Error> {
    let batches: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(File::open(source)?)?
        .build()?
        .collect::<Result<_, _>>()?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(File::create(dest)?, batches[0].schema(), Some(props))?;
    let (mut written, mut copy) = (0, 0);
    while written < rows {
        for batch in &batches {
            let take = batch.num_rows().min(rows - written);
            writer.write(&unique(&batch.slice(0, take), copy)?)?;
            written += take;
        }
        copy += 1;
    }
    writer.close()?;
    Ok(())
}

/// `product_id` suffixed with `-copy`.
fn suffix_product_ids(batch: &RecordBatch, copy: usize) -> Result<RecordBatch, Error> {
    let schema = batch.schema();
    let index = schema.index_of("product_id")?;
    let ids = batch.column(index).as_string::<i32>();
    let ids: ArrayRef = Arc::new(StringArray::from_iter_values(
        ids.iter().map(|id| format!("{}-{copy}", id.unwrap_or(""))),
    ));
    let mut columns = batch.columns().to_vec();
    columns[index] = ids;
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
