//! The log scanner: every profile signature and the credentials pattern, compiled once, run over
//! lines. Per line (read without ANSI colour codes), a literal prefilter (`prefilter.rs`,
//! through `fingerprints.rs`) keeps nearly every line away from the regexes; the rest go through
//! one `RegexSet` pass. The rules turn its matches into findings (`crate::rules::logs`).

mod fingerprints;
mod prefilter;

use crate::events::logs::LogLine;
use crate::finding::RuleId;
use crate::profiles::Profiles;
use crate::redact;
use prefilter::Prefilter;
use regex::{Regex, RegexSet};

/// How many evidence lines a finding keeps.
pub const EVIDENCE_LINES: usize = 3;
/// How many characters of a line an evidence excerpt keeps.
const EVIDENCE_CHARS: usize = 400;

/// `://user:password@`: a URL that carries a password, read exactly as the redactor reads it
/// (the password runs to the last `@` of the word), so that every password the redactor
/// hides in a log line is reported.
pub const CREDENTIALS_PATTERN: &str = crate::redact::URL_PASSWORD_PATTERN;

/// The subscription filter term for credentials in URLs, in CloudWatch's regex filter syntax
/// (no negated classes, no `%`, no groups): `://`, later a `:`, later an `@`. A generated
/// password may hold any printable character, which no character class of that syntax spells.
const CREDENTIALS_FILTER: &str = "://.*:.*@";

/// The CloudWatch Logs subscription filter pattern that lets through only lines some rule can
/// match: every profile signature's `filter` term and the credentials term, as one regex.
/// `template.yaml`'s default `LogFilterPattern` is this value (a test keeps them equal).
pub fn subscription_filter_pattern(profiles: &Profiles) -> String {
    let filters: Vec<&str> = profiles
        .signatures()
        .iter()
        .map(|signature| signature.filter.as_str())
        .collect();
    let mut terms: Vec<&str> = Vec::new();
    for (index, term) in filters.iter().enumerate() {
        // A term another one already lets through adds nothing but length.
        let covered = filters.iter().enumerate().any(|(other_index, other)| {
            other_index != index
                && covers(other, term)
                && (!covers(term, other) || other_index < index)
        });
        if !covered && !terms.contains(term) {
            terms.push(term);
        }
    }
    terms.push(CREDENTIALS_FILTER);
    format!("%{}%", terms.join("|"))
}

/// CloudWatch Logs' limit on a subscription filter pattern, in characters (API reference,
/// PutSubscriptionFilter: filterPattern "Maximum length of 1024").
pub const MAX_FILTER_PATTERN_CHARS: usize = 1024;

/// Whether every line the filter term `narrow` lets through, `wide` lets through too. Decided
/// only for plain terms (letters, digits, the allowed symbols and `.` for any character):
/// `wide` must occur in `narrow` with each of its `.` over any character of `narrow` and each
/// other character over the same one.
fn covers(wide: &str, narrow: &str) -> bool {
    let plain = |term: &str| {
        term.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".:_#=@/;,-".contains(c))
    };
    if !plain(wide) || !plain(narrow) || wide.len() > narrow.len() {
        return false;
    }
    let (wide, narrow) = (wide.as_bytes(), narrow.as_bytes());
    narrow
        .windows(wide.len())
        .any(|window| window.iter().zip(wide).all(|(n, w)| *w == b'.' || (n == w)))
}

#[derive(Clone, Debug)]
struct Pattern {
    rule: RuleId,
    /// Index into the profiles; `None` for built-in patterns (credentials).
    profile: Option<usize>,
    regex: Regex,
    /// Fields the line must also carry (any rendering).
    fields: Vec<Regex>,
    /// Captures the reported path from a field.
    path_field: Option<Regex>,
    meaning: String,
    summary: Option<String>,
    fix: Vec<String>,
}

/// All log patterns compiled once: a literal prefilter, then a [`RegexSet`].
#[derive(Clone, Debug)]
pub struct LogScanner {
    prefilter: Prefilter,
    set: RegexSet,
    patterns: Vec<Pattern>,
    max_line_bytes: usize,
}

/// One line of evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    /// Redacted, single-line excerpt.
    pub line: String,
}

/// Matches of one rule for one profile within a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    pub rule: RuleId,
    pub profile: Option<usize>,
    /// The meaning of the first signature that matched.
    pub meaning: String,
    /// The summary of the first signature that matched, if it has its own.
    pub summary: Option<String>,
    /// The fix of the first signature that matched, if it has its own.
    pub fix: Vec<String>,
    pub count: u64,
    pub evidence: Vec<Evidence>,
    /// The `path` capture of the first match, e.g. the built-in database's directory.
    pub path: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("log patterns do not compile together: {0}")]
