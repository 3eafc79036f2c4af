//! The neural retrievers: encoding the catalog into dense and SPLADE indexes at build
//! time, and pairing each index with its query encoder at search time.

use crate::retrieval_config::DenseScan;
use crate::{EngineError, progress};
use esci_core::{DocId, Hit, Product, RetrieveError, Retriever};
use esci_dense::{DenseIndex, DenseView};
use esci_ingest::TextBuilder;
use esci_models::{DenseOptions, DenseTextEncoder, SparseTextEncoder, SparseVector, SpladeOptions};
use esci_sparse::{DocPruning, SparseIndex, SparseIndexBuilder};

/// Products encoded per call: large enough to batch well, small enough for a smooth
/// progress bar.
const ENCODE_CHUNK: usize = 256;

/// The text each product is encoded from.
pub(crate) fn product_texts(products: &[Product], builder: &TextBuilder) -> Vec<String> {
    products.iter().map(|p| builder.build(p)).collect()
}

/// Encodes every text with the dense model into a [`DenseIndex`] tagged with the
/// model's fingerprint.
pub(crate) fn build_dense(
    encoder: &dyn DenseTextEncoder,
    texts: &[String],
    model_fingerprint: &str,
) -> Result<DenseIndex, EngineError> {
    let bar = progress::bar(texts.len() as u64, "dense");
    let mut matrix = Vec::with_capacity(texts.len() * encoder.dim());
    for chunk in texts.chunks(ENCODE_CHUNK) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        for v in encoder.encode_documents(&refs)? {
            matrix.extend_from_slice(&v);
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(DenseIndex::new(matrix, encoder.dim(), model_fingerprint)?)
}

/// Encodes every text with SPLADE into an impact inverted index; a text whose vector
/// is `known` (one entry per text) is not encoded again.
pub(crate) fn build_splade(
    encoder: &dyn SparseTextEncoder,
    texts: &[String],
    mut known: Vec<Option<SparseVector>>,
) -> Result<SparseIndex, EngineError> {
    let bar = progress::bar(texts.len() as u64, "splade");
    let mut builder = SparseIndexBuilder::new(encoder.vocab_size() as u32, DocPruning::default())?;
    known.resize(texts.len(), None);
    for (chunk, known) in texts
        .chunks(ENCODE_CHUNK)
        .zip(known.chunks_mut(ENCODE_CHUNK))
    {
        let missing: Vec<&str> = chunk
            .iter()
            .zip(known.iter())
            .filter(|(_, k)| k.is_none())
            .map(|(t, _)| t.as_str())
            .collect();
        let mut encoded = encoder.encode(&missing)?.into_iter();
        for k in known.iter_mut() {
            let v = match k.take() {
                Some(v) => v,
                None => encoded.next().ok_or_else(|| {
                    EngineError::Input("the SPLADE encoder returned too few vectors".into())
                })?,
            };
            builder.add(&v.terms)?;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(builder.finish())
}

/// Dense retrieval at a Matryoshka prefix: encode the query, scan the view.
pub struct DenseRetriever {
    name: String,
    encoder: Box<dyn DenseTextEncoder>,
    view: DenseView,
    /// Maps query vectors into the space of a projected index (`esci train dense`).
    projection: Option<esci_train::Projection>,
    /// Exact, int8 or int4 scan.
    scan: DenseScan,
}

impl DenseRetriever {
    /// Pairs `encoder` with the prefix-`dim` view of `index` (the caller has checked the
    /// model fingerprints agree).
    pub fn new(
        encoder: impl DenseTextEncoder + 'static,
        index: &DenseIndex,
        dim: usize,
    ) -> Result<DenseRetriever, EngineError> {
        let view = index.view(dim)?;
        let name = if dim == index.dim() {
            "dense".to_owned()
        } else {
            format!("dense@{dim}")
        };
        Ok(DenseRetriever {
            name,
            encoder: Box::new(encoder),
            view,
            projection: None,
            scan: DenseScan::Exact,
        })
    }

    /// Maps every query vector through `projection` before the Matryoshka prefix (the
    /// index must hold products mapped by the same projection); the retriever is then
    /// named `dense-<projection>@<dim>`.
    pub fn with_projection(mut self, projection: esci_train::Projection) -> DenseRetriever {
        self.name = match self.view.dim() == self.view.full_dim() {
            true => format!("dense-{}", projection.name()),
            false => format!("dense-{}@{}", projection.name(), self.view.dim()),
        };
        self.projection = Some(projection);
        self
    }

    /// The Matryoshka view this retriever scans.
    pub fn view(&self) -> &DenseView {
        &self.view
    }

    /// Scans with `scan` (int8 or int4 codes are built now, not on the first query).
    pub fn with_scan(mut self, scan: DenseScan) -> DenseRetriever {
        match scan {
            DenseScan::Exact => {}
            DenseScan::Int8 => self.view.prepare_int8(),
            DenseScan::Int4 => self.view.prepare_int4(),
        }
        self.scan = scan;
        self
    }

    /// The query's vector as the index sees it (encoded, projected if configured).
    pub fn encode_query(&self, query: &str) -> Result<Vec<f32>, RetrieveError> {
        let mut vectors = self
            .encoder
            .encode_queries(&[query])
            .map_err(|e| internal(&self.name, e))?;
        let vector = vectors.pop().unwrap_or_default();
        match &self.projection {
            Some(p) => p.apply(&vector).map_err(|e| internal(&self.name, e)),
            None => Ok(vector),
        }
    }
}

impl Retriever for DenseRetriever {
    fn name(&self) -> &str {
        &self.name
    }

    fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>, RetrieveError> {
        let vector = self.encode_query(query)?;
        self.view
            .search_with(&vector, k, self.scan.mode(k))
            .map_err(|e| internal(&self.name, e))
    }

    fn score_docs(&self, query: &str, docs: &[DocId]) -> Result<Vec<f32>, RetrieveError> {
        let vector = self.encode_query(query)?;
        self.view
            .score_docs(&vector, docs)
            .map_err(|e| internal(&self.name, e))
    }
}

/// SPLADE retrieval: encode the query into weighted vocabulary terms, traverse the index.
pub struct SpladeRetriever {
    encoder: Box<dyn SparseTextEncoder>,
    index: SparseIndex,
}

impl SpladeRetriever {
    /// Pairs `encoder` with `index` (the caller has checked the fingerprints agree).
    pub fn new(encoder: impl SparseTextEncoder + 'static, index: SparseIndex) -> SpladeRetriever {
        SpladeRetriever {
            encoder: Box::new(encoder),
            index,
        }
    }

    /// The query's weighted vocabulary terms.
    pub fn encode_query(&self, query: &str) -> Result<Vec<(u32, f32)>, RetrieveError> {
        let mut vectors = self
            .encoder
            .encode(&[query])
            .map_err(|e| internal("splade", e))?;
        Ok(vectors.pop().map(|v| v.terms).unwrap_or_default())
    }
}

impl Retriever for SpladeRetriever {
    fn name(&self) -> &str {
        "splade"
    }

    fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>, RetrieveError> {
        let terms = self.encode_query(query)?;
        self.index
            .search(&terms, k)
            .map_err(|e| internal("splade", e))
    }

    fn score_docs(&self, query: &str, docs: &[DocId]) -> Result<Vec<f32>, RetrieveError> {
        let terms = self.encode_query(query)?;
        self.index
            .score_docs(&terms, docs)
            .map_err(|e| internal("splade", e))
    }
}

fn internal(retriever: &str, e: impl std::fmt::Display) -> RetrieveError {
    RetrieveError::Internal {
        retriever: retriever.to_owned(),
        message: e.to_string(),
    }
}

/// Options of the dense encoder for documents and queries.
pub(crate) fn dense_options(max_length: usize) -> DenseOptions {
    DenseOptions {
        max_length,
        ..DenseOptions::default()
    }
}

/// Options of the SPLADE encoder.
pub(crate) fn splade_options(max_length: usize) -> SpladeOptions {
    SpladeOptions {
        max_length,
        ..SpladeOptions::default()
    }
}
