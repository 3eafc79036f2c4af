//! `esci models fetch` and `esci embed`

use crate::args::EmbedArgs;
use esci_engine::Config;
use esci_models::fetch::FetchOutcome;
use std::path::Path;

/// Installs the default models (a no-op when they are present and intact).
pub fn fetch(config: &Config, wheels: Option<&Path>) -> anyhow::Result<()> {
    for (name, outcome) in esci_engine::fetch_models(config, wheels)? {
        let what = match outcome {
            FetchOutcome::AlreadyPresent => "already installed",
            FetchOutcome::Installed => "installed",
        };
        eprintln!(
            "model {name}: {what} in {}",
            config.models.dir.join(&name).display()
        );
    }
    Ok(())
}

/// Prints what the dense and SPLADE encoders make of a text.
pub fn embed(config: &Config, args: &EmbedArgs) -> anyhow::Result<()> {
    let text = args.text.join(" ");
    let e = esci_engine::embed(config, &text, args.top)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    let norm: f32 = e.dense.iter().map(|x| x * x).sum::<f32>().sqrt();
    let head: Vec<String> = e.dense.iter().take(8).map(|x| format!("{x:+.4}")).collect();
    println!("text   {:?}", e.text);
    println!("on     {} (max {} tokens)", e.runtime, e.max_length);
    println!("dense  {}", e.dense_model);
    println!(
        "       {} dims, L2 norm {norm:.4}, {:.1} ms; first 8: [{}, …]",
        e.dense.len(),
        e.dense_ms,
        head.join(", ")
    );
    println!("splade {}", e.splade_model);
    println!(
        "       {} non-zero terms, {:.1} ms; top:",
        e.splade_nnz, e.splade_ms
    );
    let terms: Vec<String> = e
        .splade_top
        .iter()
        .map(|(t, w)| format!("{t} {w:.2}"))
        .collect();
    println!("       {}", terms.join(", "));
    Ok(())
}
