//! Properties of fusion on random ranked lists.

use esci_core::{Hit, sort_hits};
use esci_fusion::{FusionInput, Normalization, RrfParams, score_combination, weighted_rrf};
use proptest::prelude::*;

fn ranked(scores: Vec<(u32, u8)>) -> Vec<Hit> {
    let mut seen = std::collections::HashSet::new();
    let mut hits: Vec<Hit> = scores
        .into_iter()
        .filter(|(d, _)| seen.insert(*d))
        .map(|(d, s)| Hit::new(d, f32::from(s)))
        .collect();
    sort_hits(&mut hits);
    hits
}

proptest! {
    /// Fused lists are sorted, hold each document once, and every signal states the
    /// document's true 1-based rank and score in its input list.
    #[test]
    fn signals_are_true_and_output_sorted(
        a in prop::collection::vec((0u32..60, any::<u8>()), 0..50),
        b in prop::collection::vec((0u32..60, any::<u8>()), 0..50),
        wa in 0.0f32..3.0, wb in 0.01f32..3.0,
    ) {
        let (a, b) = (ranked(a), ranked(b));
        let inputs = [FusionInput::new("a", wa, &a), FusionInput::new("b", wb, &b)];
        let rrf = weighted_rrf(&inputs, &RrfParams::default()).unwrap();
        let combined = score_combination(&inputs, Normalization::MinMax, 500, 200).unwrap();
        for fused in [rrf, combined] {
            prop_assert!(fused.windows(2).all(|w| w[0].score > w[1].score || (w[0].score == w[1].score && w[0].doc < w[1].doc)));
            let docs: std::collections::HashSet<u32> = fused.iter().map(|h| h.doc).collect();
            prop_assert_eq!(docs.len(), fused.len());
            for hit in &fused {
                for (signal, list) in hit.signals.iter().zip([&a, &b]) {
                    let pos = list.iter().position(|h| h.doc == hit.doc);
                    prop_assert_eq!(signal.map(|s| s.rank as usize), pos.map(|p| p + 1));
                    prop_assert_eq!(signal.map(|s| s.score), pos.map(|p| list[p].score));
                }
            }
        }
    }

    /// RRF over one list keeps that list's order.
    #[test]
    fn single_list_keeps_its_order(a in prop::collection::vec((0u32..100, any::<u8>()), 0..80)) {
        let a = ranked(a);
        let fused = weighted_rrf(&[FusionInput::new("a", 1.0, &a)], &RrfParams::default()).unwrap();
        prop_assert_eq!(fused.iter().map(|h| h.doc).collect::<Vec<_>>(), a.iter().map(|h| h.doc).collect::<Vec<_>>());
    }
}
