//! `database-setting-invalid`: a database setting has a value the app does not accept, or only part of a group it needs, and the app falls back to its embedded database.

use super::declaration::{RuleInfo, Suppression};
use super::remediation;
use crate::container::{AppContainer, DatabaseChoice};
use crate::finding::{Finding, RuleId, Severity};

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::DatabaseSettingInvalid,
    severity: Severity::Critical,
    other_severities: &[],
    fires_when: "a database setting has a value the app does not accept, or only part of a group the app needs, and the app silently falls back to its embedded database (n8n's DB_TYPE=postgres)",
    why: "The setting looks right at a glance, so nobody suspects it. The app ignores it, \
          starts its embedded database in the container instead, and the data disappears with \
          the next task.",
    console: &[],
    suppression: Suppression::Window,
    from_log: None,
};

/// `database-setting-invalid`: a database setting the app cannot use, so it silently falls
/// back to its embedded database (n8n's `DB_TYPE=postgres`, a partial set of `MYSQL_*`).
pub(crate) fn database_setting_invalid(app: &AppContainer) -> Option<Finding> {
    let Some(DatabaseChoice::Invalid(invalid)) = app.database_choice() else {
        return None;
    };
    let mut finding = app.finding(
        RuleId::DatabaseSettingInvalid,
        RULE.severity,
        format!(
            "{} cannot use {}: it falls back to its {}",
            app.profile.name, invalid.setting.name, app.facts.embedded_database
        ),
    );
    finding.evidence = vec![invalid.setting.describe(), invalid.problem.clone()];
    finding.evidence.extend(app.version_evidence());
    finding
        .facts
        .insert("setting".to_string(), invalid.setting.name.to_string());
    finding.fix = fix_invalid_setting(app, invalid.setting.name);
    Some(finding)
}

/// Steps for `database-setting-invalid`.
fn fix_invalid_setting(app: &AppContainer, setting: &str) -> Vec<String> {
    let database = app.facts.database.as_ref();
    let mut steps = Vec::new();
    if let Some(reason) = app.facts.database_settings_ignored.as_deref() {
        steps.push(format!(
            "Run a version of {} whose image reads {setting} ({reason}), or keep its data on EFS.",
            app.profile.name
        ));
    } else if let Some(kind) =
        database.and_then(|d| d.type_settings.iter().find(|kind| kind.name == setting))
    {
        steps.push(format!(
            "Set {} to one of the values {} accepts{}: {} (for an external database).",
            kind.name,
            app.profile.name,
            if kind.case_sensitive {
                ", spelled exactly"
            } else {
                ""
            },
            kind.external.join(", ")
        ));
    } else if let Some(group) =
        database.and_then(|d| d.groups.iter().find(|g| g.iter().any(|s| s == setting)))
    {
        steps.push(format!(
            "Set every one of {} in container '{}' (passwords under `secrets`).",
            group.join(", "),
            app.container.name
        ));
    }
    steps.extend(remediation::export_first_if_running(app));
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn a_type_setting_decides_by_its_value() {
        use RuleId::*;
        assert_eq!(
            shaped(
                "example/typed",
                serde_json::json!([{"name": "DB_TYPE", "value": "postgresdb"}])
            ),
            vec![]
        );
        assert_eq!(
            shaped(
                "example/typed",
                serde_json::json!([{"name": "DB_TYPE", "value": "SQLite"}])
            ),
            vec![NoExternalDatabase, EphemeralDataDirectory]
        );
        assert_eq!(
            shaped("example/typed", serde_json::json!([])),
            vec![NoExternalDatabase, EphemeralDataDirectory]
        );
        // n8n's trap: a value it does not know, silently replaced by the embedded default.
        assert_eq!(
            shaped(
                "example/typed",
                serde_json::json!([{"name": "DB_TYPE", "value": "postgres"}])
            ),
            vec![DatabaseSettingInvalid, EphemeralDataDirectory]
        );
        assert_eq!(
            shaped(
                "example/typed",
                serde_json::json!([{"name": "DB_TYPE", "value": "postgresdb"}, {"name": "DB_POSTGRESDB_PASSWORD", "value": "pw"}])
            ),
            vec![PlaintextDatabaseCredentials]
        );
    }

    #[test]
    fn a_group_selects_only_when_complete() {
        use RuleId::*;
        let complete = serde_json::json!([
            {"name": "MYSQL_DATABASE", "value": "nc"}, {"name": "MYSQL_USER", "value": "nc"},
            {"name": "MYSQL_HOST", "value": "db"}
        ]);
        let mut secrets_too = complete.as_array().unwrap().clone();
        secrets_too.push(serde_json::json!({"name": "MYSQL_PASSWORD", "value": "pw"}));
        assert_eq!(
            shaped("example/grouped", serde_json::Value::Array(secrets_too)),
            vec![PlaintextDatabaseCredentials]
        );
        let findings = shaped("example/grouped", complete);
        assert_eq!(
            findings,
            vec![DatabaseSettingInvalid, EphemeralDataDirectory],
            "MYSQL_PASSWORD is missing"
        );
    }
}
