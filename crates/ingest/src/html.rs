//! HTML tag stripping and entity decoding for product text.
//!
//! ESCI descriptions were scraped from product pages and many carry markup
//! (`<p>`, `<br>`, `<b>`, `&amp;`, `&#39;`). Tokens like `br` or `amp` would otherwise
//! pollute every index. The stripper is deliberately conservative, because titles
//! legitimately contain `<` and `&` ("Buy 2 <3", "Tom & Jerry"):
//!
//! - only tags with a known HTML element name (or a namespaced one like Word's `<o:p>`)
//!   are removed, together with comments and `<!DOCTYPE>`/`<?xml?>` declarations;
//!   a `<` that does not open such a tag closed by `>` stays literal text;
//! - block-level tags (`<br>`, `</p>`, `</li>`, `<div>`, ...) become a line break, so
//!   paragraphs and list items stay separate lines (bullets keep them, other fields turn
//!   them into spaces); inline tags (`<b>`, `<span>`, `<a>`, ...) vanish without a trace,
//!   as a browser renders `foo<b>bar</b>` as `foobar`; other tags (`<td>`, `<img>`)
//!   become a space;
//! - `<script>` and `<style>` lose their content too;
//! - entities are decoded outside tags: the five XML ones, `&nbsp;` and a few common
//!   typographic names, plus numeric `&#NNN;` / `&#xHH;`. Unknown names stay literal;
//! - scraped text is often escaped twice (`&lt;li&gt;Soft&lt;/li&gt;`,
//!   `25&amp;ldquo;`), so when a first pass decoded something that still looks like
//!   markup, a second pass runs, and stops there. Product text that means the literal
//!   characters `&lt;` is far rarer than markup escaped twice.

use std::borrow::Cow;

/// Removes HTML tags and decodes entities; see the module docs for the exact rules.
///
/// Never panics, whatever the input. Whitespace is left alone: follow with
/// [`crate::normalize_whitespace`].
pub fn strip_html(s: &str) -> String {
    strip_html_cow(s).into_owned()
}

/// [`strip_html`] without a copy when there is nothing to strip (the common case).
pub(crate) fn strip_html_cow(s: &str) -> Cow<'_, str> {
    match strip_once(s) {
        (Cow::Owned(once), true) if next_markup(once.as_bytes(), 0).is_some() => {
            Cow::Owned(strip_once(&once).0.into_owned())
        }
        (once, _) => once,
    }
}

/// Position of the next `<` or `&` at or after `from`.
///
/// Most text has none, so whole blocks are tested first with a branch-free check the
/// compiler vectorises.
fn next_markup(bytes: &[u8], from: usize) -> Option<usize> {
    const BLOCK: usize = 32;
    let mut i = from;
    while let Some(block) = bytes.get(i..i + BLOCK) {
        if block
            .iter()
            .fold(false, |any, &b| any | (b == b'<') | (b == b'&'))
        {
            break;
        }
        i += BLOCK;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&b| b == b'<' || b == b'&')
        .map(|offset| i + offset)
}

/// One level of stripping and decoding; also says whether an entity was decoded (only
/// then can a second level hide behind it).
fn strip_once(s: &str) -> (Cow<'_, str>, bool) {
    let bytes = s.as_bytes();
    let Some(first) = next_markup(bytes, 0) else {
        return (Cow::Borrowed(s), false);
    };
    let mut out = String::with_capacity(s.len());
    let mut decoded = false;
    // `<` and `&` are ASCII, so every index where we cut is a char boundary.
    let (mut at, mut literal_from) = (first, 0);
    loop {
        out.push_str(&s[literal_from..at]);
        literal_from = at;
        let end = if bytes[at] == b'<' {
            tag_at(s, at).map(|(replacement, end)| {
                out.push_str(replacement);
                end
            })
        } else {
            entity_at(s, at).map(|(text, end)| {
                decoded = true;
                match text {
                    Decoded::Str(text) => out.push_str(text),
                    Decoded::Char(c) => out.push(c),
                }
                end
            })
        };
        let resume = match end {
            Some(end) => {
                literal_from = end;
                end
            }
            None => at + 1,
        };
        match next_markup(bytes, resume) {
            Some(next) => at = next,
            None => break,
        }
    }
    out.push_str(&s[literal_from..]);
    (Cow::Owned(out), decoded)
}

/// What a tag turns into.
const BREAK: &str = "\n";
const NOTHING: &str = "";
const SPACE: &str = " ";

/// Elements rendered on their own line.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];

/// Elements rendered inline, adding no separation of their own.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "dfn", "em", "font", "i", "ins", "kbd",
    "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "tt", "u",
    "var", "wbr",
];

/// Other known elements: removed, leaving a space.
const OTHER: &[&str] = &[
    "area", "audio", "body", "button", "caption", "center", "col", "colgroup", "del", "embed",
    "form", "head", "html", "iframe", "img", "input", "label", "link", "meta", "noscript",
    "object", "option", "param", "picture", "script", "select", "source", "style", "svg", "td",
    "textarea", "th", "title", "video",
];

