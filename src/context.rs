//! The typed world the rules look at: a task, its task definition and service, and the gaps
//! where something could not be read.
//!
//! These types are independent of the AWS SDK. They deserialize from the ECS API's JSON shape
//! (camelCase, unknown fields ignored) so that fixtures and `aws ecs describe-task-definition`
//! output can be used directly; `crate::aws::ecs` converts SDK types into them.

use serde::Deserialize;

/// A task definition as far as the rules care.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinition {
    #[serde(default, rename = "taskDefinitionArn")]
    pub arn: String,
    #[serde(default)]
    pub family: String,
    #[serde(default)]
    pub revision: i64,
    #[serde(default)]
    pub container_definitions: Vec<ContainerDefinition>,
    #[serde(default)]
    pub volumes: Vec<Volume>,
    #[serde(default)]
    pub requires_compatibilities: Vec<String>,
    #[serde(default)]
    pub network_mode: Option<String>,
}

impl TaskDefinition {
    /// The mount points a container has: its own and, through `volumesFrom`, those of the
    /// containers it names (and theirs in turn).
    pub fn mounts_of<'a>(&'a self, container: &'a ContainerDefinition) -> Vec<&'a MountPoint> {
        let mut mounts: Vec<&MountPoint> = Vec::new();
        let mut visited: Vec<&str> = Vec::new();
        let mut pending = vec![container];
        while let Some(next) = pending.pop() {
            if visited.contains(&next.name.as_str()) {
                continue;
            }
            visited.push(&next.name);
            mounts.extend(&next.mount_points);
            pending.extend(next.volumes_from.iter().filter_map(|from| {
                self.container_definitions
                    .iter()
                    .find(|other| other.name == from.source_container)
            }));
        }
        mounts
    }

    /// `family:revision`, the name people use.
    pub fn short_name(&self) -> String {
        if self.family.is_empty() {
            short_task_definition(&self.arn).to_string()
        } else {
            format!("{}:{}", self.family, self.revision)
        }
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.volumes.iter().find(|volume| volume.name == name)
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub environment: Vec<EnvironmentVariable>,
    #[serde(default)]
    pub secrets: Vec<SecretVariable>,
    #[serde(default)]
    pub mount_points: Vec<MountPoint>,
    /// `entryPoint`: replaces the image's ENTRYPOINT (and drops its CMD).
    #[serde(default)]
    pub entry_point: Vec<String>,
    /// `command`: replaces the image's CMD.
    #[serde(default)]
    pub command: Vec<String>,
    /// `environmentFiles`: S3 objects of `VARIABLE=VALUE` lines, lower in precedence than
    /// `environment`.
    #[serde(default)]
    pub environment_files: Vec<EnvironmentFile>,
    /// `volumesFrom`: the mounts of other containers of the task, taken over.
    #[serde(default)]
    pub volumes_from: Vec<VolumeFrom>,
    /// `links` (bridge mode): `name` or `name:alias`, each a host name inside the container.
    #[serde(default)]
    pub links: Vec<String>,
    /// `extraHosts`: `/etc/hosts` entries.
    #[serde(default)]
    pub extra_hosts: Vec<HostEntry>,
    #[serde(default)]
    pub essential: Option<bool>,
    #[serde(default)]
    pub log_configuration: Option<LogConfiguration>,
}

/// A container's log driver settings (`awslogs-group`, `awslogs-stream-prefix`, ...).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    #[serde(default)]
    pub log_driver: String,
    #[serde(default)]
    pub options: std::collections::BTreeMap<String, String>,
}

impl ContainerDefinition {
    /// The CloudWatch log group and stream prefix of an `awslogs` container.
    pub fn awslogs(&self) -> Option<(&str, Option<&str>)> {
        let configuration = self.log_configuration.as_ref()?;
        if configuration.log_driver != "awslogs" {
            return None;
        }
        let group = configuration.options.get("awslogs-group")?;
        Some((
            group.as_str(),
            configuration
                .options
                .get("awslogs-stream-prefix")
                .map(String::as_str),
        ))
    }

    /// The plain value of an environment variable (the last one wins, as in Docker).
    pub fn env(&self, name: &str) -> Option<&str> {
        self.environment
            .iter()
            .rev()
            .find(|variable| variable.name == name)
            .map(|variable| variable.value.as_str())
    }

    pub fn secret(&self, name: &str) -> Option<&SecretVariable> {
        self.secrets.iter().rev().find(|secret| secret.name == name)
    }

