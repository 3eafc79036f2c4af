//! Properties of the analyzer on arbitrary input.

use esci_text::{Analyzer, AnalyzerConfig};
use proptest::prelude::*;

fn configs() -> impl Strategy<Value = AnalyzerConfig> {
    (any::<bool>(), any::<bool>()).prop_map(|(stem, stopwords)| AnalyzerConfig { stem, stopwords })
}

/// Text that exercises the connectors: product-like fragments mixed with noise.
fn producty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9]{1,8}",
        Just("-".to_owned()),
        Just(".".to_owned()),
        Just("/".to_owned()),
        Just(",".to_owned()),
        Just("'".to_owned()),
        Just("’".to_owned()),
        Just("'s".to_owned()),
        Just(" ".to_owned()),
        Just("é".to_owned()),
        Just("充".to_owned()),
        Just("\u{0301}".to_owned()),
        Just("½".to_owned()),
        Just("™".to_owned()),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

fn check(analyzer: &Analyzer, text: &str) -> Result<(), TestCaseError> {
    let mut streamed = Vec::new();
    analyzer.for_each_token(text, |t| streamed.push(t.to_owned()));
    for token in &streamed {
        prop_assert!(!token.is_empty());
        prop_assert!(token.len() <= Analyzer::MAX_TOKEN_BYTES, "{token:?}");
        prop_assert!(!token.chars().any(char::is_whitespace), "{token:?}");
        prop_assert_eq!(token, &token.to_lowercase());
    }
    prop_assert_eq!(&analyzer.analyze(text), &streamed);
    prop_assert_eq!(&analyzer.analyze(text), &streamed, "not deterministic");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_unicode(text in any::<String>(), config in configs()) {
        check(&Analyzer::new(config), &text)?;
    }

    #[test]
    fn product_like_text(text in producty(), config in configs()) {
        check(&Analyzer::new(config), &text)?;
    }

    #[test]
    fn case_and_width_do_not_matter(text in "[a-zA-Z0-9 .,/'-]{0,40}") {
        let analyzer = Analyzer::default();
        let upper = analyzer.analyze(&text.to_uppercase());
        prop_assert_eq!(analyzer.analyze(&text.to_lowercase()), upper);
        // Full-width forms normalise to ASCII under NFKC.
        let wide: String = text
            .chars()
            .map(|c| if c == ' ' { c } else { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) })
            .collect();
        prop_assert_eq!(analyzer.analyze(&wide), analyzer.analyze(&text));
    }

    #[test]
    fn chunks_analyze_independently(a in producty(), b in producty()) {
        let analyzer = Analyzer::default();
        let mut joined = analyzer.analyze(&a);
        joined.extend(analyzer.analyze(&b));
        prop_assert_eq!(analyzer.analyze(&format!("{a} {b}")), joined);
    }
}
