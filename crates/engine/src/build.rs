//! `esci index`: catalog → BM25 index → artifact directory.

use crate::artifacts::{
    BM25_FILE, Bm25Artifact, CorpusInfo, DENSE_FILE, MANIFEST_VERSION, Manifest, NeuralArtifact,
    SPLADE_FILE,
};
use crate::encoder_runtime::{load_dense_encoder, load_splade_encoder};
use crate::neural::{build_dense, build_splade, product_texts, splade_options};
use crate::splade_vocab::{Fitted, SpladeVocab, VocabArtifact, fit_vocabulary, sample_indices};
use crate::{Config, EngineError, catalog_fingerprint, load_catalog, progress};
use esci_ingest::{IngestReport, TextBuilder};
use esci_lexical::{Bm25Index, IndexBuilder, IndexStats};
use esci_models::fetch::model_fingerprint;
use esci_models::{SparseVector, TextTokenizer};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a build did, for the CLI to print.
#[derive(Debug, Clone, Serialize)]
pub struct BuildSummary {
    /// Where the artifacts were written.
    pub artifacts_dir: PathBuf,
    /// Products indexed.
    pub products: usize,
    /// Seconds reading and validating the catalog.
    pub ingest_seconds: f64,
    /// Seconds building the index in memory.
    pub build_seconds: f64,
    /// Seconds writing the index and manifest.
    pub write_seconds: f64,
    /// Index size.
    pub stats: IndexStats,
    /// The dense index: built, reused from the previous build, or absent.
    pub dense: Option<(NeuralArtifact, bool)>,
    /// The SPLADE index, likewise (`true` = reused).
    pub splade: Option<(NeuralArtifact, bool)>,
    /// Ingest counts and warnings.
    pub ingest: IngestReport,
}

/// Builds every index the configuration asks for and writes them, with their
/// manifest, to the artifact directory. Each file is replaced atomically and the
/// manifest is written last; every index file records what made it (parameters, model
/// fingerprint, document count) and is checked against the manifest at load, so an
/// interrupted build never serves a mix: the previous set still loads, or loading
/// says to rebuild.
pub fn build_index(config: &Config) -> Result<BuildSummary, EngineError> {
    config.validate().map_err(EngineError::Config)?;
    let params = config.bm25.params().map_err(EngineError::Config)?;
    let dir = config.artifacts.dir.clone();

    let started = Instant::now();
    let catalog = load_catalog(config, false)?;
    let fingerprint = catalog_fingerprint(&catalog.products);
    let ingest_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let builder =
        IndexBuilder::new(params.clone(), config.analyzer_config()).map_err(EngineError::from)?;
    let bar = progress::bar(catalog.len() as u64, "bm25");
    let index = builder.build(&catalog.products, &|n| bar.inc(n as u64));
    bar.finish_and_clear();
    let build_seconds = started.elapsed().as_secs_f64();
    let stats = index.stats();

    std::fs::create_dir_all(&dir).map_err(EngineError::io(&dir))?;
    let previous = Manifest::load(&dir)
        .ok()
        .filter(|m| m.corpus.fingerprint == fingerprint && m.corpus.products == catalog.len());
    let neural = NeuralBuild {
        config,
        dir: &dir,
        products: &catalog.products,
        texts: std::cell::OnceCell::new(),
    };
    let dense = match config.neural.dense {
        true => Some(neural.dense(previous.as_ref().and_then(|m| m.dense.as_ref()))?),
        false => None,
    };
    let splade = match config.neural.splade {
        true => Some(neural.splade(previous.as_ref().and_then(|m| m.splade.as_ref()))?),
        false => None,
    };

    let started = Instant::now();
    index.save(&dir.join(BM25_FILE))?;
    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        esci_version: env!("CARGO_PKG_VERSION").into(),
        created_unix: crate::unix_now(),
        corpus: CorpusInfo {
            products_file: config.data.products_path(),
            locale: config.data.locale_filter().map(str::to_owned),
            products: catalog.len(),
            fingerprint,
        },
        bm25: Bm25Artifact::new(params, stats, build_seconds),
        dense: dense.as_ref().map(|(a, _)| a.clone()),
        splade: splade.as_ref().map(|(a, _)| a.clone()),
        // Projected indexes stay valid while the dense index they were made from does.
        projections: match (&previous, &dense) {
            (Some(p), Some((_, true))) => p.projections.clone(),
            _ => Default::default(),
        },
    };
    manifest.save(&dir)?;
    Ok(BuildSummary {
        artifacts_dir: dir,
        products: catalog.len(),
        ingest_seconds,
        build_seconds,
        write_seconds: started.elapsed().as_secs_f64(),
        stats,
        dense,
        splade,
        ingest: catalog.report,
    })
}

/// Encodes the catalog for the neural indexes, reusing an index whose inputs (catalog,
/// model fingerprint, text fields, token limit) have not changed.
struct NeuralBuild<'a> {
    config: &'a Config,
    dir: &'a Path,
    products: &'a [esci_core::Product],
    /// Product texts, built once for both encoders.
    texts: std::cell::OnceCell<Vec<String>>,
}

