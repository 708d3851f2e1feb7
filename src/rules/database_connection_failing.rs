//! `database-connection-failing`: the app logs that it cannot connect to or ping its external
//! database (lines per profile, as data); or, when the same app's lines show its embedded
//! database, that it cannot open that one.

use super::declaration::{RuleInfo, Suppression};
use super::remediation;
use crate::finding::{RuleId, Severity};
use crate::profiles::Profile;
use crate::scan::RuleMatch;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::DatabaseConnectionFailing,
    severity: Severity::High,
    other_severities: &[],
    fires_when: "the app logs that it cannot connect to or ping its external database (human or JSON log format)",
    why: "The app is configured for an external database but cannot reach it (network, security \
          group, credentials or URL). It will exit and ECS will restart it in a loop.",
    console: &[],
    suppression: Suppression::Window,
    from_log: Some(from_log),
};

/// Severity, summary and fix for a log match of this rule by `profile`'s signatures.
/// `on_embedded`: the same app's lines in this batch show its embedded database, so the app is
/// not failing to reach an external one but to open its own.
fn from_log(
    profile: Option<&Profile>,
    log: &RuleMatch,
    on_embedded: bool,
) -> (Severity, String, Vec<String>) {
    let Some(profile) = profile else {
        return (RULE.severity, log.meaning.clone(), Vec::new());
    };
    if on_embedded {
        return (
            RULE.severity,
            format!(
                "{} cannot open its {}",
                profile.name, profile.facts.embedded_database
            ),
            remediation::embedded_database_in_use(profile, log.path.as_deref()),
        );
    }
    (
        RULE.severity,
        format!(
            "{} cannot connect to its external {}",
            profile.name,
            remediation::engine_name(&profile.facts)
        ),
        connection_failing(profile),
    )
}

fn connection_failing(profile: &Profile) -> Vec<String> {
    let setting = profile
        .facts
        .database
        .as_ref()
        .map(|database| database.primary_setting())
        .unwrap_or("the database setting");
    vec![
        format!(
            "Check the host and port in {setting} (a repeated port or an unencoded password character breaks it; the auditor checks its format when the task starts)."
        ),
        "Check that the database's security group allows the task's security group, and that the task's subnets route to the database.".to_string(),
        "Check the user name and password, and that the database exists.".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use crate::finding::RuleId;
    use crate::rules::testing::scan_log as scan;
    use crate::scan::EVIDENCE_LINES;

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
}
