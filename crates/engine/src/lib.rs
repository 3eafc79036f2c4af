//! The esci-search pipeline, wiring the stage crates together: configuration,
//! catalog loading, index builds into an artifact directory, the query path, and
//! evaluation runs and benchmarks. The CLI (and later the server) are thin layers
//! over this crate.
//!
//! ```no_run
//! use esci_engine::{Config, Searcher, Strategy, build_index};
//! let config = Config::default(); // ../shared/data/esci, artifacts in data/artifacts
//! build_index(&config)?; // BM25, plus dense and SPLADE (encodes every product)
//! let searcher = Searcher::open(&config, false)?;
//! let strategy = Strategy::parse("dense+bm25+splade").unwrap();
//! for r in searcher.search("cordless drill 20v", 10, &strategy)? {
//!     println!("{} {:.3} {}", r.rank, r.score, r.title);
//! }
//! # Ok::<(), esci_engine::EngineError>(())
//! ```
#![deny(missing_docs)]

pub mod ablation;
mod artifacts;
pub mod bench;
mod build;
mod catalog;
mod config;
mod encoder_runtime;
mod error;
mod evaluate;
mod finetune;
mod finetune_data;
mod fingerprint;
mod hybrid;
mod models;
mod negatives;
mod neural;
pub mod progress;
mod projected;
mod rerank;
mod rerank_combine;
mod rerank_config;
mod rerank_train;
mod rerank_tune;
mod retrieval_config;
mod searcher;
pub mod splade_vocab;
mod strategy;
mod train;
pub mod tune;
mod tuned;

pub use artifacts::{
    BM25_FILE, Bm25Artifact, CorpusInfo, DENSE_FILE, MANIFEST_FILE, Manifest, NeuralArtifact,
    SPLADE_FILE,
};
pub use build::{BuildSummary, build_index};
pub use catalog::load_catalog;
pub use config::{
    AnalyzerSection, ArtifactsConfig, Bm25Section, Config, DEFAULT_CONFIG_FILE, DEFAULT_DATA_DIR,
    DataConfig, EvalConfig, ModelsConfig,
};
pub use encoder_runtime::EncoderRuntime;
pub use error::EngineError;
pub use esci_fusion::FusionMethod;
pub use evaluate::{EvalOptions, evaluate, evaluate_strategy, save_run, split_queries};
pub use finetune::{
    FINETUNE_MANIFEST, FINETUNED_DIR, FinetuneManifest, FinetuneSettings, finetuned_dir,
    read_manifest as read_finetune_manifest,
};
pub use fingerprint::catalog_fingerprint;
pub use hybrid::Hybrid;
pub use models::{Embedding, embed, fetch_models};
pub use negatives::NegativeSource;
pub use neural::{DenseRetriever, SpladeRetriever};
pub use projected::{EncoderRef, PROJECTIONS_DIR, ProjectionArtifact, projection_path};
pub use rerank::{
    COMBINED_SIGNAL, RERANK_SIGNAL, Reranked, RerankedHit, Reranker, TASK1_CE_KEY,
    evaluate_reranked, search_reranked,
};
pub use rerank_combine::{Combination, CombineMethod};
pub use rerank_config::RerankSection;
pub use rerank_train::{
    RERANKER_MANIFEST, RerankerManifest, TrainRerankerOptions, TrainRerankerSummary,
    train_reranker_model,
};
pub use rerank_tune::{RerankTuneGrid, RerankTuneReport, ServedRerank};
pub use retrieval_config::{DenseScan, FusionSection, NeuralSection};
pub use searcher::{RetrieverSignal, SearchResult, Searcher};
pub use strategy::{RetrieverKind, Strategy};
pub use train::{DevRow, ProjectionMethod, TrainDenseOptions, TrainDenseSummary, train_dense};
pub use tuned::{TUNED_FUSION_FILE, TunedFusion};

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
