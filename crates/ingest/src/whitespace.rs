//! Whitespace normalisation, and the two cleaning pipelines built on it.
//!
//! Every index tokenises on whitespace anyway, but stored text is also shown to users
//! and fed to neural encoders, where stray tabs, `\r\n` and runs of spaces waste tokens
//! and make identical products look different. Bullets are the one field whose line
//! structure carries meaning (ESCI stores one bullet per line), so they get
//! [`normalize_lines`]; every other field gets [`normalize_whitespace`].

use crate::html::strip_html_cow;

/// Characters that end a line: `\n`, `\r`, vertical tab, form feed, NEL, U+2028/2029.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Characters that separate words: Unicode whitespace (including line breaks and
/// no-break space) and control characters, which have no business in product text.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

/// Bytes that may start whitespace or a control character: ASCII up to the space, DEL,
/// and the UTF-8 lead bytes of U+0080-U+00BF, U+1680, U+2000-U+205F and U+3000, which
/// hold every non-ASCII whitespace and control character.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b <= 0x20 || b == 0x7f || b == 0xc2 || b == 0xe1 || b == 0xe2 || b == 0xe3;
        b += 1;
    }
    table
};

/// Bytes that may start a line break: `\n`, `\r`, VT, FF, and the lead bytes of NEL and
/// U+2028/2029.
const LINE_SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b == 0x0a || b == 0x0b || b == 0x0c || b == 0x0d || b == 0xc2 || b == 0xe2;
        b += 1;
    }
    table
};

/// Collapses every run of whitespace (line breaks included) and control characters to
/// one space and trims both ends.
///
/// Idempotent, and never panics.
pub fn normalize_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(&mut out, s);
    out
}

/// Appends `s` normalised to `out`.
///
/// This is the hot loop of ingestion (every field of every product passes through it),
/// so it works on bytes: a table lookup finds the few bytes that can start whitespace,
/// and text between them, single spaces included, is copied in one piece.
fn normalize_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let n = bytes.len();
    let (mut i, mut pending_space, mut wrote) = (0, false, false);
    while i < n {
        if !SPECIAL[bytes[i] as usize] {
            // A clean chunk: non-special bytes and single spaces between them.
            let start = i;
            loop {
                i = skip_clean_blocks(bytes, i);
                while i < n && !SPECIAL[bytes[i] as usize] {
                    i += 1;
                }
                if i + 1 < n && bytes[i] == b' ' && !SPECIAL[bytes[i + 1] as usize] {
                    i += 1;
                } else {
                    break;
                }
            }
            if pending_space && wrote {
                out.push(' ');
            }
            out.push_str(&s[start..i]);
            (pending_space, wrote) = (false, true);
        } else if bytes[i] < 0x80 {
            pending_space = true;
            i += 1;
        } else {
            // A lead byte: decode the character to see whether it is a space.
            let Some(c) = s[i..].chars().next() else {
                break;
            };
            if is_space(c) {
                pending_space = true;
            } else {
                if pending_space && wrote {
                    out.push(' ');
                }
                out.push(c);
                (pending_space, wrote) = (false, true);
            }
            i += c.len_utf8();
        }
    }
}

/// Width of the blocks [`skip_clean_blocks`] checks at once.
const BLOCK: usize = 32;

/// Skips whole blocks of already-normal text from `i`, a non-special byte: blocks with
/// no special byte other than spaces, each space followed by a non-special byte. The
/// check is branch-free over a fixed-size block so the compiler vectorises it; most
/// product text is clean, and this is what makes normalising it cost little more than
/// copying it.
fn skip_clean_blocks(bytes: &[u8], mut i: usize) -> usize {
    fn special(b: u8) -> bool {
        (b <= b' ') | (b == 0x7f) | (b == 0xc2) | (b.wrapping_sub(0xe1) <= 2)
    }
    while let Some(window) = bytes.get(i..i + BLOCK + 1) {
        let mut irregular = false;
        for j in 0..BLOCK {
            let (b, next) = (window[j], window[j + 1]);
            irregular |= (special(b) & (b != b' ')) | ((b == b' ') & special(next));
        }
        if irregular {
            break;
        }
        i += BLOCK;
    }
    i
}

/// Normalises each line with [`normalize_whitespace`], drops empty lines and joins the
/// rest with a single `\n` (so `\r\n` endings and blank lines disappear).
///
/// Idempotent, and never panics.
pub fn normalize_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let (mut i, mut line_start) = (0, 0);
    while i < bytes.len() {
        if !LINE_SPECIAL[bytes[i] as usize] {
            i += 1;
            continue;
        }
        let break_len = match s[i..].chars().next() {
            Some(c) if is_line_break(c) => c.len_utf8(),
            _ => 0,
        };
        if break_len == 0 {
            i += 1;
        } else {
            push_line(&mut out, &s[line_start..i]);
            i += break_len;
            line_start = i;
        }
    }
    push_line(&mut out, &s[line_start..]);
    out
}

/// Appends a normalised line, preceded by `\n` unless first; nothing if it is blank.
fn push_line(out: &mut String, line: &str) {
    let mark = out.len();
    if !out.is_empty() {
        out.push('\n');
    }
    let text_start = out.len();
    normalize_into(out, line);
    if out.len() == text_start {
        out.truncate(mark);
    }
}

/// The cleaning of single-line fields: [`crate::strip_html`] then
/// [`normalize_whitespace`].
pub fn clean_text(s: &str) -> String {
    normalize_whitespace(&strip_html_cow(s))
}

/// The cleaning of bullets: [`crate::strip_html`] (block tags become line breaks) then
/// [`normalize_lines`].
pub fn clean_lines(s: &str) -> String {
    normalize_lines(&strip_html_cow(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious char-by-char definition the fast version must match.
    fn naive(s: &str) -> String {
        s.split(is_space)
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn fast_path_matches_definition_on_every_space_and_control() {
        let specials: String = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|&c| is_space(c) || c as u32 >= 0x80)
            .collect();
        let text = format!("a{specials}b \u{85}c\u{a0}\u{3000}d\u{2029}é\u{1680}x");
        assert_eq!(normalize_whitespace(&text), naive(&text));
        for c in specials.chars() {
            let text = format!(" x{c}y{c} ");
            assert_eq!(normalize_whitespace(&text), naive(&text), "{:x}", c as u32);
        }
    }

    #[test]
    fn collapses_and_trims() {
        assert_eq!(normalize_whitespace("  a \t\t b\r\n c  "), "a b c");
        assert_eq!(normalize_whitespace("a\u{a0}\u{a0}b\u{3000}c"), "a b c");
        assert_eq!(normalize_whitespace("a\u{0}b"), "a b");
        assert_eq!(normalize_whitespace(" \n\t "), "");
    }

    #[test]
    fn keeps_non_empty_lines() {
        assert_eq!(
            normalize_lines("one  bullet\r\n\r\n  two\n\n"),
            "one bullet\ntwo"
        );
        assert_eq!(normalize_lines("\n \n"), "");
        assert_eq!(
            clean_lines("<ul><li>Soft&nbsp;cotton</li><li>Machine wash</li></ul>"),
            "Soft cotton\nMachine wash"
        );
        assert_eq!(clean_text("Line one<br>Line  two"), "Line one Line two");
    }
}
