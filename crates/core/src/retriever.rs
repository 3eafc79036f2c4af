use crate::{DocId, Hit};

/// Why a retriever could not answer a query.
#[derive(Debug, thiserror::Error)]
pub enum RetrieveError {
    /// The query itself is unusable (e.g. too long for an encoder).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// The retriever failed internally (e.g. a model error).
    #[error("retriever {retriever} failed: {message}")]
    Internal {
        /// Name of the retriever.
        retriever: String,
        /// What went wrong.
        message: String,
    },
}

/// The one read interface of every first-stage retriever (BM25, SPLADE, dense).
///
/// Building an index is a different type: a retriever is immutable once loaded,
/// so it can be shared across threads.
pub trait Retriever: Send + Sync {
    /// Short name shown in signal breakdowns and reports (e.g. `bm25`).
    fn name(&self) -> &str;

    /// The best `k` documents for `query`, sorted by [`Hit::rank_order`].
    ///
    /// Documents with no signal at all (e.g. no query term in common) are not returned,
    /// so fewer than `k` hits may come back. An empty or unusable-for-this-retriever
    /// query (e.g. only punctuation) returns no hits rather than an error.
    fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>, RetrieveError>;

    /// Scores exactly the given documents, in the given order (used to rank a fixed
    /// candidate list, as in KDD Cup Task 1). A document without signal scores 0.
    fn score_docs(&self, query: &str, docs: &[DocId]) -> Result<Vec<f32>, RetrieveError>;
}
