//! The `esci` binary as a user runs it: exit codes and messages on bad input.

use std::path::Path;
use std::process::Command;

/// The workspace's installed models (or `$ESCI_MODELS_DIR`): `esci index` encodes
/// products with them.
fn models_dir() -> std::path::PathBuf {
    match std::env::var_os("ESCI_MODELS_DIR") {
        Some(d) if !d.is_empty() => d.into(),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/models"),
    }
}

fn esci(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_esci"))
        .args(args)
        .current_dir(cwd)
        .env_remove("ESCI_DATA_DIR")
        .env_remove("ESCI_ARTIFACTS_DIR")
        .env_remove("ESCI_CONFIG")
        .env("ESCI_MODELS_DIR", models_dir())
        .output()
        .expect("esci runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn index_search_and_errors_on_a_small_catalog() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("catalog.csv"),
        "product_id,product_title,product_brand\nA1,20V Cordless Drill,Makita\nA2,Garden Hose 50 ft,Flexzilla\n",
    )
    .unwrap();
    let data = [
        "--data-dir",
        dir.to_str().unwrap(),
        "--products",
        "catalog.csv",
        "--locale",
        "",
    ];

    let (ok, _, err) = esci(&[&["index"][..], &data].concat(), dir);
    assert!(ok, "{err}");
    assert!(err.contains("indexed 2 products"), "{err}");

    let (ok, out, err) = esci(
        &[
            &["search", "--strategy", "bm25", "cordless", "drill"][..],
            &data,
        ]
        .concat(),
        dir,
    );
    assert!(ok, "{err}");
    assert!(out.contains("A1") && !out.contains("A2"), "{out}");

    // The default strategy fuses all three retrievers and shows each one's rank/score.
    let (ok, out, err) = esci(&[&["search", "cordless", "drill"][..], &data].concat(), dir);
    assert!(ok, "{err}");
    assert!(
        out.contains("dense rank/score") && out.contains("splade rank/score"),
        "{out}"
    );
    assert!(out.lines().nth(1).unwrap_or("").contains("A1"), "{out}");

    let (ok, out, _) = esci(
        &[
            &["search", "--json", "--strategy", "bm25", "zebra"][..],
            &data,
        ]
        .concat(),
        dir,
    );
    assert!(ok);
    assert_eq!(out.trim(), "[]");

    let (ok, _, err) = esci(&["index", "--data-dir", "/no/such/dir"], dir);
    assert!(!ok);
    assert!(err.contains("/no/such/dir"), "{err}");

    let (ok, _, err) = esci(&[&["index", "--k1=-3"][..], &data].concat(), dir);
    assert!(!ok);
    assert!(err.contains("k1"), "{err}");

    let (ok, _, err) = esci(&[&["index", "--field", "price=2"][..], &data].concat(), dir);
    assert!(!ok);
    assert!(err.contains("price"), "{err}");

    std::fs::write(dir.join("esci.toml"), "[bm25]\nkone = 1\n").unwrap();
    let (ok, _, err) = esci(&[&["index"][..], &data].concat(), dir);
    assert!(!ok);
    assert!(err.contains("kone"), "{err}");
}
