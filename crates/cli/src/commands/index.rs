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
    for (what, built) in [("dense", &summary.dense), ("splade", &summary.splade)] {
        match built {
            Some((artifact, true)) => eprintln!(
                "{what} index: unchanged catalog, model and text settings, reused ({} documents)",
                artifact.docs
            ),
            Some((artifact, false)) => eprintln!(
                "{what} index: encoded {} documents with {} in {:.1} s",
                artifact.docs,
                artifact.model_dir.display(),
                artifact.build_seconds
            ),
            None => eprintln!("{what} index: skipped (disabled in [neural])"),
        }
        if let Some((artifact, _)) = built
            && let Some(v) = &artifact.vocabulary
        {
            eprintln!(
                "{what} active vocabulary: {} ids ({} from the full head on a sample of {} products, {} more from the input tokens; fitted in {:.1} s), {}",
                v.ids,
                v.ids - v.token_only_ids,
                v.sample,
                v.token_only_ids,
                v.fit_seconds,
                v.file
            );
        }
    }
    if summary.ingest.warning_count() > 0 {
        eprintln!("{}", summary.ingest.summary());
    }
    Ok(summary)
}
