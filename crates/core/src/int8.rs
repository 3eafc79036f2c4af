//! Symmetric integer codes, and the operand layout of the `vpdpbusd` kernels.
//!
//! The dense scans (int8 and int4 product codes) and SPLADE's int8 decoder quantise
//! vectors the same way and feed `vpdpbusd` the same way, so both live here once.

/// Writes the codes of `v` onto `-max_code..=max_code` into `out` (same length) and
/// returns the scale: `v[i] ≈ scale × out[i]`, rounding to nearest. A zero vector gets
/// scale 0 and zero codes. `max_code` is 127 for int8, 7 for int4.
pub fn quantise_symmetric(v: &[f32], out: &mut [i8], max_code: f32) -> f32 {
    let max_abs = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max_abs == 0.0 {
        out.fill(0);
        return 0.0;
    }
    let inv = max_code / max_abs;
    for (c, &x) in out.iter_mut().zip(v) {
        *c = (x * inv).round().clamp(-max_code, max_code) as i8;
    }
    max_abs / max_code
}

/// int8 codes as the unsigned operand of `vpdpbusd`: zero-padded to `padded_len` (a
/// multiple of 4), each run of four codes shifted by +128 to unsigned bytes and packed
/// little-endian into one `u32`. `vpdpbusd` multiplies unsigned by signed bytes, so the
/// shift is undone per signed row with that row's code sum: Σ(q+128)·c = Σq·c + 128·Σc.
pub fn pack_shifted(codes: &[i8], padded_len: usize) -> Vec<u32> {
    let mut padded = codes.to_vec();
    padded.resize(padded_len, 0);
    padded
        .chunks_exact(4)
        .map(|four| u32::from_le_bytes([0, 1, 2, 3].map(|j| (i16::from(four[j]) + 128) as u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_reconstruct_within_half_a_step_and_zero_is_zero() {
        let v = [0.5f32, -1.0, 0.25, 0.0];
        let mut out = [0i8; 4];
        let scale = quantise_symmetric(&v, &mut out, 127.0);
        assert_eq!(out[1], -127);
        for (x, &c) in v.iter().zip(&out) {
            assert!((x - scale * f32::from(c)).abs() <= scale / 2.0);
        }
        assert_eq!(quantise_symmetric(&[0.0; 3], &mut [1; 3], 127.0), 0.0);
    }

    #[test]
    fn packing_shifts_pads_and_orders_little_endian() {
        let packed = pack_shifted(&[-128, -1, 0, 127, 5], 8);
        assert_eq!(
            packed,
            vec![
                u32::from_le_bytes([0, 127, 128, 255]),
                u32::from_le_bytes([133, 128, 128, 128])
            ]
        );
    }
}