impl NeuralBuild<'_> {
    fn texts(&self) -> Result<&[String], EngineError> {
        let fields = self.config.neural.fields().map_err(EngineError::Config)?;
        Ok(self
            .texts
            .get_or_init(|| product_texts(self.products, &TextBuilder::new(fields))))
    }

    /// The artifact a build with the current settings would record, before encoding.
    fn planned(&self, file: &str, model_dir: &Path) -> Result<NeuralArtifact, EngineError> {
        Ok(NeuralArtifact {
            file: file.into(),
            model_dir: model_dir.to_owned(),
            model_fingerprint: model_fingerprint(model_dir)?,
            text_fields: self.config.neural.text_fields.clone(),
            max_length: self.config.neural.max_length,
            docs: self.products.len(),
            build_seconds: 0.0,
            runtime: self.config.neural.runtime,
            vocabulary: None,
            splade_decoder: None,
        })
    }

    fn reusable(
        &self,
        planned: &NeuralArtifact,
        previous: Option<&NeuralArtifact>,
    ) -> Option<(NeuralArtifact, bool)> {
        previous
            .filter(|p| p.inputs() == planned.inputs() && self.dir.join(&p.file).is_file())
            .map(|p| (p.clone(), true))
    }

    fn dense(
        &self,
        previous: Option<&NeuralArtifact>,
    ) -> Result<(NeuralArtifact, bool), EngineError> {
        let model_dir = self.config.models.dense_dir();
        let mut planned = self.planned(DENSE_FILE, &model_dir)?;
        if let Some(reused) = self.reusable(&planned, previous) {
            tracing::info!(
                "dense index unchanged (same catalog, model, text and runtime): reusing it"
            );
            return Ok(reused);
        }
        let started = Instant::now();
        let encoder = load_dense_encoder(self.config, &model_dir, planned.max_length)?;
        let index = build_dense(encoder.as_ref(), self.texts()?, &planned.model_fingerprint)?;
        index.save(&self.dir.join(DENSE_FILE))?;
        planned.build_seconds = started.elapsed().as_secs_f64();
        Ok((planned, false))
    }

    fn splade(
        &self,
        previous: Option<&NeuralArtifact>,
    ) -> Result<(NeuralArtifact, bool), EngineError> {
        let model_dir = self.config.models.splade_dir();
        let mut planned = self.planned(SPLADE_FILE, &model_dir)?;
        let neural = &self.config.neural;
        let settings = match neural.splade_vocab {
            SpladeVocab::Full => None,
            SpladeVocab::Active => Some((
                neural.splade_vocab_sample.min(self.products.len()),
                neural.splade_vocab_input_tokens,
                neural.splade_vocab_max_ids,
            )),
        };
        planned.vocabulary = settings.map(VocabArtifact::planned);
        if neural.runtime == crate::EncoderRuntime::OnnxInt8 {
            planned.splade_decoder = Some(esci_onnx::SpladeDecoder::from_env().name().into());
        }
        let reused = self.reusable(&planned, previous).filter(|(p, _)| {
            p.vocabulary
                .as_ref()
                .is_none_or(|v| v.load(self.dir).is_ok())
        });
        if let Some(reused) = reused {
            tracing::info!(
                "SPLADE index unchanged (same catalog, model, text, runtime and vocabulary): reusing it"
            );
            return Ok(reused);
        }
        let started = Instant::now();
        let texts = self.texts()?;
        let mut known: Vec<Option<SparseVector>> = vec![None; texts.len()];
        let active = match settings {
            None => None,
            Some(settings) => {
                let (sample, fitted) =
                    self.fit_vocabulary(&model_dir, planned.max_length, settings)?;
                let artifact = fitted.artifact;
                fitted.vocabulary.save(&self.dir.join(&artifact.file))?;
                tracing::info!(
                    ids = artifact.ids,
                    sample = artifact.sample,
                    seconds = artifact.fit_seconds,
                    "fitted the active SPLADE vocabulary"
                );
                for (i, v) in sample.into_iter().zip(fitted.sampled) {
                    known[i] = Some(v);
                }
                planned.vocabulary = Some(artifact);
                Some(fitted.vocabulary)
            }
        };
        let encoder = load_splade_encoder(self.config, &model_dir, planned.max_length, active)?;
        let index = build_splade(encoder.as_ref(), texts, known)?;
        index.save(&self.dir.join(SPLADE_FILE), &planned.model_fingerprint)?;
        planned.build_seconds = started.elapsed().as_secs_f64();
        Ok((planned, false))
    }

    /// The active vocabulary of `sample` products (returned: their indices) encoded with
    /// the full head, plus (`input_tokens`) the catalog's input tokens, cut to `max_ids`.
    fn fit_vocabulary(
        &self,
        model_dir: &Path,
        max_length: usize,
        (sample, input_tokens, max_ids): (usize, bool, Option<usize>),
    ) -> Result<(Vec<usize>, Fitted), EngineError> {
        let full = load_splade_encoder(self.config, model_dir, max_length, None)?;
        let tokenizer = match input_tokens {
            true => Some(TextTokenizer::from_file(
                &model_dir.join("tokenizer.json"),
                max_length,
            )?),
            false => None,
        };
        let texts: Vec<&str> = self.texts()?.iter().map(String::as_str).collect();
        let sample = sample_indices(texts.len(), sample);
        let fitted = fit_vocabulary(
            full.as_ref(),
            &texts,
            &sample,
            tokenizer.as_ref(),
            max_ids,
            &splade_options(max_length),
        )?;
        Ok((sample, fitted))
    }
}

/// Loads the BM25 index of an artifact directory, checking it against its manifest.
pub(crate) fn load_bm25(
    dir: &std::path::Path,
    manifest: &Manifest,
) -> Result<Bm25Index, EngineError> {
    let index = Bm25Index::load(&dir.join(&manifest.bm25.file))?;
    if index.meta().params != manifest.bm25.params
        || index.meta().num_docs as usize != manifest.corpus.products
    {
        return Err(EngineError::Artifacts(format!(
            "{} does not match its manifest (was the directory partly overwritten?): rebuild with `esci index`",
            dir.join(&manifest.bm25.file).display()
        )));
    }
    Ok(index)
}
