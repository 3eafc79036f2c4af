//! `esci train ...`

use clap::{Args, Subcommand, ValueEnum};
use esci_engine::{
    Config, FinetuneSettings, NegativeSource, ProjectionMethod, TrainDenseOptions,
    TrainRerankerOptions, train_dense, train_reranker_model,
};
use esci_train::adapter::AdapterConfig;
use esci_train::rerank::{RerankConfig, RerankLoss};
use std::path::PathBuf;

/// `esci train ...`
#[derive(Debug, Subcommand)]
pub enum TrainCommand {
    /// Make dense vectors whose short prefixes keep recall — fine-tune the encoder with
    /// the Matryoshka ranking loss (default), or fit a projection of its embeddings (PCA,
    /// the Matryoshka adapter) — and write the product index; select it with
    /// --projection NAME
    Dense(TrainDenseArgs),
    /// Fine-tune a cross-encoder reranker (MiniLM cut to its first layers, fresh head)
    /// on the graded judgments of the fit queries, keeping the weights with the best dev
    /// nDCG@20; writes safetensors + reranker.json to the [rerank] model directory
    Reranker(TrainRerankerArgs),
    /// Train everything the ablation compares, with default settings, one after the
    /// other: the dense model's projections and fine-tune (`train dense --method M` for
    /// each of --dense-methods: seconds for pca and adapter, ~16 min for finetune), then
    /// the reranker (~21 min); each writes what its own command writes
    All(TrainAllArgs),
}

/// Flags of `train all`: which dense methods; every other setting is its command's
/// default.
#[derive(Debug, Args)]
pub struct TrainAllArgs {
    /// Dense methods to train, comma-separated: pca, adapter, finetune
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "pca,adapter,finetune"
    )]
    pub dense_methods: Vec<MethodArg>,
}

/// Parses the defaults of a subcommand's flags the way the command line would, so
/// `train all` gets exactly what `train dense` / `train reranker` alone would use.
#[derive(Debug, clap::Parser)]
struct Defaults<A: Args> {
    #[command(flatten)]
    args: A,
}

/// Which loss trains the reranker.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LossArg {
    /// Binary cross-entropy per pair toward its gain (E 1, S 0.1, C 0.01, I 0)
    Pointwise,
    /// Softmax cross-entropy per list against gain-normalised targets
    Listwise,
}

/// Flags of `train reranker`; unset values take `RerankConfig`'s defaults.
#[derive(Debug, Args)]
pub struct TrainRerankerArgs {
    /// pointwise or listwise [default: listwise]
    #[arg(long, value_enum)]
    pub loss: Option<LossArg>,
    /// Model to start from [default: the dense model, all-MiniLM-L6-v2]
    #[arg(long)]
    pub base: Option<PathBuf>,
    /// Checkpoint directory [default: <models dir>/reranker]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Encoder layers kept from the base model [default: 6]
    #[arg(long)]
    pub layers: Option<usize>,
    /// Lower layers (and embeddings) left frozen [default: 3]
    #[arg(long)]
    pub freeze: Option<usize>,
    /// Train the embedding tables too (frozen by default: much faster steps)
    #[arg(long)]
    pub train_embeddings: bool,
    /// Longest pair in tokens [default: 48]
    #[arg(long)]
    pub max_length: Option<usize>,
    /// Judged products per list [default: 8]
    #[arg(long)]
    pub list_size: Option<usize>,
    /// Lists per step [default: 4]
    #[arg(long)]
    pub lists_per_step: Option<usize>,
    /// Encoder peak learning rate [default: 3e-4]
    #[arg(long)]
    pub lr: Option<f64>,
    /// Head peak learning rate [default: 1e-2]
    #[arg(long)]
    pub head_lr: Option<f64>,
    /// Maximum epochs [default: 4]
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Steps between dev evaluations [default: 40]
    #[arg(long)]
    pub eval_every: Option<usize>,
    /// Dev evaluations without improvement before stopping [default: 6]
    #[arg(long)]
    pub patience: Option<usize>,
    /// Stop after this many minutes of training [default: 20]
    #[arg(long)]
    pub max_minutes: Option<f64>,
    /// Random seed [default: 42]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Unjudged products of each fit query's top --mine-depth (of --negatives-from's
    /// list) added as weak negatives (0 = judged lists only)
    #[arg(long, default_value_t = 16)]
    pub negatives: usize,
    /// Depth the weak negatives (and --dev-lists first-stage) come from
    #[arg(long, default_value_t = 50)]
    pub mine_depth: usize,
    /// The list weak negatives are drawn from: the fused first stage the rerank stage
    /// reorders (needs `esci index`), or BM25 alone
    #[arg(long, value_enum, default_value_t = NegativesArg::FirstStage)]
    pub negatives_from: NegativesArg,
    /// What the kept weights are judged by on dev: judged lists plus the unjudged
    /// products of the first stage's top --mine-depth, or judged lists alone
    #[arg(long, value_enum, default_value_t = DevListsArg::FirstStage)]
    pub dev_lists: DevListsArg,
    /// Only report the dev figures: save nothing
    #[arg(long)]
    pub dev_only: bool,
    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,
}

