//! `esci index`: catalog → BM25 index → artifact directory.

use crate::artifacts::{BM25_FILE, Bm25Artifact, CorpusInfo, MANIFEST_VERSION, Manifest};
use crate::{Config, EngineError, catalog_fingerprint, load_catalog, progress};
use esci_ingest::IngestReport;
use esci_lexical::{Bm25Index, IndexBuilder, IndexStats};
use serde::Serialize;
use std::path::PathBuf;
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
    /// Ingest counts and warnings.
    pub ingest: IngestReport,
}

/// Builds every index the configuration asks for and writes them, with their
/// manifest, to the artifact directory. Files are replaced atomically, and the
/// manifest last: an interrupted build leaves the previous artifacts usable.
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

    let started = Instant::now();
    std::fs::create_dir_all(&dir).map_err(EngineError::io(&dir))?;
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
    };
    manifest.save(&dir)?;
    Ok(BuildSummary {
        artifacts_dir: dir,
        products: catalog.len(),
        ingest_seconds,
        build_seconds,
        write_seconds: started.elapsed().as_secs_f64(),
        stats,
        ingest: catalog.report,
    })
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
