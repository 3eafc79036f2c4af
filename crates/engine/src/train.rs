//! `esci train dense`: fit a projection over the frozen dense model's embeddings (PCA,
//! or the Matryoshka adapter) and write the projected product index beside the others.
//!
//! Products are not re-encoded: their full-dimension vectors are read from
//! `dense.idx`. Only the train-split queries are encoded (a few hundred, seconds). The
//! adapter trains on the `fit` part and stops early on the `dev` part
//! (`esci_core::is_dev_query`); test queries are never read.

use crate::artifacts::Manifest;
use crate::neural::dense_options;
use crate::projected::{ProjectionArtifact, projected_fingerprint, projection_path};
use crate::{Config, EngineError, catalog_fingerprint, load_catalog, progress, split_queries};
use esci_core::QuerySet;
use esci_dense::DenseIndex;
use esci_eval::QueryJudgments;
use esci_models::DenseEncoder;
use esci_models::fetch::model_fingerprint;
use esci_train::adapter::{AdapterConfig, AdapterData, TrainReport, train_adapter};
use esci_train::dev::recall_by_dim;
use esci_train::pairs::{carve_dev, positive_pairs, positives_by_query};
use esci_train::pca::fit_pca;
use esci_train::{Projection, TrainError};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Queries encoded per call.
const QUERY_CHUNK: usize = 64;

/// How the projection is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectionMethod {
    /// Principal axes of the product embeddings (no labels).
    Pca,
    /// Linear map trained with the Matryoshka ranking loss.
    Adapter,
    /// The encoder itself fine-tuned with the Matryoshka ranking loss
    /// (`crate::finetune`).
    Finetune,
}

impl ProjectionMethod {
    /// `pca` or `adapter`: the default projection name.
    pub fn name(self) -> &'static str {
        match self {
            ProjectionMethod::Pca => "pca",
            ProjectionMethod::Adapter => "adapter",
            ProjectionMethod::Finetune => "finetune",
        }
    }
}

/// Options of `esci train dense`.
#[derive(Debug, Clone, Serialize)]
pub struct TrainDenseOptions {
    /// PCA or adapter.
    pub method: ProjectionMethod,
    /// Name to save and select it under (default: the method's name).
    pub name: Option<String>,
    /// Subtract the product mean before rotating (PCA, and the adapter's PCA start).
    pub center: bool,
    /// Start the adapter from the PCA rotation (else from identity).
    pub init_pca: bool,
    /// Count Substitute judgments as positives too (default: Exact only).
    pub substitutes: bool,
    /// Adapter hyper-parameters (its `dims` and `dev_k` also set the dev table of
    /// every method).
    pub adapter: AdapterConfig,
    /// Fine-tuning settings (`--method finetune`).
    pub finetune: crate::finetune::FinetuneSettings,
    /// Save the projection and write the projected index (false: report dev figures
    /// only, for hyper-parameter searches).
    pub save: bool,
}

/// Dev Recall@k at one prefix, without and with the projection.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DevRow {
    /// Matryoshka prefix.
    pub dim: usize,
    /// The base model's vectors cut to `dim`.
    pub base: f64,
    /// The projected vectors cut to `dim`.
    pub projected: f64,
}

/// What `train_dense` did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainDenseSummary {
    /// Projection name.
    pub name: String,
    /// Where the projection was saved.
    pub projection_file: PathBuf,
    /// The projected product index.
    pub index_file: PathBuf,
    /// sha256 of the projection.
    pub fingerprint: String,
    /// Train-split queries used to train (fit part) and to judge (dev part).
    pub fit_queries: usize,
    /// Dev queries.
    pub dev_queries: usize,
    /// (query, positive) training pairs.
    pub pairs: usize,
    /// Seconds encoding the queries.
    pub encode_seconds: f64,
    /// Seconds fitting or training.
    pub train_seconds: f64,
    /// Dev recall per prefix, base vs projected.
    pub dev: Vec<DevRow>,
    /// Cut-off of the dev recall.
    pub dev_k: usize,
    /// Share of variance in the first d components (PCA only).
    pub explained: Vec<(usize, f64)>,
    /// The adapter's training run.
    pub report: Option<TrainReport>,
    /// The fine-tuning run (`--method finetune`).
    pub finetune: Option<crate::finetune::FinetuneManifest>,
}

