//! Where a profiled container keeps its data directory, by the storage's documented lifetime.

use super::app::AppContainer;
use crate::model::{ContainerDefinition, TaskContext, TaskDefinition, VolumeDurability};
use crate::profiles::{KeptFiles, normalise_path};
use std::borrow::Cow;

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
pub(crate) fn container_app<'d, 'p>(
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

/// Each container of the task definition that runs a profiled app, with its profile.
pub(crate) fn profiled_containers<'d, 'p>(
    definition: &'d TaskDefinition,
    profiles: &'p crate::profiles::Profiles,
) -> impl Iterator<Item = (&'d ContainerDefinition, &'p crate::profiles::Profile)> {
    definition
        .container_definitions
        .iter()
        .filter_map(|container| {
            let names: Vec<&str> = container.setting_names().collect();
            Some((container, profiles.recognise(&container.image, &names)?))
        })
}

/// Where a container's app keeps its data directory. `None` when the container is unknown,
/// not a profiled app, or the app's data directory is not known.
pub(crate) fn data_directory_storage(
    definition: &TaskDefinition,
    container_name: &str,
    profiles: &crate::profiles::Profiles,
) -> Option<DataStorage> {
    let (container, profile) = container_app(definition, container_name, profiles)?;
    let task = TaskContext::default();
    AppContainer::new(&task, definition, container, profile).data_storage()
}

impl<'a> AppContainer<'a> {
    /// Where the app keeps its data directory; `None` when the directory is not known.
    pub(crate) fn data_storage(&self) -> Option<DataStorage> {
        let directory = self.data_directory()?;
        Some(if self.persistent_data_mount().is_some() {
            DataStorage::Persistent
        } else if let Some(mount) = self.instance_mount_over(&directory) {
            DataStorage::Instance { mount }
        } else {
            DataStorage::Task
        })
    }

    pub(crate) fn data_directory(&self) -> Option<Cow<'a, str>> {
        self.facts
            .data_directory_with(|name| self.container.env(name))
    }

    /// The persistent volume that holds the app's data directory (or one of the image's
    /// other paths for the same data), if one does.
    pub(crate) fn persistent_data_mount(&self) -> Option<String> {
        let directory = self.data_directory()?;
        self.persistent_mount_over(&directory).or_else(|| {
            // Aliases hold the data only where the directory is the image's own.
            (self.facts.data_directory.as_deref() == Some(directory.as_ref()))
                .then(|| {
                    self.facts
                        .data_directory_aliases
                        .iter()
                        .find_map(|alias| self.persistent_mount_over(alias))
                })
                .flatten()
        })
    }

    /// The files the app keeps whatever its database that would stay inside the task: those
    /// no setting moves elsewhere and no persistent volume holds, with their paths.
    pub(crate) fn files_inside(&self) -> Vec<(&'a KeptFiles, Cow<'a, str>)> {
        let Some(directory) = self.data_directory() else {
            return Vec::new();
        };
        self.facts
            .kept_files
            .iter()
            .filter(|files| {
                !files.unless.iter().any(|moved| {
                    self.setting(&moved.setting).is_some_and(|setting| {
                        setting.seen_value().is_none_or(|value| {
                            !moved
                                .except
                                .iter()
                                .any(|kept| kept.eq_ignore_ascii_case(value.trim()))
                        })
                    })
                })
            })
            .map(|files| {
                let path = files
                    .path
                    .as_deref()
                    .map(Cow::Borrowed)
                    .unwrap_or_else(|| directory.clone());
                (files, path)
            })
            .filter(|(_, path)| {
                if *path == directory {
                    self.persistent_data_mount().is_none()
                } else {
                    self.persistent_mount_over(path).is_none()
                }
            })
            .collect()
    }

    /// Whether a persistent volume is mounted at or above `directory` (EFS, FSx, a
    /// driver-managed Docker volume; also through `volumesFrom`).
    pub(crate) fn persistent_mount_over(&self, directory: &str) -> Option<String> {
        self.mount_over(directory, |durability| {
            matches!(
                durability,
                VolumeDurability::Persistent | VolumeDurability::DriverManaged
            )
        })
    }

    /// Whether storage bound to the EC2 instance (a host path, a local Docker volume) is
    /// mounted at or above `directory`: the data outlives the task, on that instance only.
    pub(crate) fn instance_mount_over(&self, directory: &str) -> Option<String> {
        self.mount_over(directory, |durability| {
            durability == VolumeDurability::InstanceLocal
        })
    }

    fn mount_over(
        &self,
        directory: &str,
        wanted: impl Fn(VolumeDurability) -> bool,
    ) -> Option<String> {
        self.definition
            .mounts_of(self.container)
            .into_iter()
            .find_map(|mount| {
                let volume = self.definition.volume(&mount.source_volume)?;
                (wanted(volume.durability()) && path_contains(&mount.container_path, directory))
                    .then(|| format!("{} at {}", volume.describe(), mount.container_path))
            })
    }

    /// The EFS file system mounted at or above the app's data directory, when one is.
    pub(crate) fn data_file_system(&self) -> Option<String> {
        let directory = self.data_directory()?;
        self.definition
            .mounts_of(self.container)
            .into_iter()
            .find_map(|mount| {
                let volume = self.definition.volume(&mount.source_volume)?;
                let efs = volume.efs_volume_configuration.as_ref()?;
                (path_contains(&mount.container_path, &directory) && !efs.file_system_id.is_empty())
                    .then(|| efs.file_system_id.clone())
            })
    }

    pub(crate) fn mounts_description(&self) -> String {
        let mounts = self.definition.mounts_of(self.container);
        if mounts.is_empty() {
            return "the container has no mount points".to_string();
        }
        let mounts: Vec<String> = mounts
            .iter()
            .map(|mount| {
                let kind = self
                    .definition
                    .volume(&mount.source_volume)
                    .map(|volume| volume.describe())
                    .unwrap_or_else(|| "undeclared volume".to_string());
                format!("{} ({kind})", mount.container_path)
            })
            .collect();
        format!("mount points: {}", mounts.join(", "))
    }
}

/// Whether `mount` is `directory` or one of its parents (path-component-wise).
pub(crate) fn path_contains(mount: &str, directory: &str) -> bool {
    let mount = normalise_path(mount);
    let directory = normalise_path(directory);
    mount == "/"
        || directory == mount
        || (directory.starts_with(mount) && directory.as_bytes().get(mount.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_contain_their_subdirectories_only() {
        assert!(path_contains("/home/coder", "/home/coder/.config/coderv2"));
        assert!(path_contains("/", "/data"));
        assert!(path_contains("/data/", "/data"));
        assert!(!path_contains("/home/cod", "/home/coder"));
        assert!(!path_contains("/data/x", "/data"));
    }
}