impl TrainRerankerArgs {
    fn options(&self) -> TrainRerankerOptions {
        let d = RerankConfig::default();
        TrainRerankerOptions {
            base: self.base.clone(),
            out: self.out.clone(),
            train: RerankConfig {
                loss: match self.loss {
                    Some(LossArg::Pointwise) => RerankLoss::Pointwise,
                    Some(LossArg::Listwise) => RerankLoss::Listwise,
                    None => d.loss,
                },
                layers: self.layers.unwrap_or(d.layers),
                freeze_below: self.freeze.unwrap_or(d.freeze_below),
                freeze_embeddings: !self.train_embeddings,
                max_length: self.max_length.unwrap_or(d.max_length),
                list_size: self.list_size.unwrap_or(d.list_size),
                lists_per_step: self.lists_per_step.unwrap_or(d.lists_per_step),
                lr: self.lr.unwrap_or(d.lr),
                head_lr: self.head_lr.unwrap_or(d.head_lr),
                epochs: self.epochs.unwrap_or(d.epochs),
                eval_every: self.eval_every.unwrap_or(d.eval_every),
                patience: self.patience.unwrap_or(d.patience),
                max_minutes: self.max_minutes.or(d.max_minutes),
                seed: self.seed.unwrap_or(d.seed),
                ..d
            },
            mined_negatives: self.negatives,
            mine_depth: self.mine_depth,
            negative_source: match self.negatives_from {
                NegativesArg::FirstStage => NegativeSource::FirstStage,
                NegativesArg::Bm25 => NegativeSource::Bm25,
            },
            dev_first_stage: self.dev_lists == DevListsArg::FirstStage,
            save: !self.dev_only,
        }
    }
}

/// Where the reranker's weak negatives come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NegativesArg {
    /// The fused first stage's top --mine-depth
    FirstStage,
    /// BM25's top --mine-depth
    Bm25,
}

/// What the reranker's dev lists hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DevListsArg {
    /// Judged products and the first stage's unjudged top --mine-depth
    FirstStage,
    /// Judged products only
    Judged,
}

/// Which projection to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Principal axes of the product embeddings
    Pca,
    /// Linear map trained with the Matryoshka ranking loss
    Adapter,
    /// The encoder itself fine-tuned with the Matryoshka ranking loss (tens of minutes)
    Finetune,
}

