//! Product-aware tokenizer: turns normalised text into raw (unfiltered) tokens.
//!
//! A token is a run of alphanumerics. Punctuation normally separates tokens, but
//! a few connectors stay inside one so that measures and model numbers survive:
//!
//! * `.` and `/` between two digits: `3.5mm`, `0.5cc`, `1/4`, `v2.1`;
//! * `,` as a thousands separator (a digit before, exactly three digits after):
//!   dropped, so `1,000` and `1000` are the same token; `6,7,8` is a list;
//! * `'` between letters is dropped (`o'neill` -> `oneill`), and a possessive
//!   `'s` ends the word (`men's` -> `men`);
//! * `-` between two alphanumerics joins a compound: each part is a token, and so
//!   is the whole, with the hyphens when any part has a digit (`wd-40`,
//!   `13x5.00-6`) and without them otherwise (`wi-fi` -> `wifi`).
//!
//! CJK ideographs and kana become one token per character.

/// Emitted for each raw token: the token (lowercase, never empty) and whether it
/// holds a digit.
pub(crate) type RawSink<'a> = dyn FnMut(&str, bool) + 'a;

/// What a character does to the token being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Alphanumeric: part of a token.
    Word,
    /// A combining mark: continues a token, never starts one.
    Mark,
    /// A CJK ideograph or kana: a token on its own.
    Cjk,
    /// One of the connectors `. / - , '`: depends on its neighbours.
    Connector,
    /// Anything else: whitespace, punctuation, symbols.
    Break,
}

fn class(c: char) -> Class {
    if c.is_ascii() {
        return match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' => Class::Word,
            '.' | '/' | '-' | ',' | '\'' => Class::Connector,
            _ => Class::Break,
        };
    }
    if is_cjk(c) && c.is_alphanumeric() {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else if unicode_normalization::char::is_combining_mark(c) {
        Class::Mark
    } else {
        Class::Break
    }
}

/// Han ideographs, hiragana and katakana: scripts written without spaces, where
/// one character per token is the simple, robust choice.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3005}'..='\u{3007}'
        | '\u{3040}'..='\u{30FF}'
        | '\u{31F0}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// Whether `c` counts as a digit (ASCII or any other Unicode number).
pub(crate) fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| class(c) == Class::Word)
}

fn lower(c: char) -> char {
    c.to_ascii_lowercase()
}

/// Reusable buffers of the tokenizer; one per thread.
#[derive(Debug, Default)]
pub(crate) struct Tokenizer {
    /// The current hyphen-separated part.
    part: String,
    part_digit: bool,
    /// The whole compound so far, parts joined by `-`.
    whole: String,
    parts: usize,
    whole_digit: bool,
    /// `whole` without its hyphens, for alphabetic compounds.
    joined: String,
}

impl Tokenizer {
    /// Splits `text` into raw tokens. ASCII letters are lowercased here; any other
    /// character must already be normalised (see `normalize_into`).
    pub(crate) fn run(&mut self, text: &str, sink: &mut RawSink<'_>) {
        self.reset();
        // The previous character when it was part of the token being built.
        let mut prev: Option<char> = None;
        let mut chars = text.char_indices();
        while let Some((i, c)) = chars.next() {
            match class(c) {
                Class::Word => {
                    self.push(lower(c));
                    prev = Some(c);
                    continue;
                }
                Class::Mark if prev.is_some() => {
                    self.part.push(c);
                    continue;
                }
                Class::Mark | Class::Break => self.end_word(sink),
                Class::Cjk => {
                    self.end_word(sink);
                    let mut buf = [0u8; 4];
                    sink(c.encode_utf8(&mut buf), is_digit(c));
                }
                Class::Connector => {
                    let rest = &text[i + c.len_utf8()..];
                    let next = rest.chars().next();
                    let after_digit = prev.is_some_and(is_digit);
                    match c {
                        '.' | '/' if after_digit && next.is_some_and(is_digit) => {
                            self.part.push(c);
                        }
                        ',' if after_digit && is_thousands(rest) => {}
                        '\'' if prev.is_some() && is_possessive(rest) => {
                            // Possessive: drop the `'s` and end the word.
                            chars.next();
                            self.end_word(sink);
                        }
                        '\'' if prev.is_some_and(char::is_alphabetic)
                            && next.is_some_and(|n| n.is_alphabetic() && is_word(Some(n))) => {}
                        '-' if prev.is_some() && is_word(next) => self.end_part(sink, true),
                        _ => self.end_word(sink),
                    }
                }
            }
            prev = None;
        }
        self.end_word(sink);
    }

    fn reset(&mut self) {
        self.part.clear();
        self.part_digit = false;
        self.whole.clear();
        self.parts = 0;
        self.whole_digit = false;
    }

    fn push(&mut self, c: char) {
        self.part_digit |= is_digit(c);
        self.part.push(c);
    }

    /// Emits the current part; `hyphen` when a further part of the same compound follows.
    fn end_part(&mut self, sink: &mut RawSink<'_>, hyphen: bool) {
        if !self.part.is_empty() {
            sink(&self.part, self.part_digit);
            if self.parts > 0 {
                self.whole.push('-');
            }
            self.whole.push_str(&self.part);
            self.parts += 1;
            self.whole_digit |= self.part_digit;
            self.part.clear();
            self.part_digit = false;
        }
        if !hyphen {
            self.end_compound(sink);
        }
    }

