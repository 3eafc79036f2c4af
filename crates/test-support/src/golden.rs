//! The checks against the golden fixtures, written once for every runtime: each takes
//! what the encoder produced (and its tokenizer, where input ids are compared) and
//! returns the worst error it saw, for the test to print.

use crate::{f32s, texts, u32s, weight_of};
use esci_models::{SparseVector, TextTokenizer};
use serde_json::Value;

/// The documents whose similarities to "wireless mouse" ../shared/docs/models.md records.
pub const REFERENCE_DOCS: [&str; 4] = [
    "bluetooth mouse for laptop",
    "cordless computer mouse with usb receiver",
    "usb-c charging cable",
    "garden hose",
];

/// Dense vectors of the fixture's texts against its embeddings: input ids equal,
/// cosine ≥ `min_cosine` (`None`: skip the id check, e.g. a runtime whose tokenizer is
/// the same object). Returns the lowest cosine.
pub fn check_dense_fixture(
    fx: &Value,
    vectors: &[Vec<f32>],
    tokenizer: Option<&TextTokenizer>,
    min_cosine: f32,
) -> f32 {
    let cases = fx["texts"].as_array().expect("texts");
    assert_eq!(cases.len(), vectors.len(), "one vector per fixture text");
    let mut lowest = f32::MAX;
    for (case, vec) in cases.iter().zip(vectors) {
        let text = case["text"].as_str().expect("text");
        if let Some(tokenizer) = tokenizer {
            let ids = tokenizer.encode(text).expect("tokenize").ids;
            assert_eq!(ids, u32s(&case["input_ids"]), "input ids of {text:?}");
        }
        let cos = crate::cosine(vec, &f32s(&case["embedding"]));
        assert!(cos >= min_cosine, "cosine {cos} for {text:?}");
        let norm: f32 = vec.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-5,
            "{text:?}: unit length, got {norm}"
        );
        lowest = lowest.min(cos);
    }
    lowest
}

/// The cosines of "wireless mouse" (`query`) to [`REFERENCE_DOCS`] (`docs`) recorded in
/// ../shared/docs/models.md, within 1e-3.
pub fn check_recorded_cosines(query: &[f32], docs: &[Vec<f32>]) {
    for (doc, (vec, want)) in REFERENCE_DOCS
        .iter()
        .zip(docs.iter().zip([0.7487, 0.6595, 0.1581, 0.1165]))
    {
        let dot: f32 = query.iter().zip(vec).map(|(a, b)| a * b).sum();
        assert!(
            (dot - want).abs() <= 1e-3,
            "{doc:?}: cosine {dot}, recorded {want}"
        );
    }
}

