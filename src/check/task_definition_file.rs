//! ECS task definition files: RegisterTaskDefinition input (what `aws ecs
//! register-task-definition --cli-input-json` and `amazon-ecs-render-task-definition` take) or
//! DescribeTaskDefinition output (`{"taskDefinition": {...}}`), in the ECS API's camelCase.

use super::document::{Document, InputError};
use super::lines::Lines;
use super::resource::Resource;
use crate::model::TaskDefinition;

/// The task definition in an ECS task definition file (RegisterTaskDefinition input or
/// DescribeTaskDefinition output).
pub(crate) fn decode(document: &Document) -> Result<Vec<Resource>, InputError> {
    let value = &document.value;
    let (definition, pointer) = match value.get("taskDefinition") {
        Some(inner) if inner.get("containerDefinitions").is_some() => {
            (inner, "/taskDefinition/containerDefinitions")
        }
        _ if value.get("containerDefinitions").is_some() => (value, "/containerDefinitions"),
        _ => return Err(InputError::UnknownKind),
    };
    let definition: TaskDefinition =
        serde_json::from_value(definition.clone()).map_err(|error| InputError::Malformed {
            what: "task definition".to_string(),
            problem: error.to_string(),
        })?;
    let lines = Lines::of_containers(document, pointer, &definition, ["environment", "secrets"]);
    Ok(vec![Resource {
        name: definition.short_name(),
        definition: Some(definition),
        line: Some(1),
        lines,
        ..Default::default()
    }])
}
