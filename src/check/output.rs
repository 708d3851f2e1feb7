//! How `check` reports: human text (colour only on a terminal) or one JSON document. Every
//! string is passed through the redactor once more on its way out.

use super::{CheckReport, Checked};
use crate::finding::Severity;
use crate::redact::redact_text;
use serde::Serialize;
use std::fmt::Write as _;

/// The report as text: per task definition, its findings with the fix, or why it could not be
/// checked; then a summary line.
pub fn text(report: &CheckReport, fail_on: Severity, colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for checked in &report.checked {
        let _ = writeln!(out, "{}: {}", checked.file, checked.resource);
        for reason in &checked.not_checked {
            let _ = writeln!(
                out,
                "  {} {}",
                paint("33", "not checked:"),
                redact_text(reason)
            );
        }
        if checked.findings.is_empty() && checked.not_checked.is_empty() {
            let _ = writeln!(out, "  no finding");
        }
        if !checked.parameter_defaults.is_empty() {
            let parameters: Vec<&str> = checked
                .parameter_defaults
                .iter()
                .map(String::as_str)
                .collect();
            let _ = writeln!(out, "  {}", redact_text(&super::judged_on(&parameters)));
        }
        for finding in &checked.findings {
            let severity = format!("{:<8}", finding.severity.as_str());
            let severity = match finding.severity {
                Severity::Critical | Severity::High => paint("1;31", &severity),
                _ => paint("33", &severity),
            };
            let container = finding
                .location
                .container
                .as_deref()
                .map(|name| format!(" (container {name})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {severity} {}{container}: {}",
                finding.rule,
                redact_text(&finding.summary)
            );
            for line in &finding.evidence {
                let _ = writeln!(out, "           seen: {}", redact_text(line));
            }
            for step in &finding.fix {
                let _ = writeln!(out, "           fix: {}", redact_text(step));
            }
        }
    }
    for file in &report.without_task_definitions {
        let _ = writeln!(out, "{file}: no task definition in it");
    }
    let _ = writeln!(out, "{}", summary(report, fail_on));
    out
}

/// One line: how many task definitions, findings by severity, what could not be checked, and
/// whether that fails at `fail_on`.
pub fn summary(report: &CheckReport, fail_on: Severity) -> String {
    let findings: Vec<Severity> = report
        .checked
        .iter()
        .flat_map(|checked| checked.findings.iter().map(|finding| finding.severity))
        .collect();
    let mut counts = Vec::new();
    for severity in Severity::ALL.into_iter().rev() {
        let count = findings.iter().filter(|found| **found == severity).count();
        if count > 0 {
            counts.push(format!("{count} {severity}"));
        }
    }
    let not_checked = report
        .checked
        .iter()
        .filter(|checked| !checked.not_checked.is_empty())
        .count();
    let unreadable = if report.unreadable.is_empty() {
        String::new()
    } else {
        format!(", {} file(s) could not be read", report.unreadable.len())
    };
    format!(
        "{} task definition(s) checked: {}{}{unreadable}; {}",
        report.checked.len(),
        if counts.is_empty() {
            "no finding".to_string()
        } else {
            format!("{} finding(s) ({})", findings.len(), counts.join(", "))
        },
        if not_checked > 0 {
            format!(", {not_checked} could not be checked")
        } else {
            String::new()
        },
        if report.fails(fail_on) {
            format!("fails at --fail-on {fail_on}")
        } else {
            format!("passes at --fail-on {fail_on}")
        }
    )
}

#[derive(Serialize)]
struct Unreadable<'a> {
    file: &'a str,
    problem: &'a str,
}

#[derive(Serialize)]
struct Document<'a> {
    checked: &'a [Checked],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unreadable: Vec<Unreadable<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    without_task_definitions: &'a [String],
    fail_on: Severity,
    fails: bool,
    summary: String,
}

/// The report as one JSON document: `{"checked": [...], "fail_on", "fails", "summary"}`.
pub fn json(report: &CheckReport, fail_on: Severity) -> String {
    let document = Document {
        checked: &report.checked,
        unreadable: report
            .unreadable
            .iter()
            .map(|(file, problem)| Unreadable { file, problem })
            .collect(),
        without_task_definitions: &report.without_task_definitions,
        fail_on,
        fails: report.fails(fail_on),
        summary: summary(report, fail_on),
    };
    redacted_json(&document)
}

/// A report as pretty JSON, every string redacted once more on its way out.
pub(crate) fn redacted_json(report: &impl Serialize) -> String {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    redact_strings(&mut value);
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Every string in a JSON value through the redactor, once more on its way out. String by
/// string: redacting the serialized text could take a closing quote with a password.
fn redact_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            if let std::borrow::Cow::Owned(redacted) = redact_text(text) {
                *text = redacted;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_strings),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_strings),
        _ => {}
    }
}
