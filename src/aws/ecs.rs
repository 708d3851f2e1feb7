//! The ECS reads of [`super::AwsInventory`], converting SDK types into the crate's own.

use super::classify;
use crate::model::{
    ContainerDefinition, DockerVolume, EfsVolume, EnvironmentFile, EnvironmentVariable, HostEntry,
    HostVolume, LogConfiguration, MountPoint, ReadError, ReadFailure, SecretVariable, Service,
    TaskDefinition, TaskLocation, Volume, VolumeFrom,
};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::AssignPublicIp;

fn read_error(
    operation: &'static str,
    resource: String,
) -> impl Fn((ReadFailure, String)) -> ReadError {
    move |(failure, message)| ReadError {
        operation,
        resource: resource.clone(),
        failure,
        message,
    }
}

/// `ecs:ListClusters`, every page.
pub(crate) async fn list_clusters(client: &Client) -> Result<Vec<String>, ReadError> {
    let fail = read_error("ecs:ListClusters", "clusters".to_string());
    let mut arns = Vec::new();
    let mut pages = client.list_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| fail(classify(&error)))?;
        arns.extend(page.cluster_arns().iter().cloned());
    }
    Ok(arns)
}

/// `ecs:ListServices` of one cluster, every page.
pub(crate) async fn list_services(
    client: &Client,
    cluster: &str,
) -> Result<Vec<String>, ReadError> {
    let fail = read_error(
        "ecs:ListServices",
        format!("services of {}", crate::model::resource_name(cluster)),
    );
    let mut arns = Vec::new();
    let mut pages = client
        .list_services()
        .cluster(cluster)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| fail(classify(&error)))?;
        arns.extend(page.service_arns().iter().cloned());
    }
    Ok(arns)
}

/// `ecs:DescribeTaskDefinition`.
pub(crate) async fn describe_task_definition(
    client: &Client,
    arn: &str,
) -> Result<TaskDefinition, ReadError> {
    let fail = read_error("ecs:DescribeTaskDefinition", arn.to_string());
    let output = client
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|error| fail(classify(&error)))?;
    let definition = output.task_definition().ok_or_else(|| {
        fail((
            ReadFailure::NotFound,
            "the response holds no task definition".to_string(),
        ))
    })?;
    Ok(convert_task_definition(definition))
}

/// `ecs:DescribeServices` for one service.
pub(crate) async fn describe_service(
    client: &Client,
    cluster: &str,
    service: &str,
) -> Result<Service, ReadError> {
    let fail = read_error(
        "ecs:DescribeServices",
        format!(
            "service {service} in {}",
            crate::model::resource_name(cluster)
        ),
    );
    let output = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(|error| fail(classify(&error)))?;
    if let Some(found) = output.services().first() {
        return Ok(convert_service(found));
    }
    // DescribeServices answers an unknown service with a failure whose reason is `MISSING`.
    let reason = match output
        .failures()
        .first()
        .and_then(|failure| failure.reason())
    {
        None | Some("MISSING") => format!("the cluster has no service {service}"),
        Some(other) => other.to_string(),
    };
    Err(fail((ReadFailure::NotFound, reason)))
}

/// Finds a task by id in `clusters` with `ecs:DescribeTasks`.
pub(crate) async fn locate_task(
    client: &Client,
    clusters: &[String],
    task_id: &str,
) -> Result<TaskLocation, ReadError> {
    let fail = read_error("ecs:DescribeTasks", format!("task {task_id}"));
    for cluster in clusters {
        let output = client
            .describe_tasks()
            .cluster(cluster)
            .tasks(task_id)
            .send()
            .await
            .map_err(|error| fail(classify(&error)))?;
        if let Some(task) = output.tasks().iter().find(|task| {
            task.task_arn()
                .is_some_and(|arn| crate::model::resource_name(arn) == task_id)
        }) {
            return Ok(TaskLocation {
                task_arn: task.task_arn().unwrap_or_default().to_string(),
                cluster_arn: task.cluster_arn().unwrap_or(cluster).to_string(),
                task_definition_arn: task.task_definition_arn().unwrap_or_default().to_string(),
                group: task.group().map(str::to_string),
                network_interface: network_interface(task),
            });
        }
    }
    Err(fail((
        ReadFailure::NotFound,
        "no cluster holds this task (stopped tasks are kept for about an hour)".to_string(),
    )))
}