pub struct ScannerError(String);

impl LogScanner {
    /// Compiles every profile signature plus the credentials pattern. `max_line_bytes` bounds
    /// how much of each line is examined.
    pub fn new(profiles: &Profiles, max_line_bytes: usize) -> Result<LogScanner, ScannerError> {
        let mut patterns: Vec<Pattern> = profiles
            .signatures()
            .iter()
            .map(|signature| Pattern {
                rule: signature.rule,
                profile: Some(signature.profile),
                regex: signature.regex.clone(),
                fields: signature.fields.clone(),
                path_field: signature.path_field.clone(),
                meaning: signature.meaning.clone(),
                summary: signature.summary.clone(),
                fix: signature.fix.clone(),
            })
            .collect();
        patterns.push(Pattern {
            rule: RuleId::CredentialsInLogs,
            profile: None,
            regex: Regex::new(CREDENTIALS_PATTERN).expect("valid regex"),
            fields: Vec::new(),
            path_field: None,
            meaning: "a log line contains a URL with a password".to_string(),
            summary: None,
            fix: Vec::new(),
        });
        let set = RegexSet::new(patterns.iter().map(|pattern| pattern.regex.as_str()))
            .map_err(|error| ScannerError(error.to_string()))?;
        Ok(LogScanner {
            prefilter: Prefilter::new(patterns.iter().map(|pattern| pattern.regex.as_str())),
            set,
            patterns,
            max_line_bytes,
        })
    }

    /// The signatures without a fixed piece of text (3 bytes or more) that every match
    /// contains, as (profile index, pattern): one is enough to turn the prefilter off, so that
    /// every log line goes through the regexes.
    pub fn signatures_without_literal(&self) -> impl Iterator<Item = (usize, &str)> {
        self.prefilter
            .patterns_without_literal()
            .iter()
            .filter_map(|&index| {
                let pattern = &self.patterns[index];
                Some((pattern.profile?, pattern.regex.as_str()))
            })
    }

    /// Scans lines once each, for every pattern at the same time.
    pub fn scan_lines(&self, lines: &[LogLine]) -> Vec<RuleMatch> {
        let mut matches: Vec<RuleMatch> = Vec::new();
        for event in lines {
            let raw = examined_part(&event.message, self.max_line_bytes);
            // Colour codes can fall inside a literal (Uptime Kuma 2 colours `[SERVER] INFO:`),
            // so everything reads the line without them; borrowed, no copy, when it has none.
            let uncoloured = crate::events::logs::without_colours(raw);
            let line: &str = &uncoloured;
            if !self.prefilter.may_match(line) || !self.set.is_match(line) {
                continue;
            }
            for index in self.set.matches(line).iter() {
                let pattern = &self.patterns[index];
                if !pattern.fields.iter().all(|field| field.is_match(line)) {
                    continue;
                }
                let captures = pattern.regex.captures(line);
                if pattern.rule == RuleId::CredentialsInLogs
                    && pattern.profile.is_none()
                    && !carries_password(&pattern.regex, line)
                {
                    continue;
                }
                let entry = match matches
                    .iter_mut()
                    .position(|m| m.rule == pattern.rule && m.profile == pattern.profile)
                {
                    Some(position) => &mut matches[position],
                    None => {
                        matches.push(RuleMatch {
                            rule: pattern.rule,
                            profile: pattern.profile,
                            meaning: pattern.meaning.clone(),
                            summary: pattern.summary.clone(),
                            fix: pattern.fix.clone(),
                            count: 0,
                            evidence: Vec::new(),
                            path: None,
                        });
                        matches.last_mut().expect("just pushed")
                    }
                };
                entry.count += 1;
                if entry.evidence.len() < EVIDENCE_LINES {
                    entry.evidence.push(Evidence {
                        timestamp: event.timestamp,
                        line: redact::excerpt(line, EVIDENCE_CHARS),
                    });
                }
                if entry.path.is_none() {
                    entry.path = captures
                        .as_ref()
                        .and_then(|c| c.name("path"))
                        .or_else(|| {
                            pattern
                                .path_field
                                .as_ref()
                                .and_then(|field| field.captures(line))
                                .and_then(|c| c.name("path"))
                        })
                        .map(|path| redact::excerpt(path.as_str(), 200));
                }
            }
        }
        matches
    }
}

