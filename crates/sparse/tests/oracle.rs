//! The pruned top-k path against exhaustive scoring, and both against the float dot
//! product computed independently here.

use esci_core::Hit;
use esci_sparse::{DocPruning, SparseError, SparseIndex, SparseIndexBuilder};
use proptest::prelude::*;

const VOCAB: u32 = 40;

/// Weights from a short list (many exact ties) or anywhere in (0, 3].
fn weight() -> impl Strategy<Value = f32> {
    prop_oneof![
        prop::sample::select(vec![0.25f32, 0.5, 1.0, 1.5, 3.0]),
        0.01f32..3.0,
    ]
}

/// Sparse vectors that may repeat term ids.
fn vector(max_len: usize) -> impl Strategy<Value = Vec<(u32, f32)>> {
    prop::collection::vec((0..VOCAB, weight()), 0..max_len)
}

fn build(docs: &[Vec<(u32, f32)>], pruning: DocPruning) -> SparseIndex {
    SparseIndexBuilder::new(VOCAB, pruning)
        .unwrap()
        .build(docs)
        .unwrap()
}

/// Dot product in f64 with repeated ids summed on both sides.
fn dot(query: &[(u32, f32)], doc: &[(u32, f32)]) -> f64 {
    let mut dense = vec![0f64; VOCAB as usize];
    for &(t, w) in doc {
        dense[t as usize] += f64::from(w);
    }
    query
        .iter()
        .map(|&(t, w)| f64::from(w) * dense[t as usize])
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// MaxScore returns exactly the exhaustive top-k, ties and order included; the
    /// scores are the dot product within the documented bound; no document left out
    /// beats the last one returned by more than the quantisation error.
    #[test]
    fn pruned_equals_exhaustive_and_float_truth(
        docs in prop::collection::vec(vector(12), 1..400),
        queries in prop::collection::vec(vector(24), 1..8),
    ) {
        let index = build(&docs, DocPruning::default());
        let n = docs.len();
        for q in &queries {
            let bound = index.score_error_bound(q).unwrap();
            for k in [1, 2, 5, 10, 37, n, n + 5] {
                let fast = index.search(q, k).unwrap();
                let slow = index.search_exhaustive(q, k).unwrap();
                prop_assert_eq!(&fast, &slow, "query {:?} k {}", q, k);
                prop_assert!(fast.len() <= k);
                let mut sorted = fast.clone();
                esci_core::sort_hits(&mut sorted);
                prop_assert_eq!(&sorted, &fast);
                let ids: Vec<u32> = fast.iter().map(|h| h.doc).collect();
                let scored = index.score_docs(q, &ids).unwrap();
                prop_assert_eq!(scored, fast.iter().map(|h| h.score).collect::<Vec<_>>());
                let tolerance = |s: f64| bound + s.abs() * 1e-6;
                for hit in &fast {
                    let truth = dot(q, &docs[hit.doc as usize]);
                    prop_assert!(hit.score > 0.0);
                    prop_assert!((f64::from(hit.score) - truth).abs() <= tolerance(truth),
                        "doc {} score {} truth {} bound {}", hit.doc, hit.score, truth, bound);
                }
                if let Some(last) = fast.last().filter(|_| fast.len() == k) {
                    let last_truth = dot(q, &docs[last.doc as usize]);
                    for d in 0..n as u32 {
                        if !ids.contains(&d) {
                            let truth = dot(q, &docs[d as usize]);
                            prop_assert!(truth <= last_truth + 2.0 * tolerance(truth),
                                "doc {} ({}) left out, last kept {} ({})", d, truth, last.doc, last_truth);
                        }
                    }
                }
                if k > n {
                    // Every document with a non-zero integer score is returned.
                    let all: Vec<u32> = (0..n as u32).collect();
                    let positive = index.score_docs(q, &all).unwrap().iter().filter(|&&s| s > 0.0).count();
                    prop_assert_eq!(fast.len(), positive);
                }
            }
        }
    }

    /// Pruning keeps exactly the heaviest `top_terms` terms at or above `min_weight`
    /// (after summing repeated ids), ties going to the lower term id.
    #[test]
    fn doc_pruning_keeps_exactly_the_top_terms(
        docs in prop::collection::vec(vector(16), 1..30),
        top in 1usize..8,
        min_weight in prop::sample::select(vec![0.0f32, 0.3, 1.0]),
    ) {
        let pruning = DocPruning { top_terms: Some(top), min_weight };
        let index = build(&docs, pruning);
        for (d, doc) in docs.iter().enumerate() {
            let mut merged = vec![0f64; VOCAB as usize];
            for &(t, w) in doc {
                merged[t as usize] += f64::from(w);
            }
            let mut expected: Vec<(u32, f64)> = (0..VOCAB)
                .map(|t| (t, merged[t as usize]))
                .filter(|&(_, w)| w > 0.0 && w >= f64::from(min_weight))
                .collect();
            expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            expected.truncate(top);
            let mut expected: Vec<u32> = expected.into_iter().map(|(t, _)| t).collect();
            expected.sort_unstable();
            let kept: Vec<u32> = (0..VOCAB)
                .filter(|&t| index.score_docs(&[(t, 1.0)], &[d as u32]).unwrap()[0] > 0.0)
                .collect();
            prop_assert_eq!(kept, expected, "doc {}: {:?}", d, doc);
        }
    }
}

