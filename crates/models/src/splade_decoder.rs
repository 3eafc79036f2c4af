//! SPLADE's decoder in int8, fused with the max over tokens.
//!
//! SPLADE-tiny's transformer is small (2 layers, 128 wide); its MLM decoder is not:
//! every token's hidden vector is scored against every vocabulary row (15,509 rows
//! of the active vocabulary, 30,522 of the full one), about 80% of the work of
//! encoding a product. In an ONNX graph the decoder writes `[tokens, vocab]` logits
//! to memory, and the mask and the max read them back; at int8 ONNX Runtime reached
//! about 40 GMAC/s a core on it here. This kernel never materialises the logits: for
//! each block of 16 rows it runs up to [`TOKEN_BLOCK`] tokens through AVX-512 VNNI
//! `vpdpbusd` (64 int8 multiply-adds an instruction) while the rows' codes stay in
//! registers, and keeps only the running max per row. `relu`, the bias and the row
//! scale commute with the max (the scale is positive), so they are applied once per
//! row, not per (token, row).
//!
//! Quantisation: each decoder row symmetric int8 with its own scale; each token's
//! hidden vector symmetric int8 with its own scale, shifted by +128 to the unsigned
//! bytes `vpdpbusd` wants (undone with each row's code sum). Per-token scales make a
//! text's result independent of the other texts in its batch.
//!
//! The portable path computes the same integers and applies the same f32 operations in
//! the same order, so every level gives equal activations (tested).

use crate::error::{ModelError, Result};
use esci_core::int8::{pack_shifted, quantise_symmetric};
use esci_core::isa::Isa;
use std::sync::LazyLock;

/// Rows scored together: one 512-bit register of i32 sums.
const ROWS: usize = 16;
/// Hidden dimensions per `vpdpbusd` step (4 bytes per i32 lane).
const STEP_DIMS: usize = 4;
/// Tokens run against one block of rows at a time (their sums stay in registers).
pub const TOKEN_BLOCK: usize = 8;

/// The level the decoder uses: `ESCI_SPLADE_ISA` when set and supported, else the
/// best the CPU has. Only the VNNI level has its own kernel; lower levels run the
/// portable one.
pub fn splade_isa() -> Isa {
    static ACTIVE: LazyLock<Isa> = LazyLock::new(|| Isa::from_env("ESCI_SPLADE_ISA"));
    *ACTIVE
}

/// An int8 SPLADE decoder: `rows` vocabulary rows of `hidden` weights plus a bias each.
#[derive(Debug, Clone)]
pub struct Int8Decoder {
    hidden: usize,
    rows: usize,
    /// Hidden dims rounded up to [`STEP_DIMS`] and divided by it.
    steps: usize,
    /// Per group of [`ROWS`] rows, per step: 16 rows × 4 codes (64 bytes).
    codes: Vec<i8>,
    /// Per row (padded to whole groups): the sum of its codes.
    sums: Vec<i32>,
    /// Per row (padded): its dequantisation scale.
    scales: Vec<f32>,
    /// Per row (padded): the decoder bias.
    bias: Vec<f32>,
}

impl Int8Decoder {
    /// Quantises `weights` (`bias.len()` rows of `hidden` values, row-major) with one
    /// scale per row.
    pub fn new(weights: &[f32], bias: &[f32], hidden: usize) -> Result<Int8Decoder> {
        let rows = bias.len();
        if hidden == 0 || rows == 0 || weights.len() != rows * hidden {
            return Err(ModelError::InvalidArgument(format!(
                "an int8 decoder needs rows × hidden weights: got {} values for {rows} rows of {hidden}",
                weights.len()
            )));
        }
        if let Some(bad) = weights.iter().chain(bias).find(|x| !x.is_finite()) {
            return Err(ModelError::InvalidArgument(format!(
                "decoder weights must be finite, found {bad}"
            )));
        }
        let steps = hidden.div_ceil(STEP_DIMS);
        let groups = rows.div_ceil(ROWS);
        let padded = groups * ROWS;
        let mut codes = vec![0i8; groups * steps * ROWS * STEP_DIMS];
        let mut sums = vec![0i32; padded];
        let mut scales = vec![0f32; padded];
        let mut padded_bias = vec![0f32; padded];
        for (r, row) in weights.chunks_exact(hidden).enumerate() {
            let (q, scale) = quantise(row);
            let (g, lane) = (r / ROWS, r % ROWS);
            for (d, &c) in q.iter().enumerate() {
                let (step, k) = (d / STEP_DIMS, d % STEP_DIMS);
                codes[((g * steps + step) * ROWS + lane) * STEP_DIMS + k] = c;
            }
            sums[r] = q.iter().map(|&c| i32::from(c)).sum();
            scales[r] = scale;
            padded_bias[r] = bias[r];
        }
        Ok(Int8Decoder {
            hidden,
            rows,
            steps,
            codes,
            sums,
            scales,
            bias: padded_bias,
        })
    }

