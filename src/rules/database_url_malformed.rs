//! `database-url-malformed`: a plain database URL the app's driver would not read as meant (duplicate or non-numeric port, unknown scheme, reserved characters in the password).

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use super::remediation;
use crate::container::{AppContainer, Setting, SettingSource};
use crate::finding::{Finding, RuleId, Severity};
use crate::inspect::database_url::{self, UrlProblem};
use crate::model::KnownFrom;
use crate::redact;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::DatabaseUrlMalformed,
    severity: Severity::High,
    other_severities: &[],
    fires_when: "a plain database URL does not parse, has a duplicate or non-numeric port, an unknown scheme, or reserved characters left unencoded in the password",
    why: "The app cannot connect with this URL. Depending on the app it retries and exits \
          (ECS restarts it in a loop) or reports a misleading error such as \"invalid port\".",
    console: &[ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: None,
};

/// `database-url-malformed`: plain database URLs (real or near-miss settings) that will not work.
pub(crate) fn database_url_malformed(app: &AppContainer) -> Option<Finding> {
    let database = app.database()?;
    let mut evidence = Vec::new();
    let mut problems = 0;
    let mut first: Option<(&str, UrlProblem, bool)> = None;
    let mut in_planned_secret = false;
    // URL settings, and near-misses of them (a misnamed URL is still checked as a URL).
    let url_near_misses = database
        .near_miss
        .iter()
        .filter(|miss| {
            miss.means()
                .map(|meant| database.settings.iter().any(|setting| setting == meant))
                .unwrap_or(!database.settings.is_empty())
        })
        .filter_map(|miss| app.setting(miss.name()));
    let url_settings: Vec<Setting> = database
        .settings
        .iter()
        .filter_map(|name| app.setting(name))
        .chain(url_near_misses)
        .collect();
    for setting in url_settings {
        // A secret's value the plan that writes it gives (`check` on a Terraform plan), or
        // read when asked: judged, never shown.
        let Some(value) = app.known_value(&setting) else {
            continue;
        };
        // Where a secret's value was learnt: the plan that writes it, or read when allowed.
        let known_from = setting
            .seen_value()
            .is_none()
            .then(|| app.container.secret(setting.name))
            .flatten()
            .and_then(|secret| secret.known_value.as_ref())
            .map(|known| known.1);
        let planned = known_from.map(|_| value);
        let shown =
            planned.is_none() && !matches!(setting.source, SettingSource::EnvironmentFile { .. });
        // A scheme (or bare path) that selects the embedded database is a choice, not a mistake.
        if !database.check_urls || database.selects_embedded(value) {
            continue;
        }
        let inspection =
            database_url::inspect(value, &database.url_schemes, database.key_value_dsn);
        if inspection.problems.is_empty() {
            continue;
        }
        for problem in &inspection.problems {
            evidence.push(if shown {
                format!("{}: {problem}", setting.name)
            } else {
                format!("{}: {}", setting.name, problem.kind())
            });
        }
        problems += inspection.problems.len() as u64;
        evidence.push(if shown {
            format!(
                "{} = {}",
                setting.name,
                redact::truncate_chars(&inspection.redacted, 300)
            )
        } else if known_from == Some(KnownFrom::Plan) {
            format!(
                "{}; its value, written by the same plan (aws_secretsmanager_secret_version), is judged but not shown",
                setting.describe()
            )
        } else if known_from == Some(KnownFrom::SecretsManager) {
            format!(
                "{}; its value, read from Secrets Manager, is judged but not shown",
                setting.describe()
            )
        } else {
            setting.describe()
        });
        if first.is_none() {
            in_planned_secret = known_from == Some(KnownFrom::Plan);
        }
        first.get_or_insert((setting.name, inspection.problems[0].clone(), shown));
    }
    let (name, problem, shown) = first?;
    let mut finding = app.finding(
        RuleId::DatabaseUrlMalformed,
        RULE.severity,
        if shown {
            format!("{name} is malformed: {problem}")
        } else {
            format!("{name} is malformed: {}", problem.kind())
        },
    );
    finding.occurrences = problems;
    finding.evidence = evidence;
    finding
        .facts
        .insert("setting".to_string(), name.to_string());
    finding.fix = fix_url(app, name, &problem);
    if in_planned_secret && matches!(problem, UrlProblem::DuplicatePort { .. }) {
        // The seed's cause: Terraform's aws_db_instance `endpoint` is "host:port" already;
        // `address` is the host alone (Terraform AWS provider, aws_db_instance attributes).
        finding.fix.insert(
            0,
            format!(
                "{name} comes from a secret the plan writes: build its URL from the database's `address` (the host), not its `endpoint`, which already ends in :5432."
            ),
        );
    }
    Some(finding)
}

fn fix_url(app: &AppContainer, setting: &str, problem: &UrlProblem) -> Vec<String> {
    let first = match problem {
        UrlProblem::DuplicatePort { .. } => {
            format!(
                "Remove the repeated port from {setting}: HOST:5432/DATABASE, not HOST:5432:5432/DATABASE."
            )
        }
        UrlProblem::UnencodedPasswordCharacters { .. } | UrlProblem::InvalidPercentEncoding => {
            format!(
                "Percent-encode the password in {setting} (for example with Python's urllib.parse.quote(password, safe='')), or generate a password without reserved characters."
            )
        }
        UrlProblem::UnknownScheme { expected, .. } => format!(
            "Start {setting} with {}.",
            expected
                .iter()
                .map(|s| format!("{s}://"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        UrlProblem::SurroundingQuotesOrSpaces => {
            format!("Remove the quotes or spaces around the value of {setting}.")
        }
        _ => format!(
            "Set {setting} to a complete URL: {}.",
            remediation::url_example(app.facts)
        ),
    };
    let in_secret = app.container.secret(setting).is_some();
    let keep = if in_secret {
        "Store the corrected URL in the same secret (aws secretsmanager put-secret-value), then force a new deployment so the task reads it.".to_string()
    } else {
        "Keep the corrected URL in Secrets Manager and reference it from `secrets` rather than `environment`.".to_string()
    };
    vec![first, keep]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn plaintext_and_malformed_urls() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_PG_CONNECTION_URL",
                                "value": "postgresql://coder:hunter2@db.example.com:5432:5432/coder"}]),
            serde_json::json!([]),
            mounts,
            volumes,
        ));
        let findings = evaluate(&task, &Profiles::built_in().unwrap());
        let rules: Vec<RuleId> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            vec![
                RuleId::PlaintextDatabaseCredentials,
                RuleId::DatabaseUrlMalformed
            ]
        );
        let rendered = serde_json::to_string(&findings).unwrap();
        assert!(!rendered.contains("hunter2"), "{rendered}");
        assert!(findings[1].summary.contains("port appears twice"));
    }
}
