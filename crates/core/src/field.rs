use serde::{Deserialize, Serialize};

/// A text field of a product, as named in the official ESCI schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// `product_title`
    Title,
    /// `product_brand`
    Brand,
    /// `product_color`
    Color,
    /// `product_bullet_point`
    Bullets,
    /// `product_description` (may hold HTML in the raw data)
    Description,
}

impl Field {
    /// Every field, in a fixed order (the order of the index's per-field arrays).
    pub const ALL: [Field; 5] = [
        Field::Title,
        Field::Brand,
        Field::Color,
        Field::Bullets,
        Field::Description,
    ];

    /// Short lowercase name used in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Brand => "brand",
            Field::Color => "color",
            Field::Bullets => "bullets",
            Field::Description => "description",
        }
    }

    /// Parses a short name (`title`, `brand`, `color`/`colour`, `bullets`, `description`).
    pub fn parse(name: &str) -> Option<Field> {
        match name.trim().to_ascii_lowercase().as_str() {
            "title" => Some(Field::Title),
            "brand" => Some(Field::Brand),
            "color" | "colour" => Some(Field::Color),
            "bullets" | "bullet_point" | "bullet_points" => Some(Field::Bullets),
            "description" => Some(Field::Description),
            _ => None,
        }
    }

    /// Position of the field in [`Field::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (i, field) in Field::ALL.iter().enumerate() {
            assert_eq!(Field::parse(field.name()), Some(*field));
            assert_eq!(field.index(), i);
        }
        assert_eq!(Field::parse("Colour"), Some(Field::Color));
        assert_eq!(Field::parse("price"), None);
    }
}
