//! A fast hash map for product and query ids.
//!
//! Loading the full dataset hashes every one of 1.8M product ids and 2.6M judgment
//! keys, and the standard SipHash showed up at several percent of load time. Ids come
//! from the user's own files, not from an adversary, so the denial-of-service
//! resistance SipHash buys is not needed here; this is the multiply-rotate hash of
//! rustc's `FxHasher`, written out to avoid a dependency for ten lines.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map keyed by ids, with [`IdHasher`].
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// An `IdMap` with room for `capacity` entries.
pub(crate) fn id_map<K, V>(capacity: usize) -> IdMap<K, V> {
    IdMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

/// rustc's FxHash: fast, non-cryptographic, fine for trusted keys.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_ids_and_finds_them() {
        let mut map: IdMap<String, u32> = id_map(4);
        for (i, id) in ["B000", "B0000", "B00000000", "B000000000", "", "a"]
            .iter()
            .enumerate()
        {
            assert!(map.insert(id.to_string(), i as u32).is_none());
        }
        assert_eq!(map.get("B00000000"), Some(&2));
        assert_eq!(map.get(""), Some(&4));
        assert_eq!(map.get("B0000000"), None);
    }
}
