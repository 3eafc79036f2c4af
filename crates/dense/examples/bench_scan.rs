//! Dense scan benchmark on synthetic unit vectors (what `esci bench dense` runs):
//!
//! ```text
//! cargo run --release -p esci-dense --example bench_scan -- [n] [d] [queries] [k] [seed]
//! ```
//! Defaults: 480000 64 100 200 42. Prints the markdown table, then the JSON report.

use std::process::ExitCode;

fn main() -> ExitCode {
    let defaults = [480_000u64, 64, 100, 200, 42];
    let mut args = [0u64; 5];
    let given: Vec<String> = std::env::args().skip(1).collect();
    for (i, slot) in args.iter_mut().enumerate() {
        *slot = match given.get(i).map(|s| s.parse::<u64>()) {
            None => defaults[i],
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                eprintln!("argument {} ({:?}): {e}", i + 1, given[i]);
                return ExitCode::FAILURE;
            }
        };
    }
    let [n, d, queries, k, seed] = args;
    match esci_dense::bench_scan(n as usize, d as usize, queries as usize, k as usize, seed) {
        Ok(report) => {
            println!("{}", report.markdown());
            match serde_json::to_string_pretty(&report) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("cannot render JSON: {e}"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
