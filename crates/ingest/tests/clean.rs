//! HTML stripping, entity decoding and whitespace normalisation: worked cases from
//! real ESCI descriptions, and properties over arbitrary strings.

use esci_ingest::{clean_lines, clean_text, normalize_lines, normalize_whitespace, strip_html};
use proptest::prelude::*;

#[test]
fn strips_tags_and_breaks_blocks() {
    assert_eq!(strip_html("a<br>b<BR/>c<br />d"), "a\nb\nc\nd");
    assert_eq!(strip_html("<p>One.</p><p>Two</p>"), "\nOne.\n\nTwo\n");
    assert_eq!(
        strip_html("<ul><li>x</li><li>y</li></ul>"),
        "\n\nx\n\ny\n\n"
    );
    assert_eq!(
        strip_html("foo<b>bar</b> <span class=\"x\">baz</span>"),
        "foobar baz"
    );
    assert_eq!(strip_html("a<td>b</td><td>c"), "a b  c");
    assert_eq!(strip_html("x<!-- hidden <b> -->y<!DOCTYPE html>z"), "xyz");
    assert_eq!(
        strip_html("a<script>var x = '<b>';</script>b<style>p{}</style>c"),
        "a b c"
    );
    assert_eq!(strip_html("Word<o:p></o:p>doc"), "Word  doc");
}

#[test]
fn leaves_text_that_is_not_a_tag() {
    for text in [
        "Kids <3 Toys",
        "Impedance:<200Ω",
        "size < 10 and > 5",
        "a <b and c",
        "x<y and y>z",
        "<Size M>",
        "< br />",
        "unclosed <!-- comment",
        "Settings>Accessibility",
    ] {
        assert_eq!(strip_html(text), text);
    }
    // A `<` that never closes before the next tag is literal; the tag still goes.
    assert_eq!(strip_html("a < b <br>c"), "a < b \nc");
}

#[test]
fn decodes_entities() {
    assert_eq!(
        strip_html("Tom &amp; Jerry &lt;3 &gt; &quot;q&quot; it&#39;s&nbsp;x"),
        "Tom & Jerry <3 > \"q\" it's\u{a0}x"
    );
    assert_eq!(strip_html("&#233;t&#xE9; &#X41;"), "été A");
    assert_eq!(strip_html("&#8226 5-tier &#127752The"), "• 5-tier 🌈The");
    assert_eq!(
        strip_html("it&#146;s &#0; &#xD800; &#99999999999;"),
        "it’s \u{fffd} \u{fffd} \u{fffd}"
    );
    assert_eq!(strip_html("25&rdquo; &mdash; 50&deg;"), "25” — 50°");
    for literal in ["AT&T", "a & b", "&unknown;", "&amp", "&#;", "&#x;", "R&D;"] {
        assert_eq!(strip_html(literal), literal);
    }
}

#[test]
fn decodes_markup_escaped_twice() {
    assert_eq!(
        strip_html("<p>&lt;ul&gt;&lt;li&gt;Soft&lt;/li&gt;&lt;li&gt;25&amp;ldquo; wide&lt;/li&gt;"),
        "\n\n\nSoft\n\n25“ wide\n"
    );
    assert_eq!(strip_html("&amp;amp;"), "&");
    // Two levels at most.
    assert_eq!(strip_html("&amp;amp;amp;"), "&amp;");
}

#[test]
fn normalises_whitespace() {
    assert_eq!(
        normalize_whitespace("  Soft \t cotton\r\n tee  "),
        "Soft cotton tee"
    );
    assert_eq!(normalize_whitespace("a\u{a0}b\u{2028}c\u{0}d"), "a b c d");
    assert_eq!(normalize_whitespace(""), "");
    assert_eq!(
        normalize_lines(" one \r\n\r\n two  three \n\n"),
        "one\ntwo three"
    );
}

#[test]
fn cleaning_pipelines() {
    let description = "<p>Big&nbsp;&nbsp;mug.</p>\n<p>Holds 12&nbsp;oz</p>";
    assert_eq!(clean_text(description), "Big mug. Holds 12 oz");
    assert_eq!(clean_lines(description), "Big mug.\nHolds 12 oz");
    assert_eq!(
        clean_lines("Fits all<br><br>Dishwasher safe\n\n"),
        "Fits all\nDishwasher safe"
    );
    assert_eq!(clean_text("<br>"), "");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn never_panic_and_normalise_idempotently(s in any::<String>()) {
        let stripped = strip_html(&s);
        let once = normalize_whitespace(&stripped);
        prop_assert_eq!(normalize_whitespace(&once), once.clone());
        prop_assert_eq!(once.trim(), once.as_str());
        prop_assert!(!once.contains("  "));
        let lines = normalize_lines(&s);
        prop_assert_eq!(normalize_lines(&lines), lines.clone());
        prop_assert!(!lines.contains("\n\n"));
    }

    #[test]
    fn never_panic_on_markup_soup(s in "([<>&#;/a-zA-Z0-9 !\\-\"'=]|br|li|amp|&#x|<!--|-->|\u{e9}|\u{1F308}){0,64}") {
        let stripped = strip_html(&s);
        let clean = clean_text(&s);
        prop_assert_eq!(normalize_whitespace(&clean), clean.clone());
        // Stripping only ever removes or decodes: never grows the text by more than
        // the decoded characters (at most 4 bytes for a 3+ byte reference).
        prop_assert!(stripped.len() <= s.len() * 2);
    }
}
