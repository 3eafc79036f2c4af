//! Reading and validating the products table.
//!
//! One pass over the file. Per row, the locale filter and cleaning of the text fields
//! need nothing but the row, so they run in parallel over parquet batches; id checks
//! need the rows before, so they run in file order. Rows of other locales are counted,
//! not validated, since they are not ours. The id -> DocId map built to detect duplicates is the same map the
//! [`crate::Catalog`] keeps, so the 1.8M ids of the full dataset are hashed once.

use crate::id_map::{IdMap, id_map};
use crate::table::{Column, ColumnKind, RowPos, Table};
use crate::whitespace::{clean_lines, clean_text};
use crate::{IngestError, IngestReport, PRODUCTS_FILE, WarningKind};
use esci_core::{DocId, Product};
use std::path::Path;

const ID: usize = 0;
const TITLE: usize = 1;
const DESCRIPTION: usize = 2;
const BULLETS: usize = 3;
const BRAND: usize = 4;
const COLOR: usize = 5;
const LOCALE: usize = 6;

/// The columns read, indexed by the constants above.
const COLUMNS: [Column; 7] = [
    Column::required("product_id", ColumnKind::Id),
    Column::required("product_title", ColumnKind::Text),
    Column::optional("product_description"),
    Column::optional("product_bullet_point"),
    Column::optional("product_brand"),
    Column::optional("product_color"),
    Column::optional("product_locale"),
];

/// Reads products, keeping those whose `product_locale` equals `locale` (trimmed,
/// ASCII case-insensitive; `None` or an empty string keeps all). A row without a
/// locale, and so every row of a file without a `product_locale` column, is kept: its
/// locale is unknown, not different (JSON exporters often omit null keys).
///
/// Required columns: `product_id`, `product_title`. Optional (absent means `""`):
/// `product_description`, `product_bullet_point`, `product_brand`, `product_color`,
/// `product_locale`. Text is cleaned on the way in: HTML stripped and entities decoded
/// in every text field ([`crate::strip_html`]); whitespace collapsed
/// ([`crate::normalize_whitespace`]), except that bullets keep one non-empty bullet per
/// line ([`crate::normalize_lines`]). Ids and locales are only trimmed.
///
/// Rows without an id, and later rows repeating an id, are skipped with a warning;
/// products without a title are kept with a warning (see [`WarningKind`]). Loading
/// every locale at once keys products by id alone, so an id listed in two locales keeps
/// its first row.
pub fn read_products(
    path: &Path,
    locale: Option<&str>,
    report: &mut IngestReport,
) -> Result<Vec<Product>, IngestError> {
    Ok(read_indexed(path, locale, report)?.products)
}

/// Products with their id -> DocId map.
pub(crate) struct IndexedProducts {
    /// Kept products; a product's DocId is its position.
    pub products: Vec<Product>,
    /// `product_id` -> DocId.
    pub index: IdMap<String, DocId>,
}

/// [`read_products`], also returning the id map.
pub(crate) fn read_indexed(
    path: &Path,
    locale: Option<&str>,
    report: &mut IngestReport,
) -> Result<IndexedProducts, IngestError> {
    let hint = format!("the ESCI products table, e.g. {PRODUCTS_FILE}");
    let table = Table::open(path, "products", &hint, &COLUMNS)?;
    let wanted = locale.map(str::trim).filter(|l| !l.is_empty());
    let file = table.path().display().to_string();
    let expected = table.rows_hint().unwrap_or(0);
    let mut products = Vec::with_capacity(expected);
    let mut index: IdMap<String, DocId> = id_map(expected);
    // Row of each kept product, to name the first occurrence of a duplicate.
    let mut rows: Vec<usize> = Vec::with_capacity(expected);

    // Stateless and costly (cleaning): may run on several threads.
    let prepare = |values: &[Option<&str>]| -> Option<Product> {
        if let Some(wanted) = wanted {
            let locale = values[LOCALE].unwrap_or("").trim();
            if !locale.is_empty() && !locale.eq_ignore_ascii_case(wanted) {
                return None;
            }
        }
        let text = |i: usize| values[i].map(clean_text).unwrap_or_default();
        Some(Product {
            id: values[ID].unwrap_or("").trim().to_string(),
            title: text(TITLE),
            brand: text(BRAND),
            color: text(COLOR),
            bullets: values[BULLETS].map(clean_lines).unwrap_or_default(),
            description: text(DESCRIPTION),
            locale: values[LOCALE].unwrap_or("").trim().to_string(),
        })
    };
    // Depends on earlier rows: runs in file order.
    let mut accept = |pos: RowPos, product: Option<Product>| {
        report.products_read += 1;
        let Some(product) = product else {
            report.products_other_locale += 1;
            return Ok(());
        };
        let id = &product.id;
        if id.is_empty() {
            let message = "empty product_id; row skipped".to_string();
            report.warn(
                WarningKind::EmptyProductId,
                &file,
                pos.row,
                pos.line,
                message,
            );
            return Ok(());
        }
        if let Some(&doc) = index.get(id) {
            let message = format!(
                "product_id `{id}` already read at row {}; this row skipped",
                rows[doc as usize]
            );
            report.warn(
                WarningKind::DuplicateProductId,
                &file,
                pos.row,
                pos.line,
                message,
            );
            return Ok(());
        }
        let doc = DocId::try_from(products.len()).map_err(|_| IngestError::TooManyProducts {
            path: path.to_path_buf(),
            count: products.len(),
        })?;
        if product.title.is_empty() {
            let message = format!("product `{id}` has an empty title; kept (other fields index)");
            report.warn(WarningKind::EmptyTitle, &file, pos.row, pos.line, message);
        }
        index.insert(product.id.clone(), doc);
        products.push(product);
        rows.push(pos.row);
        Ok(())
    };
    table.for_each(&COLUMNS, &prepare, &mut accept)?;

    // The hint counted every locale; give back room reserved for the others.
    if products.len() < products.capacity() / 4 * 3 {
        products.shrink_to_fit();
    }
    report.products_kept += products.len();
    tracing::info!(
        path = %path.display(),
        read = report.products_read,
        kept = products.len(),
        "read products"
    );
    Ok(IndexedProducts { products, index })
}
