//! A literal prefilter for the log scanner: the strings every match of a pattern must contain,
//! found in one SIMD pass per line. Most log lines contain none of them and never reach a regex,
//! which keeps scanning for every profile's signatures as cheap as scanning for one.
//!
//! The pass looks for each literal's fingerprint ([`super::fingerprints`]) and confirms a hit by
//! comparing the literals that own it, so the answer is exact: a line passes if and only if it
//! contains one of the literals.

use super::fingerprints::{self, Anchor};
use aho_corasick::packed;
use aho_corasick::{AhoCorasick, Input, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};

/// Literals shorter than this filter out too little to be worth it (and Teddy tests this many
/// leading bytes of each pattern).
const MIN_LITERAL_BYTES: usize = fingerprints::FINGERPRINT_BYTES;
/// More alternatives than this (case-insensitive words expand quickly) make a slow automaton.
const MAX_LITERALS_PER_PATTERN: usize = 16;
/// Fingerprint hits a line may fail to confirm before it passes unconfirmed: the regexes then
/// decide, in linear time, so a line made of fingerprints costs no more than its length.
const MAX_UNCONFIRMED_HITS: usize = 64;

/// Which lines could match at least one pattern.
#[derive(Clone, Debug)]
pub(super) struct Prefilter {
    /// `None` when some pattern has no usable required literal: then every line is a candidate.
    anchors: Option<AnchorSearch>,
    /// The indices of the patterns without one.
    without_literal: Vec<usize>,
}

#[derive(Clone, Debug)]
struct AnchorSearch {
    searcher: Searcher,
    /// Indexed by pattern id.
    anchors: Vec<Anchor>,
}

/// Teddy itself where the CPU has its SIMD instructions (SSSE3/AVX2, NEON), else the
/// Aho-Corasick automaton.
#[derive(Clone, Debug)]
enum Searcher {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Searcher {
    fn new(patterns: &[&[u8]]) -> Option<Searcher> {
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(patterns)
            .build();
        match packed {
            Some(searcher) => Some(Searcher::Packed(searcher)),
            None => AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(patterns)
                .ok()
                .map(Searcher::Automaton),
        }
    }

    /// The leftmost pattern occurrence starting at or after `at`: (pattern id, start).
    fn find_from(&self, haystack: &[u8], at: usize) -> Option<(usize, usize)> {
        let found = match self {
            Searcher::Packed(searcher) => {
                searcher.find_in(haystack, aho_corasick::Span::from(at..haystack.len()))
            }
            Searcher::Automaton(automaton) => {
                automaton.find(Input::new(haystack).range(at..haystack.len()))
            }
        };
        found.map(|m| (m.pattern().as_usize(), m.start()))
    }
}

impl Prefilter {
    /// Builds the prefilter for patterns, all of which must parse (they are compiled regexes).
    pub(super) fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Prefilter {
        let mut all: Vec<Vec<u8>> = Vec::new();
        let mut without_literal = Vec::new();
        for (index, pattern) in patterns.into_iter().enumerate() {
            match required_literals(pattern) {
                Some(literals) => all.extend(literals),
                None => without_literal.push(index),
            }
        }
        if !without_literal.is_empty() {
            return Prefilter {
                anchors: None,
                without_literal,
            };
        }
        all.sort();
        all.dedup();
        let anchors = fingerprints::anchors(&all);
        let patterns: Vec<&[u8]> = anchors.iter().map(|a| a.pattern.as_slice()).collect();
        Prefilter {
            anchors: Searcher::new(&patterns).map(|searcher| AnchorSearch { searcher, anchors }),
            without_literal,
        }
    }

    /// False only when no pattern can match `line`.
    pub(super) fn may_match(&self, line: &str) -> bool {
        let Some(search) = &self.anchors else {
            return true;
        };
        let line = line.as_bytes();
        let mut at = 0;
        for _ in 0..MAX_UNCONFIRMED_HITS {
            let Some((id, start)) = search.searcher.find_from(line, at) else {
                return false;
            };
            let confirmed = search.anchors[id].members.iter().any(|member| {
                start
                    .checked_sub(member.offset)
                    .and_then(|from| line.get(from..))
                    .is_some_and(|rest| rest.starts_with(&member.literal))
            });
            if confirmed {
                return true;
            }
            // Fingerprints are distinct 3-byte strings, so no other anchor starts at `start`.
            at = start + 1;
        }
        true
    }

