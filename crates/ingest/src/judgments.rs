//! Reading and validating the examples (judgments) table.
//!
//! Judgments feed evaluation, where a silently wrong row skews every metric, so each
//! invalid row is skipped with a named warning rather than guessed at. Query text is
//! whitespace-normalised but not HTML-stripped: shoppers type `<` and `&` ("tv < 500")
//! and the text must match what the engine is later queried with.

use crate::id_map::{IdMap, id_map};
use crate::table::{Column, ColumnKind, RowPos, Table};
use crate::{EXAMPLES_FILE, IngestError, IngestReport, WarningKind, normalize_whitespace};
use esci_core::{EsciLabel, Judgment, Split};
use std::collections::hash_map::Entry;
use std::path::Path;

const QUERY_ID: usize = 0;
const QUERY: usize = 1;
const PRODUCT_ID: usize = 2;
const LABEL: usize = 3;
const SPLIT: usize = 4;
const LOCALE: usize = 5;

/// The columns read, indexed by the constants above.
const COLUMNS: [Column; 6] = [
    Column::required("query_id", ColumnKind::Id),
    Column::required("query", ColumnKind::Text),
    Column::required("product_id", ColumnKind::Id),
    Column::required("esci_label", ColumnKind::Text),
    Column::required("split", ColumnKind::Text),
    Column::optional("product_locale"),
];

/// Reads judgments, keeping those whose `product_locale` equals `locale` (as for
/// [`crate::read_products`]: `None` keeps all, and a row without a locale is kept).
///
/// Required columns: `query_id`, `query`, `product_id`, `esci_label`, `split`; ids may
/// be strings or integers. Skipped with a warning: empty query or query_id, empty
/// product_id, a label other than E/S/C/I, a split other than train/test, and a repeated
/// (query_id, product_id) pair (the first is kept). A query_id seen with a different
/// text is kept with a warning and given its first text, so that one id always means
/// one query. Products are not checked here: [`crate::Catalog::load`] does that.
pub fn read_judgments(
    path: &Path,
    locale: Option<&str>,
    report: &mut IngestReport,
) -> Result<Vec<Judgment>, IngestError> {
    let rows = read_rows(path, locale, report)?;
    report.judgments_kept += rows.len();
    Ok(rows.into_iter().map(|(judgment, _)| judgment).collect())
}

/// A row of the locale asked for, cleaned and parsed but not yet validated; a label or
/// split that does not parse keeps its raw text for the warning.
struct Raw {
    query_id: String,
    query: String,
    product_id: String,
    label: Result<EsciLabel, String>,
    split: Result<Split, String>,
}

/// What is known about one query_id.
struct QuerySeen {
    /// Dense number, to key the pair map compactly.
    number: u32,
    /// First text seen.
    text: String,
    /// Row of the first text.
    row: usize,
}

/// [`read_judgments`] with each judgment's position, for later warnings; does not
/// update `judgments_kept`.
pub(crate) fn read_rows(
    path: &Path,
    locale: Option<&str>,
    report: &mut IngestReport,
) -> Result<Vec<(Judgment, RowPos)>, IngestError> {
    let hint = format!("the ESCI examples table, e.g. {EXAMPLES_FILE}");
    let table = Table::open(path, "examples", &hint, &COLUMNS)?;
    let wanted = locale.map(str::trim).filter(|l| !l.is_empty());
    let file = table.path().display().to_string();
    let mut out: Vec<(Judgment, RowPos)> = Vec::new();
    let mut queries: IdMap<String, QuerySeen> = id_map(0);
    let mut pairs: IdMap<(u32, String), usize> = id_map(table.rows_hint().unwrap_or(0));

    // Stateless: may run on several threads.
    let prepare = |values: &[Option<&str>]| -> Option<Raw> {
        if let Some(wanted) = wanted {
            let locale = values[LOCALE].unwrap_or("").trim();
            if !locale.is_empty() && !locale.eq_ignore_ascii_case(wanted) {
                return None;
            }
        }
        let text = |i: usize| values[i].unwrap_or("");
        Some(Raw {
            query_id: text(QUERY_ID).trim().to_string(),
            query: normalize_whitespace(text(QUERY)),
            product_id: text(PRODUCT_ID).trim().to_string(),
            label: EsciLabel::parse(text(LABEL)).ok_or_else(|| text(LABEL).to_string()),
            split: Split::parse(text(SPLIT)).ok_or_else(|| text(SPLIT).to_string()),
        })
    };
    // Depends on earlier rows: runs in file order.
    let mut accept = |pos: RowPos, raw: Option<Raw>| {
        report.judgments_read += 1;
        let Some(raw) = raw else {
            report.judgments_other_locale += 1;
            return Ok(());
        };
        let mut warn = |kind: WarningKind, message: String| {
            report.warn(kind, &file, pos.row, pos.line, message);
        };
        let Raw {
            query_id,
            query,
            product_id,
            label,
            split,
        } = raw;
        if query_id.is_empty() {
            warn(
                WarningKind::EmptyQuery,
                "empty query_id; row skipped".into(),
            );
            return Ok(());
        }
        if query.is_empty() {
            let message = format!("query_id `{query_id}` has an empty query; row skipped");
            warn(WarningKind::EmptyQuery, message);
            return Ok(());
        }
        if product_id.is_empty() {
            let message = format!("query_id `{query_id}`: empty product_id; row skipped");
            warn(WarningKind::EmptyProductId, message);
            return Ok(());
        }
        let label = match label {
            Ok(label) => label,
            Err(raw_label) => {
                let message = format!(
                    "esci_label `{raw_label}` is not E, S, C or I (query_id `{query_id}`, \
                     product_id `{product_id}`); row skipped"
                );
                warn(WarningKind::BadLabel, message);
                return Ok(());
            }
        };
        let split = match split {
            Ok(split) => split,
            Err(raw_split) => {
                let message = format!(
                    "split `{raw_split}` is not train or test (query_id `{query_id}`); row \
                     skipped"
                );
                warn(WarningKind::BadSplit, message);
                return Ok(());
            }
        };
        // Look up before inserting: most rows repeat a known query_id, and `entry`
        // would copy the id every time.
        if !queries.contains_key(&query_id) {
            let seen = QuerySeen {
                number: queries.len() as u32,
                text: query.clone(),
                row: pos.row,
            };
            queries.insert(query_id.clone(), seen);
        }
        let seen = &queries[&query_id];
        match pairs.entry((seen.number, product_id.clone())) {
            Entry::Occupied(first) => {
                let message = format!(
                    "(query_id `{query_id}`, product_id `{product_id}`) already judged at row \
                     {}; this row skipped",
                    first.get()
                );
                warn(WarningKind::DuplicateJudgment, message);
                return Ok(());
            }
            Entry::Vacant(slot) => {
                slot.insert(pos.row);
            }
        }
        if seen.text != query {
            let message = format!(
                "query_id `{query_id}` has text `{query}` here but `{}` at row {}; kept with \
                 the first text",
                seen.text, seen.row
            );
            warn(WarningKind::QueryTextMismatch, message);
        }
        let judgment = Judgment {
            query_id,
            query: seen.text.clone(),
            product_id,
            label,
            split,
        };
        out.push((judgment, pos));
        Ok(())
    };
    table.for_each(&COLUMNS, &prepare, &mut accept)?;

    tracing::info!(path = %path.display(), read = report.judgments_read, valid = out.len(), "read judgments");
    Ok(out)
}