/// Flags of `train dense`. Defaults of the adapter were chosen on the dev queries.
#[derive(Debug, Args)]
pub struct TrainDenseArgs {
    /// pca, adapter or finetune (the default: the best at 64 dims on dev, R@200 0.8793
    /// against the adapter's 0.8655, BENCHMARKS.md; ~16 minutes instead of seconds)
    #[arg(long, value_enum, default_value = "finetune")]
    pub method: MethodArg,
    /// Save and select it under this name [default: the method]
    #[arg(long)]
    pub name: Option<String>,
    /// Subtract the product mean before rotating (PCA and the adapter's PCA start); off
    /// by default: uncentred PCA kept more dev recall at 64 and 32 dims (BENCHMARKS.md)
    #[arg(long)]
    pub center: bool,
    /// Start the adapter (or train the fine-tune behind) identity instead of the PCA
    /// rotation
    #[arg(long)]
    pub init_identity: bool,
    /// Only Exact judgments are positives (by default Substitutes count too: slightly
    /// better on dev, BENCHMARKS.md)
    #[arg(long)]
    pub exact_only: bool,
    /// Adapter / finetune: peak learning rate [finetune default: 3e-5]
    #[arg(long)]
    pub lr: Option<f64>,
    /// Adapter / finetune: AdamW weight decay
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Adapter / finetune: pairs per step [finetune default: 32]
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Adapter / finetune: maximum epochs [finetune default: 4]
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Adapter: random extra negatives per step
    #[arg(long)]
    pub extra_negatives: Option<usize>,
    /// Adapter: weight of the similarity-preservation term
    #[arg(long)]
    pub preserve_weight: Option<f64>,
    /// Adapter: train the map itself, not its difference from the start
    #[arg(long)]
    pub no_residual: bool,
    /// Adapter / finetune: dev evaluations without improvement before stopping
    #[arg(long)]
    pub patience: Option<usize>,
    /// Adapter: steps between dev evaluations (0 = every epoch) [default: 12; finetune: 80]
    #[arg(long)]
    pub eval_every: Option<usize>,
    /// Adapter / finetune: steps of learning-rate warm-up
    #[arg(long)]
    pub warmup_steps: Option<usize>,
    /// Only report the dev figures: save nothing (for hyper-parameter searches)
    #[arg(long)]
    pub dev_only: bool,
    /// Adapter / finetune: random seed
    #[arg(long)]
    pub seed: Option<u64>,
    /// Finetune: lower encoder layers left frozen [default: 2]
    #[arg(long)]
    pub freeze: Option<usize>,
    /// Finetune: train the embedding tables too (frozen by default)
    #[arg(long)]
    pub train_embeddings: bool,
    /// Finetune: longest query in tokens [default: 16]
    #[arg(long)]
    pub query_max_length: Option<usize>,
    /// Finetune: longest product text in tokens while training [default: 64]
    #[arg(long)]
    pub doc_max_length: Option<usize>,
    /// Finetune: add one BM25-mined hard negative (unjudged, top --negative-depth) per pair
    #[arg(long)]
    pub hard_negatives: bool,
    /// Finetune: BM25 depth of the hard negatives [default: 50]
    #[arg(long)]
    pub negative_depth: Option<usize>,
    /// Finetune: random catalog products in the dev proxy's pool [default: 1000]
    #[arg(long)]
    pub dev_sample: Option<usize>,
    /// Finetune: stop after this many minutes of training [default: 22]
    #[arg(long)]
    pub max_minutes: Option<f64>,
    /// Finetune: continue from the checkpoint at --out (weights and step; AdamW restarts)
    #[arg(long)]
    pub resume: bool,
    /// Finetune: checkpoint directory [default: <models dir>/finetuned/<name>]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,
}

