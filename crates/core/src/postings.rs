//! Helpers over sorted doc-id lists shared by the inverted indexes (BM25, SPLADE).

/// First position `>= from` whose doc is `>= target` in an ascending list: exponential
/// then binary search, so skipping far ahead costs O(log distance).
pub fn gallop(docs: &[u32], from: usize, target: u32) -> usize {
    if from >= docs.len() || docs[from] >= target {
        return from;
    }
    // Invariant: docs[lo] < target.
    let mut lo = from;
    let mut step = 1;
    loop {
        let probe = lo + step;
        if probe >= docs.len() || docs[probe] >= target {
            let hi = probe.min(docs.len());
            return lo + 1 + docs[lo + 1..hi].partition_point(|&d| d < target);
        }
        lo = probe;
        step *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gallop_finds_first_not_less() {
        let docs = [1, 3, 5, 7, 9, 11, 13, 15, 17];
        for from in 0..docs.len() {
            for target in 0..20 {
                let expected = from + docs[from..].partition_point(|&d| d < target);
                assert_eq!(gallop(&docs, from, target), expected, "{from} {target}");
            }
        }
        assert_eq!(gallop(&[], 0, 3), 0);
    }
}
