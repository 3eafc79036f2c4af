//! The ONNX graph of our BERT and its three heads, written from `config.json` and the
//! safetensors weights (either naming layout, through [`esci_models::Weights`]).
//!
//! It is the same computation as `esci_models::BertModel` (post-LayerNorm, absolute
//! positions, exact GELU, additive key mask), in the op patterns ONNX Runtime's CPU
//! optimiser fuses (LayerNormalization, GELU, MatMul + Add). Heads:
//! - dense: mean (over the attention mask) or CLS pooling → `pooled` `[batch, hidden]`;
//!   the L2 normalisation happens in Rust, exactly as the candle encoder does it.
//! - SPLADE: MLM transform + decoder tied to the word embeddings + bias, `relu`, masked
//!   max over positions → `activations` `[batch, vocab]`; `log1p` and pruning in Rust.
//!   `SpladeHidden` stops after the transform (`mlm_hidden` `[batch, seq, hidden]`): the
//!   int8 runtime decodes in Rust, fused with the max (`esci_models::Int8Decoder`).
//! - cross: pooler (`tanh`) or raw CLS → `pooled`, or (`CrossMean`, what `esci train
//!   reranker` makes) the mean over the pair's tokens; the linear scoring head is
//!   applied in Rust, so a head can be swapped without rewriting the graph.

use crate::error::{OnnxError, Result};
use crate::graph::{GraphBuilder, Precision};
use crate::proto::{Attr, DataType, Dim};
use candle_nn::Init;
use esci_models::{BertConfig, DecoderRows, Pooling, Weights};

/// Bumped whenever the graph this module writes changes, so cached files are rebuilt.
pub const GRAPH_VERSION: u32 = 2;

/// Added to attention scores of padded keys (as in the candle BERT).
const MASKED_SCORE: f32 = -1e9;

/// Which head the graph ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// Pooled sentence vector (not yet normalised).
    Dense(Pooling),
    /// Max-pooled `relu` MLM activations over the vocabulary.
    Splade,
    /// SPLADE without its decoder: the MLM transform of every token, `[batch, seq,
    /// hidden]`, for the int8 decoder in Rust (`esci_models::Int8Decoder`).
    SpladeHidden,
    /// Pooler output (or CLS) of a (query, document) pair; uses token type ids.
    Cross,
    /// Mean of the token vectors of a (query, document) pair (over the attention mask);
    /// uses token type ids.
    CrossMean,
}

impl Head {
    /// Short name for file names.
    pub fn name(self) -> &'static str {
        match self {
            Head::Dense(Pooling::Mean) => "dense-mean",
            Head::Dense(Pooling::Cls) => "dense-cls",
            Head::Splade => "splade",
            Head::SpladeHidden => "splade-hidden",
            Head::Cross => "cross",
            Head::CrossMean => "cross-mean",
        }
    }

    /// Name of the graph output.
    pub fn output(self) -> &'static str {
        match self {
            Head::Splade => "activations",
            Head::SpladeHidden => "mlm_hidden",
            _ => "pooled",
        }
    }

    /// Whether the graph takes `token_type_ids` (pairs); single texts are all segment 0.
    pub fn uses_token_types(self) -> bool {
        matches!(self, Head::Cross | Head::CrossMean)
    }
}

/// Reads a tensor as a flat f32 vector, checking its shape.
fn read(w: &Weights<'_>, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    Ok(w.get(shape, name, Init::Const(0.0))?
        .flatten_all()?
        .to_vec1::<f32>()?)
}

/// The graph's view of the padding mask.
struct Masks {
    /// `[batch, seq]` f32: 1 for tokens, 0 for padding.
    float: String,
    /// `[batch, seq]`: 0 for tokens, [`MASKED_SCORE`] for padding.
    additive: String,
    /// The additive mask as `[batch, 1, 1, seq]`, broadcast over heads and queries.
    attention: String,
}

