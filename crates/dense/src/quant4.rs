//! 4-bit codes with one scale per vector, for [`crate::SearchMode::Int4`]: half the
//! bytes of int8, so the codes of 480k products at 64 dimensions (15 MiB) stay in a
//! 32 MiB L3 cache where the int8 codes (31 MiB) spill to memory.
//!
//! Coarser codes rank less precisely, so the int4 pass keeps more candidates
//! ([`crate::search::INT4_RESCORE_FACTOR`] × k) for the exact f32 rescoring.

use crate::quant::{GROUP_ROWS, quantise_symmetric};
use rayon::prelude::*;

/// Largest code magnitude: codes are -7..=7, stored as the nibble `code + 8`.
const MAX_CODE: f32 = 7.0;
/// Dimensions per 64-byte step of a group: 16 rows × 4 bytes, two nibbles a byte.
pub(crate) const STEP_DIMS: usize = 8;

/// Nibble codes of every row of a view, blocked for the scan.
///
/// Rows come in groups of [`GROUP_ROWS`]; for each run of 8 dimensions a group holds
/// 64 bytes, row r's 4 bytes at `4r..4r+4`, byte j carrying dimension `8s + j` in its
/// low nibble and `8s + 4 + j` in its high nibble. Masking the low nibbles (or
/// shifting down the high ones) yields 16 rows × 4 dimensions of unsigned bytes, one
/// `vpdpbusd` against four query codes. Nibbles hold `code + 8`, so Σ nibble·q =
/// Σ code·q + 8·Σq: the query's own sum is subtracted once per query.
pub(crate) struct Int4Matrix {
    /// Blocked nibbles, `padded_dim / 2 × GROUP_ROWS` bytes per group.
    pub(crate) codes: Vec<u8>,
    /// `row ≈ scale × codes`, one scale per row.
    pub(crate) scales: Vec<f32>,
    /// Dimensions rounded up to a multiple of [`STEP_DIMS`] (padding codes are 0).
    pub(crate) padded_dim: usize,
}

impl Int4Matrix {
    /// Quantises every `dim`-long row of `rows`.
    pub(crate) fn quantise(rows: &[f32], dim: usize) -> Int4Matrix {
        let dim = dim.max(1);
        let n = rows.len() / dim;
        let padded_dim = dim.div_ceil(STEP_DIMS) * STEP_DIMS;
        let group_bytes = padded_dim / 2 * GROUP_ROWS;
        let mut codes = vec![0u8; n.div_ceil(GROUP_ROWS) * group_bytes];
        let mut scales = vec![0.0f32; n];
        codes
            .par_chunks_mut(group_bytes)
            .zip(scales.par_chunks_mut(GROUP_ROWS))
            .zip(rows.par_chunks(dim * GROUP_ROWS))
            .for_each(|((group, scales), rows)| {
                let mut row_codes = vec![0i8; padded_dim];
                // Padding rows of a short last group score 8·q on padding nibbles of
                // zero codes too; their scores are never read.
                group.fill(0x88);
                for (r, row) in rows.chunks_exact(dim).enumerate() {
                    scales[r] = quantise4(row, &mut row_codes[..dim]);
                    for (s, step) in row_codes.chunks_exact(STEP_DIMS).enumerate() {
                        for j in 0..4 {
                            let lo = (step[j] + 8) as u8;
                            let hi = (step[j + 4] + 8) as u8;
                            group[s * GROUP_ROWS * 4 + r * 4 + j] = lo | (hi << 4);
                        }
                    }
                }
            });
        Int4Matrix {
            codes,
            scales,
            padded_dim,
        }
    }

    /// Bytes of one group of [`GROUP_ROWS`] rows.
    pub(crate) fn group_bytes(&self) -> usize {
        self.padded_dim / 2 * GROUP_ROWS
    }

    /// Bytes held (codes and scales).
    pub(crate) fn bytes(&self) -> usize {
        self.codes.len() + 4 * self.scales.len()
    }

    /// The codes (-7..=7, padded) of one row, read back out of its group.
    #[cfg(test)]
    pub(crate) fn row(&self, row: usize) -> Vec<i8> {
        let group = &self.codes[row / GROUP_ROWS * self.group_bytes()..][..self.group_bytes()];
        let r = row % GROUP_ROWS;
        (0..self.padded_dim)
            .map(|i| {
                let byte = group[i / STEP_DIMS * GROUP_ROWS * 4 + r * 4 + i % 4];
                let nibble = if i % STEP_DIMS < 4 {
                    byte & 15
                } else {
                    byte >> 4
                };
                nibble as i8 - 8
            })
            .collect()
    }
}

/// Writes the 4-bit codes of `v` into `out` and returns the scale (`v ≈ scale × out`).
fn quantise4(v: &[f32], out: &mut [i8]) -> f32 {
    quantise_symmetric(v, out, MAX_CODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_rows_hold_each_rows_codes() {
        let dim = 13;
        let rows: Vec<f32> = (0..35 * dim)
            .map(|i| ((i * 29 % 23) as f32 - 11.0) / 11.0)
            .collect();
        let m = Int4Matrix::quantise(&rows, dim);
        assert_eq!((m.padded_dim, m.codes.len()), (16, 3 * 16 * 8));
        for (r, row) in rows.chunks(dim).enumerate() {
            let mut want = vec![0i8; 16];
            let scale = quantise4(row, &mut want[..dim]);
            assert!(want.iter().all(|c| c.abs() <= 7));
            assert_eq!((m.row(r), m.scales[r]), (want, scale), "row {r}");
        }
        assert_eq!(m.bytes(), 3 * 128 + 4 * 35);
    }

    #[test]
    fn codes_reconstruct_within_half_a_step() {
        let v = [0.5f32, -0.25, 0.125, 0.0, -0.5, 0.3];
        let mut codes = [0i8; 6];
        let scale = quantise4(&v, &mut codes);
        assert_eq!((codes[0], codes[4]), (7, -7));
        for (&x, &c) in v.iter().zip(&codes) {
            assert!((x - scale * f32::from(c)).abs() <= scale / 2.0 + 1e-7);
        }
        assert_eq!(quantise4(&[0.0; 3], &mut [1; 3]), 0.0);
    }
}