    /// The indices of the patterns with no required literal: any one turns the filter off.
    pub(super) fn patterns_without_literal(&self) -> &[usize] {
        &self.without_literal
    }
}

/// A set of literals one of which every match of `pattern` contains, the most selective found:
/// its prefixes, its suffixes, or the longest literal piece of its top-level sequence.
fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::parse(pattern).ok()?;
    let mut candidates: Vec<Vec<Vec<u8>>> = Vec::new();
    for prefix in [true, false] {
        let kind = if prefix {
            ExtractKind::Prefix
        } else {
            ExtractKind::Suffix
        };
        let mut seq = Extractor::new().kind(kind).extract(&hir);
        // Case-insensitive words expand into every spelling: shorten them until few remain.
        while let Some(length) = seq.max_literal_len()
            && seq.len().is_some_and(|n| n > MAX_LITERALS_PER_PATTERN)
            && length > MIN_LITERAL_BYTES
        {
            if prefix {
                seq.keep_first_bytes(length - 1);
            } else {
                seq.keep_last_bytes(length - 1);
            }
            seq.dedup();
        }
        if let Some(literals) = seq.literals() {
            candidates.push(literals.iter().map(|l| l.as_bytes().to_vec()).collect());
        }
    }
    if let Some(piece) = longest_required_piece(&hir) {
        candidates.push(vec![piece]);
    }
    candidates
        .into_iter()
        .filter(|set| {
            !set.is_empty()
                && set.len() <= MAX_LITERALS_PER_PATTERN
                && set.iter().all(|l| l.len() >= MIN_LITERAL_BYTES)
        })
        .max_by_key(|set| set.iter().map(Vec::len).min().unwrap_or(0))
}

