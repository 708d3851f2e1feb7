//! Terraform plans (`terraform show -json PLAN`): every `aws_ecs_task_definition` in
//! `resource_changes`, modules included, as it will be after apply. `container_definitions` is
//! a JSON string in the ECS API's camelCase; `volume` blocks are snake_case lists. A value
//! Terraform cannot know before apply (`after_unknown`) is reported as not checked.

use super::document::{Document, InputError};
use super::planned_secrets::PlannedSecrets;
use super::resource::Resource;
use crate::model::{ContainerDefinition, TaskDefinition, Volume};
use serde_json::{Value, json};

const TASK_DEFINITION: &str = "aws_ecs_task_definition";

/// The task definitions a plan creates, updates or keeps (not those it only deletes).
pub(crate) fn decode(document: &Document) -> Result<Vec<Resource>, InputError> {
    let changes = document
        .value
        .get("resource_changes")
        .and_then(Value::as_array)
        .ok_or_else(|| InputError::Malformed {
            what: "Terraform plan".to_string(),
            problem: "no resource_changes list (write it with `terraform show -json PLAN`)"
                .to_string(),
        })?;
    let secrets = PlannedSecrets::of(changes);
    let mut resources = Vec::new();
    for (index, change) in changes.iter().enumerate() {
        if change.get("type").and_then(Value::as_str) != Some(TASK_DEFINITION)
            || change.get("mode").and_then(Value::as_str) == Some("data")
        {
            continue;
        }
        let address = change
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or(TASK_DEFINITION)
            .to_string();
        let details = change.get("change").unwrap_or(&Value::Null);
        let actions: Vec<&str> = details
            .get("actions")
            .and_then(Value::as_array)
            .map(|actions| actions.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if actions == ["delete"] {
            continue;
        }
        let mut resource = resource(address, details)?;
        if let Some(definition) = &mut resource.definition {
            secrets.fill(definition);
        }
        resource.line = document.line(&format!("/resource_changes/{index}"));
        resources.push(resource);
    }
    Ok(resources)
}

fn resource(address: String, change: &Value) -> Result<Resource, InputError> {
    let after = change.get("after").unwrap_or(&Value::Null);
    let unknown = change.get("after_unknown").unwrap_or(&Value::Null);
    let mut not_checked = Vec::new();
    let definitions = match after.get("container_definitions").and_then(Value::as_str) {
        Some(text) => Some(text),
        None if unknown.get("container_definitions") == Some(&Value::Bool(true)) => {
            not_checked.push(
                "container_definitions is not known until apply (a value inside its jsonencode() comes from another resource): none of its containers could be checked"
                    .to_string(),
            );
            None
        }
        None => {
            not_checked.push("the plan holds no container_definitions for it".to_string());
            None
        }
    };
    if unknown.get("volume") == Some(&Value::Bool(true)) {
        not_checked.push(
            "its volume blocks are not known until apply: where the data lives could not be checked"
                .to_string(),
        );
    }
    let Some(text) = definitions.filter(|_| not_checked.is_empty()) else {
        return Ok(Resource {
            name: address,
            definition: None,
            not_checked,
            ..Default::default()
        });
    };
    let definition = definition_of(&address, after, text)?;
    // The task definition as it is now, when the plan changes one that exists: what the change
    // takes away is judged against it (`persistence-removed`).
    let before = change
        .get("before")
        .filter(|before| before.is_object())
        .and_then(|before| {
            let text = before.get("container_definitions")?.as_str()?;
            definition_of(&address, before, text).ok()
        });
    Ok(Resource {
        name: address,
        definition: Some(definition),
        before,
        not_checked,
        ..Default::default()
    })
}

/// A task definition from a plan's `before` or `after` values and its `container_definitions`.
fn definition_of(
    address: &str,
    values: &Value,
    containers: &str,
) -> Result<TaskDefinition, InputError> {
    let containers: Vec<ContainerDefinition> =
        serde_json::from_str(containers).map_err(|error| InputError::Malformed {
            what: format!("{address}: container_definitions"),
            problem: error.to_string(),
        })?;
    let volumes = values
        .get("volume")
        .and_then(Value::as_array)
        .map(|blocks| blocks.iter().map(volume).collect::<Result<Vec<_>, _>>())
        .transpose()
        .map_err(|error| InputError::Malformed {
            what: format!("{address}: volume"),
            problem: error.to_string(),
        })?
        .unwrap_or_default();
    Ok(TaskDefinition {
        arn: String::new(),
        family: values
            .get("family")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        revision: 0,
        execution_role_arn: values
            .get("execution_role_arn")
            .and_then(Value::as_str)
            .map(str::to_string),
        task_role_arn: values
            .get("task_role_arn")
            .and_then(Value::as_str)
            .map(str::to_string),
        container_definitions: containers,
        volumes,
        requires_compatibilities: values
            .get("requires_compatibilities")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        network_mode: values
            .get("network_mode")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// A `volume` block in the ECS API's shape. A nested value unknown until apply (an EFS file
/// system created by the same plan) leaves the block, which is what decides where data lives.
fn volume(block: &Value) -> Result<Volume, serde_json::Error> {
    let first = |name: &str| {
        block
            .get(name)
            .and_then(Value::as_array)
            .and_then(|list| list.first())
            .cloned()
    };
    let text =
        |value: &Value, name: &str| value.get(name).and_then(Value::as_str).map(str::to_string);
    let mut ecs = json!({ "name": block.get("name").cloned().unwrap_or(Value::Null) });
    if let Some(path) = block.get("host_path").and_then(Value::as_str) {
        ecs["host"] = json!({ "sourcePath": path });
    }
    if let Some(efs) = first("efs_volume_configuration") {
        ecs["efsVolumeConfiguration"] = json!({
            "fileSystemId": text(&efs, "file_system_id").unwrap_or_else(|| "(known after apply)".to_string()),
            "rootDirectory": text(&efs, "root_directory"),
        });
    }
    if let Some(docker) = first("docker_volume_configuration") {
        ecs["dockerVolumeConfiguration"] = json!({
            "scope": text(&docker, "scope"),
            "driver": text(&docker, "driver"),
        });
    }
    if let Some(fsx) = first("fsx_windows_file_server_volume_configuration") {
        ecs["fsxWindowsFileServerVolumeConfiguration"] = fsx;
    }
    if let Some(at_launch) = block.get("configure_at_launch").and_then(Value::as_bool) {
        ecs["configuredAtLaunch"] = Value::Bool(at_launch);
    }
    serde_json::from_value(ecs)
}
