//! `esci train dense --method finetune`: fine-tune the dense bi-encoder itself with the
//! Matryoshka ranking loss (the reference system's method), then serve it like a
//! projection.
//!
//! Training (`esci_train::biencoder`) starts from the configured dense model behind
//! the fixed PCA rotation of its product vectors, on (fit query, E/S product) pairs; a
//! dev proxy (dev queries against their judged products plus a sample of the catalog)
//! picks the kept weights. The checkpoint is a BERT directory in the usual layout
//! (`<models>/finetuned/<name>/`: config.json, model.safetensors, the base's tokenizer
//! and pooling files) plus `finetune.json`; the rotation is saved as the projection of
//! the fine-tuned model. The catalog is then encoded once with the fine-tuned model on
//! the configured runtime (ONNX Runtime by default: several times faster than candle),
//! rotated into `dense-<name>.idx` and recorded in the manifest with the encoder's
//! fingerprint, so `--projection <name>` encodes queries with the fine-tuned model.
//!
//! `--resume` continues from the weights and step of the last dev evaluation (saved
//! to `<out>/last/` during the run, so a killed run can go on), else from the
//! finished checkpoint; the learning-rate schedule and step numbering continue,
//! AdamW's moments restart from zero.

use crate::artifacts::Manifest;
use crate::encoder_runtime::load_dense_encoder;
use crate::finetune_data::{DataPlan, build_texts};
use crate::neural::{build_dense, product_texts};
use crate::projected::{EncoderRef, ProjectionArtifact, projected_fingerprint, projection_path};
use crate::rerank_train::data_fingerprint;
use crate::train::{DevRow, TrainDenseOptions, TrainDenseSummary, encode_queries};
use crate::{Config, EngineError, catalog_fingerprint, load_catalog, split_queries};
use esci_core::QuerySet;
use esci_dense::DenseIndex;
use esci_ingest::TextBuilder;
use esci_models::TextTokenizer;
use esci_models::fetch::model_fingerprint;
use esci_train::Projection;
use esci_train::bert_params::Freeze;
use esci_train::biencoder::{
    BiEncoderConfig, BiEncoderData, BiEncoderReport, TrainableBiEncoder, train_bi_encoder_with,
};
use esci_train::dev::recall_by_dim;
use esci_train::pca::fit_pca;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Sub-directory of the models directory holding fine-tuned encoders.
pub const FINETUNED_DIR: &str = "finetuned";
/// The manifest written beside a fine-tuned checkpoint.
pub const FINETUNE_MANIFEST: &str = "finetune.json";
/// Sub-directory of a checkpoint holding the weights of the last dev evaluation.
pub const LAST_DIR: &str = "last";
/// The step and fingerprints of those weights.
const RESUME_STATE: &str = "state.json";

/// Settings of `--method finetune` beyond the trainer's hyper-parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinetuneSettings {
    /// The trainer's hyper-parameters.
    pub train: BiEncoderConfig,
    /// Train behind the PCA rotation of the base product vectors (else identity).
    pub rotation: bool,
    /// BM25 depth hard negatives are drawn from (used when `train.hard_negatives`).
    pub negative_depth: usize,
    /// Random catalog products in the dev proxy's pool.
    pub dev_sample: usize,
    /// Continue from the checkpoint already at the output directory.
    pub resume: bool,
    /// Checkpoint directory (default `<models dir>/finetuned/<name>`).
    pub out: Option<PathBuf>,
}

impl Default for FinetuneSettings {
    fn default() -> FinetuneSettings {
        FinetuneSettings {
            train: BiEncoderConfig::default(),
            rotation: true,
            negative_depth: 50,
            dev_sample: 1000,
            resume: false,
            out: None,
        }
    }
}

/// `finetune.json`: provenance, settings and results of a fine-tuned encoder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinetuneManifest {
    /// Always `bi-encoder`.
    pub kind: String,
    /// Directory of the base model.
    pub base_model: PathBuf,
    /// Fingerprint of the base model's files.
    pub base_fingerprint: String,
    /// Fingerprint of the catalog and of the fit and dev judgments.
    pub data_fingerprint: String,
    /// Product fields encoded, in order.
    pub fields: Vec<String>,
    /// Settings and hyper-parameters.
    pub settings: FinetuneSettings,
    /// Substitutes counted as positives.
    pub substitutes: bool,
    /// Fit queries, pairs, dev queries and dev pool size.
    pub fit_queries: usize,
    /// (fit query, positive) pairs.
    pub fit_pairs: usize,
    /// Dev queries.
    pub dev_queries: usize,
    /// Products in the dev proxy's pool, and its recall cut-off.
    pub dev_pool: (usize, usize),
    /// The training run (dev proxy history, steps, timing).
    pub report: BiEncoderReport,
    /// Full-catalog dev Recall@k per prefix, base model vs fine-tuned (after training,
    /// on the configured runtime).
    pub dev: Vec<DevRow>,
    /// Cut-off of `dev`.
    pub dev_k: usize,
    /// Wall seconds from start to written index.
    pub wall_seconds: f64,
    /// Peak resident memory of the process, MiB (Linux).
    pub peak_rss_mib: Option<f64>,
    /// Unix time of the run.
    pub created_unix: u64,
}