    /// Ends the current token, emitting the joined compound if it had several parts.
    fn end_word(&mut self, sink: &mut RawSink<'_>) {
        self.end_part(sink, false);
    }

    fn end_compound(&mut self, sink: &mut RawSink<'_>) {
        if self.parts > 1 {
            if self.whole_digit {
                sink(&self.whole, true);
            } else {
                self.joined.clear();
                self.joined.extend(self.whole.chars().filter(|&c| c != '-'));
                sink(&self.joined, false);
            }
        }
        self.whole.clear();
        self.parts = 0;
        self.whole_digit = false;
    }
}

/// Whether `rest` (the text after an apostrophe) is a possessive `s` ending the word.
fn is_possessive(rest: &str) -> bool {
    let mut ahead = rest.chars();
    ahead.next().map(lower) == Some('s') && !is_word(ahead.next())
}

/// Whether `rest` (the text after a comma) starts with exactly three digits, as
/// after a thousands separator.
fn is_thousands(rest: &str) -> bool {
    let mut ahead = rest.chars();
    (0..3).all(|_| ahead.next().is_some_and(is_digit)) && !ahead.next().is_some_and(is_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Tokenizer::default().run(text, &mut |t, _| out.push(t.to_owned()));
        out
    }

    #[test]
    fn measures_and_model_numbers_stay_whole() {
        assert_eq!(raw("3.5mm jack"), ["3.5mm", "jack"]);
        assert_eq!(raw("0.5cc"), ["0.5cc"]);
        assert_eq!(raw("1/4 inch"), ["1/4", "inch"]);
        assert_eq!(raw("(20V)"), ["20v"]);
        assert_eq!(raw("v2.1.3"), ["v2.1.3"]);
        assert_eq!(raw("13x5.00-6"), ["13x5.00", "6", "13x5.00-6"]);
        assert_eq!(raw("WD-40"), ["wd", "40", "wd-40"]);
    }

    #[test]
    fn thousands_separator_is_dropped_but_lists_split() {
        assert_eq!(raw("1,000"), ["1000"]);
        assert_eq!(raw("$1,299.99"), ["1299.99"]);
        assert_eq!(raw("10,000,000mah"), ["10000000mah"]);
        assert_eq!(raw("6,7,8"), ["6", "7", "8"]);
        assert_eq!(raw("1,0000"), ["1", "0000"]);
        assert_eq!(raw("red,blue"), ["red", "blue"]);
    }

    #[test]
    fn punctuation_at_the_edges_is_dropped() {
        assert_eq!(raw("end."), ["end"]);
        assert_eq!(raw("...-5,"), ["5"]);
        assert_eq!(raw("e.g. this"), ["e", "g", "this"]);
        assert_eq!(raw("3.5."), ["3.5"]);
        assert_eq!(raw("a/b"), ["a", "b"]);
        assert_eq!(raw("12v/24v"), ["12v", "24v"]);
        assert_eq!(raw("50% off!"), ["50", "off"]);
    }

    #[test]
    fn hyphenated_words_emit_parts_and_joined_form() {
        assert_eq!(raw("Wi-Fi"), ["wi", "fi", "wifi"]);
        assert_eq!(raw("t-shirt"), ["t", "shirt", "tshirt"]);
        assert_eq!(raw("usb-c"), ["usb", "c", "usbc"]);
        assert_eq!(raw("3-pack"), ["3", "pack", "3-pack"]);
        assert_eq!(raw("well--known"), ["well", "known"]);
        assert_eq!(raw("-x-"), ["x"]);
    }

    #[test]
    fn apostrophes() {
        assert_eq!(raw("Men's shoes"), ["men", "shoes"]);
        assert_eq!(raw("MEN'S"), ["men"]);
        assert_eq!(raw("kids' toys"), ["kids", "toys"]);
        assert_eq!(raw("don't"), ["dont"]);
        assert_eq!(raw("O'Neill"), ["oneill"]);
        assert_eq!(raw("90's"), ["90"]);
        assert_eq!(raw("5'7"), ["5", "7"]);
        assert_eq!(raw("it'sy"), ["itsy"]);
    }

    #[test]
    fn cjk_characters_are_single_tokens() {
        assert_eq!(raw("iphone充电器"), ["iphone", "充", "电", "器"]);
        assert_eq!(raw("ケーブル"), ["ケ", "ー", "ブ", "ル"]);
        assert_eq!(raw("한국어 키보드"), ["한국어", "키보드"]);
    }

    #[test]
    fn empty_and_blank() {
        assert!(raw("").is_empty());
        assert!(raw(" \t\n ").is_empty());
        assert!(raw("-/.,'").is_empty());
    }

    #[test]
    fn reports_digits() {
        let mut out = Vec::new();
        Tokenizer::default().run("usb-3 cable", &mut |t, d| out.push((t.to_owned(), d)));
        let expected = [
            ("usb", false),
            ("3", true),
            ("usb-3", true),
            ("cable", false),
        ];
        let expected: Vec<_> = expected.iter().map(|&(t, d)| (t.to_owned(), d)).collect();
        assert_eq!(out, expected);
    }
}
