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
        connection_failing(profile, &log.evidence),
    )
}

/// What the driver's error in the matched lines says went wrong (lib/pq's, the JDBC driver's,
/// Go's `net` errors), so that the fixes start with the likely one and leave out what cannot
/// be (a timeout is no wrong password).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    /// The server answered and refused the credentials.
    Credentials,
    /// The host name does not resolve.
    UnknownHost,
    /// Nothing listens there, or the port is wrong.
    Refused,
    /// No answer: a security group, a network ACL or a route drops the packets.
    Timeout,
    Unknown,
}

fn cause(evidence: &[crate::scan::Evidence]) -> Cause {
    let lines: Vec<String> = evidence
        .iter()
        .map(|evidence| evidence.line.to_ascii_lowercase())
        .collect();
    let any = |needles: &[&str]| {
        lines
            .iter()
            .any(|line| needles.iter().any(|needle| line.contains(needle)))
    };
    if any(&[
        "authentication failed",
        "access denied for user",
        "password authentication",
    ]) {
        Cause::Credentials
    } else if any(&[
        "no such host",
        "unknownhostexception",
        "name or service not known",
    ]) {
        Cause::UnknownHost
    } else if any(&["connection refused"]) {
        Cause::Refused
    } else if any(&["timeout", "timed out", "deadline exceeded"]) {
        Cause::Timeout
    } else {
        Cause::Unknown
    }
}

fn connection_failing(profile: &Profile, evidence: &[crate::scan::Evidence]) -> Vec<String> {
    let setting = profile
        .facts
        .database
        .as_ref()
        .map(|database| database.primary_setting())
        .unwrap_or("the database setting");
    let address = format!(
        "Check the host and port in {setting} (a repeated port or an unencoded password character breaks it; the auditor checks its format when the task starts)."
    );
    let network = "Check that the database's security group allows the task's security group, and that the task's subnets route to the database.".to_string();
    let credentials = "Check the user name and password, and that the database exists.".to_string();
    match cause(evidence) {
        Cause::Credentials => vec![credentials],
        Cause::UnknownHost => vec![format!(
            "The host name in {setting} does not resolve: write the database's endpoint as RDS shows it (its Address, without the port), and keep DNS resolution on in the task's VPC."
        )],
        Cause::Refused => vec![
            address,
            "Check that the database is running and listens on that port.".to_string(),
        ],
        Cause::Timeout => vec![network, address],
        Cause::Unknown => vec![address, network, credentials],
    }
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

    #[test]
    fn the_fixes_follow_the_drivers_error() {
        use super::{Cause, cause};
        use crate::scan::Evidence;
        let said = |line: &str| {
            cause(&[Evidence {
                timestamp: 0,
                line: line.to_string(),
            }])
        };
        assert_eq!(
            said(
                r#"[erro]  connect to postgres failed  error="pq: password authentication failed for user \"coder\"""#
            ),
            Cause::Credentials
        );
        assert_eq!(
            said(
                r#"connect to postgres: retrying  error="dial tcp: lookup db on 10.0.0.2:53: no such host""#
            ),
            Cause::UnknownHost
        );
        assert_eq!(
            said(
                r#"ping postgres: retrying  error="dial tcp 10.0.3.17:5432: connect: connection refused""#
            ),
            Cause::Refused
        );
        assert_eq!(
            said(r#"connect to postgres failed  error="context deadline exceeded""#),
            Cause::Timeout
        );
        assert_eq!(said("ping postgres: retrying"), Cause::Unknown);
        // A timeout's fixes start with the network and say nothing of the password.
        let profiles = crate::profiles::Profiles::built_in().unwrap();
        let coder = profiles
            .all()
            .iter()
            .find(|profile| profile.name == "Coder")
            .unwrap();
        let fixes = super::connection_failing(
            coder,
            &[Evidence {
                timestamp: 0,
                line: "connect to postgres failed  error=\"i/o timeout\"".to_string(),
            }],
        );
        assert!(
            fixes[0].starts_with("Check that the database's security group"),
            "{fixes:?}"
        );
        assert!(
            !fixes
                .iter()
                .any(|fix| fix.contains("user name and password")),
            "{fixes:?}"
        );
    }
}
