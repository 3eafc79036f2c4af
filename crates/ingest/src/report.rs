//! Counted warnings about rows that were skipped or look suspicious.
//!
//! Real catalogs are messy, and one bad row should not stop a million good ones from
//! loading; but a row must never vanish silently either. Every row read is therefore
//! accounted for: kept, in another locale, or skipped with a warning of a named kind.
//! The report keeps a count per kind and the first few examples (file, row, message), so
//! a summary can show where to look without holding a million messages in memory.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How many examples of each warning kind the report keeps.
pub const EXAMPLES_PER_KIND: usize = 10;

/// What is wrong with a row, and what was done about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A product id already read: the later row is skipped, the first kept.
    DuplicateProductId,
    /// A product without a title: kept, since its other fields still index.
    EmptyTitle,
    /// A product or judgment row without a product id: skipped.
    EmptyProductId,
    /// A judgment naming a product not in the catalog: skipped.
    UnknownProduct,
    /// An `esci_label` other than E, S, C or I: skipped.
    BadLabel,
    /// A `split` other than train or test: skipped.
    BadSplit,
    /// The same (query_id, product_id) judged twice: the later row is skipped.
    DuplicateJudgment,
    /// One query_id with two query texts: kept (the id is what groups judgments).
    QueryTextMismatch,
    /// A judgment with an empty query text or query_id: skipped.
    EmptyQuery,
}

impl WarningKind {
    /// Every kind, in report order.
    pub const ALL: [WarningKind; 9] = [
        WarningKind::DuplicateProductId,
        WarningKind::EmptyTitle,
        WarningKind::EmptyProductId,
        WarningKind::UnknownProduct,
        WarningKind::BadLabel,
        WarningKind::BadSplit,
        WarningKind::DuplicateJudgment,
        WarningKind::QueryTextMismatch,
        WarningKind::EmptyQuery,
    ];

    /// snake_case name, as serialised.
    pub fn name(self) -> &'static str {
        match self {
            WarningKind::DuplicateProductId => "duplicate_product_id",
            WarningKind::EmptyTitle => "empty_title",
            WarningKind::EmptyProductId => "empty_product_id",
            WarningKind::UnknownProduct => "unknown_product",
            WarningKind::BadLabel => "bad_label",
            WarningKind::BadSplit => "bad_split",
            WarningKind::DuplicateJudgment => "duplicate_judgment",
            WarningKind::QueryTextMismatch => "query_text_mismatch",
            WarningKind::EmptyQuery => "empty_query",
        }
    }

    /// Whether rows with this warning were skipped (otherwise they were kept).
    pub fn skips_row(self) -> bool {
        !matches!(
            self,
            WarningKind::EmptyTitle | WarningKind::QueryTextMismatch
        )
    }
}

impl std::fmt::Display for WarningKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One example warning: where and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The kind.
    pub kind: WarningKind,
    /// The file, as given.
    pub file: String,
    /// 1-based data row (header not counted; for JSONL, blank lines not counted).
    pub row: usize,
    /// 1-based line of a text file, when it differs in meaning from the row (CSV, JSONL).
    pub line: Option<u64>,
    /// What is wrong, naming the values involved.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, row {}", self.file, self.row)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        write!(f, ": {} ({})", self.message, self.kind)
    }
}

/// What ingestion read, kept and skipped.
///
/// Accounting: `products_read = products_kept + products_other_locale +` the skipped
/// product warnings (duplicate or empty id); likewise for judgments, whose skips also
/// include unknown products, bad labels and splits, duplicates and empty queries.
/// Rows in another locale are not validated, so they never raise warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReport {
    /// Product rows in the file.
    pub products_read: usize,
    /// Products in the result.
    pub products_kept: usize,
    /// Product rows dropped because their locale differs from the one asked for.
    pub products_other_locale: usize,
    /// Judgment rows in the file.
    pub judgments_read: usize,
    /// Judgments in the result.
    pub judgments_kept: usize,
    /// Judgment rows dropped because their locale differs from the one asked for.
    pub judgments_other_locale: usize,
    counts: BTreeMap<WarningKind, usize>,
    examples: BTreeMap<WarningKind, Vec<Warning>>,
}

