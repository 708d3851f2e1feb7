//! `secret-not-readable`: the task's execution role may not read a secret the task references
//! (issue 16): IAM's policy simulator, asked with the secret's resource policy and the context
//! keys ECS's call carries, names the deciding statement ([`crate::doctor::secrets`]). What
//! the doctor could not decide is `audit-incomplete`, never a pass.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::doctor::policy_simulation::Permission;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::TaskContext;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::SecretNotReadable,
    severity: Severity::Critical,
    other_severities: &[],
    fires_when: "the task's execution role may not read a secret it references: IAM's policy simulator denies secretsmanager:GetSecretValue on the secret (with its resource policy) or kms:Decrypt on its customer managed key, or the task definition has no execution role (the doctor names the deciding statement)",
    why: "ECS reads the task's secrets with the execution role before any container starts: \
          when it may not, the task never starts, and an app whose database URL is that secret \
          never reaches its database.",
    console: &[ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: None,
};

/// One finding per secret the execution role may not read.
pub(crate) fn secret_not_readable(task: &TaskContext) -> Vec<Finding> {
    let role = task
        .task_definition
        .as_ref()
        .and_then(|definition| definition.execution_role_arn.as_deref())
        .unwrap_or("(none)");
    task.secret_diagnoses
        .iter()
        .filter(|diagnosis| diagnosis.reference.is_none())
        .filter_map(|diagnosis| {
            let Permission::No {
                action,
                resource,
                deciding,
            } = &diagnosis.readable
            else {
                return None;
            };
            let mut finding = Finding::new(
                RuleId::SecretNotReadable,
                RULE.severity,
                format!(
                    "the execution role may not read secret {} ({} of container {}): {deciding}",
                    diagnosis.secret, diagnosis.setting, diagnosis.container
                ),
            );
            finding.location = Location {
                container: Some(diagnosis.container.clone()),
                ..task.location()
            };
            finding.evidence = vec![
                format!("execution role: {role}"),
                format!("{action} on {resource}: {deciding}"),
            ];
            finding
                .facts
                .insert("setting".to_string(), diagnosis.setting.clone());
            finding
                .facts
                .insert("secret".to_string(), diagnosis.secret.clone());
            let service = if diagnosis.secret.starts_with("SSM parameter") {
                "ssm"
            } else {
                "secretsmanager"
            };
            finding.fix = vec![fix(role, action, resource, deciding, service)];
            // The key denies it too: said now, not after the next failed deployment.
            if let Some(Permission::No {
                action,
                resource,
                deciding,
            }) = &diagnosis.decrypt_denied
            {
                finding
                    .evidence
                    .push(format!("and {action} on {resource}: {deciding}"));
                finding
                    .fix
                    .push(fix(role, action, resource, deciding, service));
            }
            Some(finding)
        })
        .collect()
}

