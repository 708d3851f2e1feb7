//! `plaintext-database-credentials`: a database password (in a URL or a password setting) sits in plain `environment` or on the command line rather than in `secrets`.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::container::AppContainer;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::inspect::database_url::{self};
use crate::model::{ContainerDefinition, TaskContext, TaskDefinition};
use crate::redact;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::PlaintextDatabaseCredentials,
    severity: Severity::High,
    other_severities: &[],
    fires_when: "a database URL with a password sits in plain `environment` rather than `secrets`",
    why: "Plain environment values are visible to anyone who can describe the task definition \
          (ecs:DescribeTaskDefinition), appear in the console, in CloudTrail and in CI logs, and \
          cannot be rotated without a new revision.",
    console: &[ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: None,
};

/// `plaintext-database-credentials`: a database URL with a password in plain `environment`.
/// Applies to every container: a recognised app's database settings, and any value that looks
/// like a database URL or connection string with a password.
pub(crate) fn plaintext_database_credentials(
    task: &TaskContext,
    definition: &TaskDefinition,
    container: &ContainerDefinition,
    app: Option<&AppContainer>,
) -> Option<Finding> {
    let database = app.and_then(|app| app.database());
    // (setting or argument, how it appears in evidence)
    let mut offending: Vec<(String, String)> = container
        .environment
        .iter()
        .filter(|variable| {
            if database.is_some_and(|database| {
                database.password_settings.contains(&variable.name)
                    && !variable.value.trim().is_empty()
            }) {
                return true;
            }
            let declared = database.is_some_and(|database| {
                database.settings.contains(&variable.name)
                    || database
                        .near_miss
                        .iter()
                        .any(|miss| miss.name() == variable.name)
            });
            let inspected = declared
                && database_url::inspect(
                    &variable.value,
                    &database.map(|d| d.url_schemes.clone()).unwrap_or_default(),
                    true,
                )
                .has_password;
            inspected
                || database_url::database_url_with_password(&variable.value)
                || (resolves_secret_in_template(&variable.value)
                    && (declared || names_a_database_secret(&variable.name)))
        })
        .map(|variable| {
            let shown = redact::display_setting_value(&variable.name, &variable.value);
            (
                variable.name.clone(),
                if resolves_secret_in_template(&variable.value) {
                    format!(
                        "environment {} = {shown} (CloudFormation writes the secret's value into the task definition in clear text at deployment)",
                        variable.name
                    )
                } else {
                    format!("environment {} = {shown}", variable.name)
                },
            )
        })
        .collect();
    // The command line is as readable as the environment: a password argument of the app
    // (`--db-password`, `-Dsonar.jdbc.password=`), or any database URL with a password.
    if let Some(database) = database {
        for argument in &database.arguments {
            let Some(value) = crate::container::argument_value(
                &container.entry_point,
                &container.command,
                &argument.prefix,
            ) else {
                continue;
            };
            let password = database.password_settings.contains(&argument.setting)
                || database_url::database_url_with_password(value);
            if password {
                offending.push((
                    argument.prefix.trim_end_matches('=').to_string(),
                    format!(
                        "command argument {} {}",
                        argument.prefix.trim_end_matches('='),
                        redact::display_setting_value(&argument.setting, value)
                    ),
                ));
            }
        }
    }
    for word in container.entry_point.iter().chain(&container.command) {
        let value = word
            .split_once('=')
            .map_or(word.as_str(), |(_, value)| value);
        let already = offending
            .iter()
            .any(|(name, _)| word.starts_with(name.as_str()) && name.starts_with('-'));
        if !already && database_url::database_url_with_password(value) {
            offending.push((
                "command".to_string(),
                format!(
                    "command argument {}",
                    redact::truncate_chars(&redact::redact_text(word), 300)
                ),
            ));
        }
    }
    let first = offending.first()?.0.clone();
    let place = if container.env(&first).is_some() {
        "plain environment"
    } else {
        "the container's command line"
    };
    let mut finding = Finding::new(
        RuleId::PlaintextDatabaseCredentials,
        RULE.severity,
        format!(
            "{first} puts a database password in {place}, readable by anyone who can describe the task definition"
        ),
    );
    finding.app = app.map(|app| app.profile.name.clone());
    finding.location = Location {
        container: Some(container.name.clone()),
        ..task.location()
    };
    finding.occurrences = offending.len() as u64;
    finding.evidence = offending.into_iter().map(|(_, shown)| shown).collect();
    finding.facts.insert("setting".to_string(), first.clone());
    finding
        .facts
        .insert("task_definition".to_string(), definition.short_name());
    let resolved_by_template =
        container.environment.iter().rev().find(|variable| {
            variable.name == first && resolves_secret_in_template(&variable.value)
        });
    finding.fix = if let Some(variable) = resolved_by_template {
        // `{{resolve:...}}` alone is the secret's value; inside a URL it is one part of it.
        let whole = variable.value.trim().starts_with("{{resolve:")
            && variable.value.trim().ends_with("}}")
            && variable.value.matches("{{resolve:").count() == 1;
        reference_in_secrets(&container.name, definition, &first, whole)
    } else if place == "plain environment" {
        move_to_secrets(&container.name, definition, &first)
    } else {
        move_argument_to_secrets(&container.name, definition, &first)
    };
    Some(finding)
}

