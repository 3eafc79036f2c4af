//! Exact top-k over weighted impact postings for light queries: MaxScore (Turtle &
//! Flood, 1995) run a window of doc ids at a time, as Lucene's `MaxScoreBulkScorer`
//! does. Also the shared MaxScore state ([`Traversal`]) of `taat.rs`.
//!
//! Lists are ordered by their upper bound `q_t × max impact`. A document must beat the
//! bar — the heap's weakest score, or just under the floor known before traversal
//! (`bounds.rs`) — so the lowest-bound lists whose bounds sum to at most the bar are
//! *non-essential*: a document found only there cannot beat it. SPLADE queries carry
//! many low-weight expansion terms, often common ones with long lists; those are what
//! becomes non-essential.
//!
//! Why windows: classic document-at-a-time MaxScore pays a pass over every essential
//! cursor per candidate, SPLADE keeps ~10 lists essential, and measured here it was
//! 2–3× slower than exhaustive scoring. Instead, for each window of 16,384 doc ids the
//! essential lists are added term at a time into a cache-resident accumulator. A
//! non-essential list is then either added in full too, when it has at most
//! [`WALK_RATIO`] × as many postings in the window as the essential lists (galloping
//! into it per candidate would cost more), or probed by galloping search for each
//! candidate that can still beat the bar with it. Candidates are taken in doc-id
//! order, by a linear scan of a busy window or from a bitmap of touched slots in a
//! sparse one, and the essential set is re-drawn between windows. The work follows
//! the postings, not the corpus size, which is what light queries need; heavy ones go
//! to `taat.rs`. Scores are integers and candidates arrive in doc-id order, so the
//! result equals exhaustive scoring bit for bit, ties included.

use esci_core::postings::gallop;
use esci_core::topk::TopK;

/// End-of-list sentinel; doc ids stay below it (the builder enforces it).
pub(crate) const END: u32 = u32::MAX;

/// log2 of the doc ids per window: a 128 KiB accumulator stays in L2.
const WINDOW_SHIFT: u32 = 14;
const WINDOW: usize = 1 << WINDOW_SHIFT;

/// A non-essential list with at most this many times the essential postings of a
/// window is added in full rather than probed (measured: 1 favours small k, ∞ large k).
pub(crate) const WALK_RATIO: usize = 3;

/// One query term's postings and its integer query weight.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TermPostings<'a> {
    /// The term id (per-term metadata is looked up by it).
    pub term: u32,
    pub docs: &'a [u32],
    pub impacts: &'a [u16],
    pub weight: u64,
    /// `weight` × the largest impact in `impacts`.
    pub upper_bound: u64,
}

/// Cursors, bounds and the heap of one query (shared with `taat.rs`).
pub(crate) struct Traversal<'a> {
    /// Ascending upper bound.
    pub lists: Vec<TermPostings<'a>>,
    /// `prefix[i]`: sum of the upper bounds of `lists[..=i]`.
    pub prefix: Vec<u64>,
    pos: Vec<usize>,
    top: TopK,
    /// Just under the floor: documents tying the floor may still rank by doc id.
    floor_bar: u64,
    /// Only a document scoring more than this can enter.
    pub bar: u64,
}

