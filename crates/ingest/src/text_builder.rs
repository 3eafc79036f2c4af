//! The single text of a product, for neural encoders and display.
//!
//! Lexical indexes keep fields apart, but an encoder sees one string, so the choice and
//! order of fields is configuration (title first: encoders truncate, and the title is
//! the densest signal). Fields are joined as sentences, `". "`, because encoders were
//! trained on prose; a field already ending in sentence punctuation is followed by a
//! plain space, to avoid `"..".` Bullets, one per line in the catalog, are joined with
//! `"; "` (or a space after a bullet ending in punctuation) so the result has no line
//! breaks. Empty fields are skipped, so a product without a brand does not produce
//! `"Title. . Color"`.
//!
//! Text is whitespace-normalised again, which is idempotent and makes hand-built
//! products safe, but HTML is not stripped again: products read by this crate are
//! already clean, and stripping clean text could eat what decoding produced (a title
//! that legitimately reads `<b>` after decoding `&lt;b&gt;` twice).

use crate::{normalize_lines, normalize_whitespace};
use esci_core::{Field, Product};

/// Joins configured product fields into one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBuilder {
    fields: Vec<Field>,
}

impl Default for TextBuilder {
    /// Every field, in [`Field::ALL`] order: title, brand, color, bullets, description.
    fn default() -> TextBuilder {
        TextBuilder::new(Field::ALL.to_vec())
    }
}

impl TextBuilder {
    /// A builder for `fields`, in that order. A field listed twice appears twice (a
    /// crude but deliberate way to weight it).
    pub fn new(fields: Vec<Field>) -> TextBuilder {
        TextBuilder { fields }
    }

    /// The configured fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The text of `product`: non-empty configured fields, normalised, joined by `". "`
    /// (see the module docs for punctuation and bullets).
    pub fn build(&self, product: &Product) -> String {
        let mut out = String::new();
        for &field in &self.fields {
            let text = match field {
                Field::Bullets => join_bullets(&product.bullets),
                other => normalize_whitespace(product.field(other)),
            };
            if text.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push_str(if ends_clause(&out) { " " } else { ". " });
            }
            out.push_str(&text);
        }
        out
    }
}

/// Whether `s` already ends with punctuation that separates it from what follows.
fn ends_clause(s: &str) -> bool {
    s.ends_with(['.', '!', '?', ';', ':'])
}

/// Bullets on one line: `"a; b; c"`.
fn join_bullets(bullets: &str) -> String {
    let mut out = String::with_capacity(bullets.len());
    for line in normalize_lines(bullets).lines() {
        if !out.is_empty() {
            out.push_str(if ends_clause(&out) { " " } else { "; " });
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product() -> Product {
        Product {
            id: "B0".into(),
            title: "Cotton  T-Shirt".into(),
            brand: "Acme".into(),
            color: String::new(),
            bullets: "Soft fabric\nMachine washable.\r\nMade in USA".into(),
            description: "A classic tee.".into(),
            locale: "us".into(),
        }
    }

    #[test]
    fn joins_non_empty_fields_as_sentences() {
        let text = TextBuilder::default().build(&product());
        assert_eq!(
            text,
            "Cotton T-Shirt. Acme. Soft fabric; Machine washable. Made in USA. A classic tee."
        );
    }

    #[test]
    fn respects_configured_order() {
        let builder = TextBuilder::new(vec![Field::Brand, Field::Title]);
        assert_eq!(builder.fields(), &[Field::Brand, Field::Title]);
        assert_eq!(builder.build(&product()), "Acme. Cotton T-Shirt");
        assert_eq!(TextBuilder::new(vec![Field::Color]).build(&product()), "");
        let ends = Product {
            title: "Wow!".into(),
            brand: "Acme".into(),
            ..Product::default()
        };
        assert_eq!(TextBuilder::default().build(&ends), "Wow! Acme");
    }
}
