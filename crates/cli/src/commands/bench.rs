//! `esci bench ...`

use crate::args::{BenchBm25Args, BenchEncodersArgs, GenCatalogArgs};
use esci_engine::bench::{
    Bm25BenchOptions, EncoderBenchOptions, GenOptions, generate_catalog, run_bm25_bench,
    run_encoder_bench, run_splade_vocab_bench, write_catalog,
};
use esci_engine::{Config, EncoderRuntime, load_catalog};
use std::time::Instant;

/// Writes a synthetic catalog shaped like the configured real one.
pub fn gen_catalog(config: &Config, args: &GenCatalogArgs) -> anyhow::Result<()> {
    let source = load_catalog(config, false)?;
    let started = Instant::now();
    let products = generate_catalog(
        &source.products,
        &GenOptions {
            count: args.n,
            seed: args.seed,
            ..GenOptions::default()
        },
    );
    write_catalog(&args.out, &products)?;
    eprintln!(
        "wrote {} synthetic products (from {} real ones, seed {}) to {} in {:.1} s",
        products.len(),
        source.len(),
        args.seed,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the BM25 benchmark and prints its table.
pub fn bm25(config: &Config, args: &BenchBm25Args) -> anyhow::Result<()> {
    let products = args
        .catalog
        .clone()
        .unwrap_or_else(|| config.data.products_path());
    std::fs::create_dir_all(&config.artifacts.dir)?;
    let options = Bm25BenchOptions {
        products,
        queries_from: config.data.examples_path(),
        locale: config.data.locale_filter().map(str::to_owned),
        k: args.k,
        min_seconds: args.min_seconds,
        params: config.bm25.params().map_err(anyhow::Error::msg)?,
        analyzer: config.analyzer_config(),
        scratch_index: config.artifacts.dir.join("bench-bm25.idx"),
    };
    let report = run_bm25_bench(&options)?;
    println!("{}", report.markdown());
    Ok(())
}

/// Runs the encoder benchmark (one or more runtimes) and prints its tables.
pub fn encoders(config: &Config, args: &BenchEncodersArgs) -> anyhow::Result<()> {
    let runtimes = args
        .runtime
        .iter()
        .map(|r| EncoderRuntime::parse(r.trim()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let options = EncoderBenchOptions {
        docs: args.docs,
        queries: args.queries,
        pairs: args.pairs,
        max_length: args.max_length,
        batch_size: args.batch_size,
        runtimes,
        sessions: args.sessions,
        threads_per_session: args.threads_per_session,
        dump_dir: args.dump_inputs.clone(),
    };
    if let Some(sample) = args.splade_vocab {
        let report = run_splade_vocab_bench(config, &options, sample)?;
        println!("{}", report.markdown());
        return Ok(());
    }
    println!("{}", run_encoder_bench(config, &options)?.markdown());
    Ok(())
}
