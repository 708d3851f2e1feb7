//! What `check` finds in a file: task definitions by name, and the errors of a file it cannot read.

use crate::model::TaskDefinition;

/// A task definition to check, by its name in the file. `definition` is `None` when nothing of
/// it can be checked (`not_checked` says why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resource {
    pub name: String,
    pub definition: Option<TaskDefinition>,
    /// The task definition before a planned change (Terraform's `before`), if it exists.
    pub before: Option<TaskDefinition>,
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