/// SPLADE vectors of the fixture's texts: every reference top term within 1e-3 (and its
/// token name, via `token`), the same ranking except near-ties, the non-zero count
/// within 2, and the recorded dot products within 1e-2. Input ids are compared when a
/// `tokenizer` is given. Returns the largest top-term error.
pub fn check_splade_fixture(
    fx: &Value,
    vectors: &[SparseVector],
    tokenizer: Option<&TextTokenizer>,
    token: &dyn Fn(u32) -> Option<String>,
) -> f32 {
    let texts = texts(fx);
    let cases = fx["texts"].as_array().expect("texts");
    assert_eq!(cases.len(), vectors.len(), "one vector per fixture text");
    let mut max_err = 0f32;
    for (case, vec) in cases.iter().zip(vectors) {
        let text = case["text"].as_str().expect("text");
        if let Some(tokenizer) = tokenizer {
            let ids = tokenizer.encode(text).expect("tokenize").ids;
            assert_eq!(ids, u32s(&case["input_ids"]), "input ids of {text:?}");
        }
        let top = case["top_terms"].as_array().expect("top_terms");
        let ours_top = vec.top(top.len());
        let floor = top
            .last()
            .map_or(0.0, |t| t["weight"].as_f64().expect("weight") as f32);
        for (rank, term) in top.iter().enumerate() {
            let id = term["id"].as_u64().expect("id") as u32;
            let want = term["weight"].as_f64().expect("weight") as f32;
            assert_eq!(
                token(id).as_deref(),
                term["token"].as_str(),
                "token of id {id}"
            );
            let got = weight_of(vec, id);
            assert!(
                (got - want).abs() <= 1e-3,
                "{text:?} term {id}: {got} vs {want}"
            );
            max_err = max_err.max((got - want).abs());
            // Same ranking, except where two weights are too close to order reliably.
            let (our_id, our_w) = ours_top[rank];
            assert!(
                our_id == id || (our_w - want).abs() <= 1e-3 || (our_w - floor).abs() <= 1e-3,
                "{text:?} rank {rank}: ours {our_id} ({our_w}), reference {id} ({want})"
            );
        }
        if let Some(nnz) = case["nnz"].as_u64() {
            let diff = (vec.len() as i64 - nnz as i64).abs();
            assert!(diff <= 2, "{text:?}: {} non-zero terms vs {nnz}", vec.len());
        }
    }
    for d in fx["dot_products"].as_array().into_iter().flatten() {
        let pick = |v: &Value| match v {
            Value::Number(n) => &vectors[n.as_u64().expect("index") as usize],
            Value::String(s) => &vectors[texts.iter().position(|t| t == s).expect("dot text")],
            other => panic!("dot operand {other}"),
        };
        let got = pick(&d["a"]).dot(pick(&d["b"]));
        let want = d["dot"].as_f64().expect("dot") as f32;
        assert!((got - want).abs() <= 1e-2, "dot {d}: {got}");
    }
    max_err
}

/// The SPLADE terms and dots of "wireless mouse" (`query`) and [`REFERENCE_DOCS`]
/// (`docs`) recorded in ../shared/docs/models.md, within 0.01.
pub fn check_recorded_splade(
    query: &SparseVector,
    docs: &[SparseVector],
    token: &dyn Fn(u32) -> Option<String>,
) {
    let top: Vec<(String, f32)> = query
        .top(4)
        .into_iter()
        .map(|(id, w)| (token(id).unwrap_or_default(), w))
        .collect();
    let want = [
        ("mouse", 2.57),
        ("wireless", 2.17),
        ("##fi", 1.48),
        ("mice", 1.27),
    ];
    for ((token, w), (want_token, want_w)) in top.iter().zip(want) {
        assert_eq!(token, want_token, "top terms {top:?}");
        assert!((w - want_w).abs() <= 0.01, "{token}: {w} vs {want_w}");
    }
    for (i, want) in [(0, 5.67), (1, 5.09), (3, 0.30)] {
        let got = query.dot(&docs[i]);
        assert!(
            (got - want).abs() <= 0.01,
            "{:?}: dot {got} vs {want}",
            REFERENCE_DOCS[i]
        );
    }
}

/// Cross-encoder scores of the fixture's pairs (with the fixture head): input and
/// token type ids equal, scores within 1e-3. Returns the largest score error.
pub fn check_cross_fixture(fx: &Value, scores: &[f32], tokenizer: &TextTokenizer) -> f32 {
    let cases = fx["pairs"].as_array().expect("pairs");
    assert_eq!(cases.len(), scores.len(), "one score per fixture pair");
    let mut max_err = 0f32;
    for ((case, (q, d)), score) in cases.iter().zip(crate::pairs(fx)).zip(scores) {
        let e = tokenizer.encode_pair(q, d).expect("tokenize");
        assert_eq!(
            e.ids,
            u32s(&case["input_ids"]),
            "input ids of {q:?} / {d:?}"
        );
        assert_eq!(
            e.type_ids,
            u32s(&case["token_type_ids"]),
            "type ids of {q:?}"
        );
        let want = case["score"].as_f64().expect("score") as f32;
        assert!(
            (score - want).abs() <= 1e-3,
            "{q:?} / {d:?}: {score} vs {want}"
        );
        max_err = max_err.max((score - want).abs());
    }
    max_err
}
