//! Alerts: findings merged per rule and place, rendered for people (email text) and machines
//! (a JSON document), with SNS message attributes for subscription filter policies.

use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::{resource_name, short_task_definition};
use crate::redact::{self, redact_text};
use crate::rules::{self, declaration::ConsolePage};
use serde::Serialize;
use std::fmt::Write as _;

/// Schema identifier of the machine-readable alert document.
pub const SCHEMA: &str = "ecs-auditor/alert@1";
/// SNS subjects must be shorter than 100 characters.
const MAX_SUBJECT: usize = 99;
const MAX_EVIDENCE_IN_ALERT: usize = 5;

/// A rendered alert, ready for any sink.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub rule: RuleId,
    pub severity: Severity,
    /// ASCII, one line, under 100 characters.
    pub subject: String,
    /// The email body.
    pub text: String,
    /// The machine-readable document (also carries `subject` and `text`).
    pub document: serde_json::Value,
    /// SNS message attributes: severity, rule, cluster, service (only those known).
    pub attributes: Vec<(&'static str, String)>,
}

/// Merges findings of the same rule at the same place into one (counts add up, evidence is
/// kept in order up to a bound), so one invocation sends one alert per rule and resource.
pub fn merge(findings: Vec<Finding>) -> Vec<Finding> {
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        match merged
            .iter_mut()
            .find(|existing| existing.alert_key() == finding.alert_key())
        {
            Some(existing) => {
                existing.occurrences += finding.occurrences;
                existing.severity = existing.severity.max(finding.severity);
                for line in finding.evidence {
                    if existing.evidence.len() < MAX_EVIDENCE_IN_ALERT
                        && !existing.evidence.contains(&line)
                    {
                        existing.evidence.push(line);
                    }
                }
            }
            None => merged.push(finding),
        }
    }
    merged
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    rule: RuleId,
    severity: Severity,
    subject: &'a str,
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<&'a str>,
    location: &'a Location,
    evidence: Vec<String>,
    occurrences: u64,
    facts: std::collections::BTreeMap<&'a str, String>,
    why: &'static str,
    fix: &'a [String],
    links: Vec<Link>,
    text: &'a str,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Link {
    pub label: &'static str,
    pub url: String,
}

/// Renders one finding. Every text field is passed through the redactor once more here, so an
/// alert cannot carry a secret even if a rule forgot to redact.
pub fn render(finding: &Finding) -> Alert {
    let info = rules::info(finding.rule);
    let summary = redact_text(&finding.summary).into_owned();
    let evidence: Vec<String> = finding
        .evidence
        .iter()
        .map(|line| redact_text(line).into_owned())
        .collect();
    let facts = finding
        .facts
        .iter()
        .map(|(name, value)| (name.as_str(), redact_text(value).into_owned()))
        .collect();
    let subject = subject(finding.severity, &finding.location, &summary);
    let links = links(finding);
    let text = email_text(finding, &summary, &evidence, info.why, &links);
    let document = Document {
        schema: SCHEMA,
        rule: finding.rule,
        severity: finding.severity,
        subject: &subject,
        summary,
        app: finding.app.as_deref(),
        location: &finding.location,
        evidence,
        occurrences: finding.occurrences,
        facts,
        why: info.why,
        fix: &finding.fix,
        links,
        text: &text,
    };
    let document = serde_json::to_value(&document).expect("alert documents serialize");
    let mut attributes = vec![
        ("severity", finding.severity.as_str().to_string()),
        ("rule", finding.rule.as_str().to_string()),
    ];
    if let Some(cluster) = &finding.location.cluster {
        attributes.push(("cluster", cluster.clone()));
    }
    if let Some(service) = &finding.location.service {
        attributes.push(("service", service.clone()));
    }
    Alert {
        rule: finding.rule,
        severity: finding.severity,
        subject,
        text,
        document,
        attributes,
    }
}

