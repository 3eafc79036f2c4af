//! The English stopword list.
//!
//! Based on scikit-learn's `ENGLISH_STOP_WORDS` (318 words, from the Glasgow IR
//! group), minus 50 words that name product properties or appear in product
//! names, so dropping them would lose matches: see [`KEPT`].

use crate::packed::pack;
use rustc_hash::FxBuildHasher;
use std::collections::HashSet;
use std::sync::OnceLock;

/// Words of the scikit-learn list that are *not* stopwords here, because shoppers
/// search for them: numbers ("two pack"), positions ("top", "bottom", "side",
/// "front", "back", "over ear", "under sink"), "up"/"down"/"off"/"out"
/// ("push up", "down comforter", "off white", "pull out"), "without", "no"
/// ("no show socks"), "fire" ("fire tv"), "can" ("trash can"), "go" ("go kart"),
/// "mill", "system", "part" ... Also, stopwords are removed before stemming, so a
/// stopword like "part" would vanish from a query while "parts" in titles stems
/// to "part".
pub const KEPT: &[&str] = &[
    "back", "bill", "bottom", "call", "can", "detail", "down", "eight", "eleven", "empty",
    "fifteen", "fifty", "fill", "fire", "first", "five", "forty", "four", "front", "full", "go",
    "hundred", "last", "mill", "name", "nine", "no", "off", "one", "out", "over", "part", "show",
    "side", "six", "sixty", "system", "ten", "thick", "thin", "third", "three", "top", "twelve",
    "twenty", "two", "under", "up", "whole", "without",
];

/// The stopwords, sorted (a test checks the order).
#[rustfmt::skip]
pub const STOPWORDS: &[&str] = &[
    "a", "about", "above", "across", "after", "afterwards", "again", "against", "all", "almost",
    "alone", "along", "already", "also", "although", "always", "am", "among", "amongst",
    "amoungst", "amount", "an", "and", "another", "any", "anyhow", "anyone", "anything",
    "anyway", "anywhere", "are", "around", "as", "at", "be", "became", "because", "become",
    "becomes", "becoming", "been", "before", "beforehand", "behind", "being", "below", "beside",
    "besides", "between", "beyond", "both", "but", "by", "cannot", "cant", "co", "con", "could",
    "couldnt", "cry", "de", "describe", "do", "done", "due", "during", "each", "eg", "either",
    "else", "elsewhere", "enough", "etc", "even", "ever", "every", "everyone", "everything",
    "everywhere", "except", "few", "find", "for", "former", "formerly", "found", "from",
    "further", "get", "give", "had", "has", "hasnt", "have", "he", "hence", "her", "here",
    "hereafter", "hereby", "herein", "hereupon", "hers", "herself", "him", "himself", "his",
    "how", "however", "i", "ie", "if", "in", "inc", "indeed", "interest", "into", "is", "it",
    "its", "itself", "keep", "latter", "latterly", "least", "less", "ltd", "made", "many",
    "may", "me", "meanwhile", "might", "mine", "more", "moreover", "most", "mostly", "move",
    "much", "must", "my", "myself", "namely", "neither", "never", "nevertheless", "next",
    "nobody", "none", "noone", "nor", "not", "nothing", "now", "nowhere", "of", "often", "on",
    "once", "only", "onto", "or", "other", "others", "otherwise", "our", "ours", "ourselves",
    "own", "per", "perhaps", "please", "put", "rather", "re", "same", "see", "seem", "seemed",
    "seeming", "seems", "serious", "several", "she", "should", "since", "sincere", "so", "some",
    "somehow", "someone", "something", "sometime", "sometimes", "somewhere", "still", "such",
    "take", "than", "that", "the", "their", "them", "themselves", "then", "thence", "there",
    "thereafter", "thereby", "therefore", "therein", "thereupon", "these", "they", "this",
    "those", "though", "through", "throughout", "thru", "thus", "to", "together", "too",
    "toward", "towards", "un", "until", "upon", "us", "very", "via", "was", "we", "well",
    "were", "what", "whatever", "when", "whence", "whenever", "where", "whereafter", "whereas",
    "whereby", "wherein", "whereupon", "wherever", "whether", "which", "while", "whither",
    "who", "whoever", "whom", "whose", "why", "will", "with", "within", "would", "yet", "you",
    "your", "yours", "yourself", "yourselves",
];

/// Whether `token` (lowercase, unstemmed) is a stopword.
pub fn is_stopword(token: &str) -> bool {
    // This runs once per token: one hash probe on a packed integer, no string
    // comparison (a binary search here cost more than stemming).
    static SET: OnceLock<HashSet<u128, FxBuildHasher>> = OnceLock::new();
    let Some(key) = pack(token) else {
        return false;
    };
    SET.get_or_init(|| STOPWORDS.iter().filter_map(|w| pack(w)).collect())
        .contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_lowercase_and_disjoint_from_kept() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(STOPWORDS.len() + KEPT.len(), 318);
        for word in STOPWORDS {
            assert!(pack(word).is_some());
            assert!(word.bytes().all(|b| b.is_ascii_lowercase()));
            assert!(!KEPT.contains(word));
        }
    }

    #[test]
    fn lookups() {
        for word in ["the", "a", "and", "with", "of", "for", "yourselves"] {
            assert!(is_stopword(word), "{word}");
        }
        for word in KEPT.iter().copied().chain(["drill", "", "20v", "The"]) {
            assert!(!is_stopword(word), "{word}");
        }
    }
}
