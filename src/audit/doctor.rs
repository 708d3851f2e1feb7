//! The doctor on demand (`ecs-auditor doctor --cluster C --service S`, issue 16): the service's
//! newest running task examined as the RUNNING audit examines one (the same enrichment and
//! rules), plus the secret diagnoses, answered as the seed's checklist
//! ([`crate::doctor::checklist`]). Reads only; publishes nothing and remembers nothing.

use super::{Auditor, TASK_DEFINITION_CHECKS};
use crate::container::storage::profiled_containers;
use crate::container::{AppContainer, SettingSource};
use crate::doctor::checklist::{self, Coverage, Step, VpcListing};
use crate::finding::Finding;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::model::{AuditGap, DatabasePath, EventOrigin, ReadError, TaskContext, arn_field};
use crate::publish::AlertSink;
use crate::rules;

const RUNNING_TASK_CHECKS: &str = "database-unreachable (it needs a running task)";

/// The doctor's examination of one service.
#[derive(Debug)]
pub struct Checkup {
    pub cluster: String,
    pub service: String,
    /// The task examined; `None` when the service runs none (its task definition is then
    /// examined alone).
    pub task_arn: Option<String>,
    pub task_definition: String,
    pub steps: Vec<Step>,
    /// Findings no step of the checklist covers (a missing load balancer, say).
    pub others: Vec<Finding>,
}

impl Checkup {
    /// Whether a step failed (the CLI then exits 1).
    pub fn failed(&self) -> bool {
        self.steps
            .iter()
            .any(|step| step.status == checklist::Status::Fail)
    }
}

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// Examines `service` of `cluster`. Fails only when the service itself cannot be read;
    /// anything else it cannot read leaves its steps "could not decide".
    pub async fn doctor(&self, cluster: &str, service: &str) -> Result<Checkup, ReadError> {
        let found = self.inventory.service(cluster, service).await?;
        let mut gaps = Vec::new();
        let running = match self.inventory.service_task(cluster, service).await {
            Ok(running) => running,
            Err(error) => {
                gaps.push(AuditGap {
                    error,
                    skipped_checks: RUNNING_TASK_CHECKS,
                });
                None
            }
        };
        let cluster_arn = if found.cluster_arn.is_empty() {
            cluster.to_string()
        } else {
            found.cluster_arn.clone()
        };
        let mut task = TaskContext {
            origin: EventOrigin {
                region: self
                    .region
                    .clone()
                    .or_else(|| arn_field(&found.arn, 3).map(str::to_string)),
                account: arn_field(&found.arn, 4).map(str::to_string),
                ..Default::default()
            },
            cluster_arn,
            task_arn: running
                .as_ref()
                .map(|task| task.task_arn.clone())
                .unwrap_or_default(),
            task_definition_arn: running
                .as_ref()
                .map(|task| task.task_definition_arn.clone())
                .filter(|arn| !arn.is_empty())
                .unwrap_or_else(|| found.task_definition.clone()),
            group: Some(format!("service:{}", found.name)),
            last_status: running.as_ref().map(|_| "RUNNING".to_string()),
            service: Some(found),
            gaps,
            ..Default::default()
        };
        self.add_task_definition(&mut task, TASK_DEFINITION_CHECKS)
            .await;
        let interface = running
            .as_ref()
            .and_then(|task| task.network_interface.clone());
        if let Some(interface) = &interface {
            self.add_database_paths(&mut task, interface).await;
        }
        self.add_secret_diagnoses(&mut task).await;
        self.add_file_system_backups(&mut task).await;
        let mut coverage = self.coverage(&task, interface.clone());
        // The address is inside a secret not read: every RDS instance of the VPC instead.
        let hidden = !coverage.urls_in_secrets.is_empty() || !coverage.hosts_in_secrets.is_empty();
        if let Some(interface) = interface.filter(|_| hidden && task.database_paths.is_empty()) {
            match self.inventory.vpc_database_paths(&interface).await {
                Ok(paths) => {
                    task.candidate_paths = paths
                        .into_iter()
                        .map(|found| DatabasePath {
                            container: String::new(),
                            database: found.database,
                            port: found.port,
                            path: found.path,
                            instance: found.instance,
                            iam_connect: None,
                        })
                        .collect();
                    coverage.vpc_listing = VpcListing::Listed;
                }
                Err(error) => {
                    tracing::warn!(%error, "the VPC's databases are unreadable");
                    coverage.vpc_listing = VpcListing::Failed(error.to_string());
                }
            }
        }
        let findings = rules::evaluate_task(&task, &self.profiles);
        let (steps, others) = checklist::answer(&task, &findings, &coverage);
        let others = others.into_iter().cloned().collect();
        Ok(Checkup {
            cluster: crate::model::resource_name(&task.cluster_arn).to_string(),
            service: task
                .service
                .as_ref()
                .map(|found| found.name.clone())
                .unwrap_or_else(|| service.to_string()),
            task_arn: running.map(|task| task.task_arn),
            task_definition: task.task_definition_arn.clone(),
            steps,
            others,
        })
    }

    /// What the doctor could see of the task's apps and secrets.
    fn coverage(&self, task: &TaskContext, network_interface: Option<String>) -> Coverage {
        let mut coverage = Coverage {
            network_interface,
            secrets_read: self.config.read_secret_values,
            ..Default::default()
        };
        let Some(definition) = &task.task_definition else {
            return coverage;
        };
        coverage.secrets = definition
            .container_definitions
            .iter()
            .map(|container| container.secrets.len())
            .sum();
        for (container, profile) in profiled_containers(definition, &self.profiles) {
            coverage
                .apps
                .push(format!("{} ({})", container.name, profile.name));
            let app = AppContainer::new(task, definition, container, profile);
            coverage.settings.extend(
                app.database_settings_set()
                    .iter()
                    .map(|setting| format!("{} of {}", setting.name, container.name)),
            );
            for setting in app.address_settings() {
                let known = app.known_value(&setting);
                // A URL by the profile, or by its form (`KC_DB_URL=jdbc:postgresql://...`).
                let url = app.is_url_setting(setting.name)
                    || known.is_some_and(|value| value.contains("://"))
                    || (known.is_none() && setting.name.to_ascii_uppercase().contains("URL"));
                match known {
                    Some(_) if url => coverage.urls_known += 1,
                    Some(_) => coverage.hosts_known += 1,
                    None if matches!(setting.source, SettingSource::Secret(_)) => {
                        let names = if url {
                            &mut coverage.urls_in_secrets
                        } else {
                            &mut coverage.hosts_in_secrets
                        };
                        names.push(setting.name.to_string());
                    }
                    None => {}
                }
            }
        }
        coverage
    }
}
