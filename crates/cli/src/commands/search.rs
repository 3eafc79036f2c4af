//! `esci search`

use crate::args::SearchArgs;
use esci_engine::{Config, Reranker, Searcher, Strategy, search_reranked};

/// Runs one query and prints the results with their signal breakdown (or JSON).
pub fn run(config: &Config, args: &SearchArgs) -> anyhow::Result<()> {
    let query = args.query.join(" ");
    let searcher = Searcher::open(config, false)?;
    let strategy = match &args.strategy {
        Some(s) => Strategy::parse(s).map_err(anyhow::Error::msg)?,
        None => searcher.default_strategy(),
    };
    let reranker = match config.rerank.enabled {
        true => Some(Reranker::open(config, searcher.catalog())?),
        false => None,
    };
    let started = std::time::Instant::now();
    let (results, combination) = match &reranker {
        Some(r) => {
            let (results, c, tuned) = search_reranked(&searcher, r, &query, args.k, &strategy)?;
            (results, Some((c, tuned)))
        }
        None => (searcher.search(&query, args.k, &strategy)?, None),
    };
    let elapsed = started.elapsed();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(());
    }
    if results.is_empty() {
        println!("no results for {query:?}");
        return Ok(());
    }
    let fused = strategy.parts.len() > 1;
    let score_name = match (&reranker, fused) {
        (Some(_), _) => "combined",
        (None, true) => "rrf",
        (None, false) => "score",
    };
    let mut header = format!("{:>4}  {:>8}", "rank", score_name);
    for part in &strategy.parts {
        header.push_str(&format!("  {:>15}", format!("{} rank/score", part.name())));
    }
    if reranker.is_some() {
        header.push_str(&format!("  {:>15}", "rerank rank/score"));
        header.push_str(&format!("  {:>15}", "combined rank"));
    }
    println!("{header}  {:<12}  title", "product");
    for r in &results {
        let mut line = format!("{:>4}  {:>8.4}", r.rank, r.score);
        for s in &r.signals {
            let cell = match (s.rank, s.score) {
                (Some(rank), Some(score)) => format!("{rank}/{score:.3}"),
                _ => "-".to_owned(),
            };
            line.push_str(&format!("  {cell:>15}"));
        }
        println!("{line}  {:<12}  {}", r.product_id, clip(&r.title, 80));
    }
    eprintln!(
        "{} results for {}{} in {:.1} ms",
        results.len(),
        strategy.name(),
        match &reranker {
            Some(r) => format!(" reranked (top {}, {})", r.depth(), r.runtime().name()),
            None => String::new(),
        },
        elapsed.as_secs_f64() * 1e3
    );
    if let Some((c, tuned)) = combination {
        eprintln!(
            "rerank: cross-encoder weight {} ({}{}), {}",
            c.weight,
            c.method,
            match c.method {
                esci_engine::CombineMethod::Rrf => format!(" k {}", c.k),
                esci_engine::CombineMethod::Minmax => String::new(),
            },
            if tuned {
                "tuned on dev by the last `esci eval --rerank`"
            } else {
                "as configured: `esci eval --rerank N` tunes it on dev"
            }
        );
    }
    if fused {
        let fusion = searcher.fusion_for(&strategy)?;
        let source = if fusion == &config.fusion {
            "as configured: `esci eval` tunes on dev and records its choice for search"
        } else {
            "tuned on dev by the last `esci eval`"
        };
        eprintln!(
            "fusion: {}",
            super::eval::describe_fusion(&strategy, fusion, source)
        );
    }
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
