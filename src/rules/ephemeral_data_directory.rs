//! `ephemeral-data-directory`: the app keeps its data (or files it keeps whatever its database) in the task's storage, or on one EC2 instance's (medium).

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use super::remediation;
use crate::container::AppContainer;
use crate::finding::{Finding, RuleId, Severity};
use crate::profiles::Profile;
use crate::scan::RuleMatch;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::EphemeralDataDirectory,
    severity: Severity::High,
    other_severities: &[(
        Severity::Medium,
        "its data directory is on one EC2 instance's storage (a host path or a local Docker volume): the data outlives the task on that instance only",
    )],
    fires_when: "the app keeps its data in the container (no external database) and no EFS volume is mounted at or above its data directory",
    why: "Task storage is deleted when the task stops. Each deployment replaces the task, so the \
          app starts over with an empty data directory.",
    console: &[ConsolePage::Databases, ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: Some(from_log),
};

/// `ephemeral-data-directory`: data kept in the container (the embedded database, or files
/// the app keeps whatever its database) and no persistent volume over it.
pub(crate) fn ephemeral_data_directory(app: &AppContainer) -> Option<Finding> {
    let directory = app.data_directory()?;
    let database_inside = app.keeps_data_in_container() && app.persistent_data_mount().is_none();
    let files = app.files_inside();
    if !database_inside && files.is_empty() {
        return None;
    }
    // A host path or local Docker volume keeps the data on the EC2 instance: it outlives the
    // task, but a task placed on another instance starts empty (AWS: bind mounts, Docker
    // volumes). Not "inside the task", so medium and said so.
    if let Some(mount) = app.instance_mount_over(&directory) {
        let mut finding = app.finding(
            RuleId::EphemeralDataDirectory,
            Severity::Medium,
            format!(
                "{} keeps its data on one EC2 instance ({mount}): a task placed on another instance starts empty",
                app.profile.name
            ),
        );
        finding.evidence = vec![
            format!("{directory} is on {mount}, which outlives the task on that instance only"),
            app.mounts_description(),
        ];
        finding.evidence.extend(app.version_evidence());
        finding
            .facts
            .insert("data_directory".to_string(), directory.to_string());
        finding
            .facts
            .insert("storage".to_string(), "instance".to_string());
        finding.fix = vec![format!(
            "Keep {}'s data on Amazon EFS (or an external database) so that any instance can run the task; or pin the task to this instance with a placement constraint and back the directory up.",
            app.profile.name
        )];
        return Some(finding);
    }
    let summary = if database_inside {
        format!(
            "{} keeps its data inside the task, in {directory}",
            app.profile.name
        )
    } else {
        let what: Vec<String> = files
            .iter()
            .map(|(files, path)| format!("{} ({path})", files.what))
            .collect();
        format!(
            "{} keeps its {} inside the task",
            app.profile.name,
            what.join(" and ")
        )
    };
    let mut finding = app.finding(RuleId::EphemeralDataDirectory, RULE.severity, summary);
    if database_inside {
        finding.evidence.push(format!(
            "its {} is in {directory}, and no EFS volume is mounted at or above it",
            app.facts.embedded_database
        ));
    }
    for (files, path) in &files {
        finding.evidence.push(format!(
            "{} keeps its {} in {path} whatever its database ({}), and no EFS volume is mounted at or above it{}",
            app.profile.name,
            files.what,
            files.source,
            files
                .why
                .as_deref()
                .map(|why| format!(": {why}"))
                .unwrap_or_default()
        ));
    }
    finding.evidence.push(app.mounts_description());
    finding.evidence.extend(app.version_evidence());
    finding
        .facts
        .insert("data_directory".to_string(), directory.to_string());
    finding.fix = if database_inside {
        remediation::persistent_data(app, &directory)
    } else {
        persistent_files(app, &files)
    };
    Some(finding)
}

