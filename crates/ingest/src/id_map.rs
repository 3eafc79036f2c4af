//! A fast hash map for product and query ids.
//!
//! Loading the full dataset hashes every one of 1.8M product ids and 2.6M judgment
//! keys, and the standard SipHash showed up at several percent of load time. Ids come
//! from the user's own files, not from an adversary, so the denial-of-service
//! resistance SipHash buys is not needed here: rustc's Fx hash is.

use rustc_hash::FxHashMap;

/// A map keyed by ids.
pub(crate) type IdMap<K, V> = FxHashMap<K, V>;

/// An `IdMap` with room for `capacity` entries.
pub(crate) fn id_map<K, V>(capacity: usize) -> IdMap<K, V> {
    IdMap::with_capacity_and_hasher(capacity, Default::default())
}
