//! Secrets a Terraform plan writes (`aws_secretsmanager_secret_version`), so that a task
//! definition in the same plan that takes its database setting from one has that value judged
//! like a plain URL: the seed's duplicate port (an RDS `endpoint`, which already ends in the
//! port, joined with `:5432` again) is caught before apply, where the running auditor, which
//! reads no secret value, cannot see it. Values are only judged, never shown.

use crate::model::{KnownFrom, KnownValue, TaskDefinition};
use serde_json::Value;

const SECRET_VERSION: &str = "aws_secretsmanager_secret_version";

/// The secret strings a plan writes, by the `secret_id` it writes them to (an ARN or a name).
#[derive(Default)]
pub(crate) struct PlannedSecrets(Vec<(String, String)>);

impl PlannedSecrets {
    /// Every `aws_secretsmanager_secret_version` the plan creates or updates whose `secret_id`
    /// and `secret_string` are known before apply.
    pub(crate) fn of(changes: &[Value]) -> PlannedSecrets {
        PlannedSecrets(
            changes
                .iter()
                .filter(|change| {
                    change.get("type").and_then(Value::as_str) == Some(SECRET_VERSION)
                        && change.get("mode").and_then(Value::as_str) != Some("data")
                })
                .filter_map(|change| {
                    let after = change.get("change")?.get("after")?;
                    Some((
                        after.get("secret_id")?.as_str()?.to_string(),
                        after.get("secret_string")?.as_str()?.to_string(),
                    ))
                })
                .collect(),
        )
    }

    /// Gives each `secrets` entry of `definition` that names one of these secrets its value
    /// (the JSON key's, for `ARN:KEY::`).
    pub(crate) fn fill(&self, definition: &mut TaskDefinition) {
        if self.0.is_empty() {
            return;
        }
        for container in &mut definition.container_definitions {
            for secret in &mut container.secrets {
                secret.known_value = self
                    .value_of(&secret.value_from)
                    .map(|value| KnownValue(value, KnownFrom::Plan));
            }
        }
    }

    /// The value a `valueFrom` resolves to, when it names a secret this plan writes: a whole
    /// secret (`ARN`, `ARN:::`) or one key (`ARN:KEY::`). A version stage or id other than the
    /// current one is not what the plan writes: no value.
    fn value_of(&self, value_from: &str) -> Option<String> {
        // ECS: arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX[:json-key:version-stage:version-id]
        let fields: Vec<&str> = value_from.split(':').collect();
        if fields.len() < 7 || fields[2] != "secretsmanager" {
            return None;
        }
        let arn = fields[..7].join(":");
        let name = fields[6];
        let (key, stage, id) = (
            fields.get(7).copied().unwrap_or_default(),
            fields.get(8).copied().unwrap_or_default(),
            fields.get(9).copied().unwrap_or_default(),
        );
        if !(stage.is_empty() || stage == "AWSCURRENT") || !id.is_empty() {
            return None;
        }
        let (_, text) = self.0.iter().find(|(secret_id, _)| {
            *secret_id == arn
                // A secret given by name: the ARN's name is NAME-XXXXXX (6 random characters).
                || (!secret_id.starts_with("arn:")
                    && (name == secret_id
                        || name
                            .strip_prefix(secret_id.as_str())
                            .is_some_and(|rest| rest.len() == 7 && rest.starts_with('-'))))
        })?;
        if key.is_empty() {
            return Some(text.clone());
        }
        let document: Value = serde_json::from_str(text).ok()?;
        document.get(key)?.as_str().map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_value_from_finds_the_secret_by_arn_or_name_and_key() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:coder-db-Ab12Cd";
        let changes = vec![
            json!({"type": SECRET_VERSION, "mode": "managed", "change": {"after": {
                "secret_id": arn, "secret_string": "{\"url\": \"postgres://u@h:5432/c\"}"}}}),
            json!({"type": SECRET_VERSION, "mode": "managed", "change": {"after": {
                "secret_id": "plain", "secret_string": "postgres://p@h/c"}}}),
            // Not known before apply: nothing to judge.
            json!({"type": SECRET_VERSION, "mode": "managed", "change": {"after": {
                "secret_id": "later"}, "after_unknown": {"secret_string": true}}}),
        ];
        let planned = PlannedSecrets::of(&changes);
        assert_eq!(
            planned.value_of(&format!("{arn}:url::")).as_deref(),
            Some("postgres://u@h:5432/c")
        );
        assert_eq!(
            planned.value_of(arn).as_deref(),
            Some("{\"url\": \"postgres://u@h:5432/c\"}")
        );
        assert_eq!(planned.value_of(&format!("{arn}:missing::")), None);
        assert_eq!(planned.value_of(&format!("{arn}:url:AWSPREVIOUS:")), None);
        assert_eq!(
            planned
                .value_of("arn:aws:secretsmanager:us-east-1:1:secret:plain-Zz99Yy")
                .as_deref(),
            Some("postgres://p@h/c")
        );
        assert_eq!(
            planned.value_of("arn:aws:secretsmanager:us-east-1:1:secret:later-Zz99Yy"),
            None
        );
        assert_eq!(
            planned.value_of("arn:aws:ssm:us-east-1:1:parameter/x"),
            None
        );
        assert!(
            !format!(
                "{:?}",
                KnownValue("postgres://p@h/c".into(), KnownFrom::Plan)
            )
            .contains("p@h")
        );
    }
}
