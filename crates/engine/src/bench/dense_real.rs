//! `esci bench dense --real`: the exact and int8 scans on the built product index (at
//! the configured Matryoshka prefix and projection) with the real query texts encoded
//! by the real model — the check that int8 + rescoring loses nothing on real vectors,
//! which cluster unlike the synthetic ones.

use crate::{Config, EngineError, Searcher};
use esci_dense::{ScanBenchReport, bench_view};

/// Runs the scan benchmark on the built dense index with every distinct judged query.
pub fn run_real_dense_bench(config: &Config, k: usize) -> Result<ScanBenchReport, EngineError> {
    let searcher = Searcher::open(config, true)?;
    let dense = searcher.dense_retriever().ok_or_else(|| {
        EngineError::Input(
            "the dense index was not built: enable it ([neural] dense = true) and run `esci index`"
                .into(),
        )
    })?;
    let mut texts: Vec<&str> = searcher
        .catalog()
        .judgments
        .iter()
        .map(|j| j.query.as_str())
        .collect();
    texts.sort_unstable();
    texts.dedup();
    if texts.is_empty() {
        return Err(EngineError::Input(
            "no judged queries to encode: the examples file holds none for this locale".into(),
        ));
    }
    let vectors = texts
        .iter()
        .map(|q| dense.encode_query(q))
        .collect::<Result<Vec<_>, _>>()?;
    let mut report = bench_view(dense.view(), &vectors, k)?;
    report.source = format!(
        "real product vectors ({})",
        esci_core::Retriever::name(dense)
    );
    Ok(report)
}
