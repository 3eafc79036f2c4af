//! The typed configuration: defaults, a TOML file, environment variables, then flags,
//! validated once into the values every stage reads.

use crate::retrieval_config::{FusionSection, NeuralSection};
use esci_core::{Field, QuerySet};
use esci_eval::GainScheme;
use esci_lexical::Bm25Params;
use esci_text::AnalyzerConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default data directory: the ESCI subset beside the repository.
pub const DEFAULT_DATA_DIR: &str = "../shared/data/esci";
/// The config file read from the working directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "esci.toml";

/// The whole configuration, as written in `esci.toml` (every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the catalog and judgments come from.
    pub data: DataConfig,
    /// Where built indexes and run reports go.
    pub artifacts: ArtifactsConfig,
    /// Where pretrained and trained models live.
    pub models: ModelsConfig,
    /// Text analysis of documents and queries.
    pub analyzer: AnalyzerSection,
    /// BM25F scoring.
    pub bm25: Bm25Section,
    /// Dense and SPLADE indexes.
    pub neural: NeuralSection,
    /// Fusion of retrievers.
    pub fusion: FusionSection,
    /// Evaluation runs.
    pub eval: EvalConfig,
    /// Cross-encoder reranking of the fused list.
    pub rerank: crate::rerank_config::RerankSection,
}

/// `[data]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Directory holding the two ESCI files (env `ESCI_DATA_DIR`).
    pub dir: PathBuf,
    /// Products file, relative to `dir` unless absolute (.parquet, .jsonl or .csv).
    pub products: PathBuf,
    /// Judgments file, relative to `dir` unless absolute; optional for indexing.
    pub examples: PathBuf,
    /// Keep only this `product_locale`; empty keeps every locale.
    pub locale: String,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            dir: DEFAULT_DATA_DIR.into(),
            products: esci_ingest::PRODUCTS_FILE.into(),
            examples: esci_ingest::EXAMPLES_FILE.into(),
            locale: "us".into(),
        }
    }
}

impl DataConfig {
    /// Full path of the products file.
    pub fn products_path(&self) -> PathBuf {
        self.dir.join(&self.products)
    }

    /// Full path of the judgments file.
    pub fn examples_path(&self) -> PathBuf {
        self.dir.join(&self.examples)
    }

    /// The locale filter, `None` when every locale is kept.
    pub fn locale_filter(&self) -> Option<&str> {
        Some(self.locale.as_str()).filter(|l| !l.is_empty())
    }
}

/// `[artifacts]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArtifactsConfig {
    /// Directory of the built index set (env `ESCI_ARTIFACTS_DIR`).
    pub dir: PathBuf,
    /// Directory where each evaluation run writes its JSON report.
    pub runs_dir: PathBuf,
}

impl Default for ArtifactsConfig {
    fn default() -> Self {
        ArtifactsConfig {
            dir: "data/artifacts".into(),
            runs_dir: "data/runs".into(),
        }
    }
}

/// `[models]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelsConfig {
    /// Directory of installed models (env `ESCI_MODELS_DIR`); `esci models fetch` fills it.
    pub dir: PathBuf,
    /// Dense bi-encoder: a directory name inside `dir`, or any path to a BERT model
    /// directory (`config.json`, `model.safetensors`, `tokenizer.json`).
    pub dense: PathBuf,
    /// SPLADE encoder, likewise.
    pub splade: PathBuf,
}

impl Default for ModelsConfig {
    fn default() -> Self {
        ModelsConfig {
            dir: esci_models::fetch::DEFAULT_MODELS_DIR.into(),
            dense: esci_models::fetch::MINILM.name.into(),
            splade: esci_models::fetch::SPLADE_TINY.name.into(),
        }
    }
}

impl ModelsConfig {
    /// Directory of the dense model.
    pub fn dense_dir(&self) -> PathBuf {
        self.dir.join(&self.dense)
    }

    /// Directory of the SPLADE model.
    pub fn splade_dir(&self) -> PathBuf {
        self.dir.join(&self.splade)
    }
}

/// `[analyzer]`
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyzerSection {
    /// English Snowball stemming.
    pub stem: bool,
    /// English stopword removal.
    pub stopwords: bool,
}

impl Default for AnalyzerSection {
    fn default() -> Self {
        let d = AnalyzerConfig::default();
        AnalyzerSection {
            stem: d.stem,
            stopwords: d.stopwords,
        }
    }
}

