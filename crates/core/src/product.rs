use crate::Field;
use serde::{Deserialize, Serialize};

/// One catalog product, with the text fields of the official ESCI schema.
///
/// Absent values are empty strings: the official files hold nulls in every text
/// column but the id, and an empty field contributes nothing to any index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// `product_id` (an ASIN in ESCI); unique within a locale.
    pub id: String,
    /// `product_title`
    pub title: String,
    /// `product_brand`
    pub brand: String,
    /// `product_color`
    pub color: String,
    /// `product_bullet_point` (one bullet per line in ESCI)
    pub bullets: String,
    /// `product_description`
    pub description: String,
    /// `product_locale` (`us`, `es`, `jp`)
    pub locale: String,
}

impl Product {
    /// The text of one field.
    pub fn field(&self, field: Field) -> &str {
        match field {
            Field::Title => &self.title,
            Field::Brand => &self.brand,
            Field::Color => &self.color,
            Field::Bullets => &self.bullets,
            Field::Description => &self.description,
        }
    }
}