#[test]
fn repeated_query_terms_are_summed() {
    let docs = vec![
        vec![(1, 1.0), (2, 2.0)],
        vec![(1, 3.0)],
        vec![(2, 0.5), (3, 1.0)],
    ];
    let index = build(&docs, DocPruning::default());
    let split = [(2, 0.25f32), (1, 0.5), (2, 0.5), (2, 0.25)];
    let merged = [(1, 0.5f32), (2, 1.0)];
    for k in [1, 2, 3, 10] {
        assert_eq!(
            index.search(&split, k).unwrap(),
            index.search(&merged, k).unwrap()
        );
    }
    let hits = index.search(&split, 10).unwrap();
    // doc 0: 0.5·1 + 1·2 = 2.5; doc 1: 0.5·3 = 1.5; doc 2: 1·0.5 = 0.5.
    assert_eq!(
        hits.iter().map(|h| h.doc).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    for (hit, want) in hits.iter().zip([2.5f32, 1.5, 0.5]) {
        assert!((hit.score - want).abs() < 1e-3, "{hit:?} vs {want}");
    }
    // Repeated ids in a document are summed too.
    let index = build(
        &[vec![(1, 1.0), (1, 2.0)], vec![(1, 2.5)]],
        DocPruning::default(),
    );
    let hits = index.search(&[(1, 1.0)], 10).unwrap();
    assert_eq!(hits[0].doc, 0);
    assert!((hits[0].score - 3.0).abs() < 1e-3);
}

#[test]
fn ties_rank_by_doc_id() {
    let docs: Vec<Vec<(u32, f32)>> = (0..20).map(|_| vec![(5, 1.0)]).collect();
    let index = build(&docs, DocPruning::default());
    let hits = index.search(&[(5, 2.0)], 3).unwrap();
    assert_eq!(
        hits,
        vec![Hit::new(0, 2.0), Hit::new(1, 2.0), Hit::new(2, 2.0)]
    );
}

#[test]
fn empty_queries_and_indexes_return_nothing() {
    let index = build(&[vec![(1, 1.0)], vec![]], DocPruning::default());
    assert!(index.search(&[], 10).unwrap().is_empty());
    assert!(index.search(&[(2, 1.0)], 10).unwrap().is_empty());
    assert!(index.search(&[(1, 0.0)], 10).unwrap().is_empty());
    assert!(index.search(&[(1, 1.0)], 0).unwrap().is_empty());
    assert_eq!(index.search(&[(1, 1.0)], usize::MAX).unwrap().len(), 1);
    assert_eq!(
        index.score_docs(&[(1, 1.0)], &[1, 0]).unwrap(),
        vec![0.0, 1.0]
    );
    let empty = build(&[], DocPruning::default());
    assert!(empty.search(&[(1, 1.0)], 10).unwrap().is_empty());
    assert!(empty.search_exhaustive(&[(1, 1.0)], 10).unwrap().is_empty());
}

#[test]
fn invalid_vectors_are_clear_errors() {
    let index = build(&[vec![(1, 1.0)]], DocPruning::default());
    let out_of_vocab = [(1, 1.0), (VOCAB, 0.5)];
    for result in [
        index.search(&out_of_vocab, 5).map(|_| ()),
        index.search_exhaustive(&out_of_vocab, 5).map(|_| ()),
        index.score_docs(&out_of_vocab, &[0]).map(|_| ()),
        index.score_error_bound(&out_of_vocab).map(|_| ()),
    ] {
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                SparseError::TermOutOfRange {
                    term: VOCAB,
                    vocab_size: VOCAB
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("outside the vocabulary"));
    }
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.5] {
        let err = index.search(&[(1, bad)], 5).unwrap_err();
        assert!(
            matches!(err, SparseError::InvalidWeight { term: 1, .. }),
            "{err}"
        );
    }
    let err = index.score_docs(&[(1, 1.0)], &[0, 1]).unwrap_err();
    assert!(
        matches!(
            err,
            SparseError::DocOutOfRange {
                doc: 1,
                num_docs: 1
            }
        ),
        "{err}"
    );

    let mut builder = SparseIndexBuilder::new(VOCAB, DocPruning::default()).unwrap();
    builder.add(&[(3, 1.0)]).unwrap();
    let err = builder.add(&[(3, f32::NAN)]).unwrap_err();
    assert!(err.to_string().starts_with("document 1: "), "{err}");
    let err = SparseIndexBuilder::new(VOCAB, DocPruning::default())
        .unwrap()
        .build(&[vec![(1, 1.0)], vec![(2, 1.0), (VOCAB + 3, 1.0)]])
        .unwrap_err();
    assert!(
        matches!(&err, SparseError::Document { doc: 1, source } if matches!(**source, SparseError::TermOutOfRange { .. })),
        "{err}"
    );
}

#[test]
fn add_then_finish_equals_build() {
    let docs = vec![vec![(1, 1.0), (7, 0.5)], vec![], vec![(7, 2.0), (3, 0.125)]];
    let mut builder = SparseIndexBuilder::new(VOCAB, DocPruning::default()).unwrap();
    for (i, d) in docs.iter().enumerate() {
        assert_eq!(builder.add(d).unwrap(), i as u32);
    }
    assert_eq!(builder.finish(), build(&docs, DocPruning::default()));
}
