//! The validated corpus the engine indexes: products numbered by dense DocIds, and the
//! judgments that point at them.
//!
//! Judgments are checked against the products here rather than when read, because a
//! judgment file can be read on its own (e.g. to count queries) and only a catalog knows
//! which products exist. A judgment naming an unknown product is skipped with a warning,
//! so every judgment of a [`Catalog`] resolves to a DocId.

use crate::id_map::{IdMap, id_map};
use crate::judgments::read_rows;
use crate::products::{IndexedProducts, read_indexed};
use crate::{IngestError, IngestReport, WarningKind};
use esci_core::{DocId, Judgment, Product};
use std::path::Path;

/// Products (a product's DocId is its position), their id map, and the judgments whose
/// products are known, with the report of everything skipped or suspicious.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Products; `products[doc]` is the product of DocId `doc`.
    pub products: Vec<Product>,
    /// Judgments whose product is in `products`, in file order.
    pub judgments: Vec<Judgment>,
    /// What loading read, kept and skipped.
    pub report: IngestReport,
    index: IdMap<String, DocId>,
}

impl Catalog {
    /// Loads a catalog. The products file is required; the examples file is optional
    /// (`None` gives no judgments, as for a user's own catalog). `locale` filters both
    /// files as in [`crate::read_products`]. Warnings are logged as one summary.
    pub fn load(
        products: &Path,
        examples: Option<&Path>,
        locale: Option<&str>,
    ) -> Result<Catalog, IngestError> {
        let mut report = IngestReport::default();
        let IndexedProducts { products, index } = read_indexed(products, locale, &mut report)?;
        let mut judgments = Vec::new();
        if let Some(examples) = examples {
            let file = examples.display().to_string();
            for (judgment, pos) in read_rows(examples, locale, &mut report)? {
                if index.contains_key(&judgment.product_id) {
                    judgments.push(judgment);
                } else {
                    let message = format!(
                        "product_id `{}` (query_id `{}`) is not in the products file; row \
                         skipped",
                        judgment.product_id, judgment.query_id
                    );
                    report.warn(
                        WarningKind::UnknownProduct,
                        &file,
                        pos.row,
                        pos.line,
                        message,
                    );
                }
            }
            report.judgments_kept += judgments.len();
        }
        if report.warning_count() > 0 {
            tracing::warn!("ingestion warnings:\n{}", report.summary());
        }
        Ok(Catalog {
            products,
            judgments,
            report,
            index,
        })
    }

    /// Builds a catalog from products and judgments already in memory (tests, synthetic
    /// catalogs), with the same rules as [`Catalog::load`] but no cleaning: products
    /// without an id or repeating one, and judgments naming an unknown product, are
    /// skipped with warnings whose file is `<memory>` and row the 1-based position.
    pub fn from_parts(products: Vec<Product>, judgments: Vec<Judgment>) -> Catalog {
        const FILE: &str = "<memory>";
        let mut report = IngestReport::default();
        report.products_read = products.len();
        report.judgments_read = judgments.len();
        let mut index = id_map(products.len());
        let mut kept = Vec::with_capacity(products.len());
        for (i, product) in products.into_iter().enumerate() {
            let (kind, message) = if product.id.is_empty() {
                (WarningKind::EmptyProductId, "empty product id".to_string())
            } else if index.contains_key(&product.id) {
                let message = format!("product_id `{}` repeated; skipped", product.id);
                (WarningKind::DuplicateProductId, message)
            } else if let Ok(doc) = DocId::try_from(kept.len()) {
                index.insert(product.id.clone(), doc);
                kept.push(product);
                continue;
            } else {
                tracing::error!("more products than DocIds (u32); the rest are dropped");
                break;
            };
            report.warn(kind, FILE, i + 1, None, message);
        }
        let mut known = Vec::with_capacity(judgments.len());
        for (i, judgment) in judgments.into_iter().enumerate() {
            if index.contains_key(&judgment.product_id) {
                known.push(judgment);
            } else {
                let message = format!("product_id `{}` is not in the catalog", judgment.product_id);
                report.warn(WarningKind::UnknownProduct, FILE, i + 1, None, message);
            }
        }
        report.products_kept = kept.len();
        report.judgments_kept = known.len();
        Catalog {
            products: kept,
            judgments: known,
            report,
            index,
        }
    }

    /// The DocId of a product id, if the catalog has it.
    pub fn doc_id(&self, product_id: &str) -> Option<DocId> {
        self.index.get(product_id).copied()
    }

    /// The product of a DocId.
    pub fn product(&self, doc: DocId) -> Option<&Product> {
        self.products.get(doc as usize)
    }

    /// Number of products.
    pub fn len(&self) -> usize {
        self.products.len()
    }

    /// Whether there are no products.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::{EsciLabel, Split};

    fn product(id: &str) -> Product {
        Product {
            id: id.into(),
            title: format!("title {id}"),
            ..Product::default()
        }
    }

    #[test]
    fn from_parts_skips_duplicates_and_unknown_products() {
        let judgment = |pid: &str| Judgment {
            query_id: "1".into(),
            query: "q".into(),
            product_id: pid.into(),
            label: EsciLabel::Exact,
            split: Split::Test,
        };
        let catalog = Catalog::from_parts(
            vec![product("a"), product("b"), product("a"), product("")],
            vec![judgment("b"), judgment("zzz")],
        );
        assert_eq!(catalog.len(), 2);
        assert_eq!(catalog.doc_id("b"), Some(1));
        assert_eq!(catalog.product(1).map(|p| p.id.as_str()), Some("b"));
        assert_eq!(catalog.judgments.len(), 1);
        let report = &catalog.report;
        assert_eq!(report.count(WarningKind::DuplicateProductId), 1);
        assert_eq!(report.examples(WarningKind::DuplicateProductId)[0].row, 3);
        assert_eq!(report.count(WarningKind::EmptyProductId), 1);
        assert_eq!(report.count(WarningKind::UnknownProduct), 1);
        assert!(!catalog.is_empty());
    }
}
