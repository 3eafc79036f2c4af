//! A loaded index set ready to answer queries.

use crate::artifacts::{Manifest, NeuralArtifact};
use crate::build::load_bm25;
use crate::encoder_runtime::{load_dense_encoder, load_splade_encoder};
use crate::neural::{DenseRetriever, SpladeRetriever};
use crate::strategy::{RetrieverKind, Strategy};
use crate::tuned::TunedFusion;
use crate::{Config, EngineError, FusionSection, Hybrid, catalog_fingerprint, load_catalog};
use esci_core::Retriever;
use esci_dense::DenseIndex;
use esci_ingest::Catalog;
use esci_lexical::Bm25Index;
use esci_models::fetch::model_fingerprint;
use esci_sparse::SparseIndex;
use serde::Serialize;
use std::path::Path;

/// One retriever's view of a result.
#[derive(Debug, Clone, Serialize)]
pub struct RetrieverSignal {
    /// Retriever name.
    pub retriever: String,
    /// 1-based rank in that retriever's list, if it found the product.
    pub rank: Option<u32>,
    /// Its raw score there.
    pub score: Option<f32>,
}

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
    /// Fused score (RRF), or the single retriever's own score.
    pub score: f32,
    /// Where each retriever of the strategy ranked it.
    pub signals: Vec<RetrieverSignal>,
}

/// The catalog and its indexes, checked to belong together.
pub struct Searcher {
    catalog: Catalog,
    manifest: Manifest,
    bm25: Bm25Index,
    dense: Option<DenseRetriever>,
    splade: Option<SpladeRetriever>,
    fusion: FusionSection,
    tuned: TunedFusion,
}

impl Searcher {
    /// Loads the catalog named by `config` and the artifacts built from it; refuses
    /// artifacts built from another catalog, and neural indexes whose model differs from
    /// the configured query model. `with_judgments` also loads the judgments.
    pub fn open(config: &Config, with_judgments: bool) -> Result<Searcher, EngineError> {
        config.validate().map_err(EngineError::Config)?;
        let dir = &config.artifacts.dir;
        let manifest = Manifest::load(dir)?;
        let catalog = load_catalog(config, with_judgments)?;
        manifest.check_corpus(catalog.len(), &catalog_fingerprint(&catalog.products))?;
        let bm25 = load_bm25(dir, &manifest)?;
        let dense = match &manifest.dense {
            Some(artifact) => Some(
                open_dense(config, dir, &manifest, artifact)?.with_scan(config.neural.dense_scan),
            ),
            None => None,
        };
        let splade = match &manifest.splade {
            Some(artifact) => Some(open_splade(config, dir, artifact)?),
            None => None,
        };
        let tuned = TunedFusion::load(dir, &manifest);
        Ok(Searcher {
            tuned,
            catalog,
            manifest,
            bm25,
            dense,
            splade,
            fusion: config.fusion.clone(),
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

    /// The dense retriever, when its index was built.
    pub fn dense_retriever(&self) -> Option<&DenseRetriever> {
        self.dense.as_ref()
    }

    /// The BM25 retriever.
    pub fn bm25(&self) -> &Bm25Index {
        &self.bm25
    }

    /// Every retriever whose index was built, fused: the default strategy.
    pub fn default_strategy(&self) -> Strategy {
        let mut parts = Vec::new();
        if self.dense.is_some() {
            parts.push(RetrieverKind::Dense);
        }
        parts.push(RetrieverKind::Bm25);
        if self.splade.is_some() {
            parts.push(RetrieverKind::Splade);
        }
        Strategy { parts }
    }

    fn part(&self, kind: RetrieverKind) -> Result<&dyn Retriever, EngineError> {
        let missing = |what: &str| {
            EngineError::Input(format!(
                "the {what} index was not built: enable it ([neural] {what} = true) and run `esci index`"
            ))
        };
        Ok(match kind {
            RetrieverKind::Bm25 => &self.bm25,
            RetrieverKind::Dense => self.dense.as_ref().ok_or_else(|| missing("dense"))?,
            RetrieverKind::Splade => self.splade.as_ref().ok_or_else(|| missing("splade"))?,
        })
    }

    /// The fusion parameters `strategy` is served with: the values `esci eval` tuned
    /// on dev for exactly this fused retriever (dimension and projection included)
    /// when tuning is on and they exist, else the configured ones.
    pub fn fusion_for(&self, strategy: &Strategy) -> Result<&FusionSection, EngineError> {
        if !self.fusion.tune {
            return Ok(&self.fusion);
        }
        let name = self
            .parts(strategy)?
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join("+");
        Ok(self
            .tuned
            .get(&name, self.fusion.method)
            .unwrap_or(&self.fusion))
    }

    /// The retrievers of `strategy`, in its order (for tuning on cached lists).
    pub fn parts(&self, strategy: &Strategy) -> Result<Vec<&dyn Retriever>, EngineError> {
        strategy.parts.iter().map(|&kind| self.part(kind)).collect()
    }

    /// The strategy's retrievers fused with [`Searcher::fusion_for`]'s parameters (one
    /// retriever stays itself in the signal breakdown, with its own scores as the
    /// ranking).
    pub fn hybrid(&self, strategy: &Strategy, keep: usize) -> Result<Hybrid<'_>, EngineError> {
        self.hybrid_with(strategy, keep, self.fusion_for(strategy)?)
    }

    /// The strategy's retrievers fused with `fusion` (e.g. values tuned on dev).
    pub fn hybrid_with(
        &self,
        strategy: &Strategy,
        keep: usize,
        fusion: &FusionSection,
    ) -> Result<Hybrid<'_>, EngineError> {
        let parts = strategy
            .parts
            .iter()
            .map(|&kind| Ok((self.part(kind)?, fusion.weight(kind.name()))))
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(Hybrid::new(parts, fusion.method, fusion.rrf(keep)))
    }

    /// A retriever for `strategy`: the single retriever itself, or the fused hybrid.
    pub fn retriever(
        &self,
        strategy: &Strategy,
        keep: usize,
    ) -> Result<Box<dyn Retriever + '_>, EngineError> {
        self.retriever_with(strategy, keep, self.fusion_for(strategy)?)
    }

