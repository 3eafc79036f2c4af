//! Training pairs from the judgments: (query, relevant product) from the TRAIN split,
//! with a dev part carved out of it for early stopping and hyper-parameter choices.
//!
//! The dev part is the project's one carve (`esci_core::is_dev_query`, a hash of the
//! query id; the same queries `esci eval --split dev` runs), so it is the same on every
//! machine and every run, and a query's judgments are never split between train and
//! dev. Test-split queries are refused outright: nothing here may learn from them.

use crate::TrainError;
use esci_core::{DocId, EsciLabel, Split, is_dev_query};
use esci_eval::QueryJudgments;

/// A labelled pair: `query` indexes the query list it was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pair {
    /// Position of the query in its list.
    pub query: usize,
    /// The relevant product.
    pub doc: DocId,
}

/// Train-split queries divided into the part that trains and the part that judges.
#[derive(Debug, Clone)]
pub struct TrainDev {
    /// Queries whose pairs train the model.
    pub train: Vec<QueryJudgments>,
    /// Queries held out for early stopping and model choice.
    pub dev: Vec<QueryJudgments>,
}

/// Divides train-split queries into train (`fit`) and dev; any test-split query is an
/// error.
pub fn carve_dev(queries: Vec<QueryJudgments>) -> Result<TrainDev, TrainError> {
    if let Some(q) = queries.iter().find(|q| q.split != Split::Train) {
        return Err(TrainError::Invalid(format!(
            "query {} is from the {} split: only train-split queries may be used for training",
            q.query_id, q.split
        )));
    }
    let (dev, train) = queries.into_iter().partition(|q| is_dev_query(&q.query_id));
    Ok(TrainDev { train, dev })
}

/// Which labels count as positives.
pub fn is_positive(label: EsciLabel, substitutes: bool) -> bool {
    label == EsciLabel::Exact || (substitutes && label == EsciLabel::Substitute)
}

/// Every (query, positive product) pair, sorted, without duplicates.
pub fn positive_pairs(queries: &[QueryJudgments], substitutes: bool) -> Vec<Pair> {
    let mut pairs: Vec<Pair> = queries
        .iter()
        .enumerate()
        .flat_map(|(i, q)| {
            q.labels
                .iter()
                .filter(move |(_, l)| is_positive(*l, substitutes))
                .map(move |&(doc, _)| Pair { query: i, doc })
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// For each query, its positive docs, sorted (for masking in-batch false negatives).
pub fn positives_by_query(queries: &[QueryJudgments], substitutes: bool) -> Vec<Vec<DocId>> {
    queries
        .iter()
        .map(|q| {
            let mut docs: Vec<DocId> = q
                .labels
                .iter()
                .filter(|(_, l)| is_positive(*l, substitutes))
                .map(|&(d, _)| d)
                .collect();
            docs.sort_unstable();
            docs.dedup();
            docs
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(id: &str, split: Split, labels: &[(DocId, EsciLabel)]) -> QueryJudgments {
        QueryJudgments {
            query_id: id.into(),
            query: format!("q{id}"),
            split,
            labels: labels.to_vec(),
        }
    }

    #[test]
    fn dev_is_the_shared_carve() {
        let queries: Vec<QueryJudgments> = (0..2000)
            .map(|i| query(&i.to_string(), Split::Train, &[]))
            .collect();
        let split = carve_dev(queries).unwrap();
        assert_eq!(split.dev.len() + split.train.len(), 2000);
        assert!(split.dev.iter().all(|q| is_dev_query(&q.query_id)));
        assert!(split.train.iter().all(|q| !is_dev_query(&q.query_id)));
        let share = split.dev.len() as f64 / 2000.0;
        assert!((share - esci_core::DEV_FRACTION).abs() < 0.05, "{share}");
    }

    #[test]
    fn test_queries_are_refused() {
        let queries = vec![query("1", Split::Train, &[]), query("2", Split::Test, &[])];
        let err = carve_dev(queries).unwrap_err().to_string();
        assert!(err.contains("test split"), "{err}");
    }

    #[test]
    fn pairs_take_exact_and_optionally_substitutes() {
        use EsciLabel::*;
        let queries = vec![
            query(
                "a",
                Split::Train,
                &[(5, Exact), (3, Substitute), (9, Irrelevant)],
            ),
            query(
                "b",
                Split::Train,
                &[(1, Complement), (2, Exact), (2, Exact)],
            ),
        ];
        let e = positive_pairs(&queries, false);
        assert_eq!(
            e,
            vec![Pair { query: 0, doc: 5 }, Pair { query: 1, doc: 2 }]
        );
        let es = positive_pairs(&queries, true);
        assert_eq!(es.len(), 3);
        assert_eq!(
            positives_by_query(&queries, true),
            vec![vec![3, 5], vec![2]]
        );
    }
}
