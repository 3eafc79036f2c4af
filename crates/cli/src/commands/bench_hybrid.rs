//! `esci bench hybrid`

use crate::args::BenchHybridArgs;
use esci_engine::Config;
use esci_engine::bench::{HybridBenchOptions, run_hybrid_bench};

/// Runs the fused first-stage benchmark and prints its figures.
pub fn run(config: &Config, args: &BenchHybridArgs) -> anyhow::Result<()> {
    if !args.catalog.exists() {
        anyhow::bail!(
            "catalog {} not found: generate one with `esci bench gen-catalog --n 480000`",
            args.catalog.display()
        );
    }
    let options = HybridBenchOptions {
        products: args.catalog.clone(),
        queries_from: config.data.examples_path(),
        dim: args.dim,
        k: args.k,
        min_seconds: args.min_seconds,
        seed: args.seed,
        scratch_dir: config.artifacts.dir.join("bench-hybrid"),
    };
    let report = run_hybrid_bench(config, &options)?;
    println!("{}", report.markdown());
    Ok(())
}
