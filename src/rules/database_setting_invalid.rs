//! `database-setting-invalid`: a database setting has a value the app does not accept, or only part of a group it needs, and the app falls back to its embedded database.

use super::remediation;
use crate::container::{AppContainer, DatabaseChoice};
use crate::finding::{Finding, RuleId, Severity};

/// `database-setting-invalid`: a database setting the app cannot use, so it silently falls
/// back to its embedded database (n8n's `DB_TYPE=postgres`, a partial set of `MYSQL_*`).
pub fn database_setting_invalid(app: &AppContainer) -> Option<Finding> {
    let Some(DatabaseChoice::Invalid(invalid)) = app.database_choice() else {
        return None;
    };
    let mut finding = app.finding(
        RuleId::DatabaseSettingInvalid,
        Severity::Critical,
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
    finding.fix = remediation::fix_invalid_setting(app, invalid.setting.name);
    Some(finding)
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
