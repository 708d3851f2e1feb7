//! A task definition as far as the rules care: containers, their settings, volumes and mounts.
//!
//! Deserializes from the ECS API's JSON shape (camelCase, unknown fields ignored), so fixtures
//! and `aws ecs describe-task-definition` output can be used directly.

use super::arn::short_task_definition;
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
    /// The role ECS uses to pull the image and the `secrets` before the app starts: the one
    /// that must be allowed to read them.
    #[serde(default)]
    pub execution_role_arn: Option<String>,
    /// The role the app's own AWS calls use (the container credentials endpoint): the one that
    /// signs an RDS IAM authentication token.
    #[serde(default)]
    pub task_role_arn: Option<String>,
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

    /// `family:revision`, the name people use; the family alone before registration (a task
    /// definition file, which has no revision yet).
    pub fn short_name(&self) -> String {
        match (self.family.as_str(), self.revision) {
            ("", _) => short_task_definition(&self.arn).to_string(),
            (family, 0) => family.to_string(),
            (family, revision) => format!("{family}:{revision}"),
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
    /// Where a template's value comes from; always `Written` in a registered task definition.
    #[serde(skip)]
    pub origin: ValueOrigin,
}

/// Where a value in a CloudFormation template comes from, before deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ValueOrigin {
    /// Written as it is: what ECS receives.
    #[default]
    Written,
    /// The `Default` of these template parameters (`!Ref P`, `${P}` in `!Sub`): a stack
    /// deployed with other parameter values gets another value.
    ParameterDefault(Vec<String>),
    /// An intrinsic function or dynamic reference that CloudFormation resolves at deployment
    /// (`!GetAtt`, `!ImportValue`, `{{resolve:...}}`, a parameter without a `Default`): the
    /// value shows it as written, in `!Sub` syntax (`postgres://${Db.Endpoint.Address}/coder`).
    AtDeployment,
}

impl EnvironmentVariable {
    /// Whether the value is known before deployment (written, or a parameter's default).
    pub fn value_known(&self) -> bool {
        self.origin != ValueOrigin::AtDeployment
    }
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
    /// Where a template's `ValueFrom` comes from (`!Ref DbSecret` is resolved at deployment);
    /// always `Written` in a registered task definition.
    #[serde(skip)]
    pub origin: ValueOrigin,
    /// The secret's value where the auditor knows it: from the Terraform plan that writes it
    /// (`check`, `aws_secretsmanager_secret_version`), or read from AWS only when asked
    /// (`doctor --read-secrets`, `READ_SECRET_VALUES=true`). In memory only.
    #[serde(skip)]
    pub known_value: Option<KnownValue>,
}

/// What reading a secret's value gave (`secretsmanager:GetSecretValue`, only when allowed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretText {
    /// The text ECS would inject.
    Value(KnownValue),
    /// The reference names a JSON key the value does not have (or the value is no JSON
    /// object): ECS fails the task's start the same way.
    NoSuchJsonKey(String),
    /// Not read: an SSM parameter, or binary data.
    Unread,
}

/// A secret's value the auditor knows: judged, never shown (its `Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct KnownValue(pub String, pub KnownFrom);

/// Where the auditor learnt a secret's value, for the evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownFrom {
    /// The Terraform plan that writes it (`check`, `aws_secretsmanager_secret_version`).
    Plan,
    /// Read from Secrets Manager when allowed (`READ_SECRET_VALUES`, `doctor --read-secrets`).
    SecretsManager,
}

impl std::fmt::Debug for KnownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KnownValue(<not shown>, {:?})", self.1)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
