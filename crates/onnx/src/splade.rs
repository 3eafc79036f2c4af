//! [`OnnxSpladeEncoder`]: `esci_models::SpladeEncoder` on ONNX Runtime.
//!
//! At fp32 the graph returns `max over real tokens of relu(logits)` for the whole
//! vocabulary, or for an [`ActiveVocabulary`] only (its decoder rows: see that type for
//! when this is exact). At int8 the graph stops at the MLM transform and the decoder
//! runs here, fused with the max ([`Int8Decoder`]: the `[tokens, vocab]` logits are
//! never written; [`SpladeDecoder::Graph`] keeps it in the graph, for comparison).
//! `log1p` and pruning happen here on the non-zero entries only, exactly as the candle
//! encoder does them, so all produce the same kind of [`SparseVector`]s (over the
//! active ids).

use crate::batch::{Inputs, map_in_buckets};
use crate::bert_graph::Head;
use crate::common::Loaded;
use crate::error::{OnnxError, Result};
use crate::graph::Precision;
use crate::options::{OnnxOptions, SpladeDecoder};
use esci_models::{
    ActiveVocabulary, DecoderRows, Encoded, Int8Decoder, SparseVector, SpladeOptions,
    TextTokenizer, Weights,
};
use std::path::Path;

/// Most texts one SPLADE run takes, whatever `batch_size` asks for. The decoder's
/// `[batch, seq, vocab]` logits (30522 wide: ~37 MB for 8 texts of 38 tokens) are read
/// again by the mask, the max and written by the matmul, so a batch must stay near
/// the cache: measured with `esci bench encoders --runtime onnx,onnx-int8` on the
/// product texts, int8 SPLADE ran 335 docs/s at batch 32 and 712 at batch 8 (611 at 4,
/// 469 at 1, where per-call overhead dominates). A head restricted to an
/// [`ActiveVocabulary`] takes proportionally more texts (the same logits size).
pub const MAX_SPLADE_BATCH: usize = 8;

/// A loaded SPLADE encoder on ONNX Runtime. `Send + Sync`: sessions are pooled.
#[derive(Debug)]
pub struct OnnxSpladeEncoder {
    loaded: Loaded,
    vocabulary: Vec<String>,
    options: SpladeOptions,
    /// The ids the decoder is computed for (`None`: all).
    active: Option<ActiveVocabulary>,
    /// The int8 decoder run in Rust (`None`: the graph ends in the decoder).
    decoder: Option<Int8Decoder>,
    /// Where the model and its graphs are, to name the graph with the decoder
    /// ([`OnnxSpladeEncoder::whole_graph`]).
    model_dir: std::path::PathBuf,
    onnx: OnnxOptions,
}

impl OnnxSpladeEncoder {
    /// Loads a `BertForMaskedLM` directory (decoder tied to the word embeddings unless
    /// the checkpoint has its own) and a session pool over its graph.
    pub fn load(model_dir: &Path, options: SpladeOptions, onnx: &OnnxOptions) -> Result<Self> {
        OnnxSpladeEncoder::load_with_vocabulary(model_dir, options, onnx, None)
    }

    /// [`OnnxSpladeEncoder::load`] with the decoder computed for the `active` ids only
    /// (`None`: the whole vocabulary): every other id gets weight 0, the active ones
    /// the same weights as the full head. Its graph is cached per vocabulary.
    pub fn load_with_vocabulary(
        model_dir: &Path,
        options: SpladeOptions,
        onnx: &OnnxOptions,
        active: Option<ActiveVocabulary>,
    ) -> Result<Self> {
        if options.min_weight.is_nan() || options.min_weight < 0.0 {
            return Err(OnnxError::InvalidArgument(format!(
                "min_weight {} must be a number >= 0",
                options.min_weight
            )));
        }
        let fused =
            onnx.precision == Precision::Int8 && onnx.splade_decoder == SpladeDecoder::Fused;
        // The fused graph ends before the decoder: one graph serves every vocabulary.
        let head = match fused {
            true => Head::SpladeHidden,
            false => Head::Splade,
        };
        let loaded = Loaded::with_vocabulary(
            model_dir,
            head,
            options.max_length,
            options.batch_size,
            onnx,
            active.as_ref(),
        )?;
        let config = &loaded.config;
        let decoder = match fused {
            false => None,
            true => {
                let weights = Weights::open(&model_dir.join("model.safetensors"))?;
                let ids = active.as_ref().map(ActiveVocabulary::ids);
                let rows = DecoderRows::read(&weights, config, None, ids)?;
                Some(Int8Decoder::new(
                    &rows.weights,
                    &rows.bias,
                    config.hidden_size,
                )?)
            }
        };
        let mut vocabulary = loaded.tokenizer.vocabulary();
        let v = loaded.config.vocab_size;
        vocabulary.resize(v.max(vocabulary.len()), String::new());
        Ok(OnnxSpladeEncoder {
            loaded,
            vocabulary,
            options,
            active,
            decoder,
            model_dir: model_dir.to_owned(),
            onnx: onnx.clone(),
        })
    }

