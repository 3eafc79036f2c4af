//! Block scoring compiled for the CPU the scan runs on.
//!
//! The workspace builds for the baseline x86-64 target (SSE2), so the portable
//! kernels in [`crate::kernel`] vectorise 4 lanes at a time. Here the same code is
//! compiled a second and third time inside `#[target_feature]` functions (AVX2,
//! AVX-512BW) and picked once at run time, the way ripgrep and memchr choose
//! their SIMD paths. The source of the arithmetic is shared, so the lane order — and
//! therefore every f32 score, bit for bit — is the same on every path; integer
//! scores are exact on every path anyway.
//!
//! The choice is made per block of rows (about a thousand at 64 dimensions), so the
//! dispatch costs nothing next to the work, and the inner loops inline.
//! `ESCI_DENSE_ISA=portable|avx2|avx512|avx512vnni` forces a path (benchmarks, tests); a path
//! the CPU lacks falls back to the best one it has.

use crate::kernel::dot_f32_inlined;
use crate::quant::{GROUP_DIMS, GROUP_ROWS};
use std::sync::LazyLock;

pub use esci_core::isa::Isa;

/// The level the scans use: `ESCI_DENSE_ISA` when set and supported, else
/// [`Isa::detected`]. Read once per process.
pub fn active_isa() -> Isa {
    *ACTIVE
}

static ACTIVE: LazyLock<Isa> = LazyLock::new(|| Isa::from_env("ESCI_DENSE_ISA"));

