//! Which reader a file needs, decided by its extension.
//!
//! The extension rather than the content decides, because sniffing bytes would turn a
//! corrupt parquet file into a confusing "CSV parse error"; an explicit extension lets
//! the error say what was expected.

use crate::IngestError;
use std::path::Path;

/// Input format of a products or examples file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Apache Parquet, as the official ESCI files (`.parquet`).
    Parquet,
    /// One JSON object per line with the official column names (`.jsonl`, `.ndjson`).
    Jsonl,
    /// Comma-separated values with a header row of the official column names (`.csv`).
    Csv,
}

impl Format {
    /// Detects the format from the file extension (case-insensitive).
    pub fn detect(path: &Path) -> Result<Format, IngestError> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "parquet" | "pq" => Ok(Format::Parquet),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            _ => Err(IngestError::UnknownFormat {
                path: path.to_path_buf(),
                extension,
            }),
        }
    }

    /// Lowercase name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_known_extensions() {
        assert_eq!(
            Format::detect(Path::new("a/b.parquet")).unwrap(),
            Format::Parquet
        );
        assert_eq!(
            Format::detect(Path::new("b.PARQUET")).unwrap(),
            Format::Parquet
        );
        assert_eq!(Format::detect(Path::new("b.jsonl")).unwrap(), Format::Jsonl);
        assert_eq!(
            Format::detect(Path::new("b.ndjson")).unwrap(),
            Format::Jsonl
        );
        assert_eq!(Format::detect(Path::new("b.Csv")).unwrap(), Format::Csv);
    }

    #[test]
    fn unknown_extension_is_named() {
        let err = Format::detect(Path::new("data/products.xlsx")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("products.xlsx") && text.contains("`xlsx`"),
            "{text}"
        );
        assert!(matches!(
            Format::detect(Path::new("noext")),
            Err(IngestError::UnknownFormat { .. })
        ));
    }
}
