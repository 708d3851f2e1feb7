//! `volatile-storage-acknowledged`: the app's own switch that accepts storage that dies with the task is set, and no persistent volume holds its data.

use super::declaration::{RuleInfo, Suppression};
use super::remediation;
use crate::container::AppContainer;
use crate::finding::{Finding, RuleId, Severity};
use crate::profiles::value_listed;
use crate::redact;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::VolatileStorageAcknowledged,
    severity: Severity::High,
    other_severities: &[],
    fires_when: "the app's own switch that accepts non-persistent storage is set (Vaultwarden's I_REALLY_WANT_VOLATILE_STORAGE, Baserow's DISABLE_VOLUME_CHECK) and no persistent volume holds its data",
    why: "The app checks for persistent storage and refuses to run without it; this switch \
          silences that check. Its data lives in the task and is gone when the task stops.",
    console: &[],
    suppression: Suppression::Window,
    from_log: None,
};

/// `volatile-storage-acknowledged`: the app's own safety check for persistent storage is
/// switched off, and no persistent volume holds its data.
pub(crate) fn volatile_storage_acknowledged(app: &AppContainer) -> Option<Finding> {
    let (switch, value) = app.facts.volatile_switches.iter().find_map(|switch| {
        let value = app.container.env(&switch.setting)?;
        value_listed(&switch.values, value).then_some((switch, value))
    })?;
    if app.persistent_data_mount().is_some()
        || (!switch.with_external_database && !app.keeps_data_in_container())
    {
        return None;
    }
    let mut finding = app.finding(
        RuleId::VolatileStorageAcknowledged,
        RULE.severity,
        format!(
            "{}={} switches off {}'s check for persistent storage",
            switch.setting,
            redact::display_setting_value(&switch.setting, value),
            app.profile.name
        ),
    );
    finding.evidence = vec![
        format!(
            "environment {}={}",
            switch.setting,
            redact::display_setting_value(&switch.setting, value)
        ),
        switch.meaning.clone(),
        app.mounts_description(),
    ];
    finding
        .facts
        .insert("setting".to_string(), switch.setting.clone());
    let mut fix = vec![format!(
        "Remove {} and give {} persistent storage, so its own check protects the data again.",
        switch.setting, app.profile.name
    )];
    if let Some(directory) = app.data_directory() {
        fix.extend(remediation::persistent_data(app, &directory));
    }
    finding.fix = fix;
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn a_scheme_can_select_the_embedded_database_and_switches_are_reported() {
        use RuleId::*;
        assert_eq!(
            shaped(
                "example/schemed",
                serde_json::json!([{"name": "DATABASE_URL", "value": "postgresql://vw@db/vw"}])
            ),
            vec![]
        );
        assert_eq!(
            shaped(
                "example/schemed",
                serde_json::json!([{"name": "DATABASE_URL", "value": "/data/db.sqlite3"}])
            ),
            vec![NoExternalDatabase, EphemeralDataDirectory]
        );
        assert_eq!(
            shaped(
                "example/schemed",
                serde_json::json!([{"name": "I_REALLY_WANT_VOLATILE_STORAGE", "value": "TRUE"}])
            ),
            vec![
                NoExternalDatabase,
                EphemeralDataDirectory,
                VolatileStorageAcknowledged
            ]
        );
    }
}
