//! The parallel scan against brute force: every document scored, sorted by
//! `Hit::rank_order`, cut to k. Data with small integer components gives many
//! exact ties (duplicate rows, zero rows), so the tie-break is exercised.

use esci_core::{DocId, Hit, sort_hits};
use esci_dense::{DenseIndex, DenseView, SearchMode};
use proptest::prelude::*;

/// Every document scored, sorted, cut to k.
fn brute_force(view: &DenseView, query: &[f32], k: usize) -> Vec<Hit> {
    let docs: Vec<DocId> = (0..view.len() as DocId).collect();
    let scores = view.score_docs(query, &docs).unwrap();
    let mut hits: Vec<Hit> = docs
        .iter()
        .zip(scores)
        .map(|(&d, s)| Hit::new(d, s))
        .collect();
    sort_hits(&mut hits);
    hits.truncate(k);
    hits
}

/// Cosine of the d-prefixes, in f64, written out independently of the crate.
fn cosine_by_hand(a: &[f32], b: &[f32], d: usize) -> f64 {
    let (a, b) = (&a[..d], &b[..d]);
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum();
    let na: f64 = a.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// (dim, row-major vectors, queries, prefix d): components in -2..=2.
fn corpus() -> impl Strategy<Value = (usize, Vec<f32>, Vec<Vec<f32>>, usize)> {
    (1usize..12, 0usize..150).prop_flat_map(|(dim, n)| {
        let value = (-2i8..=2).prop_map(f32::from);
        let query = prop::collection::vec((-3i8..=3).prop_map(f32::from), dim).prop_map(|mut q| {
            q[0] = if q[0] == 0.0 { 1.0 } else { q[0] }; // a non-zero prefix
            q
        });
        (
            Just(dim),
            prop::collection::vec(value, n * dim),
            prop::collection::vec(query, 1..5),
            1..=dim,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any chunking and thread split returns exactly the brute-force top k, and the
    /// scores are the cosines of the truncated vectors.
    #[test]
    fn exact_scan_equals_brute_force((dim, vectors, queries, d) in corpus()) {
        let raw = vectors.clone();
        let index = DenseIndex::new(vectors, dim, "m").unwrap();
        let n = index.len();
        let view = index.view(d).unwrap();
        for chunk in [1, 3, 17, usize::MAX] {
            let chunked = view.clone().with_chunk_rows(chunk);
            for q in &queries {
                for k in [0, 1, 5, n, n + 3] {
                    let fast = chunked.search(q, k).unwrap();
                    prop_assert_eq!(&fast, &brute_force(&view, q, k), "chunk {} k {}", chunk, k);
                    for hit in &fast {
                        let row = &raw[hit.doc as usize * dim..][..dim];
                        let want = cosine_by_hand(q, row, d);
                        prop_assert!((f64::from(hit.score) - want).abs() < 1e-5, "{} vs {}", hit.score, want);
                    }
                }
            }
        }
        // The default chunking too.
        for q in &queries {
            prop_assert_eq!(view.search(q, 7).unwrap(), brute_force(&view, q, 7));
        }
    }

    /// A batch answers exactly as the same queries one by one, in both modes.
    #[test]
    fn batch_equals_single_queries((dim, vectors, queries, d) in corpus(), rescore in 0usize..40) {
        let view = DenseIndex::new(vectors, dim, "m").unwrap().view(d).unwrap().with_chunk_rows(13);
        for mode in [SearchMode::Exact, SearchMode::Int8 { rescore }, SearchMode::Int4 { rescore }] {
            for k in [1, 4, 200] {
                let batch = view.search_batch_with(&queries, k, mode).unwrap();
                let single: Vec<Vec<Hit>> =
                    queries.iter().map(|q| view.search_with(q, k, mode).unwrap()).collect();
                prop_assert_eq!(batch, single, "{:?} k {}", mode, k);
            }
        }
        let exact = view.search_batch(&queries, 3).unwrap();
        prop_assert_eq!(exact.len(), queries.len());
    }

    /// Int8 and int4 return exact scores for the documents they find, in rank order,
    /// and equal the exact search once every document is a candidate.
    #[test]
    fn quantised_scores_are_exact_and_full_rescore_is_exact(
        (dim, vectors, queries, d) in corpus(),
        rescore in 0usize..30,
    ) {
        let view = DenseIndex::new(vectors, dim, "m").unwrap().view(d).unwrap().with_chunk_rows(7);
        let n = view.len();
        let modes = [
            (SearchMode::Int8 { rescore }, SearchMode::Int8 { rescore: n }),
            (SearchMode::Int4 { rescore }, SearchMode::Int4 { rescore: n }),
        ];
        for q in &queries {
            for k in [1, 3, 10] {
                for (mode, everything) in modes {
                    let hits = view.search_with(q, k, mode).unwrap();
                    prop_assert_eq!(hits.len(), k.min(n));
                    let docs: Vec<DocId> = hits.iter().map(|h| h.doc).collect();
                    let exact_scores = view.score_docs(q, &docs).unwrap();
                    prop_assert_eq!(hits.iter().map(|h| h.score).collect::<Vec<_>>(), exact_scores);
                    prop_assert!(hits.windows(2).all(|w| Hit::rank_order(&w[0], &w[1]).is_lt()));
                    let full = view.search_with(q, k, everything).unwrap();
                    prop_assert_eq!(full, view.search(q, k).unwrap());
                }
            }
        }
    }
}
