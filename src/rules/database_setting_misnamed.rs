//! `database-setting-misnamed`: a container sets a near-miss of the database setting its app reads (`CODER_POSTGRES_URL` for `CODER_PG_CONNECTION_URL`) and not the setting itself.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use super::remediation;
use crate::container::{AppContainer, Setting};
use crate::finding::{Finding, RuleId, Severity};
use crate::profiles::NearMiss;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::DatabaseSettingMisnamed,
    severity: Severity::Critical,
    other_severities: &[],
    fires_when: "a container sets a near-miss database setting (environment or secrets) but not the one the app reads",
    why: "The app never reads the misnamed setting, so it silently starts its embedded database \
          instead of the external one you provisioned. Everything looks healthy until the task is \
          replaced and the data disappears.",
    console: &[ConsolePage::Databases, ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: None,
};

/// `database-setting-misnamed`: a near-miss name is set and the real one is not.
pub(crate) fn database_setting_misnamed(app: &AppContainer) -> Option<Finding> {
    let database = app.database()?;
    if !app.keeps_data_in_container() {
        return None;
    }
    let misses = app.near_misses();
    let first = misses.first()?;
    let expected = database
        .near_miss
        .iter()
        .find(|miss| miss.name() == first.name)
        .and_then(NearMiss::means)
        .unwrap_or(database.primary_setting());
    let names: Vec<&str> = misses.iter().map(|setting| setting.name).collect();
    let mut finding = app.finding(
        RuleId::DatabaseSettingMisnamed,
        RULE.severity,
        format!(
            "{} ignores {}; it reads {expected}",
            app.profile.name,
            names.join(" and "),
        ),
    );
    finding.evidence = misses.iter().map(Setting::describe).collect();
    finding.evidence.extend(app.version_evidence());
    finding.occurrences = misses.len() as u64;
    finding
        .facts
        .insert("setting".to_string(), first.name.to_string());
    finding
        .facts
        .insert("expected".to_string(), expected.to_string());
    finding.fix = rename_setting(app, first.name, expected);
    Some(finding)
}

fn rename_setting(app: &AppContainer, from: &str, to: &str) -> Vec<String> {
    let mut steps = vec![format!(
        "In task definition {}, container '{}': rename {from} to {to} (keep it under `secrets`; valueFrom stays as it is). Register the revision and update the service.",
        app.definition.short_name(),
        app.container.name
    )];
    steps.extend(remediation::export_first_if_running(app));
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn the_seeds_final_setup_is_misnamed_and_ephemeral() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}]),
            serde_json::json!([{"name": "CODER_POSTGRES_URL", "valueFrom": SEED_SECRET}]),
            mounts,
            volumes,
        ));
        assert_eq!(
            rules_fired(&task),
            vec![
                RuleId::DatabaseSettingMisnamed,
                RuleId::EphemeralDataDirectory
            ]
        );
        let findings = evaluate(&task, &Profiles::built_in().unwrap());
        let misnamed = &findings[0];
        assert_eq!(misnamed.severity, Severity::Critical);
        assert!(misnamed.summary.contains("CODER_POSTGRES_URL"));
        assert!(misnamed.summary.contains("CODER_PG_CONNECTION_URL"));
        assert_eq!(misnamed.location.service.as_deref(), Some("coder-service"));
        assert_eq!(misnamed.location.container.as_deref(), Some("coder"));
        assert!(misnamed.fix[0].contains("CODER_PG_CONNECTION_URL"));
        assert!(misnamed.fix[1].starts_with("Before the running task is replaced, export"));

        // The same revision with no task yet (a file before deployment, a registration):
        // nothing to export.
        let revision = crate::model::TaskContext {
            task_definition: task.task_definition.clone(),
            ..Default::default()
        };
        let findings = evaluate(&revision, &Profiles::built_in().unwrap());
        assert_eq!(findings[0].rule, RuleId::DatabaseSettingMisnamed);
        assert_eq!(findings[0].fix.len(), 1, "{:?}", findings[0].fix);
    }

    #[test]
    fn a_file_setting_is_described_by_its_variable() {
        let profiles = Profiles::from_sources([("shapes.toml", SHAPES)]).unwrap();
        let task = task_with(serde_json::json!({
            "family": "app", "revision": 1,
            "containerDefinitions": [{"name": "app", "image": "example/schemed",
                "environment": [{"name": "DATABASE_URL_FILE", "value": "/run/secrets/db-url"}]}]
        }));
        let definition = task.task_definition.as_ref().unwrap();
        let container = &definition.container_definitions[0];
        let app = AppContainer::new(&task, definition, container, &profiles.all()[2]);
        let settings = app.external_database();
        assert_eq!(settings.len(), 1);
        assert_eq!(settings[0].name, "DATABASE_URL_FILE");
        assert_eq!(
            settings[0].describe(),
            "environment DATABASE_URL_FILE = /run/secrets/db-url (a file the app reads the setting from)"
        );
    }
}
