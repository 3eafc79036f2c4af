use std::fmt;

/// The name of a per-query metric, as stored in [`crate::QueryMetrics::values`].
///
/// Keys are plain strings in reports (`recall@200`, `ndcg@20`, `mrr@10`,
/// `task1_ndcg`) so the JSON stays readable and open to new metrics; this type
/// parses them to give reports one fixed order and column titles.
///
/// The derived order is the report order: recall, nDCG, MRR (each by cut-off,
/// numerically, so `recall@50` comes before `recall@100`), Task-1 nDCG, then
/// any other key alphabetically.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricKey {
    /// `recall@k`
    Recall(usize),
    /// `ndcg@k`
    Ndcg(usize),
    /// `mrr@k`
    Mrr(usize),
    /// `task1_ndcg`: nDCG of the whole re-ranked judged list.
    Task1Ndcg,
    /// Any other name, kept verbatim.
    Other(String),
}

/// Key of the Task 1 nDCG metric.
pub const TASK1_NDCG: &str = "task1_ndcg";

impl MetricKey {
    /// Parses a key; anything not in canonical form (e.g. `recall@050`) is `Other`,
    /// so parsing then printing always gives the original string back.
    pub fn parse(name: &str) -> MetricKey {
        if name == TASK1_NDCG {
            return MetricKey::Task1Ndcg;
        }
        let known = name.split_once('@').and_then(|(family, k)| {
            let k: usize = k.parse().ok()?;
            let key = match family {
                "recall" => MetricKey::Recall(k),
                "ndcg" => MetricKey::Ndcg(k),
                "mrr" => MetricKey::Mrr(k),
                _ => return None,
            };
            (key.to_string() == name).then_some(key)
        });
        known.unwrap_or_else(|| MetricKey::Other(name.to_string()))
    }

    /// Short column title for tables: `R@50`, `nDCG@10`, `MRR@10`, `Task-1 nDCG`.
    pub fn column_title(&self) -> String {
        match self {
            MetricKey::Recall(k) => format!("R@{k}"),
            MetricKey::Ndcg(k) => format!("nDCG@{k}"),
            MetricKey::Mrr(k) => format!("MRR@{k}"),
            MetricKey::Task1Ndcg => "Task-1 nDCG".to_string(),
            MetricKey::Other(name) => name.clone(),
        }
    }
}

impl fmt::Display for MetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricKey::Recall(k) => write!(f, "recall@{k}"),
            MetricKey::Ndcg(k) => write!(f, "ndcg@{k}"),
            MetricKey::Mrr(k) => write!(f, "mrr@{k}"),
            MetricKey::Task1Ndcg => f.write_str(TASK1_NDCG),
            MetricKey::Other(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips() {
        for name in [
            "recall@50",
            "ndcg@10",
            "mrr@10",
            "task1_ndcg",
            "recall@050",
            "map@10",
            "x",
        ] {
            assert_eq!(MetricKey::parse(name).to_string(), name);
        }
        assert_eq!(MetricKey::parse("recall@200"), MetricKey::Recall(200));
        assert_eq!(
            MetricKey::parse("recall@050"),
            MetricKey::Other("recall@050".into())
        );
    }

    #[test]
    fn report_order_is_numeric_by_cut_off() {
        let mut keys: Vec<MetricKey> = [
            "zeta",
            "task1_ndcg",
            "mrr@10",
            "ndcg@50",
            "ndcg@10",
            "recall@200",
            "recall@50",
            "recall@100",
        ]
        .iter()
        .map(|n| MetricKey::parse(n))
        .collect();
        keys.sort();
        let titles: Vec<String> = keys.iter().map(MetricKey::column_title).collect();
        assert_eq!(
            titles,
            [
                "R@50",
                "R@100",
                "R@200",
                "nDCG@10",
                "nDCG@50",
                "MRR@10",
                "Task-1 nDCG",
                "zeta"
            ]
        );
    }
}