/// Writes the ONNX model of `head` over the BERT in `weights` (canonical names). For
/// SPLADE, `active` (ascending vocabulary ids) restricts the decoder to those rows:
/// output `i` is the activation of id `active[i]` (`None`: the whole vocabulary).
pub fn build(
    weights: &Weights<'_>,
    config: &BertConfig,
    head: Head,
    precision: Precision,
    metadata: &[(&str, &str)],
    active: Option<&[u32]>,
) -> Result<Vec<u8>> {
    config
        .validate()
        .map_err(|reason| OnnxError::InvalidArgument(format!("BERT config: {reason}")))?;
    let mut g = GraphBuilder::new(precision);
    let batch_seq = [Dim::Named("batch"), Dim::Named("seq")];
    let ids = g.input("input_ids", DataType::Int64, &batch_seq);
    let mask = g.input("attention_mask", DataType::Int64, &batch_seq);
    let type_ids = head
        .uses_token_types()
        .then(|| g.input("token_type_ids", DataType::Int64, &batch_seq));
    let (mut x, word_table) = embeddings(&mut g, weights, config, &ids, type_ids.as_deref())?;
    let masks = masks(&mut g, &mask);
    for i in 0..config.num_hidden_layers {
        x = encoder_layer(&mut g, weights, config, &masks, &x, i)?;
    }
    let h = config.hidden_size;
    let batch_hidden = [Dim::Named("batch"), Dim::Fixed(h as i64)];
    match head {
        Head::Dense(Pooling::Mean) | Head::CrossMean => {
            let mean = mean_pool(&mut g, &x, &masks);
            g.output(&mean, head.output(), DataType::Float, &batch_hidden);
        }
        Head::Dense(Pooling::Cls) => {
            let cls = cls_vector(&mut g, &x);
            g.output(&cls, head.output(), DataType::Float, &batch_hidden);
        }
        Head::Cross => {
            let pooled = pooler(&mut g, weights, h, &x)?;
            g.output(&pooled, head.output(), DataType::Float, &batch_hidden);
        }
        Head::SpladeHidden => {
            let hidden = mlm_transform(&mut g, weights, config, &x)?;
            let dims = [Dim::Named("batch"), Dim::Named("seq"), Dim::Fixed(h as i64)];
            g.output(&hidden, head.output(), DataType::Float, &dims);
        }
        Head::Splade => {
            let max = splade_head(&mut g, weights, config, &x, &masks, word_table, active)?;
            let width = active.map_or(config.vocab_size, <[u32]>::len);
            let dims = [Dim::Named("batch"), Dim::Fixed(width as i64)];
            g.output(&max, head.output(), DataType::Float, &dims);
        }
    }
    let name = format!("bert-{}-{}", head.name(), precision.name());
    Ok(g.finish(&name, metadata))
}

/// Word + position[0..seq] + token type embeddings, then LayerNorm. Returns the hidden
/// states and the word table (SPLADE's decoder is tied to it). Without `type_ids`
/// every token is segment 0, a constant row.
fn embeddings(
    g: &mut GraphBuilder,
    weights: &Weights<'_>,
    config: &BertConfig,
    ids: &str,
    type_ids: Option<&str>,
) -> Result<(String, Vec<f32>)> {
    let (h, v) = (config.hidden_size, config.vocab_size);
    let e = weights.pp("embeddings");
    let word_table = read(&e, "word_embeddings.weight", &[v, h])?;
    let word_name = g.f32s("word_embeddings", &[v, h], &word_table);
    let word = g.op("Gather", &[&word_name, ids], "word", &[]);
    let positions = config.max_position_embeddings;
    let table = read(&e, "position_embeddings.weight", &[positions, h])?;
    let pos_table = g.f32s("position_embeddings", &[positions, h], &table);
    let seq_len = g.op(
        "Shape",
        &[ids],
        "seq_len",
        &[("start", Attr::Int(1)), ("end", Attr::Int(2))],
    );
    let zero = g.i64s("zero", &[1], &[0]);
    let axis0 = g.i64s("axis0", &[1], &[0]);
    let pos = g.op(
        "Slice",
        &[&pos_table, &zero, &seq_len, &axis0],
        "positions",
        &[],
    );
    let x = g.op("Add", &[&word, &pos], "embed", &[]);
    let types = read(
        &e,
        "token_type_embeddings.weight",
        &[config.type_vocab_size, h],
    )?;
    let x = match type_ids {
        Some(type_ids) => {
            let table = g.f32s(
                "token_type_embeddings",
                &[config.type_vocab_size, h],
                &types,
            );
            let t = g.op("Gather", &[&table, type_ids], "types", &[]);
            g.op("Add", &[&x, &t], "embed", &[])
        }
        None => {
            let row0 = g.f32s("token_type_0", &[h], &types[..h]);
            g.op("Add", &[&x, &row0], "embed", &[])
        }
    };
    let x = g.layer_norm(
        &x,
        &read(&e, "LayerNorm.weight", &[h])?,
        &read(&e, "LayerNorm.bias", &[h])?,
        config.layer_norm_eps,
        "embed_ln",
    );
    Ok((x, word_table))
}

/// The float, additive and attention forms of the `attention_mask` input.
fn masks(g: &mut GraphBuilder, mask: &str) -> Masks {
    let to_float = [("to", Attr::Int(DataType::Float as i64))];
    let float = g.op("Cast", &[mask], "mask_f", &to_float);
    let one = g.scalar("one", 1.0);
    let inverted = g.op("Sub", &[&one, &float], "mask_inv", &[]);
    let masked = g.scalar("masked_score", MASKED_SCORE);
    let additive = g.op("Mul", &[&inverted, &masked], "mask_bias", &[]);
    let axes12 = g.i64s("axes12", &[2], &[1, 2]);
    let attention = g.op("Unsqueeze", &[&additive, &axes12], "mask_bias", &[]);
    Masks {
        float,
        additive,
        attention,
    }
}

