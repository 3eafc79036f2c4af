//! The pruned top-k path against exhaustive scoring, and scores against the BM25F
//! formula computed independently here.

use esci_core::{Field, Product, Retriever};
use esci_lexical::{Bm25Index, Bm25Params, IndexBuilder};
use esci_text::AnalyzerConfig;
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "drill", "cordless", "20v", "battery", "mouse", "wireless", "usb", "cable", "red", "blue",
    "garden", "hose", "for", "men", "women", "shoes", "running", "pack", "set", "kit",
];

fn product(id: usize, title: &[usize], body: &[usize]) -> Product {
    let words = |ix: &[usize]| {
        ix.iter()
            .map(|&i| WORDS[i % WORDS.len()])
            .collect::<Vec<_>>()
            .join(" ")
    };
    Product {
        id: format!("p{id}"),
        title: words(title),
        bullets: words(body),
        ..Default::default()
    }
}

fn build(products: &[Product]) -> Bm25Index {
    IndexBuilder::new(Bm25Params::default(), AnalyzerConfig::default())
        .unwrap()
        .build(products, &|_| {})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// MaxScore returns exactly the exhaustive top-k, ties and order included.
    #[test]
    fn pruned_equals_exhaustive(
        docs in prop::collection::vec(
            (prop::collection::vec(0usize..20, 0..6), prop::collection::vec(0usize..20, 0..30)),
            1..300,
        ),
        queries in prop::collection::vec(prop::collection::vec(0usize..20, 1..6), 1..8),
    ) {
        let products: Vec<Product> = docs.iter().enumerate().map(|(i, (t, b))| product(i, t, b)).collect();
        let index = build(&products);
        for q in &queries {
            let query = q.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" ");
            for k in [1, 3, 10, 50, 500] {
                let fast = index.search_pruned(&query, k);
                let slow = index.search_exhaustive(&query, k);
                prop_assert_eq!(&fast, &slow, "query {:?} k {}", query, k);
                let scored = index.score_docs(&query, &fast.iter().map(|h| h.doc).collect::<Vec<_>>()).unwrap();
                prop_assert_eq!(scored, fast.iter().map(|h| h.score).collect::<Vec<_>>());
            }
        }
    }
}

/// Two-document corpus: the stored score equals the BM25F formula computed by hand.
#[test]
fn scores_follow_the_bm25f_formula() {
    let products = vec![
        Product {
            id: "a".into(),
            title: "drill drill".into(),
            bullets: "battery pack".into(),
            ..Default::default()
        },
        Product {
            id: "b".into(),
            title: "hose".into(),
            bullets: "drill garden hose reel".into(),
            ..Default::default()
        },
        Product {
            id: "c".into(),
            title: "mouse".into(),
            ..Default::default()
        },
    ];
    let params = Bm25Params {
        k1: 1.2,
        b: 0.75,
        field_weights: vec![(Field::Title, 2.0), (Field::Bullets, 1.0)],
    };
    let index = IndexBuilder::new(
        params,
        AnalyzerConfig {
            stem: false,
            stopwords: false,
        },
    )
    .unwrap()
    .build(&products, &|_| {});
    // N = 3, df(drill) = 2: idf = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln(1.6)
    let idf = (1.6f64).ln();
    // avg title len = (2 + 1 + 1) / 3 = 4/3; avg bullets len = (2 + 4 + 0) / 3 = 2.
    let norm = |len: f64, avg: f64| 1.0 - 0.75 + 0.75 * len / avg;
    let bm25 = |tf: f64| idf * tf * 2.2 / (1.2 + tf);
    // doc a: title tf 2 (len 2), bullets tf 0 (len 2).
    let tf_a = 2.0 * 2.0 / norm(2.0, 4.0 / 3.0);
    // doc b: title tf 0 (len 1), bullets tf 1 (len 4).
    let tf_b = 1.0 / norm(4.0, 2.0);
    let hits = index.search("drill", 10).unwrap();
    assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![0, 1]);
    assert!(
        (f64::from(hits[0].score) - bm25(tf_a)).abs() < 1e-4,
        "{} vs {}",
        hits[0].score,
        bm25(tf_a)
    );
    assert!(
        (f64::from(hits[1].score) - bm25(tf_b)).abs() < 1e-4,
        "{} vs {}",
        hits[1].score,
        bm25(tf_b)
    );
    assert_eq!(index.score_docs("drill", &[2]).unwrap(), vec![0.0]);
}

#[test]
fn queries_without_known_terms_return_nothing() {
    let index = build(&[product(0, &[0, 1], &[2])]);
    assert!(index.search("", 10).unwrap().is_empty());
    assert!(index.search("!!! ???", 10).unwrap().is_empty());
    assert!(index.search("zebra", 10).unwrap().is_empty());
    assert!(index.search("drill", 0).unwrap().is_empty());
}

#[test]
fn repeated_query_terms_count_twice() {
    let index = build(&[product(0, &[0], &[]), product(1, &[6], &[])]);
    let once = index.search("drill", 1).unwrap()[0].score;
    let twice = index.search("drill drill", 1).unwrap()[0].score;
    assert!((twice - 2.0 * once).abs() < 1e-4);
}
