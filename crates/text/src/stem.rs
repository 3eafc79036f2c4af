//! Memoised English Snowball stemming.
//!
//! Stemming a word costs far more than tokenizing it, and product text repeats a
//! small vocabulary endlessly, so each thread keeps a bounded word -> stem map.

use crate::packed::{pack, unpack_into};
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxBuildHasher;
use std::collections::HashMap;

/// Entries kept before the cache is emptied and starts over: exactly what a
/// table of 2^17 slots holds (4.3 MB per thread), so it never reallocates.
const CAPACITY: usize = 7 << 14;

/// Snowball English leaves words of up to two letters unchanged.
const MIN_STEM_LEN: usize = 3;

/// Whether the stemmer applies to `token`: ASCII letters only, so tokens with a
/// digit (`20v`), other scripts and connectors (`1/4`) pass through unchanged.
pub(crate) fn is_stemmable(token: &str) -> bool {
    token.len() >= MIN_STEM_LEN && token.bytes().all(|b| b.is_ascii_lowercase())
}

/// A per-thread memo of the English stemmer.
///
/// Keys and stems are [packed](crate::packed) inline: a lookup touches one table
/// slot and no heap string. Words too long to pack (rare) are stemmed each time.
pub(crate) struct StemCache {
    stemmer: Stemmer,
    map: HashMap<u128, u128, FxBuildHasher>,
}

impl Default for StemCache {
    fn default() -> StemCache {
        StemCache {
            stemmer: Stemmer::create(Algorithm::English),
            map: HashMap::default(),
        }
    }
}

impl StemCache {
    /// Writes the stem of `word` (which must satisfy [`is_stemmable`]) into `out`.
    pub(crate) fn stem_into(&mut self, word: &str, out: &mut String) {
        out.clear();
        let Some(key) = pack(word) else {
            self.stem_uncached(word, out);
            return;
        };
        if let Some(&stem) = self.map.get(&key) {
            unpack_into(stem, out);
            return;
        }
        self.stem_uncached(word, out);
        // Snowball English never lengthens a word, but check rather than assume.
        if let Some(stem) = pack(out) {
            if self.map.len() >= CAPACITY {
                self.map.clear();
            }
            self.map.insert(key, stem);
        }
    }

    fn stem_uncached(&self, word: &str, out: &mut String) {
        let stem = self.stemmer.stem(word);
        // Never let the stemmer erase a token.
        out.push_str(if stem.is_empty() { word } else { &stem });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stem(cache: &mut StemCache, word: &str) -> String {
        let mut out = String::new();
        cache.stem_into(word, &mut out);
        out
    }

    #[test]
    fn stems_and_memoises() {
        let mut cache = StemCache::default();
        for _ in 0..2 {
            assert_eq!(stem(&mut cache, "drills"), "drill");
            assert_eq!(stem(&mut cache, "running"), "run");
            assert_eq!(stem(&mut cache, "batteries"), "batteri");
            assert_eq!(stem(&mut cache, "drill"), "drill");
        }
        assert_eq!(cache.map.len(), 4);
        // Too long to pack: stemmed without the memo.
        assert_eq!(stem(&mut cache, "internationalizations"), "internation");
        assert_eq!(cache.map.len(), 4);
    }

    #[test]
    fn cache_is_bounded() {
        let mut cache = StemCache::default();
        for i in 0..CAPACITY + 10 {
            let word: String = format!("{i:x}")
                .chars()
                .map(|c| (b'g' + c as u8 % 16) as char)
                .collect();
            stem(&mut cache, &word);
        }
        assert!(cache.map.len() <= CAPACITY);
    }

    #[test]
    fn stemmable() {
        assert!(is_stemmable("cables"));
        assert!(!is_stemmable("20v"));
        assert!(!is_stemmable("1/4"));
        assert!(!is_stemmable("of"));
        assert!(!is_stemmable("café"));
        assert!(!is_stemmable("кабель"));
    }
}
