//! The one error type of ingestion.
//!
//! Every variant names the file it is about, and where it applies the column and the
//! 1-based line, so a user pointing the engine at their own catalog can fix the input
//! without reading code. Rows that are merely suspicious are not errors but counted
//! warnings in [`crate::IngestReport`]: an error means the file as a whole is unusable.

use std::path::PathBuf;

/// Why a products or examples file could not be read (or written).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The path does not exist (or is a directory rather than a file).
    #[error("{what} file not found: {} ({hint})", path.display())]
    NotFound {
        /// The path that was given.
        path: PathBuf,
        /// Which file was expected there, e.g. `products`.
        what: &'static str,
        /// What such a file looks like, e.g. its official name.
        hint: String,
    },
    /// The file exists but the operating system would not read (or write) it.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a readable parquet file (garbage bytes, truncated, corrupt pages).
    #[error("{} is not a readable parquet file: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the parquet decoder reported.
        message: String,
    },
    /// A required column is absent.
    #[error(
        "{}: required column `{column}` is missing (columns found: {})",
        path.display(),
        list_or_none(found)
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column.
        column: &'static str,
        /// The columns the file does have, in file order.
        found: Vec<String>,
    },
    /// A column has a type this reader cannot turn into text.
    #[error("{}: column `{column}` has type {found}, expected {expected}", path.display())]
    WrongType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// The type found in the file.
        found: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The extension does not say parquet, JSONL or CSV.
    #[error(
        "{}: unknown file format `{extension}` (expected .parquet, .jsonl, .ndjson or .csv)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The extension found (empty when there is none).
        extension: String,
    },
    /// A CSV record or JSONL line could not be parsed.
    #[error("{}, line {line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the file.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// More products than a [`esci_core::DocId`] can number.
    #[error("{}: {count} products exceed the DocId range (u32)", path.display())]
    TooManyProducts {
        /// The file.
        path: PathBuf,
        /// How many products were kept before giving up.
        count: usize,
    },
    /// Writing a parquet file failed.
    #[error("cannot write {}: {message}", path.display())]
    Write {
        /// The destination file.
        path: PathBuf,
        /// What the parquet writer reported.
        message: String,
    },
}

fn list_or_none(columns: &[String]) -> String {
    if columns.is_empty() {
        "none".to_string()
    } else {
        columns.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_and_column() {
        let err = IngestError::MissingColumn {
            path: PathBuf::from("p.csv"),
            column: "product_title",
            found: vec!["product_id".into(), "title".into()],
        };
        let text = err.to_string();
        assert!(
            text.contains("p.csv") && text.contains("product_title"),
            "{text}"
        );
        assert!(text.contains("product_id, title"), "{text}");
        let none = IngestError::MissingColumn {
            path: PathBuf::from("p.jsonl"),
            column: "product_id",
            found: vec![],
        };
        assert!(none.to_string().contains("columns found: none"));
    }
}
