//! A loaded index set ready to answer queries.

use crate::artifacts::Manifest;
use crate::build::load_bm25;
use crate::{Config, EngineError, catalog_fingerprint, load_catalog};
use esci_core::{Retriever, sort_hits};
use esci_ingest::Catalog;
use esci_lexical::Bm25Index;
use serde::Serialize;

/// One result of [`Searcher::search`], hydrated with the product's display fields.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    /// 1-based rank.
    pub rank: usize,
    /// Internal doc id.
    pub doc: u32,
    /// `product_id`.
    pub product_id: String,
    /// Product title.
    pub title: String,
    /// Brand, possibly empty.
    pub brand: String,
    /// BM25 score.
    pub score: f32,
}

/// The catalog and its indexes, checked to belong together.
pub struct Searcher {
    catalog: Catalog,
    bm25: Bm25Index,
    manifest: Manifest,
}

impl Searcher {
    /// Loads the catalog named by `config` and the artifacts built from it; refuses
    /// artifacts built from another catalog. `with_judgments` also loads the judgments.
    pub fn open(config: &Config, with_judgments: bool) -> Result<Searcher, EngineError> {
        config.validate().map_err(EngineError::Config)?;
        let dir = &config.artifacts.dir;
        let manifest = Manifest::load(dir)?;
        let catalog = load_catalog(config, with_judgments)?;
        manifest.check_corpus(catalog.len(), &catalog_fingerprint(&catalog.products))?;
        let bm25 = load_bm25(dir, &manifest)?;
        Ok(Searcher {
            catalog,
            bm25,
            manifest,
        })
    }

    /// The loaded catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The manifest of the loaded artifacts.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The BM25 retriever.
    pub fn bm25(&self) -> &Bm25Index {
        &self.bm25
    }

    /// The best `k` products for `query`, best first.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<SearchResult>, EngineError> {
        let mut hits = self.bm25.search(query, k)?;
        sort_hits(&mut hits);
        Ok(hits
            .iter()
            .enumerate()
            .map(|(i, hit)| {
                let product = &self.catalog.products[hit.doc as usize];
                SearchResult {
                    rank: i + 1,
                    doc: hit.doc,
                    product_id: product.id.clone(),
                    title: product.title.clone(),
                    brand: product.brand.clone(),
                    score: hit.score,
                }
            })
            .collect())
    }
}
