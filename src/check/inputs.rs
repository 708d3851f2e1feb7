//! What a checked file holds: which kind of file it is, and its task definitions.

use crate::model::TaskDefinition;
use serde_json::Value;

/// A task definition to check, by its name in the file. `definition` is `None` when nothing of
/// it can be checked (`not_checked` says why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resource {
    pub name: String,
    pub definition: Option<TaskDefinition>,
    pub not_checked: Vec<String>,
}

/// A file that cannot be read as any input `check` knows. The message names the problem.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error(
        "not a task definition (no containerDefinitions) nor a Terraform plan (no resource_changes)"
    )]
    UnknownKind,
    #[error("{what}: {problem}")]
    Malformed { what: String, problem: String },
}

/// The task definitions in a file: an ECS task definition (RegisterTaskDefinition input or
/// DescribeTaskDefinition output) or a Terraform plan.
pub(crate) fn decode(text: &str) -> Result<Vec<Resource>, InputError> {
    let value: Value =
        serde_json::from_str(text).map_err(|error| InputError::NotJson(error.to_string()))?;
    if value.get("resource_changes").is_some() || value.get("planned_values").is_some() {
        return super::terraform::decode(&value);
    }
    let definition = match value.get("taskDefinition") {
        Some(inner) if inner.get("containerDefinitions").is_some() => inner,
        _ if value.get("containerDefinitions").is_some() => &value,
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
        not_checked: Vec::new(),
    }])
}
