/// Which optional stages the [`Analyzer`](crate::Analyzer) runs.
///
/// Normalisation and tokenisation always run; only the two lossy, English-specific
/// stages can be switched off (for ablations, or for non-English text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnalyzerConfig {
    /// Reduce English words to their Snowball stem (`drills` -> `drill`).
    pub stem: bool,
    /// Drop English stopwords (`the`, `with`, ...); see [`STOPWORDS`](crate::stopwords::STOPWORDS).
    pub stopwords: bool,
}

impl Default for AnalyzerConfig {
    /// Both stages on: the configuration the BM25 index is built with.
    fn default() -> AnalyzerConfig {
        AnalyzerConfig {
            stem: true,
            stopwords: true,
        }
    }
}