    /// The graph of the whole model, decoder included: [`OnnxSpladeEncoder::graph`] when
    /// the decoder is in the graph, else the graph-decoder twin of the fused encoder
    /// (written if missing). What a reference runtime runs to do this encoder's work.
    pub fn whole_graph(&self) -> Result<std::path::PathBuf> {
        match self.decoder {
            None => Ok(self.graph().to_path_buf()),
            Some(_) => crate::export::graph_file_for(
                &self.model_dir,
                Head::Splade,
                self.onnx.precision,
                self.onnx.cache_dir.as_deref(),
                self.active.as_ref(),
            ),
        }
    }

    /// Where the decoder runs: [`SpladeDecoder::Fused`] when this encoder decodes in
    /// Rust.
    pub fn decoder(&self) -> SpladeDecoder {
        match self.decoder {
            Some(_) => SpladeDecoder::Fused,
            None => SpladeDecoder::Graph,
        }
    }

    /// The active vocabulary, when the decoder is restricted to one.
    pub fn active_vocabulary(&self) -> Option<&ActiveVocabulary> {
        self.active.as_ref()
    }

    /// The options the encoder was loaded with.
    pub fn options(&self) -> &SpladeOptions {
        &self.options
    }

    /// The tokenizer (to inspect ids).
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.loaded.tokenizer
    }

    /// The graph file the sessions run.
    pub fn graph(&self) -> &Path {
        self.loaded.pool.graph()
    }

    /// Vocabulary size: term ids are below it.
    pub fn vocab_size(&self) -> usize {
        self.loaded.config.vocab_size
    }

    /// The WordPiece token of a term id, for display (`None` outside the vocabulary).
    pub fn token(&self, id: u32) -> Option<&str> {
        self.vocabulary.get(id as usize).map(String::as_str)
    }

    /// Most texts one run takes: [`MAX_SPLADE_BATCH`] for the whole vocabulary, more
    /// for a narrower head, so the logits stay the same size; the options' batch size
    /// when the decoder runs in Rust (no logits are written).
    pub fn max_batch(&self) -> usize {
        if self.decoder.is_some() {
            return self.options.batch_size;
        }
        let vocab = self.vocab_size();
        let width = self.active.as_ref().map_or(vocab, ActiveVocabulary::len);
        (MAX_SPLADE_BATCH * vocab / width.max(1)).max(MAX_SPLADE_BATCH)
    }

    /// Sparse vectors of `texts`, in input order (queries and documents alike), in
    /// batches of at most [`OnnxSpladeEncoder::max_batch`] texts.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<SparseVector>> {
        let encoded = self.loaded.tokenizer.encode_all(texts, None)?;
        let pad = self.loaded.tokenizer.pad_id();
        map_in_buckets(
            &encoded,
            self.options.batch_size.min(self.max_batch()),
            &self.loaded.pool,
            |s, members| {
                let inputs = Inputs::new(members, pad, false)?;
                let rows = match &self.decoder {
                    None => inputs.run(s, Head::Splade.output())?,
                    Some(decoder) => decode_batch(decoder, inputs, s, members)?,
                };
                Ok(rows
                    .iter()
                    .map(|r| {
                        let v = SparseVector::from_activations(
                            r,
                            self.options.top_k,
                            self.options.min_weight,
                        );
                        match &self.active {
                            Some(active) => active.to_vocabulary_ids(v),
                            None => v,
                        }
                    })
                    .collect())
            },
        )
    }
}

/// Runs the transform graph on a batch and the int8 decoder on each text's real
/// tokens (padding is on the right), returning each text's pooled activations.
fn decode_batch(
    decoder: &Int8Decoder,
    inputs: Inputs,
    session: &mut ort::session::Session,
    members: &[&Encoded],
) -> Result<Vec<Vec<f32>>> {
    let seq = members.iter().map(|e| e.len()).max().unwrap_or(0);
    let (width, hidden) = inputs.run_tokens(session, Head::SpladeHidden.output())?;
    if width != decoder.hidden() {
        return Err(OnnxError::InvalidArgument(format!(
            "the SPLADE graph returns {width}-wide tokens, the decoder reads {}",
            decoder.hidden()
        )));
    }
    members
        .iter()
        .enumerate()
        .map(|(row, e)| {
            let start = row * seq * width;
            let mut out = Vec::new();
            decoder.activations(&hidden[start..start + e.len() * width], &mut out)?;
            Ok(out)
        })
        .collect()
}

impl esci_models::SparseTextEncoder for OnnxSpladeEncoder {
    fn vocab_size(&self) -> usize {
        OnnxSpladeEncoder::vocab_size(self)
    }
    fn encode(&self, texts: &[&str]) -> esci_models::Result<Vec<SparseVector>> {
        Ok(OnnxSpladeEncoder::encode(self, texts)?)
    }
}
