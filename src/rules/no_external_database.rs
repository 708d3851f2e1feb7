//! `no-external-database`: a container that owns its app's data selects no external database; on persistent storage only where the app's makers advise against their embedded database.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use super::remediation;
use crate::container::{AppContainer, DatabaseChoice};
use crate::finding::{Finding, RuleId, Severity};

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::NoExternalDatabase,
    severity: Severity::High,
    other_severities: &[(
        Severity::Medium,
        "its data directory is on persistent storage and the app's makers advise against their embedded database there",
    )],
    fires_when: "a profiled container that owns the app's data sets no external database setting; medium when its data directory is on persistent storage and the app's makers advise against their embedded database there",
    why: "Without an external database the app runs on its embedded one. Inside the task the \
          data lasts only as long as the task; on persistent storage it survives, but the app's \
          makers advise against it (the alert quotes them).",
    console: &[ConsolePage::Databases, ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: None,
};

/// `no-external-database`: nothing selects an external database, not even a misnamed or
/// an invalid setting. High while the data directory dies with the task; on persistent
/// storage only where the app's makers do not support its embedded database in production
/// (then medium, in their words).
pub(crate) fn no_external_database(app: &AppContainer) -> Option<Finding> {
    let database = app.database()?;
    // A version that takes no external database (Uptime Kuma 1.x) leaves nothing to set:
    // where its data lives is ephemeral-data-directory's business.
    if app.facts.database_settings_ignored.is_some() {
        return None;
    }
    let Some(DatabaseChoice::Embedded(explicit)) = app.database_choice() else {
        return None;
    };
    if !app.near_misses().is_empty() {
        return None;
    }
    // The data outlives the task on EFS, and on an instance's own storage too (where it lives
    // is ephemeral-data-directory's business).
    let persistent = app.persistent_data_mount().or_else(|| {
        app.data_directory()
            .and_then(|directory| app.instance_mount_over(&directory))
    });
    let (severity, summary) = match (&persistent, &app.facts.embedded_in_production) {
        (None, _) => (
            RULE.severity,
            format!(
                "{} has no external database setting: it will run on its {}",
                app.profile.name, app.facts.embedded_database
            ),
        ),
        (Some(mount), Some(production)) if !production.supported => (
            Severity::Medium,
            format!(
                "{} keeps its {} on {mount}, which its makers advise against",
                app.profile.name, app.facts.embedded_database
            ),
        ),
        // Persistent storage and an embedded database its makers support (or the profile
        // does not say): the data survives the task; nothing to report.
        (Some(_), _) => return None,
    };
    let mut finding = app.finding(RuleId::NoExternalDatabase, severity, summary);
    // A setting present but empty counts as not set (Coder: `if vals.PostgresURL == ""`
    // starts the built-in database); say which, rather than "none".
    let empty: Vec<&str> = database
        .all_names()
        .filter(|name| {
            app.container
                .environment
                .iter()
                .any(|variable| variable.name == *name && variable.value.trim().is_empty())
        })
        .collect();
    finding.evidence = vec![match explicit {
        Some(setting) => format!(
            "{} selects the {}",
            setting.describe(),
            app.facts.embedded_database
        ),
        None => {
            if empty.is_empty() {
                format!(
                    "container {} sets none of: {}",
                    app.container.name,
                    database.all_names().collect::<Vec<_>>().join(", ")
                )
            } else {
                format!(
                    "container {} sets {} to an empty value, which counts as not set",
                    app.container.name,
                    empty.join(", ")
                )
            }
        }
    }];
    if let (Some(mount), Some(production)) = (&persistent, &app.facts.embedded_in_production) {
        finding.evidence.push(format!("its data is on {mount}"));
        finding.evidence.push(format!(
            "{}: \"{}\" ({})",
            app.profile.name, production.says, production.source
        ));
    }
    finding.evidence.extend(app.version_evidence());
    finding.facts.insert(
        "expected".to_string(),
        database.primary_setting().to_string(),
    );
    finding.fix = external_database(app);
    // Set but empty: most likely the value went missing on its way in.
    if let Some(name) = empty.first() {
        finding.fix.insert(
            0,
            format!(
                "{name} is set but empty: give it the database's address (from Secrets Manager through the container's secrets, with the empty environment entry removed); if there is no database yet:"
            ),
        );
    }
    Some(finding)
}

fn external_database(app: &AppContainer) -> Vec<String> {
    remediation::external_database_steps(&app.profile.name, app.facts, Some(&app.container.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn nothing_set_is_no_external_database() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([]),
            serde_json::json!([]),
            mounts,
            volumes,
        ));
        assert_eq!(
            rules_fired(&task),
            vec![RuleId::NoExternalDatabase, RuleId::EphemeralDataDirectory]
        );
    }

    #[test]
    fn an_empty_value_counts_as_unset() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_PG_CONNECTION_URL", "value": "  "}]),
            serde_json::json!([]),
            mounts,
            volumes,
        ));
        assert!(rules_fired(&task).contains(&RuleId::NoExternalDatabase));
    }

    #[test]
    fn the_fix_names_the_database_once_when_the_engine_is_unknown() {
        let profiles = Profiles::from_sources([("shapes.toml", SHAPES)]).unwrap();
        let task = task_with(serde_json::json!({
            "family": "app", "revision": 1,
            "containerDefinitions": [{"name": "app", "image": "example/typed"}]
        }));
        let ephemeral = evaluate(&task, &profiles)
            .into_iter()
            .find(|f| f.rule == RuleId::EphemeralDataDirectory)
            .unwrap();
        assert_eq!(
            ephemeral.fix[0],
            "Give Typed an external database with DB_TYPE and its connection settings (the password from Secrets Manager); its data then no longer lives in /data."
        );
    }

    #[test]
    fn an_empty_setting_is_said_to_be_empty() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_PG_CONNECTION_URL", "value": " "}]),
            serde_json::json!([]),
            mounts,
            volumes,
        ));
        let found: Vec<Finding> = evaluate(&task, &crate::profiles::Profiles::built_in().unwrap())
            .into_iter()
            .filter(|finding| finding.rule == RuleId::NoExternalDatabase)
            .collect();
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].evidence[0],
            "container coder sets CODER_PG_CONNECTION_URL to an empty value, which counts as not set"
        );
        assert!(
            found[0].fix[0].starts_with("CODER_PG_CONNECTION_URL is set but empty"),
            "{:?}",
            found[0].fix
        );
    }
}
