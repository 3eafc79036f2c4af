//! Padded int64 model inputs, length bucketing, and running buckets on a session pool.
//!
//! Texts are tokenised first, sorted by length and cut into batches
//! ([`esci_models::length_buckets`]), so padding to the longest of a batch costs little;
//! batches run in parallel on the pool's sessions and results are scattered back to the
//! input order.

use crate::error::{OnnxError, Result};
use crate::pool::SessionPool;
use esci_models::{Encoded, length_buckets};
use ort::session::Session;
use ort::value::Tensor;
use rayon::prelude::*;

/// One padded batch as the graph's inputs.
#[derive(Debug)]
pub(crate) struct Inputs {
    rows: usize,
    seq: usize,
    ids: Vec<i64>,
    mask: Vec<i64>,
    types: Option<Vec<i64>>,
}

impl Inputs {
    /// Pads `items` on the right to the longest one; `with_types` adds segment ids.
    pub(crate) fn new(items: &[&Encoded], pad_id: u32, with_types: bool) -> Result<Inputs> {
        let seq = items.iter().map(|e| e.len()).max().unwrap_or(0);
        if seq == 0 {
            return Err(OnnxError::InvalidArgument(
                "cannot run a batch of no tokens".into(),
            ));
        }
        let rows = items.len();
        let mut ids = vec![i64::from(pad_id); rows * seq];
        let mut mask = vec![0i64; rows * seq];
        let mut types = with_types.then(|| vec![0i64; rows * seq]);
        for (row, e) in items.iter().enumerate() {
            let at = row * seq;
            for (j, &id) in e.ids.iter().enumerate() {
                ids[at + j] = i64::from(id);
                mask[at + j] = 1;
            }
            if let Some(t) = types.as_mut() {
                for (j, &ty) in e.type_ids.iter().enumerate() {
                    t[at + j] = i64::from(ty);
                }
            }
        }
        Ok(Inputs {
            rows,
            seq,
            ids,
            mask,
            types,
        })
    }

    /// Runs the graph and returns its `output` as `rows` rows of equal width.
    pub(crate) fn run(self, session: &mut Session, output: &str) -> Result<Vec<Vec<f32>>> {
        self.run_with(session, output, 2, |width, data| {
            data.chunks_exact(width.max(1))
                .map(<[f32]>::to_vec)
                .collect()
        })
    }

    /// Runs the graph and returns its per-token `output` (`[rows, seq, width]`) as the
    /// row-major values and `width`.
    pub(crate) fn run_tokens(
        self,
        session: &mut Session,
        output: &str,
    ) -> Result<(usize, Vec<f32>)> {
        self.run_with(session, output, 3, |width, data| (width, data.to_vec()))
    }

    /// Runs the graph; `output` must have `rank` dims, the first `rows` (and the second
    /// `seq` for rank 3). Hands its last dim and its values to `read`, which copies out
    /// what it needs (the values live in the session's output).
    fn run_with<T>(
        self,
        session: &mut Session,
        output: &str,
        rank: usize,
        read: impl FnOnce(usize, &[f32]) -> T,
    ) -> Result<T> {
        let context = "running a batch";
        let (rows, seq) = (self.rows, self.seq);
        let shape = [rows as i64, seq as i64];
        let tensor =
            |v: Vec<i64>| Tensor::from_array((shape, v)).map_err(|e| OnnxError::ort(context, e));
        let mut inputs = vec![
            ("input_ids", tensor(self.ids)?.into_dyn()),
            ("attention_mask", tensor(self.mask)?.into_dyn()),
        ];
        if let Some(types) = self.types {
            inputs.push(("token_type_ids", tensor(types)?.into_dyn()));
        }
        let outputs = session
            .run(inputs)
            .map_err(|e| OnnxError::ort(context, e))?;
        let value = outputs.get(output).ok_or_else(|| {
            OnnxError::ort(context, format!("the graph has no output `{output}`"))
        })?;
        let (dims, data) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| OnnxError::ort(context, e))?;
        let leading: &[usize] = if rank == 3 { &[rows, seq] } else { &[rows] };
        let ok = dims.len() == rank
            && dims
                .iter()
                .zip(leading)
                .all(|(&d, &want)| d as usize == want);
        if !ok {
            return Err(OnnxError::ort(
                context,
                format!("output `{output}` has shape {dims:?}, expected {leading:?} then a width"),
            ));
        }
        Ok(read(dims[rank - 1] as usize, data))
    }
}

/// Runs `f` on length-bucketed batches of `items` (in parallel, one session each) and
/// returns its per-item outputs in input order.
pub(crate) fn map_in_buckets<T: Send>(
    items: &[Encoded],
    batch_size: usize,
    pool: &SessionPool,
    f: impl Fn(&mut Session, &[&Encoded]) -> Result<Vec<T>> + Sync,
) -> Result<Vec<T>> {
    let lengths: Vec<usize> = items.iter().map(Encoded::len).collect();
    let buckets = length_buckets(&lengths, batch_size);
    let run = |bucket: &Vec<usize>| {
        let members: Vec<&Encoded> = bucket.iter().map(|&i| &items[i]).collect();
        let out = pool.with_session(|s| f(s, &members))?;
        if out.len() != bucket.len() {
            return Err(OnnxError::InvalidArgument(format!(
                "batch of {} produced {} outputs",
                bucket.len(),
                out.len()
            )));
        }
        Ok(out)
    };
    let results: Vec<Vec<T>> = if pool.len() > 1 && buckets.len() > 1 {
        buckets.par_iter().map(run).collect::<Result<_>>()?
    } else {
        buckets.iter().map(run).collect::<Result<_>>()?
    };
    let mut out: Vec<Option<T>> = (0..items.len()).map(|_| None).collect();
    for (bucket, result) in buckets.iter().zip(results) {
        for (&i, r) in bucket.iter().zip(result) {
            out[i] = Some(r);
        }
    }
    Ok(out.into_iter().flatten().collect())
}