    /// Every setting name the container receives, from `environment` and `secrets`.
    pub fn setting_names(&self) -> impl Iterator<Item = &str> {
        self.environment
            .iter()
            .map(|variable| variable.name.as_str())
            .chain(self.secrets.iter().map(|secret| secret.name.as_str()))
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct EnvironmentVariable {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
}

/// A `volumesFrom` entry.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VolumeFrom {
    #[serde(default)]
    pub source_container: String,
    #[serde(default)]
    pub read_only: Option<bool>,
}

/// An `extraHosts` entry.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HostEntry {
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub ip_address: String,
}

impl ContainerDefinition {
    /// Host names that resolve inside the container through `links` and `extraHosts`.
    pub fn known_hosts(&self) -> impl Iterator<Item = &str> {
        self.links
            .iter()
            .map(|link| link.rsplit(':').next().unwrap_or(link))
            .chain(self.extra_hosts.iter().map(|host| host.hostname.as_str()))
    }
}

/// An `environmentFiles` entry: `value` is the S3 object's ARN (`arn:aws:s3:::bucket/key`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct EnvironmentFile {
    #[serde(default)]
    pub value: String,
    #[serde(default, rename = "type")]
    pub kind: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretVariable {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value_from: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MountPoint {
    #[serde(default)]
    pub source_volume: String,
    #[serde(default)]
    pub container_path: String,
    #[serde(default)]
    pub read_only: Option<bool>,
}

/// A task definition volume, reduced to what decides whether data survives the task.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub efs_volume_configuration: Option<EfsVolume>,
    #[serde(default)]
    pub fsx_windows_file_server_volume_configuration: Option<serde_json::Value>,
    #[serde(default)]
    pub docker_volume_configuration: Option<DockerVolume>,
    #[serde(default)]
    pub host: Option<HostVolume>,
    #[serde(default)]
    pub configured_at_launch: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EfsVolume {
    #[serde(default)]
    pub file_system_id: String,
    #[serde(default)]
    pub root_directory: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DockerVolume {
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub driver: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HostVolume {
    #[serde(default)]
    pub source_path: Option<String>,
}

/// Whether a volume's data outlives the task that mounted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeDurability {
    /// EFS or FSx: survives the task and follows it to any host.
    Persistent,
    /// A Docker volume with a non-local driver: persistent if the driver is.
    DriverManaged,
    /// A host path or local Docker volume: survives on that EC2 instance only.
    InstanceLocal,
    /// Bind mount in the task's own storage (Fargate ephemeral storage): dies with the task.
    Ephemeral,
}

impl Volume {
    pub fn durability(&self) -> VolumeDurability {
        if self.efs_volume_configuration.is_some()
            || self.fsx_windows_file_server_volume_configuration.is_some()
        {
            return VolumeDurability::Persistent;
        }
        if let Some(docker) = &self.docker_volume_configuration {
            let driver = docker.driver.as_deref().unwrap_or("local");
            return if driver == "local" {
                VolumeDurability::InstanceLocal
            } else {
                VolumeDurability::DriverManaged
            };
        }
        // EBS volumes attached at launch are deleted with the task unless configured otherwise;
        // we cannot see that setting from the task definition, so they do not count as durable.
        if self
            .host
            .as_ref()
            .and_then(|host| host.source_path.as_ref())
            .is_some()
        {
            return VolumeDurability::InstanceLocal;
        }
        VolumeDurability::Ephemeral
    }

    pub fn describe(&self) -> String {
        match (&self.efs_volume_configuration, self.durability()) {
            (Some(efs), _) => format!(
                "EFS {}{}",
                efs.file_system_id,
                efs.root_directory
                    .as_deref()
                    .map(|dir| format!(" ({dir})"))
                    .unwrap_or_default()
            ),
            (None, VolumeDurability::Persistent) => "FSx for Windows".to_string(),
            (None, VolumeDurability::DriverManaged) => "Docker volume (driver-managed)".to_string(),
            (None, VolumeDurability::InstanceLocal) => "host or local Docker volume".to_string(),
            (None, VolumeDurability::Ephemeral) if self.configured_at_launch == Some(true) => {
                "EBS volume configured at launch".to_string()
            }
            (None, VolumeDurability::Ephemeral) => "task storage (ephemeral)".to_string(),
        }
    }
}

/// A service as far as the rules care.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    pub arn: String,
    pub name: String,
    pub cluster_arn: String,
    pub task_definition: String,
    pub load_balancers: usize,
    pub service_registries: usize,
    /// `awsvpcConfiguration.assignPublicIp`, when the service uses awsvpc.
    pub assign_public_ip: Option<bool>,
    pub desired_count: i32,
    pub launch_type: Option<String>,
}

/// Where a running or recently stopped task belongs, found from its id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskLocation {
    pub task_arn: String,
    pub cluster_arn: String,
    pub task_definition_arn: String,
    /// `service:NAME` or `family:NAME`.
    pub group: Option<String>,
}

