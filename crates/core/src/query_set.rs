//! Which queries a step may see: the official splits, and the dev part carved from
//! train for early stopping and tuning.
//!
//! Everything learned here (adapter, reranker, fusion weights) is fitted on `fit`
//! queries, chosen on `dev` queries, and reported on `test`. The carve is a pure
//! function of the query id, so every command and every machine agrees on it without
//! storing a list, and it holds for the full 130k-query dataset as well as the subset.

use crate::Split;
use serde::{Deserialize, Serialize};

/// Share of the train queries held out as dev.
pub const DEV_FRACTION: f64 = 0.3;

/// A set of queries defined by split and the dev carve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuerySet {
    /// Every train query (fit + dev).
    Train,
    /// The train queries not in dev: what models are trained on.
    Fit,
    /// The dev part of train: early stopping, tuning, model choice.
    Dev,
    /// The official test split: reporting only, never tuning.
    Test,
}

impl QuerySet {
    /// Every set, in the order shown in help texts.
    pub const ALL: [QuerySet; 4] = [
        QuerySet::Train,
        QuerySet::Fit,
        QuerySet::Dev,
        QuerySet::Test,
    ];

    /// Parses `train`, `fit`, `dev` or `test`.
    pub fn parse(s: &str) -> Option<QuerySet> {
        QuerySet::ALL
            .into_iter()
            .find(|q| q.name() == s.trim().to_ascii_lowercase())
    }

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            QuerySet::Train => "train",
            QuerySet::Fit => "fit",
            QuerySet::Dev => "dev",
            QuerySet::Test => "test",
        }
    }

    /// Whether the query `query_id` of official split `split` belongs to this set.
    pub fn contains(self, split: Split, query_id: &str) -> bool {
        match self {
            QuerySet::Train => split == Split::Train,
            QuerySet::Fit => split == Split::Train && !is_dev_query(query_id),
            QuerySet::Dev => split == Split::Train && is_dev_query(query_id),
            QuerySet::Test => split == Split::Test,
        }
    }
}

impl From<Split> for QuerySet {
    fn from(split: Split) -> QuerySet {
        match split {
            Split::Train => QuerySet::Train,
            Split::Test => QuerySet::Test,
        }
    }
}

impl std::fmt::Display for QuerySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a train query is carved into dev: a stable hash of its id (FNV-1a, then
/// SplitMix64 finalisation so neighbouring ids spread), below [`DEV_FRACTION`].
pub fn is_dev_query(query_id: &str) -> bool {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in query_id.trim().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mixed = crate::rng::SplitMix64::new(hash).next_u64();
    (mixed >> 11) as f64 / (1u64 << 53) as f64 <= DEV_FRACTION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_every_set() {
        for set in QuerySet::ALL {
            assert_eq!(QuerySet::parse(set.name()), Some(set));
        }
        assert_eq!(QuerySet::parse(" DEV "), Some(QuerySet::Dev));
        assert_eq!(QuerySet::parse("validation"), None);
    }

    #[test]
    fn dev_and_fit_partition_train_and_never_touch_test() {
        let ids: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        let dev = ids.iter().filter(|id| is_dev_query(id)).count();
        let share = dev as f64 / ids.len() as f64;
        assert!((share - DEV_FRACTION).abs() < 0.02, "dev share {share}");
        for id in &ids {
            let in_dev = QuerySet::Dev.contains(Split::Train, id);
            let in_fit = QuerySet::Fit.contains(Split::Train, id);
            assert!(
                in_dev != in_fit,
                "{id} must be in exactly one of dev and fit"
            );
            assert!(QuerySet::Train.contains(Split::Train, id));
            for set in [QuerySet::Train, QuerySet::Fit, QuerySet::Dev] {
                assert!(!set.contains(Split::Test, id));
            }
            assert!(QuerySet::Test.contains(Split::Test, id));
        }
    }

    #[test]
    fn the_carve_is_stable() {
        // Pinned so the dev part never moves silently between versions.
        let dev: Vec<u32> = (0..20).filter(|i| is_dev_query(&i.to_string())).collect();
        assert_eq!(dev, vec![0, 4, 6, 10, 14, 19]);
    }
}
