use serde::{Deserialize, Serialize};

/// The graded ESCI relevance label of a (query, product) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EsciLabel {
    /// E: the product matches the query exactly.
    Exact,
    /// S: a substitute, fit for the query's purpose though not exactly it.
    Substitute,
    /// C: a complement, used together with an exact product.
    Complement,
    /// I: irrelevant.
    Irrelevant,
}

impl EsciLabel {
    /// Parses the one-letter label of the official files (`E`, `S`, `C`, `I`).
    pub fn parse(label: &str) -> Option<EsciLabel> {
        match label.trim() {
            "E" | "e" => Some(EsciLabel::Exact),
            "S" | "s" => Some(EsciLabel::Substitute),
            "C" | "c" => Some(EsciLabel::Complement),
            "I" | "i" => Some(EsciLabel::Irrelevant),
            _ => None,
        }
    }

    /// The one-letter code.
    pub fn letter(self) -> char {
        match self {
            EsciLabel::Exact => 'E',
            EsciLabel::Substitute => 'S',
            EsciLabel::Complement => 'C',
            EsciLabel::Irrelevant => 'I',
        }
    }

    /// The KDD Cup 2022 gain: E = 1, S = 0.1, C = 0.01, I = 0.
    pub fn gain(self) -> f64 {
        match self {
            EsciLabel::Exact => 1.0,
            EsciLabel::Substitute => 0.1,
            EsciLabel::Complement => 0.01,
            EsciLabel::Irrelevant => 0.0,
        }
    }

    /// Whether the label counts as relevant for recall (E or S).
    pub fn is_relevant(self) -> bool {
        matches!(self, EsciLabel::Exact | EsciLabel::Substitute)
    }
}

/// The split a query belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Queries for training and tuning.
    Train,
    /// Queries held out for reporting; never used to tune anything.
    Test,
}

impl Split {
    /// Parses `train` or `test`.
    pub fn parse(s: &str) -> Option<Split> {
        match s.trim().to_ascii_lowercase().as_str() {
            "train" => Some(Split::Train),
            "test" => Some(Split::Test),
            _ => None,
        }
    }

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One graded judgment: a row of `shopping_queries_dataset_examples`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgment {
    /// `query_id`, unique per query text.
    pub query_id: String,
    /// `query`, the shopper's text.
    pub query: String,
    /// `product_id` of the judged product.
    pub product_id: String,
    /// `esci_label`
    pub label: EsciLabel,
    /// `split`
    pub split: Split,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_and_grade() {
        let all = [
            EsciLabel::Exact,
            EsciLabel::Substitute,
            EsciLabel::Complement,
            EsciLabel::Irrelevant,
        ];
        for label in all {
            assert_eq!(EsciLabel::parse(&label.letter().to_string()), Some(label));
        }
        assert_eq!(EsciLabel::parse("X"), None);
        let gains: Vec<f64> = all.iter().map(|l| l.gain()).collect();
        assert_eq!(gains, vec![1.0, 0.1, 0.01, 0.0]);
        let relevant: Vec<bool> = all.iter().map(|l| l.is_relevant()).collect();
        assert_eq!(relevant, vec![true, true, false, false]);
    }

    #[test]
    fn splits_parse() {
        assert_eq!(Split::parse("Train"), Some(Split::Train));
        assert_eq!(Split::parse("test"), Some(Split::Test));
        assert_eq!(Split::parse("dev"), None);
    }
}