    /// Rows (output width).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Width of a token's hidden vector.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// `out[v] = relu(max over tokens t of (h_t · w_v) + b_v)` for the `tokens`
    /// (`n × hidden`, the real tokens of one text, n ≥ 1), on the [`splade_isa`] level.
    pub fn activations(&self, tokens: &[f32], out: &mut Vec<f32>) -> Result<()> {
        self.activations_on(splade_isa(), tokens, out)
    }

    /// [`Int8Decoder::activations`] on a given level (tests, benchmarks).
    pub fn activations_on(&self, isa: Isa, tokens: &[f32], out: &mut Vec<f32>) -> Result<()> {
        if tokens.is_empty() || !tokens.len().is_multiple_of(self.hidden) {
            return Err(ModelError::InvalidArgument(format!(
                "the decoder needs whole tokens of {} values, got {}",
                self.hidden,
                tokens.len()
            )));
        }
        let packed = PackedTokens::new(tokens, self.hidden, self.steps);
        out.clear();
        out.resize(self.sums.len(), 0.0);
        match isa.supported() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `supported` only returns a level the running CPU has.
            Isa::Avx512Vnni => unsafe { x86::decode_vnni(self, &packed, out) },
            _ => decode_portable(self, &packed, out),
        }
        out.truncate(self.rows);
        Ok(())
    }
}

/// SPLADE's decoder as plain numbers: `bias.len()` rows of `hidden` weights, row-major.
#[derive(Debug, Clone)]
pub struct DecoderRows {
    /// Row `i` of the decoder (`cls.predictions.decoder.weight`, or the word embeddings
    /// it is tied to), for vocabulary id `i` or `active[i]`.
    pub weights: Vec<f32>,
    /// The per-term bias (`cls.predictions.bias`) of the same rows.
    pub bias: Vec<f32>,
}

impl DecoderRows {
    /// Reads the MLM decoder of a `BertForMaskedLM` checkpoint (`weights` in canonical
    /// names), tied to the word embeddings unless it has its own, restricted to the
    /// `active` ids (ascending) when given. `word_table` saves re-reading the
    /// embeddings when the caller has them.
    pub fn read(
        weights: &crate::Weights<'_>,
        config: &crate::BertConfig,
        word_table: Option<Vec<f32>>,
        active: Option<&[u32]>,
    ) -> Result<DecoderRows> {
        let (h, v) = (config.hidden_size, config.vocab_size);
        let flat = |w: &crate::Weights<'_>, name: &str, shape: &[usize]| -> Result<Vec<f32>> {
            Ok(w.get(shape, name, candle_nn::Init::Const(0.0))?
                .flatten_all()?
                .to_vec1::<f32>()?)
        };
        let head = weights.pp("cls.predictions");
        let table = match (head.contains("decoder.weight"), word_table) {
            (true, _) => flat(&head, "decoder.weight", &[v, h])?,
            (false, Some(table)) if table.len() == v * h => table,
            (false, _) => flat(&weights.pp("embeddings"), "word_embeddings.weight", &[v, h])?,
        };
        let bias = flat(&head, "bias", &[v])?;
        let Some(ids) = active else {
            return Ok(DecoderRows {
                weights: table,
                bias,
            });
        };
        if ids.is_empty() {
            return Err(ModelError::InvalidArgument(
                "an active vocabulary needs at least one id".into(),
            ));
        }
        if let Some(&id) = ids.iter().find(|&&id| id as usize >= v) {
            return Err(ModelError::InvalidArgument(format!(
                "active vocabulary id {id} is outside the model's vocabulary of {v}"
            )));
        }
        let rows = ids.iter().map(|&id| id as usize);
        Ok(DecoderRows {
            weights: rows
                .clone()
                .flat_map(|r| table[r * h..(r + 1) * h].iter().copied())
                .collect(),
            bias: rows.map(|r| bias[r]).collect(),
        })
    }
}

/// Symmetric int8 codes of `x` and the scale that maps them back (0 for a zero row).
fn quantise(x: &[f32]) -> (Vec<i8>, f32) {
    let mut codes = vec![0i8; x.len()];
    let scale = quantise_symmetric(x, &mut codes, 127.0);
    (codes, scale)
}

