//! Unicode normalisation of one whitespace-free chunk of text.
//!
//! Only chunks holding a non-ASCII character come here: ASCII is already in NFKC
//! and the tokenizer lowercases it on the fly, so the common case costs nothing.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::decompose_canonical;

/// Combining diacritical marks (acute, grave, cedilla, umlaut, ...): the accents
/// that folding removes. Marks of other scripts (Devanagari vowel signs, Hebrew
/// points) carry meaning and are kept.
const DIACRITICS: std::ops::RangeInclusive<char> = '\u{0300}'..='\u{036F}';

/// Characters below this bound may decompose to a base letter plus a diacritic
/// (Latin, Greek, Cyrillic and their extended blocks all sit below it).
const FOLD_BOUND: char = '\u{2000}';

/// Writes the normalised form of `chunk` into `out` (cleared first): NFKC,
/// lowercase, diacritics folded, plus the few replacements listed below.
///
/// `pre` is scratch space for the pre-pass, reused between calls.
pub(crate) fn normalize_into(chunk: &str, pre: &mut String, out: &mut String) {
    pre.clear();
    for c in chunk.chars() {
        match c {
            // NFKC would glue "TM" onto the brand name ("Nike™" -> "niketm").
            '\u{2122}' | '\u{2120}' => pre.push(' '),
            // NFKC turns "1½" into "11⁄2"; keep the whole part apart from the fraction.
            '\u{00BC}'..='\u{00BE}' | '\u{2150}'..='\u{215F}' | '\u{2189}' => {
                pre.push(' ');
                pre.push(c);
            }
            _ => pre.push(c),
        }
    }
    out.clear();
    for c in pre.chars().nfkc() {
        for lower in c.to_lowercase() {
            fold_into(lower, out);
        }
    }
}

/// Appends `c` (already lowercase) to `out` with its diacritics removed and
/// typographic variants of the tokenizer's connectors mapped to ASCII.
fn fold_into(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c);
        return;
    }
    match c {
        // Letters that carry no separable accent but are commonly typed without one.
        'ß' => out.push_str("ss"),
        'æ' => out.push_str("ae"),
        'œ' => out.push_str("oe"),
        'þ' => out.push_str("th"),
        'ø' => out.push('o'),
        'đ' | 'ð' => out.push('d'),
        'ł' => out.push('l'),
        'ı' => out.push('i'),
        // Connectors, so that "men’s", "13×5" and "1⁄2" tokenize like their ASCII forms.
        '\u{2018}' | '\u{2019}' | '\u{02BC}' => out.push('\''),
        '\u{2010}' | '\u{2011}' | '\u{2212}' => out.push('-'),
        '\u{2044}' | '\u{2215}' => out.push('/'),
        '\u{00D7}' => out.push('x'),
        // Invisible joiners and the soft hyphen: drop, so the word stays whole.
        '\u{00AD}' | '\u{200C}' | '\u{200D}' | '\u{2060}' => {}
        _ if DIACRITICS.contains(&c) => {}
        _ if c < FOLD_BOUND => fold_decomposed(c, out),
        _ => out.push(c),
    }
}

/// Replaces a precomposed letter by its base letter(s) when its canonical
/// decomposition holds a diacritic; leaves every other character intact (Hangul
/// syllables, for one, decompose into jamo but are kept whole).
fn fold_decomposed(c: char, out: &mut String) {
    let mut parts = ['\0'; 8];
    let mut len = 0;
    let mut accented = false;
    decompose_canonical(c, |d| {
        if DIACRITICS.contains(&d) {
            accented = true;
        } else if len < parts.len() {
            parts[len] = d;
            len += 1;
        }
    });
    if accented {
        for &d in &parts[..len] {
            out.push(d);
        }
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        let (mut pre, mut out) = (String::new(), String::new());
        normalize_into(s, &mut pre, &mut out);
        out
    }

    #[test]
    fn folds_diacritics_and_case() {
        assert_eq!(norm("Café"), "cafe");
        assert_eq!(norm("CAFE\u{0301}"), "cafe"); // decomposed input
        assert_eq!(norm("Crème-Brûlée"), "creme-brulee");
        assert_eq!(norm("Ñandú"), "nandu");
        assert_eq!(norm("Tiếng"), "tieng");
        assert_eq!(norm("Straße"), "strasse");
        assert_eq!(norm("Øresund"), "oresund");
        assert_eq!(norm("İstanbul"), "istanbul");
    }

    #[test]
    fn nfkc_compatibility_forms() {
        assert_eq!(norm("ＵＳＢ－Ｃ"), "usb-c");
        assert_eq!(norm("２０Ｖ"), "20v");
        assert_eq!(norm("ﬁle"), "file");
        assert_eq!(norm("3㎜"), "3mm");
        assert_eq!(norm("a\u{00A0}b"), "a b");
    }

    #[test]
    fn product_specific_replacements() {
        assert_eq!(norm("Nike™"), "nike ");
        assert_eq!(norm("1½"), "1 1/2");
        assert_eq!(norm("13×5"), "13x5");
        assert_eq!(norm("Men’s"), "men's");
        assert_eq!(norm("wi\u{00AD}fi"), "wifi");
    }

    #[test]
    fn other_scripts_are_kept() {
        assert_eq!(norm("한국어"), "한국어");
        assert_eq!(norm("日本"), "日本");
        assert_eq!(norm("हिन्दी"), "हिन्दी");
        assert_eq!(norm("ПРИВЕТ"), "привет");
    }
}