/// Fits or trains the projection, saves it under the models directory, writes the
/// projected product index and records it in the artifact manifest.
pub fn train_dense(
    config: &Config,
    options: &TrainDenseOptions,
) -> Result<TrainDenseSummary, EngineError> {
    config.validate().map_err(EngineError::Config)?;
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| options.method.name().to_owned());
    crate::retrieval_config::check_projection_name(&name).map_err(EngineError::Config)?;
    if options.method == ProjectionMethod::Finetune {
        return crate::finetune::train_finetune(config, options, &name);
    }
    let dir = &config.artifacts.dir;
    let mut manifest = Manifest::load(dir)?;
    let dense = manifest.dense.clone().ok_or_else(|| {
        EngineError::Artifacts("no dense index: build it with `esci index` first".into())
    })?;
    let model_dir = config.models.dense_dir();
    let model = model_fingerprint(&model_dir)?;
    dense.check_query_model("dense", &model_dir, &model)?;
    let catalog = load_catalog(config, true)?;
    manifest.check_corpus(catalog.len(), &catalog_fingerprint(&catalog.products))?;
    let index = DenseIndex::load(&dir.join(&dense.file))?;
    if index.model_fingerprint() != model || index.len() != catalog.len() {
        return Err(EngineError::Artifacts(format!(
            "{} does not match its manifest entry: rebuild with `esci index`",
            dir.join(&dense.file).display()
        )));
    }
    let dim = index.dim();
    let products = index.as_matrix();

    let split = carve_dev(split_queries(&catalog, QuerySet::Train))?;
    let started = Instant::now();
    let encoder = DenseEncoder::load(&model_dir, dense_options(dense.max_length))?;
    let fit_vectors = encode_queries(&encoder, &split.train)?;
    let dev_vectors = encode_queries(&encoder, &split.dev)?;
    let encode_seconds = started.elapsed().as_secs_f64();
    let pairs = positive_pairs(&split.train, options.substitutes);
    tracing::info!(
        "{} fit queries ({} pairs), {} dev queries, {} products of {dim} dims",
        split.train.len(),
        pairs.len(),
        split.dev.len(),
        index.len()
    );

    let started = Instant::now();
    let mut explained = Vec::new();
    let mut report = None;
    let pca = |pca_name: &str| {
        fit_pca(products, dim, options.center, pca_name, &model).map_err(EngineError::from)
    };
    let projection = match options.method {
        ProjectionMethod::Pca => {
            let fit = pca(&name)?;
            explained = options
                .adapter
                .dims
                .iter()
                .map(|&d| (d, fit.explained(d)))
                .collect();
            fit.projection
        }
        ProjectionMethod::Finetune => {
            return Err(EngineError::Input(
                "fine-tuning is not a projection of the base vectors".into(),
            ));
        }
        ProjectionMethod::Adapter => {
            let init = match options.init_pca {
                true => pca("pca")?.projection,
                false => Projection::identity(dim, &model)?,
            };
            let positives = positives_by_query(&split.train, options.substitutes);
            let data = AdapterData {
                dim,
                products,
                queries: &fit_vectors,
                pairs: &pairs,
                positives: &positives,
                dev_queries: &dev_vectors,
                dev: &split.dev,
            };
            let (projection, run) = train_adapter(&data, &init, &options.adapter, &name)?;
            report = Some(run);
            projection
        }
    };
    let train_seconds = started.elapsed().as_secs_f64();

    let dims = &options.adapter.dims;
    let k = options.adapter.dev_k;
    let projected_products = projection.apply_batch(products)?;
    let base = recall_by_dim(products.to_vec(), &dev_vectors, dim, &split.dev, dims, k)?;
    let mapped = recall_by_dim(
        projected_products.clone(),
        &projection.apply_batch(&dev_vectors)?,
        projection.d_out(),
        &split.dev,
        dims,
        k,
    )?;
    let dev: Vec<DevRow> = dims
        .iter()
        .zip(base.iter().zip(&mapped))
        .map(|(&dim, (&base, &projected))| DevRow {
            dim,
            base,
            projected,
        })
        .collect();

    let projection_file = projection_path(config, &name);
    let file = format!("dense-{name}.idx");
    let summary = TrainDenseSummary {
        name: name.clone(),
        projection_file: projection_file.clone(),
        index_file: dir.join(&file),
        fingerprint: projection.fingerprint().into(),
        fit_queries: split.train.len(),
        dev_queries: split.dev.len(),
        pairs: pairs.len(),
        encode_seconds,
        train_seconds,
        dev: dev.clone(),
        dev_k: k,
        explained,
        report,
        finetune: None,
    };
    if !options.save {
        return Ok(summary);
    }
    let mut projection = projection;
    projection.metadata = serde_json::json!({
        "method": options.method,
        "options": options,
        "trained": projection.metadata,
        "dev": &dev,
    });
    projection.save(&projection_file)?;
    let projected = DenseIndex::new(
        projected_products,
        projection.d_out(),
        projected_fingerprint(&model, projection.fingerprint()),
    )?;
    projected.save(&dir.join(&file))?;
    manifest.projections.insert(
        name.clone(),
        ProjectionArtifact {
            method: options.method.name().into(),
            file: file.clone(),
            projection_file: projection_file.clone(),
            projection_fingerprint: projection.fingerprint().into(),
            model_fingerprint: model,
            dim: projection.d_out(),
            docs: projected.len(),
            train_seconds,
            encoder: None,
        },
    );
    manifest.save(dir)?;
    Ok(summary)
}

/// Encodes the queries' texts with the dense model, row i = query i.
pub(crate) fn encode_queries(
    encoder: &dyn esci_models::DenseTextEncoder,
    queries: &[QueryJudgments],
) -> Result<Vec<f32>, EngineError> {
    let bar = progress::bar(queries.len() as u64, "queries");
    let mut out = Vec::with_capacity(queries.len() * encoder.dim());
    for chunk in queries.chunks(QUERY_CHUNK) {
        let texts: Vec<&str> = chunk.iter().map(|q| q.query.as_str()).collect();
        for v in encoder.encode_queries(&texts)? {
            out.extend(v);
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    if out.len() != queries.len() * encoder.dim() {
        return Err(EngineError::from(TrainError::Invalid(
            "the encoder returned the wrong number of query vectors".into(),
        )));
    }
    Ok(out)
}
