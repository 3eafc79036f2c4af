//! Measures single-thread analyzer throughput in MB/s of input text.
//!
//! Usage: `cargo run --release -p esci-text --example analyzer_speed -- [FILE...]`
//!
//! Each line of each FILE is analysed as one text (export product titles,
//! bullets and descriptions one per line). Without files, a synthetic corpus of
//! product-like English is used. The first pass fills the stem memo; the best of
//! the following passes is the steady state that index building sees.
use esci_text::{Analyzer, AnalyzerConfig};
use std::time::Instant;

fn synthetic() -> Vec<String> {
    const WORDS: &[&str] = &[
        "DEWALT",
        "20V",
        "MAX",
        "Cordless",
        "Drill",
        "Driver",
        "Kit",
        "with",
        "2",
        "Batteries",
        "and",
        "Charger",
        "(DCD771C2)",
        "Women's",
        "Running",
        "Shoes",
        "Lightweight",
        "Breathable",
        "Mesh",
        "Sneakers",
        "for",
        "the",
        "Gym,",
        "Size",
        "8.5",
        "USB-C",
        "Cable",
        "6ft",
        "Fast",
        "Charging",
        "Wi-Fi",
        "1/4",
        "inch",
        "3.5mm",
        "Stainless",
        "Steel",
        "Water",
        "Bottle,",
        "32oz",
        "Insulated",
        "Keeps",
        "Drinks",
        "Cold",
        "for",
        "24",
        "Hours.",
        "Compatible",
        "iPhone",
        "13",
        "Pro",
        "Max",
        "Case",
        "Protective",
        "Cover",
        "Shockproof",
        "1,000",
        "Pieces",
        "Puzzle",
        "Adults",
        "Café",
        "Organic",
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..200_000)
        .map(|_| {
            let len = 8 + (state % 40) as usize;
            (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    WORDS[(state % WORDS.len() as u64) as usize]
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn main() -> std::io::Result<()> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let texts: Vec<String> = if files.is_empty() {
        synthetic()
    } else {
        let mut texts = Vec::new();
        for path in &files {
            texts.extend(std::fs::read_to_string(path)?.lines().map(str::to_owned));
        }
        texts
    };
    let bytes: usize = texts.iter().map(String::len).sum();
    let ascii = texts.iter().filter(|t| t.is_ascii()).count();
    println!(
        "{} texts, {:.1} MB, {:.1}% ASCII-only",
        texts.len(),
        bytes as f64 / 1e6,
        100.0 * ascii as f64 / texts.len().max(1) as f64
    );
    for (name, config) in [
        ("stem+stopwords", AnalyzerConfig::default()),
        (
            "no stem",
            AnalyzerConfig {
                stem: false,
                stopwords: true,
            },
        ),
    ] {
        let analyzer = Analyzer::new(config);
        let mut best = f64::INFINITY;
        let mut tokens = 0usize;
        for pass in 0..4 {
            let start = Instant::now();
            tokens = 0;
            for text in &texts {
                analyzer.for_each_token(text, |t| tokens += t.len().min(1));
            }
            let secs = start.elapsed().as_secs_f64();
            let label = if pass == 0 { "cold" } else { "warm" };
            println!(
                "  {name:15} pass {pass} ({label}): {:6.1} MB/s",
                bytes as f64 / 1e6 / secs
            );
            if pass > 0 {
                best = best.min(secs);
            }
        }
        println!(
            "  {name:15} best: {:.1} MB/s, {tokens} tokens",
            bytes as f64 / 1e6 / best
        );
    }
    Ok(())
}
