//! Text analysis for esci-search: the one analyzer that turns both product text
//! and queries into BM25 terms.
//!
//! Because documents and queries share [`Analyzer::for_each_token`], whatever a
//! rule does to a title it also does to a query, so "cordless drill 20V" and a
//! title "20v Cordless Drill" share their terms:
//!
//! ```
//! use esci_text::{Analyzer, AnalyzerConfig};
//! let analyzer = Analyzer::new(AnalyzerConfig::default());
//! assert_eq!(analyzer.analyze("DEWALT 20V Max Cordless Drills (Tool Only)"),
//!            ["dewalt", "20v", "max", "cordless", "drill", "tool"]);
//! ```
//!
//! The rules, in the order they apply:
//!
//! 1. **Unicode.** NFKC, lowercase, diacritics folded (`Café` -> `cafe`,
//!    full-width `２０Ｖ` -> `20v`, `Straße` -> `strasse`); typographic apostrophes,
//!    hyphens and fraction slashes become their ASCII forms, `×` becomes `x`, and
//!    `™` a space. Text that is ASCII skips all of this except lowercasing.
//! 2. **Tokens.** A token is a run of letters and digits. Inside a run holding
//!    digits, `.` and `/` between two digits and `,` before exactly three digits
//!    (a thousands separator, removed) stay, so measures and model numbers
//!    survive. A hyphen between two alphanumerics makes a compound: each part is a
//!    token, then the whole, joined without hyphens when alphabetic and with them
//!    when any part has a digit. Punctuation at the edges goes; a possessive `'s`
//!    goes; an apostrophe inside a word is dropped. (`x` between digits needs no
//!    rule: `2x4` is a single run of alphanumerics already.) So "usb c", "usb-c"
//!    and "usbc" all meet on some term, and "wd 40" finds "WD-40".
//!
//!    ```
//!    # let analyzer = esci_text::Analyzer::default();
//!    assert_eq!(analyzer.analyze("3.5mm (20v) 1/4 0.5cc 1,000"),
//!               ["3.5mm", "20v", "1/4", "0.5cc", "1000"]);
//!    assert_eq!(analyzer.analyze("13x5.00-6"), ["13x5.00", "6", "13x5.00-6"]);
//!    assert_eq!(analyzer.analyze("Wi-Fi USB-C"), ["wi", "fi", "wifi", "usb", "c", "usbc"]);
//!    assert_eq!(analyzer.analyze("Men's Levi's don't end."), ["men", "levi", "dont", "end"]);
//!    ```
//!
//!    CJK ideographs and kana are one token per character; other scripts follow
//!    the run-of-alphanumerics rule. Tokens over [`Analyzer::MAX_TOKEN_BYTES`]
//!    bytes are dropped.
//!
//!    ```
//!    # let analyzer = esci_text::Analyzer::default();
//!    assert_eq!(analyzer.analyze("Café iPhone充电器"), ["cafe", "iphon", "充", "电", "器"]);
//!    ```
//! 3. **Stopwords** (if [`AnalyzerConfig::stopwords`]): scikit-learn's English
//!    list minus words shoppers search for ("without", "up", "two", "top", "can",
//!    ...), checked on the lowercase token before stemming; see [`stopwords`].
//! 4. **Stemming** (if [`AnalyzerConfig::stem`]): English Snowball, memoised per
//!    thread. Only tokens of ASCII letters are stemmed: never one with a digit.
//!
//!    ```
//!    use esci_text::{Analyzer, AnalyzerConfig};
//!    let plain = Analyzer::new(AnalyzerConfig { stem: false, stopwords: false });
//!    assert_eq!(plain.analyze("The drills"), ["the", "drills"]);
//!    assert_eq!(Analyzer::default().analyze("The drills"), ["drill"]);
//!    ```
//!
//! No input makes the analyzer panic.
#![deny(missing_docs)]

mod analyzer;
mod config;
mod normalize;
mod packed;
mod stem;
pub mod stopwords;
mod tokenize;

pub use analyzer::Analyzer;
pub use config::AnalyzerConfig;
