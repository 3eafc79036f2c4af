//! Which retrievers answer a query: one alone, or several fused.

use serde::{Deserialize, Serialize};

/// A first-stage retriever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetrieverKind {
    /// BM25F over the analyzed product text.
    Bm25,
    /// Dense bi-encoder at the configured Matryoshka prefix.
    Dense,
    /// SPLADE sparse neural retrieval.
    Splade,
}

impl RetrieverKind {
    /// Lowercase name, as in strategies and fusion weights.
    pub fn name(self) -> &'static str {
        match self {
            RetrieverKind::Bm25 => "bm25",
            RetrieverKind::Dense => "dense",
            RetrieverKind::Splade => "splade",
        }
    }
}

/// A retrieval strategy: one retriever, or several fused by weighted RRF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategy {
    /// The retrievers, in the order their signals are shown.
    pub parts: Vec<RetrieverKind>,
}

impl Strategy {
    /// Parses `bm25`, `dense+bm25`, `dense+bm25+splade`, ...
    pub fn parse(s: &str) -> Result<Strategy, String> {
        let mut parts = Vec::new();
        for name in s.split('+').map(|p| p.trim().to_ascii_lowercase()) {
            let kind = match name.as_str() {
                "bm25" => RetrieverKind::Bm25,
                "dense" => RetrieverKind::Dense,
                "splade" => RetrieverKind::Splade,
                other => {
                    return Err(format!(
                        "unknown retriever {other:?} in strategy {s:?}: expected bm25, dense or splade joined by +"
                    ));
                }
            };
            if parts.contains(&kind) {
                return Err(format!("strategy {s:?} names {name} twice"));
            }
            parts.push(kind);
        }
        Ok(Strategy { parts })
    }

    /// The strategy's name, e.g. `dense+bm25`.
    pub fn name(&self) -> String {
        self.parts
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join("+")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names() {
        let s = Strategy::parse("dense+BM25 + splade").unwrap();
        assert_eq!(
            s.parts,
            vec![
                RetrieverKind::Dense,
                RetrieverKind::Bm25,
                RetrieverKind::Splade
            ]
        );
        assert_eq!(s.name(), "dense+bm25+splade");
        assert!(Strategy::parse("bm25+bm25").unwrap_err().contains("twice"));
        assert!(Strategy::parse("colbert").unwrap_err().contains("colbert"));
        assert!(Strategy::parse("").is_err());
    }
}
