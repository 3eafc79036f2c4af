//! The analyzer: normalisation, tokenisation, stopwords and stemming in one pass.

use crate::AnalyzerConfig;
use crate::normalize::normalize_into;
use crate::stem::{StemCache, is_stemmable};
use crate::stopwords::is_stopword;
use crate::tokenize::Tokenizer;
use std::cell::RefCell;

/// Turns text into index terms. Documents and queries go through the same
/// instance (or one with the same config and [`Analyzer::VERSION`]), so their
/// terms agree.
///
/// The analyzer itself is a plain value, `Send + Sync` and cheap to share; the
/// buffers and the stem memo it works with live in a per-thread scratch space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Analyzer {
    config: AnalyzerConfig,
}

/// Working memory reused across calls on one thread.
#[derive(Default)]
struct Scratch {
    tokenizer: Tokenizer,
    stems: StemCache,
    /// Normalisation buffers for chunks holding non-ASCII text.
    pre: String,
    norm: String,
    /// The stem of the token being emitted.
    stem: String,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Analyzer {
    /// Bumped whenever the token stream for some input changes; recorded in index
    /// files so a stale index is refused.
    pub const VERSION: u32 = 1;

    /// Tokens longer than this (in UTF-8 bytes) are dropped: they are junk (URLs,
    /// base64, runs of CJK-free scripts without spaces) and would bloat the lexicon.
    pub const MAX_TOKEN_BYTES: usize = 64;

    /// An analyzer with the given options.
    pub fn new(config: AnalyzerConfig) -> Analyzer {
        Analyzer { config }
    }

    /// The options this analyzer runs with.
    pub fn config(&self) -> AnalyzerConfig {
        self.config
    }

    /// Calls `emit` once per token of `text`, in order.
    ///
    /// The hot path of index building: no allocation per token (the `&str` points
    /// into reused buffers, so copy it if you keep it).
    pub fn for_each_token(&self, text: &str, mut emit: impl FnMut(&str)) {
        let emit: &mut dyn FnMut(&str) = &mut emit;
        let done = SCRATCH
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => {
                    self.run(text, &mut scratch, emit);
                    true
                }
                // Re-entered from inside `emit`: fall back to fresh buffers below.
                Err(_) => false,
            })
            // Thread-local already destroyed (called from another destructor).
            .unwrap_or(false);
        if !done {
            self.run(text, &mut Scratch::default(), emit);
        }
    }

    /// The tokens of `text`, collected.
    pub fn analyze(&self, text: &str) -> Vec<String> {
        let mut tokens = Vec::new();
        self.for_each_token(text, |token| tokens.push(token.to_owned()));
        tokens
    }

    fn run(&self, text: &str, scratch: &mut Scratch, emit: &mut dyn FnMut(&str)) {
        let Scratch {
            tokenizer,
            stems,
            pre,
            norm,
            stem,
        } = scratch;
        let config = self.config;
        let mut sink = |token: &str, digit: bool| {
            if token.len() > Analyzer::MAX_TOKEN_BYTES {
                return;
            }
            if digit {
                emit(token);
                return;
            }
            if config.stopwords && is_stopword(token) {
                return;
            }
            if config.stem && is_stemmable(token) {
                stems.stem_into(token, stem);
                if stem.len() <= Analyzer::MAX_TOKEN_BYTES {
                    emit(stem);
                }
            } else {
                emit(token);
            }
        };
        if text.is_ascii() {
            tokenizer.run(text, &mut sink);
            return;
        }
        // Normalise only the chunks that need it. Splitting at ASCII whitespace is
        // safe: it never composes with a neighbour under NFKC and always ends a token.
        for chunk in text.split(|c: char| c.is_ascii_whitespace()) {
            if chunk.is_ascii() {
                tokenizer.run(chunk, &mut sink);
            } else {
                normalize_into(chunk, pre, norm);
                tokenizer.run(norm, &mut sink);
            }
        }
    }
}