/// The fix for one denied action: the denying statement narrowed, the grant made where it
/// counts (for a KMS key, its key policy or the role's IAM policy as the key policy decides).
fn fix(role: &str, action: &str, resource: &str, deciding: &str, service: &str) -> String {
    if action.starts_with("kms:") {
        if deciding.contains(crate::doctor::key_policy::KEY_POLICY_LETS_NOTHING_IN) {
            format!(
                "Add a statement to the key policy of {resource} that allows {role} kms:Decrypt (as the console's \"key users\" do), or one for the account's root so that IAM policies count; an IAM statement alone does not."
            )
        } else if let Some(statement) = deciding.strip_suffix(" denies it") {
            format!(
                "Remove or narrow {statement}, so that it no longer denies {role} kms:Decrypt on {resource}."
            )
        } else {
            let region = crate::model::arn::arn_field(resource, 3).unwrap_or("<region>");
            format!(
                "Allow {role} kms:Decrypt on {resource} in its IAM policy (the key policy lets IAM policies grant it), with the condition kms:ViaService = {service}.{region}.amazonaws.com if you like; or name the role in the key policy."
            )
        }
    } else if role == "(none)" {
        format!(
            "Give the task definition an executionRoleArn: a role ECS can assume (ecs-tasks.amazonaws.com) with {action} on the secret."
        )
    } else if let Some(statement) = deciding.strip_suffix(" denies it") {
        format!(
            "Remove or narrow {statement}, so that it no longer denies {role} {action} on {resource}; an Allow elsewhere does not override a Deny."
        )
    } else {
        let suffix = if service == "secretsmanager" {
            " (the full ARN, or the name followed by -??????)"
        } else {
            ""
        };
        format!("Allow {role} {action} on {resource}{suffix}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::secrets::{ReferenceProblem, SecretDiagnosis};
    use crate::rules::testing::*;

    #[test]
    fn a_denied_read_names_the_role_the_secret_and_the_deciding_statement() {
        let mut task = task_with(serde_json::json!({
            "family": "coder", "revision": 1,
            "executionRoleArn": "arn:aws:iam::132880019009:role/coder-ecs-task-execution-role",
            "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0"}]
        }));
        let secret =
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7";
        let denied = SecretDiagnosis {
            container: "coder".to_string(),
            setting: "CODER_PG_CONNECTION_URL".to_string(),
            secret: secret.to_string(),
            reference: None,
            reference_checked: true,
            readable: Permission::No {
                action: "secretsmanager:GetSecretValue".to_string(),
                resource: secret.to_string(),
                deciding: "the statement at line 4 of policy coder-ecs-secrets-policy denies it"
                    .to_string(),
            },
            decrypt_denied: None,
            key: None,
        };
        // A broken reference is its own finding (secret-reference-broken), not this one.
        let broken = SecretDiagnosis {
            reference: Some(ReferenceProblem::NotFound),
            ..denied.clone()
        };
        task.secret_diagnoses = vec![denied, broken];
        let findings = secret_not_readable(&task);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].summary,
            format!(
                "the execution role may not read secret {secret} (CODER_PG_CONNECTION_URL of container coder): the statement at line 4 of policy coder-ecs-secrets-policy denies it"
            )
        );
        assert!(findings[0].fix[0].starts_with(
            "Remove or narrow the statement at line 4 of policy coder-ecs-secrets-policy, so that it no longer denies arn:aws:iam::132880019009:role/coder-ecs-task-execution-role secretsmanager:GetSecretValue on arn:"
        ), "{:?}", findings[0].fix);
        // No statement allows it: the fix is the grant.
        let mut implicit = task.clone();
        if let Permission::No { deciding, .. } = &mut implicit.secret_diagnoses[0].readable {
            *deciding = "no statement in the policies of the role allows it".to_string();
        }
        assert!(secret_not_readable(&implicit)[0].fix[0].starts_with(
            "Allow arn:aws:iam::132880019009:role/coder-ecs-task-execution-role secretsmanager:GetSecretValue on arn:"
        ));
        assert!(crate::rules::severity_declared(&findings[0]));
        assert!(rules_fired(&task).contains(&RuleId::SecretNotReadable));

        // The key decides: a key policy that lets no IAM statement count is fixed in the key
        // policy; one that does, in the role's IAM policy.
        let key = "arn:aws:kms:us-east-1:132880019009:key/k-1";
        let kms = |deciding: &str| {
            let mut task = task.clone();
            task.secret_diagnoses[0].readable = Permission::No {
                action: "kms:Decrypt".to_string(),
                resource: key.to_string(),
                deciding: deciding.to_string(),
            };
            secret_not_readable(&task)[0].fix[0].clone()
        };
        assert!(
            kms("the key policy of k neither allows the role nor lets IAM policies grant access (no statement for arn:aws:iam::132880019009:root), and no grant gives it Decrypt")
                .starts_with(&format!("Add a statement to the key policy of {key} that allows arn:aws:iam::132880019009:role/coder-ecs-task-execution-role kms:Decrypt"))
        );
        assert!(
            kms("no statement in the policies of the role allows it").contains(
                "in its IAM policy (the key policy lets IAM policies grant it), with the condition kms:ViaService = secretsmanager.us-east-1.amazonaws.com"
            )
        );
        // A denied read under a key that denies too: both said, both fixed, at once.
        let mut both = task.clone();
        both.secret_diagnoses.truncate(1);
        both.secret_diagnoses[0].decrypt_denied = Some(Permission::No {
            action: "kms:Decrypt".to_string(),
            resource: key.to_string(),
            deciding: "no statement in the policies of the role allows it".to_string(),
        });
        let found = secret_not_readable(&both);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].fix.len(), 2, "{:?}", found[0].fix);
        assert_eq!(
            found[0].evidence[2],
            format!("and kms:Decrypt on {key}: no statement in the policies of the role allows it")
        );
        assert!(found[0].fix[1].contains("kms:Decrypt"));
        assert!(kms("statement \"Deny\" of the key policy of k denies it").starts_with(
            "Remove or narrow statement \"Deny\" of the key policy of k, so that it no longer denies"
        ));
    }
}