/// Where the fine-tuned encoder `name` is written by default.
pub fn finetuned_dir(config: &Config, name: &str) -> PathBuf {
    config.models.dir.join(FINETUNED_DIR).join(name)
}

/// Fine-tunes the dense encoder, saves it, and writes and registers its index.
pub(crate) fn train_finetune(
    config: &Config,
    options: &TrainDenseOptions,
    name: &str,
) -> Result<TrainDenseSummary, EngineError> {
    let started = Instant::now();
    let settings = &options.finetune;
    let dir = &config.artifacts.dir;
    let mut manifest = Manifest::load(dir)?;
    let dense = manifest.dense.clone().ok_or_else(|| {
        EngineError::Artifacts("no dense index: build it with `esci index` first".into())
    })?;
    let base = config.models.dense_dir();
    let base_fp = model_fingerprint(&base)?;
    dense.check_query_model("dense", &base, &base_fp)?;
    let out = settings
        .out
        .clone()
        .unwrap_or_else(|| finetuned_dir(config, name));
    if out == base {
        return Err(EngineError::Config(format!(
            "the fine-tuned model would overwrite its base in {}: pick another --out",
            out.display()
        )));
    }
    let catalog = load_catalog(config, true)?;
    let catalog_fp = catalog_fingerprint(&catalog.products);
    manifest.check_corpus(catalog.len(), &catalog_fp)?;
    let index = DenseIndex::load(&dir.join(&dense.file))?;
    if index.model_fingerprint() != base_fp || index.len() != catalog.len() {
        return Err(EngineError::Artifacts(format!(
            "{} does not match its manifest entry: rebuild with `esci index`",
            dir.join(&dense.file).display()
        )));
    }
    let dim = index.dim();
    let fit = split_queries(&catalog, QuerySet::Fit);
    let dev = split_queries(&catalog, QuerySet::Dev);
    if fit.is_empty() {
        return Err(EngineError::Input(
            "no judged fit queries (train split minus dev): check the examples file".into(),
        ));
    }

    // The fixed map the encoder trains behind: the base products' principal axes.
    let rotation = match settings.rotation {
        true => fit_pca(index.as_matrix(), dim, options.center, name, &base_fp)?.projection,
        false => Projection::identity(dim, &base_fp)?,
    };
    let train = &settings.train;
    let texts = build_texts(
        config,
        &catalog,
        &fit,
        &dev,
        &DataPlan {
            substitutes: options.substitutes,
            negative_depth: if train.hard_negatives {
                settings.negative_depth
            } else {
                0
            },
            dev_sample: settings.dev_sample,
            dev_k: options.adapter.dev_k,
            seed: train.seed,
        },
    )?;
    let tokenizer = |max| TextTokenizer::from_file(&base.join("tokenizer.json"), max);
    let data = BiEncoderData::tokenize(
        &tokenizer(train.query_max_length)?,
        &tokenizer(train.doc_max_length)?,
        &texts,
    )?;
    tracing::info!(
        "bi-encoder: {} fit queries ({} pairs, {} products), {} dev queries against a pool of {} (R@{}), {} layers frozen",
        fit.len(),
        data.pairs.len(),
        data.docs.len(),
        dev.len(),
        data.dev.docs.len(),
        data.dev.k,
        train.freeze_below
    );
    let freeze = Freeze {
        embeddings: train.freeze_embeddings,
        below_layer: train.freeze_below,
    };
    let data_fp = data_fingerprint(&catalog_fp, &fit, &dev);
    let last = out.join(LAST_DIR);
    let (model, start_step) = match settings.resume {
        false => (
            TrainableBiEncoder::from_pretrained(&base, freeze, Some(&rotation))?,
            0,
        ),
        true => {
            let (from, state) = resume_point(&out, &last)?;
            if state.base_fingerprint != base_fp || state.data_fingerprint != data_fp {
                return Err(EngineError::Artifacts(format!(
                    "cannot resume from {}: it was trained from model {} on data {}, the configured dense model is {base_fp} and the data {data_fp}",
                    from.display(),
                    state.base_fingerprint,
                    state.data_fingerprint
                )));
            }
            tracing::info!(
                "bi-encoder: resuming from {} at step {}",
                from.display(),
                state.step
            );
            let model = TrainableBiEncoder::from_pretrained(&from, freeze, Some(&rotation))?;
            (model, state.step)
        }
    };
    // After every dev evaluation the current weights and step go to `<out>/last/`, so
    // an interrupted run can be resumed from there.
    let mut save_last = |model: &TrainableBiEncoder, step: usize| {
        if !options.save {
            return Ok(());
        }
        model.save(&last)?;
        let state = ResumeState {
            step,
            base_fingerprint: base_fp.clone(),
            data_fingerprint: data_fp.clone(),
        };
        let json = serde_json::to_string_pretty(&state)
            .map_err(|e| esci_train::TrainError::Invalid(e.to_string()))?;
        let path = last.join(RESUME_STATE);
        esci_core::atomic_file::write_atomically(&path, |w| {
            std::io::Write::write_all(w, json.as_bytes())
        })
        .map_err(|source| esci_train::TrainError::Io { path, source })
    };
    let report = train_bi_encoder_with(&model, &data, train, start_step, &mut save_last)?;
    let train_seconds = report.seconds;

    // The checkpoint: weights, the base's tokenizer and pooling files, the manifest last.
    if options.save {
        // The manifest marks a finished checkpoint: drop the old one before the weights
        // change, so an interrupted save is never taken for a finished fine-tune.
        let manifest_path = out.join(FINETUNE_MANIFEST);
        if manifest_path.is_file() {
            std::fs::remove_file(&manifest_path).map_err(EngineError::io(&manifest_path))?;
        }
        model.save(&out)?;
        copy_model_files(&base, &out)?;
    }

    // Encode the catalog and the dev queries with the fine-tuned model (the configured
    // runtime), rotate, and score the full-catalog dev recall against the base.
    let k = options.adapter.dev_k;
    let dims = &options.adapter.dims;
    let dev_base = recall_by_dim(
        index.as_matrix().to_vec(),
        &encode_queries(
            load_dense_encoder(config, &base, dense.max_length)?.as_ref(),
            &dev,
        )?,
        dim,
        &dev,
        dims,
        k,
    )?;
    let fields = config.neural.fields().map_err(EngineError::Config)?;
    let mut summary = TrainDenseSummary {
        name: name.to_owned(),
        projection_file: projection_path(config, name),
        index_file: dir.join(format!("dense-{name}.idx")),
        fingerprint: rotation.fingerprint().into(),
        fit_queries: fit.len(),
        dev_queries: dev.len(),
        pairs: data.pairs.len(),
        encode_seconds: 0.0,
        train_seconds,
        dev: Vec::new(),
        dev_k: k,
        explained: Vec::new(),
        report: None,
        finetune: None,
    };
    let mut record = FinetuneManifest {
        kind: "bi-encoder".into(),
        base_model: base.clone(),
        base_fingerprint: base_fp.clone(),
        data_fingerprint: data_fp.clone(),
        fields: config.neural.text_fields.clone(),
        settings: settings.clone(),
        substitutes: options.substitutes,
        fit_queries: fit.len(),
        fit_pairs: data.pairs.len(),
        dev_queries: dev.len(),
        dev_pool: (data.dev.docs.len(), data.dev.k),
        report,
        dev: Vec::new(),
        dev_k: k,
        wall_seconds: 0.0,
        peak_rss_mib: None,
        created_unix: crate::unix_now(),
    };
    if !options.save {
        record.wall_seconds = started.elapsed().as_secs_f64();
        record.peak_rss_mib = crate::bench::peak_rss_mib();
        summary.finetune = Some(record);
        return Ok(summary);
    }
    let tuned_fp = model_fingerprint(&out)?;
    let encode_started = Instant::now();
    let encoder = load_dense_encoder(config, &out, dense.max_length)?;
    let vectors = build_dense(
        encoder.as_ref(),
        &product_texts(&catalog.products, &TextBuilder::new(fields)),
        &tuned_fp,
    )?;
    let dev_tuned = encode_queries(encoder.as_ref(), &dev)?;
    summary.encode_seconds = encode_started.elapsed().as_secs_f64();
    let mut projection = Projection::new(
        name,
        "finetune",
        (rotation.d_out(), rotation.d_in()),
        rotation.weights().to_vec(),
        rotation.mean().map(<[f32]>::to_vec),
        rotation.bias().map(<[f32]>::to_vec),
        &tuned_fp,
    )?;
    let rotated = projection.apply_batch(vectors.as_matrix())?;
    let dev_mapped = recall_by_dim(
        rotated.clone(),
        &projection.apply_batch(&dev_tuned)?,
        projection.d_out(),
        &dev,
        dims,
        k,
    )?;
    record.dev = dims
        .iter()
        .zip(dev_base.iter().zip(&dev_mapped))
        .map(|(&dim, (&base, &projected))| DevRow {
            dim,
            base,
            projected,
        })
        .collect();
    summary.dev = record.dev.clone();
    projection.metadata = serde_json::json!({
        "method": "finetune",
        "encoder": &out,
        "rotation": if settings.rotation { "pca" } else { "identity" },
    });
    projection.save(&summary.projection_file)?;
    let file = format!("dense-{name}.idx");
    let projected = DenseIndex::new(
        rotated,
        projection.d_out(),
        projected_fingerprint(&tuned_fp, projection.fingerprint()),
    )?;
    projected.save(&dir.join(&file))?;
    manifest.projections.insert(
        name.to_owned(),
        ProjectionArtifact {
            method: "finetune".into(),
            file,
            projection_file: summary.projection_file.clone(),
            projection_fingerprint: projection.fingerprint().into(),
            model_fingerprint: base_fp,
            dim: projection.d_out(),
            docs: projected.len(),
            train_seconds,
            encoder: Some(EncoderRef {
                dir: out.clone(),
                fingerprint: tuned_fp,
            }),
        },
    );
    manifest.save(dir)?;
    record.wall_seconds = started.elapsed().as_secs_f64();
    record.peak_rss_mib = crate::bench::peak_rss_mib();
    write_manifest(&out, &record)?;
    summary.finetune = Some(record);
    Ok(summary)
}