/// The part of a line the rules look at: without the trailing `\r\n`, at most `max` bytes,
/// cut on a character boundary.
pub fn examined_part(message: &str, max: usize) -> &str {
    let line = message.trim_end_matches(['\r', '\n']);
    if line.len() <= max {
        return line;
    }
    let mut end = max;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

/// Whether some `scheme://user:password@` in `line` carries a password; every URL on the line
/// counts, not only the first (`http://host:3000/a@b` before a database URL must not hide it).
fn carries_password(pattern: &Regex, line: &str) -> bool {
    pattern.captures_iter(line).any(|captures| {
        let start = captures.get(0).expect("the whole match").start();
        let password = captures.get(3).map_or("", |m| m.as_str());
        looks_like_password(scheme_before(line, start), password)
    })
}

/// The URL scheme that ends at `end` (`postgresql`, `jdbc:postgresql`, `mongodb+srv`).
fn scheme_before(line: &str, end: usize) -> &str {
    let head = &line[..end];
    let start = head
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+.-:".contains(c)))
        .map_or(0, |i| i + 1);
    &head[start..]
}

/// Database URL schemes: their authority always ends at the first `/` and their path is a
/// database name, so `host:5432/db@x` is no reading of them and `user:12/ab@host` is a password.
const DATABASE_SCHEMES: [&str; 12] = [
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "mongodb+srv",
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "sqlserver",
    "mssql",
];

/// Rules out what the pattern catches that is not a password: nothing at all, an already
/// masked value, or, outside database URLs, a port followed by a path (`http://host:3000/a@b`).
/// A password may begin with `/` (generated ones do): that is no port.
fn looks_like_password(scheme: &str, candidate: &str) -> bool {
    let scheme = scheme
        .rsplit(':')
        .next()
        .unwrap_or(scheme)
        .to_ascii_lowercase();
    let head = candidate
        .split_once('/')
        .map(|(head, _)| head)
        .unwrap_or(candidate);
    let port_then_path = !DATABASE_SCHEMES.contains(&scheme.as_str())
        && !head.is_empty()
        && head.chars().all(|c| c.is_ascii_digit());
    let masked =
        !candidate.is_empty() && candidate.chars().all(|c| c == '*' || c == 'x' || c == 'X');
    !candidate.is_empty() && !port_then_path && !masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_on_a_character_boundary() {
        let line = "é".repeat(10);
        assert_eq!(examined_part(&line, 5), "éé");
        assert_eq!(examined_part("abc\r\n", 100), "abc");
    }

    #[test]
    fn the_subscription_filter_lets_every_matching_line_through() {
        let profiles = Profiles::built_in().unwrap();
        let pattern = subscription_filter_pattern(&profiles);
        assert!(pattern.starts_with('%') && pattern.ends_with('%'));
        // CloudWatch's regex dialect is a subset of Rust's for these characters.
        let filter = Regex::new(pattern.trim_matches('%')).unwrap();
        for signature in profiles.signatures() {
            for example in signature.all_examples() {
                assert!(filter.is_match(example), "{example:?}");
            }
        }
        assert!(filter.is_match("url=postgresql://coder:N0t-A-Real-Password@db:5432/coder"));
        assert!(
            filter.is_match(
                "url=postgres://admin@server:N0tReal@server.postgres.database.azure.com/db"
            )
        );
        assert!(!filter.is_match("Started HTTP listener at http://0.0.0.0:3000"));
        assert!(!filter.is_match("2026-11-24 03:12:44.120 [info]  pubsub connected to postgres"));
        assert!(
            pattern
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ":_#=@/;,-.%|[]+*".contains(c)),
            "{pattern}"
        );
    }

    #[test]
    fn the_filter_pattern_fits_cloudwatch_and_drops_terms_another_covers() {
        let profiles = Profiles::built_in().unwrap();
        let pattern = subscription_filter_pattern(&profiles);
        assert!(
            pattern.chars().count() <= MAX_FILTER_PATTERN_CHARS,
            "{} characters",
            pattern.len()
        );
        assert!(covers("connect.to.database", "Can.not.connect.to.database"));
        assert!(!covers("connect.to.database", "connect.to.the.database"));
        // A literal never covers a wildcard: `.` may be any character.
        assert!(!covers("a-b", "a.b"));
        // Terms with operators are not decided.
        assert!(!covers("a", "a|b"));
        let two = "[[profile]]\nid = \"acme\"\nname = \"Acme\"\nimages = [\"acme/acme\"]\nembedded_database = \"SQLite\"\n\
            [[profile.log_signature]]\nrule = \"embedded-database-in-use\"\npattern = 'Using SQLite'\nmeaning = \"m\"\nfilter = 'Using.SQLite'\nexample = 'Using SQLite'\n\
            [[profile.log_signature]]\nrule = \"embedded-database-in-use\"\npattern = 'SQLite'\nmeaning = \"m\"\nfilter = 'SQLite'\nexample = 'SQLite'\n";
        let profiles = Profiles::from_sources([("p.toml", two)]).unwrap();
        assert_eq!(
            subscription_filter_pattern(&profiles),
            format!("%SQLite|{CREDENTIALS_FILTER}%")
        );
    }
}
