//! `esci`: the one binary. Parses flags into a validated config and hands over to
//! the engine; no pipeline logic lives here.

mod args;
mod commands;

use args::{BenchCommand, Cli, Command, ModelsCommand};
use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose, cli.global.quiet);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = cli.global.config()?;
    match &cli.command {
        Command::Index(args) => {
            args.apply(&mut config)?;
            commands::index::run(&config)?;
        }
        Command::Search(args) => {
            if args.dim.is_some() {
                config.neural.dim = args.dim;
            }
            config.validate().map_err(anyhow::Error::msg)?;
            commands::search::run(&config, args)?
        }
        Command::Eval(args) => {
            args.apply(&mut config)?;
            commands::eval::run(&config, &args.strategies, !args.no_task1)?;
        }
        Command::Models(ModelsCommand::Fetch { wheels }) => {
            commands::models::fetch(&config, wheels.as_deref())?
        }
        Command::Embed(args) => commands::models::embed(&config, args)?,
        Command::Run(args) => {
            args.index.apply(&mut config)?;
            args.eval.apply(&mut config)?;
            commands::models::fetch(&config, None)?;
            commands::index::run(&config)?;
            commands::eval::run(&config, &args.eval.strategies, !args.eval.no_task1)?;
        }
        Command::Train(command) => commands::train::run(&config, command)?,
        Command::Ablation(args) => {
            args.apply(&mut config)?;
            commands::ablation::run(&config, args)?;
        }
        Command::Config => print!("{}", toml::to_string(&config)?),
        Command::Bench(BenchCommand::GenCatalog(args)) => {
            commands::bench::gen_catalog(&config, args)?
        }
        Command::Bench(BenchCommand::Encoders(args)) => commands::bench::encoders(&config, args)?,
        Command::Bench(BenchCommand::Dense {
            n,
            dim,
            queries,
            k,
            seed,
            real,
        }) => {
            let report = if *real {
                config.neural.dim = Some(*dim);
                esci_engine::bench::run_real_dense_bench(&config, *k)?
            } else {
                esci_engine::bench::bench_scan(*n, *dim, *queries, *k, *seed)?
            };
            println!("{}", report.markdown());
        }
        Command::Bench(BenchCommand::Sparse { n, seed }) => {
            let options = esci_engine::bench::SparseBenchOptions::default();
            let report = esci_engine::bench::bench_sparse(*n, *seed, &options)?;
            println!("{}", report.markdown());
        }
        Command::Bench(BenchCommand::Hybrid(args)) => commands::bench_hybrid::run(&config, args)?,
        Command::Bench(BenchCommand::Bm25(args)) => {
            args.index.apply(&mut config)?;
            commands::bench::bm25(&config, args)?;
        }
    }
    Ok(())
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .compact()
        .init();
}