impl IngestReport {
    /// Total warnings of every kind.
    pub fn warning_count(&self) -> usize {
        self.counts.values().sum()
    }

    /// Warnings of one kind.
    pub fn count(&self, kind: WarningKind) -> usize {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// The first [`EXAMPLES_PER_KIND`] warnings of one kind, in the order raised.
    pub fn examples(&self, kind: WarningKind) -> &[Warning] {
        self.examples.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// Every kept example, kinds in [`WarningKind::ALL`] order.
    pub fn all_examples(&self) -> impl Iterator<Item = &Warning> {
        self.examples.values().flatten()
    }

    /// Rows skipped because of warnings, across products and judgments.
    pub fn rows_skipped(&self) -> usize {
        self.counts
            .iter()
            .filter(|(kind, _)| kind.skips_row())
            .map(|(_, n)| n)
            .sum()
    }

    /// Records one warning: counts it, keeps it as an example if there is room, and
    /// logs it at debug level.
    pub(crate) fn warn(
        &mut self,
        kind: WarningKind,
        file: &str,
        row: usize,
        line: Option<u64>,
        message: String,
    ) {
        *self.counts.entry(kind).or_default() += 1;
        let examples = self.examples.entry(kind).or_default();
        if examples.len() < EXAMPLES_PER_KIND {
            let warning = Warning {
                kind,
                file: file.to_string(),
                row,
                line,
                message,
            };
            tracing::debug!("{warning}");
            examples.push(warning);
        }
    }

    /// A human-readable multi-line summary: counts, then each warning kind with its
    /// count and up to three examples (file, row, message).
    pub fn summary(&self) -> String {
        let mut out = format!(
            "products: {} read, {} kept, {} in other locales\n\
             judgments: {} read, {} kept, {} in other locales\n\
             warnings: {}",
            self.products_read,
            self.products_kept,
            self.products_other_locale,
            self.judgments_read,
            self.judgments_kept,
            self.judgments_other_locale,
            self.warning_count(),
        );
        for (kind, count) in &self.counts {
            let effect = if kind.skips_row() { "skipped" } else { "kept" };
            let _ = write!(out, "\n  {kind}: {count} ({effect})");
            for example in self.examples(*kind).iter().take(3) {
                let _ = write!(out, "\n    e.g. {example}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_all_but_keeps_few_examples() {
        let mut report = IngestReport::default();
        for row in 1..=25 {
            report.warn(
                WarningKind::EmptyTitle,
                "p.csv",
                row,
                Some(row as u64 + 1),
                "x".into(),
            );
        }
        report.warn(WarningKind::BadLabel, "e.csv", 7, None, "label `Q`".into());
        assert_eq!(report.count(WarningKind::EmptyTitle), 25);
        assert_eq!(
            report.examples(WarningKind::EmptyTitle).len(),
            EXAMPLES_PER_KIND
        );
        assert_eq!(report.warning_count(), 26);
        assert_eq!(report.rows_skipped(), 1);
        let summary = report.summary();
        assert!(summary.contains("empty_title: 25 (kept)"), "{summary}");
        assert!(summary.contains("e.csv, row 7: label `Q`"), "{summary}");
        assert!(summary.contains("p.csv, row 1 (line 2)"), "{summary}");
    }

    #[test]
    fn serialises_kinds_as_names() {
        let mut report = IngestReport::default();
        report.warn(
            WarningKind::DuplicateJudgment,
            "e.jsonl",
            3,
            Some(3),
            "dup".into(),
        );
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains("\"duplicate_judgment\":1"), "{json}");
        let back: IngestReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);
    }
}
