//! `embedded-database-in-use`: the app's log shows it started (or tried to start) its embedded
//! database. Which lines mean that is profile data (each profile's signatures, in every format
//! the app writes); this file says what such a match means.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use super::remediation;
use crate::finding::{RuleId, Severity};
use crate::profiles::Profile;
use crate::scan::RuleMatch;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::EmbeddedDatabaseInUse,
    severity: Severity::Critical,
    other_severities: &[(
        Severity::Medium,
        "its data directory is on one EC2 instance's storage (a host path or a local Docker volume): the data outlives the task on that instance only",
    )],
    fires_when: "the app's log shows it started (or tried to start) its embedded database, in any format the app writes; medium when its data directory is on one EC2 instance's storage, none on EFS",
    why: "The embedded database lives in the container's storage. On ECS that storage belongs to \
          the task: the next deployment, scale-in, health-check replacement or host retirement \
          starts a new task with an empty database, and every user, workspace and setting is gone.",
    console: &[ConsolePage::Databases, ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: Some(from_log),
};

/// Severity, summary and fix for a log match of this rule by `profile`'s signatures. The
/// weighing against where the data lives comes after (`logs::weigh_against_storage`).
fn from_log(
    profile: Option<&Profile>,
    log: &RuleMatch,
    _on_embedded: bool,
) -> (Severity, String, Vec<String>) {
    let Some(profile) = profile else {
        return (RULE.severity, log.meaning.clone(), Vec::new());
    };
    (
        RULE.severity,
        format!(
            "{} is running on its {}",
            profile.name, profile.facts.embedded_database
        ),
        remediation::embedded_database_in_use(profile, log.path.as_deref()),
    )
}

#[cfg(test)]
mod tests {
    use crate::finding::{RuleId, Severity};
    use crate::rules::testing::scan_log as scan;

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
}
