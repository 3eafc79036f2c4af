//! Recall of the int8 and int4 scans against the exact scan on random unit vectors, the hard
//! case: isotropic data has no clusters to separate the true top k.

use esci_core::Hit;
use esci_dense::{DenseIndex, SearchMode, synthetic_unit_vectors};
use std::collections::HashSet;

fn recall(exact: &[Vec<Hit>], found: &[Vec<Hit>]) -> f64 {
    let per_query = exact.iter().zip(found).map(|(e, f)| {
        let got: HashSet<u32> = f.iter().map(|h| h.doc).collect();
        e.iter().filter(|h| got.contains(&h.doc)).count() as f64 / e.len() as f64
    });
    per_query.sum::<f64>() / exact.len() as f64
}

#[test]
fn int8_with_rescore_recalls_the_exact_top_k() {
    let (n, d, k) = (20_000, 64, 20);
    let index = DenseIndex::new(synthetic_unit_vectors(n, d, 11), d, "synthetic").unwrap();
    let view = index.view(d).unwrap();
    let queries: Vec<Vec<f32>> = synthetic_unit_vectors(40, d, 12)
        .chunks(d)
        .map(<[f32]>::to_vec)
        .collect();
    let exact = view.search_batch(&queries, k).unwrap();
    let bare = view
        .search_batch_with(&queries, k, SearchMode::Int8 { rescore: k })
        .unwrap();
    let rescored = view
        .search_batch_with(&queries, k, SearchMode::int8(k))
        .unwrap();
    let (r_bare, r_rescored) = (recall(&exact, &bare), recall(&exact, &rescored));
    println!("d={d} n={n} recall@{k}: int8 alone {r_bare:.4}, int8 + rescore 2k {r_rescored:.4}");
    assert!(r_bare >= 0.85, "int8 alone recall@{k} {r_bare}");
    assert!(r_rescored >= 0.95, "int8 + rescore recall@{k} {r_rescored}");
    for (hits, query) in rescored.iter().zip(&queries) {
        let docs: Vec<u32> = hits.iter().map(|h| h.doc).collect();
        let scores: Vec<f32> = hits.iter().map(|h| h.score).collect();
        assert_eq!(scores, view.score_docs(query, &docs).unwrap());
    }

    // A Matryoshka prefix of the same data quantises just as well.
    let short = index.view(32).unwrap();
    let exact = short.search_batch(&queries, k).unwrap();
    let rescored = short
        .search_batch_with(&queries, k, SearchMode::int8(k))
        .unwrap();
    let r = recall(&exact, &rescored);
    println!("d=32 prefix recall@{k}: int8 + rescore 2k {r:.4}");
    assert!(r >= 0.95, "d=32 recall {r}");
}

#[test]
fn int4_with_rescore_recalls_the_exact_top_k() {
    let (n, d, k) = (20_000, 64, 20);
    let index = DenseIndex::new(synthetic_unit_vectors(n, d, 13), d, "synthetic").unwrap();
    let queries: Vec<Vec<f32>> = synthetic_unit_vectors(40, d, 14)
        .chunks(d)
        .map(<[f32]>::to_vec)
        .collect();
    for dim in [64, 32] {
        let view = index.view(dim).unwrap();
        let exact = view.search_batch(&queries, k).unwrap();
        let bare = view
            .search_batch_with(&queries, k, SearchMode::Int4 { rescore: k })
            .unwrap();
        let rescored = view
            .search_batch_with(&queries, k, SearchMode::int4(k))
            .unwrap();
        let (r_bare, r_rescored) = (recall(&exact, &bare), recall(&exact, &rescored));
        println!(
            "d={dim} n={n} recall@{k}: int4 alone {r_bare:.4}, int4 + rescore 4k {r_rescored:.4}"
        );
        assert!(r_bare >= 0.6, "int4 alone recall@{k} {r_bare}");
        assert!(r_rescored >= 0.95, "int4 + rescore recall@{k} {r_rescored}");
    }
}
