//! Recall on held-out queries at each Matryoshka prefix, through the same exact scan
//! (`esci_dense`) and the same metric (`esci_eval::recall_at`) as `esci eval`, so a
//! dev figure here means what a test figure there means.

use crate::TrainError;
use esci_dense::DenseIndex;
use esci_eval::{QueryJudgments, recall_at};

/// Mean Recall@`k` over `judgments` (queries without a relevant product are skipped, as
/// in `esci eval`) for each prefix in `dims`.
///
/// `products` and `queries` are row-major with `dim` components, already mapped by
/// whatever projection is being judged; row i of `queries` is `judgments[i]`.
pub fn recall_by_dim(
    products: Vec<f32>,
    queries: &[f32],
    dim: usize,
    judgments: &[QueryJudgments],
    dims: &[usize],
    k: usize,
) -> Result<Vec<f64>, TrainError> {
    if queries.len() != judgments.len() * dim {
        return Err(TrainError::Invalid(format!(
            "{} query floats for {} queries of {dim} components",
            queries.len(),
            judgments.len()
        )));
    }
    let index = DenseIndex::new(products, dim, "dev")?;
    dims.iter()
        .map(|&d| {
            let view = index.view(d)?;
            let mut sum = 0.0;
            let mut n = 0usize;
            for (q, judged) in queries.chunks_exact(dim).zip(judgments) {
                let ranked: Vec<u32> = view.search(q, k)?.iter().map(|h| h.doc).collect();
                if let Some(r) = recall_at(&ranked, judged, k) {
                    sum += r;
                    n += 1;
                }
            }
            Ok(if n == 0 { 0.0 } else { sum / n as f64 })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::{EsciLabel, Split};

    #[test]
    fn recall_per_prefix_by_hand() {
        // Doc 0 = e0, doc 1 = e1, doc 2 = (e0 + e2)/√2. Query (1, 0, 0.1) wants doc 1.
        let r = std::f32::consts::FRAC_1_SQRT_2;
        let products = vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, r, 0.0, r];
        let judged = QueryJudgments {
            query_id: "q".into(),
            query: "q".into(),
            split: Split::Train,
            labels: vec![(1, EsciLabel::Exact), (2, EsciLabel::Irrelevant)],
        };
        // k = 1: the nearest is doc 0 at every prefix → 0; k = 2 at d = 3: doc 2 second → 0;
        // at d = 1: doc 1 scores 0, docs 0 and 2 score 1 → 0. At k = 3 everything → 1.
        let got = recall_by_dim(
            products.clone(),
            &[1.0, 0.0, 0.1],
            3,
            std::slice::from_ref(&judged),
            &[3, 1],
            1,
        )
        .unwrap();
        assert_eq!(got, vec![0.0, 0.0]);
        let got = recall_by_dim(
            products.clone(),
            &[1.0, 0.0, 0.1],
            3,
            std::slice::from_ref(&judged),
            &[3],
            3,
        )
        .unwrap();
        assert_eq!(got, vec![1.0]);
        assert!(recall_by_dim(products, &[1.0], 3, &[judged], &[3], 3).is_err());
    }
}
