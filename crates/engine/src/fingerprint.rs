//! Content fingerprints tying an index to the catalog that built it.

use esci_core::{Field, Product};
use rayon::prelude::*;

/// 64-bit FNV-1a: tiny, dependency-free, and plenty to detect a changed catalog
/// (this is a consistency check, not a security boundary).
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Hex fingerprint of the products in order: ids and every text field, so an edited,
/// added, removed or reordered product changes it. Hashes products in parallel.
pub fn catalog_fingerprint(products: &[Product]) -> String {
    let per_product: Vec<u64> = products
        .par_iter()
        .map(|p| {
            let mut h = Fnv::new();
            h.write(p.id.as_bytes());
            for field in Field::ALL {
                h.write(&[0xff]);
                h.write(p.field(field).as_bytes());
            }
            h.0
        })
        .collect();
    let mut h = Fnv::new();
    for v in per_product {
        h.write(&v.to_le_bytes());
    }
    format!("{:016x}", h.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_changes_the_fingerprint() {
        let a = Product {
            id: "a".into(),
            title: "drill".into(),
            ..Default::default()
        };
        let b = Product {
            id: "b".into(),
            title: "hose".into(),
            ..Default::default()
        };
        let base = catalog_fingerprint(&[a.clone(), b.clone()]);
        assert_eq!(base, catalog_fingerprint(&[a.clone(), b.clone()]));
        assert_ne!(base, catalog_fingerprint(&[b.clone(), a.clone()]));
        let mut edited = b.clone();
        edited.description = "green".into();
        assert_ne!(base, catalog_fingerprint(&[a.clone(), edited]));
        // Moving text between fields is a change too.
        let moved = Product {
            id: "a".into(),
            brand: "drill".into(),
            ..Default::default()
        };
        assert_ne!(base, catalog_fingerprint(&[moved, b]));
    }
}
