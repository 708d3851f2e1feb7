//! `data-lost-on-stop`: a task that ran stopped, and its data lived in the task: what is gone, when, why, and what replaced it.

use super::declaration::{RuleInfo, Suppression};
use crate::finding::{Finding, RuleId, Severity};
use crate::model::{TaskContext, resource_name, short_task_definition};

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::DataLostOnStop,
    severity: Severity::Critical,
    other_severities: &[],
    fires_when: "a task that ran stopped, and its data lived in the container (its task definition had ephemeral-data-directory, or its log showed embedded-database-in-use); never for a task that never ran, nor for data on EFS or on one instance's storage",
    why: "The task's storage is deleted when it stops: whatever the app stored there (users, \
          workspaces, settings) is gone, and a replacement task starts empty.",
    console: &[],
    suppression: Suppression::Window,
    from_log: None,
};

/// The task a service ran most recently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Replacement {
    pub task_arn: String,
    pub task_definition: String,
    pub started_at: Option<String>,
    /// Its own data lives in the container too (it started on an empty embedded database).
    pub keeps_data_in_task: bool,
}

/// Why a stopped task's data lived inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DataInTask {
    pub app: String,
    /// e.g. "its data directory /home/coder/.config/coderv2 had no EFS volume".
    pub reason: String,
}

impl DataInTask {
    /// The task's log showed its embedded database (`evidence`: what the log said).
    pub(crate) fn from_log(app: String, evidence: Option<&str>) -> DataInTask {
        DataInTask {
            app,
            reason: format!(
                "its log showed it running on its embedded database ({})",
                evidence.unwrap_or("embedded-database-in-use")
            ),
        }
    }

    /// The task definition keeps the data in the task: `finding` is the configuration finding
    /// that says so ([`Finding::keeps_data_in_task`]).
    pub(crate) fn from_task_definition(finding: &Finding) -> DataInTask {
        DataInTask {
            app: finding.app.clone().unwrap_or_else(|| "The app".to_string()),
            reason: format!("its task definition said: {}", finding.summary),
        }
    }
}

/// Of a log batch's findings, the one showing the app on its embedded database inside the
/// task: remembered for when the task stops. Not one on a single EC2 instance's storage
/// (fact `storage=instance`): the data stays there, nothing is lost at the stop.
pub(crate) fn embedded_database_in_task(findings: &[Finding]) -> Option<&Finding> {
    findings.iter().find(|finding| {
        finding.rule == RuleId::EmbeddedDatabaseInUse
            && finding.facts.get("storage").map(String::as_str) != Some("instance")
    })
}

/// `data-lost-on-stop`: a task whose data lived inside it has stopped.
pub(crate) fn data_lost_on_stop(
    task: &TaskContext,
    data: &DataInTask,
    replacement: Option<&Replacement>,
) -> Option<Finding> {
    let stop = task.stop.as_ref()?;
    let task_id = resource_name(&task.task_arn);
    let short_id: String = task_id.chars().take(8).collect();
    let mut finding = Finding::new(
        RuleId::DataLostOnStop,
        RULE.severity,
        format!(
            "{}'s data in task {short_id} was lost when the task stopped",
            data.app
        ),
    );
    finding.app = Some(data.app.clone());
    finding.location = task.location();
    let why = match (stop.stop_code.as_deref(), stop.stopped_reason.as_deref()) {
        (Some(code), Some(reason)) => format!("{code}: {reason}"),
        (Some(code), None) => code.to_string(),
        (None, Some(reason)) => reason.to_string(),
        (None, None) => "no reason given".to_string(),
    };
    finding.evidence = vec![
        format!(
            "task {task_id} stopped{} ({})",
            stop.stopped_at
                .as_deref()
                .map(|at| format!(" at {at}"))
                .unwrap_or_default(),
            crate::redact::excerpt(&why, 300)
        ),
        format!(
            "what is gone: everything {} stored in the task: {}",
            data.app, data.reason
        ),
    ];
    finding.evidence.push(match replacement {
        Some(next) if next.keeps_data_in_task => format!(
            "replacement task {} ({}) started{} on an empty database: its data lives in the container too",
            resource_name(&next.task_arn),
            short_task_definition(&next.task_definition),
            next.started_at.as_deref().map(|at| format!(" at {at}")).unwrap_or_default()
        ),
        Some(next) => format!(
            "replacement task {} ({}) uses an external database, which does not hold what this task stored",
            resource_name(&next.task_arn),
            short_task_definition(&next.task_definition)
        ),
        None => "no replacement task of this service has been seen".to_string(),
    });
    finding = finding.with_fact("stopped_task", task.task_arn.clone());
    if let Some(code) = &stop.stop_code {
        finding = finding.with_fact("stop_code", code.clone());
    }
    if let Some(deployment) = stop.deployment() {
        finding = finding.with_fact("deployment", deployment.to_string());
    }
    if let Some(next) = replacement {
        finding = finding.with_fact("replacement_task", next.task_arn.clone());
    }
    finding.fix = vec![
        "If anyone exported the data before the stop, restore it into the external database now."
            .to_string(),
        format!(
            "Make sure the running task definition gives {} an external database (or EFS at its data directory) before users recreate their work.",
            data.app
        ),
    ];
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StopFacts;
    use crate::rules::testing::*;

    #[test]
    fn a_stopped_ephemeral_task_says_what_when_why_and_what_replaced_it() {
        let mut stopped = task(1, Some(true), 0);
        stopped.stop = Some(StopFacts {
            stop_code: Some("ServiceSchedulerInitiated".to_string()),
            stopped_reason: Some(
                "Scaling activity initiated by (deployment ecs-svc/9876543210987654321)"
                    .to_string(),
            ),
            stopped_at: Some("2026-11-24T04:31:05.220Z".to_string()),
            started_at: Some("2026-11-24T03:12:40.000Z".to_string()),
            ..Default::default()
        });
        let data = DataInTask {
            app: "Coder".to_string(),
            reason: "its built-in PostgreSQL in /home/coder/.config/coderv2/postgres".to_string(),
        };
        let replacement = Replacement {
            task_arn: "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/cccc".to_string(),
            task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:1"
                .to_string(),
            started_at: Some("2026-11-24T04:30:20Z".to_string()),
            keeps_data_in_task: true,
        };
        let finding = data_lost_on_stop(&stopped, &data, Some(&replacement)).unwrap();
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(
            finding.summary,
            "Coder's data in task bbbbbbbb was lost when the task stopped"
        );
        let evidence = finding.evidence.join("\n");
        assert!(evidence.contains("at 2026-11-24T04:31:05.220Z"));
        assert!(evidence.contains("ServiceSchedulerInitiated"));
        assert!(evidence.contains("started at 2026-11-24T04:30:20Z on an empty database"));
        assert_eq!(finding.facts["deployment"], "ecs-svc/9876543210987654321");
        // Only stopped tasks lose data.
        assert!(data_lost_on_stop(&task(1, Some(true), 0), &data, None).is_none());
    }
}
