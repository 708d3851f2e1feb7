//! The task under audit: everything known about it when the rules run, and why it stopped.

use super::arn::{arn_field, resource_name, service_name_from_group};
use super::read_error::AuditGap;
use super::service::Service;
use super::task_definition::{EnvironmentVariable, TaskDefinition};

/// Why and when a task stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StopFacts {
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    /// When the task started; `None` when it never did.
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
    /// The containers' own reasons and exit codes.
    pub containers: Vec<StoppedContainer>,
}

/// A container of a stopped task, as the event reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoppedContainer {
    pub name: String,
    pub reason: Option<String>,
    pub exit_code: Option<i64>,
}

impl StopFacts {
    /// The deployment named in the reason: "... (deployment ecs-svc/9876543210987654321)".
    pub fn deployment(&self) -> Option<&str> {
        let reason = self.stopped_reason.as_deref()?;
        let start = reason.find("ecs-svc/")?;
        let id = &reason[start..];
        Some(
            id.split(|c: char| c == ')' || c.is_whitespace())
                .next()
                .unwrap_or(id),
        )
    }
}

/// The common facts of an EventBridge event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventOrigin {
    pub id: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub time: Option<String>,
}

/// Everything known about one task when the rules run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskContext {
    pub origin: EventOrigin,
    pub cluster_arn: String,
    pub task_arn: String,
    pub task_definition_arn: String,
    pub group: Option<String>,
    pub last_status: Option<String>,
    pub launch_type: Option<String>,
    pub platform_version: Option<String>,
    /// `ecs-svc/...` for service tasks: the deployment that started the task.
    pub started_by: Option<String>,
    pub started_at: Option<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    /// Set for STOPPED tasks.
    pub stop: Option<StopFacts>,
    pub task_definition: Option<TaskDefinition>,
    pub service: Option<Service>,
    pub gaps: Vec<AuditGap>,
    /// The network paths from this task to its apps' databases, where the doctor evaluated
    /// them (issue 16).
    pub database_paths: Vec<DatabasePath>,
    /// Where the database's address is unknown (inside a secret not read): the paths to every
    /// RDS instance in the task's VPC, none known to be the app's. The doctor shows them; no
    /// rule judges them.
    pub candidate_paths: Vec<DatabasePath>,
    /// For a task that failed to start for want of a network path: how its subnet reaches
    /// each AWS API it needs (`secretsmanager`, `ecr.api`, ...).
    pub api_paths: Vec<(String, crate::doctor::egress::ApiPath)>,
    /// Whether each EFS file system that holds a profiled app's data has automatic backups
    /// (`elasticfilesystem:DescribeBackupPolicy`), where the doctor read it.
    pub file_system_backups: std::collections::BTreeMap<String, bool>,
    /// Whether each secret the task references resolves and its execution role may read it,
    /// where the doctor checked (issue 16).
    pub secret_diagnoses: Vec<crate::doctor::secrets::SecretDiagnosis>,
    /// Problems in secret values read when allowed (a missing JSON key).
    pub secret_value_problems: Vec<crate::doctor::secrets::ValueProblem>,
    /// The `environmentFiles` read (with `READ_ENVIRONMENT_FILES`), by object ARN, in
    /// memory only: their values never leave.
    pub environment_files: EnvironmentFiles,
}

/// What the auditor saw of a task's environment files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvironmentFiles {
    /// Whether the auditor reads them at all (`READ_ENVIRONMENT_FILES`).
    pub reading_enabled: bool,
    /// Each file read, by its S3 object ARN: its variables in file order.
    pub read: std::collections::BTreeMap<String, Vec<EnvironmentVariable>>,
}

impl EnvironmentFiles {
    /// Parses a `.env` file as the ECS agent does (`agent/taskresource/envFiles/envfile.go`
    /// `readEnvVarsFromFile`): lines starting with `#` are comments, a line without `=` is
    /// skipped, the name is everything before the first `=` and must not be empty, the value
    /// everything after it, untrimmed and unquoted; a later line wins over an earlier one.
    pub fn parse(text: &str) -> Vec<EnvironmentVariable> {
        let mut variables: Vec<EnvironmentVariable> = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            variables.retain(|variable| variable.name != name);
            variables.push(EnvironmentVariable {
                name: name.to_string(),
                value: value.to_string(),
                origin: Default::default(),
            });
        }
        variables
    }
}

impl TaskContext {
    /// The service name for service tasks (`group` is `service:NAME`).
    pub fn service_name(&self) -> Option<&str> {
        service_name_from_group(self.group.as_deref())
    }

    pub fn cluster_name(&self) -> &str {
        resource_name(&self.cluster_arn)
    }

    /// Region of the task: the event's, else the one in the task ARN.
    pub fn region(&self) -> Option<&str> {
        self.origin
            .region
            .as_deref()
            .or_else(|| arn_field(&self.task_arn, 3))
    }

    pub fn location(&self) -> crate::finding::Location {
        crate::finding::Location {
            account: self
                .origin
                .account
                .clone()
                .or_else(|| arn_field(&self.task_arn, 4).map(str::to_string)),
            region: self.region().map(str::to_string),
            cluster: non_empty(self.cluster_name()),
            service: self.service_name().map(str::to_string),
            task: non_empty(&self.task_arn),
            task_definition: non_empty(&self.task_definition_arn),
            private_ip: self.private_ip.clone(),
            public_ip: self.public_ip.clone(),
            ..Default::default()
        }
    }
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

/// A network path the doctor evaluated: from a task's container to its database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabasePath {
    /// The container whose database setting names the database.
    pub container: String,
    /// The database, for the alert ("RDS instance coder-postgres").
    pub database: String,
    pub port: u16,
    pub path: crate::doctor::network::Path,
    /// The RDS instance, when the doctor found one with the URL's host as its endpoint.
    pub instance: Option<crate::doctor::facts::DbInstance>,
    /// Whether the task role may connect with an IAM token, for an app that signs one
    /// (`database-auth-misconfigured`); `None`: the app uses a password, or it was not asked.
    pub iam_connect: Option<crate::doctor::database_auth::IamConnect>,
}