impl<'a> Traversal<'a> {
    /// Orders the lists by bound; `floor` is a score `k` documents are known to reach.
    pub fn new(mut lists: Vec<TermPostings<'a>>, k: usize, floor: u64) -> Traversal<'a> {
        lists.retain(|l| !l.docs.is_empty() && l.weight > 0);
        lists.sort_by_key(|l| l.upper_bound);
        let prefix: Vec<u64> = lists
            .iter()
            .scan(0u64, |acc, l| {
                *acc += l.upper_bound;
                Some(*acc)
            })
            .collect();
        let floor_bar = floor.saturating_sub(1);
        Traversal {
            pos: vec![0; lists.len()],
            lists,
            prefix,
            top: TopK::new(k),
            floor_bar,
            bar: floor_bar,
        }
    }

    /// How many of the lowest-bound lists are non-essential at the current bar.
    pub fn non_essential(&self) -> usize {
        self.prefix.partition_point(|&p| p <= self.bar)
    }

    /// Completes a candidate's score from `lists[..probed]` while it can still beat
    /// the bar, and offers it. Candidates must arrive in increasing doc id order.
    pub fn complete(&mut self, doc: u32, mut score: u64, probed: usize) {
        for i in (0..probed).rev() {
            if score + self.prefix[i] <= self.bar {
                return;
            }
            let l = &self.lists[i];
            self.pos[i] = gallop(l.docs, self.pos[i], doc);
            if l.docs.get(self.pos[i]) == Some(&doc) {
                score += l.weight * u64::from(l.impacts[self.pos[i]]);
            }
        }
        if score > self.bar && self.top.offer(doc, score) {
            self.bar = self.top.threshold().max(self.floor_bar);
        }
    }

    /// The lowest partial score worth completing with `lists[..probed]`.
    pub fn cutoff(&self, probed: usize) -> u64 {
        let reach = if probed > 0 {
            self.prefix[probed - 1]
        } else {
            0
        };
        self.bar.saturating_sub(reach)
    }

    /// The kept documents, best first.
    pub fn into_sorted(self) -> Vec<(u32, u64)> {
        self.top.into_sorted()
    }
}

/// Exact top-`k` documents by summed weighted impact, best first. `floor`: a score
/// at least `k` documents are known to reach (0 if unknown). `walk_ratio`: see
/// [`WALK_RATIO`] (a parameter so tests can force either branch).
pub(crate) fn top_k(
    lists: Vec<TermPostings<'_>>,
    k: usize,
    floor: u64,
    walk_ratio: usize,
) -> Vec<(u32, u64)> {
    if k == 0 {
        return Vec::new();
    }
    let mut t = Traversal::new(lists, k, floor);
    let n = t.lists.len();
    let mut ess = t.non_essential();
    let mut acc = vec![0u64; WINDOW];
    let mut marks = vec![0u64; WINDOW / 64];
    let mut ends = vec![0usize; n];

    while ess < n {
        let Some(&first) = (ess..n).filter_map(|i| t.lists[i].docs.get(t.pos[i])).min() else {
            break;
        };
        let lo = first & !(WINDOW as u32 - 1);
        let hi = u64::from(lo) + WINDOW as u64;
        let mut ess_postings = 0;
        for ((end, l), &p) in ends[ess..]
            .iter_mut()
            .zip(&t.lists[ess..])
            .zip(&t.pos[ess..])
        {
            *end = gallop_to(l.docs, p, hi);
            ess_postings += *end - p;
        }
        // A sparse window is read back through a bitmap of touched slots.
        let sparse = ess_postings < WINDOW / 16;
        for ((l, p), &end) in t.lists[ess..]
            .iter()
            .zip(&mut t.pos[ess..])
            .zip(&ends[ess..])
        {
            let (docs, impacts) = (&l.docs[*p..end], &l.impacts[*p..end]);
            if sparse {
                add_marking(&mut acc, &mut marks, lo, docs, impacts, l.weight);
            } else {
                add(&mut acc, lo, docs, impacts, l.weight);
            }
            *p = end;
        }
        // Add the non-essential lists that are dense here, highest bound first. In a
        // busy window every slot is added to: a document lifted only by them still
        // cannot beat the bar. In a sparse one only marked slots are (no stray slot
        // is left to clear).
        let mut probed = ess;
        while probed > 0 {
            let i = probed - 1;
            let l = &t.lists[i];
            // Probed lists may lag behind the window.
            let start = gallop(l.docs, t.pos[i], lo);
            let end = gallop_to(l.docs, start, hi);
            t.pos[i] = start;
            if end - start > walk_ratio.saturating_mul(ess_postings) {
                break;
            }
            let (docs, impacts) = (&l.docs[start..end], &l.impacts[start..end]);
            if sparse {
                add_masked(&mut acc, &marks, lo, docs, impacts, l.weight);
            } else {
                add(&mut acc, lo, docs, impacts, l.weight);
            }
            t.pos[i] = end;
            probed -= 1;
        }
        if sparse {
            for (w, word) in marks.iter_mut().enumerate() {
                let mut bits = std::mem::take(word);
                while bits != 0 {
                    let j = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let partial = std::mem::take(&mut acc[j]);
                    if partial > t.cutoff(probed) {
                        t.complete(lo + j as u32, partial, probed);
                    }
                }
            }
        } else {
            let mut cutoff = t.cutoff(probed);
            for (j, &partial) in acc.iter().enumerate() {
                if partial > cutoff {
                    t.complete(lo + j as u32, partial, probed);
                    cutoff = t.cutoff(probed);
                }
            }
            acc.fill(0);
        }
        // Lists turned non-essential mid-window were already added for this window.
        ess = t.non_essential();
    }
    t.into_sorted()
}

/// Adds postings of the window starting at `lo` to its accumulator.
fn add(acc: &mut [u64], lo: u32, docs: &[u32], impacts: &[u16], weight: u64) {
    for (&d, &imp) in docs.iter().zip(impacts) {
        acc[(d - lo) as usize] += weight * u64::from(imp);
    }
}

/// [`add`], marking each touched slot.
fn add_marking(
    acc: &mut [u64],
    marks: &mut [u64],
    lo: u32,
    docs: &[u32],
    impacts: &[u16],
    weight: u64,
) {
    for (&d, &imp) in docs.iter().zip(impacts) {
        let j = (d - lo) as usize;
        acc[j] += weight * u64::from(imp);
        marks[j >> 6] |= 1 << (j & 63);
    }
}

/// [`add`] to marked slots only, without branching on the (unpredictable) mark.
fn add_masked(acc: &mut [u64], marks: &[u64], lo: u32, docs: &[u32], impacts: &[u16], weight: u64) {
    for (&d, &imp) in docs.iter().zip(impacts) {
        let j = (d - lo) as usize;
        let marked = (marks[j >> 6] >> (j & 63)) & 1;
        acc[j] += marked * weight * u64::from(imp);
    }
}

/// First position `>= from` whose doc id is `>= target`, for window ends past `u32`.
fn gallop_to(docs: &[u32], from: usize, target: u64) -> usize {
    match u32::try_from(target) {
        Ok(t) => gallop(docs, from, t),
        Err(_) => docs.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{exhaustive, taat};
    use proptest::prelude::*;

    fn list(docs: &'static [u32], impacts: &'static [u16], weight: u64) -> TermPostings<'static> {
        TermPostings {
            term: 0,
            docs,
            impacts,
            weight,
            upper_bound: weight * u64::from(*impacts.iter().max().unwrap()),
        }
    }

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
        assert_eq!(gallop_to(&docs, 0, u64::from(u32::MAX) + 5), docs.len());
    }