/// A text's tokens as the kernels read them: per token and step, four codes shifted to
/// unsigned bytes packed into a `u32`, and the token's scale.
struct PackedTokens {
    words: Vec<u32>,
    scales: Vec<f32>,
    steps: usize,
}

impl PackedTokens {
    fn new(tokens: &[f32], hidden: usize, steps: usize) -> PackedTokens {
        let n = tokens.len() / hidden;
        let mut words = Vec::with_capacity(n * steps);
        let mut scales = Vec::with_capacity(n);
        for token in tokens.chunks_exact(hidden) {
            let (q, scale) = quantise(token);
            words.extend(pack_shifted(&q, steps * STEP_DIMS));
            scales.push(scale);
        }
        PackedTokens {
            words,
            scales,
            steps,
        }
    }

    fn len(&self) -> usize {
        self.scales.len()
    }
}

/// The per-row epilogue shared by both paths: scale, bias, `relu`.
#[inline(always)]
fn finish(max: f32, scale: f32, bias: f32) -> f32 {
    (max * scale + bias).max(0.0)
}

/// The portable kernel: the same integer sums and f32 steps as the VNNI one.
fn decode_portable(d: &Int8Decoder, t: &PackedTokens, out: &mut [f32]) {
    let group_bytes = d.steps * ROWS * STEP_DIMS;
    for (g, outs) in out.chunks_mut(ROWS).enumerate() {
        let group = &d.codes[g * group_bytes..(g + 1) * group_bytes];
        let mut max = [f32::NEG_INFINITY; ROWS];
        for (token, words) in t.words.chunks_exact(t.steps).enumerate() {
            let mut acc = [0i32; ROWS];
            for (&word, step) in words.iter().zip(group.chunks_exact(ROWS * STEP_DIMS)) {
                let q = word.to_le_bytes().map(i32::from);
                for (a, c) in acc.iter_mut().zip(step.chunks_exact(STEP_DIMS)) {
                    *a += q[0] * i32::from(c[0])
                        + q[1] * i32::from(c[1])
                        + q[2] * i32::from(c[2])
                        + q[3] * i32::from(c[3]);
                }
            }
            for (lane, m) in max.iter_mut().enumerate() {
                let dot = acc[lane] - 128 * d.sums[g * ROWS + lane];
                *m = m.max(dot as f32 * t.scales[token]);
            }
        }
        for (lane, o) in outs.iter_mut().enumerate() {
            let r = g * ROWS + lane;
            *o = finish(max[lane], d.scales[r], d.bias[r]);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Int8Decoder, PackedTokens, ROWS, STEP_DIMS, TOKEN_BLOCK};
    use std::arch::x86_64::*;

    /// Per group of 16 rows: blocks of up to [`TOKEN_BLOCK`] tokens, each step's 64
    /// code bytes loaded once and multiplied into every token's accumulator.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) fn decode_vnni(d: &Int8Decoder, t: &PackedTokens, out: &mut [f32]) {
        let step_bytes = ROWS * STEP_DIMS;
        let group_bytes = d.steps * step_bytes;
        assert!(out.len() == d.sums.len() && d.codes.len() == out.len() / ROWS * group_bytes);
        assert!(t.words.len() == t.len() * d.steps);
        for g in 0..out.len() / ROWS {
            let group = &d.codes[g * group_bytes..(g + 1) * group_bytes];
            let first = g * ROWS;
            // SAFETY: rows first..first+16 exist in `sums` (padded to whole groups).
            let sum = unsafe { _mm512_loadu_si512(d.sums.as_ptr().add(first).cast()) };
            let shift = _mm512_slli_epi32::<7>(sum);
            let mut max = _mm512_set1_ps(f32::NEG_INFINITY);
            let mut t0 = 0;
            while t0 < t.len() {
                let n = (t.len() - t0).min(TOKEN_BLOCK);
                let words = &t.words[t0 * d.steps..(t0 + n) * d.steps];
                let mut acc = [_mm512_setzero_si512(); TOKEN_BLOCK];
                for step in 0..d.steps {
                    // SAFETY: the group holds `steps` × 64 bytes.
                    let codes =
                        unsafe { _mm512_loadu_si512(group.as_ptr().add(step * step_bytes).cast()) };
                    for (k, a) in acc.iter_mut().enumerate().take(n) {
                        let word = _mm512_set1_epi32(words[k * d.steps + step] as i32);
                        *a = _mm512_dpbusd_epi32(*a, word, codes);
                    }
                }
                for (k, &a) in acc.iter().enumerate().take(n) {
                    let dot = _mm512_cvtepi32_ps(_mm512_sub_epi32(a, shift));
                    let scaled = _mm512_mul_ps(dot, _mm512_set1_ps(t.scales[t0 + k]));
                    max = _mm512_max_ps(max, scaled);
                }
                t0 += n;
            }
            // SAFETY: rows first..first+16 exist in `scales`, `bias` and `out`.
            unsafe {
                let scale = _mm512_loadu_ps(d.scales.as_ptr().add(first));
                let bias = _mm512_loadu_ps(d.bias.as_ptr().add(first));
                let value = _mm512_add_ps(_mm512_mul_ps(max, scale), bias);
                let relu = _mm512_max_ps(value, _mm512_setzero_ps());
                _mm512_storeu_ps(out.as_mut_ptr().add(first), relu);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::rng::SplitMix64;

    fn random(n: usize, scale: f32, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        (0..n)
            .map(|_| (rng.unit() as f32 * 2.0 - 1.0) * scale)
            .collect()
    }

    /// The f32 oracle: relu(max_t h_t · w_v + b_v).
    fn exact(weights: &[f32], bias: &[f32], tokens: &[f32], hidden: usize) -> Vec<f32> {
        bias.iter()
            .enumerate()
            .map(|(v, &b)| {
                let w = &weights[v * hidden..(v + 1) * hidden];
                let max = tokens
                    .chunks_exact(hidden)
                    .map(|h| h.iter().zip(w).map(|(a, b)| a * b).sum::<f32>())
                    .fold(f32::NEG_INFINITY, f32::max);
                (max + b).max(0.0)
            })
            .collect()
    }

    #[test]
    fn every_level_gives_equal_activations_close_to_f32() {
        for (rows, hidden, tokens) in [(1, 1, 1), (17, 5, 3), (40, 128, 9), (33, 130, 17)] {
            let weights = random(rows * hidden, 0.7, 1);
            let bias = random(rows, 2.0, 2);
            let h = random(tokens * hidden, 3.0, 3);
            let decoder = Int8Decoder::new(&weights, &bias, hidden).unwrap();
            let want = exact(&weights, &bias, &h, hidden);
            let mut first: Option<Vec<f32>> = None;
            for isa in Isa::ALL {
                let mut got = Vec::new();
                decoder.activations_on(isa, &h, &mut got).unwrap();
                assert_eq!(got.len(), rows);
                // Error bound of two symmetric int8 roundings: |Δ| ≤ Σ|h||Δw| + |Δh||w|.
                let tol = 3.0 * 0.7 * hidden as f32 / 127.0 + 1e-4;
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() <= tol, "{rows}x{hidden} {isa:?}: {g} vs {w}");
                }
                match &first {
                    None => first = Some(got),
                    Some(f) => assert_eq!(&got, f, "{isa:?} differs from portable"),
                }
            }
        }
    }

    #[test]
    fn a_text_does_not_depend_on_token_order_or_block_boundaries() {
        let hidden = 32;
        let weights = random(50 * hidden, 1.0, 4);
        let bias = random(50, 1.0, 5);
        let decoder = Int8Decoder::new(&weights, &bias, hidden).unwrap();
        let h = random((TOKEN_BLOCK + 3) * hidden, 2.0, 6);
        let mut reversed: Vec<f32> = h.chunks_exact(hidden).rev().flatten().copied().collect();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        decoder.activations(&h, &mut a).unwrap();
        decoder.activations(&reversed, &mut b).unwrap();
        assert_eq!(a, b);
        // One token alone equals its row of the whole text when it holds every max.
        reversed.truncate(hidden);
        decoder.activations(&reversed, &mut b).unwrap();
        assert!(a.iter().zip(&b).all(|(x, y)| x >= y));
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(Int8Decoder::new(&[1.0; 6], &[0.0; 2], 4).is_err());
        assert!(Int8Decoder::new(&[], &[], 4).is_err());
        assert!(Int8Decoder::new(&[f32::NAN, 1.0], &[0.0], 2).is_err());
        let d = Int8Decoder::new(&[1.0; 8], &[0.0; 2], 4).unwrap();
        let mut out = Vec::new();
        assert!(d.activations(&[], &mut out).is_err());
        assert!(d.activations(&[1.0; 5], &mut out).is_err());
    }

    #[test]
    fn zero_rows_and_tokens_give_the_bias() {
        let d = Int8Decoder::new(&[0.0; 8], &[0.5, -0.5], 4).unwrap();
        let mut out = Vec::new();
        d.activations(&[0.0; 8], &mut out).unwrap();
        assert_eq!(out, vec![0.5, 0.0]);
    }
}
