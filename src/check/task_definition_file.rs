//! ECS task definition files: RegisterTaskDefinition input (what `aws ecs
//! register-task-definition --cli-input-json` and `amazon-ecs-render-task-definition` take) or
//! DescribeTaskDefinition output (`{"taskDefinition": {...}}`), in the ECS API's camelCase.

use super::resource::{InputError, Resource};
use crate::model::TaskDefinition;
use serde_json::Value;

/// The task definition in an ECS task definition file (RegisterTaskDefinition input or
/// DescribeTaskDefinition output).
pub(crate) fn decode(value: &Value) -> Result<Vec<Resource>, InputError> {
    let definition = match value.get("taskDefinition") {
        Some(inner) if inner.get("containerDefinitions").is_some() => inner,
        _ if value.get("containerDefinitions").is_some() => value,
        _ => return Err(InputError::UnknownKind),
    };
    let definition: TaskDefinition =
        serde_json::from_value(definition.clone()).map_err(|error| InputError::Malformed {
            what: "task definition".to_string(),
            problem: error.to_string(),
        })?;
    Ok(vec![Resource {
        name: definition.short_name(),
        definition: Some(definition),
        before: None,
        not_checked: Vec::new(),
    }])
}
