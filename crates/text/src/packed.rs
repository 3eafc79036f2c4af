//! Short words packed into one integer, for lookups without pointer chasing.
//!
//! The analyzer's two per-token lookups (stopword and stem memo) hit small words
//! over and over; as a `u128` a word hashes and compares in a few instructions
//! and sits inline in a table rather than behind a heap pointer.

/// Longest word that packs: 15 bytes, plus one byte of length.
pub(crate) const MAX_PACKED: usize = 15;

/// `word` as one integer: its bytes from the most significant end (so packed
/// words sort like the words), then its length; `None` when empty or too long.
pub(crate) fn pack(word: &str) -> Option<u128> {
    let bytes = word.as_bytes();
    let len = bytes.len();
    if len == 0 || len > MAX_PACKED {
        return None;
    }
    // Built from loads rather than a copy into a stack buffer: a variable-length
    // memcpy followed by a wide load stalls store forwarding on every token.
    let (high, low) = bytes.split_at(len.min(8));
    let word = (u128::from(load(high)) << 64) | u128::from(load(low));
    Some(word | len as u128)
}

/// Up to 8 bytes as a big-endian integer, first byte most significant, zeros after.
fn load(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    match n {
        0 => 0,
        1..=3 => {
            // First, middle and last byte cover every position for n <= 3.
            let at = |i: usize| u64::from(bytes[i]) << (56 - 8 * i);
            at(0) | at(n / 2) | at(n - 1)
        }
        _ => {
            // Two overlapping 4-byte loads: the head, and the tail shifted into place.
            let head = u64::from(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
            let tail = [bytes[n - 4], bytes[n - 3], bytes[n - 2], bytes[n - 1]];
            let tail = u64::from(u32::from_be_bytes(tail));
            (head << 32) | (tail << (8 * (8 - n.min(8))))
        }
    }
}

/// Appends the bytes of a word packed by [`pack`] to `out`.
///
/// Only ever given packed words that were whole `&str`s, so the bytes are UTF-8;
/// anything else is skipped rather than trusted.
pub(crate) fn unpack_into(packed: u128, out: &mut String) {
    let bytes = packed.to_be_bytes();
    let len = usize::from(bytes[15]).min(MAX_PACKED);
    if let Ok(word) = std::str::from_utf8(&bytes[..len]) {
        out.push_str(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_orders() {
        for word in ["a", "drill", "abcdefghijklmno", "café"] {
            let mut out = String::new();
            unpack_into(pack(word).unwrap(), &mut out);
            assert_eq!(out, word);
        }
        assert_eq!(pack(""), None);
        assert_eq!(pack("abcdefghijklmnop"), None);
        assert_ne!(pack("a"), pack("a\0"));
        assert!(pack("ab") < pack("abc") && pack("abc") < pack("abd") && pack("abd") < pack("b"));
    }

    #[test]
    fn matches_a_plain_byte_copy() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for len in 1..=MAX_PACKED {
            for start in 0..text.len() - len {
                let word = &text[start..start + len];
                let mut bytes = [0u8; 16];
                bytes[..len].copy_from_slice(word.as_bytes());
                bytes[15] = len as u8;
                assert_eq!(pack(word), Some(u128::from_be_bytes(bytes)), "{word}");
            }
        }
    }
}
