//! One test per analyzer rule, through the public API with concrete inputs.

use esci_text::{Analyzer, AnalyzerConfig};

fn full(text: &str) -> Vec<String> {
    Analyzer::default().analyze(text)
}

fn plain(text: &str) -> Vec<String> {
    Analyzer::new(AnalyzerConfig {
        stem: false,
        stopwords: false,
    })
    .analyze(text)
}

#[test]
fn default_config_stems_and_drops_stopwords() {
    let config = AnalyzerConfig::default();
    assert!(config.stem && config.stopwords);
    assert_eq!(Analyzer::new(config).config(), config);
}

#[test]
fn documents_and_queries_share_tokens() {
    let analyzer = Analyzer::default();
    let query = analyzer.analyze("cordless drill 20V");
    let title = analyzer.analyze("20v Cordless Drill, Brushless, with 2 Batteries");
    for term in &query {
        assert!(title.contains(term), "{term} missing from {title:?}");
    }
    assert_eq!(query, ["cordless", "drill", "20v"]);
}

#[test]
fn model_numbers_and_measures_survive() {
    assert_eq!(
        plain("13x5.00-6 tire"),
        ["13x5.00", "6", "13x5.00-6", "tire"]
    );
    assert_eq!(plain("1/4 inch"), ["1/4", "inch"]);
    assert_eq!(plain("1-1/2\" pipe"), ["1", "1/2", "1-1/2", "pipe"]);
    assert_eq!(plain("0.5cc 3.5mm 20v"), ["0.5cc", "3.5mm", "20v"]);
    assert_eq!(plain("1,000 pcs"), ["1000", "pcs"]);
    assert_eq!(plain("1000 pcs"), ["1000", "pcs"]);
    assert_eq!(plain("SM-G960U"), ["sm", "g960u", "sm-g960u"]);
    assert_eq!(plain("2x4"), ["2x4"]);
    assert_eq!(plain("13×5"), ["13x5"]);
    assert_eq!(plain("1½ inch"), ["1", "1/2", "inch"]);
}

#[test]
fn numbers_are_never_stemmed() {
    assert_eq!(full("20vs 3.5mms 4ks"), ["20vs", "3.5mms", "4ks"]);
}

#[test]
fn edge_punctuation_is_dropped() {
    assert_eq!(plain("(20v)"), ["20v"]);
    assert_eq!(plain("the end."), ["the", "end"]);
    assert_eq!(plain("\"quoted\"; [list], {x}!?"), ["quoted", "list", "x"]);
    assert_eq!(plain("$19.99 / 50%"), ["19.99", "50"]);
    assert_eq!(
        plain("#1 best-seller!!!"),
        ["1", "best", "seller", "bestseller"]
    );
}

#[test]
fn hyphens_emit_parts_and_joined_form() {
    assert_eq!(plain("wi-fi"), ["wi", "fi", "wifi"]);
    assert_eq!(plain("T-Shirt"), ["t", "shirt", "tshirt"]);
    // A single-letter part is kept like any other: "usb c", "usb-c" and "usbc" all meet.
    assert_eq!(plain("USB-C"), ["usb", "c", "usbc"]);
    assert_eq!(full("usb c"), ["usb", "c"]);
    assert_eq!(full("usbc"), ["usbc"]);
    assert_eq!(plain("WD-40"), ["wd", "40", "wd-40"]);
    assert_eq!(full("state-of-the-art"), ["state", "art", "stateoftheart"]);
    // Typographic hyphens count, dashes separate.
    assert_eq!(
        plain("wi\u{2010}fi 10\u{2013}20"),
        ["wi", "fi", "wifi", "10", "20"]
    );
}

#[test]
fn possessives_are_dropped() {
    assert_eq!(plain("men's"), ["men"]);
    assert_eq!(plain("Women’s Boots"), ["women", "boots"]);
    assert_eq!(plain("kids' toys"), ["kids", "toys"]);
    assert_eq!(plain("don't"), ["dont"]);
}

#[test]
fn diacritics_fold_and_width_normalises() {
    assert_eq!(plain("Café Crème"), ["cafe", "creme"]);
    assert_eq!(plain("cafe\u{0301}"), ["cafe"]);
    assert_eq!(plain("ＵＳＢ－Ｃ ２０Ｖ"), ["usb", "c", "usbc", "20v"]);
    assert_eq!(plain("Nike™ Air"), ["nike", "air"]);
    assert_eq!(full("Pokémon cards"), full("pokemon cards"));
}

#[test]
fn cjk_is_one_token_per_character() {
    assert_eq!(plain("充电器"), ["充", "电", "器"]);
    assert_eq!(plain("USBケーブル"), ["usb", "ケ", "ー", "ブ", "ル"]);
    assert_eq!(plain("한국어"), ["한국어"]);
    assert_eq!(plain("кабель USB"), ["кабель", "usb"]);
}

#[test]
fn long_tokens_are_dropped() {
    let long = "a".repeat(65);
    let max = "b".repeat(64);
    assert_eq!(plain(&format!("{long} x {max}")), ["x", max.as_str()]);
    // The long joined form is dropped, its parts are kept.
    let part = "c".repeat(40);
    assert_eq!(
        plain(&format!("{part}-{part}")),
        [part.as_str(), part.as_str()]
    );
}

#[test]
fn stopwords_on_and_off() {
    let on = Analyzer::new(AnalyzerConfig {
        stem: false,
        stopwords: true,
    });
    assert_eq!(on.analyze("The case for an iPhone"), ["case", "iphone"]);
    assert_eq!(
        on.analyze("two pack without lid, up top"),
        ["two", "pack", "without", "lid", "up", "top"]
    );
    assert_eq!(
        plain("The case for an iPhone"),
        ["the", "case", "for", "an", "iphone"]
    );
}

#[test]
fn stemming_on_and_off() {
    let stem_only = Analyzer::new(AnalyzerConfig {
        stem: true,
        stopwords: false,
    });
    assert_eq!(
        stem_only.analyze("Running Shoes for Women"),
        ["run", "shoe", "for", "women"]
    );
    assert_eq!(plain("Running Shoes"), ["running", "shoes"]);
    assert_eq!(full("batteries battery"), ["batteri", "batteri"]);
}

#[test]
fn empty_and_blank_input() {
    for text in [
        "",
        " ",
        "\t\n \r",
        "\u{00A0}\u{3000}",
        "--- ... ,,,",
        "🙂🙂",
    ] {
        assert!(full(text).is_empty(), "{text:?}");
    }
}

#[test]
fn reentrant_calls_work() {
    let analyzer = Analyzer::default();
    let mut nested = Vec::new();
    analyzer.for_each_token("outer drills", |outer| {
        nested.push((outer.to_owned(), analyzer.analyze("inner batteries")));
    });
    let inner = vec!["inner".to_owned(), "batteri".to_owned()];
    assert_eq!(
        nested,
        [
            ("outer".to_owned(), inner.clone()),
            ("drill".to_owned(), inner)
        ]
    );
}

#[test]
fn analyzer_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Analyzer>();
    let analyzer = Analyzer::default();
    let expected = analyzer.analyze("cordless drills 20V");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(analyzer.analyze("cordless drills 20V"), expected));
        }
    });
}
