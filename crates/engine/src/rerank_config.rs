//! `[rerank]`: the cross-encoder stage after fusion.

use crate::config::ModelsConfig;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[rerank]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RerankSection {
    /// Rerank the fused list in `esci search` and `esci eval` (flag `--rerank N` turns it
    /// on for one command).
    pub enabled: bool,
    /// The trained reranker: a directory name inside `[models] dir`, or any path
    /// (`esci train reranker` writes it).
    pub model: PathBuf,
    /// How many of the first stage's top hits are rescored (50, 100 or 200: more costs
    /// time linearly).
    pub depth: usize,
    /// Longest (query, product) pair in tokens (the default matches `esci train
    /// reranker`'s).
    pub max_length: usize,
    /// Pairs per forward pass.
    pub batch_size: usize,
}

impl Default for RerankSection {
    fn default() -> Self {
        RerankSection {
            enabled: false,
            model: "reranker".into(),
            depth: 50,
            max_length: 48,
            batch_size: 32,
        }
    }
}

impl RerankSection {
    /// Directory of the reranker model.
    pub fn model_dir(&self, models: &ModelsConfig) -> PathBuf {
        models.dir.join(&self.model)
    }

    /// Checks the values, naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if self.depth == 0 || self.depth > 1000 {
            return Err(format!(
                "rerank.depth must be in 1..=1000, got {}",
                self.depth
            ));
        }
        if self.max_length < 8 || self.max_length > 512 {
            return Err(format!(
                "rerank.max_length must be in 8..=512, got {}",
                self.max_length
            ));
        }
        if self.batch_size == 0 {
            return Err("rerank.batch_size must be at least 1".into());
        }
        Ok(())
    }
}
