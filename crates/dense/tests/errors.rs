//! Bad input is an error, never a panic: shapes, non-finite values, dimension
//! mismatches, out-of-range documents, a query from another model.

use esci_dense::{DenseError, DenseIndex, SearchMode};

fn index() -> DenseIndex {
    DenseIndex::new(vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 3, "model-a").unwrap()
}

#[test]
fn invalid_vectors_are_refused() {
    let ragged = DenseIndex::new(vec![1.0; 7], 3, "m").unwrap_err();
    assert!(matches!(ragged, DenseError::InvalidVectors(_)), "{ragged}");
    let zero_dim = DenseIndex::new(vec![], 0, "m").unwrap_err();
    assert!(
        matches!(zero_dim, DenseError::InvalidVectors(_)),
        "{zero_dim}"
    );
    let huge_dim = DenseIndex::new(vec![], esci_dense::MAX_DIM + 1, "m").unwrap_err();
    assert!(
        matches!(huge_dim, DenseError::InvalidVectors(_)),
        "{huge_dim}"
    );
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let err = DenseIndex::new(vec![1.0, 0.0, 0.0, 0.5, bad, 0.5], 3, "m").unwrap_err();
        assert!(
            matches!(
                err,
                DenseError::NonFinite {
                    doc: 1,
                    component: 1
                }
            ),
            "{err}"
        );
    }
    // An empty index is valid and answers nothing.
    let empty = DenseIndex::new(vec![], 4, "m").unwrap();
    assert!(empty.is_empty());
    assert!(
        empty
            .view(2)
            .unwrap()
            .search(&[1.0, 0.0], 5)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn view_dimensions_must_be_a_prefix() {
    let index = index();
    for d in [0, 4, 100] {
        let err = index.view(d).unwrap_err();
        assert!(
            matches!(err, DenseError::InvalidViewDim { requested, full: 3 } if requested == d),
            "{err}"
        );
    }
}

#[test]
fn queries_of_the_wrong_shape_or_value_are_refused() {
    let view = index().view(2).unwrap();
    for len in [0, 1, 4, 10] {
        let query = vec![1.0; len];
        let err = view.search(&query, 1).unwrap_err();
        assert!(
            matches!(err, DenseError::DimensionMismatch { found, view: 2, full: 3 } if found == len),
            "{err}"
        );
        assert!(view.score_docs(&query, &[0]).is_err());
        assert!(view.search_batch(&[vec![1.0, 0.0], query], 1).is_err());
    }
    for query in [
        vec![f32::NAN, 1.0],
        vec![1.0, 0.0, f32::INFINITY],
        vec![0.0, 0.0, 5.0],
    ] {
        let err = view
            .search_with(&query, 1, SearchMode::int8(1))
            .unwrap_err();
        assert!(matches!(err, DenseError::InvalidQuery(_)), "{err}");
    }
    // Absurd k and rescore depths allocate nothing absurd.
    for mode in [
        SearchMode::Exact,
        SearchMode::Int8 {
            rescore: usize::MAX,
        },
        SearchMode::int8(usize::MAX),
    ] {
        assert_eq!(
            view.search_with(&[1.0, 1.0], usize::MAX, mode)
                .unwrap()
                .len(),
            2
        );
    }
    // Both accepted lengths work.
    assert_eq!(view.search(&[1.0, 0.0], 1).unwrap()[0].doc, 0);
    assert_eq!(view.search(&[0.0, 1.0, 7.0], 1).unwrap()[0].doc, 1);
}

#[test]
fn scoring_unknown_documents_is_an_error() {
    let view = index().view(3).unwrap();
    let scores = view.score_docs(&[1.0, 0.0, 0.0], &[1, 0, 1]).unwrap();
    assert_eq!(scores, vec![0.0, 1.0, 0.0]);
    let err = view.score_docs(&[1.0, 0.0, 0.0], &[0, 2]).unwrap_err();
    assert!(
        matches!(err, DenseError::DocOutOfRange { doc: 2, len: 2 }),
        "{err}"
    );
    assert!(view.score_docs(&[1.0, 0.0, 0.0], &[u32::MAX]).is_err());
    assert!(view.score_docs(&[1.0, 0.0, 0.0], &[]).unwrap().is_empty());
}

#[test]
fn a_query_model_other_than_the_index_model_is_refused() {
    let index = index();
    assert_eq!(index.model_fingerprint(), "model-a");
    assert_eq!(index.view(2).unwrap().model_fingerprint(), "model-a");
    index.check_model("model-a").unwrap();
    let err = index.check_model("model-b").unwrap_err();
    assert!(matches!(err, DenseError::ModelMismatch { .. }), "{err}");
    assert!(err.to_string().contains("model-b"));
}
