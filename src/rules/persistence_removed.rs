//! `persistence-removed`: a change to a task definition (a Terraform plan's `before` and
//! `after`) takes away what kept a profiled app's data: the EFS volume at its data directory, or
//! its external database setting. Caught in the plan, before apply replaces the running task.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::container::storage::{DataStorage, container_app};
use crate::container::{AppContainer, DatabaseChoice};
use crate::finding::{Finding, RuleId, Severity};
use crate::model::{TaskContext, TaskDefinition};
use crate::profiles::Profiles;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::PersistenceRemoved,
    severity: Severity::Critical,
    other_severities: &[],
    fires_when: "a planned change to a task definition (`ecs-auditor check` on a Terraform plan) removes the EFS volume at a profiled app's data directory, or the setting that gave it an external database",
    why: "Today the app's data outlives its task. After this change the next task keeps it inside \
          itself, or starts on an empty embedded database: users, workspaces and settings are \
          gone at the first deployment that follows.",
    console: &[ConsolePage::Databases],
    suppression: Suppression::Window,
    from_log: None,
};

/// What the change from `before` to `after` takes away, per profiled container present in both.
pub(crate) fn persistence_removed(
    before: &TaskDefinition,
    after: &TaskDefinition,
    resource: &str,
    profiles: &Profiles,
) -> Vec<Finding> {
    let task = TaskContext::default();
    let mut findings = Vec::new();
    for container in &after.container_definitions {
        let (Some((old_container, old_profile)), Some((_, profile))) = (
            container_app(before, &container.name, profiles),
            container_app(after, &container.name, profiles),
        ) else {
            continue;
        };
        if old_profile.id != profile.id {
            continue;
        }
        let old = AppContainer::new(&task, before, old_container, old_profile);
        let new = AppContainer::new(&task, after, container, profile);
        let mut removed = Vec::new();
        if let Some(DatabaseChoice::External(settings)) = old.database_choice()
            && !matches!(new.database_choice(), Some(DatabaseChoice::External(_)))
        {
            let names: Vec<&str> = settings.iter().map(|setting| setting.name).collect();
            removed.push(format!(
                "its external database: {} selected it before the change, and after it {} runs on its {}",
                names.join(", "),
                profile.name,
                new.facts.embedded_database
            ));
        }
        let old_storage = old.data_storage();
        let new_storage = new.data_storage();
        if old_storage == Some(DataStorage::Persistent)
            && new_storage
                .as_ref()
                .is_some_and(|storage| *storage != DataStorage::Persistent)
            && new.keeps_data_in_container()
        {
            let directory = new.data_directory().unwrap_or_default();
            removed.push(format!(
                "the persistent volume at its data directory {directory}: after the change the data lives {}",
                match new_storage {
                    Some(DataStorage::Instance { mount }) => format!("on one EC2 instance ({mount})"),
                    _ => "inside the task".to_string(),
                }
            ));
        }
        if removed.is_empty() {
            continue;
        }
        let mut finding = Finding::new(
            RuleId::PersistenceRemoved,
            RULE.severity,
            format!(
                "the planned change to {resource} removes what keeps {}'s data",
                profile.name
            ),
        );
        finding.app = Some(profile.name.clone());
        finding.location.container = Some(container.name.clone());
        finding.location.task_definition = Some(resource.to_string());
        finding.evidence = removed;
        finding.fix = vec![
            format!(
                "Keep what held {}'s data in the change (the volume and its mount point, or the database setting), unless the data has moved elsewhere first.",
                profile.name
            ),
            "If the removal is intended, export the data before applying: the next deployment replaces the task.".to_string(),
        ];
        findings.push(finding);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn coder(
        secrets: serde_json::Value,
        mounts: serde_json::Value,
        volumes: serde_json::Value,
    ) -> TaskDefinition {
        serde_json::from_value(json!({
            "family": "coder",
            "containerDefinitions": [{
                "name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
                "secrets": secrets, "mountPoints": mounts
            }],
            "volumes": volumes
        }))
        .unwrap()
    }

    fn url() -> serde_json::Value {
        json!([{"name": "CODER_PG_CONNECTION_URL", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:coder-url-AbCdEf"}])
    }

    fn efs() -> (serde_json::Value, serde_json::Value) {
        (
            json!([{"sourceVolume": "home", "containerPath": "/home/coder"}]),
            json!([{"name": "home", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]),
        )
    }

    #[test]
    fn dropping_the_database_setting_is_critical() {
        let profiles = Profiles::built_in().unwrap();
        let before = coder(url(), json!([]), json!([]));
        let after = coder(json!([]), json!([]), json!([]));
        let findings =
            persistence_removed(&before, &after, "aws_ecs_task_definition.coder", &profiles);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(
            findings[0].evidence[0].contains("CODER_PG_CONNECTION_URL"),
            "{:?}",
            findings[0].evidence
        );
    }

    #[test]
    fn dropping_the_efs_volume_under_an_embedded_database_is_critical() {
        let profiles = Profiles::built_in().unwrap();
        let (mounts, volumes) = efs();
        let before = coder(json!([]), mounts, volumes);
        let after = coder(json!([]), json!([]), json!([]));
        let findings =
            persistence_removed(&before, &after, "aws_ecs_task_definition.coder", &profiles);
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].evidence[0].contains("inside the task"),
            "{:?}",
            findings[0].evidence
        );
    }

    #[test]
    fn a_change_that_keeps_persistence_or_never_had_it_is_quiet() {
        let profiles = Profiles::built_in().unwrap();
        let (mounts, volumes) = efs();
        let same = coder(url(), mounts.clone(), volumes.clone());
        assert_eq!(persistence_removed(&same, &same, "x", &profiles), vec![]);
        // EFS dropped while an external database holds the data: nothing is lost.
        let before = coder(url(), mounts, volumes);
        let after = coder(url(), json!([]), json!([]));
        assert_eq!(persistence_removed(&before, &after, "x", &profiles), vec![]);
        // Never had either: the configuration rules report that, not this one.
        let bare = coder(json!([]), json!([]), json!([]));
        assert_eq!(persistence_removed(&bare, &bare, "x", &profiles), vec![]);
    }
}
