//! One row-oriented view over parquet, JSONL and CSV files.
//!
//! Products and judgments are validated row by row with the same rules whatever the
//! format, so the formats differ only in how a row's values are found. A reader is
//! opened in two steps: [`Table::open`] checks the file, its format and its columns
//! (so a missing required column fails before any row is read, and the caller learns
//! which optional columns exist), then [`Table::for_each`] streams the rows once,
//! handing borrowed values to a stateless `prepare` step (which may run in parallel)
//! and its result to a sequential `accept` step, without an intermediate table.

use crate::parquet_table::ParquetTable;
use crate::text_table::{CsvTable, JsonlTable};
use crate::{Format, IngestError};
use std::path::{Path, PathBuf};

/// How a column's values may be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    /// Text only: a number where text is expected is a sign of a mislabelled column.
    Text,
    /// An identifier: text or any integer type (the official files store `query_id`
    /// as int64), turned into its decimal string.
    Id,
}

impl ColumnKind {
    /// What the kind accepts, for error messages.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            ColumnKind::Text => "a string column (Utf8, LargeUtf8, Utf8View or Binary)",
            ColumnKind::Id => "a string or integer column",
        }
    }
}

/// A column the caller wants.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    /// Name, as in the official schema.
    pub name: &'static str,
    /// Whether a file without it is an error (otherwise its values are all absent).
    pub required: bool,
    /// Accepted storage.
    pub kind: ColumnKind,
}

impl Column {
    /// A required column.
    pub(crate) const fn required(name: &'static str, kind: ColumnKind) -> Column {
        Column {
            name,
            required: true,
            kind,
        }
    }

    /// An optional text column.
    pub(crate) const fn optional(name: &'static str) -> Column {
        Column {
            name,
            required: false,
            kind: ColumnKind::Text,
        }
    }
}

/// Where a row is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowPos {
    /// 1-based data row.
    pub row: usize,
    /// 1-based line, for text formats.
    pub line: Option<u64>,
}

/// An opened, column-checked file, ready to stream its rows.
pub(crate) struct Table {
    path: PathBuf,
    inner: Inner,
}

enum Inner {
    Parquet(ParquetTable),
    Jsonl(JsonlTable),
    Csv(CsvTable),
}

impl Table {
    /// Opens `path` (a `what` file, e.g. "products", for error messages) and checks that
    /// every required column is present with an acceptable type.
    pub(crate) fn open(
        path: &Path,
        what: &'static str,
        hint: &str,
        columns: &[Column],
    ) -> Result<Table, IngestError> {
        if !path.is_file() {
            let hint = if path.is_dir() {
                format!(
                    "{} is a directory; expected a file such as {hint}",
                    path.display()
                )
            } else {
                format!("expected {hint}")
            };
            return Err(IngestError::NotFound {
                path: path.to_path_buf(),
                what,
                hint,
            });
        }
        let format = Format::detect(path)?;
        let (inner, found) = match format {
            Format::Parquet => {
                let (table, found) = ParquetTable::open(path, columns)?;
                (Inner::Parquet(table), found)
            }
            Format::Jsonl => {
                let (table, found) = JsonlTable::open(path)?;
                (Inner::Jsonl(table), found)
            }
            Format::Csv => {
                let (table, found) = CsvTable::open(path)?;
                (Inner::Csv(table), found)
            }
        };
        check_columns(path, columns, &found)?;
        tracing::debug!(path = %path.display(), %format, ?found, "opened {what} file");
        Ok(Table {
            path: path.to_path_buf(),
            inner,
        })
    }

    /// How many rows the file holds, when known without reading them (parquet).
    pub(crate) fn rows_hint(&self) -> Option<usize> {
        match &self.inner {
            Inner::Parquet(table) => Some(table.rows()),
            Inner::Jsonl(_) | Inner::Csv(_) => None,
        }
    }

    /// The file, as given.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Streams every row through `prepare` then `accept`, in file order.
    ///
    /// `prepare` receives a row's values in the order of the columns asked for (`None`:
    /// null or absent) and does the stateless work, cleaning above all; it may run on
    /// other threads, several rows at once. `accept` does the work that depends on
    /// earlier rows (duplicates, counts), on the calling thread and in file order; an
    /// error from it stops the read.
    pub(crate) fn for_each<T, P, A>(
        self,
        columns: &[Column],
        prepare: &P,
        accept: &mut A,
    ) -> Result<(), IngestError>
    where
        T: Send,
        P: Fn(&[Option<&str>]) -> T + Sync,
        A: FnMut(RowPos, T) -> Result<(), IngestError>,
    {
        match self.inner {
            Inner::Parquet(table) => table.for_each(&self.path, columns, prepare, accept),
            Inner::Jsonl(table) => table.for_each(&self.path, columns, &mut |pos, values| {
                accept(pos, prepare(values))
            }),
            Inner::Csv(table) => table.for_each(&self.path, columns, &mut |pos, values| {
                accept(pos, prepare(values))
            }),
        }
    }
}

/// An error for the first required column the file lacks.
fn check_columns(path: &Path, columns: &[Column], found: &[String]) -> Result<(), IngestError> {
    let missing = columns
        .iter()
        .find(|column| column.required && !found.iter().any(|name| name == column.name));
    match missing {
        Some(column) => Err(IngestError::MissingColumn {
            path: path.to_path_buf(),
            column: column.name,
            found: found.to_vec(),
        }),
        None => Ok(()),
    }
}
