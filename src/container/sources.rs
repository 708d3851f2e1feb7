//! Where a profiled container's setting is set: the lookups over every source in
//! `setting.rs`, and the sources the auditor cannot read (`Unseen`).

use super::app::AppContainer;
use super::setting::{
    SHELLS, Setting, SettingSource, Unseen, argument_value, script_may_set_variables,
    sets_in_script,
};
use crate::redact;

impl<'a> AppContainer<'a> {
    /// The script of a shell command line (`sh -c SCRIPT`), if the container runs one.
    fn shell_script(&self) -> Option<String> {
        let line: Vec<&String> = self
            .container
            .entry_point
            .iter()
            .chain(&self.container.command)
            .collect();
        let shell = line.first()?;
        let name = shell.rsplit('/').next().unwrap_or(shell);
        if !SHELLS.contains(&name) {
            return None;
        }
        let dash_c = line
            .iter()
            .position(|word| word.starts_with('-') && word.contains('c'))?;
        Some(
            line[dash_c + 1..]
                .iter()
                .map(|word| word.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    /// A setting's value where the auditor knows it: what it sees, or a secret's value known
    /// from a plan or read when asked ([`crate::model::KnownValue`]). Judged, never shown
    /// unless [`Setting::seen_value`] has it too.
    pub(crate) fn known_value(&self, setting: &Setting<'a>) -> Option<&'a str> {
        setting.seen_value().or_else(|| match setting.source {
            SettingSource::Secret(_) => self
                .container
                .secret(setting.name)
                .and_then(|secret| secret.known_value.as_ref())
                .map(|value| value.0.as_str()),
            _ => None,
        })
    }

    /// Finds a setting where ECS and the app would: `secrets` and `environment` (non-empty)
    /// first, then environment files read (the first file that has it), then the file the
    /// app reads it from (`X_FILE`), a command-line argument, or a shell command setting it.
    pub(crate) fn setting(&self, name: &'a str) -> Option<Setting<'a>> {
        if let Some(secret) = self.container.secret(name) {
            return Some(Setting {
                name,
                source: SettingSource::Secret(&secret.value_from),
            });
        }
        if let Some(variable) = self
            .container
            .environment
            .iter()
            .rev()
            .find(|variable| variable.name == name)
            .filter(|variable| !variable.value.trim().is_empty())
        {
            let value = variable.value.as_str();
            return Some(Setting {
                name,
                source: if variable.value_known() {
                    SettingSource::Environment(value)
                } else {
                    SettingSource::AtDeployment(value)
                },
            });
        }
        // ECS agent container.go MergeEnvironmentVariablesFromEnvfiles: files in order, the
        // first one that sets a name wins, and `environment` wins over them all.
        for file in &self.container.environment_files {
            let Some(variables) = self.task.environment_files.read.get(&file.value) else {
                continue;
            };
            if let Some(variable) = variables
                .iter()
                .find(|variable| variable.name == name && !variable.value.trim().is_empty())
            {
                return Some(Setting {
                    name,
                    source: SettingSource::EnvironmentFile {
                        file: &file.value,
                        value: &variable.value,
                    },
                });
            }
        }
        if let Some(setting) = self.setting_from_file(name) {
            return Some(setting);
        }
        if let Some(database) = &self.facts.database
            && let Some(value) = database
                .arguments
                .iter()
                .filter(|argument| argument.setting == name)
                .find_map(|argument| self.argument(&argument.prefix))
        {
            return Some(Setting {
                name,
                source: SettingSource::Argument(value),
            });
        }
        if self
            .shell_script()
            .is_some_and(|script| sets_in_script(&script, name))
        {
            return Some(Setting {
                name,
                source: SettingSource::Script,
            });
        }
        None
    }

    /// The value a command-line argument gives: `--db=postgres`, or `--db postgres` for a
    /// prefix ending in `=` (the last one wins, as command-line parsers do).
    pub(crate) fn argument(&self, prefix: &str) -> Option<&'a str> {
        argument_value(&self.container.entry_point, &self.container.command, prefix)
    }

    fn setting_from_file(&self, name: &str) -> Option<Setting<'a>> {
        let suffix = self.facts.file_suffix.as_deref()?;
        if !self.facts.file_settings.is_empty()
            && !self
                .facts
                .file_settings
                .iter()
                .any(|setting| setting == name)
        {
            return None;
        }
        self.container
            .environment
            .iter()
            .rev()
            .find(|variable| {
                variable.name.strip_suffix(suffix) == Some(name)
                    && !variable.value.trim().is_empty()
            })
            .map(|variable| Setting {
                name: &variable.name,
                source: SettingSource::File(&variable.value),
            })
    }

    /// Places a setting may come from that the auditor cannot read: environment files not
    /// read, a shell command that may set variables, a custom image's own settings.
    pub(crate) fn unseen_sources(&self) -> Vec<Unseen> {
        let mut unseen: Vec<Unseen> = self
            .container
            .environment_files
            .iter()
            .filter(|file| !self.task.environment_files.read.contains_key(&file.value))
            .map(|file| Unseen::EnvironmentFile {
                arn: file.value.clone(),
                why: if !file.kind.is_empty() && file.kind != "s3" {
                    "not an S3 object"
                } else if self.task.environment_files.reading_enabled {
                    "it could not be read"
                } else {
                    "not read: READ_ENVIRONMENT_FILES is off"
                },
            })
            .collect();
        if let Some(script) = self.shell_script()
            && script_may_set_variables(&script)
        {
            unseen.push(Unseen::ShellCommand {
                command_line: script,
            });
        }
        if !self
            .profile
            .has_image(crate::profiles::image_repository(&self.container.image))
        {
            unseen.push(Unseen::AppDetects {
                how: format!(
                    "image {} is not {}'s own ({}) but was recognised by its settings: its \
                     Dockerfile may set the database setting, which the task definition does not show",
                    redact::truncate_chars(&self.container.image, 200),
                    self.profile.name,
                    self.profile.images.join(", ")
                ),
            });
        }
        unseen
    }
}
