//! `audit-incomplete`: what the audit could not see is said, never passed: a read that failed, a database choice that may be made where the auditor cannot look, a command the profile does not know.

use super::remediation;
use crate::container::{AppContainer, DatabaseChoice};
use crate::finding::{Finding, RuleId, Severity};
use crate::model::TaskContext;
use crate::profiles::NearMiss;
use crate::redact;

/// `audit-incomplete` for a container whose database choice may come from where the
/// auditor cannot look (an unread environment file, a shell command, a custom image): the
/// database and storage checks give no verdict, and say why.
pub fn database_undecided(app: &AppContainer) -> Option<Finding> {
    let Some(DatabaseChoice::Undecided(unseen)) = app.database_choice() else {
        return None;
    };
    let database = app.database()?;
    let mut finding = app.finding(
        RuleId::AuditIncomplete,
        Severity::Medium,
        format!(
            "could not tell whether {} uses an external database: what decides is not in the task definition; the database and storage checks did not run",
            app.profile.name
        ),
    );
    finding.evidence = unseen
        .iter()
        .map(|source| source.describe(database.primary_setting()))
        .collect();
    // What is set by mistake stays a mistake, whatever else decides.
    for miss in app.near_misses() {
        let meant = database
            .near_miss
            .iter()
            .find(|near| near.name() == miss.name)
            .and_then(NearMiss::means)
            .unwrap_or(database.primary_setting());
        finding.evidence.push(format!(
            "{}: {} does not use it without {meant}",
            miss.describe(),
            app.profile.name
        ));
    }
    finding.evidence.extend(app.version_evidence());
    finding.facts.insert(
        "setting".to_string(),
        database.primary_setting().to_string(),
    );
    finding.facts.insert(
        "skipped_checks".to_string(),
        "database-setting-misnamed, database-setting-invalid, no-external-database, ephemeral-data-directory".to_string(),
    );
    finding.fix = remediation::undecided(app, &unseen);
    Some(finding)
}

/// `audit-incomplete` for a container whose command the profile does not know: it may be
/// the server that owns the data or a tool that keeps none, so no verdict either way.
pub fn command_unknown(app: &AppContainer, command_line: &str) -> Finding {
    let mut finding = app.finding(
        RuleId::AuditIncomplete,
        Severity::Medium,
        format!(
            "could not tell what container {} runs: the {} profile does not know its command; the database and storage checks did not run",
            app.container.name, app.profile.name
        ),
    );
    finding.evidence = vec![format!(
        "command line: {}",
        redact::truncate_chars(&redact::redact_text(command_line), 300)
    )];
    finding.evidence.extend(app.version_evidence());
    finding.facts.insert(
        "skipped_checks".to_string(),
        "database and storage checks".to_string(),
    );
    finding.fix = vec![format!(
        "If this container runs the {} server, say so in a profile (PROFILES_FILE, [profile.command] server pattern); if it is another of the image's commands, add it as a [[profile.command.role]].",
        app.profile.name
    )];
    finding
}

/// `audit-incomplete`: one finding per thing that could not be read.
pub fn audit_incomplete(task: &TaskContext) -> Vec<Finding> {
    task.gaps
        .iter()
        .map(|gap| {
            let error = &gap.error;
            let mut finding = Finding::new(
                RuleId::AuditIncomplete,
                Severity::Medium,
                format!(
                    "could not read {} ({}: {}); {} did not run",
                    crate::model::short_task_definition(&error.resource),
                    error.operation,
                    error.failure.describe(),
                    gap.skipped_checks
                ),
            );
            finding.location = task.location();
            finding.evidence = vec![redact::excerpt(&error.to_string(), 400)];
            finding
                .facts
                .insert("operation".to_string(), error.operation.to_string());
            finding
                .facts
                .insert("resource".to_string(), error.resource.clone());
            finding
                .facts
                .insert("reason".to_string(), error.failure.describe().to_string());
            finding.fix = remediation::read_failure(error);
            finding
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuditGap, ReadError, ReadFailure};
    use crate::rules::testing::*;

    #[test]
    fn unreadable_task_definitions_are_reported_not_passed() {
        let mut task = task_with(serde_json::json!({}));
        task.task_definition = None;
        task.gaps.push(AuditGap {
            error: ReadError {
                operation: "ecs:DescribeTaskDefinition",
                resource: task.task_definition_arn.clone(),
                failure: ReadFailure::AccessDenied,
                message: "User is not authorized".to_string(),
            },
            skipped_checks: "the database and storage checks",
        });
        let findings = evaluate(&task, &Profiles::built_in().unwrap());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, RuleId::AuditIncomplete);
        assert_eq!(findings[0].severity, Severity::Medium);
        assert!(findings[0].summary.contains("coder:7"));
        assert!(findings[0].summary.contains("access denied"));
    }
}
