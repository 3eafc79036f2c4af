//! Turning rows of precomputed embeddings into the tensors of one training step.

use crate::pairs::Pair;
use candle_core::{DType, Device, Tensor};
use esci_core::DocId;

/// The tensors of one MNRL step: queries (B × d), candidates (C × d: the B positives,
/// then extra negatives) and the mask of candidates that are positives of a query other
/// than its own target (1 = ignore).
pub(crate) struct Batch {
    pub queries: Tensor,
    pub candidates: Tensor,
    pub mask: Tensor,
}

/// Copies the listed rows of a row-major matrix into a `rows.len() × dim` tensor.
pub(crate) fn gather(
    matrix: &[f32],
    dim: usize,
    rows: impl ExactSizeIterator<Item = usize>,
    dtype: DType,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let n = rows.len();
    let mut out = Vec::with_capacity(n * dim);
    for r in rows {
        out.extend_from_slice(&matrix[r * dim..(r + 1) * dim]);
    }
    Tensor::from_vec(out, (n, dim), device)?.to_dtype(dtype)
}

/// Builds the batch for `pairs` plus `negatives` (extra products) from the (already
/// centred, when the projection centres) query and product matrices.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    pairs: &[Pair],
    negatives: &[DocId],
    queries: &[f32],
    products: &[f32],
    dim: usize,
    positives: &[Vec<DocId>],
    dtype: DType,
    device: &Device,
) -> candle_core::Result<Batch> {
    let q = gather(queries, dim, pairs.iter().map(|p| p.query), dtype, device)?;
    let docs: Vec<DocId> = pairs
        .iter()
        .map(|p| p.doc)
        .chain(negatives.iter().copied())
        .collect();
    let c = gather(
        products,
        dim,
        docs.iter().map(|&d| d as usize),
        dtype,
        device,
    )?;
    let (b, cn) = (pairs.len(), docs.len());
    let mut mask = vec![0.0f32; b * cn];
    for (i, pair) in pairs.iter().enumerate() {
        let own = &positives[pair.query];
        for (j, doc) in docs.iter().enumerate() {
            if j != i && (own.binary_search(doc).is_ok() || *doc == pair.doc) {
                mask[i * cn + j] = 1.0;
            }
        }
    }
    let mask = Tensor::from_vec(mask, (b, cn), device)?.to_dtype(dtype)?;
    Ok(Batch {
        queries: q,
        candidates: c,
        mask,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_positives_of_the_query_are_masked_not_the_target() {
        // Query 0 has positives {1, 2}; query 1 has {3}. Batch: (0,1), (0,2), (1,3) + neg 2.
        let pairs = [
            Pair { query: 0, doc: 1 },
            Pair { query: 0, doc: 2 },
            Pair { query: 1, doc: 3 },
        ];
        let positives = vec![vec![1, 2], vec![3]];
        let queries = vec![1.0f32, 0.0, 0.0, 1.0];
        let products = vec![0.0f32; 4 * 2];
        let b = build(
            &pairs,
            &[2],
            &queries,
            &products,
            2,
            &positives,
            DType::F32,
            &Device::Cpu,
        )
        .unwrap();
        let mask: Vec<Vec<f32>> = b.mask.to_vec2().unwrap();
        assert_eq!(mask[0], vec![0.0, 1.0, 0.0, 1.0]);
        assert_eq!(mask[1], vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(mask[2], vec![0.0, 0.0, 0.0, 0.0]);
        assert_eq!(b.queries.dims(), &[3, 2]);
        assert_eq!(b.candidates.dims(), &[4, 2]);
    }
}