/// The longest literal that is a direct part of the pattern's top-level sequence (every match
/// contains it), e.g. `://` in `[a-z]+://\S+`.
fn longest_required_piece(hir: &Hir) -> Option<Vec<u8>> {
    let parts: &[Hir] = match hir.kind() {
        HirKind::Concat(parts) => parts,
        HirKind::Capture(capture) => return longest_required_piece(&capture.sub),
        HirKind::Literal(literal) => return Some(literal.0.to_vec()),
        _ => return None,
    };
    parts
        .iter()
        .filter_map(|part| match part.kind() {
            HirKind::Literal(literal) => Some(literal.0.to_vec()),
            HirKind::Capture(_) => longest_required_piece(part),
            _ => None,
        })
        .max_by_key(Vec::len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn literals(pattern: &str) -> Option<Vec<String>> {
        required_literals(pattern).map(|set| {
            set.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn prefixes_suffixes_and_inner_pieces() {
        assert_eq!(
            literals(r"Using built-in PostgreSQL \((?P<path>[^)]*)\)").unwrap(),
            ["Using built-in PostgreSQL ("]
        );
        assert_eq!(
            literals("Database Type: (sqlite|embedded-mariadb)").unwrap(),
            ["Database Type: sqlite", "Database Type: embedded-mariadb"]
        );
        let any_case = literals("(?i)database is locked").unwrap();
        assert!(any_case.len() <= MAX_LITERALS_PER_PATTERN, "{any_case:?}");
        for spelling in [
            "database is locked",
            "DATABASE IS LOCKED",
            "Database is Locked",
        ] {
            assert!(
                any_case.iter().any(|l| spelling.contains(l.as_str())),
                "{spelling}"
            );
        }
        assert_eq!(literals(r".*dbtype=sqlite3").unwrap(), ["dbtype=sqlite3"]);
        assert_eq!(literals(crate::scan::CREDENTIALS_PATTERN).unwrap(), ["://"]);
    }

    #[test]
    fn patterns_without_a_usable_literal_turn_the_filter_off() {
        assert_eq!(literals(r"\d+"), None);
        assert_eq!(literals("ab|cd"), None);
        assert_eq!(literals(r"\w+ \d+"), None);
        let prefilter = Prefilter::new(["Using SQLite", r"\w+ \d+"]);
        assert!(prefilter.anchors.is_none());
        assert_eq!(prefilter.patterns_without_literal(), [1]);
        assert!(prefilter.may_match("anything at all"));
    }

    #[test]
    fn a_line_a_pattern_matches_always_passes_the_filter() {
        let patterns = [
            r"\w+ failed",
            r"Using built-in PostgreSQL \((?P<path>[^)]*)\)",
            "(?i)database is LOCKED",
            r"ORM engine initialization attempt #\d+/\d+ failed",
            crate::scan::CREDENTIALS_PATTERN,
        ];
        let prefilter = Prefilter::new(patterns);
        assert!(prefilter.anchors.is_some());
        let lines = [
            "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)",
            "ERROR: DATABASE IS LOCKED (5)",
            "Database Is Locked",
            "ORM engine initialization attempt #3/10 failed",
            "url=POSTGRES://coder:secret@db:5432/coder",
        ];
        for line in lines {
            assert!(
                patterns
                    .iter()
                    .any(|p| Regex::new(p).unwrap().is_match(line))
            );
            assert!(prefilter.may_match(line), "{line}");
        }
        assert!(
            !prefilter.may_match(
                "2026-11-24 03:20:01.114 [info]  coderd: workspace agent stats rx_bytes=1"
            )
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::profiles::Profiles;
    use proptest::prelude::*;
    use regex::RegexSet;

    struct Shipped {
        prefilter: Prefilter,
        set: RegexSet,
        examples: Vec<String>,
        /// The required literals of every pattern.
        literals: Vec<Vec<u8>>,
    }

    static SHIPPED: std::sync::LazyLock<Shipped> = std::sync::LazyLock::new(|| {
        let (patterns, examples) = shipped();
        let mut literals: Vec<Vec<u8>> = patterns
            .iter()
            .flat_map(|pattern| required_literals(pattern).unwrap())
            .collect();
        literals.sort();
        literals.dedup();
        Shipped {
            prefilter: Prefilter::new(patterns.iter().map(String::as_str)),
            set: RegexSet::new(&patterns).unwrap(),
            examples,
            literals,
        }
    });

    fn shipped() -> (Vec<String>, Vec<String>) {
        let profiles = Profiles::built_in().unwrap();
        let mut patterns: Vec<String> = profiles
            .signatures()
            .iter()
            .map(|s| s.regex.as_str().to_string())
            .collect();
        patterns.push(crate::scan::CREDENTIALS_PATTERN.to_string());
        let mut examples: Vec<String> = profiles
            .signatures()
            .iter()
            .flat_map(|s| s.all_examples().map(str::to_string))
            .collect();
        examples.push("url=postgres://coder:hunter2@db:5432/coder".to_string());
        (patterns, examples)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// The prefilter may let through lines no pattern matches, never the reverse: any
        /// shipped example, cut anywhere and wrapped in noise, that a pattern still matches
        /// passes the filter.
        #[test]
        fn never_hides_a_line_a_pattern_matches(
            which in 0usize..64,
            before in "[ -~]{0,40}",
            after in "[ -~\u{e9}\u{212a}]{0,40}",
            cut in 0usize..200,
        ) {
            let Shipped { prefilter, set, examples, .. } = &*SHIPPED;
            prop_assert!(prefilter.anchors.is_some());
            let example = &examples[which % examples.len()];
            let mut end = cut.min(example.len());
            while !example.is_char_boundary(end) {
                end -= 1;
            }
            for line in [
                format!("{before}{example}{after}"),
                format!("{before}{}", &example[..end]),
                format!("{}{after}", &example[end..]),
            ] {
                if set.is_match(&line) {
                    prop_assert!(prefilter.may_match(&line), "{line:?}");
                }
            }
        }
    }

    #[test]
    fn the_shipped_literals_fit_the_searchers_buckets() {
        let search = SHIPPED.prefilter.anchors.as_ref().unwrap();
        let fingerprints: std::collections::BTreeSet<[u8; 3]> = search
            .anchors
            .iter()
            .map(|a| fingerprints::low_nibbles(&a.pattern))
            .collect();
        // Teddy shares a bucket between fingerprints of equal low nibbles only: each of the
        // eight holds one kind, so a hit is nearly always a real fingerprint.
        assert!(fingerprints.len() <= 8, "{:?}", search.anchors);
        assert!(matches!(search.searcher, Searcher::Packed(_)));
    }

    /// Lines made of pieces of the literals (whole, cut, or next to each other) and other text.
    fn line_of_pieces() -> impl Strategy<Value = String> {
        let literals: Vec<String> = SHIPPED
            .literals
            .iter()
            .map(|l| String::from_utf8(l.clone()).unwrap())
            .collect();
        let piece = prop_oneof![
            prop::sample::select(literals.clone()),
            (
                prop::sample::select(literals),
                any::<prop::sample::Index>(),
                any::<prop::sample::Index>()
            )
                .prop_map(|(literal, a, b)| {
                    let (a, b) = (a.index(literal.len() + 1), b.index(literal.len() + 1));
                    literal
                        .get(a.min(b)..a.max(b))
                        .unwrap_or_default()
                        .to_string()
                }),
            "[ -~]{0,12}",
        ];
        prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        /// The filter is exact: it confirms each fingerprint hit against the literals, so a
        /// line passes if and only if it contains one (unless it holds so many unconfirmed hits
        /// that confirming them would cost more than the regexes).
        #[test]
        fn a_line_passes_exactly_when_it_contains_a_literal(line in line_of_pieces()) {
            let Shipped { prefilter, literals, .. } = &*SHIPPED;
            let contains = literals
                .iter()
                .any(|l| line.as_bytes().windows(l.len()).any(|w| w == l.as_slice()));
            let search = prefilter.anchors.as_ref().unwrap();
            let hits = (0..line.len())
                .filter(|&at| {
                    search
                        .anchors
                        .iter()
                        .any(|a| line.as_bytes()[at..].starts_with(&a.pattern))
                })
                .count();
            if contains || hits < MAX_UNCONFIRMED_HITS {
                prop_assert_eq!(prefilter.may_match(&line), contains);
            }
        }
    }
}
