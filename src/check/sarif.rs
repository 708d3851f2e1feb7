//! `check --format sarif`: SARIF 2.1.0 (OASIS), as GitHub code scanning reads it: every rule
//! with its help text and `security-severity`, one result per finding at the file and line of
//! its container (or task definition), a stable `partialFingerprints` entry so a finding keeps
//! its alert across runs, and one result per thing that could not be checked.
//!
//! Built with `serde-sarif` (types generated from the OASIS schema); `tests/cli.rs` validates
//! the output against that schema.

use super::{CheckReport, Checked};
use crate::finding::{Finding, RuleId, Severity};
use crate::redact::redact_text;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of our fingerprint in `partialFingerprints`; a new version if its inputs change.
const FINGERPRINT: &str = "ecsAuditorFinding/v1";

/// The report as a SARIF 2.1.0 log with one run.
pub fn sarif(report: &CheckReport) -> String {
    let rules: Vec<ReportingDescriptor> = crate::rules::CATALOG
        .iter()
        .map(|rule| descriptor(rule))
        .collect();
    let index_of = |rule: RuleId| {
        crate::rules::CATALOG
            .iter()
            .position(|declared| declared.id == rule)
            .unwrap_or_default() as i64
    };
    let mut results = Vec::new();
    for checked in &report.checked {
        for reason in &checked.not_checked {
            results.push(
                SarifResult::builder()
                    .rule_id(RuleId::AuditIncomplete.to_string())
                    .rule_index(index_of(RuleId::AuditIncomplete))
                    // Not checked fails the run at any --fail-on: as loud as a finding.
                    .level(ResultLevel::Error)
                    .message(message(format!(
                        "{}: not checked: {reason}",
                        checked.resource
                    )))
                    .locations(vec![location(&checked.file, checked.line)])
                    .partial_fingerprints(fingerprint(&[
                        "not-checked",
                        &checked.file,
                        &checked.resource,
                        reason,
                    ]))
                    .build(),
            );
        }
        for finding in &checked.findings {
            results.push(result(checked, finding, index_of(finding.rule)));
        }
    }
    let driver = ToolComponent::builder()
        .name("ecs-auditor")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    // Files that could not be read: the run did not complete, and says which.
    let notifications: Vec<Notification> = report
        .unreadable
        .iter()
        .map(|(file, problem)| {
            Notification::builder()
                .level(serde_json::json!("error"))
                .message(message(format!("{file}: {problem}")))
                .locations(vec![location(file, None)])
                .build()
        })
        .collect();
    let mut invocation = Invocation::builder()
        .execution_successful(report.unreadable.is_empty())
        .build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    let log = Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![
            Run::builder()
                .tool(Tool::builder().driver(driver).build())
                .invocations(vec![invocation])
                .results(results)
                .build(),
        ])
        .build();
    super::output::redacted_json(&log)
}

/// A rule as SARIF describes it: id, name, texts, default level and `security-severity`.
fn descriptor(rule: &crate::rules::declaration::RuleInfo) -> ReportingDescriptor {
    let mut properties = BTreeMap::new();
    properties.insert(
        "security-severity".to_string(),
        serde_json::json!(security_severity(rule.severity)),
    );
    ReportingDescriptor::builder()
        .id(rule.id.to_string())
        .name(pascal_case(rule.id.as_str()))
        .short_description(text(&format!("Fires when {}", rule.fires_when)))
        .full_description(text(rule.why))
        .help(
            MultiformatMessageString::builder()
                .text(format!("Fires when {}.\n\n{}", rule.fires_when, rule.why))
                .markdown(format!(
                    "**{}** ({}): fires when {}.\n\n{}",
                    rule.id, rule.severity, rule.fires_when, rule.why
                ))
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::json!(level(rule.severity).to_string()))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec!["security".to_string(), "ecs".to_string()])
                .additional_properties(properties)
                .build(),
        )
        .build()
}

fn result(checked: &Checked, finding: &Finding, rule_index: i64) -> SarifResult {
    let mut said = finding.summary.clone();
    for step in &finding.fix {
        said.push_str("\nFix: ");
        said.push_str(step);
    }
    let container = finding.location.container.as_deref().unwrap_or_default();
    // What makes a finding the same one next run: not its wording, nor its line.
    let subject = finding
        .facts
        .get("setting")
        .map(String::as_str)
        .unwrap_or_default();
    SarifResult::builder()
        .rule_id(finding.rule.to_string())
        .rule_index(rule_index)
        .level(level(finding.severity))
        .message(message(said))
        .locations(vec![location(&checked.file, checked.line_of(finding))])
        .partial_fingerprints(fingerprint(&[
            finding.rule.as_str(),
            &checked.file,
            &checked.resource,
            container,
            subject,
        ]))
        .build()
}

fn location(file: &str, line: Option<usize>) -> Location {
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(ArtifactLocation::builder().uri(artifact_uri(file)).build())
                .region(
                    Region::builder()
                        .start_line(line.unwrap_or(1) as i64)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// A path as given on the command line as a relative URI reference (`./deploy/a b.json` ->
/// `deploy/a%20b.json`, `$PWD/deploy/a.json` -> `deploy/a.json`): GitHub resolves it from the
/// repository's root.
fn artifact_uri(file: &str) -> String {
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    // An absolute path inside the working directory (the repository's root in CI) is given
    // relative to it, as code scanning resolves it.
    let relative = std::env::current_dir()
        .ok()
        .and_then(|root| {
            std::path::Path::new(file)
                .strip_prefix(root)
                .ok()
                .map(|path| path.display().to_string())
        })
        .unwrap_or_else(|| file.to_string());
    let path = relative.replace('\\', "/");
    let path = path.trim_start_matches("./");
    percent_encoding::utf8_percent_encode(path, PATH).to_string()
}

fn fingerprint(parts: &[&str]) -> BTreeMap<String, String> {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    BTreeMap::from([(FINGERPRINT.to_string(), hex)])
}

fn message(said: String) -> Message {
    Message::builder()
        .text(redact_text(&said).into_owned())
        .build()
}

fn text(said: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(said).build()
}

/// SARIF's levels: GitHub shows `error` and `warning` as failing alerts, `note` as a notice.
fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low => ResultLevel::Note,
    }
}

/// GitHub's `security-severity` (a number from 0.0 to 10.0 as a string): above 9.0 critical,
/// 7.0 to 8.9 high, 4.0 to 6.9 medium, 0.1 to 3.9 low (GitHub docs, "SARIF support for code
/// scanning", reportingDescriptor).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
