//! Fixed-point weights: documents and queries become integers, so a score is an exact
//! integer sum and every traversal order gives the same bits, ties included.
//!
//! **Documents** share one global scale chosen from the heaviest weight in the corpus:
//! `S_d = 65535 / max_w`, and a weight `w` is stored as the `u16` impact
//! `round(w × S_d)`. The heaviest weight maps to 65535; a weight below `0.5 / S_d`
//! rounds to 0 and its posting is dropped (a change no larger than the rounding of any
//! other weight).
//!
//! **Queries** get their own scale when they arrive: `S_q = 65535 / max_q` over the
//! query's weights (after duplicate term ids are summed), and `q` becomes
//! `round(q × S_q)`.
//!
//! The integer score of a document is `Σ_t round(q_t S_q) · round(d_t S_d)` (a `u64`:
//! at most 2³² per term), and the reported score is that integer divided by
//! `S_q · S_d`, i.e. `Σ_t q̂_t d̂_t ≈ Σ_t q_t d_t`, the dot product of the query and
//! document vectors. Since `q̂d̂ − qd = q̂(d̂ − d) + d(q̂ − q)` and each rounding is off by
//! at most half a step,
//!
//! ```text
//! |score − q·d| ≤ 0.5 · Σ_t q̂_t / S_d  +  0.5 · Σ_t d_t / S_q      (t over query terms)
//! ```
//!
//! plus the final conversion to `f32` (relative 2⁻²⁴). With weights up to 3 and 30
//! query terms that is at most `30 · 3 · 3 / 65535 ≈ 0.004`, against scores of order
//! 10. [`crate::SparseIndex::score_error_bound`] evaluates the bound for a query.

use crate::SparseError;

/// Largest stored document impact (`u16::MAX`): the heaviest corpus weight maps here.
pub const DOC_IMPACT_LEVELS: u16 = u16::MAX;

/// Largest quantised query weight: the heaviest weight of each query maps here.
pub const QUERY_WEIGHT_LEVELS: u32 = 65535;

/// A query in integer form: `(term, round(weight × scale))`, ascending term ids.
///
/// Terms whose weight rounds to 0 stay in `terms` (they count in the error bound) but
/// take no part in scoring.
#[derive(Debug, Clone)]
pub(crate) struct QuantizedQuery {
    pub terms: Vec<(u32, u64)>,
    /// `S_q`: integer weight per unit of real weight.
    pub scale: f64,
}

/// Checks a sparse vector and puts it in canonical form: ascending term ids, duplicate
/// ids summed (a sparse vector's value at `t` is the sum of its entries for `t`), zero
/// weights dropped.
pub(crate) fn normalize(
    vector: &[(u32, f32)],
    vocab_size: u32,
) -> Result<Vec<(u32, f64)>, SparseError> {
    let mut out: Vec<(u32, f64)> = Vec::with_capacity(vector.len());
    for &(term, weight) in vector {
        if term >= vocab_size {
            return Err(SparseError::TermOutOfRange { term, vocab_size });
        }
        if !weight.is_finite() || weight < 0.0 {
            return Err(SparseError::InvalidWeight { term, weight });
        }
        if weight > 0.0 {
            out.push((term, f64::from(weight)));
        }
    }
    out.sort_unstable_by_key(|&(t, _)| t);
    out.dedup_by(|next, kept| {
        if next.0 == kept.0 {
            kept.1 += next.1;
            true
        } else {
            false
        }
    });
    Ok(out)
}

/// Checks and quantises a query (see the module documentation for the scale).
pub(crate) fn quantize_query(
    query: &[(u32, f32)],
    vocab_size: u32,
) -> Result<QuantizedQuery, SparseError> {
    let terms = normalize(query, vocab_size)?;
    let max = terms.iter().map(|&(_, w)| w).fold(0.0f64, f64::max);
    if max <= 0.0 || !max.is_finite() {
        // Empty, or f32 weights whose sum overflowed f64 (impossible) / f32 range.
        return Ok(QuantizedQuery {
            terms: Vec::new(),
            scale: 1.0,
        });
    }
    let scale = f64::from(QUERY_WEIGHT_LEVELS) / max;
    let terms = terms
        .into_iter()
        .map(|(t, w)| {
            (
                t,
                ((w * scale).round() as u64).min(u64::from(QUERY_WEIGHT_LEVELS)),
            )
        })
        .collect();
    Ok(QuantizedQuery { terms, scale })
}

/// `S_d` for a corpus whose heaviest weight is `max_weight` (1 for an empty corpus).
pub(crate) fn doc_scale(max_weight: f32) -> f64 {
    if max_weight > 0.0 && max_weight.is_finite() {
        f64::from(DOC_IMPACT_LEVELS) / f64::from(max_weight)
    } else {
        1.0
    }
}

/// A document weight as a stored impact; 0 means the posting is dropped.
pub(crate) fn doc_impact(weight: f32, scale: f64) -> u16 {
    (f64::from(weight) * scale)
        .round()
        .min(f64::from(DOC_IMPACT_LEVELS)) as u16
}

/// The real-valued score of an integer score under the two scales.
pub(crate) fn dequantize(score: u64, query_scale: f64, doc_scale: f64) -> f32 {
    (score as f64 / (query_scale * doc_scale)) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_sums_duplicates_and_drops_zeros() {
        let v = normalize(&[(5, 1.0), (2, 0.0), (5, 0.5), (1, 2.0)], 10).unwrap();
        assert_eq!(v, vec![(1, 2.0), (5, 1.5)]);
        assert!(matches!(
            normalize(&[(10, 1.0)], 10),
            Err(SparseError::TermOutOfRange {
                term: 10,
                vocab_size: 10
            })
        ));
        for bad in [f32::NAN, f32::INFINITY, -1.0] {
            assert!(matches!(
                normalize(&[(1, bad)], 10),
                Err(SparseError::InvalidWeight { term: 1, .. })
            ));
        }
    }

    #[test]
    fn heaviest_weights_map_to_the_top_level() {
        let q = quantize_query(&[(3, 0.75), (1, 1.5), (3, 0.75)], 5).unwrap();
        assert_eq!(q.terms, vec![(1, 65535), (3, 65535)]);
        let s = doc_scale(3.0);
        assert_eq!(doc_impact(3.0, s), 65535);
        assert_eq!(doc_impact(1.5, s), 32768);
        assert_eq!(doc_impact(1e-6, s), 0);
        assert!(quantize_query(&[], 5).unwrap().terms.is_empty());
    }
}