/// `out[i] = dot_f32(query, rows[i·d..])` for every d-long row, on `isa`.
pub(crate) fn score_f32(isa: Isa, query: &[f32], rows: &[f32], out: &mut [f32]) {
    match isa.supported() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `supported` only returns a level the running CPU has.
        Isa::Avx512 | Isa::Avx512Vnni => unsafe { x86::f32_avx512(query, rows, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 => unsafe { x86::f32_avx2(query, rows, out) },
        _ => f32_rows(query, rows, out),
    }
}

/// `out[i] = scales[i] × Σ q·c` for the rows `0..out.len()` of whole groups
/// `groups` of a blocked [`crate::quant::Int8Matrix`] (the last group may be
/// partly padding), with `query` from `esci_core::int8::pack_shifted` and the rows' `sums`/`scales`.
pub(crate) fn score_i8(
    isa: Isa,
    query: &[u32],
    groups: &[i8],
    sums: &[i32],
    scales: &[f32],
    out: &mut [f32],
) {
    match isa.supported() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `supported` only returns a level the running CPU has.
        Isa::Avx512Vnni => unsafe { x86::i8_vnni(query, groups, sums, scales, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx512 => unsafe { x86::i8_avx512(query, groups, sums, scales, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 => unsafe { x86::i8_avx2(query, groups, sums, scales, out) },
        _ => i8_groups(query, groups, sums, scales, out),
    }
}

/// A query's int8 codes as the int4 scan consumes them: per run of 8 dimensions,
/// two `u32`s (dimensions 8s..8s+4 and 8s+4..8s+8), the raw signed bytes packed
/// little-endian; and the correction `8 × Σq` that the nibbles' +8 offset adds to
/// every row (see [`crate::quant4::Int4Matrix`]).
pub(crate) fn pack_query4(codes: &[i8], padded_dim: usize) -> (Vec<u32>, i32) {
    let mut padded = codes.to_vec();
    padded.resize(padded_dim, 0);
    let words = padded
        .chunks_exact(4)
        .map(|four| u32::from_le_bytes([0, 1, 2, 3].map(|j| four[j] as u8)))
        .collect();
    (words, 8 * codes.iter().map(|&c| i32::from(c)).sum::<i32>())
}

/// `out[i] = scales[i] × Σ q·c` for the rows `0..out.len()` of whole groups of a
/// blocked [`crate::quant4::Int4Matrix`], with `(query, correction)` from
/// [`pack_query4`].
pub(crate) fn score_i4(
    isa: Isa,
    (query, correction): (&[u32], i32),
    groups: &[u8],
    scales: &[f32],
    out: &mut [f32],
) {
    match isa.supported() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `supported` only returns a level the running CPU has.
        Isa::Avx512Vnni => unsafe { x86::i4_vnni(query, correction, groups, scales, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx512 => unsafe { x86::i4_avx512(query, correction, groups, scales, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 => unsafe { x86::i4_avx2(query, correction, groups, scales, out) },
        _ => i4_groups(query, correction, groups, scales, out),
    }
}

#[inline(always)]
fn f32_rows(query: &[f32], rows: &[f32], out: &mut [f32]) {
    let d = query.len().max(1);
    for (o, row) in out.iter_mut().zip(rows.chunks_exact(d)) {
        *o = dot_f32_inlined(query, row);
    }
}

/// The portable blocked int8 kernel: 16 rows' i32 sums advanced 4 dimensions a step.
#[inline(always)]
fn i8_groups(query: &[u32], groups: &[i8], sums: &[i32], scales: &[f32], out: &mut [f32]) {
    let group_bytes = query.len() * GROUP_ROWS * GROUP_DIMS;
    for (g, outs) in out.chunks_mut(GROUP_ROWS).enumerate() {
        let group = &groups[g * group_bytes..(g + 1) * group_bytes];
        let mut acc = [0i32; GROUP_ROWS];
        for (&q, step) in query
            .iter()
            .zip(group.chunks_exact(GROUP_ROWS * GROUP_DIMS))
        {
            let q = q.to_le_bytes().map(i32::from);
            for (a, c) in acc.iter_mut().zip(step.chunks_exact(GROUP_DIMS)) {
                *a += q[0] * i32::from(c[0])
                    + q[1] * i32::from(c[1])
                    + q[2] * i32::from(c[2])
                    + q[3] * i32::from(c[3]);
            }
        }
        finish_group(&acc, g, sums, scales, outs);
    }
}

/// The portable int4 kernel: low then high nibbles of each 64-byte step.
#[inline(always)]
fn i4_groups(query: &[u32], correction: i32, groups: &[u8], scales: &[f32], out: &mut [f32]) {
    let step_bytes = GROUP_ROWS * GROUP_DIMS;
    let group_bytes = query.len() / 2 * step_bytes;
    for (g, outs) in out.chunks_mut(GROUP_ROWS).enumerate() {
        let group = &groups[g * group_bytes..(g + 1) * group_bytes];
        let mut acc = [0i32; GROUP_ROWS];
        for (pair, step) in query.chunks_exact(2).zip(group.chunks_exact(step_bytes)) {
            let lo = pair[0].to_le_bytes().map(|b| i32::from(b as i8));
            let hi = pair[1].to_le_bytes().map(|b| i32::from(b as i8));
            for (a, c) in acc.iter_mut().zip(step.chunks_exact(GROUP_DIMS)) {
                for j in 0..GROUP_DIMS {
                    *a += i32::from(c[j] & 15) * lo[j] + i32::from(c[j] >> 4) * hi[j];
                }
            }
        }
        let rows = g * GROUP_ROWS..g * GROUP_ROWS + outs.len();
        for ((o, &a), &scale) in outs.iter_mut().zip(&acc).zip(&scales[rows]) {
            *o = scale * (a - correction) as f32;
        }
    }
}

/// Undoes the +128 shift of `esci_core::int8::pack_shifted` and applies each row's scale.
#[inline(always)]
fn finish_group(acc: &[i32; GROUP_ROWS], g: usize, sums: &[i32], scales: &[f32], outs: &mut [f32]) {
    let rows = g * GROUP_ROWS..g * GROUP_ROWS + outs.len();
    for ((o, &a), (&sum, &scale)) in outs
        .iter_mut()
        .zip(acc)
        .zip(sums[rows.clone()].iter().zip(&scales[rows]))
    {
        *o = scale * (a - 128 * sum) as f32;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The portable loops, recompiled with wider vectors enabled.

    #[target_feature(enable = "avx2")]
    pub(super) fn f32_avx2(query: &[f32], rows: &[f32], out: &mut [f32]) {
        super::f32_rows(query, rows, out)
    }

    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn f32_avx512(query: &[f32], rows: &[f32], out: &mut [f32]) {
        super::f32_rows(query, rows, out)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn i8_avx2(q: &[u32], groups: &[i8], sums: &[i32], scales: &[f32], out: &mut [f32]) {
        super::i8_groups(q, groups, sums, scales, out)
    }

    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn i8_avx512(
        q: &[u32],
        groups: &[i8],
        sums: &[i32],
        scales: &[f32],
        out: &mut [f32],
    ) {
        super::i8_groups(q, groups, sums, scales, out)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn i4_avx2(q: &[u32], corr: i32, groups: &[u8], scales: &[f32], out: &mut [f32]) {
        super::i4_groups(q, corr, groups, scales, out)
    }

    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn i4_avx512(q: &[u32], corr: i32, groups: &[u8], scales: &[f32], out: &mut [f32]) {
        super::i4_groups(q, corr, groups, scales, out)
    }

    /// Per 64-byte step: the low nibbles and the high nibbles each make 16 rows × 4
    /// dimensions of unsigned bytes, one `vpdpbusd` each against the signed query.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) fn i4_vnni(q: &[u32], corr: i32, groups: &[u8], scales: &[f32], out: &mut [f32]) {
        use super::{GROUP_DIMS, GROUP_ROWS};
        use std::arch::x86_64::*;
        let step_bytes = GROUP_ROWS * GROUP_DIMS;
        let group_bytes = q.len() / 2 * step_bytes;
        assert!(groups.len() >= out.len().div_ceil(GROUP_ROWS) * group_bytes);
        assert!(scales.len() >= out.len());
        let nibble = _mm512_set1_epi8(15);
        let correction = _mm512_set1_epi32(corr);
        for (g, outs) in out.chunks_mut(GROUP_ROWS).enumerate() {
            let group = &groups[g * group_bytes..(g + 1) * group_bytes];
            let mut low = _mm512_setzero_si512();
            let mut high = _mm512_setzero_si512();
            for (pair, step) in q.chunks_exact(2).zip(group.chunks_exact(step_bytes)) {
                // SAFETY: `step` holds 64 bytes; unaligned loads are allowed.
                let v = unsafe { _mm512_loadu_si512(step.as_ptr().cast::<__m512i>()) };
                let lo = _mm512_and_si512(v, nibble);
                let hi = _mm512_and_si512(_mm512_srli_epi16::<4>(v), nibble);
                low = _mm512_dpbusd_epi32(low, lo, _mm512_set1_epi32(pair[0] as i32));
                high = _mm512_dpbusd_epi32(high, hi, _mm512_set1_epi32(pair[1] as i32));
            }
            let dot = _mm512_sub_epi32(_mm512_add_epi32(low, high), correction);
            let first = g * GROUP_ROWS;
            if outs.len() == GROUP_ROWS {
                // SAFETY: rows first..first+16 exist in `scales` and `outs`.
                unsafe {
                    let scale = _mm512_loadu_ps(scales.as_ptr().add(first));
                    let score = _mm512_mul_ps(_mm512_cvtepi32_ps(dot), scale);
                    _mm512_storeu_ps(outs.as_mut_ptr(), score);
                }
            } else {
                let mut lanes = [0i32; GROUP_ROWS];
                // SAFETY: `lanes` is 16 i32 = 64 bytes.
                unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast::<__m512i>(), dot) };
                for ((o, &a), &scale) in outs.iter_mut().zip(&lanes).zip(&scales[first..]) {
                    *o = scale * a as f32;
                }
            }
        }
    }

    /// One `vpdpbusd` per 16 rows × 4 dimensions; two accumulators (even and odd
    /// steps) so consecutive instructions do not wait on each other.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) fn i8_vnni(q: &[u32], groups: &[i8], sums: &[i32], scales: &[f32], out: &mut [f32]) {
        use super::{GROUP_DIMS, GROUP_ROWS, finish_group};
        use std::arch::x86_64::*;
        let step_bytes = GROUP_ROWS * GROUP_DIMS;
        let group_bytes = q.len() * step_bytes;
        assert!(groups.len() >= out.len().div_ceil(GROUP_ROWS) * group_bytes);
        for (g, outs) in out.chunks_mut(GROUP_ROWS).enumerate() {
            let group = &groups[g * group_bytes..(g + 1) * group_bytes];
            let mut even = _mm512_setzero_si512();
            let mut odd = _mm512_setzero_si512();
            let mut steps = q.chunks_exact(2).zip(group.chunks_exact(2 * step_bytes));
            for (pair, codes) in &mut steps {
                // SAFETY: `codes` holds 2 × 64 bytes; unaligned loads are allowed.
                let (c0, c1) = unsafe {
                    let p = codes.as_ptr().cast::<__m512i>();
                    (_mm512_loadu_si512(p), _mm512_loadu_si512(p.add(1)))
                };
                even = _mm512_dpbusd_epi32(even, _mm512_set1_epi32(pair[0] as i32), c0);
                odd = _mm512_dpbusd_epi32(odd, _mm512_set1_epi32(pair[1] as i32), c1);
            }
            if let Some(&last) = q.chunks_exact(2).remainder().first() {
                let codes = &group[group_bytes - step_bytes..];
                // SAFETY: `codes` holds the last 64 bytes of the group.
                let c = unsafe { _mm512_loadu_si512(codes.as_ptr().cast::<__m512i>()) };
                even = _mm512_dpbusd_epi32(even, _mm512_set1_epi32(last as i32), c);
            }
            let acc = _mm512_add_epi32(even, odd);
            let first = g * GROUP_ROWS;
            if outs.len() == GROUP_ROWS {
                // The whole group in registers: (acc − 128·sum) as f32 × scale.
                // SAFETY: rows first..first+16 exist in `sums`, `scales` and `outs`.
                unsafe {
                    let sum = _mm512_loadu_si512(sums.as_ptr().add(first).cast::<__m512i>());
                    let dot = _mm512_sub_epi32(acc, _mm512_slli_epi32::<7>(sum));
                    let scale = _mm512_loadu_ps(scales.as_ptr().add(first));
                    let score = _mm512_mul_ps(_mm512_cvtepi32_ps(dot), scale);
                    _mm512_storeu_ps(outs.as_mut_ptr(), score);
                }
            } else {
                let mut lanes = [0i32; GROUP_ROWS];
                // SAFETY: `lanes` is 16 i32 = 64 bytes.
                unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast::<__m512i>(), acc) };
                finish_group(&lanes, g, sums, scales, outs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::dot_f32;
    use crate::quant::Int8Matrix;
    use crate::quant4::Int4Matrix;
    use crate::synthetic::synthetic_unit_vectors;

    const LEVELS: [Isa; 4] = Isa::ALL;

    #[test]
    fn every_level_gives_bit_identical_f32_scores() {
        for d in [1, 7, 16, 33, 64, 384] {
            let rows = synthetic_unit_vectors(50, d, 3);
            let query = synthetic_unit_vectors(1, d, 4);
            let want: Vec<f32> = rows.chunks(d).map(|r| dot_f32(&query, r)).collect();
            for isa in LEVELS {
                let mut got = vec![0.0; 50];
                score_f32(isa, &query, &rows, &mut got);
                let same = got
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "d {d} {isa:?}");
            }
        }
    }

    #[test]
    fn every_level_gives_exact_int8_scores() {
        for (n, d) in [(1, 1), (40, 15), (33, 64), (17, 100), (16, 384)] {
            let rows: Vec<f32> = (0..n * d)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
                .collect();
            let matrix = Int8Matrix::quantise(&rows, d);
            let query: Vec<i8> = (0..d)
                .map(|i| (127 - (i * 11 % 255) as i32) as i8)
                .collect();
            let packed = esci_core::int8::pack_shifted(&query, matrix.padded_dim);
            let want: Vec<f32> = (0..n)
                .map(|r| {
                    let row = matrix.row(r);
                    let dot: i32 = query
                        .iter()
                        .zip(&row)
                        .map(|(&a, &b)| i32::from(a) * i32::from(b))
                        .sum();
                    matrix.scales[r] * dot as f32
                })
                .collect();
            for isa in LEVELS {
                let mut got = vec![f32::NAN; n];
                score_i8(
                    isa,
                    &packed,
                    &matrix.codes,
                    &matrix.sums,
                    &matrix.scales,
                    &mut got,
                );
                assert_eq!(got, want, "n {n} d {d} {isa:?}");
            }
        }
    }

    #[test]
    fn every_level_gives_exact_int4_scores() {
        for (n, d) in [(1, 1), (40, 15), (33, 64), (17, 100), (16, 384)] {
            let rows: Vec<f32> = (0..n * d)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
                .collect();
            let matrix = Int4Matrix::quantise(&rows, d);
            let query: Vec<i8> = (0..d)
                .map(|i| (127 - (i * 11 % 255) as i32) as i8)
                .collect();
            let (packed, correction) = pack_query4(&query, matrix.padded_dim);
            let want: Vec<f32> = (0..n)
                .map(|r| {
                    let row = matrix.row(r);
                    let dot: i32 = query
                        .iter()
                        .zip(&row)
                        .map(|(&a, &b)| i32::from(a) * i32::from(b))
                        .sum();
                    matrix.scales[r] * dot as f32
                })
                .collect();
            for isa in LEVELS {
                let mut got = vec![f32::NAN; n];
                score_i4(
                    isa,
                    (&packed, correction),
                    &matrix.codes,
                    &matrix.scales,
                    &mut got,
                );
                assert_eq!(got, want, "n {n} d {d} {isa:?}");
            }
        }
    }

    #[test]
    fn the_active_level_is_one_the_cpu_has() {
        assert!(active_isa() <= Isa::detected());
    }
}
