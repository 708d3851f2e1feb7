//! [`Inventory`] over the ECS API, converting SDK types into the crate's own.

use super::classify;
use crate::context::{
    ContainerDefinition, DockerVolume, EfsVolume, EnvironmentVariable, HostVolume, MountPoint,
    ReadError, ReadFailure, SecretVariable, Service, TaskDefinition, TaskLocation, Volume,
};
use crate::inventory::Inventory;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::AssignPublicIp;

/// Reads ECS through the SDK. `clusters` narrows where [`Inventory::locate_task`] looks; empty
/// means every cluster in the account and region (`ecs:ListClusters`).
#[derive(Clone, Debug)]
pub struct EcsInventory {
    client: Client,
    clusters: Vec<String>,
}

impl EcsInventory {
    pub fn new(client: Client, clusters: Vec<String>) -> Self {
        EcsInventory { client, clusters }
    }

    async fn cluster_arns(&self) -> Result<Vec<String>, ReadError> {
        if !self.clusters.is_empty() {
            return Ok(self.clusters.clone());
        }
        let mut arns = Vec::new();
        let mut pages = self.client.list_clusters().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| {
                let (failure, message) = classify(&error);
                ReadError {
                    operation: "ecs:ListClusters",
                    resource: "clusters".to_string(),
                    failure,
                    message,
                }
            })?;
            arns.extend(page.cluster_arns().iter().cloned());
        }
        Ok(arns)
    }
}

impl Inventory for EcsInventory {
    async fn task_definition(&self, arn: &str) -> Result<TaskDefinition, ReadError> {
        let read_error = |failure, message| ReadError {
            operation: "ecs:DescribeTaskDefinition",
            resource: arn.to_string(),
            failure,
            message,
        };
        let output = self
            .client
            .describe_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(|error| {
                let (failure, message) = classify(&error);
                read_error(failure, message)
            })?;
        let definition = output.task_definition().ok_or_else(|| {
            read_error(
                ReadFailure::NotFound,
                "the response holds no task definition".to_string(),
            )
        })?;
        Ok(convert_task_definition(definition))
    }

    async fn service(&self, cluster: &str, service: &str) -> Result<Service, ReadError> {
        let read_error = |failure, message| ReadError {
            operation: "ecs:DescribeServices",
            resource: format!(
                "service {service} in {}",
                crate::context::resource_name(cluster)
            ),
            failure,
            message,
        };
        let output = self
            .client
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|error| {
                let (failure, message) = classify(&error);
                read_error(failure, message)
            })?;
        if let Some(found) = output.services().first() {
            return Ok(convert_service(found));
        }
        let reason = output
            .failures()
            .first()
            .and_then(|failure| failure.reason())
            .unwrap_or("no such service")
            .to_string();
        Err(read_error(ReadFailure::NotFound, reason))
    }

    async fn locate_task(&self, task_id: &str) -> Result<TaskLocation, ReadError> {
        let read_error = |failure, message| ReadError {
            operation: "ecs:DescribeTasks",
            resource: format!("task {task_id}"),
            failure,
            message,
        };
        for cluster in self.cluster_arns().await? {
            let output = self
                .client
                .describe_tasks()
                .cluster(&cluster)
                .tasks(task_id)
                .send()
                .await
                .map_err(|error| {
                    let (failure, message) = classify(&error);
                    read_error(failure, message)
                })?;
            if let Some(task) = output.tasks().iter().find(|task| {
                task.task_arn()
                    .is_some_and(|arn| crate::context::resource_name(arn) == task_id)
            }) {
                return Ok(TaskLocation {
                    task_arn: task.task_arn().unwrap_or_default().to_string(),
                    cluster_arn: task.cluster_arn().unwrap_or(&cluster).to_string(),
                    task_definition_arn: task.task_definition_arn().unwrap_or_default().to_string(),
                    group: task.group().map(str::to_string),
                });
            }
        }
        Err(read_error(
            ReadFailure::NotFound,
            "no cluster holds this task (stopped tasks are kept for about an hour)".to_string(),
        ))
    }
}

fn convert_task_definition(definition: &aws_sdk_ecs::types::TaskDefinition) -> TaskDefinition {
    TaskDefinition {
        arn: definition
            .task_definition_arn()
            .unwrap_or_default()
            .to_string(),
        family: definition.family().unwrap_or_default().to_string(),
        revision: i64::from(definition.revision()),
        container_definitions: definition
            .container_definitions()
            .iter()
            .map(|container| ContainerDefinition {
                name: container.name().unwrap_or_default().to_string(),
                image: container.image().unwrap_or_default().to_string(),
                environment: container
                    .environment()
                    .iter()
                    .map(|pair| EnvironmentVariable {
                        name: pair.name().unwrap_or_default().to_string(),
                        value: pair.value().unwrap_or_default().to_string(),
                    })
                    .collect(),
                secrets: container
                    .secrets()
                    .iter()
                    .map(|secret| SecretVariable {
                        name: secret.name().to_string(),
                        value_from: secret.value_from().to_string(),
                    })
                    .collect(),
                mount_points: container
                    .mount_points()
                    .iter()
                    .map(|mount| MountPoint {
                        source_volume: mount.source_volume().unwrap_or_default().to_string(),
                        container_path: mount.container_path().unwrap_or_default().to_string(),
                        read_only: mount.read_only(),
                    })
                    .collect(),
                essential: container.essential(),
            })
            .collect(),
        volumes: definition
            .volumes()
            .iter()
            .map(|volume| Volume {
                name: volume.name().unwrap_or_default().to_string(),
                efs_volume_configuration: volume.efs_volume_configuration().map(|efs| EfsVolume {
                    file_system_id: efs.file_system_id().to_string(),
                    root_directory: efs.root_directory().map(str::to_string),
                }),
                fsx_windows_file_server_volume_configuration: volume
                    .fsx_windows_file_server_volume_configuration()
                    .map(|_| serde_json::Value::Bool(true)),
                docker_volume_configuration: volume.docker_volume_configuration().map(|docker| {
                    DockerVolume {
                        scope: docker.scope().map(|scope| scope.as_str().to_string()),
                        driver: docker.driver().map(str::to_string),
                    }
                }),
                host: volume.host().map(|host| HostVolume {
                    source_path: host.source_path().map(str::to_string),
                }),
                configured_at_launch: volume.configured_at_launch(),
            })
            .collect(),
        requires_compatibilities: definition
            .requires_compatibilities()
            .iter()
            .map(|compatibility| compatibility.as_str().to_string())
            .collect(),
        network_mode: definition
            .network_mode()
            .map(|mode| mode.as_str().to_string()),
    }
}

fn convert_service(service: &aws_sdk_ecs::types::Service) -> Service {
    Service {
        arn: service.service_arn().unwrap_or_default().to_string(),
        name: service.service_name().unwrap_or_default().to_string(),
        cluster_arn: service.cluster_arn().unwrap_or_default().to_string(),
        task_definition: service.task_definition().unwrap_or_default().to_string(),
        load_balancers: service.load_balancers().len(),
        service_registries: service.service_registries().len(),
        assign_public_ip: service
            .network_configuration()
            .and_then(|network| network.awsvpc_configuration())
            .and_then(|awsvpc| awsvpc.assign_public_ip())
            .map(|assign| *assign == AssignPublicIp::Enabled),
        desired_count: service.desired_count(),
        launch_type: service
            .launch_type()
            .map(|launch| launch.as_str().to_string()),
    }
}
