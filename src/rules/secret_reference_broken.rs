//! `secret-reference-broken`: a secret the task references does not exist, is scheduled for
//! deletion, or lacks the version stage or id the reference names (issue 16;
//! `secretsmanager:DescribeSecret`, no value read: [`crate::doctor::secrets`]). A reference
//! ECS would reject by its form alone is `secret-reference-malformed`.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::doctor::secrets::ReferenceProblem;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::TaskContext;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::SecretReferenceBroken,
    severity: Severity::Critical,
    other_severities: &[],
    fires_when: "a secret the task references does not exist in its account and region, is scheduled for deletion, or has no version with the stage or id the reference names, or the reference is a partial ARN whose name ends in a hyphen and six characters, which Secrets Manager reads as a complete ARN (DescribeSecret; no secret value is read)",
    why: "ECS cannot fetch the secret, so the task never starts (or stops starting once the \
          deletion takes effect), and the app never gets the setting it holds.",
    console: &[ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: None,
};

/// One finding per broken reference.
pub(crate) fn secret_reference_broken(task: &TaskContext) -> Vec<Finding> {
    let from_values = task.secret_value_problems.iter().map(|found| {
        (
            found.container.as_str(),
            found.setting.as_str(),
            found.secret.as_str(),
            Some(&found.problem),
        )
    });
    task.secret_diagnoses
        .iter()
        .map(|diagnosis| {
            (
                diagnosis.container.as_str(),
                diagnosis.setting.as_str(),
                diagnosis.secret.as_str(),
                diagnosis.reference.as_ref(),
            )
        })
        .chain(from_values)
        .filter_map(|(container, setting, secret, problem)| {
            let problem = problem?;
            let mut finding = Finding::new(
                RuleId::SecretReferenceBroken,
                RULE.severity,
                format!(
                    "{} ({setting} of container {container})",
                    problem.describe(secret),
                ),
            );
            finding.location = Location {
                container: Some(container.to_string()),
                ..task.location()
            };
            finding.evidence = vec![problem.describe(secret)];
            finding
                .facts
                .insert("setting".to_string(), setting.to_string());
            finding
                .facts
                .insert("secret".to_string(), secret.to_string());
            finding.fix = vec![match problem {
                ReferenceProblem::NotFound => format!(
                    "Create the secret, or point {setting}'s valueFrom at the secret that exists: same account and region as the task, its name as Secrets Manager shows it."
                ),
                ReferenceProblem::ScheduledForDeletion { .. } => format!(
                    "Restore it before the deletion date (aws secretsmanager restore-secret --secret-id {secret}), or move {setting} to a secret that stays."
                ),
                ReferenceProblem::NoSuchJsonKey { key } => format!(
                    "Store the value under the JSON key {key} ({{\"{key}\": \"...\"}}), or end {setting}'s valueFrom with the key the secret has (...:KEY::), or with nothing after the name for a plain string."
                ),
                ReferenceProblem::NoSuchStage { stage } => format!(
                    "Name a stage the secret has (AWSCURRENT, or leave it empty), or label a version {stage}."
                ),
                ReferenceProblem::PartialArnReadAsComplete { secret_arn } => format!(
                    "Write the secret's complete ARN, with the suffix Secrets Manager added, in {setting}'s valueFrom: {secret_arn} (keeping any :json-key:stage:version after it); or give the secret a name that does not end in a hyphen and six characters."
                ),
                ReferenceProblem::NoSuchVersion { .. } => "Name a version id the secret has, or leave the version id empty to take AWSCURRENT.".to_string(),
            }];
            Some(finding)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::policy_simulation::Permission;
    use crate::doctor::secrets::SecretDiagnosis;
    use crate::rules::testing::*;

    #[test]
    fn a_missing_secret_and_a_missing_stage_are_said_with_their_fix() {
        let mut task = task_with(serde_json::json!({
            "family": "coder", "revision": 1,
            "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0"}]
        }));
        let diagnosis = |reference| SecretDiagnosis {
            container: "coder".to_string(),
            setting: "CODER_PG_CONNECTION_URL".to_string(),
            secret: "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-db".to_string(),
            reference,
            reference_checked: true,
            readable: Permission::Undecided("the secret does not exist".to_string()),
            decrypt_denied: None,
            key: None,
        };
        task.secret_diagnoses = vec![
            diagnosis(Some(ReferenceProblem::NotFound)),
            diagnosis(Some(ReferenceProblem::NoSuchStage {
                stage: "AWSPENDING".to_string(),
            })),
            diagnosis(None),
        ];
        let findings = secret_reference_broken(&task);
        assert_eq!(findings.len(), 2);
        assert_eq!(
            findings[0].summary,
            "secret arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-db does not exist (CODER_PG_CONNECTION_URL of container coder)"
        );
        assert!(findings[1].fix[0].contains("label a version AWSPENDING"));
        assert!(crate::rules::severity_declared(&findings[0]));
        assert!(rules_fired(&task).contains(&RuleId::SecretReferenceBroken));
    }
}
