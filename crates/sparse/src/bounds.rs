//! A floor for the k-th best score, known before traversal starts.
//!
//! Every document's score is at least its contribution from any one query term, so if
//! term `t`'s `r`-th largest impact is `i`, at least `r` documents score `≥ q_t × i`,
//! and for `k ≤ r` the k-th best score is at least that. Starting MaxScore from this
//! floor instead of 0 makes the cheap low-weight lists non-essential from the first
//! document on. Derived from the postings at build and load time, never stored.

use rayon::prelude::*;

/// Ranks kept per term: 16, 32, …, 1024 (`RANKS` powers of two from 16).
const RANKS: usize = 7;
const FIRST_RANK_SHIFT: u32 = 4;

/// The impact at ranks 16, 32, …, 1024 of each term's postings (0 where shorter).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct RankImpacts {
    /// `at[t * RANKS + j]`: the `16 << j`-th largest impact of term `t`.
    at: Vec<u16>,
}

impl RankImpacts {
    /// Derives the table from CSR postings.
    pub fn build(offsets: &[u64], impacts: &[u16]) -> RankImpacts {
        let vocab = offsets.len().saturating_sub(1);
        let at = (0..vocab)
            .into_par_iter()
            .flat_map_iter(|t| {
                let list = &impacts[offsets[t] as usize..offsets[t + 1] as usize];
                let mut ranked = [0u16; RANKS];
                if list.len() >= 1 << FIRST_RANK_SHIFT {
                    let mut copy = list.to_vec();
                    // Largest rank first; each smaller rank then lies in the prefix.
                    let mut end = copy.len();
                    for j in (0..RANKS).rev() {
                        let rank = 1usize << (FIRST_RANK_SHIFT + j as u32);
                        if rank <= end {
                            let (_, nth, _) =
                                copy[..end].select_nth_unstable_by(rank - 1, |a, b| b.cmp(a));
                            ranked[j] = *nth;
                            end = rank;
                        }
                    }
                }
                ranked
            })
            .collect();
        RankImpacts { at }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.at.len() * 2
    }

    /// An impact that at least `k` postings of `term` reach (0 if none is known).
    pub fn at_least_k(&self, term: u32, k: usize) -> u16 {
        let Some(rank) = k.checked_next_power_of_two() else {
            return 0;
        };
        let j = rank.trailing_zeros().saturating_sub(FIRST_RANK_SHIFT) as usize;
        if j < RANKS {
            self.at.get(term as usize * RANKS + j).copied().unwrap_or(0)
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_exact_order_statistics() {
        // term 0: impacts 1..=40 shuffled; term 1: 3 postings.
        let mut imps: Vec<u16> = (1..=40).map(|i| (i * 17 % 41) as u16).collect();
        imps.extend([5, 6, 7]);
        let r = RankImpacts::build(&[0, 40, 43], &imps);
        assert_eq!(r.at_least_k(0, 1), 25); // rank 16 of 1..=40
        assert_eq!(r.at_least_k(0, 16), 25);
        assert_eq!(r.at_least_k(0, 17), 9); // rank 32
        assert_eq!(r.at_least_k(0, 33), 0); // fewer than 64 postings
        assert_eq!(r.at_least_k(1, 1), 0);
        assert_eq!(r.at_least_k(0, 5000), 0);
        assert_eq!(r.at_least_k(0, usize::MAX), 0);
        assert_eq!(r.at_least_k(0, 0), 25);
    }
}
