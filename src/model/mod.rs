//! The ECS model the rules look at: ARNs, task definitions and volumes, services, the task under
//! audit, and the gaps where something could not be read.
//!
//! These types are independent of the AWS SDK; `crate::aws::ecs` converts SDK types into them.

pub mod arn;
pub mod read_error;
pub mod service;
pub mod task;
pub mod task_definition;

pub use arn::{arn_field, resource_name, service_name_from_group, short_task_definition};
pub use read_error::{AuditGap, ReadError, ReadFailure};
pub use service::{Service, TaskLocation};
pub use task::{
    DatabasePath, EnvironmentFiles, EventOrigin, StopFacts, StoppedContainer, TaskContext,
};
pub use task_definition::{
    ContainerDefinition, DockerVolume, EfsVolume, EnvironmentFile, EnvironmentVariable, HostEntry,
    HostVolume, KnownFrom, KnownValue, LogConfiguration, MountPoint, SecretText, SecretVariable,
    TaskDefinition, ValueOrigin, Volume, VolumeDurability, VolumeFrom,
};