/// Where a run stopped: `<out>/last/state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ResumeState {
    step: usize,
    base_fingerprint: String,
    data_fingerprint: String,
}

/// The weights to resume from: the last dev evaluation's (`<out>/last/`, written
/// during every run), else the finished checkpoint's (`finetune.json`'s step).
fn resume_point(out: &Path, last: &Path) -> Result<(PathBuf, ResumeState), EngineError> {
    let path = last.join(RESUME_STATE);
    if path.is_file() {
        let text = std::fs::read_to_string(&path).map_err(EngineError::io(&path))?;
        let state = serde_json::from_str(&text)
            .map_err(|e| EngineError::Artifacts(format!("{}: {e}", path.display())))?;
        return Ok((last.to_path_buf(), state));
    }
    let finished = read_manifest(out)?;
    Ok((
        out.to_path_buf(),
        ResumeState {
            step: finished.report.steps,
            base_fingerprint: finished.base_fingerprint,
            data_fingerprint: finished.data_fingerprint,
        },
    ))
}

/// Copies the tokenizer and sentence-transformers files of `base` that exist (those
/// MiniLM ships beside its weights).
fn copy_model_files(base: &Path, out: &Path) -> Result<(), EngineError> {
    for file in esci_models::fetch::MINILM.companion_files() {
        let from = base.join(file);
        if !from.is_file() {
            continue;
        }
        let to = out.join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(EngineError::io(parent))?;
        }
        std::fs::copy(&from, &to).map_err(EngineError::io(&to))?;
    }
    Ok(())
}

/// Reads `finetune.json` of a checkpoint directory.
pub fn read_manifest(dir: &Path) -> Result<FinetuneManifest, EngineError> {
    let path = dir.join(FINETUNE_MANIFEST);
    if !path.is_file() {
        return Err(EngineError::Artifacts(format!(
            "no finished fine-tune in {} ({FINETUNE_MANIFEST} is missing): train one with `esci train dense --method finetune`",
            dir.display()
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(EngineError::io(&path))?;
    serde_json::from_str(&text)
        .map_err(|e| EngineError::Artifacts(format!("{}: {e}", path.display())))
}

fn write_manifest(dir: &Path, record: &FinetuneManifest) -> Result<(), EngineError> {
    let json = serde_json::to_string_pretty(record)
        .map_err(|e| EngineError::Input(format!("cannot record the run: {e}")))?;
    let path = dir.join(FINETUNE_MANIFEST);
    esci_core::atomic_file::write_atomically(&path, |w| {
        std::io::Write::write_all(w, json.as_bytes())
    })
    .map_err(EngineError::io(&path))
}