impl TrainDenseArgs {
    fn options(&self) -> TrainDenseOptions {
        let mut adapter = AdapterConfig::default();
        let set = |slot: &mut f64, v: Option<f64>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut adapter.lr, self.lr);
        set(&mut adapter.weight_decay, self.weight_decay);
        set(&mut adapter.preserve_weight, self.preserve_weight);
        adapter.batch_size = self.batch_size.unwrap_or(adapter.batch_size);
        adapter.epochs = self.epochs.unwrap_or(adapter.epochs);
        adapter.extra_negatives = self.extra_negatives.unwrap_or(adapter.extra_negatives);
        adapter.patience = self.patience.unwrap_or(adapter.patience);
        adapter.seed = self.seed.unwrap_or(adapter.seed);
        adapter.eval_every = self.eval_every.unwrap_or(adapter.eval_every);
        adapter.warmup_steps = self.warmup_steps.unwrap_or(adapter.warmup_steps);
        adapter.residual = !self.no_residual;
        let finetune = self.finetune_settings();
        TrainDenseOptions {
            method: match self.method {
                MethodArg::Pca => ProjectionMethod::Pca,
                MethodArg::Adapter => ProjectionMethod::Adapter,
                MethodArg::Finetune => ProjectionMethod::Finetune,
            },
            name: self.name.clone(),
            center: self.center,
            init_pca: !self.init_identity,
            substitutes: !self.exact_only,
            adapter,
            finetune,
            save: !self.dev_only,
        }
    }

    /// The fine-tune's settings: the shared flags (lr, batch size, ...) plus its own.
    fn finetune_settings(&self) -> FinetuneSettings {
        let mut s = FinetuneSettings::default();
        let t = &mut s.train;
        t.lr = self.lr.unwrap_or(t.lr);
        t.weight_decay = self.weight_decay.unwrap_or(t.weight_decay);
        t.batch_size = self.batch_size.unwrap_or(t.batch_size);
        t.epochs = self.epochs.unwrap_or(t.epochs);
        t.warmup_steps = self.warmup_steps.unwrap_or(t.warmup_steps);
        t.eval_every = self.eval_every.unwrap_or(t.eval_every);
        t.patience = self.patience.unwrap_or(t.patience);
        t.seed = self.seed.unwrap_or(t.seed);
        t.freeze_below = self.freeze.unwrap_or(t.freeze_below);
        t.freeze_embeddings = !self.train_embeddings;
        t.query_max_length = self.query_max_length.unwrap_or(t.query_max_length);
        t.doc_max_length = self.doc_max_length.unwrap_or(t.doc_max_length);
        t.hard_negatives = self.hard_negatives;
        t.max_minutes = self.max_minutes.or(t.max_minutes);
        s.rotation = !self.init_identity;
        s.negative_depth = self.negative_depth.unwrap_or(s.negative_depth);
        s.dev_sample = self.dev_sample.unwrap_or(s.dev_sample);
        s.resume = self.resume;
        s.out = self.out.clone();
        s
    }
}

/// Runs a `train` subcommand.
pub fn run(config: &Config, command: &TrainCommand) -> anyhow::Result<()> {
    match command {
        TrainCommand::Dense(args) => dense(config, args),
        TrainCommand::Reranker(args) => reranker(config, args),
        TrainCommand::All(args) => all(config, args),
    }
}

/// `train all`: each dense method, then the reranker, each with its defaults.
fn all(config: &Config, args: &TrainAllArgs) -> anyhow::Result<()> {
    use clap::{Parser, ValueEnum};
    let steps = args.dense_methods.len() + 1;
    let mut models = vec!["base".to_owned()];
    for (i, method) in args.dense_methods.iter().enumerate() {
        let name = method
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        let dense_args = Defaults::<TrainDenseArgs>::try_parse_from(["dense", "--method", &name])?;
        eprintln!("[{}/{steps}] esci train dense --method {name}", i + 1);
        dense(config, &dense_args.args)?;
        models.push(name);
    }
    let rerank_args = Defaults::<TrainRerankerArgs>::try_parse_from(["reranker"])?;
    eprintln!("[{steps}/{steps}] esci train reranker");
    reranker(config, &rerank_args.args)?;
    eprintln!(
        "all trained; the ablation with the rerank row: esci ablation --model {} --rerank 50",
        models.join(",")
    );
    Ok(())
}

fn reranker(config: &Config, args: &TrainRerankerArgs) -> anyhow::Result<()> {
    let summary = train_reranker_model(config, &args.options())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    let m = &summary.manifest;
    let r = &summary.report;
    eprintln!(
        "{} fit queries ({} pairs), {} dev queries ({} pairs); {} loss, {} layers",
        m.fit_queries,
        m.fit_pairs,
        m.dev_queries,
        m.dev_pairs,
        m.config.loss.name(),
        m.config.layers
    );
    eprintln!(
        "{} steps in {} epochs ({:.2} steps/s), kept step {}{}; {:.0} s in all",
        r.steps,
        r.epochs,
        r.steps_per_second,
        r.best_step,
        if r.stopped_early {
            " (early stop)"
        } else if r.stopped_by_budget {
            " (time budget)"
        } else {
            ""
        },
        summary.seconds
    );
    println!(
        "| step | train loss | dev nDCG@{} |\n|---|---|---|",
        m.config.dev_k
    );
    for p in &r.history {
        println!("| {} | {:.4} | {:.4} |", p.step, p.train_loss, p.dev_ndcg);
    }
    if args.dev_only {
        eprintln!("dev figures only, nothing saved");
    } else {
        eprintln!(
            "reranker saved to {}; use it with: esci eval --rerank 50",
            summary.out.display()
        );
    }
    Ok(())
}

