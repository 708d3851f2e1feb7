//! `secret-reference-malformed`: the database setting's `valueFrom` is a reference ECS rejects or that cannot resolve, read as the ECS agent reads it.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::container::{AppContainer, SettingSource};
use crate::finding::{Finding, RuleId, Severity};
use crate::inspect::secret_reference;
use crate::model::ValueOrigin;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::SecretReferenceMalformed,
    severity: Severity::High,
    other_severities: &[],
    fires_when: "the database setting's `valueFrom` is a reference ECS rejects or that cannot resolve (a Secrets Manager ARN of other than 7 or 10 parts, an SSM name with characters ECS refuses, an ARN of another service)",
    why: "ECS cannot resolve the reference, so the task fails to start and the app never gets \
          its database setting.",
    console: &[ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: None,
};

/// `secret-reference-malformed`: the database setting's `valueFrom` cannot be resolved.
pub(crate) fn secret_reference_malformed(app: &AppContainer) -> Option<Finding> {
    let mut evidence = Vec::new();
    let mut first = None;
    for setting in app
        .database_settings_set()
        .into_iter()
        .chain(app.near_misses())
    {
        let SettingSource::Secret(value_from) = setting.source else {
            continue;
        };
        // A template's `!Ref DbSecret` becomes the secret's ARN at deployment: nothing to
        // judge before then.
        if app
            .container
            .secret(setting.name)
            .is_some_and(|secret| secret.origin == ValueOrigin::AtDeployment)
        {
            continue;
        }
        if let Err(problems) = secret_reference::check(value_from) {
            evidence.push(setting.describe());
            // "NAME: ..." would read as a password to the redactor: the problem comes first.
            for problem in &problems {
                evidence.push(format!("{problem} (valueFrom of {})", setting.name));
            }
            first.get_or_insert((setting.name, problems[0].clone()));
        }
    }
    let (name, problem) = first?;
    let mut finding = app.finding(
        RuleId::SecretReferenceMalformed,
        RULE.severity,
        format!("ECS cannot resolve the secret reference of {name}"),
    );
    finding
        .facts
        .insert("problem".to_string(), problem.to_string());
    finding.evidence = evidence;
    finding
        .facts
        .insert("setting".to_string(), name.to_string());
    finding.fix = fix_secret_reference(app, name);
    Some(finding)
}

fn fix_secret_reference(app: &AppContainer, setting: &str) -> Vec<String> {
    vec![
        format!(
            "Copy the secret's full ARN (it ends in -AbCdEf) from the Secrets Manager console into valueFrom of {setting} in container '{}'.",
            app.container.name
        ),
        "To pick one key of a JSON secret, append :KEY:: (three more colon-separated parts: JSON key, version stage, version id, empty ones left empty).".to_string(),
        "For an SSM parameter, use its name (a path begins with /) in the task's region, or arn:aws:ssm:REGION:ACCOUNT:parameter/NAME in any region.".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn malformed_secret_references() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([]),
            serde_json::json!([{"name": "CODER_PG_CONNECTION_URL",
                "valueFrom": "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:url"}]),
            mounts,
            volumes,
        ));
        let findings = evaluate(&task, &Profiles::built_in().unwrap());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, RuleId::SecretReferenceMalformed);
        assert_eq!(
            findings[0].summary,
            "ECS cannot resolve the secret reference of CODER_PG_CONNECTION_URL"
        );
        assert!(
            findings[0].evidence[1]
                .ends_with("write ...:url:: (valueFrom of CODER_PG_CONNECTION_URL)"),
            "{:?}",
            findings[0].evidence
        );
        // Rendered, the problem survives the redactor (a "NAME_PASSWORD: ..." line would not).
        let rendered = crate::redact::redact_text(&findings[0].evidence[1]);
        assert_eq!(rendered, findings[0].evidence[1]);
    }
}