    #[test]
    fn lists_bounded_just_above_the_bar_stay_essential() {
        // After doc 0 (score 5) the bar is 5; lists a and b bound 3 each, so a doc in
        // both reaches 6 and b must stay essential for doc 40000 to be found.
        let c = list(&[0], &[5], 1);
        let a = list(&[40000], &[3], 1);
        let b = list(&[40000], &[3], 1);
        for walk in [0, WALK_RATIO, usize::MAX] {
            assert_eq!(top_k(vec![c, a, b], 1, 0, walk), vec![(40000, 6)]);
        }
    }

    #[test]
    fn dense_and_windowed_agree_on_ties_at_the_floor() {
        let a = list(&[0, 20000, 90000], &[1, 1, 1], 3);
        let b = list(&[1, 20000], &[10, 3], 1);
        for floor in [0, 3] {
            assert_eq!(
                taat::top_k(vec![a, b], 90001, 3, floor),
                vec![(1, 10), (20000, 6), (0, 3)]
            );
        }
    }

    #[test]
    fn weights_multiply_impacts_across_windows() {
        // a (weight 3): docs 0, 20000, 90000 impacts 1; b: docs 1, 20000 impacts 10, 3.
        // scores: 0→3, 1→10, 20000→6, 90000→3.
        let a = list(&[0, 20000, 90000], &[1, 1, 1], 3);
        let b = list(&[1, 20000], &[10, 3], 1);
        assert_eq!(top_k(vec![a, b], 2, 0, 3), vec![(1, 10), (20000, 6)]);
        let all = vec![(1, 10), (20000, 6), (0, 3), (90000, 3)];
        assert_eq!(top_k(vec![a, b], 9, 0, 3), all);
        assert_eq!(top_k(vec![a, b], 0, 0, 3), vec![]);
        // A floor that k documents reach changes nothing, ties included.
        assert_eq!(
            top_k(vec![a, b], 3, 3, 3),
            vec![(1, 10), (20000, 6), (0, 3)]
        );
    }

    /// A postings list: an arithmetic run (dense windows) or scattered ids (sparse).
    fn postings() -> impl Strategy<Value = (Vec<u32>, Vec<u16>, u64)> {
        let run = (0u32..60_000, 0u32..3_000, 1u32..6).prop_map(|(start, len, step)| {
            (0..len).map(|i| start + i * step).collect::<Vec<u32>>()
        });
        let scattered = prop::collection::btree_set(0u32..70_000, 0..60)
            .prop_map(|s| s.into_iter().collect::<Vec<u32>>());
        (prop_oneof![run, scattered], 1u64..5, 1u16..7).prop_map(|(docs, weight, spread)| {
            let impacts = (0..docs.len())
                .map(|i| 1 + (i as u16 * 7 + spread) % spread.max(2))
                .collect();
            (docs, impacts, weight)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every walk/probe mix, busy and sparse windows, the dense pass, and floors
        /// up to the exact k-th score give the exhaustive result.
        #[test]
        fn equals_exhaustive_over_many_windows(
            raw in prop::collection::vec(postings(), 1..8),
            k in prop::sample::select(vec![1usize, 7, 50, 400, 100_000]),
        ) {
            let lists: Vec<TermPostings<'_>> = raw
                .iter()
                .enumerate()
                .map(|(t, (docs, impacts, weight))| TermPostings {
                    term: t as u32,
                    docs,
                    impacts,
                    weight: *weight,
                    upper_bound: weight * u64::from(impacts.iter().copied().max().unwrap_or(0)),
                })
                .collect();
            let expected = exhaustive::top_k(&lists, 80_000, k);
            let exact_floor = if expected.len() == k { expected[k - 1].1 } else { 0 };
            for floor in [0, exact_floor / 2, exact_floor] {
                let dense = taat::top_k(lists.clone(), 80_000, k, floor);
                prop_assert_eq!(&dense, &expected, "dense, floor {}", floor);
                for walk in [0, 1, WALK_RATIO, usize::MAX] {
                    prop_assert_eq!(&top_k(lists.clone(), k, floor, walk), &expected, "floor {} walk {}", floor, walk);
                }
            }
        }
    }
}
