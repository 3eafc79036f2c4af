//! Streaming rows out of JSONL and CSV files.
//!
//! Both exist so a user can bring a catalog exported from any tool without writing
//! parquet. They use the official column names. JSON values may be strings, numbers
//! (turned into their decimal text, as ids often are) or null; anything else in a
//! wanted column is an error naming the file, line and column, because silently
//! stringifying `true` or `["a"]` into a title would hide a broken export. CSV has no
//! types and no null: every value is text, an empty cell is an empty string.

use crate::IngestError;
use crate::table::{Column, RowPos};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

fn io_error(path: &Path, source: std::io::Error) -> IngestError {
    IngestError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn parse_error(path: &Path, line: u64, message: String) -> IngestError {
    IngestError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// Receives each row's values, in the order of the columns asked for.
pub(crate) type Visitor<'v> = dyn FnMut(RowPos, &[Option<&str>]) -> Result<(), IngestError> + 'v;

/// A parsed JSONL object and its 1-based line number.
type Line = (u64, Map<String, Value>);

/// An opened JSONL file. Its columns are the keys of its first object, so that a
/// misnamed required column fails at once rather than after reading the whole file; a
/// later line lacking a key has a null there.
pub(crate) struct JsonlTable {
    reader: BufReader<File>,
    /// The first object, already parsed to learn the columns.
    first: Option<Line>,
    /// Lines read so far.
    line: u64,
    buffer: Vec<u8>,
}

impl JsonlTable {
    /// Opens the file and reads its first object to learn the columns (an empty file has
    /// none).
    pub(crate) fn open(path: &Path) -> Result<(JsonlTable, Vec<String>), IngestError> {
        let file = File::open(path).map_err(|e| io_error(path, e))?;
        let mut table = JsonlTable {
            reader: BufReader::with_capacity(1 << 16, file),
            first: None,
            line: 0,
            buffer: Vec::new(),
        };
        table.first = table.next_object(path)?;
        let found = table
            .first
            .as_ref()
            .map(|(_, object)| object.keys().cloned().collect())
            .unwrap_or_default();
        Ok((table, found))
    }

    /// The next non-blank line as an object, with its 1-based line number.
    fn next_object(&mut self, path: &Path) -> Result<Option<Line>, IngestError> {
        loop {
            self.buffer.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| io_error(path, e))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            let line = self.line;
            let text = std::str::from_utf8(&self.buffer)
                .map_err(|e| parse_error(path, line, format!("invalid UTF-8: {e}")))?;
            // A byte-order mark may open the file (Windows tools write one).
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            return match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(object)) => Ok(Some((line, object))),
                Ok(other) => Err(parse_error(
                    path,
                    line,
                    format!("expected a JSON object, found {}", json_type(&other)),
                )),
                Err(e) => Err(parse_error(path, line, format!("not valid JSON: {e}"))),
            };
        }
    }

    /// Streams every object to `visit`.
    pub(crate) fn for_each(
        mut self,
        path: &Path,
        columns: &[Column],
        visit: &mut Visitor<'_>,
    ) -> Result<(), IngestError> {
        let mut row = 0;
        let mut next = self.first.take();
        while let Some((line, object)) = next {
            row += 1;
            let cells = columns
                .iter()
                .map(|column| cell(path, line, column, object.get(column.name)))
                .collect::<Result<Vec<_>, _>>()?;
            let values: Vec<Option<&str>> = cells.iter().map(|c| c.as_deref()).collect();
            visit(
                RowPos {
                    row,
                    line: Some(line),
                },
                &values,
            )?;
            next = self.next_object(path)?;
        }
        Ok(())
    }
}

/// The text of one JSON value, or an error for a type that is not text.
fn cell<'a>(
    path: &Path,
    line: u64,
    column: &Column,
    value: Option<&'a Value>,
) -> Result<Option<Cow<'a, str>>, IngestError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Cow::Borrowed(s))),
        Some(Value::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
        Some(other) => Err(parse_error(
            path,
            line,
            format!(
                "column `{}` holds {}; expected a string, number or null",
                column.name,
                json_type(other)
            ),
        )),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An opened CSV file with a header row.
pub(crate) struct CsvTable {
    reader: csv::Reader<BufReader<File>>,
    headers: Vec<String>,
}

impl CsvTable {
    /// Opens the file and reads its header row.
    pub(crate) fn open(path: &Path) -> Result<(CsvTable, Vec<String>), IngestError> {
        let file = File::open(path).map_err(|e| io_error(path, e))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::Headers)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e, 1))?
            .iter()
            .map(str::to_string)
            .collect();
        Ok((
            CsvTable {
                reader,
                headers: headers.clone(),
            },
            headers,
        ))
    }

    /// Streams every record to `visit`.
    pub(crate) fn for_each(
        mut self,
        path: &Path,
        columns: &[Column],
        visit: &mut Visitor<'_>,
    ) -> Result<(), IngestError> {
        let index: Vec<Option<usize>> = columns
            .iter()
            .map(|c| self.headers.iter().position(|h| h == c.name))
            .collect();
        let mut record = csv::StringRecord::new();
        let mut row = 0;
        loop {
            // Fallback line for errors without a position: header + rows so far + 1.
            let next_line = row as u64 + 2;
            match self.reader.read_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => return Err(csv_error(path, e, next_line)),
            }
            row += 1;
            let line = record.position().map(|p| p.line());
            let values: Vec<Option<&str>> = index
                .iter()
                .map(|i| i.and_then(|i| record.get(i)))
                .collect();
            visit(RowPos { row, line }, &values)?;
        }
    }
}

/// A CSV error as [`IngestError::Parse`] (or [`IngestError::Io`]), with its line.
fn csv_error(path: &Path, error: csv::Error, fallback_line: u64) -> IngestError {
    let line = error.position().map_or(fallback_line, |p| p.line());
    let text = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(source) => io_error(path, source),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => parse_error(
            path,
            line,
            format!("row has {len} fields but the header has {expected_len}"),
        ),
        csv::ErrorKind::Utf8 { err, .. } => parse_error(
            path,
            line,
            format!("invalid UTF-8 in field {}", err.field() + 1),
        ),
        _ => parse_error(path, line, text),
    }
}
