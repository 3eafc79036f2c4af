//! Fixture writers shared by the integration tests: small files in a tempdir, in each
//! format, with exactly the columns and types a case needs.
#![allow(dead_code)]

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema};
use esci_core::Product;
use parquet::arrow::ArrowWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A string column; `None` is null.
pub fn strings(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

/// A string column without nulls.
pub fn texts(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

/// An int64 column without nulls.
pub fn ints(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

/// Writes the named columns as a parquet file with the arrow writer.
pub fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let arrays = columns.into_iter().map(|(_, array)| array).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// Writes a text file.
pub fn write_text(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// `dir/name`.
pub fn file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// Three small products with HTML, entities, bullets and an absent color.
pub fn sample_products() -> Vec<Product> {
    let product =
        |id: &str, title: &str, brand: &str, color: &str, bullets: &str, description: &str| {
            Product {
                id: id.into(),
                title: title.into(),
                brand: brand.into(),
                color: color.into(),
                bullets: bullets.into(),
                description: description.into(),
                locale: "us".into(),
            }
        };
    vec![
        product(
            "B001",
            "Tom &amp; Jerry  Mug",
            "Acme",
            "Red",
            "Dishwasher safe\n\n 12 oz ",
            "<p>A mug.</p><p>Big&nbsp;one</p>",
        ),
        product(
            "B002",
            "Cotton T-Shirt",
            "",
            "",
            "Soft<br>Light",
            "Classic &#39;tee&#x27;",
        ),
        product("B003", "Kids <3 Toys", "Fun Co", "Blue", "", ""),
    ]
}

/// The products of [`sample_products`] after cleaning.
pub fn cleaned_sample() -> Vec<Product> {
    let mut products = sample_products();
    products[0].title = "Tom & Jerry Mug".into();
    products[0].bullets = "Dishwasher safe\n12 oz".into();
    products[0].description = "A mug. Big one".into();
    products[1].bullets = "Soft\nLight".into();
    products[1].description = "Classic 'tee'".into();
    products
}

/// Escapes a value for a CSV cell.
fn csv_cell(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The products as CSV with the official header.
pub fn products_csv(products: &[Product]) -> String {
    let mut out = String::from(
        "product_id,product_title,product_description,product_bullet_point,product_brand,product_color,product_locale\n",
    );
    for p in products {
        let cells = [
            &p.id,
            &p.title,
            &p.description,
            &p.bullets,
            &p.brand,
            &p.color,
            &p.locale,
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// The products as JSONL, empty fields as null.
pub fn products_jsonl(products: &[Product]) -> String {
    let mut out = String::new();
    for p in products {
        let value = |s: &str| {
            if s.is_empty() {
                serde_json::Value::Null
            } else {
                s.into()
            }
        };
        let object = serde_json::json!({
            "product_id": p.id,
            "product_title": value(&p.title),
            "product_description": value(&p.description),
            "product_bullet_point": value(&p.bullets),
            "product_brand": value(&p.brand),
            "product_color": value(&p.color),
            "product_locale": value(&p.locale),
        });
        out.push_str(&object.to_string());
        out.push('\n');
    }
    out
}