/// A linear layer `name` (`{name}.weight` `[n_out, n_in]`, `{name}.bias`) of `w`.
fn linear(
    g: &mut GraphBuilder,
    x: &str,
    w: &Weights<'_>,
    name: &str,
    (n_in, n_out): (usize, usize),
    hint: &str,
) -> Result<String> {
    let weight = read(w, &format!("{name}.weight"), &[n_out, n_in])?;
    let bias = read(w, &format!("{name}.bias"), &[n_out])?;
    Ok(g.linear(x, &weight, Some(&bias), n_in, n_out, hint))
}

/// Transformer layer `i`: self-attention + residual LayerNorm, GELU feed-forward +
/// residual LayerNorm (post-LN BERT).
fn encoder_layer(
    g: &mut GraphBuilder,
    weights: &Weights<'_>,
    config: &BertConfig,
    masks: &Masks,
    x: &str,
    i: usize,
) -> Result<String> {
    let (h, eps) = (config.hidden_size, config.layer_norm_eps);
    let heads = config.num_attention_heads;
    let head_dim = h / heads;
    let l = weights.pp(format!("encoder.layer.{i}"));
    let a = l.pp("attention");
    let hint = |name: &str| format!("l{i}_{}", name.replace('.', "_"));
    let split_shape = g.i64s("split_shape", &[4], &[0, 0, heads as i64, head_dim as i64]);
    let merge_shape = g.i64s("merge_shape", &[3], &[0, 0, h as i64]);
    let scale = g.scalar("scale", 1.0 / (head_dim as f32).sqrt());
    // [batch, seq, hidden] → [batch, heads, seq, head_dim] (keys: [.., head_dim, seq]).
    let split = |g: &mut GraphBuilder, name: &str, perm: Vec<i64>| -> Result<String> {
        let y = linear(g, x, &a, name, (h, h), &hint(name))?;
        let y = g.op("Reshape", &[&y, &split_shape], "split", &[]);
        Ok(g.op("Transpose", &[&y], "split", &[("perm", Attr::Ints(perm))]))
    };
    let q = split(g, "self.query", vec![0, 2, 1, 3])?;
    let k = split(g, "self.key", vec![0, 2, 3, 1])?;
    let v = split(g, "self.value", vec![0, 2, 1, 3])?;
    let scores = g.op("MatMul", &[&q, &k], "scores", &[]);
    let scores = g.op("Mul", &[&scores, &scale], "scores", &[]);
    let scores = g.op("Add", &[&scores, &masks.attention], "scores", &[]);
    let probs = g.op("Softmax", &[&scores], "probs", &[("axis", Attr::Int(-1))]);
    let ctx = g.op("MatMul", &[&probs, &v], "ctx", &[]);
    let perm = [("perm", Attr::Ints(vec![0, 2, 1, 3]))];
    let ctx = g.op("Transpose", &[&ctx], "ctx", &perm);
    let ctx = g.op("Reshape", &[&ctx, &merge_shape], "ctx", &[]);
    let out = linear(
        g,
        &ctx,
        &a,
        "output.dense",
        (h, h),
        &hint("attention.output"),
    )?;
    let res = g.op("Add", &[&out, x], "attn_res", &[]);
    let attended = g.layer_norm(
        &res,
        &read(&a, "output.LayerNorm.weight", &[h])?,
        &read(&a, "output.LayerNorm.bias", &[h])?,
        eps,
        &format!("l{i}_attn_ln"),
    );
    let ffn = (h, config.intermediate_size);
    let inner = linear(
        g,
        &attended,
        &l,
        "intermediate.dense",
        ffn,
        &hint("intermediate"),
    )?;
    let inner = g.gelu(&inner, &format!("l{i}_gelu"));
    let out = linear(
        g,
        &inner,
        &l,
        "output.dense",
        (ffn.1, ffn.0),
        &hint("output"),
    )?;
    let res = g.op("Add", &[&out, &attended], "ffn_res", &[]);
    Ok(g.layer_norm(
        &res,
        &read(&l, "output.LayerNorm.weight", &[h])?,
        &read(&l, "output.LayerNorm.bias", &[h])?,
        eps,
        &format!("l{i}_ffn_ln"),
    ))
}