/// Why something could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFailure {
    AccessDenied,
    Throttled,
    NotFound,
    /// No credentials could be found to sign the request.
    NoCredentials,
    /// Network errors, timeouts, 5xx answers.
    Unavailable,
    Other,
}

impl ReadFailure {
    pub fn describe(self) -> &'static str {
        match self {
            ReadFailure::AccessDenied => "access denied",
            ReadFailure::Throttled => "throttled",
            ReadFailure::NotFound => "not found",
            ReadFailure::NoCredentials => "no AWS credentials",
            ReadFailure::Unavailable => "service unavailable",
            ReadFailure::Other => "request failed",
        }
    }
}

/// Something the auditor needed and could not read. Becomes an `audit-incomplete` finding.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{operation} on {resource}: {} ({message})", failure.describe())]
pub struct ReadError {
    /// IAM action, e.g. `ecs:DescribeTaskDefinition`.
    pub operation: &'static str,
    /// What was being read, e.g. the task definition ARN.
    pub resource: String,
    pub failure: ReadFailure,
    /// The service's message, redacted.
    pub message: String,
}

/// Which checks a gap prevented, said in the alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditGap {
    pub error: ReadError,
    pub skipped_checks: &'static str,
}

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

pub fn service_name_from_group(group: Option<&str>) -> Option<&str> {
    group
        .and_then(|group| group.strip_prefix("service:"))
        .filter(|name| !name.is_empty())
}

/// The last path segment of an ARN: `arn:aws:ecs:r:a:cluster/coder-cluster` -> `coder-cluster`.
/// A plain name comes back unchanged.
pub fn resource_name(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    resource.rsplit('/').next().unwrap_or(resource)
}

/// `arn:aws:ecs:r:a:task-definition/coder:7` -> `coder:7`.
pub fn short_task_definition(arn: &str) -> &str {
    arn.rsplit_once("task-definition/")
        .map(|(_, name)| name)
        .unwrap_or(arn)
}

/// The n-th colon-separated field of an ARN (3 = region, 4 = account), if present and non-empty.
pub fn arn_field(arn: &str, index: usize) -> Option<&str> {
    if !arn.starts_with("arn:") {
        return None;
    }
    arn.split(':').nth(index).filter(|field| !field.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_helpers() {
        let task = "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/0f1e2d3c4b5a";
        assert_eq!(resource_name(task), "0f1e2d3c4b5a");
        assert_eq!(arn_field(task, 3), Some("us-east-1"));
        assert_eq!(arn_field(task, 4), Some("123456789012"));
        assert_eq!(arn_field("coder", 3), None);
        assert_eq!(
            short_task_definition("arn:aws:ecs:us-east-1:1:task-definition/coder:7"),
            "coder:7"
        );
        assert_eq!(
            service_name_from_group(Some("service:coder-service")),
            Some("coder-service")
        );
        assert_eq!(service_name_from_group(Some("family:coder")), None);
    }

    #[test]
    fn task_definitions_decode_from_the_ecs_api_shape() {
        let json = r#"{
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:7",
            "family": "coder", "revision": 7, "somethingNew": {"x": 1},
            "containerDefinitions": [{
                "name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
                "environment": [{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}],
                "secrets": [{"name": "CODER_POSTGRES_URL", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:url::"}],
                "mountPoints": [{"sourceVolume": "data", "containerPath": "/home/coder"}]
            }],
            "volumes": [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}},
                        {"name": "scratch"}]
        }"#;
        let definition: TaskDefinition = serde_json::from_str(json).unwrap();
        assert_eq!(definition.short_name(), "coder:7");
        let container = &definition.container_definitions[0];
        assert_eq!(container.env("CODER_HTTP_ADDRESS"), Some("0.0.0.0:3000"));
        assert!(container.secret("CODER_POSTGRES_URL").is_some());
        assert_eq!(
            definition.volume("data").unwrap().durability(),
            VolumeDurability::Persistent
        );
        assert_eq!(
            definition.volume("scratch").unwrap().durability(),
            VolumeDurability::Ephemeral
        );
    }
}
