//! Fusion parameters tuned on dev, kept beside the indexes they were tuned for, so
//! `esci search` serves with the values `esci eval` chose and reported.
//!
//! Keyed by the fused retriever's name (`dense@64+bm25+splade`, `dense-pca@64+bm25`),
//! which names the dimension and projection too. The file is stamped with the
//! manifest it was tuned against: after a rebuild the stamp differs and the file is
//! ignored (the configured values serve) until the next evaluation re-tunes.

use crate::artifacts::Manifest;
use crate::{EngineError, FusionSection};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File name inside the artifact directory.
pub const TUNED_FUSION_FILE: &str = "fusion-tuned.json";

/// Tuned fusion parameters per fused retriever.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TunedFusion {
    /// `created_unix` of the manifest tuned against.
    pub manifest_created_unix: u64,
    /// Catalog fingerprint of that manifest.
    pub corpus_fingerprint: String,
    /// Parameters by fused retriever name.
    pub by_retriever: BTreeMap<String, FusionSection>,
}

impl TunedFusion {
    /// The file's path.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(TUNED_FUSION_FILE)
    }

    /// The tuned values for `manifest`: empty when the file is missing or stale; an
    /// unreadable file is reported and ignored (it only caches a tuning run).
    pub fn load(dir: &Path, manifest: &Manifest) -> TunedFusion {
        TunedFusion::load_stamped(dir, manifest.created_unix, &manifest.corpus.fingerprint)
    }

    fn load_stamped(dir: &Path, created_unix: u64, corpus: &str) -> TunedFusion {
        let path = TunedFusion::path(dir);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return TunedFusion::empty(created_unix, corpus);
        };
        match serde_json::from_str::<TunedFusion>(&text) {
            Ok(tuned)
                if tuned.manifest_created_unix == created_unix
                    && tuned.corpus_fingerprint == corpus =>
            {
                tuned
            }
            Ok(_) => TunedFusion::empty(created_unix, corpus),
            Err(e) => {
                tracing::warn!(
                    "ignoring {}: {e}; the configured fusion values serve until `esci eval` re-tunes",
                    path.display()
                );
                TunedFusion::empty(created_unix, corpus)
            }
        }
    }

    /// Records `fusion` for `retriever` and writes the file atomically.
    pub fn record(
        dir: &Path,
        manifest: &Manifest,
        retriever: &str,
        fusion: &FusionSection,
    ) -> Result<(), EngineError> {
        TunedFusion::record_stamped(
            dir,
            manifest.created_unix,
            &manifest.corpus.fingerprint,
            retriever,
            fusion,
        )
    }

    fn record_stamped(
        dir: &Path,
        created_unix: u64,
        corpus: &str,
        retriever: &str,
        fusion: &FusionSection,
    ) -> Result<(), EngineError> {
        let mut tuned = TunedFusion::load_stamped(dir, created_unix, corpus);
        tuned
            .by_retriever
            .insert(retriever.to_owned(), fusion.clone());
        let json = serde_json::to_string_pretty(&tuned)
            .map_err(|e| EngineError::Input(format!("tuned fusion as JSON: {e}")))?;
        let path = TunedFusion::path(dir);
        esci_core::atomic_file::write_atomically(&path, |w| {
            std::io::Write::write_all(w, json.as_bytes())
        })
        .map_err(EngineError::io(&path))
    }

    /// The tuned values of `retriever` for fusion method `method`, if any.
    pub fn get(
        &self,
        retriever: &str,
        method: esci_fusion::FusionMethod,
    ) -> Option<&FusionSection> {
        self.by_retriever
            .get(retriever)
            .filter(|f| f.method == method)
    }

    fn empty(created_unix: u64, corpus: &str) -> TunedFusion {
        TunedFusion {
            manifest_created_unix: created_unix,
            corpus_fingerprint: corpus.to_owned(),
            by_retriever: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_fusion::FusionMethod;

    #[test]
    fn recorded_values_come_back_only_for_the_same_build() {
        let dir = tempfile::tempdir().unwrap();
        let tuned = FusionSection {
            k: 40.0,
            ..FusionSection::default()
        };
        TunedFusion::record_stamped(dir.path(), 7, "abc", "dense@64+bm25", &tuned).unwrap();
        let same = TunedFusion::load_stamped(dir.path(), 7, "abc");
        assert_eq!(same.get("dense@64+bm25", FusionMethod::Rrf), Some(&tuned));
        assert_eq!(same.get("dense@64+bm25", FusionMethod::MinMax), None);
        assert_eq!(same.get("dense+bm25", FusionMethod::Rrf), None);
        // A rebuilt index set (new manifest time or catalog) ignores the old values.
        assert!(
            TunedFusion::load_stamped(dir.path(), 8, "abc")
                .by_retriever
                .is_empty()
        );
        assert!(
            TunedFusion::load_stamped(dir.path(), 7, "xyz")
                .by_retriever
                .is_empty()
        );
        // A second record keeps the first.
        TunedFusion::record_stamped(dir.path(), 7, "abc", "dense+bm25", &tuned).unwrap();
        assert_eq!(
            TunedFusion::load_stamped(dir.path(), 7, "abc")
                .by_retriever
                .len(),
            2
        );
    }

    #[test]
    fn a_corrupt_file_is_ignored_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(TunedFusion::path(dir.path()), "{ not json").unwrap();
        assert!(
            TunedFusion::load_stamped(dir.path(), 7, "abc")
                .by_retriever
                .is_empty()
        );
    }
}
