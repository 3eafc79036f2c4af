//! Symmetric int8 codes with one scale per vector, for the approximate first pass of
//! [`crate::SearchMode::Int8`].
//!
//! Why per vector rather than per dimension: the vectors are unit-norm, so each one's
//! own largest component is a tight bound on its range (about 2.9σ of a component at
//! d = 64), while a per-dimension scale must cover that dimension's largest value over
//! the whole corpus, an extreme that grows with N (about 5σ at 480k) and is set by a
//! single outlying document. In a one-off comparison during development (the
//! per-dimension variant was not kept, so this is not rerunnable; `esci bench dense`
//! measures the kept one) on 480k synthetic vectors, 30 queries, int8 alone, recall@200 per vector vs per dimension: isotropic 0.985 vs 0.980 (d = 64),
//! 0.987 vs 0.980 (d = 384); with log-normal per-dimension spreads and a few offset
//! dimensions 0.983 vs 0.973 and 0.983 vs 0.966. Rescoring 2k candidates in f32 gave
//! 1.000 for both. The price is one f32 multiply per document, and codes stay local to
//! their vector (adding documents never re-quantises the others).

use rayon::prelude::*;

/// Largest code magnitude: the range is symmetric, -128 is never used.
const MAX_CODE: f32 = 127.0;

/// Rows per group of the blocked layout: one 512-bit register of i32 scores.
pub(crate) const GROUP_ROWS: usize = 16;
/// Dimensions per step of the blocked layout: one 32-bit lane of four codes.
pub(crate) const GROUP_DIMS: usize = 4;

/// int8 codes of every row of a view, and the scale that maps each back to floats.
///
/// The codes are stored *blocked* for the scan: rows in groups of [`GROUP_ROWS`],
/// and within a group, for each run of [`GROUP_DIMS`] dimensions, the 16 rows' four
/// codes side by side (64 bytes). One multiply-accumulate instruction
/// (`vpdpbusd`) then advances 16 rows by 4 dimensions with no per-row horizontal
/// sum; see [`crate::simd::score_i8`]. Rows are zero-padded to a multiple of 4
/// dimensions and the last group to 16 rows: zero codes add nothing.
pub(crate) struct Int8Matrix {
    /// Blocked codes, `padded_dim × GROUP_ROWS` per group.
    pub(crate) codes: Vec<i8>,
    /// `row ≈ scale × codes`, one scale per row.
    pub(crate) scales: Vec<f32>,
    /// Sum of each row's codes (the unsigned-by-signed product needs it, see
    /// [`crate::simd`]).
    pub(crate) sums: Vec<i32>,
    /// Dimensions rounded up to a multiple of [`GROUP_DIMS`].
    pub(crate) padded_dim: usize,
}

impl Int8Matrix {
    /// Quantises every `dim`-long row of `rows`.
    pub(crate) fn quantise(rows: &[f32], dim: usize) -> Int8Matrix {
        let n = rows.len() / dim.max(1);
        let padded_dim = dim.div_ceil(GROUP_DIMS) * GROUP_DIMS;
        let group_bytes = padded_dim * GROUP_ROWS;
        let mut codes = vec![0i8; n.div_ceil(GROUP_ROWS) * group_bytes];
        let mut scales = vec![0.0f32; n];
        let mut sums = vec![0i32; n];
        codes
            .par_chunks_mut(group_bytes)
            .zip(scales.par_chunks_mut(GROUP_ROWS))
            .zip(sums.par_chunks_mut(GROUP_ROWS))
            .zip(rows.par_chunks(dim.max(1) * GROUP_ROWS))
            .for_each(|(((group, scales), sums), rows)| {
                let mut row_codes = vec![0i8; padded_dim];
                for (r, row) in rows.chunks_exact(dim).enumerate() {
                    scales[r] = quantise_vector(row, &mut row_codes[..dim]);
                    sums[r] = row_codes.iter().map(|&c| i32::from(c)).sum();
                    for (step, four) in row_codes.chunks_exact(GROUP_DIMS).enumerate() {
                        let at = step * GROUP_ROWS * GROUP_DIMS + r * GROUP_DIMS;
                        group[at..at + GROUP_DIMS].copy_from_slice(four);
                    }
                }
            });
        Int8Matrix {
            codes,
            scales,
            sums,
            padded_dim,
        }
    }

    /// Bytes of one group of [`GROUP_ROWS`] rows.
    pub(crate) fn group_bytes(&self) -> usize {
        self.padded_dim * GROUP_ROWS
    }

    /// The codes of group `g` (rows `16g..16g+16`).
    #[cfg(test)]
    fn group(&self, g: usize) -> &[i8] {
        &self.codes[g * self.group_bytes()..(g + 1) * self.group_bytes()]
    }

    /// The padded codes of one row, gathered back out of its group (tests, rescoring).
    #[cfg(test)]
    pub(crate) fn row(&self, row: usize) -> Vec<i8> {
        let group = self.group(row / GROUP_ROWS);
        let r = row % GROUP_ROWS;
        (0..self.padded_dim)
            .map(|i| {
                group[(i / GROUP_DIMS) * GROUP_ROWS * GROUP_DIMS + r * GROUP_DIMS + i % GROUP_DIMS]
            })
            .collect()
    }

    /// Bytes held (codes, scales and sums).
    pub(crate) fn bytes(&self) -> usize {
        self.codes.len() + 4 * self.scales.len() + 4 * self.sums.len()
    }
}

/// Writes the codes of `v` into `out` (same length) and returns the scale:
/// `v[i] ≈ scale × out[i]`, rounding to nearest. A zero vector gets scale 0.
pub(crate) fn quantise_vector(v: &[f32], out: &mut [i8]) -> f32 {
    quantise_symmetric(v, out, MAX_CODE)
}

pub(crate) use esci_core::int8::quantise_symmetric;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_reconstruct_within_half_a_step() {
        let v = [0.5f32, -0.25, 0.125, 0.0, -0.5, 0.3];
        let mut codes = [0i8; 6];
        let scale = quantise_vector(&v, &mut codes);
        assert_eq!(codes[0], 127);
        assert_eq!(codes[4], -127);
        for (&x, &c) in v.iter().zip(&codes) {
            assert!((x - scale * f32::from(c)).abs() <= scale / 2.0 + 1e-7);
        }
    }

    #[test]
    fn zero_rows_get_zero_codes() {
        let m = Int8Matrix::quantise(&[0.0, 0.0, 1.0, 0.0], 2);
        assert_eq!(m.scales, vec![0.0, 1.0 / 127.0]);
        assert_eq!((m.row(0), m.row(1)), (vec![0; 4], vec![127, 0, 0, 0]));
        assert_eq!(m.sums, vec![0, 127]);
        assert_eq!(m.bytes(), 64 + 8 + 8);
    }

    #[test]
    fn blocked_rows_hold_each_rows_codes() {
        let dim = 6;
        let rows: Vec<f32> = (0..37 * dim)
            .map(|i| ((i * 31 % 17) as f32 - 8.0) / 8.0)
            .collect();
        let m = Int8Matrix::quantise(&rows, dim);
        assert_eq!((m.padded_dim, m.codes.len()), (8, 3 * 16 * 8));
        for (r, row) in rows.chunks(dim).enumerate() {
            let mut want = vec![0i8; 8];
            let scale = quantise_vector(row, &mut want[..dim]);
            assert_eq!((m.row(r), m.scales[r]), (want.clone(), scale), "row {r}");
            assert_eq!(m.sums[r], want.iter().map(|&c| i32::from(c)).sum::<i32>());
        }
    }
}
