//! `esci index`

use esci_engine::{BuildSummary, Config, build_index};

/// Builds the indexes and prints what was done.
pub fn run(config: &Config) -> anyhow::Result<BuildSummary> {
    let summary = build_index(config)?;
    eprintln!(
        "indexed {} products from {} in {:.2} s (read {:.2} s, build {:.2} s, write {:.2} s): {} terms, {} postings -> {}",
        summary.products,
        config.data.products_path().display(),
        summary.ingest_seconds + summary.build_seconds + summary.write_seconds,
        summary.ingest_seconds,
        summary.build_seconds,
        summary.write_seconds,
        summary.stats.terms,
        summary.stats.postings,
        summary.artifacts_dir.display(),
    );
    if summary.ingest.warning_count() > 0 {
        eprintln!("{}", summary.ingest.summary());
    }
    Ok(summary)
}
