use esci_core::{DocId, EsciLabel, Split};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The judged products of one query: the ground truth every metric reads.
///
/// A product should be judged at most once. The official files never repeat a
/// (query, product) pair, but if `labels` does, the first label wins everywhere
/// (lookups, relevant counts and the ideal ranking), so a repeat cannot inflate
/// the ideal DCG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryJudgments {
    /// `query_id` of the official files.
    pub query_id: String,
    /// The shopper's text, kept so reports and debugging need no second lookup.
    pub query: String,
    /// The split the query belongs to.
    pub split: Split,
    /// Judged products and their labels, in no particular order.
    pub labels: Vec<(DocId, EsciLabel)>,
}

impl QueryJudgments {
    /// The label of `doc`, or `None` when the product was not judged for this query.
    ///
    /// A linear scan: judged lists are short (about 20 products per query in ESCI).
    /// Metrics build a hash map once instead of calling this per rank.
    pub fn label_of(&self, doc: DocId) -> Option<EsciLabel> {
        self.labels
            .iter()
            .find(|(judged, _)| *judged == doc)
            .map(|&(_, label)| label)
    }

    /// How many distinct judged products are relevant (E or S): the recall denominator.
    pub fn num_relevant(&self) -> usize {
        LabelIndex::new(self).num_relevant()
    }
}

/// The judgments of one query as a hash map, built once per evaluated ranking.
///
/// Crate-internal: it fixes the "first label wins" rule in one place.
#[derive(Debug, Clone)]
pub(crate) struct LabelIndex {
    labels: HashMap<DocId, EsciLabel>,
}

impl LabelIndex {
    /// Indexes the distinct judged products of `judged`, first label winning.
    pub(crate) fn new(judged: &QueryJudgments) -> LabelIndex {
        let mut labels = HashMap::with_capacity(judged.labels.len());
        for &(doc, label) in &judged.labels {
            labels.entry(doc).or_insert(label);
        }
        LabelIndex { labels }
    }

    /// The label of `doc`, if judged.
    pub(crate) fn get(&self, doc: DocId) -> Option<EsciLabel> {
        self.labels.get(&doc).copied()
    }

    /// Distinct relevant (E or S) products.
    pub(crate) fn num_relevant(&self) -> usize {
        self.labels.values().filter(|l| l.is_relevant()).count()
    }

    /// Every distinct judged product and its label, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (DocId, EsciLabel)> + '_ {
        self.labels.iter().map(|(&doc, &label)| (doc, label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EsciLabel::*;

    fn judged(labels: &[(DocId, EsciLabel)]) -> QueryJudgments {
        QueryJudgments {
            query_id: "q1".into(),
            query: "red shoes".into(),
            split: Split::Test,
            labels: labels.to_vec(),
        }
    }

    #[test]
    fn label_lookup_and_relevant_count() {
        let q = judged(&[
            (3, Exact),
            (5, Substitute),
            (7, Complement),
            (9, Irrelevant),
        ]);
        assert_eq!(q.label_of(5), Some(Substitute));
        assert_eq!(q.label_of(4), None);
        // E and S count, C and I do not.
        assert_eq!(q.num_relevant(), 2);
    }

    #[test]
    fn repeated_product_keeps_first_label() {
        let q = judged(&[(3, Irrelevant), (3, Exact), (4, Exact), (4, Substitute)]);
        assert_eq!(q.label_of(3), Some(Irrelevant));
        assert_eq!(LabelIndex::new(&q).get(3), Some(Irrelevant));
        // Doc 3 counts as I, doc 4 once as E.
        assert_eq!(q.num_relevant(), 1);
        assert_eq!(LabelIndex::new(&q).iter().count(), 2);
    }
}
