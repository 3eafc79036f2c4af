//! Matryoshka views: the first d components of every vector, re-normalised, exactly
//! as one would compute them by hand; and queries cut the same way.

use esci_dense::{DenseIndex, synthetic_unit_vectors};
use proptest::prelude::*;

fn by_hand(v: &[f32], d: usize) -> Vec<f64> {
    let norm = v[..d]
        .iter()
        .map(|&x| f64::from(x).powi(2))
        .sum::<f64>()
        .sqrt();
    v[..d]
        .iter()
        .map(|&x| {
            if norm == 0.0 {
                0.0
            } else {
                f64::from(x) / norm
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn views_are_renormalised_prefixes(
        (dim, raw) in (1usize..20, 1usize..30).prop_flat_map(|(dim, n)| {
            (Just(dim), prop::collection::vec(-10.0f32..10.0, n * dim))
        }),
        cut in 0usize..20,
    ) {
        let d = cut % dim + 1;
        let index = DenseIndex::new(raw.clone(), dim, "m").unwrap();
        let view = index.view(d).unwrap();
        prop_assert_eq!((view.dim(), view.full_dim(), view.len()), (d, dim, raw.len() / dim));
        prop_assert_eq!(view.as_matrix().len(), view.len() * d);
        for (doc, row) in raw.chunks(dim).enumerate() {
            let got = view.vector(doc as u32).unwrap();
            for (g, w) in got.iter().zip(by_hand(row, d)) {
                prop_assert!((f64::from(*g) - w).abs() < 1e-6, "doc {} d {}: {} vs {}", doc, d, g, w);
            }
            // The full index keeps the whole (normalised) vector.
            let full = index.vector(doc as u32).unwrap();
            for (g, w) in full.iter().zip(by_hand(row, dim)) {
                prop_assert!((f64::from(*g) - w).abs() < 1e-6);
            }
        }
        prop_assert!(view.vector(raw.len() as u32).is_none());
    }
}

/// A full-D query and its d-prefix give identical answers (the rest is ignored), and
/// the query is re-normalised: scaling it changes nothing.
#[test]
fn queries_are_cut_and_renormalised_like_documents() {
    let (n, full) = (500, 48);
    let index = DenseIndex::new(synthetic_unit_vectors(n, full, 5), full, "m").unwrap();
    let query = synthetic_unit_vectors(1, full, 6);
    for d in [48, 32, 16, 8, 1] {
        let view = index.view(d).unwrap();
        let hits = view.search(&query, 25).unwrap();
        assert_eq!(hits, view.search(&query[..d], 25).unwrap(), "d {d}");
        let scaled: Vec<f32> = query[..d].iter().map(|x| x * 3.5).collect();
        let again = view.search(&scaled, 25).unwrap();
        let docs = |h: &[esci_core::Hit]| h.iter().map(|h| h.doc).collect::<Vec<_>>();
        assert_eq!(docs(&again), docs(&hits), "d {d}");
        for (a, b) in again.iter().zip(&hits) {
            assert!((a.score - b.score).abs() < 1e-6);
        }
        let q = by_hand(&query, d);
        for hit in &hits {
            let row = by_hand(index.vector(hit.doc).unwrap(), d);
            let want: f64 = q.iter().zip(&row).map(|(a, b)| a * b).sum();
            assert!((f64::from(hit.score) - want).abs() < 1e-5, "d {d}");
        }
    }
    // The full-dimension view shares the index's storage: same numbers, no copy.
    assert_eq!(index.view(full).unwrap().as_matrix(), index.as_matrix());
}
