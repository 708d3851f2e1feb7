//! Rules over log lines: one pass over each line for every profile's signatures and the
//! credentials pattern, then findings aggregated per rule (500 matching lines make one finding
//! with a count and the first evidence).

use super::configuration::DataStorage;
use super::prefilter::Prefilter;
use super::remedy;
use crate::events::logs::{LogBatch, LogLine};
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::profiles::Profiles;
use crate::redact;
use regex::{Regex, RegexSet};

/// How many evidence lines a finding keeps.
pub const EVIDENCE_LINES: usize = 3;
/// How many characters of a line an evidence excerpt keeps.
const EVIDENCE_CHARS: usize = 400;

/// `://user:password@`: a URL that carries a password, read exactly as the redactor reads it
/// (the password runs to the last `@` of the word), so that every password the redactor
/// hides in a log line is reported.
pub(super) const CREDENTIALS_PATTERN: &str = crate::redact::URL_PASSWORD_PATTERN;

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

    /// Scans every line of a batch once.
    pub fn scan(&self, batch: &LogBatch) -> Vec<RuleMatch> {
        self.scan_lines(&batch.log_events)
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

/// Turns scan results into findings at `location`.
pub fn findings(matches: Vec<RuleMatch>, profiles: &Profiles, location: &Location) -> Vec<Finding> {
    // An app whose lines show its embedded database is not failing to reach an external one.
    let embedded: Vec<Option<usize>> = matches
        .iter()
        .filter(|m| m.rule == RuleId::EmbeddedDatabaseInUse)
        .map(|m| m.profile)
        .collect();
    matches
        .into_iter()
        .map(|m| {
            let profile = m.profile.map(|index| profiles.get(index));
            let (severity, summary, fix) = match (m.rule, profile) {
                (RuleId::DatabaseConnectionFailing, Some(profile))
                    if embedded.contains(&m.profile) =>
                {
                    (
                        Severity::High,
                        format!(
                            "{} cannot open its {}",
                            profile.name, profile.facts.embedded_database
                        ),
                        remedy::embedded_database_in_use(profile, m.path.as_deref()),
                    )
                }
                (RuleId::EmbeddedDatabaseInUse, Some(profile)) => (
                    Severity::Critical,
                    format!(
                        "{} is running on its {}",
                        profile.name, profile.facts.embedded_database
                    ),
                    remedy::embedded_database_in_use(profile, m.path.as_deref()),
                ),
                (RuleId::DatabaseConnectionFailing, Some(profile)) => (
                    Severity::High,
                    format!(
                        "{} cannot connect to its external {}",
                        profile.name,
                        remedy::engine_name(&profile.facts)
                    ),
                    remedy::connection_failing(profile),
                ),
                (RuleId::EphemeralDataDirectory, Some(profile)) => (
                    Severity::High,
                    m.meaning.clone(),
                    remedy::embedded_database_in_use(profile, m.path.as_deref()),
                ),
                (RuleId::CredentialsInLogs, _) => (
                    Severity::High,
                    if m.profile.is_some() {
                        m.meaning.clone()
                    } else {
                        "a log line contains a URL with a password".to_string()
                    },
                    remedy::credentials_in_logs(),
                ),
                (rule, _) => (
                    super::catalog::info(rule).severity,
                    m.meaning.clone(),
                    Vec::new(),
                ),
            };
            let summary = m.summary.clone().unwrap_or(summary);
            let fix = if m.fix.is_empty() { fix } else { m.fix.clone() };
            let mut finding = Finding::new(m.rule, severity, summary);
            finding.app = profile.map(|profile| profile.name.clone());
            finding.location = location.clone();
            finding.occurrences = m.count;
            finding.evidence = m
                .evidence
                .iter()
                .map(|evidence| {
                    format!(
                        "{}  {}",
                        format_timestamp(evidence.timestamp),
                        evidence.line
                    )
                })
                .collect();
            finding.facts.insert("meaning".to_string(), m.meaning);
            if let Some(path) = m.path {
                finding.facts.insert("data_path".to_string(), path);
            }
            finding.fix = fix;
            finding
        })
        .collect()
}

/// One line, one app: sibling profiles that share their log lines (Gitea and Forgejo both print
/// `PING DATABASE sqlite3`) each match the same lines. Of findings of one rule with the same
/// evidence, the container's own app's is kept when the task definition says which app runs
/// there (`container_app`), otherwise the first profile's.
pub fn one_app_per_line(findings: &mut Vec<Finding>, container_app: Option<&str>) {
    let mut index = 0;
    while index < findings.len() {
        let siblings: Vec<usize> = (0..findings.len())
            .filter(|&other| {
                findings[other].rule == findings[index].rule
                    && findings[other].evidence == findings[index].evidence
                    && findings[other].app != findings[index].app
            })
            .collect();
        if siblings.is_empty() {
            index += 1;
            continue;
        }
        let own = |position: usize| findings[position].app.as_deref() == container_app;
        // Drop this one if a sibling is the container's own app (and this one is not);
        // otherwise drop the siblings.
        if container_app.is_some() && !own(index) && siblings.iter().any(|&other| own(other)) {
            findings.remove(index);
            continue;
        }
        for &other in siblings.iter().rev() {
            findings.remove(other);
        }
        index = 0;
    }
}

/// Whether a log finding says the app's data lives where it may be lost.
pub fn about_storage(finding: &Finding) -> bool {
    matches!(
        finding.rule,
        RuleId::EmbeddedDatabaseInUse | RuleId::EphemeralDataDirectory
    )
}

/// Log findings about an embedded database weighed against where the app's data lives: on
/// persistent storage they are no alarm and are dropped; on one EC2 instance's storage the data
/// outlives the task there, so they are medium and say where the data stays (fact
/// `storage=instance`, which keeps the task out of `data-lost-on-stop`). Unknown storage
/// (`None`: the task definition could not be read, or the app's data directory is unknown)
/// leaves them as they are: we do not pass what we cannot see.
pub fn weigh_against_storage(findings: &mut Vec<Finding>, storage: Option<&DataStorage>) {
    match storage {
        Some(DataStorage::Persistent) => findings.retain(|finding| !about_storage(finding)),
        Some(DataStorage::Instance { mount }) => {
            for finding in findings.iter_mut().filter(|finding| about_storage(finding)) {
                let app = finding.app.clone().unwrap_or_else(|| "The app".to_string());
                finding.severity = Severity::Medium;
                finding.summary = format!(
                    "{}; its data stays on this EC2 instance ({mount})",
                    finding.summary
                );
                finding.evidence.push(format!(
                    "the data directory is on {mount}, which outlives the task on that instance only: a task placed on another instance starts empty"
                ));
                finding
                    .facts
                    .insert("storage".to_string(), "instance".to_string());
                finding.fix = vec![format!(
                    "Keep {app}'s data on Amazon EFS (or an external database) so that any instance can run the task; or pin the task to this instance with a placement constraint and back the directory up."
                )];
            }
        }
        Some(DataStorage::Task) | None => {}
    }
}

/// `audit-incomplete` for a batch with more lines than `MAX_LOG_EVENTS`: the lines past the
/// limit were not examined, and the alert says so instead of passing over them.
pub fn lines_not_examined(location: &Location, total: usize, skipped: usize) -> Finding {
    let mut finding = Finding::new(
        RuleId::AuditIncomplete,
        Severity::Medium,
        format!(
            "{skipped} of {total} log lines in one batch were not examined (MAX_LOG_EVENTS); the log checks did not see them"
        ),
    );
    finding.location = location.clone();
    finding.evidence = vec![format!(
        "the batch held {total} lines; the first {} were examined",
        total - skipped
    )];
    finding.facts = [
        ("operation".to_string(), "log scan".to_string()),
        ("reason".to_string(), "too many lines".to_string()),
    ]
    .into_iter()
    .collect();
    finding.fix = vec![
        "Raise MAX_LOG_EVENTS, or narrow the subscription filter pattern so that fewer lines reach the function.".to_string(),
    ];
    finding
}

/// Milliseconds since the epoch as `2026-11-24T03:12:44.120Z` (UTC), without a date library.
pub fn format_timestamp(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let fraction = millis.rem_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction:03}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn batch(lines: &[&str]) -> LogBatch<'static> {
        LogBatch {
            message_type: Cow::Borrowed("DATA_MESSAGE"),
            log_group: Cow::Borrowed("/ecs/coder"),
            log_stream: Cow::Borrowed("ecs/coder/0123456789abcdef0123456789abcdef"),
            log_events: lines
                .iter()
                .enumerate()
                .map(|(i, line)| LogLine {
                    id: Cow::Owned(i.to_string()),
                    timestamp: 1_795_000_000_000 + i as i64,
                    message: Cow::Owned(line.to_string()),
                })
                .collect(),
            ..Default::default()
        }
    }

    fn scan(lines: &[&str]) -> Vec<Finding> {
        let profiles = Profiles::built_in().unwrap();
        let scanner = LogScanner::new(&profiles, 16 * 1024).unwrap();
        findings(scanner.scan(&batch(lines)), &profiles, &Location::default())
    }

    #[test]
    fn the_built_in_postgres_line_is_embedded_database_in_use() {
        let findings = scan(&[
            "Started HTTP listener at http://0.0.0.0:3000\r",
            "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)\r",
        ]);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.rule, RuleId::EmbeddedDatabaseInUse);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(
            finding.summary,
            "Coder is running on its built-in PostgreSQL"
        );
        assert_eq!(
            finding.facts.get("data_path").map(String::as_str),
            Some("/home/coder/.config/coderv2/postgres")
        );
        assert!(
            finding.evidence[0]
                .ends_with("Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)")
        );
    }

    #[test]
    fn an_external_database_start_up_is_quiet() {
        let findings = scan(&[
            "Started HTTP listener at http://0.0.0.0:3000",
            "2026-11-24 03:12:44.120 [info]  pubsub connected to postgres",
            "2026-11-24 03:12:44.121 [debu]  coderd: connected to postgresql",
        ]);
        assert_eq!(findings, vec![]);
    }

    #[test]
    fn connection_failures_in_human_and_json_formats() {
        let findings = scan(&[
            "2026-11-24 03:12:44.120 [warn]  coderd: connect to postgres: retrying  error=\"dial tcp: lookup db:5432:5432: no such host\" try=1",
            r#"{"ts":"2026-11-24T03:12:45.120Z","level":"WARN","msg":"ping postgres: retrying","fields":{"try":2}}"#,
            r#"{"ts":"2026-11-24T03:13:15.120Z","level":"ERROR","msg":"connect to postgres failed"}"#,
        ]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, RuleId::DatabaseConnectionFailing);
        assert_eq!(findings[0].occurrences, 3);
        assert_eq!(findings[0].evidence.len(), 3);
    }

    #[test]
    fn grafana_is_read_in_every_format_it_writes() {
        // text (logfmt, 9.x), JSON (keys sorted: dbtype before msg), console on a TTY (coloured keys).
        for lines in [
            [
                r#"logger=sqlstore t=2024-03-28T06:24:34.81Z level=info msg="Connecting to DB" dbtype=sqlite3"#,
                r#"logger=sqlstore t=2024-03-28T06:24:34.81Z level=info msg="Creating SQLite database file" path=/var/lib/grafana/grafana.db"#,
            ],
            [
                r#"{"dbtype":"sqlite3","level":"info","logger":"sqlstore","msg":"Connecting to DB","t":"2026-11-24T03:12:44.120+0000"}"#,
                r#"{"level":"info","logger":"sqlstore","msg":"Creating SQLite database file","path":"/var/lib/grafana/grafana.db","t":"2026-11-24T03:12:44.121+0000"}"#,
            ],
            [
                "\x1b[32mINFO \x1b[0m[03-28|06:24:34] Connecting to DB                         \x1b[32mlogger\x1b[0m=sqlstore \x1b[32mdbtype\x1b[0m=sqlite3",
                "\x1b[32mINFO \x1b[0m[03-28|06:24:34] Creating SQLite database file            \x1b[32mlogger\x1b[0m=sqlstore \x1b[32mpath\x1b[0m=/var/lib/grafana/grafana.db",
            ],
        ] {
            let findings = scan(&lines);
            assert_eq!(findings.len(), 1, "{lines:?}");
            assert_eq!(findings[0].rule, RuleId::EmbeddedDatabaseInUse);
            assert_eq!(findings[0].occurrences, 2);
            assert_eq!(
                findings[0].facts.get("data_path").map(String::as_str),
                Some("/var/lib/grafana/grafana.db"),
                "{lines:?}"
            );
        }
    }

    #[test]
    fn grafana_on_postgres_or_mysql_is_quiet() {
        let findings = scan(&[
            r#"logger=sqlstore t=2022-08-20T15:24:28.83593716Z level=info msg="Connecting to DB" dbtype=postgres"#,
            r#"{"dbtype":"mysql","level":"info","logger":"sqlstore","msg":"Connecting to DB","t":"2026-11-24T03:12:44.120+0000"}"#,
            // The word sqlite3 elsewhere on the line is not the dbtype field.
            r#"logger=sqlstore level=info msg="Connecting to DB" dbtype=postgres note=sqlite3"#,
        ]);
        assert_eq!(findings, vec![]);
    }

    #[test]
    fn colour_codes_do_not_hide_a_line() {
        assert_eq!(
            crate::events::logs::without_colours("\x1b[32mINFO\x1b[0m \x1b(Bplain"),
            "INFO plain"
        );
        assert!(matches!(
            crate::events::logs::without_colours("plain"),
            Cow::Borrowed("plain")
        ));
    }

    #[test]
    fn five_hundred_matching_lines_make_one_finding_with_a_count() {
        let lines: Vec<String> = (0..500)
            .map(|i| format!("[warn]  coderd: connect to postgres: retrying try={i}"))
            .collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let findings = scan(&refs);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].occurrences, 500);
        assert_eq!(findings[0].evidence.len(), EVIDENCE_LINES);
        assert!(findings[0].evidence[0].ends_with("try=0"));
    }

    #[test]
    fn credentials_in_logs_are_found_and_redacted() {
        let password = "xR7pf7MPgZyIChIXWqwO3srnp0GflgHwG7dMC7gvdHI=";
        let line = format!(
            "connecting to postgresql://coder:{password}@coder-postgres.example.com:5432/coder"
        );
        let findings = scan(&[&line]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, RuleId::CredentialsInLogs);
        let json = serde_json::to_string(&findings).unwrap();
        assert!(!json.contains(password), "{json}");
    }

    #[test]
    fn a_line_two_sibling_profiles_share_is_one_apps_finding() {
        let line = "2025/03/02 10:15:04 ...s/setting/database.go:120:InitEngine() [I] PING DATABASE sqlite3";
        let both = scan(&[line]);
        let apps = |findings: &[Finding]| -> Vec<Option<String>> {
            findings.iter().map(|finding| finding.app.clone()).collect()
        };
        assert_eq!(
            apps(&both),
            vec![Some("Gitea".to_string()), Some("Forgejo".to_string())]
        );
        let mut unknown = both.clone();
        one_app_per_line(&mut unknown, None);
        assert_eq!(apps(&unknown), vec![Some("Gitea".to_string())]);
        let mut forgejo = both.clone();
        one_app_per_line(&mut forgejo, Some("Forgejo"));
        assert_eq!(apps(&forgejo), vec![Some("Forgejo".to_string())]);
        // Other lines of other apps stay.
        let mut two = scan(&[
            line,
            "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)",
        ]);
        one_app_per_line(&mut two, Some("Forgejo"));
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn a_signature_with_its_own_fix_says_it() {
        // Jenkins prints its initial admin password, not a URL: the URL advice does not fit.
        let findings = scan(&["Please use the following password to proceed to installation:"]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, RuleId::CredentialsInLogs);
        assert!(
            findings[0].fix[0].contains("setup wizard"),
            "{:?}",
            findings[0].fix
        );
        assert!(findings[0].fix.iter().all(|step| !step.contains("URL")));
    }

    #[test]
    fn urls_without_passwords_are_not_credentials() {
        let findings = scan(&[
            "Started HTTP listener at http://0.0.0.0:3000",
            "GET http://coder.example.com:8080/api@v2 200",
            "db postgres://coder:****@db:5432/coder",
            "db postgres://coder@db:5432/coder",
        ]);
        assert_eq!(findings, vec![]);
    }

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

    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_timestamp(1_795_000_000_123),
            "2026-11-18T11:06:40.123Z"
        );
    }
}
