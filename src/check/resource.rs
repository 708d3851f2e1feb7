//! What `check` finds in a file: task definitions by name, with their lines and what of them could not be checked.

use super::lines::Lines;
use crate::model::TaskDefinition;

/// A task definition to check, by its name in the file. `definition` is `None` when nothing of
/// it can be checked (`not_checked` says why).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Resource {
    pub name: String,
    pub definition: Option<TaskDefinition>,
    /// The task definition before a planned change (Terraform's `before`), if it exists.
    pub before: Option<TaskDefinition>,
    pub not_checked: Vec<String>,
    /// The line (1-based) where it starts in its file, when the file is text.
    pub line: Option<usize>,
    /// Where its containers and settings are written.
    pub lines: Lines,
    /// Values taken from template parameters' `Default`s.
    pub judged_on_defaults: Vec<JudgedOnDefault>,
    /// Every template parameter whose `Default` the task definition was read with.
    pub parameter_defaults: Vec<String>,
    /// The parameters its template declares.
    pub declared_parameters: Vec<String>,
    /// Containers whose data storage is known only at deployment: no verdict on where their
    /// data lives (`not_checked` says why).
    pub storage_undecided: Vec<String>,
}

/// A container's value that a template takes from parameters' `Default`s (`!Ref P`): what
/// the check judged may differ in a stack deployed with other values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JudgedOnDefault {
    pub container: String,
    /// `image`, `mount` (a mount point), or the setting's name.
    pub field: String,
    pub parameters: Vec<String>,
}

impl JudgedOnDefault {
    /// Whether a finding rests on this value: the image names the app and its version; a
    /// mount point decides where data is stored; a setting counts where the finding's
    /// evidence names it.
    pub(crate) fn concerns(&self, finding: &crate::finding::Finding) -> bool {
        finding.location.container.as_deref() == Some(self.container.as_str())
            && match self.field.as_str() {
                "image" => true,
                "mount" => finding.rule.judges_data_storage(),
                setting => finding.evidence.iter().any(|line| line.contains(setting)),
            }
    }
}