    /// As [`Searcher::retriever`], fusing with `fusion`.
    pub fn retriever_with(
        &self,
        strategy: &Strategy,
        keep: usize,
        fusion: &FusionSection,
    ) -> Result<Box<dyn Retriever + '_>, EngineError> {
        match strategy.parts.as_slice() {
            [one] => Ok(Box::new(SingleRef(self.part(*one)?))),
            _ => Ok(Box::new(self.hybrid_with(strategy, keep, fusion)?)),
        }
    }

    /// The best `k` products for `query` under `strategy`, best first, with signals.
    pub fn search(
        &self,
        query: &str,
        k: usize,
        strategy: &Strategy,
    ) -> Result<Vec<SearchResult>, EngineError> {
        let hybrid = self.hybrid(strategy, k)?;
        let names = hybrid.retriever_names();
        let single = strategy.parts.len() == 1;
        Ok(hybrid
            .search_explained(query, k)?
            .into_iter()
            .enumerate()
            .map(|(i, hit)| {
                let product = &self.catalog.products[hit.doc as usize];
                let signals: Vec<RetrieverSignal> = names
                    .iter()
                    .zip(&hit.signals)
                    .map(|(name, s)| RetrieverSignal {
                        retriever: (*name).to_owned(),
                        rank: s.map(|s| s.rank),
                        score: s.map(|s| s.score),
                    })
                    .collect();
                SearchResult {
                    rank: i + 1,
                    doc: hit.doc,
                    product_id: product.id.clone(),
                    title: product.title.clone(),
                    brand: product.brand.clone(),
                    score: if single {
                        signals[0].score.unwrap_or(0.0)
                    } else {
                        hit.score
                    },
                    signals,
                }
            })
            .collect())
    }
}

/// A borrowed retriever behind a box.
struct SingleRef<'a>(&'a dyn Retriever);

impl Retriever for SingleRef<'_> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn search(
        &self,
        query: &str,
        k: usize,
    ) -> Result<Vec<esci_core::Hit>, esci_core::RetrieveError> {
        self.0.search(query, k)
    }
    fn score_docs(&self, query: &str, docs: &[u32]) -> Result<Vec<f32>, esci_core::RetrieveError> {
        self.0.score_docs(query, docs)
    }
}

fn open_dense(
    config: &Config,
    dir: &Path,
    manifest: &Manifest,
    artifact: &NeuralArtifact,
) -> Result<DenseRetriever, EngineError> {
    let model_dir = config.models.dense_dir();
    artifact.check_query_model("dense", &model_dir, &model_fingerprint(&model_dir)?)?;
    if let Some(name) = &config.neural.projection {
        return crate::projected::open_projected_dense(config, dir, manifest, artifact, name);
    }
    let index = DenseIndex::load(&dir.join(&artifact.file))?;
    check_index(dir, artifact, index.model_fingerprint(), index.len())?;
    let encoder = load_dense_encoder(config, &model_dir, artifact.max_length)?;
    DenseRetriever::new(encoder, &index, config.neural.dim.unwrap_or(index.dim()))
}

fn open_splade(
    config: &Config,
    dir: &Path,
    artifact: &NeuralArtifact,
) -> Result<SpladeRetriever, EngineError> {
    let model_dir = config.models.splade_dir();
    artifact.check_query_model("splade", &model_dir, &model_fingerprint(&model_dir)?)?;
    let (index, fingerprint) = SparseIndex::load(&dir.join(&artifact.file))?;
    check_index(dir, artifact, &fingerprint, index.meta().num_docs as usize)?;
    // Queries are restricted to the vocabulary the products were encoded with: a term
    // outside it is in no product, so no score changes.
    let active = match &artifact.vocabulary {
        Some(v) => Some(v.load(dir)?),
        None => None,
    };
    let encoder = load_splade_encoder(config, &model_dir, artifact.max_length, active)?;
    Ok(SpladeRetriever::new(encoder, index))
}

/// An index file must be the one its manifest entry describes (an interrupted rebuild
/// could have replaced the file without the manifest).
fn check_index(
    dir: &Path,
    artifact: &NeuralArtifact,
    fingerprint: &str,
    docs: usize,
) -> Result<(), EngineError> {
    if fingerprint != artifact.model_fingerprint || docs != artifact.docs {
        return Err(EngineError::Artifacts(format!(
            "{} does not match its manifest entry (model or document count differs): rebuild with `esci index`",
            dir.join(&artifact.file).display()
        )));
    }
    Ok(())
}
