//! Encoder throughput and latency on product texts.
//!
//! ```text
//! cargo run --release -p esci-models --example encode_bench -- \
//!     [--products products.txt] [--pairs pairs.tsv] [--docs 512] [--batch 32] \
//!     [--models data/models]
//! ```
//!
//! `products.txt` holds one product text a line (e.g. title, brand and bullets joined by
//! `esci_ingest::TextBuilder`); `pairs.tsv` holds `query<TAB>title` lines (queries are
//! taken from its first column). Without them, deterministic synthetic texts are used and
//! the output says so. Set `RAYON_NUM_THREADS=1` to measure a single core.

use esci_models::{
    CrossEncoder, CrossOptions, DenseEncoder, DenseOptions, SpladeEncoder, SpladeOptions,
};
use std::path::PathBuf;
use std::time::Instant;

struct Args {
    products: Option<PathBuf>,
    pairs: Option<PathBuf>,
    docs: usize,
    batch: usize,
    models: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        products: None,
        pairs: None,
        docs: 512,
        batch: 32,
        models: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/models")),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--products" => args.products = Some(value.into()),
            "--pairs" => args.pairs = Some(value.into()),
            "--docs" => args.docs = value.parse().map_err(|e| format!("--docs: {e}"))?,
            "--batch" => args.batch = value.parse().map_err(|e| format!("--batch: {e}"))?,
            "--models" => args.models = value.into(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

fn read_lines(path: &PathBuf) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

/// Deterministic pseudo product texts (an LCG over a small vocabulary).
fn synthetic(n: usize, words: usize, seed: u64) -> Vec<String> {
    const VOCAB: [&str; 24] = [
        "wireless",
        "mouse",
        "usb",
        "cable",
        "charger",
        "fast",
        "black",
        "pack",
        "women",
        "men",
        "shoes",
        "running",
        "stainless",
        "steel",
        "water",
        "bottle",
        "kitchen",
        "knife",
        "set",
        "garden",
        "hose",
        "led",
        "light",
        "bulb",
    ];
    let mut state = seed;
    (0..n)
        .map(|i| {
            let len = 3 + (i * 7919) % words;
            (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    VOCAB[(state >> 33) as usize % VOCAB.len()]
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    let idx = ((sorted_ms.len() as f64 - 1.0) * p).round() as usize;
    sorted_ms[idx]
}

fn latency<F: FnMut(&str)>(queries: &[&str], mut f: F) -> (f64, f64) {
    let mut ms: Vec<f64> = queries
        .iter()
        .map(|q| {
            let t = Instant::now();
            f(q);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

fn docs_per_second(
    docs: &[&str],
    mut f: impl FnMut(&[&str]) -> esci_models::Result<()>,
) -> esci_models::Result<f64> {
    let t = Instant::now();
    f(docs)?;
    Ok(docs.len() as f64 / t.elapsed().as_secs_f64())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let (docs, source) = match &args.products {
        Some(p) => (read_lines(p)?, p.display().to_string()),
        None => (synthetic(args.docs, 60, 7), "synthetic".to_string()),
    };
    let docs: Vec<&str> = docs.iter().take(args.docs).map(String::as_str).collect();
    let pairs: Vec<(String, String)> = match &args.pairs {
        Some(p) => read_lines(p)?
            .into_iter()
            .filter_map(|l| {
                l.split_once('\t')
                    .map(|(q, d)| (q.to_string(), d.to_string()))
            })
            .collect(),
        None => synthetic(100, 4, 11)
            .into_iter()
            .zip(synthetic(100, 20, 13))
            .collect(),
    };
    let mut queries: Vec<&str> = pairs.iter().map(|p| p.0.as_str()).collect();
    queries.dedup();
    queries.truncate(200);
    let threads = rayon::current_num_threads();
    println!(
        "texts: {source}; {} documents, {} queries, rayon threads {threads}",
        docs.len(),
        queries.len()
    );

    let dense_dir = args.models.join("all-minilm-l6-v2");
    let dense = DenseEncoder::load(
        &dense_dir,
        DenseOptions {
            max_length: 64,
            batch_size: args.batch,
            ..DenseOptions::default()
        },
    )?;
    let lengths: Vec<usize> = docs
        .iter()
        .map(|d| dense.tokenizer().encode(d).map_or(0, |e| e.len()))
        .collect();
    let full: Vec<&str> = docs
        .iter()
        .zip(&lengths)
        .filter(|&(_, &n)| n == 64)
        .map(|(d, _)| *d)
        .collect();
    println!(
        "MiniLM tokens per document at max_length 64: mean {:.1}; {} documents fill all 64",
        lengths.iter().sum::<usize>() as f64 / docs.len() as f64,
        full.len()
    );
    dense.encode_documents(&docs[..docs.len().min(32)])?; // warm-up
    let rate = docs_per_second(&docs, |d| dense.encode_documents(d).map(drop))?;
    println!(
        "dense MiniLM, max_length 64, batch {}: {rate:.1} docs/s",
        args.batch
    );
    if !full.is_empty() {
        let rate = docs_per_second(&full, |d| dense.encode_documents(d).map(drop))?;
        println!("dense MiniLM, only documents of 64 tokens: {rate:.1} docs/s");
    }
    let rate = docs_per_second(&docs, |d| {
        let (left, right) = d.split_at(d.len() / 2);
        let (a, b) = rayon::join(
            || dense.encode_documents(left),
            || dense.encode_documents(right),
        );
        a.and(b).map(drop)
    })?;
    println!("dense MiniLM, two halves on rayon::join: {rate:.1} docs/s");
    let (p50, p99) = latency(&queries, |q| {
        dense.encode_queries(&[q]).expect("query");
    });
    println!("dense single query: p50 {p50:.2} ms, p99 {p99:.2} ms");

    for max_length in [64, 128] {
        let splade = SpladeEncoder::load(
            &args.models.join("splade-tiny"),
            SpladeOptions {
                max_length,
                batch_size: args.batch,
                ..SpladeOptions::default()
            },
        )?;
        splade.encode(&docs[..docs.len().min(32)])?;
        let mut nnz = 0;
        let rate = docs_per_second(&docs, |d| {
            nnz = splade.encode(d)?.iter().map(|v| v.len()).sum();
            Ok(())
        })?;
        println!(
            "SPLADE-tiny, max_length {max_length}, batch {}: {rate:.1} docs/s, mean nnz {:.0}",
            args.batch,
            nnz as f64 / docs.len() as f64
        );
        if max_length == 64 {
            let (p50, p99) = latency(&queries, |q| {
                splade.encode(&[q]).expect("query");
            });
            println!("SPLADE single query: p50 {p50:.2} ms, p99 {p99:.2} ms");
        }
    }

    let cross = CrossEncoder::load(&dense_dir, CrossOptions::default())?;
    let hundred: Vec<(&str, &str)> = pairs
        .iter()
        .take(100)
        .map(|(q, d)| (q.as_str(), d.as_str()))
        .collect();
    cross.score(&hundred[..hundred.len().min(8)])?;
    let mut runs: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            cross.score(&hundred).expect("score");
            t.elapsed().as_secs_f64()
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    let pair_tokens: usize = hundred
        .iter()
        .map(|(q, d)| cross.tokenizer().encode_pair(q, d).map_or(0, |e| e.len()))
        .sum();
    println!(
        "cross-encoder (MiniLM), {} (query, title) pairs, mean {:.1} tokens: median {:.3} s of 3",
        hundred.len(),
        pair_tokens as f64 / hundred.len().max(1) as f64,
        runs[1]
    );
    Ok(())
}