/// A tag starting at `start` (a `<`): its replacement and the index after it.
fn tag_at(s: &str, start: usize) -> Option<(&'static str, usize)> {
    let rest = &s[start + 1..];
    if let Some(comment) = rest.strip_prefix("!--") {
        let end = comment.find("-->")?;
        return Some((NOTHING, start + 4 + end + 3));
    }
    let close = tag_end(rest)?;
    let inner = &rest[..close];
    let end = start + 1 + close + 1;
    if inner.starts_with('!') || inner.starts_with('?') {
        return Some((NOTHING, end));
    }
    let (closing, body) = match inner.strip_prefix('/') {
        Some(body) => (true, body),
        None => (false, inner),
    };
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == ':' || c == '-'))
        .unwrap_or(body.len());
    let name = &body[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    // After the name comes whitespace, `/` or the end: `<bx` is not a `<b>` tag.
    let after = &body[name_len..];
    if !(after.is_empty() || after.starts_with(|c: char| c.is_whitespace() || c == '/')) {
        return None;
    }
    let name = name.to_ascii_lowercase();
    let replacement = if BLOCK.contains(&name.as_str()) {
        BREAK
    } else if INLINE.contains(&name.as_str()) {
        NOTHING
    } else if OTHER.contains(&name.as_str()) || name.contains(':') || name.contains('-') {
        SPACE
    } else {
        return None;
    };
    if !closing && !inner.ends_with('/') && (name == "script" || name == "style") {
        return Some((SPACE, skip_raw_text(s, end, &name)));
    }
    Some((replacement, end))
}

/// Index of the `>` closing a tag, unless another `<` comes first (then the first `<`
/// was literal text, as in `a < b <br>`).
fn tag_end(rest: &str) -> Option<usize> {
    let end = rest.find(['<', '>'])?;
    (rest.as_bytes()[end] == b'>').then_some(end)
}

/// The index after `</name ...>` following `from`, or `from` when it never closes.
fn skip_raw_text(s: &str, from: usize, name: &str) -> usize {
    let haystack = s[from..].to_ascii_lowercase();
    let needle = format!("</{name}");
    match haystack.find(&needle) {
        Some(pos) => match haystack[pos..].find('>') {
            Some(gt) => from + pos + gt + 1,
            None => s.len(),
        },
        None => from,
    }
}

/// The text of an entity.
enum Decoded {
    Str(&'static str),
    Char(char),
}

/// An entity starting at `start` (an `&`): its text and the index after it.
///
/// Named entities need their `;`. Numeric ones may omit it, as HTML5 allows and scraped
/// descriptions do (`&#8226 5-tier`): the digits end the reference.
fn entity_at(s: &str, start: usize) -> Option<(Decoded, usize)> {
    let rest = &s[start + 1..];
    if let Some(number) = rest.strip_prefix('#') {
        let (radix, prefix) = if number.starts_with(['x', 'X']) {
            (16, 1)
        } else {
            (10, 0)
        };
        let digits = &number[prefix..];
        let len = digits
            .bytes()
            .take_while(|&b| char::from(b).is_digit(radix))
            .count();
        let code = parse_digits(&digits[..len], radix)?;
        let mut end = start + 2 + prefix + len;
        if s.as_bytes().get(end) == Some(&b';') {
            end += 1;
        }
        return Some((Decoded::Char(numeric_char(code)), end));
    }
    // The longest name we decode is short; bound the search so `&` in prose is cheap.
    let window = &rest.as_bytes()[..rest.len().min(10)];
    let semi = window.iter().position(|&b| b == b';')?;
    Some((Decoded::Str(named(&rest[..semi])?), start + 1 + semi + 1))
}

fn parse_digits(digits: &str, radix: u32) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    // Too many digits is out of range rather than not-an-entity.
    Some(u32::from_str_radix(digits, radix).unwrap_or(u32::MAX))
}

/// The character of a numeric reference, as HTML5 decodes it: NUL, surrogates and
/// out-of-range codes become U+FFFD, and 0x80-0x9F are read as Windows-1252 (scraped
/// pages often say `&#146;` meaning a right quote).
fn numeric_char(code: u32) -> char {
    const CP1252: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match code {
        0 => char::REPLACEMENT_CHARACTER,
        0x80..=0x9F => CP1252[(code - 0x80) as usize],
        _ => char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
    }
}

fn named(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "shy" => "",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "hellip" => "…",
        "bull" => "•",
        "middot" => "·",
        "trade" => "™",
        "reg" => "®",
        "copy" => "©",
        "deg" => "°",
        "times" => "×",
        "plusmn" => "±",
        "micro" => "µ",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "sup2" => "²",
        "sup3" => "³",
        "euro" => "€",
        "pound" => "£",
        "cent" => "¢",
        "yen" => "¥",
        "eacute" => "é",
        _ => return None,
    })
}
