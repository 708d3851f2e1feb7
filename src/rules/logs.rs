//! What the log scanner's matches mean: findings of `embedded-database-in-use`,
//! `database-connection-failing`, `ephemeral-data-directory` and `credentials-in-logs` from log
//! lines, weighed against where the app's data lives and which app the container runs.

use super::remediation;
use crate::container::storage::DataStorage;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::profiles::Profiles;
use crate::scan::RuleMatch;

pub use crate::scan::EVIDENCE_LINES;

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
                        remediation::embedded_database_in_use(profile, m.path.as_deref()),
                    )
                }
                (RuleId::EmbeddedDatabaseInUse, Some(profile)) => (
                    Severity::Critical,
                    format!(
                        "{} is running on its {}",
                        profile.name, profile.facts.embedded_database
                    ),
                    remediation::embedded_database_in_use(profile, m.path.as_deref()),
                ),
                (RuleId::DatabaseConnectionFailing, Some(profile)) => (
                    Severity::High,
                    format!(
                        "{} cannot connect to its external {}",
                        profile.name,
                        remediation::engine_name(&profile.facts)
                    ),
                    remediation::connection_failing(profile),
                ),
                (RuleId::EphemeralDataDirectory, Some(profile)) => (
                    Severity::High,
                    m.meaning.clone(),
                    remediation::embedded_database_in_use(profile, m.path.as_deref()),
                ),
                (RuleId::CredentialsInLogs, _) => (
                    Severity::High,
                    if m.profile.is_some() {
                        m.meaning.clone()
                    } else {
                        "a log line contains a URL with a password".to_string()
                    },
                    remediation::credentials_in_logs(),
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
    use crate::events::logs::LogLine;
    use crate::scan::LogScanner;
    use std::borrow::Cow;

    fn log_lines(lines: &[&str]) -> Vec<LogLine<'static>> {
        lines
            .iter()
            .enumerate()
            .map(|(i, line)| LogLine {
                id: Cow::Owned(i.to_string()),
                timestamp: 1_795_000_000_000 + i as i64,
                message: Cow::Owned(line.to_string()),
            })
            .collect()
    }

    fn scan(lines: &[&str]) -> Vec<Finding> {
        let profiles = Profiles::built_in().unwrap();
        let scanner = LogScanner::new(&profiles, 16 * 1024).unwrap();
        findings(
            scanner.scan_lines(&log_lines(lines)),
            &profiles,
            &Location::default(),
        )
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
    fn timestamps_format_as_utc() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_timestamp(1_795_000_000_123),
            "2026-11-18T11:06:40.123Z"
        );
    }
}
