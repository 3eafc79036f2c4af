//! A fused retriever: several first-stage retrievers combined by weighted RRF (or a
//! normalised score combination), itself a [`Retriever`] so evaluation and search
//! treat it like any other.

use esci_core::{DocId, Hit, RetrieveError, Retriever, sort_hits};
use esci_fusion::{FusedHit, FusionInput, FusionMethod, RrfParams, fuse};

/// Retrievers fused by one [`FusionMethod`].
pub struct Hybrid<'a> {
    name: String,
    parts: Vec<(&'a dyn Retriever, f32)>,
    method: FusionMethod,
    params: RrfParams,
}

impl<'a> Hybrid<'a> {
    /// Fuses `parts` (retriever, weight) with `method`; each contributes its top
    /// `params.depth`.
    pub fn new(
        parts: Vec<(&'a dyn Retriever, f32)>,
        method: FusionMethod,
        params: RrfParams,
    ) -> Hybrid<'a> {
        let name = parts
            .iter()
            .map(|(r, _)| r.name())
            .collect::<Vec<_>>()
            .join("+");
        Hybrid {
            name,
            parts,
            method,
            params,
        }
    }

    /// Names of the fused retrievers, in the order of [`FusedHit::signals`].
    pub fn retriever_names(&self) -> Vec<&str> {
        self.parts.iter().map(|(r, _)| r.name()).collect()
    }

    /// The fused top-`k` with each hit's signal breakdown.
    pub fn search_explained(&self, query: &str, k: usize) -> Result<Vec<FusedHit>, RetrieveError> {
        let lists = self
            .parts
            .iter()
            .map(|(r, _)| r.search(query, self.params.depth))
            .collect::<Result<Vec<_>, _>>()?;
        self.fuse(&lists, k)
    }

    fn fuse(&self, lists: &[Vec<Hit>], keep: usize) -> Result<Vec<FusedHit>, RetrieveError> {
        let inputs: Vec<FusionInput<'_>> = self
            .parts
            .iter()
            .zip(lists)
            .map(|((r, w), hits)| FusionInput::new(r.name(), *w, hits))
            .collect();
        fuse(
            &inputs,
            self.method,
            &RrfParams {
                keep,
                ..self.params
            },
        )
        .map_err(|e| RetrieveError::InvalidQuery(e.to_string()))
    }
}

impl Retriever for Hybrid<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>, RetrieveError> {
        Ok(self
            .search_explained(query, k)?
            .into_iter()
            .map(|h| Hit::new(h.doc, h.score))
            .collect())
    }

    /// Fuses the parts' rankings of exactly `docs`: each part scores them, a document
    /// with no signal in a part (score 0) is absent from that part's list.
    fn score_docs(&self, query: &str, docs: &[DocId]) -> Result<Vec<f32>, RetrieveError> {
        let mut lists = Vec::with_capacity(self.parts.len());
        for (retriever, _) in &self.parts {
            let scores = retriever.score_docs(query, docs)?;
            let mut hits: Vec<Hit> = docs
                .iter()
                .zip(scores)
                .filter(|(_, s)| *s != 0.0)
                .map(|(&d, s)| Hit::new(d, s))
                .collect();
            sort_hits(&mut hits);
            lists.push(hits);
        }
        let fused = self.fuse(&lists, docs.len())?;
        Ok(docs
            .iter()
            .map(|d| fused.iter().find(|h| h.doc == *d).map_or(0.0, |h| h.score))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A retriever with fixed answers.
    struct Fixed(&'static str, Vec<Hit>);

    impl Retriever for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn search(&self, _: &str, k: usize) -> Result<Vec<Hit>, RetrieveError> {
            Ok(self.1.iter().take(k).copied().collect())
        }
        fn score_docs(&self, _: &str, docs: &[DocId]) -> Result<Vec<f32>, RetrieveError> {
            Ok(docs
                .iter()
                .map(|d| self.1.iter().find(|h| h.doc == *d).map_or(0.0, |h| h.score))
                .collect())
        }
    }

    #[test]
    fn fuses_like_the_fusion_stage_and_task1_agrees() {
        let a = Fixed(
            "bm25",
            vec![Hit::new(1, 9.0), Hit::new(2, 8.0), Hit::new(3, 7.0)],
        );
        let b = Fixed("dense", vec![Hit::new(3, 0.9), Hit::new(1, 0.8)]);
        let hybrid = Hybrid::new(
            vec![(&a, 1.0), (&b, 0.5)],
            FusionMethod::Rrf,
            RrfParams::default(),
        );
        assert_eq!(hybrid.name(), "bm25+dense");
        // Hand-computed in esci-fusion's RRF test: order 1, 3, 2.
        let hits = hybrid.search("q", 10).unwrap();
        assert_eq!(
            hits.iter().map(|h| h.doc).collect::<Vec<_>>(),
            vec![1, 3, 2]
        );
        let explained = hybrid.search_explained("q", 10).unwrap();
        assert_eq!(explained[1].signals[1].unwrap().rank, 1);
        // Scoring the same three documents directly gives the same fused scores.
        let scores = hybrid.score_docs("q", &[2, 3, 1]).unwrap();
        let by_doc = |d: u32| hits.iter().find(|h| h.doc == d).unwrap().score;
        assert_eq!(scores, vec![by_doc(2), by_doc(3), by_doc(1)]);
    }
}
