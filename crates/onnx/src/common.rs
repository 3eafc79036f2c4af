//! What every ONNX encoder loads: config, tokenizer, graph file and session pool.

use crate::bert_graph::Head;
use crate::error::{OnnxError, Result};
use crate::export::graph_file_for;
use crate::options::OnnxOptions;
use crate::pool::SessionPool;
use esci_models::{ActiveVocabulary, BertConfig, TextTokenizer};
use std::path::Path;

/// The shared parts of a loaded encoder.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) config: BertConfig,
    pub(crate) tokenizer: TextTokenizer,
    pub(crate) pool: SessionPool,
}

impl Loaded {
    /// Checks the options against `config.json`, loads the tokenizer, writes or finds
    /// the graph and starts the sessions.
    pub(crate) fn new(
        model_dir: &Path,
        head: Head,
        max_length: usize,
        batch_size: usize,
        onnx: &OnnxOptions,
    ) -> Result<Loaded> {
        Loaded::with_vocabulary(model_dir, head, max_length, batch_size, onnx, None)
    }

    /// [`Loaded::new`] with a SPLADE head restricted to `active` ids.
    pub(crate) fn with_vocabulary(
        model_dir: &Path,
        head: Head,
        max_length: usize,
        batch_size: usize,
        onnx: &OnnxOptions,
        active: Option<&ActiveVocabulary>,
    ) -> Result<Loaded> {
        let config = BertConfig::from_file(&required(model_dir, "config.json")?)?;
        let limit = config.max_position_embeddings;
        if max_length > limit {
            return Err(OnnxError::InvalidArgument(format!(
                "max_length {max_length} exceeds the model's max_position_embeddings {limit}"
            )));
        }
        if batch_size == 0 {
            return Err(OnnxError::InvalidArgument("batch_size is 0".into()));
        }
        let tokenizer =
            TextTokenizer::from_file(&required(model_dir, "tokenizer.json")?, max_length)?;
        required(model_dir, "model.safetensors")?;
        // Start the runtime before writing a graph: a missing library is the likelier
        // problem, and its error names the fix.
        crate::runtime::environment(&onnx.library)?;
        if let Some(v) = active
            && v.vocab_size() as usize != config.vocab_size
        {
            return Err(OnnxError::InvalidArgument(format!(
                "the active vocabulary indexes {} ids, the model's vocabulary has {}",
                v.vocab_size(),
                config.vocab_size
            )));
        }
        let graph = graph_file_for(
            model_dir,
            head,
            onnx.precision,
            onnx.cache_dir.as_deref(),
            active,
        )?;
        let pool = SessionPool::new(
            &onnx.library,
            &graph,
            onnx.sessions,
            onnx.threads_per_session,
        )?;
        Ok(Loaded {
            config,
            tokenizer,
            pool,
        })
    }
}

/// `dir/name`, or the models' missing-file error (which names `esci models fetch`).
fn required(dir: &Path, name: &str) -> Result<std::path::PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(esci_models::ModelError::MissingFile { path }.into())
    }
}
