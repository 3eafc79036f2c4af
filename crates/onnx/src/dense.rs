//! [`OnnxDenseEncoder`]: the dense bi-encoder of `esci_models::DenseEncoder` on ONNX
//! Runtime, with the same methods and the same outputs (held to the same golden
//! fixtures in fp32).

use crate::batch::{Inputs, map_in_buckets};
use crate::bert_graph::Head;
use crate::common::Loaded;
use crate::error::Result;
use crate::options::OnnxOptions;
use esci_models::{DenseOptions, Pooling, TextTokenizer};
use std::path::Path;

/// A loaded dense encoder on ONNX Runtime. `Send + Sync`: sessions are pooled.
#[derive(Debug)]
pub struct OnnxDenseEncoder {
    loaded: Loaded,
    pooling: Pooling,
    options: DenseOptions,
}

impl OnnxDenseEncoder {
    /// Loads the tokenizer and pooling of `model_dir` and a session pool over its graph
    /// (written to the cache first if absent).
    pub fn load(model_dir: &Path, options: DenseOptions, onnx: &OnnxOptions) -> Result<Self> {
        let pooling = Pooling::from_model_dir(model_dir)?;
        let loaded = Loaded::new(
            model_dir,
            Head::Dense(pooling),
            options.max_length,
            options.batch_size,
            onnx,
        )?;
        Ok(OnnxDenseEncoder {
            loaded,
            pooling,
            options,
        })
    }

    /// Dimension of the vectors.
    pub fn dim(&self) -> usize {
        self.loaded.config.hidden_size
    }

    /// The pooling in use.
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// The options the encoder was loaded with.
    pub fn options(&self) -> &DenseOptions {
        &self.options
    }

    /// The tokenizer (to count tokens or inspect ids).
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.loaded.tokenizer
    }

    /// The graph file the sessions run.
    pub fn graph(&self) -> &Path {
        self.loaded.pool.graph()
    }

    /// Unit vectors of `queries` (with the query prefix), in input order.
    pub fn encode_queries(&self, queries: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.encode(queries, self.options.query_prefix.as_deref())
    }

    /// Unit vectors of `documents` (with the document prefix), in input order.
    pub fn encode_documents(&self, documents: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.encode(documents, self.options.document_prefix.as_deref())
    }

    fn encode(&self, texts: &[&str], prefix: Option<&str>) -> Result<Vec<Vec<f32>>> {
        let encoded = self.loaded.tokenizer.encode_all(texts, prefix)?;
        let pad = self.loaded.tokenizer.pad_id();
        map_in_buckets(
            &encoded,
            self.options.batch_size,
            &self.loaded.pool,
            |s, members| {
                let mut rows =
                    Inputs::new(members, pad, false)?.run(s, Head::Dense(self.pooling).output())?;
                rows.iter_mut().for_each(|r| l2_normalize(r));
                Ok(rows)
            },
        )
    }
}

impl esci_models::DenseTextEncoder for OnnxDenseEncoder {
    fn dim(&self) -> usize {
        OnnxDenseEncoder::dim(self)
    }
    fn encode_queries(&self, queries: &[&str]) -> esci_models::Result<Vec<Vec<f32>>> {
        Ok(OnnxDenseEncoder::encode_queries(self, queries)?)
    }
    fn encode_documents(&self, documents: &[&str]) -> esci_models::Result<Vec<Vec<f32>>> {
        Ok(OnnxDenseEncoder::encode_documents(self, documents)?)
    }
}

/// Scales `v` to unit length, as the candle encoder does (norm clamped at 1e-12).
pub(crate) fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}
