//! `audit-incomplete`: what the audit could not see is said, never passed: a read that failed, a database choice that may be made where the auditor cannot look, a command the profile does not know.

use super::declaration::{RuleInfo, Suppression};
use crate::container::Unseen;
use crate::container::{AppContainer, DatabaseChoice};
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::TaskContext;
use crate::model::{ReadError, ReadFailure};
use crate::redact;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::AuditIncomplete,
    severity: Severity::Medium,
    other_severities: &[],
    fires_when: "something the audit needed could not be read (access denied, throttling, not found), or a setting that decides may come from where the auditor cannot look (an unread environment file, a shell command, a custom image), or a container runs a command its profile does not know",
    why: "Part of the audit did not run. The auditor never reports a clean bill for what it could \
          not see, so this alert says what is missing instead.",
    console: &[],
    suppression: Suppression::Window,
    from_log: None,
};

/// `audit-incomplete` for a container whose database choice may come from where the
/// auditor cannot look (an unread environment file, a shell command, a custom image): the
/// database and storage checks give no verdict, and say why.
pub(crate) fn database_undecided(app: &AppContainer) -> Option<Finding> {
    let Some(DatabaseChoice::Undecided(unseen)) = app.database_choice() else {
        return None;
    };
    let database = app.database()?;
    let mut finding = app.finding(
        RuleId::AuditIncomplete,
        RULE.severity,
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
        let meant = database.meant_by(miss.name);
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
    finding.fix = undecided(app, &unseen);
    Some(finding)
}

/// `audit-incomplete` for a container whose command the profile does not know: it may be
/// the server that owns the data or a tool that keeps none, so no verdict either way.
pub(crate) fn command_unknown(app: &AppContainer, command_line: &str) -> Finding {
    let mut finding = app.finding(
        RuleId::AuditIncomplete,
        RULE.severity,
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
pub(crate) fn audit_incomplete(task: &TaskContext) -> Vec<Finding> {
    task.gaps
        .iter()
        .map(|gap| {
            let error = &gap.error;
            let mut finding = Finding::new(
                RuleId::AuditIncomplete,
                RULE.severity,
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
            finding
                .facts
                .insert("skipped_checks".to_string(), gap.skipped_checks.to_string());
            finding.fix = read_failure(error);
            finding
        })
        .collect()
}

/// `audit-incomplete` for each network path to a database the doctor could not decide (a
/// security group rule by prefix list, a database known only by part of its subnets, an
/// instance no `DescribeDBInstances` answer has): "could not decide", never a pass.
pub(crate) fn database_path_undecided(task: &TaskContext) -> Vec<Finding> {
    task.database_paths
        .iter()
        .filter_map(|evaluated| {
            let crate::doctor::network::Path::Undecided(why) = &evaluated.path else {
                return None;
            };
            let mut finding = Finding::new(
                RuleId::AuditIncomplete,
                RULE.severity,
                format!(
                    "could not decide whether container {} reaches {} on port {}: {why}; the database-unreachable check gave no verdict",
                    evaluated.container, evaluated.database, evaluated.port
                ),
            );
            finding.location = Location {
                container: Some(evaluated.container.clone()),
                ..task.location()
            };
            finding.evidence = vec![why.clone()];
            finding
                .facts
                .insert("database".to_string(), evaluated.database.clone());
            finding
                .facts
                .insert("skipped_checks".to_string(), "database-unreachable".to_string());
            finding.fix = vec![format!(
                "Check the path by hand: the security groups of the task and of {}, their subnets' network ACLs and route tables (VPC Reachability Analyzer answers it, at a cost per analysis).",
                evaluated.database
            )];
            Some(finding)
        })
        .collect()
}

/// `audit-incomplete` for each database whose IAM token signer the doctor could not judge
/// (no task role on EC2, another account's role, a URL without a user, condition keys it could
/// not give): said, never passed.
pub(crate) fn iam_connect_undecided(task: &TaskContext) -> Vec<Finding> {
    task.database_paths
        .iter()
        .filter_map(|path| {
            let connect = path.iam_connect.as_ref()?;
            let crate::doctor::policy_simulation::Permission::Undecided(why) = &connect.permission
            else {
                return None;
            };
            let mut finding = Finding::new(
                RuleId::AuditIncomplete,
                RULE.severity,
                format!(
                    "could not decide whether container {} may connect to {} with an IAM token: {why}",
                    path.container, path.database
                ),
            );
            finding.location = Location {
                container: Some(path.container.clone()),
                ..task.location()
            };
            finding.evidence = vec![why.clone()];
            finding
                .facts
                .insert("database".to_string(), path.database.clone());
            finding.facts.insert(
                "skipped_checks".to_string(),
                "database-auth-misconfigured".to_string(),
            );
            finding.fix = vec![format!(
                "Check by hand: aws iam simulate-principal-policy --policy-source-arn <the role that signs the token> --action-names rds-db:connect --resource-arns arn:aws:rds-db:REGION:ACCOUNT:dbuser:<the resource id of {}>/{}",
                path.database,
                connect.user.as_deref().unwrap_or("<the URL's user>")
            )];
            Some(finding)
        })
        .collect()
}

/// `audit-incomplete` for each secret whose readability the doctor could not decide (another
/// account's secret, a key policy it could not read, condition keys it could not give, an SSM
/// parameter): said, never passed. A broken reference is its own finding instead.
pub(crate) fn secret_undecided(task: &TaskContext) -> Vec<Finding> {
    task.secret_diagnoses
        .iter()
        .filter(|diagnosis| diagnosis.reference.is_none())
        .filter_map(|diagnosis| {
            let crate::doctor::policy_simulation::Permission::Undecided(why) = &diagnosis.readable else {
                return None;
            };
            let mut finding = Finding::new(
                RuleId::AuditIncomplete,
                RULE.severity,
                format!(
                    "could not decide whether the execution role may read {} ({} of container {}): {why}",
                    diagnosis.secret, diagnosis.setting, diagnosis.container
                ),
            );
            finding.location = Location {
                container: Some(diagnosis.container.clone()),
                ..task.location()
            };
            finding.evidence = vec![why.clone()];
            finding
                .facts
                .insert("secret".to_string(), diagnosis.secret.clone());
            finding
                .facts
                .insert("skipped_checks".to_string(), "secret-not-readable".to_string());
            finding.fix = vec![if diagnosis.secret.contains(":secretsmanager:") {
                format!(
                    "Check by hand: aws iam simulate-principal-policy --policy-source-arn <execution role> --action-names secretsmanager:GetSecretValue --resource-arns {}, then kms:Decrypt on its key, and the secret's and the key's own policies.",
                    diagnosis.secret
                )
            } else {
                format!(
                    "Check by hand: aws iam simulate-principal-policy --policy-source-arn <execution role> --action-names ssm:GetParameters --resource-arns <the ARN of {}>, and kms:Decrypt on its key for a SecureString.",
                    diagnosis.secret
                )
            }];
            Some(finding)
        })
        .collect()
}

/// Steps for a database choice the auditor could not see.
fn undecided(app: &AppContainer, unseen: &[Unseen]) -> Vec<String> {
    let mut steps = Vec::new();
    for source in unseen {
        match source {
            Unseen::EnvironmentFile { .. } => steps.push(
                "Let the auditor read the environment file: set READ_ENVIRONMENT_FILES=true and list its bucket in the template's EnvironmentFileBuckets parameter (s3:GetObject); its values stay in the function's memory. Or move the database setting to `secrets`.".to_string(),
            ),
            Unseen::ShellCommand { .. } => steps.push(format!(
                "Set the database setting of container '{}' in `secrets` or `environment` rather than in its shell command, so it can be checked before the task starts.",
                app.container.name
            )),
            Unseen::AppDetects { .. } => {}
        }
    }
    if let Some(database) = &app.facts.database {
        steps.push(format!(
            "Check the app's start-up log: the auditor reports {}'s embedded database there if {} did not arrive.",
            app.profile.name,
            database.primary_setting()
        ));
    }
    steps
}

fn read_failure(error: &ReadError) -> Vec<String> {
    if error.operation == "secretsmanager:GetSecretValue" {
        return vec![format!(
            "The value of {} could not be read ({}), so the database address inside it was not checked. A secret (or version) that does not exist or is scheduled for deletion is named by secret-reference-broken (ecs-auditor doctor); for access denied, allow secretsmanager:GetSecretValue on it (and kms:Decrypt on its key) to the credentials the auditor runs with.",
            error.resource,
            error.failure.describe()
        )];
    }
    let step = match error.failure {
        ReadFailure::AccessDenied => format!(
            "Allow {} to the auditor function's role (the SAM template grants it; check service control policies and permission boundaries).",
            error.operation
        ),
        ReadFailure::Throttled => format!(
            "{} was throttled after retries. The next event for this resource audits it again; if this repeats, ask AWS for a higher ECS API rate.",
            error.operation
        ),
        ReadFailure::NotFound => format!(
            "{} no longer exists (deregistered or deleted), so it could not be audited.",
            error.resource
        ),
        ReadFailure::NoCredentials => format!(
            "Give the auditor AWS credentials that allow {} (the Lambda function's role, or AWS_PROFILE / environment variables for the CLI).",
            error.operation
        ),
        ReadFailure::Unavailable | ReadFailure::Other => format!(
            "{} failed; check the function's network path to the AWS API (NAT gateway or VPC endpoint) and its logs.",
            error.operation
        ),
    };
    vec![step]
}

/// `audit-incomplete` for a batch with more lines than `MAX_LOG_EVENTS`: the lines past the
/// limit were not examined, and the alert says so instead of passing over them.
pub(crate) fn lines_not_examined(location: &Location, total: usize, skipped: usize) -> Finding {
    let mut finding = Finding::new(
        RuleId::AuditIncomplete,
        RULE.severity,
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