/// Mean of the token vectors over the mask (count floored at 1e-9, as
/// sentence-transformers does).
fn mean_pool(g: &mut GraphBuilder, x: &str, masks: &Masks) -> String {
    let axis_last = g.i64s("axis_last", &[1], &[-1]);
    let m = g.op("Unsqueeze", &[&masks.float, &axis_last], "mask3", &[]);
    let weighted = g.op("Mul", &[x, &m], "weighted", &[]);
    let axis1 = g.i64s("axis1", &[1], &[1]);
    let keep0 = [("keepdims", Attr::Int(0))];
    let sum = g.op("ReduceSum", &[&weighted, &axis1], "sum", &keep0);
    let count = g.op("ReduceSum", &[&m, &axis1], "count", &keep0);
    let floor = g.scalar("count_floor", 1e-9);
    let count = g.op("Max", &[&count, &floor], "count", &[]);
    g.op("Div", &[&sum, &count], "mean", &[])
}

/// `tanh(W · h[CLS] + b)` when the checkpoint has a pooler, else the raw `[CLS]` vector.
fn pooler(g: &mut GraphBuilder, weights: &Weights<'_>, h: usize, x: &str) -> Result<String> {
    let cls = cls_vector(g, x);
    if !weights.contains("pooler.dense.weight") {
        return Ok(cls);
    }
    let dense = linear(g, &cls, &weights.pp("pooler"), "dense", (h, h), "pooler")?;
    Ok(g.op("Tanh", &[&dense], "pooler", &[]))
}

/// The MLM transform (dense → GELU → LayerNorm) of every token: what SPLADE's decoder
/// reads.
fn mlm_transform(
    g: &mut GraphBuilder,
    weights: &Weights<'_>,
    config: &BertConfig,
    x: &str,
) -> Result<String> {
    let h = config.hidden_size;
    let t = weights.pp("cls.predictions").pp("transform");
    let dense = linear(g, x, &t, "dense", (h, h), "mlm_transform")?;
    let act = g.gelu(&dense, "mlm_gelu");
    Ok(g.layer_norm(
        &act,
        &read(&t, "LayerNorm.weight", &[h])?,
        &read(&t, "LayerNorm.bias", &[h])?,
        config.layer_norm_eps,
        "mlm_ln",
    ))
}

/// The MLM head ([`mlm_transform`], then the decoder tied to the word embeddings
/// unless the checkpoint has its own) pooled by [`splade_max`]; with `active` ids,
/// only their decoder rows and biases (gathered into a smaller initializer).
fn splade_head(
    g: &mut GraphBuilder,
    weights: &Weights<'_>,
    config: &BertConfig,
    x: &str,
    masks: &Masks,
    word_table: Vec<f32>,
    active: Option<&[u32]>,
) -> Result<String> {
    let normed = mlm_transform(g, weights, config, x)?;
    let rows = DecoderRows::read(weights, config, Some(word_table), active)?;
    Ok(splade_max(
        g,
        &normed,
        &rows.weights,
        &rows.bias,
        &masks.additive,
        config.hidden_size,
        rows.bias.len(),
    ))
}

/// SPLADE's pooled activations `relu(max over real positions of (h · E^T) + b)`.
///
/// The decoder's `[batch, seq, vocab]` logits are by far the largest tensor (30522 wide),
/// so every pass over them counts: the bias and `relu` commute with the max over
/// positions and are applied to the pooled `[batch, vocab]` instead, and padded
/// positions are pushed below any real logit by the additive mask before the max.
fn splade_max(
    g: &mut GraphBuilder,
    hidden: &str,
    decoder: &[f32],
    bias: &[f32],
    mask_bias_2d: &str,
    h: usize,
    v: usize,
) -> String {
    // (Measured and dropped: the transposed form E · h^T, whose max runs over the
    // contiguous last axis, was slower in ONNX Runtime.)
    let logits = g.linear(hidden, decoder, None, h, v, "mlm_decoder");
    let axis_last = g.i64s("axis_last", &[1], &[-1]);
    let m = g.op(
        "Unsqueeze",
        &[mask_bias_2d, &axis_last],
        "mask_bias_3d",
        &[],
    );
    let logits = g.op("Add", &[&logits, &m], "logits_masked", &[]);
    // Opset 17's ReduceMax takes its axes as an attribute (an input from 18).
    let max = g.op(
        "ReduceMax",
        &[&logits],
        "max",
        &[("axes", Attr::Ints(vec![1])), ("keepdims", Attr::Int(0))],
    );
    let b = g.f32s("mlm_bias", &[v], bias);
    let biased = g.op("Add", &[&max, &b], "max_biased", &[]);
    g.op("Relu", &[&biased], "activations", &[])
}

/// `x[:, 0, :]`: the `[CLS]` vector of each row.
fn cls_vector(g: &mut GraphBuilder, x: &str) -> String {
    let index = g.i64s("cls_index", &[], &[0]);
    g.op("Gather", &[x, &index], "cls", &[("axis", Attr::Int(1))])
}