/// `[CRITICAL] coder-service: Coder is running on its built-in PostgreSQL`, made safe for SNS:
/// printable ASCII only, one line, under 100 characters.
pub fn subject(severity: Severity, location: &Location, summary: &str) -> String {
    let place = location.headline_name();
    // A summary that starts with its place ("coder:7 was registered: ...") is not prefixed
    // with it again.
    let raw = if !place.is_empty() && summary.starts_with(&format!("{place} ")) {
        format!("[{}] {summary}", severity.label())
    } else {
        format!("[{}] {place}: {summary}", severity.label())
    };
    let mut subject: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if subject.len() > MAX_SUBJECT {
        subject.truncate(MAX_SUBJECT - 3);
        subject = subject.trim_end().to_string();
        subject.push_str("...");
    }
    subject
}

fn email_text(
    finding: &Finding,
    summary: &str,
    evidence: &[String],
    why: &str,
    links: &[Link],
) -> String {
    let mut text = String::with_capacity(2048);
    let location = &finding.location;
    // A summary that starts with a resource's name ("coder:7 was registered: ...") keeps
    // the name as AWS spells it.
    let place = location.headline_name();
    let named_first = !place.is_empty() && summary.starts_with(&format!("{place} "));
    let _ = writeln!(
        text,
        "{}",
        if named_first {
            summary.to_string()
        } else {
            capitalise(summary)
        }
    );
    let _ = writeln!(
        text,
        "Severity: {}    Rule: {}",
        finding.severity.label(),
        finding.rule
    );
    text.push('\n');

    let _ = writeln!(text, "WHERE");
    let rows: [(&str, Option<String>); 11] = [
        ("Account", location.account.clone()),
        ("Region", location.region.clone()),
        ("Cluster", location.cluster.clone()),
        ("Service", location.service.clone()),
        (
            "Task",
            location
                .task
                .as_deref()
                .map(|task| resource_name(task).to_string()),
        ),
        (
            "Task definition",
            location
                .task_definition
                .as_deref()
                .map(|arn| short_task_definition(arn).to_string()),
        ),
        ("Container", location.container.clone()),
        ("App", finding.app.clone()),
        ("Log group", location.log_group.clone()),
        ("Log stream", location.log_stream.clone()),
        ("Private IP", location.private_ip.clone()),
    ];
    for (label, value) in rows {
        if let Some(value) = value {
            let _ = writeln!(text, "  {:<17}{}", format!("{label}:"), value);
        }
    }
    text.push('\n');

    if !evidence.is_empty() {
        if finding.occurrences > evidence.len() as u64 {
            let _ = writeln!(
                text,
                "EVIDENCE (first {} of {})",
                evidence.len(),
                finding.occurrences
            );
        } else {
            let _ = writeln!(text, "EVIDENCE");
        }
        for line in evidence {
            let _ = writeln!(text, "  {line}");
        }
        text.push('\n');
    }

    let _ = writeln!(text, "WHY IT MATTERS");
    let _ = writeln!(text, "{}", wrap(why, 78, "  "));
    text.push('\n');

    // Everything above may quote what was seen, so it is redacted once more. The steps below
    // are generated from profile data and setting names only, and their URL templates
    // (postgres://USER:PASSWORD@HOST) must stay readable.
    let mut text = redact_text(&text).into_owned();

    if !finding.fix.is_empty() {
        let _ = writeln!(text, "HOW TO FIX");
        for (number, step) in finding.fix.iter().enumerate() {
            let wrapped = wrap(step, 74, "     ");
            let _ = writeln!(text, "  {}. {}", number + 1, wrapped.trim_start());
        }
        text.push('\n');
    }

    if !links.is_empty() {
        let _ = writeln!(text, "LINKS");
        for link in links {
            let _ = writeln!(text, "  {:<17}{}", format!("{}:", link.label), link.url);
        }
        text.push('\n');
    }

    let _ = writeln!(
        text,
        "-- \nSent by ecs-auditor (rule {}, severity {}).\nFilter alerts with the SNS message attributes severity, rule, cluster and service.",
        finding.rule, finding.severity
    );
    text
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Wraps `text` at `width` columns, indenting every line with `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
    }
    out
}

/// AWS console links for what the finding names.
pub fn links(finding: &Finding) -> Vec<Link> {
    let location = &finding.location;
    let Some(region) = location.region.as_deref() else {
        return Vec::new();
    };
    let console = format!("https://{region}.console.aws.amazon.com");
    let mut links = Vec::new();
    if let (Some(cluster), Some(service)) = (&location.cluster, &location.service) {
        links.push(Link {
            label: "Service",
            url: format!(
                "{console}/ecs/v2/clusters/{cluster}/services/{service}/health?region={region}"
            ),
        });
    }
    if let (Some(cluster), Some(task)) = (&location.cluster, &location.task) {
        links.push(Link {
            label: "Task",
            url: format!(
                "{console}/ecs/v2/clusters/{cluster}/tasks/{}/configuration?region={region}",
                resource_name(task)
            ),
        });
    }
    if let Some(definition) = &location.task_definition
        && let Some((family, revision)) = short_task_definition(definition).split_once(':')
    {
        links.push(Link {
            label: "Task definition",
            url: format!(
                "{console}/ecs/v2/task-definitions/{family}/{revision}/containers?region={region}"
            ),
        });
    }
    if let Some(group) = &location.log_group {
        let mut url = format!(
            "{console}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{}",
            console_encode(group)
        );
        if let Some(stream) = &location.log_stream {
            let _ = write!(url, "/log-events/{}", console_encode(stream));
        }
        links.push(Link { label: "Logs", url });
    }
    let pages = rules::info(finding.rule).console;
    if pages.contains(&ConsolePage::Databases) {
        links.push(Link {
            label: "RDS databases",
            url: format!("{console}/rds/home?region={region}#databases:"),
        });
        links.push(Link {
            label: "EFS file systems",
            url: format!("{console}/efs/home?region={region}#/file-systems"),
        });
    }
    if pages.contains(&ConsolePage::Secrets) {
        links.push(Link {
            label: "Secrets Manager",
            url: format!("{console}/secretsmanager/listsecrets?region={region}"),
        });
    }
    links
}

/// The CloudWatch console's double encoding: percent-encode, then write `%` as `$25`.
fn console_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace('%', "$25")
}

/// A one-line description of an alert for logs: never the text, only identifiers.
pub fn log_line(alert: &Alert) -> String {
    redact::truncate_chars(&alert.subject, 120)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_finding() -> Finding {
        let mut finding = Finding::new(
            RuleId::EmbeddedDatabaseInUse,
            Severity::Critical,
            "Coder is running on its built-in PostgreSQL",
        );
        finding.app = Some("Coder".to_string());
        finding.location = Location {
            account: Some("132880019009".to_string()),
            region: Some("us-east-1".to_string()),
            cluster: Some("coder-cluster".to_string()),
            service: Some("coder-service".to_string()),
            task: Some("arn:aws:ecs:us-east-1:132880019009:task/coder-cluster/0123456789abcdef0123456789abcdef".to_string()),
            task_definition: Some("arn:aws:ecs:us-east-1:132880019009:task-definition/coder:7".to_string()),
            log_group: Some("/ecs/coder".to_string()),
            log_stream: Some("ecs/coder/0123456789abcdef0123456789abcdef".to_string()),
            ..Default::default()
        };
        finding.evidence = vec!["2026-11-24T03:12:44.120Z  Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)".to_string()];
        finding.occurrences = 2;
        finding.fix = vec!["Set CODER_PG_CONNECTION_URL from Secrets Manager.".to_string()];
        finding
    }

    #[test]
    fn the_subject_matches_the_issue_example() {
        let alert = render(&seed_finding());
        assert_eq!(
            alert.subject,
            "[CRITICAL] coder-service: Coder is running on its built-in PostgreSQL"
        );
    }

    #[test]
    fn a_summary_that_names_its_place_is_not_prefixed_twice() {
        let location = Location {
            task_definition: Some(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:7".to_string(),
            ),
            ..Default::default()
        };
        assert_eq!(
            subject(
                Severity::Critical,
                &location,
                "coder:7 was registered: Coder ignores X"
            ),
            "[CRITICAL] coder:7 was registered: Coder ignores X"
        );
        assert_eq!(
            subject(Severity::Critical, &location, "Coder ignores X"),
            "[CRITICAL] coder:7: Coder ignores X"
        );
        // The body keeps the name as spelt, where another summary starts with a capital.
        let mut finding = seed_finding();
        finding.location = location;
        finding.summary = "coder:7 was registered: Coder ignores X".to_string();
        assert!(
            render(&finding)
                .text
                .starts_with("coder:7 was registered: ")
        );
        finding.summary = "the app ignores X".to_string();
        assert!(render(&finding).text.starts_with("The app ignores X"));
    }

    #[test]
    fn subjects_are_short_ascii_single_lines() {
        let location = Location {
            service: Some("sérvice\nname".to_string()),
            ..Default::default()
        };
        let subject = subject(Severity::High, &location, &"x".repeat(300));
        assert!(subject.len() < 100);
        assert!(subject.is_ascii());
        assert!(!subject.contains('\n'));
        assert!(subject.ends_with("..."));
    }

    #[test]
    fn the_email_says_what_where_evidence_why_fix_and_links() {
        let alert = render(&seed_finding());
        for expected in [
            "Coder is running on its built-in PostgreSQL",
            "WHERE",
            "Cluster:         coder-cluster",
            "Service:         coder-service",
            "Task definition: coder:7",
            "Log group:       /ecs/coder",
            "EVIDENCE (first 1 of 2)",
            "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)",
            "WHY IT MATTERS",
            "HOW TO FIX",
            "1. Set CODER_PG_CONNECTION_URL",
            "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/coder-cluster/services/coder-service/health?region=us-east-1",
            "log-group/$252Fecs$252Fcoder/log-events/ecs$252Fcoder$252F0123456789abcdef0123456789abcdef",
        ] {
            assert!(
                alert.text.contains(expected),
                "missing {expected:?} in\n{}",
                alert.text
            );
        }
        assert_eq!(alert.document["schema"], SCHEMA);
        assert_eq!(alert.document["location"]["service"], "coder-service");
        assert_eq!(alert.document["text"], alert.text);
        assert_eq!(
            alert.attributes,
            vec![
                ("severity", "critical".to_string()),
                ("rule", "embedded-database-in-use".to_string()),
                ("cluster", "coder-cluster".to_string()),
                ("service", "coder-service".to_string()),
            ]
        );
    }

    #[test]
    fn rendering_redacts_what_a_rule_forgot_to() {
        let mut finding = seed_finding();
        finding.evidence = vec!["url postgres://coder:hunter2@db/coder".to_string()];
        finding.summary = "leak postgres://coder:hunter2@db/coder".to_string();
        let alert = render(&finding);
        let everything = format!("{} {} {}", alert.subject, alert.text, alert.document);
        assert!(!everything.contains("hunter2"), "{everything}");
    }

    #[test]
    fn merging_adds_counts_and_keeps_first_evidence() {
        let mut a = seed_finding();
        a.occurrences = 3;
        let mut b = seed_finding();
        b.occurrences = 4;
        b.evidence = vec!["later line".to_string()];
        let mut other = seed_finding();
        other.rule = RuleId::CredentialsInLogs;
        let merged = merge(vec![a, b, other]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].occurrences, 7);
        assert_eq!(merged[0].evidence.len(), 2);
    }
}
