//! Prints the arrow schema, row count and row groups of parquet files.
//!
//! Usage: `cargo run -p esci-ingest --example schema -- FILE...`
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path)?)?;
        let meta = builder.metadata().file_metadata();
        println!(
            "{path}: {} rows, {} row groups",
            meta.num_rows(),
            builder.metadata().num_row_groups()
        );
        for field in builder.schema().fields() {
            println!(
                "  {}: {} (nullable: {})",
                field.name(),
                field.data_type(),
                field.is_nullable()
            );
        }
    }
    Ok(())
}
