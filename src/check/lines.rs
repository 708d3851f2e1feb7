//! Where things are written in a file `check` read: the lines of a task definition's
//! containers and their settings, for SARIF results.

use super::document::Document;
use crate::model::TaskDefinition;

/// Where a task definition's containers and their settings start in a file (1-based lines),
/// where the file is text a person edits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    /// By container name.
    pub containers: Vec<(String, usize)>,
    /// By container and setting name (`environment` and `secrets` entries).
    pub settings: Vec<(String, String, usize)>,
}

impl Lines {
    /// The lines of `definition`'s containers, whose list is at `pointer` in `document`
    /// (`/containerDefinitions`), with their `environment` and `secrets` entries under
    /// `keys` (`["environment", "secrets"]`, or CloudFormation's `Environment`, `Secrets`).
    pub(crate) fn of_containers(
        document: &Document,
        pointer: &str,
        definition: &TaskDefinition,
        keys: [&str; 2],
    ) -> Lines {
        let mut lines = Lines::default();
        for (index, container) in definition.container_definitions.iter().enumerate() {
            let at = format!("{pointer}/{index}");
            if let Some(line) = document.line(&at) {
                lines.containers.push((container.name.clone(), line));
            }
            let names = [
                container
                    .environment
                    .iter()
                    .map(|variable| variable.name.as_str())
                    .collect::<Vec<_>>(),
                container
                    .secrets
                    .iter()
                    .map(|secret| secret.name.as_str())
                    .collect(),
            ];
            for (key, names) in keys.iter().zip(names) {
                for (entry, name) in names.into_iter().enumerate() {
                    if let Some(line) = document.line(&format!("{at}/{key}/{entry}")) {
                        lines
                            .settings
                            .push((container.name.clone(), name.to_string(), line));
                    }
                }
            }
        }
        lines
    }
}
