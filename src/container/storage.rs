//! Where a profiled container keeps its data directory, by the storage's documented lifetime.

use super::AppContainer;
use crate::model::{ContainerDefinition, TaskContext, TaskDefinition};

/// Where a profiled app keeps its data directory, by the storage's documented lifetime
/// (AWS, "Storage options for Amazon ECS tasks": bind mounts on Fargate live with the task; on
/// EC2 a host path or local Docker volume stays on the instance; EFS and FSx outlive both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataStorage {
    /// EFS, FSx or a driver-managed Docker volume: outlives the task, on any host.
    Persistent,
    /// A host path or local Docker volume: outlives the task on that EC2 instance only.
    Instance { mount: String },
    /// The task's own storage: gone when the task stops.
    Task,
}

/// The container of that name and the profiled app it runs, if the profiles know it.
pub fn container_app<'d, 'p>(
    definition: &'d TaskDefinition,
    container_name: &str,
    profiles: &'p crate::profiles::Profiles,
) -> Option<(&'d ContainerDefinition, &'p crate::profiles::Profile)> {
    let container = definition
        .container_definitions
        .iter()
        .find(|container| container.name == container_name)?;
    let names: Vec<&str> = container.setting_names().collect();
    Some((container, profiles.recognise(&container.image, &names)?))
}

/// Where a container's app keeps its data directory. `None` when the container is unknown,
/// not a profiled app, or the app's data directory is not known.
pub fn data_directory_storage(
    definition: &TaskDefinition,
    container_name: &str,
    profiles: &crate::profiles::Profiles,
) -> Option<DataStorage> {
    let (container, profile) = container_app(definition, container_name, profiles)?;
    let task = TaskContext::default();
    let app = AppContainer::new(&task, definition, container, profile);
    let directory = app.data_directory()?;
    Some(if app.persistent_data_mount().is_some() {
        DataStorage::Persistent
    } else if let Some(mount) = app.instance_mount_over(&directory) {
        DataStorage::Instance { mount }
    } else {
        DataStorage::Task
    })
}