fn dense(config: &Config, args: &TrainDenseArgs) -> anyhow::Result<()> {
    let summary = train_dense(config, &args.options())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    if args.dev_only {
        eprintln!(
            "projection {:?}: dev figures only, nothing saved",
            summary.name
        );
    } else {
        eprintln!(
            "projection {:?} ({}) saved to {}; projected index {}",
            summary.name,
            &summary.fingerprint[..12],
            summary.projection_file.display(),
            summary.index_file.display()
        );
    }
    eprintln!(
        "{} fit queries ({} pairs), {} dev queries; encoding {:.1} s, training {:.1} s",
        summary.fit_queries,
        summary.pairs,
        summary.dev_queries,
        summary.encode_seconds,
        summary.train_seconds
    );
    if let Some(f) = &summary.finetune {
        let r = &f.report;
        eprintln!(
            "fine-tune: {} steps in {} epochs ({:.2} steps/s), kept step {}{}; dev proxy pool {} products (R@{}); {:.0} s in all, peak RSS {}",
            r.steps,
            r.epochs,
            r.steps_per_second,
            r.best_step,
            if r.stopped_early {
                " (early stop)"
            } else if r.stopped_by_budget {
                " (time budget)"
            } else {
                ""
            },
            f.dev_pool.0,
            f.dev_pool.1,
            f.wall_seconds,
            f.peak_rss_mib
                .map_or("n/a".into(), |m| format!("{m:.0} MiB"))
        );
        for p in &r.history {
            let recall: Vec<String> = p
                .recall
                .iter()
                .map(|(d, v)| format!("{d}d {v:.4}"))
                .collect();
            eprintln!(
                "  step {}: train loss {:.4}, dev proxy {}",
                p.step,
                p.train_loss,
                recall.join(", ")
            );
        }
    }
    if let Some(report) = &summary.report {
        eprintln!(
            "adapter: {} steps in {} epochs ({:.0} steps/s), kept step {}{}",
            report.steps,
            report.epochs,
            report.steps_per_second,
            report.best_step,
            if report.stopped_early {
                " (early stop)"
            } else {
                ""
            }
        );
    }
    println!(
        "| dim | dev R@{k} base | dev R@{k} {} |\n|---|---|---|",
        summary.name,
        k = summary.dev_k
    );
    for row in &summary.dev {
        println!("| {} | {:.4} | {:.4} |", row.dim, row.base, row.projected);
    }
    for (d, share) in &summary.explained {
        eprintln!(
            "variance in the first {d} components: {:.1}%",
            share * 100.0
        );
    }
    eprintln!(
        "use it with: esci eval --strategy dense --dim 64 --projection {}",
        summary.name
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn train_all_gets_what_each_command_alone_would_use() {
        let dense = Defaults::<TrainDenseArgs>::try_parse_from(["dense", "--method", "finetune"])
            .unwrap()
            .args;
        assert_eq!(dense.method, MethodArg::Finetune);
        assert!(!dense.dev_only, "train all saves what it trains");
        let rerank = Defaults::<TrainRerankerArgs>::try_parse_from(["reranker"])
            .unwrap()
            .args;
        assert_eq!((rerank.negatives, rerank.mine_depth), (16, 50));
        assert_eq!(rerank.negatives_from, NegativesArg::FirstStage);
        assert_eq!(rerank.dev_lists, DevListsArg::FirstStage);
        assert!(
            rerank.loss.is_none(),
            "the loss comes from RerankConfig's default"
        );
        assert!(!rerank.dev_only);
    }
}
