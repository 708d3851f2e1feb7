//! The container view the configuration rules share: a container a profile recognised,
//! judged by the facts of its image's version, what it runs (the server or another role),
//! where each setting comes from, and how its settings choose the database.

pub mod storage;

use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::{ContainerDefinition, TaskContext, TaskDefinition, VolumeDurability};
use crate::profiles::command::RunsAs;
use crate::profiles::{
    DatabaseSettings, Facts, KeptFiles, Profile, UnknownValue, Version, image_tag, normalise_path,
};
use crate::redact;
use std::borrow::Cow;

/// A container that a profile recognised, with everything its rules need.
pub struct AppContainer<'a> {
    pub task: &'a TaskContext,
    pub definition: &'a TaskDefinition,
    pub container: &'a ContainerDefinition,
    pub profile: &'a Profile,
    /// Which facts the image is judged by.
    pub version: Version<'a>,
    /// The facts of that version.
    pub facts: &'a Facts,
    /// `database_choice`, worked out once: every rule asks.
    choice: std::cell::OnceCell<Option<DatabaseChoice<'a>>>,
}

/// Where a setting's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingSource<'a> {
    /// A plain `environment` value.
    Environment(&'a str),
    /// A `secrets` entry and its `valueFrom`.
    Secret(&'a str),
    /// An `environment` value naming a file the app reads the setting from at start-up
    /// (the profile's `file_suffix`, e.g. `DATABASE_URL_FILE`); what the file holds is unseen.
    File(&'a str),
    /// A line of an `environmentFiles` object the auditor read (`READ_ENVIRONMENT_FILES`):
    /// judged like `environment`, but its value is never shown.
    EnvironmentFile { file: &'a str, value: &'a str },
    /// A command-line argument that sets it (`-Dsonar.jdbc.url=...`).
    Argument(&'a str),
    /// A shell command (`sh -c "export X=..."`) that sets it; the value is unseen.
    Script,
    /// A host the app takes as its database resolves in the container (`links`,
    /// `extraHosts`); `name` is the host.
    Host,
}

/// A named setting of a container and where its value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting<'a> {
    pub name: &'a str,
    pub source: SettingSource<'a>,
}

impl Setting<'_> {
    /// How the setting appears in evidence; plain values are redacted, values from
    /// environment files and scripts never shown.
    pub fn describe(&self) -> String {
        match self.source {
            SettingSource::Environment(value) => format!(
                "environment {} = {}",
                self.name,
                redact::display_setting_value(self.name, value)
            ),
            SettingSource::Secret(value_from) => format!(
                "secrets {} from {}",
                self.name,
                describe_value_from(value_from)
            ),
            SettingSource::File(path) => format!(
                "environment {} = {} (a file the app reads the setting from)",
                self.name,
                redact::display_setting_value(self.name, path)
            ),
            SettingSource::EnvironmentFile { file, .. } => format!(
                "{} set in environment file {}",
                self.name,
                redact::truncate_chars(file, 300)
            ),
            SettingSource::Argument(value) => format!(
                "command argument {} = {}",
                self.name,
                redact::display_setting_value(self.name, value)
            ),
            SettingSource::Script => format!("{} set by the container's shell command", self.name),
            SettingSource::Host => format!(
                "host {} resolves in the container (links or extraHosts), which the image takes as its database",
                self.name
            ),
        }
    }

    /// The value, where the auditor sees it and may judge it.
    pub fn seen_value(&self) -> Option<&str> {
        match self.source {
            SettingSource::Environment(value)
            | SettingSource::Argument(value)
            | SettingSource::EnvironmentFile { value, .. } => Some(value),
            SettingSource::Secret(_)
            | SettingSource::File(_)
            | SettingSource::Script
            | SettingSource::Host => None,
        }
    }
}

/// A `valueFrom` as written when it is a well-formed reference (`...:password::` names a
/// JSON key; it is not a secret), redacted when it is not a reference at all.
pub fn describe_value_from(value_from: &str) -> String {
    if crate::inspect::secret_reference::check(value_from).is_ok() {
        redact::truncate_chars(value_from, 300)
    } else {
        redact::truncate_chars(&redact::redact_text(value_from), 300)
    }
}

/// A place a setting may come from that the auditor cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unseen {
    /// An `environmentFiles` object not read: its ARN and why.
    EnvironmentFile { arn: String, why: &'static str },
    /// A shell command that may set variables the auditor cannot follow.
    ShellCommand { command_line: String },
    /// The app picks its database by itself when nothing is set (the profile says how).
    AppDetects { how: String },
}

impl Unseen {
    /// A sentence for the evidence: where `setting` may come from.
    pub fn describe(&self, setting: &str) -> String {
        match self {
            Unseen::EnvironmentFile { arn, why } => format!(
                "{setting} may be set in environment file {} ({why})",
                redact::truncate_chars(arn, 300)
            ),
            Unseen::ShellCommand { command_line } => format!(
                "{setting} may be set by the shell command `{}`",
                redact::truncate_chars(&redact::redact_text(command_line), 200)
            ),
            Unseen::AppDetects { how } => how.clone(),
        }
    }
}

/// What a container's settings make of its database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseChoice<'a> {
    /// These settings select an external database.
    External(Vec<Setting<'a>>),
    /// The embedded database: chosen by this setting, or by setting nothing.
    Embedded(Option<Setting<'a>>),
    /// A setting the app cannot use, so it silently falls back to its embedded database.
    Invalid(Invalid<'a>),
    /// A value the app rejects at start-up, or an image that refuses its embedded database:
    /// it fails loudly, so nothing to report here.
    Unrecognised,
    /// The deciding setting may come from where the auditor cannot look.
    Undecided(Vec<Unseen>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid<'a> {
    pub setting: Setting<'a>,
    pub problem: String,
    /// A missing part of a group that an unseen source may still provide.
    pub incomplete_group: bool,
}

/// Shells whose `-c` script may set variables.
const SHELLS: [&str; 6] = ["sh", "bash", "ash", "dash", "zsh", "busybox"];

impl<'a> AppContainer<'a> {
    pub fn new(
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
    pub fn command_line(&self) -> Vec<String> {
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
    pub fn runs_as(&self) -> RunsAs<'a> {
        match &self.facts.commands {
            Some(commands) => commands.role(&self.command_line()),
            None => RunsAs::Server,
        }
    }

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

    /// Finds a setting where ECS and the app would: `secrets` and `environment` (non-empty)
    /// first, then environment files read (the first file that has it), then the file the
    /// app reads it from (`X_FILE`), a command-line argument, or a shell command setting it.
    pub fn setting(&self, name: &'a str) -> Option<Setting<'a>> {
        if let Some(secret) = self.container.secret(name) {
            return Some(Setting {
                name,
                source: SettingSource::Secret(&secret.value_from),
            });
        }
        if let Some(value) = self
            .container
            .env(name)
            .filter(|value| !value.trim().is_empty())
        {
            return Some(Setting {
                name,
                source: SettingSource::Environment(value),
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
    pub fn argument(&self, prefix: &str) -> Option<&'a str> {
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
    pub fn unseen_sources(&self) -> Vec<Unseen> {
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

    pub fn database(&self) -> Option<&'a DatabaseSettings> {
        self.facts.database.as_ref()
    }

    /// How the container's settings choose the database.
    pub fn database_choice(&self) -> Option<DatabaseChoice<'a>> {
        self.choice.get_or_init(|| self.choose_database()).clone()
    }

    fn choose_database(&self) -> Option<DatabaseChoice<'a>> {
        let database = self.database()?;
        if self.facts.embedded_database_refused.is_some() {
            return Some(DatabaseChoice::Unrecognised);
        }
        if let Some(reason) = self.facts.database_settings_ignored.as_deref() {
            // This image reads none of the settings: whatever is set, the data stays inside.
            return Some(
                match database.all_names().find_map(|name| self.setting(name)) {
                    Some(setting) => DatabaseChoice::Invalid(Invalid {
                        setting,
                        problem: format!(
                            "{reason}: image {} ignores {}, so it uses its {}",
                            redact::truncate_chars(&self.container.image, 200),
                            setting.name,
                            self.facts.embedded_database
                        ),
                        incomplete_group: false,
                    }),
                    None => DatabaseChoice::Embedded(None),
                },
            );
        }
        let mut external = Vec::new();
        let mut explicit_embedded = None;
        let mut invalid = None;
        for name in &database.settings {
            let Some(setting) = self.setting(name) else {
                continue;
            };
            match setting.seen_value() {
                Some(value) if database.selects_embedded(value) => {
                    explicit_embedded.get_or_insert(setting);
                }
                _ => external.push(setting),
            }
        }
        for kind in &database.type_settings {
            let Some(setting) = self.setting(&kind.name) else {
                continue;
            };
            let Some(value) = setting.seen_value() else {
                // A value from a secret, a file or a script cannot be seen: give it the
                // benefit of the doubt.
                external.push(setting);
                continue;
            };
            let value = value.trim();
            if kind.is_embedded(value) {
                explicit_embedded.get_or_insert(setting);
            } else if kind.is_external(value) {
                external.push(setting);
            } else if kind.unknown == UnknownValue::Embedded {
                invalid.get_or_insert(Invalid {
                    setting,
                    problem: format!(
                        "{}={} is not a value {} knows (it takes {}{}); it falls back to its {}",
                        kind.name,
                        redact::display_setting_value(&kind.name, value),
                        self.profile.name,
                        kind.external
                            .iter()
                            .chain(&kind.embedded)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", "),
                        if kind.case_sensitive {
                            ", in exactly this case"
                        } else {
                            ""
                        },
                        self.facts.embedded_database
                    ),
                    incomplete_group: false,
                });
            } else {
                // The app refuses to start: loud, not silent; nothing to add here.
                return Some(DatabaseChoice::Unrecognised);
            }
        }
        for group in &database.groups {
            let set: Vec<Setting<'a>> =
                group.iter().filter_map(|name| self.setting(name)).collect();
            if set.len() == group.len() {
                external.extend(set);
            } else if let Some(first) = set.first() {
                let missing: Vec<&str> = group
                    .iter()
                    .map(String::as_str)
                    .filter(|name| set.iter().all(|setting| setting.name != *name))
                    .collect();
                invalid.get_or_insert(Invalid {
                    setting: *first,
                    problem: format!(
                        "{} needs all of {} for an external database; {} {} not set, so it uses its {}",
                        self.profile.name,
                        group.join(", "),
                        missing.join(", "),
                        if missing.len() == 1 { "is" } else { "are" },
                        self.facts.embedded_database
                    ),
                    incomplete_group: true,
                });
            }
        }
        if external.is_empty()
            && explicit_embedded.is_none()
            && invalid.is_none()
            && let Some(host) = self
                .container
                .known_hosts()
                .find(|host| database.detected_hosts.iter().any(|wanted| wanted == host))
        {
            external.push(Setting {
                name: host,
                source: SettingSource::Host,
            });
        }
        // Settings that force the embedded database win over everything else.
        if let Some(forced) = database
            .embedded_settings
            .iter()
            .find_map(|name| self.setting(name))
        {
            return Some(DatabaseChoice::Embedded(Some(forced)));
        }
        if !external.is_empty() {
            return Some(DatabaseChoice::External(external));
        }
        // What is missing may be set where the auditor cannot look; what is set in
        // `environment` wins over environment files, so an explicit choice stands.
        let missing_may_be_elsewhere = match &invalid {
            Some(invalid) => invalid.incomplete_group,
            None => explicit_embedded.is_none(),
        };
        if missing_may_be_elsewhere {
            let mut unseen = self.unseen_sources();
            if invalid.is_none() {
                for how in [&database.detected_when_unset, &database.chosen_at_install]
                    .into_iter()
                    .flatten()
                {
                    unseen.push(Unseen::AppDetects { how: how.clone() });
                }
            }
            if !unseen.is_empty() {
                return Some(DatabaseChoice::Undecided(unseen));
            }
        }
        Some(match invalid {
            Some(invalid) => DatabaseChoice::Invalid(invalid),
            None => DatabaseChoice::Embedded(explicit_embedded),
        })
    }

    /// The settings that select an external database, if any do.
    pub fn external_database(&self) -> Vec<Setting<'a>> {
        match self.database_choice() {
            Some(DatabaseChoice::External(settings)) => settings,
            _ => Vec::new(),
        }
    }

    /// The app keeps its data in the container: no database spec (only a data directory), or
    /// a choice of the embedded database (explicit, by default, or by an invalid setting).
    pub fn keeps_data_in_container(&self) -> bool {
        matches!(
            self.database_choice(),
            None | Some(DatabaseChoice::Embedded(_)) | Some(DatabaseChoice::Invalid(_))
        ) && self.facts.embedded_database_refused.is_none()
    }

    /// URL, type, group and password settings that are set (for the URL and secret checks).
    pub fn database_settings_set(&self) -> Vec<Setting<'a>> {
        self.database()
            .map(|database| {
                database
                    .all_names()
                    .chain(database.password_settings.iter().map(String::as_str))
                    .filter_map(|name| self.setting(name))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Near-miss settings that are set.
    pub fn near_misses(&self) -> Vec<Setting<'a>> {
        self.database()
            .map(|database| {
                database
                    .near_miss
                    .iter()
                    // Not a mistake if the setting it stands for is set as well.
                    .filter(|miss| {
                        miss.means()
                            .is_none_or(|meant| self.setting(meant).is_none())
                    })
                    .filter_map(|miss| self.setting(miss.name()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn data_directory(&self) -> Option<Cow<'a, str>> {
        self.facts
            .data_directory_with(|name| self.container.env(name))
    }

    pub fn location(&self) -> Location {
        Location {
            container: Some(self.container.name.clone()),
            ..self.task.location()
        }
    }

    /// A finding about this container. When the image's version decided which facts were
    /// used, or could not be told, the finding says so.
    pub fn finding(&self, rule: RuleId, severity: Severity, summary: String) -> Finding {
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
    pub fn version_evidence(&self) -> Option<String> {
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

    /// The persistent volume that holds the app's data directory (or one of the image's
    /// other paths for the same data), if one does.
    pub fn persistent_data_mount(&self) -> Option<String> {
        let directory = self.data_directory()?;
        self.persistent_mount_over(&directory).or_else(|| {
            // Aliases hold the data only where the directory is the image's own.
            (self.facts.data_directory.as_deref() == Some(directory.as_ref()))
                .then(|| {
                    self.facts
                        .data_directory_aliases
                        .iter()
                        .find_map(|alias| self.persistent_mount_over(alias))
                })
                .flatten()
        })
    }

    /// The files the app keeps whatever its database that would stay inside the task: those
    /// no setting moves elsewhere and no persistent volume holds, with their paths.
    pub fn files_inside(&self) -> Vec<(&'a KeptFiles, Cow<'a, str>)> {
        let Some(directory) = self.data_directory() else {
            return Vec::new();
        };
        self.facts
            .kept_files
            .iter()
            .filter(|files| {
                !files.unless.iter().any(|moved| {
                    self.setting(&moved.setting).is_some_and(|setting| {
                        setting.seen_value().is_none_or(|value| {
                            !moved
                                .except
                                .iter()
                                .any(|kept| kept.eq_ignore_ascii_case(value.trim()))
                        })
                    })
                })
            })
            .map(|files| {
                let path = files
                    .path
                    .as_deref()
                    .map(Cow::Borrowed)
                    .unwrap_or_else(|| directory.clone());
                (files, path)
            })
            .filter(|(_, path)| {
                if *path == directory {
                    self.persistent_data_mount().is_none()
                } else {
                    self.persistent_mount_over(path).is_none()
                }
            })
            .collect()
    }

    /// Whether a persistent volume is mounted at or above `directory` (EFS, FSx, a
    /// driver-managed Docker volume; also through `volumesFrom`).
    pub fn persistent_mount_over(&self, directory: &str) -> Option<String> {
        self.mount_over(directory, |durability| {
            matches!(
                durability,
                VolumeDurability::Persistent | VolumeDurability::DriverManaged
            )
        })
    }

    /// Whether storage bound to the EC2 instance (a host path, a local Docker volume) is
    /// mounted at or above `directory`: the data outlives the task, on that instance only.
    pub fn instance_mount_over(&self, directory: &str) -> Option<String> {
        self.mount_over(directory, |durability| {
            durability == VolumeDurability::InstanceLocal
        })
    }

    fn mount_over(
        &self,
        directory: &str,
        wanted: impl Fn(VolumeDurability) -> bool,
    ) -> Option<String> {
        self.definition
            .mounts_of(self.container)
            .into_iter()
            .find_map(|mount| {
                let volume = self.definition.volume(&mount.source_volume)?;
                (wanted(volume.durability()) && path_contains(&mount.container_path, directory))
                    .then(|| format!("{} at {}", volume.describe(), mount.container_path))
            })
    }

    pub fn mounts_description(&self) -> String {
        let mounts = self.definition.mounts_of(self.container);
        if mounts.is_empty() {
            return "the container has no mount points".to_string();
        }
        let mounts: Vec<String> = mounts
            .iter()
            .map(|mount| {
                let kind = self
                    .definition
                    .volume(&mount.source_volume)
                    .map(|volume| volume.describe())
                    .unwrap_or_else(|| "undeclared volume".to_string());
                format!("{} ({kind})", mount.container_path)
            })
            .collect();
        format!("mount points: {}", mounts.join(", "))
    }
}

/// The value of a command-line argument in `entry_point` + `command`: `PREFIX=VALUE`, or
/// `PREFIX VALUE` (two words) when the prefix ends in `=` (`--db=` also reads `--db postgres`).
pub fn argument_value<'a>(
    entry_point: &'a [String],
    command: &'a [String],
    prefix: &str,
) -> Option<&'a str> {
    let words: Vec<&'a String> = entry_point.iter().chain(command).collect();
    let flag = prefix.strip_suffix('=');
    let mut found = None;
    for (index, word) in words.iter().enumerate() {
        if let Some(value) = word.strip_prefix(prefix) {
            found = Some(value);
        } else if flag == Some(word.as_str())
            && let Some(next) = words.get(index + 1)
        {
            found = Some(next.as_str());
        }
    }
    found.filter(|value| !value.trim().is_empty())
}

/// Whether `mount` is `directory` or one of its parents (path-component-wise).
pub fn path_contains(mount: &str, directory: &str) -> bool {
    let mount = normalise_path(mount);
    let directory = normalise_path(directory);
    mount == "/"
        || directory == mount
        || (directory.starts_with(mount) && directory.as_bytes().get(mount.len()) == Some(&b'/'))
}

/// Whether a shell script assigns `name` (`export NAME=...`, `NAME=... exec app`).
fn sets_in_script(script: &str, name: &str) -> bool {
    script.match_indices(name).any(|(at, _)| {
        let before = script[..at].chars().next_back();
        let boundary = before.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        boundary && script[at + name.len()..].starts_with('=')
    })
}

/// Whether a shell script may set variables the auditor cannot follow: sourcing a file,
/// exporting a command's output, `eval`, `set -a`.
fn script_may_set_variables(script: &str) -> bool {
    let words: Vec<&str> = script
        .split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|')
        .filter(|word| !word.is_empty())
        .collect();
    words.iter().enumerate().any(|(index, word)| {
        matches!(*word, "source" | "." | "eval" | "envsubst")
            || (*word == "set" && words.get(index + 1) == Some(&"-a"))
            || (*word == "export"
                && words
                    .get(index + 1)
                    .is_some_and(|next| next.starts_with("$(") || next.starts_with('`')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_contain_their_subdirectories_only() {
        assert!(path_contains("/home/coder", "/home/coder/.config/coderv2"));
        assert!(path_contains("/", "/data"));
        assert!(path_contains("/data/", "/data"));
        assert!(!path_contains("/home/cod", "/home/coder"));
        assert!(!path_contains("/data/x", "/data"));
    }

    #[test]
    fn arguments_in_both_forms() {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let command = words(&[
            "start",
            "--db",
            "postgres",
            "--db-url-host=db",
            "--optimized",
        ]);
        assert_eq!(argument_value(&[], &command, "--db="), Some("postgres"));
        assert_eq!(argument_value(&[], &command, "--db-url-host="), Some("db"));
        assert_eq!(argument_value(&[], &command, "--db-url="), None);
        let entry = words(&["/opt/coder", "server", "--postgres-url=postgres://c@db/c"]);
        assert_eq!(
            argument_value(&entry, &[], "--postgres-url="),
            Some("postgres://c@db/c")
        );
        assert_eq!(argument_value(&[], &words(&["--db"]), "--db="), None);
        assert_eq!(
            argument_value(
                &[],
                &words(&["-Dsonar.jdbc.url=jdbc:h2:x"]),
                "-Dsonar.jdbc.url="
            ),
            Some("jdbc:h2:x")
        );
    }

    #[test]
    fn scripts_that_set_or_may_set_variables() {
        let script = "export CODER_PG_CONNECTION_URL=$(cat /run/db) && exec /opt/coder server";
        assert!(sets_in_script(script, "CODER_PG_CONNECTION_URL"));
        assert!(!sets_in_script(script, "PG_CONNECTION_URL"));
        assert!(!sets_in_script(
            "echo $CODER_PG_CONNECTION_URL",
            "CODER_PG_CONNECTION_URL"
        ));
        assert!(script_may_set_variables(". /config/env && exec /run.sh"));
        assert!(script_may_set_variables("set -a; source /env; exec app"));
        assert!(script_may_set_variables(
            "export $(cat /env | xargs) && exec app"
        ));
        assert!(!script_may_set_variables(
            "sleep 5 && exec /opt/coder server"
        ));
        assert!(!script_may_set_variables(script));
    }

    #[test]
    fn references_are_shown_as_written_and_anything_else_redacted() {
        let reference = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-3f6c2b1e-Zx8Kp2:password::";
        assert_eq!(describe_value_from(reference), reference);
        assert_eq!(
            describe_value_from("postgres://coder:hunter2@db/coder"),
            "postgres://coder:****@db/coder"
        );
    }
}
