//! `AppContainer`: a container a profile recognised, judged by the facts of its image's
//! version, and what it runs (the data-owning server or another role). Where its settings come
//! from is in `sources.rs`, how they choose the database in `database.rs`, where its data lives
//! in `storage.rs`.

use super::choice::DatabaseChoice;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::{ContainerDefinition, TaskContext, TaskDefinition};
use crate::profiles::command::RunsAs;
use crate::profiles::{Facts, Profile, Version, image_tag};
use crate::redact;

/// A container that a profile recognised, with everything its rules need.
pub(crate) struct AppContainer<'a> {
    pub task: &'a TaskContext,
    pub definition: &'a TaskDefinition,
    pub container: &'a ContainerDefinition,
    pub profile: &'a Profile,
    /// Which facts the image is judged by.
    pub version: Version<'a>,
    /// The facts of that version.
    pub facts: &'a Facts,
    /// `database_choice`, worked out once: every rule asks.
    pub(super) choice: std::cell::OnceCell<Option<DatabaseChoice<'a>>>,
}

impl<'a> AppContainer<'a> {
    pub(crate) fn new(
        task: &'a TaskContext,
        definition: &'a TaskDefinition,
        container: &'a ContainerDefinition,
        profile: &'a Profile,
    ) -> AppContainer<'a> {
        let version = profile.version_of(&container.image);
        AppContainer {
            task,
            definition,
            container,
            profile,
            facts: profile.facts_of(&version),
            version,
            choice: std::cell::OnceCell::new(),
        }
    }

    /// The command line the container runs, when the profile knows the image's own.
    pub(crate) fn command_line(&self) -> Vec<String> {
        match &self.facts.commands {
            Some(commands) => {
                commands.command_line(&self.container.entry_point, &self.container.command)
            }
            None => self
                .container
                .entry_point
                .iter()
                .chain(&self.container.command)
                .cloned()
                .collect(),
        }
    }

    /// What the container runs: the data-owning server, another role, or unknown.
    pub(crate) fn runs_as(&self) -> RunsAs<'a> {
        match &self.facts.commands {
            Some(commands) => commands.role(&self.command_line()),
            None => RunsAs::Server,
        }
    }

    pub(crate) fn location(&self) -> Location {
        Location {
            container: Some(self.container.name.clone()),
            ..self.task.location()
        }
    }

    /// A finding about this container. When the image's version decided which facts were
    /// used, or could not be told, the finding says so.
    pub(crate) fn finding(&self, rule: RuleId, severity: Severity, summary: String) -> Finding {
        let mut finding = Finding::new(rule, severity, summary);
        finding.app = Some(self.profile.name.clone());
        finding.location = self.location();
        finding
            .facts
            .insert("task_definition".to_string(), self.definition.short_name());
        match self.version {
            Version::Variant(variant) => {
                finding
                    .facts
                    .insert("image_version".to_string(), variant.name.clone());
            }
            Version::Unknown => {
                finding.facts.insert(
                    "image_version".to_string(),
                    format!(
                        "unknown ({}): judged by the newest version",
                        image_tag(&self.container.image).unwrap_or("a digest")
                    ),
                );
            }
            Version::Newest => {}
        }
        finding
    }

    /// An evidence line saying which facts judged the image, when its version mattered.
    pub(crate) fn version_evidence(&self) -> Option<String> {
        let image = redact::truncate_chars(&self.container.image, 200);
        match self.version {
            Version::Variant(variant) => Some(format!("image {image} is {}", variant.name)),
            Version::Unknown => Some(format!(
                "image {image} does not say which version of {} it runs: judged by the newest version's settings",
                self.profile.name
            )),
            Version::Newest => None,
        }
    }
}
