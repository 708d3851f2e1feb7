//! A literal prefilter for the log scanner: the strings every match of a pattern must contain,
//! found in one Aho-Corasick pass per line. Most log lines contain none of them and never reach
//! a regex, which keeps scanning for every profile's signatures as cheap as scanning for one.

use aho_corasick::{AhoCorasick, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};

/// Literals shorter than this filter out too little to be worth it.
const MIN_LITERAL_BYTES: usize = 3;
/// More alternatives than this (case-insensitive words expand quickly) make a slow automaton.
const MAX_LITERALS_PER_PATTERN: usize = 16;

/// Which lines could match at least one pattern.
#[derive(Clone, Debug)]
pub struct Prefilter {
    /// `None` when some pattern has no usable required literal: then every line is a candidate.
    literals: Option<AhoCorasick>,
}

impl Prefilter {
    /// Builds the prefilter for patterns, all of which must parse (they are compiled regexes).
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Prefilter {
        let mut all: Vec<Vec<u8>> = Vec::new();
        for pattern in patterns {
            match required_literals(pattern) {
                Some(literals) => all.extend(literals),
                None => return Prefilter { literals: None },
            }
        }
        all.sort();
        all.dedup();
        // Leftmost-first lets the automaton use its SIMD (Teddy) prefilter; the standard match
        // kind measured six times slower here, and only "is there a match" is asked.
        let literals = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&all)
            .ok();
        Prefilter { literals }
    }

    /// False only when no pattern can match `line`.
    pub fn may_match(&self, line: &str) -> bool {
        self.literals
            .as_ref()
            .is_none_or(|literals| literals.is_match(line))
    }

    /// Whether lines are filtered at all (false when a pattern has no required literal).
    pub fn is_active(&self) -> bool {
        self.literals.is_some()
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
        assert_eq!(
            literals(crate::rules::logs::CREDENTIALS_PATTERN).unwrap(),
            ["://"]
        );
    }

    #[test]
    fn patterns_without_a_usable_literal_turn_the_filter_off() {
        assert_eq!(literals(r"\d+"), None);
        assert_eq!(literals("ab|cd"), None);
        assert_eq!(literals(r"\w+ \d+"), None);
        let prefilter = Prefilter::new(["Using SQLite", r"\w+ \d+"]);
        assert!(!prefilter.is_active());
        assert!(prefilter.may_match("anything at all"));
    }

    #[test]
    fn a_line_a_pattern_matches_always_passes_the_filter() {
        let patterns = [
            r"\w+ failed",
            r"Using built-in PostgreSQL \((?P<path>[^)]*)\)",
            "(?i)database is LOCKED",
            r"ORM engine initialization attempt #\d+/\d+ failed",
            crate::rules::logs::CREDENTIALS_PATTERN,
        ];
        let prefilter = Prefilter::new(patterns);
        assert!(prefilter.is_active());
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
    }

    static SHIPPED: std::sync::LazyLock<Shipped> = std::sync::LazyLock::new(|| {
        let (patterns, examples) = shipped();
        Shipped {
            prefilter: Prefilter::new(patterns.iter().map(String::as_str)),
            set: RegexSet::new(&patterns).unwrap(),
            examples,
        }
    });

    fn shipped() -> (Vec<String>, Vec<String>) {
        let profiles = Profiles::built_in().unwrap();
        let mut patterns: Vec<String> = profiles
            .signatures()
            .iter()
            .map(|s| s.regex.as_str().to_string())
            .collect();
        patterns.push(crate::rules::logs::CREDENTIALS_PATTERN.to_string());
        let mut examples: Vec<String> = profiles
            .signatures()
            .iter()
            .map(|s| s.example.clone())
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
            let Shipped { prefilter, set, examples } = &*SHIPPED;
            prop_assert!(prefilter.is_active());
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
}
