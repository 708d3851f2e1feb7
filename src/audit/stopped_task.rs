//! A task STOPPED: `task-failed-to-start` (counted per service and class) when it never ran,
//! `data-lost-on-stop` when it ran and its data lived inside it.

use super::{AuditError, Auditor};
use crate::events::ecs::{EcsEvent, TaskStateChange};
use crate::finding::Finding;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::memory::facts::{EmbeddedDatabaseSeen, FailedStarts, NewestTask};
use crate::memory::record::Remembered;
use crate::model::{StopFacts, StoppedContainer, TaskContext, resource_name};
use crate::publish::AlertSink;
use crate::rules;
use crate::rules::data_lost_on_stop::{DataInTask, Replacement, data_lost_on_stop};

/// How far back failed starts of one service are counted together.
const FAILED_START_WINDOW_SECONDS: u64 = 24 * 3600;
const STOPPED_TASK_CHECKS: &str = "the data-lost-on-stop check";
const FAILED_START_CHECKS: &str = "whether the failure concerns the app's database secret or data volume (which makes task-failed-to-start critical)";

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// A task STOPPED: if its data lived inside it, that data is gone now.
    pub(super) async fn audit_stopped(
        &self,
        event: &EcsEvent<TaskStateChange>,
        now: u64,
    ) -> Result<Vec<Finding>, AuditError> {
        let mut task = self.task_context(event, false).await;
        task.stop = Some(StopFacts {
            stop_code: event.detail.stop_code.clone(),
            stopped_reason: event.detail.stopped_reason.clone(),
            started_at: event.detail.started_at.clone(),
            stopped_at: event.detail.stopped_at.clone(),
            containers: event
                .detail
                .containers
                .iter()
                .map(|container| StoppedContainer {
                    name: container.name.clone(),
                    reason: container.reason.clone(),
                    exit_code: container.exit_code,
                })
                .collect(),
        });
        let failure = task
            .stop
            .as_ref()
            .and_then(rules::task_failed_to_start::failed_start);
        let never_ran = event.detail.started_at.is_none();
        for gap in &mut task.gaps {
            gap.skipped_checks = if failure.is_some() {
                FAILED_START_CHECKS
            } else if never_ran {
                // Stopped before it ran, on purpose: no check of ours needed what was missing.
                ""
            } else {
                STOPPED_TASK_CHECKS
            };
        }
        task.gaps.retain(|gap| !gap.skipped_checks.is_empty());
        // A start that failed over a secret or the network: the doctor says which and why, in
        // the same alert.
        if failure
            .as_ref()
            .is_some_and(|failure| failure.class.concerns_secrets())
        {
            self.add_secret_diagnoses(&mut task).await;
        }
        if failure.as_ref().is_some_and(|failure| {
            failure.class == rules::task_failed_to_start::FailureClass::NoNetworkPath
        }) && let Some(subnet) = event.detail.subnet_id()
        {
            self.add_service(&mut task).await;
            self.add_api_paths(&mut task, subnet).await;
        }
        let mut findings = rules::audit_incomplete::audit_incomplete(&task);

        // A task that never ran (or crashed at once) kept nothing: say why it did not start.
        if let Some(failure) = failure {
            let failures = self.count_failed_start(&task, &failure, now).await?;
            let mut finding =
                rules::task_failed_to_start::finding(&task, &failure, &self.profiles, failures);
            finding.attach_diagnosis(&rules::secret_diagnoses(&task));
            rules::task_failed_to_start::attach_readable(&mut finding, &task.secret_diagnoses);
            if let Some(subnet) = event.detail.subnet_id() {
                rules::task_failed_to_start::attach_api_paths(
                    &mut finding,
                    &task.api_paths,
                    subnet,
                );
            }
            findings.push(finding);
            return Ok(findings);
        }
        // Stopped before it ever ran (a person, a deployment or a Spot reclaim stopped it while
        // pending): it held no data, so none was lost.
        if never_ran {
            return Ok(findings);
        }

        let seen = Remembered::<EmbeddedDatabaseSeen>::load(
            &self.state,
            EmbeddedDatabaseSeen::key(&task.task_arn),
            now,
        )
        .await?;
        let data = match seen.value {
            Some(seen) => Some(DataInTask::from(seen)),
            None => rules::evaluate_task(&task, &self.profiles)
                .iter()
                .find(|finding| finding.keeps_data_in_task())
                .map(DataInTask::from_task_definition),
        };
        let Some(data) = data else {
            return Ok(findings);
        };
        let replacement = match task.service_name() {
            Some(service) => Remembered::<NewestTask>::load(
                &self.state,
                NewestTask::key(resource_name(&task.cluster_arn), service),
                now,
            )
            .await?
            .value
            .filter(|next| next.task_arn != task.task_arn)
            .map(Replacement::from),
            None => None,
        };
        findings.extend(data_lost_on_stop(&task, &data, replacement.as_ref()));
        Ok(findings)
    }

    /// How many tasks of this service (or family) failed to start the same way within the
    /// last [`FAILED_START_WINDOW_SECONDS`], this one included: a crash loop becomes one alert
    /// (suppression keeps the repeats quiet) that says how many.
    async fn count_failed_start(
        &self,
        task: &TaskContext,
        failure: &rules::task_failed_to_start::FailedStart,
        now: u64,
    ) -> Result<u64, AuditError> {
        let owner = task
            .service_name()
            .map(str::to_string)
            .or_else(|| task.group.clone())
            .unwrap_or_else(|| {
                crate::model::short_task_definition(&task.task_definition_arn).to_string()
            });
        let key = FailedStarts::key(
            resource_name(&task.cluster_arn),
            &owner,
            failure.class.as_str(),
        );
        Ok(FailedStarts::count(
            &self.state,
            key,
            &task.task_arn,
            FAILED_START_WINDOW_SECONDS,
            now,
        )
        .await?)
    }
}