/// `[bm25]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bm25Section {
    /// Term-frequency saturation.
    pub k1: f32,
    /// Length normalisation.
    pub b: f32,
    /// Field name → weight; fields left out are not indexed.
    pub fields: BTreeMap<String, f32>,
}

impl Default for Bm25Section {
    fn default() -> Self {
        let d = Bm25Params::default();
        Bm25Section {
            k1: d.k1,
            b: d.b,
            fields: d
                .field_weights
                .iter()
                .map(|(f, w)| (f.name().to_owned(), *w))
                .collect(),
        }
    }
}

impl Bm25Section {
    /// Validated scoring parameters, fields in the canonical [`Field::ALL`] order.
    pub fn params(&self) -> Result<Bm25Params, String> {
        let mut field_weights = Vec::new();
        for (name, weight) in &self.fields {
            let field = Field::parse(name).ok_or_else(|| {
                format!("unknown field {name:?} in [bm25.fields]: expected title, brand, color, bullets or description")
            })?;
            field_weights.push((field, *weight));
        }
        field_weights.sort_by_key(|(f, _)| *f);
        let params = Bm25Params {
            k1: self.k1,
            b: self.b,
            field_weights,
        };
        params.validate()?;
        Ok(params)
    }
}

/// `[eval]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalConfig {
    /// Query set to evaluate: `test`, `train`, `dev` (carved from train) or `fit`
    /// (train minus dev).
    pub split: QuerySet,
    /// Documents retrieved per query (the deepest metric cut-off must not exceed it).
    pub depth: usize,
    /// nDCG gain form.
    pub gain: GainScheme,
    /// Threads for the all-cores throughput pass; 0 = every core.
    pub threads: usize,
    /// Minimum seconds each timing pass runs (the query set is repeated to fill it).
    pub min_timing_seconds: f64,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            split: QuerySet::Test,
            depth: 200,
            gain: GainScheme::Linear,
            threads: 0,
            min_timing_seconds: 1.0,
        }
    }
}

impl Config {
    /// Reads a TOML file; unknown keys are errors that name the key.
    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }

    /// Defaults, overlaid with `path` (or `./esci.toml` when present), then environment.
    pub fn load(path: Option<&Path>) -> Result<Config, String> {
        let mut config = match path {
            Some(p) => Config::from_file(p)?,
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                Config::from_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => Config::default(),
        };
        if let Ok(dir) = std::env::var("ESCI_DATA_DIR") {
            config.data.dir = dir.into();
        }
        if let Ok(dir) = std::env::var("ESCI_ARTIFACTS_DIR") {
            config.artifacts.dir = dir.into();
        }
        if let Ok(dir) = std::env::var(esci_models::fetch::MODELS_DIR_ENV) {
            config.models.dir = dir.into();
        }
        Ok(config)
    }

    /// Checks every value, naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        self.bm25.params()?;
        self.neural.validate()?;
        self.fusion.validate()?;
        self.rerank.validate()?;
        if self.eval.depth == 0 || self.eval.depth > 100_000 {
            return Err(format!(
                "eval.depth must be in 1..=100000, got {}",
                self.eval.depth
            ));
        }
        if !(self.eval.min_timing_seconds.is_finite() && self.eval.min_timing_seconds >= 0.0) {
            return Err("eval.min_timing_seconds must be a non-negative number".into());
        }
        Ok(())
    }

    /// The analyzer options.
    pub fn analyzer_config(&self) -> AnalyzerConfig {
        AnalyzerConfig {
            stem: self.analyzer.stem,
            stopwords: self.analyzer.stopwords,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_round_trip_through_toml() {
        let config = Config::default();
        config.validate().unwrap();
        let text = toml::to_string(&config).unwrap();
        let back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back, config);
        assert_eq!(config.bm25.params().unwrap(), Bm25Params::default());
    }

    #[test]
    fn partial_files_keep_defaults_and_bad_keys_are_named() {
        let config: Config = toml::from_str("[bm25]\nk1 = 1.7\n").unwrap();
        assert_eq!(config.bm25.k1, 1.7);
        assert_eq!(config.bm25.b, Bm25Params::default().b);
        assert_eq!(config.data, DataConfig::default());
        let err = toml::from_str::<Config>("[bm25]\nkone = 0.9\n").unwrap_err();
        assert!(err.to_string().contains("kone"), "{err}");
        let mut bad = Config::default();
        bad.bm25.fields.insert("price".into(), 1.0);
        assert!(bad.validate().unwrap_err().contains("price"));
        bad = Config::default();
        bad.bm25.b = 2.0;
        assert!(bad.validate().unwrap_err().contains("b must"));
    }
}
