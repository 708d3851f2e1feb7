//! Enrichment: a task event becomes the rules' input (`TaskContext`) with its task definition,
//! environment files and service read through the cached inventory; a read that fails becomes
//! an `AuditGap` naming the checks it cost.

use super::{Auditor, SERVICE_CHECKS, TASK_DEFINITION_CHECKS};
use crate::events::ecs::{EcsEvent, TaskStateChange};
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::model::{AuditGap, ReadError, ReadFailure, TaskContext};
use crate::publish::AlertSink;

const ENVIRONMENT_FILE_CHECKS: &str =
    "the database and storage checks of the containers that read it";
const SECRET_VALUE_CHECKS: &str =
    "database-url-malformed and database-unreachable for the database address inside the secret";

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// The task as the rules see it: the event's facts plus its task definition and, for
    /// service tasks (when `with_service`), its service.
    pub(super) async fn task_context(
        &self,
        event: &EcsEvent<TaskStateChange>,
        with_service: bool,
    ) -> TaskContext {
        let detail = &event.detail;
        let mut task = TaskContext {
            origin: event.origin.clone(),
            cluster_arn: detail.cluster_arn.clone(),
            task_arn: detail.task_arn.clone(),
            task_definition_arn: detail.task_definition_arn.clone(),
            group: detail.group.clone(),
            last_status: detail.last_status.clone(),
            launch_type: detail.launch_type.clone(),
            platform_version: detail.platform_version.clone(),
            started_by: detail.started_by.clone(),
            started_at: detail.started_at.clone(),
            private_ip: detail.private_ip().map(str::to_string),
            ..Default::default()
        };
        self.add_task_definition(&mut task, TASK_DEFINITION_CHECKS)
            .await;
        if with_service {
            self.add_service(&mut task).await;
        }
        task
    }

    /// The service the task belongs to (`group` `service:NAME`); one that cannot be read is a gap.
    pub(super) async fn add_service(&self, task: &mut TaskContext) {
        let Some(service) = task.service_name().map(str::to_string) else {
            return;
        };
        match self.inventory.service(&task.cluster_arn, &service).await {
            Ok(found) => task.service = Some(found),
            Err(error) => {
                tracing::warn!(%error, "service unreadable");
                task.gaps.push(AuditGap {
                    error,
                    skipped_checks: SERVICE_CHECKS,
                });
            }
        }
    }

    pub(super) async fn add_task_definition(
        &self,
        task: &mut TaskContext,
        skipped_checks: &'static str,
    ) {
        if task.task_definition_arn.is_empty() {
            task.gaps.push(AuditGap {
                error: ReadError {
                    operation: "ecs:DescribeTaskDefinition",
                    resource: "(none)".to_string(),
                    failure: ReadFailure::NotFound,
                    message: "no task definition is named".to_string(),
                },
                skipped_checks,
            });
            return;
        }
        match self
            .inventory
            .task_definition(&task.task_definition_arn)
            .await
        {
            Ok(definition) => task.task_definition = Some(definition),
            Err(error) => {
                tracing::warn!(%error, "task definition unreadable");
                task.gaps.push(AuditGap {
                    error,
                    skipped_checks,
                });
            }
        }
        self.add_environment_files(task).await;
        self.add_secret_values(task).await;
    }

    /// With `READ_SECRET_VALUES`, the values of profiled apps' database secrets (and of near
    /// misses, such as the seed's `CODER_POSTGRES_URL`), read into memory so the rules judge
    /// the URL and the doctor finds its database; never shown. One that cannot be read is a gap.
    async fn add_secret_values(&self, task: &mut TaskContext) {
        if !self.config.read_secret_values {
            return;
        }
        let Some(definition) = task.task_definition.clone() else {
            return;
        };
        let mut wanted: Vec<(String, String, String)> = Vec::new();
        for (container, profile) in
            crate::container::storage::profiled_containers(&definition, &self.profiles)
        {
            let app = crate::container::AppContainer::new(task, &definition, container, profile);
            for setting in app
                .database_settings_set()
                .into_iter()
                .chain(app.near_misses())
            {
                if let crate::container::SettingSource::Secret(value_from) = setting.source {
                    wanted.push((
                        container.name.clone(),
                        setting.name.to_string(),
                        value_from.to_string(),
                    ));
                }
            }
        }
        for (container, name, value_from) in wanted {
            match self.inventory.secret_value(&value_from).await {
                Ok(crate::model::SecretText::Unread) => {}
                Ok(crate::model::SecretText::NoSuchJsonKey(key)) => {
                    let secret = crate::inspect::secret_reference::check(&value_from)
                        .ok()
                        .and_then(|reference| match reference {
                            crate::inspect::secret_reference::SecretReference::SecretsManager {
                                secret_id,
                                ..
                            } => Some(secret_id.to_string()),
                            _ => None,
                        })
                        .unwrap_or_else(|| value_from.clone());
                    task.secret_value_problems
                        .push(crate::doctor::secrets::ValueProblem {
                            container,
                            setting: name,
                            secret,
                            problem: crate::doctor::secrets::ReferenceProblem::NoSuchJsonKey {
                                key,
                            },
                        });
                }
                Ok(crate::model::SecretText::Value(value)) => {
                    let secret = task
                        .task_definition
                        .as_mut()
                        .and_then(|definition| {
                            definition
                                .container_definitions
                                .iter_mut()
                                .find(|found| found.name == container)
                        })
                        .and_then(|found| {
                            found.secrets.iter_mut().find(|secret| secret.name == name)
                        });
                    if let Some(secret) = secret {
                        secret.known_value = Some(value);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "secret value unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: SECRET_VALUE_CHECKS,
                    });
                }
            }
        }
    }

    /// With `READ_ENVIRONMENT_FILES`, the containers' S3 `environmentFiles`, read into memory
    /// so the rules judge them like `environment`; one that cannot be read is a gap.
    async fn add_environment_files(&self, task: &mut TaskContext) {
        task.environment_files.reading_enabled = self.config.read_environment_files;
        if !self.config.read_environment_files {
            return;
        }
        let Some(definition) = &task.task_definition else {
            return;
        };
        let mut arns: Vec<String> = definition
            .container_definitions
            .iter()
            .flat_map(|container| &container.environment_files)
            .filter(|file| file.kind.is_empty() || file.kind == "s3")
            .map(|file| file.value.clone())
            .collect();
        arns.sort();
        arns.dedup();
        for arn in arns {
            match self.inventory.environment_file(&arn).await {
                Ok(text) => {
                    let variables = crate::model::EnvironmentFiles::parse(&text);
                    task.environment_files.read.insert(arn, variables);
                }
                Err(error) => {
                    tracing::warn!(%error, "environment file unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: ENVIRONMENT_FILE_CHECKS,
                    });
                }
            }
        }
    }
}
