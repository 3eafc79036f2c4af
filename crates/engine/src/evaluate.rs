//! `esci eval`: run a split's queries against a retriever, score the rankings, time
//! the queries, and produce a [`RunReport`].

use crate::tune::{TuneGrid, tune_on_dev};
use crate::tuned::TunedFusion;
use crate::{Config, EngineError, FusionSection, Searcher, Strategy};
use esci_core::{QuerySet, Retriever};
use esci_eval::{
    LatencyStats, MODE_RETRIEVAL, MetricsConfig, QueryJudgments, QueryMetrics, RunReport,
    Throughput, evaluate_ranking, evaluate_task1, summarize,
};
use esci_ingest::Catalog;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How to run an evaluation.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Name of the system in the report (e.g. `bm25`).
    pub name: String,
    /// Query set whose queries are run.
    pub split: QuerySet,
    /// Documents retrieved per query.
    pub depth: usize,
    /// Metric cut-offs and gain form.
    pub metrics: MetricsConfig,
    /// Also rank each query's judged list (KDD Cup 2022 Task 1).
    pub task1: bool,
    /// Threads of the parallel throughput pass (0 = every core).
    pub threads: usize,
    /// Each timing pass repeats the query set until this many seconds have passed.
    pub min_timing_seconds: f64,
    /// Free-form parameters recorded in the report.
    pub params: serde_json::Value,
}

impl EvalOptions {
    /// The options `config`'s `[eval]` section gives a run named `name`: its query set,
    /// depth, gain, threads and timing; `params` are recorded beside the metrics
    /// configuration.
    pub fn from_config(
        config: &Config,
        name: &str,
        task1: bool,
        mut params: serde_json::Value,
    ) -> EvalOptions {
        let metrics = MetricsConfig {
            gain: config.eval.gain,
            ..MetricsConfig::default()
        };
        if let Some(map) = params.as_object_mut() {
            map.insert("depth".into(), config.eval.depth.into());
            map.insert("metrics".into(), serde_json::json!(metrics));
        }
        EvalOptions {
            name: name.to_owned(),
            split: config.eval.split,
            depth: config.eval.depth,
            metrics,
            task1,
            threads: config.eval.threads,
            min_timing_seconds: config.eval.min_timing_seconds,
            params,
        }
    }
}

/// The judged queries of `set`, with judged products mapped to doc ids, in
/// query-id order.
pub fn split_queries(catalog: &Catalog, set: QuerySet) -> Vec<QueryJudgments> {
    let mut by_query: BTreeMap<&str, QueryJudgments> = BTreeMap::new();
    for j in catalog
        .judgments
        .iter()
        .filter(|j| set.contains(j.split, &j.query_id))
    {
        let Some(doc) = catalog.doc_id(&j.product_id) else {
            continue; // ingest already counted and warned about it
        };
        by_query
            .entry(&j.query_id)
            .or_insert_with(|| QueryJudgments {
                query_id: j.query_id.clone(),
                query: j.query.clone(),
                split: j.split,
                labels: Vec::new(),
            })
            .labels
            .push((doc, j.label));
    }
    by_query.into_values().collect()
}

/// Evaluates `retriever` on `queries`: quality first, then a single-threaded latency
/// pass and a parallel throughput pass.
pub fn evaluate(
    retriever: &dyn Retriever,
    queries: &[QueryJudgments],
    options: &EvalOptions,
) -> Result<RunReport, EngineError> {
    if queries.is_empty() {
        return Err(EngineError::Input(format!(
            "no judged queries in the {} query set: check the examples file's `split` column",
            options.split
        )));
    }
    let deepest = options.metrics.depth();
    if options.depth < deepest {
        return Err(EngineError::Config(format!(
            "eval depth {} is below the deepest metric cut-off {deepest}",
            options.depth
        )));
    }
    let bar = crate::progress::bar(queries.len() as u64, "evaluating");
    let per_query: Vec<QueryMetrics> = queries
        .iter()
        .map(|q| {
            let hits = retriever.search(&q.query, options.depth)?;
            let ranked: Vec<u32> = hits.iter().map(|h| h.doc).collect();
            let mut metrics = evaluate_ranking(&ranked, q, &options.metrics);
            if options.task1 {
                let docs: Vec<u32> = q.labels.iter().map(|(d, _)| *d).collect();
                let scores = retriever.score_docs(&q.query, &docs)?;
                let scored: Vec<esci_core::Hit> = docs
                    .iter()
                    .zip(scores)
                    .map(|(&d, s)| esci_core::Hit::new(d, s))
                    .collect();
                metrics
                    .values
                    .extend(evaluate_task1(&scored, q, options.metrics.gain).values);
            }
            bar.inc(1);
            Ok(metrics)
        })
        .collect::<Result<_, EngineError>>()?;
    bar.finish_and_clear();

    let texts: Vec<&str> = queries.iter().map(|q| q.query.as_str()).collect();
    let (latency, single) = time_single_thread(retriever, &texts, options)?;
    let parallel = time_parallel(retriever, &texts, options)?;
    Ok(RunReport {
        name: options.name.clone(),
        split: options.split,
        mode: MODE_RETRIEVAL.into(),
        queries: queries.len(),
        metrics: summarize(&per_query),
        latency: Some(latency),
        throughput: vec![single, parallel],
        params: options.params.clone(),
        per_query,
        created_unix: crate::unix_now(),
    })
}