/// The `networkInterfaceId` of a task's ENI attachment.
fn network_interface(task: &aws_sdk_ecs::types::Task) -> Option<String> {
    task.attachments()
        .iter()
        .flat_map(|attachment| attachment.details())
        .find(|detail| detail.name() == Some("networkInterfaceId"))
        .and_then(|detail| detail.value())
        .map(str::to_string)
}

/// A running task of a service (`ecs:ListTasks`, then `ecs:DescribeTasks`): the newest one
/// started, with its ENI. `None`: the service runs no task.
pub(crate) async fn service_task(
    client: &Client,
    cluster: &str,
    service: &str,
) -> Result<Option<TaskLocation>, ReadError> {
    let listed = client
        .list_tasks()
        .cluster(cluster)
        .service_name(service)
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
        .send()
        .await
        .map_err(|error| {
            read_error("ecs:ListTasks", format!("service {service}"))(classify(&error))
        })?;
    let arns: Vec<String> = listed.task_arns().iter().take(100).cloned().collect();
    if arns.is_empty() {
        return Ok(None);
    }
    let described = client
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .map_err(|error| {
            read_error("ecs:DescribeTasks", format!("service {service}"))(classify(&error))
        })?;
    // A service's tasks are in the group `service:NAME` (the emulator's ListTasks ignores
    // serviceName, so this also keeps the answer right there).
    // `service` may be the service's ARN; the group always has its name.
    let group = format!("service:{}", crate::model::resource_name(service));
    let newest = described
        .tasks()
        .iter()
        .filter(|task| task.last_status() == Some("RUNNING"))
        .filter(|task| task.group() == Some(group.as_str()))
        .max_by_key(|task| task.started_at().map(|time| time.secs()));
    Ok(newest.map(|task| TaskLocation {
        task_arn: task.task_arn().unwrap_or_default().to_string(),
        cluster_arn: task.cluster_arn().unwrap_or(cluster).to_string(),
        task_definition_arn: task.task_definition_arn().unwrap_or_default().to_string(),
        group: task.group().map(str::to_string),
        network_interface: network_interface(task),
    }))
}

fn convert_task_definition(definition: &aws_sdk_ecs::types::TaskDefinition) -> TaskDefinition {
    TaskDefinition {
        arn: definition
            .task_definition_arn()
            .unwrap_or_default()
            .to_string(),
        family: definition.family().unwrap_or_default().to_string(),
        revision: i64::from(definition.revision()),
        execution_role_arn: definition.execution_role_arn().map(str::to_string),
        task_role_arn: definition.task_role_arn().map(str::to_string),
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
                        origin: Default::default(),
                    })
                    .collect(),
                secrets: container
                    .secrets()
                    .iter()
                    .map(|secret| SecretVariable {
                        name: secret.name().to_string(),
                        value_from: secret.value_from().to_string(),
                        origin: Default::default(),
                        known_value: None,
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
                entry_point: container.entry_point().to_vec(),
                command: container.command().to_vec(),
                environment_files: container
                    .environment_files()
                    .iter()
                    .map(|file| EnvironmentFile {
                        value: file.value().to_string(),
                        kind: file.r#type().as_str().to_string(),
                    })
                    .collect(),
                volumes_from: container
                    .volumes_from()
                    .iter()
                    .map(|from| VolumeFrom {
                        source_container: from.source_container().unwrap_or_default().to_string(),
                        read_only: from.read_only(),
                    })
                    .collect(),
                links: container.links().to_vec(),
                extra_hosts: container
                    .extra_hosts()
                    .iter()
                    .map(|host| HostEntry {
                        hostname: host.hostname().to_string(),
                        ip_address: host.ip_address().to_string(),
                    })
                    .collect(),
                essential: container.essential(),
                log_configuration: container.log_configuration().map(|logs| LogConfiguration {
                    log_driver: logs.log_driver().as_str().to_string(),
                    options: logs
                        .options()
                        .map(|options| {
                            options
                                .iter()
                                .map(|(key, value)| (key.clone(), value.clone()))
                                .collect()
                        })
                        .unwrap_or_default(),
                }),
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
        security_groups: service
            .network_configuration()
            .and_then(|network| network.awsvpc_configuration())
            .map(|awsvpc| awsvpc.security_groups().to_vec())
            .unwrap_or_default(),
        desired_count: service.desired_count(),
        launch_type: service
            .launch_type()
            .map(|launch| launch.as_str().to_string()),
    }
}