/// Steps for files the app keeps whatever its database.
fn persistent_files(
    app: &AppContainer,
    files: &[(&crate::profiles::KeptFiles, std::borrow::Cow<str>)],
) -> Vec<String> {
    let mut steps: Vec<String> = files
        .iter()
        .map(|(files, path)| {
            format!(
                "Mount an Amazon EFS volume at {path} (or a directory above it) for {}'s {} (efsVolumeConfiguration with transitEncryption ENABLED and an access point owned by the user {} runs as).",
                app.profile.name, files.what, app.profile.name
            )
        })
        .collect();
    for (files, _) in files {
        for moved in &files.unless {
            steps.push(format!(
                "Or set {} to keep them outside the container.",
                moved.setting
            ));
        }
    }
    steps
}

/// Severity, summary and fix for a log match of this rule by `profile`'s signatures (the app
/// says where it keeps its data, e.g. a SQLite file path); the signature's meaning is the summary.
fn from_log(
    profile: Option<&Profile>,
    log: &RuleMatch,
    _on_embedded: bool,
) -> (Severity, String, Vec<String>) {
    let Some(profile) = profile else {
        return (RULE.severity, log.meaning.clone(), Vec::new());
    };
    (
        RULE.severity,
        log.meaning.clone(),
        remediation::embedded_database_in_use(profile, log.path.as_deref()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn efs_at_or_above_the_data_directory_keeps_data() {
        for path in ["/home/coder/.config/coderv2", "/home/coder", "/home/coder/"] {
            let task = task_with(coder_definition(
                serde_json::json!([]),
                serde_json::json!([]),
                serde_json::json!([{"sourceVolume": "data", "containerPath": path}]),
                serde_json::json!([{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]),
            ));
            assert_eq!(
                rules_fired(&task),
                vec![RuleId::NoExternalDatabase],
                "{path}"
            );
        }
        // Below the directory, a sibling with a shared prefix, or a non-EFS volume does not count.
        for (path, volume) in [
            (
                "/home/coder/.config/coderv2/postgres/x",
                serde_json::json!({"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}),
            ),
            (
                "/home/cod",
                serde_json::json!({"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}),
            ),
            ("/home/coder", serde_json::json!({"name": "data"})),
        ] {
            let task = task_with(coder_definition(
                serde_json::json!([]),
                serde_json::json!([]),
                serde_json::json!([{"sourceVolume": "data", "containerPath": path}]),
                serde_json::json!([volume]),
            ));
            assert!(
                rules_fired(&task).contains(&RuleId::EphemeralDataDirectory),
                "{path}"
            );
        }
    }

    #[test]
    fn the_config_dir_setting_moves_the_data_directory() {
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_CONFIG_DIR", "value": "/data/coder"}]),
            serde_json::json!([{"name": "CODER_POSTGRES_URL", "valueFrom": SEED_SECRET}]),
            serde_json::json!([{"sourceVolume": "data", "containerPath": "/data"}]),
            serde_json::json!([{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]),
        ));
        assert_eq!(rules_fired(&task), vec![RuleId::DatabaseSettingMisnamed]);
    }

    #[test]
    fn n8n_on_postgres_still_keeps_its_generated_key_inside_the_task() {
        let task = task_with(serde_json::json!({
            "family": "n8n", "revision": 1,
            "containerDefinitions": [{"name": "n8n", "image": "docker.n8n.io/n8nio/n8n:1.100.0",
                "environment": [
                    {"name": "DB_TYPE", "value": "postgresdb"},
                    {"name": "DB_POSTGRESDB_HOST", "value": "db.abc.us-east-1.rds.amazonaws.com"}
                ]}]
        }));
        let found: Vec<Finding> = evaluate(&task, &crate::profiles::Profiles::built_in().unwrap())
            .into_iter()
            .filter(|finding| finding.rule == RuleId::EphemeralDataDirectory)
            .collect();
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].summary,
            "n8n keeps its encryption key (/home/node/.n8n) inside the task"
        );
        assert!(
            found[0].evidence[0].ends_with(
                "and no EFS volume is mounted at or above it: it is in its config file there, and without it the credentials n8n stores cannot be read"
            ),
            "{:?}",
            found[0].evidence
        );
    }
}
