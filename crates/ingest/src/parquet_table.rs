//! Streaming rows out of a parquet file.
//!
//! Only the wanted columns are decoded (a projection), record batch by record batch,
//! and values are handed out borrowed from the batch: the full 1.8M-product file is
//! read once, never materialised twice. The embedded arrow schema is ignored, so a
//! file written by pandas (large strings) or polars (string views) reads like one
//! written by Spark: types come from the parquet schema alone.
//!
//! The decoder is a third-party library fed arbitrary bytes; it reports corrupt input
//! as errors, but as a last line of defence any panic inside it is caught and turned
//! into [`IngestError::Corrupt`], so a bad file can never take the engine down.

use crate::IngestError;
use crate::table::{Column, ColumnKind, RowPos};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch, StringArray, StringViewArray};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use std::collections::BTreeMap;
use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc::sync_channel;

/// Rows per record batch: large enough to amortise per-batch work, small enough that a
/// batch of long descriptions stays a few megabytes.
const BATCH_ROWS: usize = 8192;

/// An opened parquet file, projected onto the wanted columns.
pub(crate) struct ParquetTable {
    reader: ParquetRecordBatchReader,
    rows: usize,
}

impl ParquetTable {
    /// Opens the file, checks the types of the wanted columns it has, and returns the
    /// names of all its columns.
    pub(crate) fn open(
        path: &Path,
        columns: &[Column],
    ) -> Result<(ParquetTable, Vec<String>), IngestError> {
        let file = File::open(path).map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let builder = guard(path, || {
            ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
        })?
        .map_err(|e| corrupt(path, e))?;
        let rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
        let schema = builder.schema().clone();
        let found: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mut roots = Vec::new();
        for column in columns {
            if let Some((index, field)) = schema.column_with_name(column.name) {
                if !accepts(column.kind, field.data_type()) {
                    return Err(IngestError::WrongType {
                        path: path.to_path_buf(),
                        column: column.name.to_string(),
                        found: field.data_type().to_string(),
                        expected: column.kind.expected(),
                    });
                }
                roots.push(index);
            }
        }
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let reader = guard(path, || {
            builder
                .with_projection(mask)
                .with_batch_size(BATCH_ROWS)
                .build()
        })?
        .map_err(|e| corrupt(path, e))?;
        Ok((ParquetTable { reader, rows }, found))
    }

    /// Rows in the file, from its metadata.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Streams every row through `prepare`, then `accept`, in file order.
    ///
    /// Decoding (decompression above all) runs on one thread, `prepare` (cleaning, the
    /// other big cost) on worker threads a batch at a time, and `accept` on the calling
    /// thread, which puts batches back in file order. When `accept` fails, the channels
    /// close and every thread stops after its current batch.
    pub(crate) fn for_each<T, P, A>(
        self,
        path: &Path,
        columns: &[Column],
        prepare: &P,
        accept: &mut A,
    ) -> Result<(), IngestError>
    where
        T: Send,
        P: Fn(&[Option<&str>]) -> T + Sync,
        A: FnMut(RowPos, T) -> Result<(), IngestError>,
    {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .clamp(1, MAX_WORKERS);
        let mut reader = self.reader;
        std::thread::scope(|scope| {
            let (done, finished) = sync_channel::<(usize, Result<Vec<T>, IngestError>)>(workers);
            let mut queues = Vec::with_capacity(workers);
            for _ in 0..workers {
                let (queue, jobs) = sync_channel::<(usize, RecordBatch)>(1);
                queues.push(queue);
                let done = done.clone();
                scope.spawn(move || {
                    for (seq, batch) in jobs {
                        let rows = prepare_batch(&batch, columns, prepare);
                        if done.send((seq, Ok(rows))).is_err() {
                            return;
                        }
                    }
                });
            }
            scope.spawn(move || {
                for seq in 0.. {
                    let batch = match guard(path, || reader.next()) {
                        Ok(None) => return,
                        Ok(Some(Ok(batch))) => Ok(batch),
                        Ok(Some(Err(e))) => Err(corrupt(path, e)),
                        Err(panicked) => Err(panicked),
                    };
                    match batch {
                        Ok(batch) => {
                            // A closed queue means the reader stopped early: stop too.
                            if queues[seq % workers].send((seq, batch)).is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            // Reported in order, after the batches before it.
                            let _ = done.send((seq, Err(e)));
                            return;
                        }
                    }
                }
            });
            let mut waiting = BTreeMap::new();
            let (mut next, mut row) = (0, 0);
            for (seq, rows) in finished {
                waiting.insert(seq, rows);
                while let Some(rows) = waiting.remove(&next) {
                    for prepared in rows? {
                        row += 1;
                        accept(RowPos { row, line: None }, prepared)?;
                    }
                    next += 1;
                }
            }
            Ok(())
        })
    }
}

