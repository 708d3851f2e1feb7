//! A task reached RUNNING: its configuration rules, its public IP against the service's last
//! one, and the service's newest task remembered for the stop of the one it replaces.

use super::{AuditError, Auditor};
use crate::events::ecs::{EcsEvent, TaskStateChange};
use crate::finding::Finding;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::memory::facts::{FACT_MEMORY_SECONDS, NewestTask, ServiceAddress};
use crate::memory::record::Remembered;
use crate::model::{AuditGap, resource_name};
use crate::publish::AlertSink;
use crate::rules;
use crate::rules::public_ip_changed::{IpSighting, public_ip_changed};

const PUBLIC_IP_CHECKS: &str = "the public IP check";

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// A task reached RUNNING: its configuration, its public IP, and what it replaces.
    pub(super) async fn audit_running(
        &self,
        event: &EcsEvent<TaskStateChange>,
        now: u64,
    ) -> Result<Vec<Finding>, AuditError> {
        let mut task = self.task_context(event, true).await;
        let has_public_ip = task
            .service
            .as_ref()
            .is_some_and(|service| service.assign_public_ip == Some(true));
        if has_public_ip && let Some(interface) = event.detail.network_interface_id() {
            match self.inventory.public_ip(interface).await {
                Ok(ip) => task.public_ip = ip,
                Err(error) => {
                    tracing::warn!(%error, "public IP unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: PUBLIC_IP_CHECKS,
                    });
                }
            }
        }
        if let Some(interface) = event.detail.network_interface_id() {
            self.add_database_paths(&mut task, interface).await;
        }
        self.add_file_system_backups(&mut task).await;
        let mut findings = rules::evaluate_task(&task, &self.profiles);
        let Some(service) = task.service_name().map(str::to_string) else {
            return Ok(findings);
        };
        let cluster = resource_name(&task.cluster_arn).to_string();

        if let Some(ip) = task.public_ip.clone() {
            let remembered = Remembered::<ServiceAddress>::load(
                &self.state,
                ServiceAddress::key(&cluster, &service),
                now,
            )
            .await?;
            let previous: Option<IpSighting> = remembered.value.clone().map(IpSighting::from);
            let current = IpSighting {
                ip,
                task_arn: task.task_arn.clone(),
                deployment: task.started_by.clone(),
            };
            findings.extend(public_ip_changed(&task, previous.as_ref(), &current));
            if previous.as_ref() != Some(&current) {
                remembered
                    .replace(
                        &self.state,
                        &ServiceAddress::from(&current),
                        FACT_MEMORY_SECONDS,
                        now,
                    )
                    .await?;
            }
        }

        // Remember the newest running task, for the stop of the one it replaces.
        let remembered =
            Remembered::<NewestTask>::load(&self.state, NewestTask::key(&cluster, &service), now)
                .await?;
        let supersedes = remembered.value.as_ref().is_none_or(|newest| {
            newest.superseded_by(task.started_at.as_deref()) && newest.task_arn != task.task_arn
        });
        if supersedes {
            let newest = NewestTask {
                task_arn: task.task_arn.clone(),
                task_definition: task.task_definition_arn.clone(),
                started_at: task.started_at.clone(),
                keeps_data_in_task: findings.iter().any(Finding::keeps_data_in_task),
            };
            remembered
                .replace(&self.state, &newest, FACT_MEMORY_SECONDS, now)
                .await?;
        }
        Ok(findings)
    }
}
