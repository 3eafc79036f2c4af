//! The seam between the engine and whatever runs an encoder: candle here, ONNX Runtime
//! in `esci-onnx`. The engine builds indexes and encodes queries through these traits,
//! so the runtime is a configuration choice (`[neural] runtime`) and the retrievers do
//! not change with it.

use crate::error::Result;
use crate::splade::SparseVector;

/// A dense bi-encoder: texts to unit vectors of one dimension.
pub trait DenseTextEncoder: Send + Sync {
    /// Dimension of the vectors.
    fn dim(&self) -> usize;
    /// Unit vectors of `queries` (with the model's query prefix), in input order.
    fn encode_queries(&self, queries: &[&str]) -> Result<Vec<Vec<f32>>>;
    /// Unit vectors of `documents` (with the document prefix), in input order.
    fn encode_documents(&self, documents: &[&str]) -> Result<Vec<Vec<f32>>>;
}

/// A learned sparse encoder: texts to weighted vocabulary terms.
pub trait SparseTextEncoder: Send + Sync {
    /// Vocabulary size: term ids are below it.
    fn vocab_size(&self) -> usize;
    /// Sparse vectors of `texts`, in input order.
    fn encode(&self, texts: &[&str]) -> Result<Vec<SparseVector>>;
}

/// A cross-encoder: (query, document) pairs to relevance scores.
pub trait PairScorer: Send + Sync {
    /// One score per pair, in input order; higher is more relevant.
    fn score(&self, pairs: &[(&str, &str)]) -> Result<Vec<f32>>;
    /// Whether the scoring head was trained (loaded or supplied), so scores mean
    /// something.
    fn is_trained(&self) -> bool;
}

impl DenseTextEncoder for crate::DenseEncoder {
    fn dim(&self) -> usize {
        crate::DenseEncoder::dim(self)
    }
    fn encode_queries(&self, queries: &[&str]) -> Result<Vec<Vec<f32>>> {
        crate::DenseEncoder::encode_queries(self, queries)
    }
    fn encode_documents(&self, documents: &[&str]) -> Result<Vec<Vec<f32>>> {
        crate::DenseEncoder::encode_documents(self, documents)
    }
}

impl SparseTextEncoder for crate::SpladeEncoder {
    fn vocab_size(&self) -> usize {
        crate::SpladeEncoder::vocab_size(self)
    }
    fn encode(&self, texts: &[&str]) -> Result<Vec<SparseVector>> {
        crate::SpladeEncoder::encode(self, texts)
    }
}

/// A boxed encoder (the engine picks the runtime at run time) is an encoder.
impl<T: DenseTextEncoder + ?Sized> DenseTextEncoder for Box<T> {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn encode_queries(&self, queries: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).encode_queries(queries)
    }
    fn encode_documents(&self, documents: &[&str]) -> Result<Vec<Vec<f32>>> {
        (**self).encode_documents(documents)
    }
}

/// A boxed sparse encoder is a sparse encoder.
impl<T: SparseTextEncoder + ?Sized> SparseTextEncoder for Box<T> {
    fn vocab_size(&self) -> usize {
        (**self).vocab_size()
    }
    fn encode(&self, texts: &[&str]) -> Result<Vec<SparseVector>> {
        (**self).encode(texts)
    }
}
