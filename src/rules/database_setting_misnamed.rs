//! `database-setting-misnamed`: a container sets a near-miss of the database setting its app reads (`CODER_POSTGRES_URL` for `CODER_PG_CONNECTION_URL`) and not the setting itself.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use super::remediation;
use crate::container::{AppContainer, Setting, SettingSource};
use crate::finding::{Finding, RuleId, Severity};

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
    let expected = database.meant_by(first.name);
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
    finding.fix = fix_steps(app, &misses);
    Some(finding)
}

/// One step per near miss: rename it to the setting it stands for, or, where it stands for a
/// type setting its own value cannot fill (`KC_DB_URL` for `KC_DB`, `GF_DATABASE_HOST` for
/// `GF_DATABASE_TYPE`), set the type, without which the app ignores it.
fn fix_steps(app: &AppContainer, misses: &[Setting]) -> Vec<String> {
    let Some(database) = app.database() else {
        return Vec::new();
    };
    let place = format!(
        "In task definition {}, container '{}'",
        app.definition.short_name(),
        app.container.name
    );
    let mut steps: Vec<String> = Vec::new();
    for miss in misses {
        let meant = database.meant_by(miss.name);
        let kind = database
            .type_settings
            .iter()
            .find(|kind| kind.name == meant);
        let value_fits_type = kind.is_some_and(|kind| {
            miss.seen_value()
                .is_some_and(|value| kind.is_external(value) || kind.is_embedded(value))
        });
        let step = match kind {
            Some(kind) if !value_fits_type => format!(
                "{place}: set {meant} to the database you run ({}): without it {} ignores {} and uses its {}.",
                kind.external.join(", "),
                app.profile.name,
                miss.name,
                app.facts.embedded_database
            ),
            _ => {
                let keep = match miss.source {
                    SettingSource::Secret(_) => "keep it under `secrets`; valueFrom stays as it is",
                    _ => "the value stays as it is",
                };
                format!("{place}: rename {} to {meant} ({keep}).", miss.name)
            }
        };
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    if let Some(last) = steps.last_mut() {
        last.push_str(" Register the revision and update the service.");
    }
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

    /// Found by a new user's trial: the fix renamed a setting into the type setting it needs
    /// (GF_DATABASE_HOST to GF_DATABASE_TYPE), said `secrets` for an `environment` entry, and
    /// fixed one of several misnamed settings.
    #[test]
    fn the_fix_sets_the_missing_type_and_renames_each_misnamed_setting() {
        let fix_of = |image: &str, environment: serde_json::Value| {
            // Keycloak's image runs `start` only when told to.
            let command: Vec<&str> = if image.contains("keycloak") {
                vec!["start"]
            } else {
                vec![]
            };
            let task = task_with(serde_json::json!({
                "family": "app", "revision": 1,
                "containerDefinitions": [{"name": "app", "image": image,
                    "command": command, "environment": environment}]
            }));
            let findings = evaluate(&task, &Profiles::built_in().unwrap());
            let misnamed = findings
                .iter()
                .find(|finding| finding.rule == RuleId::DatabaseSettingMisnamed)
                .unwrap_or_else(|| panic!("{findings:?}"));
            misnamed.fix.clone()
        };
        let grafana = fix_of(
            "grafana/grafana:11.3.0",
            serde_json::json!([{"name": "GF_DATABASE_HOST", "value": "db.example.com:5432"}]),
        );
        assert!(
            grafana[0].contains("set GF_DATABASE_TYPE to the database you run"),
            "{grafana:?}"
        );
        assert!(!grafana[0].contains("rename"), "{grafana:?}");

        let keycloak = fix_of(
            "quay.io/keycloak/keycloak:26.0",
            serde_json::json!([{"name": "DB_VENDOR", "value": "postgres"}]),
        );
        assert!(
            keycloak[0].contains("rename DB_VENDOR to KC_DB (the value stays as it is)"),
            "{keycloak:?}"
        );

        let metabase = fix_of(
            "metabase/metabase:v0.50.0",
            serde_json::json!([
                {"name": "MD_DB_TYPE", "value": "postgres"},
                {"name": "MD_DB_CONNECTION_URI", "value": "postgres://db/metabase"}
            ]),
        );
        assert!(
            metabase
                .iter()
                .any(|step| step.contains("rename MD_DB_TYPE to MB_DB_TYPE")),
            "{metabase:?}"
        );
        assert!(
            metabase
                .iter()
                .any(|step| step.contains("rename MD_DB_CONNECTION_URI to MB_DB_CONNECTION_URI")),
            "{metabase:?}"
        );
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