/// Times each query alone on this thread; repeats the set to fill the minimum time.
fn time_single_thread(
    retriever: &dyn Retriever,
    queries: &[&str],
    options: &EvalOptions,
) -> Result<(LatencyStats, Throughput), EngineError> {
    let mut durations: Vec<Duration> = Vec::new();
    let started = Instant::now();
    loop {
        for q in queries {
            let t = Instant::now();
            std::hint::black_box(retriever.search(q, options.depth)?);
            durations.push(t.elapsed());
        }
        if started.elapsed().as_secs_f64() >= options.min_timing_seconds {
            break;
        }
    }
    let total: Duration = durations.iter().sum();
    Ok((
        LatencyStats::from_durations(&durations),
        Throughput::new(1, durations.len(), total),
    ))
}

/// Runs the query set on a pool of `threads` workers and measures throughput.
fn time_parallel(
    retriever: &dyn Retriever,
    queries: &[&str],
    options: &EvalOptions,
) -> Result<Throughput, EngineError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| {
            EngineError::Config(format!("cannot start {} threads: {e}", options.threads))
        })?;
    let threads = pool.current_num_threads();
    let mut done = 0usize;
    let started = Instant::now();
    loop {
        pool.install(|| {
            queries.par_iter().try_for_each(|q| {
                retriever
                    .search(q, options.depth)
                    .map(|h| drop(std::hint::black_box(h)))
            })
        })?;
        done += queries.len();
        if started.elapsed().as_secs_f64() >= options.min_timing_seconds {
            break;
        }
    }
    Ok(Throughput::new(threads, done, started.elapsed()))
}

/// Writes the report as `<runs_dir>/<unix time>-<name>-<split>.json`.
pub fn save_run(report: &RunReport, runs_dir: &Path) -> Result<PathBuf, EngineError> {
    std::fs::create_dir_all(runs_dir).map_err(EngineError::io(runs_dir))?;
    let safe_name: String = report
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = runs_dir.join(format!(
        "{}-{safe_name}-{}.json",
        report.created_unix, report.split
    ));
    let json = report
        .to_json()
        .map_err(|e| EngineError::Input(e.to_string()))?;
    esci_core::atomic_file::write_atomically(&path, |w| {
        std::io::Write::write_all(w, json.as_bytes())
    })
    .map_err(EngineError::io(&path))?;
    Ok(path)
}

/// Evaluates one strategy as `config` says: a fused strategy first has its fusion
/// parameters tuned on the dev queries (unless `[fusion] tune = false`), and the run
/// records the values used and the search that chose them. Returns the report and
/// the fusion parameters used.
pub fn evaluate_strategy(
    searcher: &Searcher,
    strategy: &Strategy,
    config: &Config,
    queries: &[QueryJudgments],
    task1: bool,
) -> Result<(RunReport, FusionSection), EngineError> {
    let fused = strategy.parts.len() > 1;
    let (fusion, tuning) = if fused && config.fusion.tune {
        let (fusion, report) = tune_on_dev(
            searcher,
            strategy,
            &config.fusion,
            &TuneGrid::default(),
            config.eval.gain,
        )?;
        (fusion, Some(report))
    } else {
        (config.fusion.clone(), None)
    };
    let retriever = searcher.retriever_with(strategy, config.eval.depth, &fusion)?;
    if tuning.is_some() {
        // Serve what was reported: `esci search` picks these values up.
        TunedFusion::record(
            &config.artifacts.dir,
            searcher.manifest(),
            retriever.name(),
            &fusion,
        )?;
    }
    let options = EvalOptions::from_config(
        config,
        retriever.name(),
        task1,
        serde_json::json!({
            "strategy": strategy.name(),
            "manifest": searcher.manifest(),
            "analyzer": config.analyzer,
            "neural": config.neural,
            "fusion": if fused { Some(&fusion) } else { None },
            "fusion_tuning": tuning,
        }),
    );
    let report = evaluate(retriever.as_ref(), queries, &options)?;
    Ok((report, fusion))
}