/// Most worker threads used to prepare batches: beyond this the single decoding
/// thread is the bottleneck.
const MAX_WORKERS: usize = 4;

/// `prepare` applied to every row of a batch.
fn prepare_batch<T>(
    batch: &RecordBatch,
    columns: &[Column],
    prepare: &impl Fn(&[Option<&str>]) -> T,
) -> Vec<T> {
    let views: Vec<View<'_>> = columns
        .iter()
        .map(|c| View::of(batch.column_by_name(c.name)))
        .collect();
    let mut values = Vec::with_capacity(columns.len());
    let mut rows = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        values.clear();
        values.extend(views.iter().map(|view| view.get(i)));
        rows.push(prepare(&values));
    }
    rows
}

/// Whether a column of `data_type` can be read as `kind`. An all-null column (type
/// Null, as pandas writes a column of Nones) is accepted as absent values.
fn accepts(kind: ColumnKind, data_type: &DataType) -> bool {
    use DataType::*;
    match data_type {
        Utf8 | LargeUtf8 | Utf8View | Binary | LargeBinary | BinaryView | Null => true,
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => kind == ColumnKind::Id,
        _ => false,
    }
}

/// One column of a batch, readable row by row as optional text.
enum View<'a> {
    Absent,
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8Views(&'a StringViewArray),
    /// Integers and binary, converted once per batch.
    Owned(Vec<Option<String>>),
}

impl<'a> View<'a> {
    fn of(array: Option<&'a ArrayRef>) -> View<'a> {
        let Some(array) = array else {
            return View::Absent;
        };
        match array.data_type() {
            DataType::Utf8 => View::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => View::LargeUtf8(array.as_string::<i64>()),
            DataType::Utf8View => View::Utf8Views(array.as_string_view()),
            DataType::Binary => View::Owned(lossy(array.as_binary::<i32>().iter())),
            DataType::LargeBinary => View::Owned(lossy(array.as_binary::<i64>().iter())),
            DataType::BinaryView => View::Owned(lossy(array.as_binary_view().iter())),
            DataType::Int8 => View::Owned(ints::<Int8Type>(array)),
            DataType::Int16 => View::Owned(ints::<Int16Type>(array)),
            DataType::Int32 => View::Owned(ints::<Int32Type>(array)),
            DataType::Int64 => View::Owned(ints::<Int64Type>(array)),
            DataType::UInt8 => View::Owned(ints::<UInt8Type>(array)),
            DataType::UInt16 => View::Owned(ints::<UInt16Type>(array)),
            DataType::UInt32 => View::Owned(ints::<UInt32Type>(array)),
            DataType::UInt64 => View::Owned(ints::<UInt64Type>(array)),
            _ => View::Absent,
        }
    }

    fn get(&self, i: usize) -> Option<&str> {
        match self {
            View::Absent => None,
            View::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            View::LargeUtf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            View::Utf8Views(a) => (!a.is_null(i)).then(|| a.value(i)),
            View::Owned(values) => values.get(i).and_then(|v| v.as_deref()),
        }
    }
}

fn ints<T: ArrowPrimitiveType>(array: &ArrayRef) -> Vec<Option<String>>
where
    T::Native: std::fmt::Display,
{
    array
        .as_primitive::<T>()
        .iter()
        .map(|v| v.map(|n| n.to_string()))
        .collect()
}

fn lossy<'b>(values: impl Iterator<Item = Option<&'b [u8]>>) -> Vec<Option<String>> {
    values
        .map(|v| v.map(|bytes| String::from_utf8_lossy(bytes).into_owned()))
        .collect()
}

fn corrupt(path: &Path, error: impl std::fmt::Display) -> IngestError {
    IngestError::Corrupt {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// Runs `f`, turning a panic in the decoder into [`IngestError::Corrupt`].
fn guard<T>(path: &Path, f: impl FnOnce() -> T) -> Result<T, IngestError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        corrupt(path, format!("the parquet decoder failed: {message}"))
    })
}
