//! The doctor for a task that failed to start (issue 16): over a secret, for each secret the
//! task definition references, whether it resolves and the execution role may read it
//! (`Inventory::diagnose_secret`; a running task got its secrets when it started); for want of
//! a network path, how its subnet reaches the AWS APIs its start needs
//! (`Inventory::api_paths`). A failed read is an audit gap, never a pass.

use super::Auditor;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::model::{AuditGap, TaskContext};
use crate::publish::AlertSink;

const SECRET_CHECKS: &str = "secret-not-readable and secret-reference-broken";
/// At most this many distinct references are diagnosed per task: each costs up to four
/// read calls.
const MOST_SECRETS: usize = 20;

const API_PATH_CHECKS: &str = "the path from the task's subnet to the AWS APIs";

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// Fills `task.api_paths`: how the task's subnet reaches the APIs its start needs.
    pub(crate) async fn add_api_paths(&self, task: &mut TaskContext, subnet: &str) {
        let Some(definition) = &task.task_definition else {
            return;
        };
        let services = crate::doctor::egress::needed_services(definition);
        let (groups, public_ip) = match &task.service {
            Some(service) => (service.security_groups.clone(), service.assign_public_ip),
            None => (Vec::new(), None),
        };
        match self
            .inventory
            .api_paths(subnet, &groups, public_ip, &services)
            .await
        {
            Ok(paths) => task.api_paths = paths,
            Err(error) => {
                tracing::warn!(%error, "the path to the AWS APIs is unreadable");
                task.gaps.push(AuditGap {
                    error,
                    skipped_checks: API_PATH_CHECKS,
                });
            }
        }
    }

    /// Fills `task.secret_diagnoses`.
    pub(crate) async fn add_secret_diagnoses(&self, task: &mut TaskContext) {
        let Some(definition) = task.task_definition.clone() else {
            return;
        };
        let role = definition.execution_role_arn.as_deref();
        let mut seen: Vec<&str> = Vec::new();
        for container in &definition.container_definitions {
            for secret in &container.secrets {
                if seen.contains(&secret.value_from.as_str()) || seen.len() == MOST_SECRETS {
                    continue;
                }
                seen.push(&secret.value_from);
                match self
                    .inventory
                    .diagnose_secret(role, &container.name, &secret.name, &secret.value_from)
                    .await
                {
                    Ok(Some(diagnosis)) => task.secret_diagnoses.push(diagnosis),
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(%error, "secret diagnosis unreadable");
                        task.gaps.push(AuditGap {
                            error,
                            skipped_checks: SECRET_CHECKS,
                        });
                    }
                }
            }
        }
    }
}
