//! Loading the catalog named by the configuration.

use crate::{Config, EngineError};
use esci_ingest::Catalog;
use std::time::Instant;

/// Loads the products (and the judgments when `with_judgments`), logging warnings.
pub fn load_catalog(config: &Config, with_judgments: bool) -> Result<Catalog, EngineError> {
    let started = Instant::now();
    let products = config.data.products_path();
    let examples = config.data.examples_path();
    let spinner = crate::progress::spinner(&format!("reading {}", products.display()));
    let catalog = Catalog::load(
        &products,
        with_judgments.then_some(examples.as_path()),
        config.data.locale_filter(),
    );
    spinner.finish_and_clear();
    let catalog = catalog?;
    if catalog.is_empty() {
        return Err(EngineError::Input(format!(
            "{} holds no products{}",
            products.display(),
            config
                .data
                .locale_filter()
                .map(|l| format!(" with product_locale {l:?} (set data.locale = \"\" to keep all)"))
                .unwrap_or_default()
        )));
    }
    if catalog.report.warning_count() > 0 {
        tracing::warn!("{}", catalog.report.summary());
    }
    tracing::info!(
        products = catalog.len(),
        judgments = catalog.judgments.len(),
        seconds = started.elapsed().as_secs_f64(),
        "catalog loaded"
    );
    Ok(catalog)
}
