//! `esci search`

use crate::args::SearchArgs;
use esci_engine::{Config, Searcher};

/// Runs one query and prints the results as a table (or JSON).
pub fn run(config: &Config, args: &SearchArgs) -> anyhow::Result<()> {
    let query = args.query.join(" ");
    let searcher = Searcher::open(config, false)?;
    let started = std::time::Instant::now();
    let results = searcher.search(&query, args.k)?;
    let elapsed = started.elapsed();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(());
    }
    if results.is_empty() {
        println!("no results for {query:?}: no product shares a term with it");
        return Ok(());
    }
    println!(
        "{:>4}  {:>8}  {:<12}  {:<18}  title",
        "rank", "bm25", "product", "brand"
    );
    for r in &results {
        println!(
            "{:>4}  {:>8.3}  {:<12}  {:<18}  {}",
            r.rank,
            r.score,
            r.product_id,
            clip(&r.brand, 18),
            clip(&r.title, 90)
        );
    }
    eprintln!(
        "{} results in {:.2} ms",
        results.len(),
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}

/// At most `n` characters, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}