/// A CloudFormation dynamic reference to a secret (`{{resolve:secretsmanager:...}}`): in
/// `Environment`, CloudFormation resolves it into the task definition as plain text, visible
/// to `ecs:DescribeTaskDefinition` (CloudFormation user guide, "Get values stored in other
/// services using dynamic references").
fn resolves_secret_in_template(value: &str) -> bool {
    value.contains("{{resolve:secretsmanager:")
}

/// A setting name that says it holds a database password, or a database URL (which may carry
/// one), for a container no profile recognises: `DB_PASSWORD`, `DATABASE_URL`, not
/// `DB_USERNAME`.
fn names_a_database_secret(name: &str) -> bool {
    let name = name.to_ascii_uppercase();
    let password = ["PASSWORD", "PASSWD"]
        .iter()
        .any(|word| name.contains(word));
    let database = ["DATABASE", "POSTGRES", "MYSQL", "DB"]
        .iter()
        .any(|word| name.contains(word));
    let url = ["URL", "URI", "DSN"]
        .iter()
        .any(|word| name.ends_with(word));
    password || (database && url)
}

fn move_to_secrets(container: &str, definition: &TaskDefinition, setting: &str) -> Vec<String> {
    vec![
        format!(
            "Store the value of {setting} in AWS Secrets Manager and, in task definition {} container '{container}', replace the environment entry with a `secrets` entry whose valueFrom is the secret's ARN.",
            definition.short_name()
        ),
        rotate_password(),
    ]
}

fn reference_in_secrets(
    container: &str,
    definition: &TaskDefinition,
    setting: &str,
    whole: bool,
) -> Vec<String> {
    let first = if whole {
        format!(
            "In task definition {} container '{container}', move {setting} from `Environment` to `Secrets`, with `ValueFrom` the same secret's ARN (`ARN:KEY::` for one key of a JSON secret): ECS then injects the value when the task starts and it never appears in the task definition.",
            definition.short_name()
        )
    } else {
        format!(
            "In task definition {} container '{container}', {setting} builds its value around a secret: store the whole value (the full URL, password included) in AWS Secrets Manager, as a secret or one key of a JSON secret, and give {setting} under `Secrets` with `ValueFrom` its ARN (`ARN:KEY::`); ECS then injects it when the task starts.",
            definition.short_name()
        )
    };
    vec![first, rotate_password()]
}

/// Rotating is due wherever the value reached a registered task definition.
fn rotate_password() -> String {
    "Rotate the database password if a revision with it was ever registered: everyone who can describe the task definition could read it.".to_string()
}

fn move_argument_to_secrets(
    container: &str,
    definition: &TaskDefinition,
    argument: &str,
) -> Vec<String> {
    vec![
        format!(
            "In task definition {} container '{container}', take the password out of the command line ({argument}): store it (or the whole URL) in AWS Secrets Manager and pass it through a `secrets` entry, as the environment variable the app reads for the same setting.",
            definition.short_name()
        ),
        rotate_password(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn awsiamrds_urls_without_a_password_are_fine() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([
                {"name": "CODER_PG_AUTH", "value": "awsiamrds"},
                {"name": "CODER_PG_CONNECTION_URL", "value": "postgres://coder@db.example.com:5432/coder?sslmode=require"}
            ]),
            serde_json::json!([]),
            mounts,
            volumes,
        ));
        assert_eq!(rules_fired(&task), vec![]);
    }

    #[test]
    fn plaintext_credentials_in_any_container() {
        let task = task_with(serde_json::json!({
            "family": "worker", "revision": 1,
            "containerDefinitions": [{"name": "worker", "image": "example/worker:1",
                "environment": [{"name": "DATABASE_URL", "value": "postgres://w:pw@db/w"},
                                {"name": "LOG_LEVEL", "value": "info"}]}]
        }));
        assert_eq!(
            rules_fired(&task),
            vec![RuleId::PlaintextDatabaseCredentials]
        );
        let unprofiled_safe = task_with(serde_json::json!({
            "family": "worker", "revision": 1,
            "containerDefinitions": [{"name": "worker", "image": "example/worker:1",
                "secrets": [{"name": "DATABASE_URL", "valueFrom": "arn:aws:ssm:us-east-1:132880019009:parameter/db"}]}]
        }));
        assert_eq!(rules_fired(&unprofiled_safe), vec![]);
    }
}
