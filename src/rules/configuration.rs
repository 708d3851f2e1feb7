//! Rules over a task's configuration: its task definition's containers, settings and volumes.
//! Each rule is a pure function of an [`AppContainer`] (or a container) to findings.

use super::remediation;
pub use crate::container::{AppContainer, DatabaseChoice, Setting, SettingSource, Unseen};
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::inspect::database_url::{self, UrlProblem};
use crate::inspect::secret_reference;
use crate::model::{ContainerDefinition, TaskContext, TaskDefinition};
use crate::profiles::command::RunsAs;
use crate::profiles::{NearMiss, value_listed};
use crate::redact;

/// `database-setting-misnamed`: a near-miss name is set and the real one is not.
pub fn database_setting_misnamed(app: &AppContainer) -> Option<Finding> {
    let database = app.database()?;
    if !app.keeps_data_in_container() {
        return None;
    }
    let misses = app.near_misses();
    let first = misses.first()?;
    let expected = database
        .near_miss
        .iter()
        .find(|miss| miss.name() == first.name)
        .and_then(NearMiss::means)
        .unwrap_or(database.primary_setting());
    let names: Vec<&str> = misses.iter().map(|setting| setting.name).collect();
    let mut finding = app.finding(
        RuleId::DatabaseSettingMisnamed,
        Severity::Critical,
        format!(
            "{} ignores {}; it reads {expected}",
            app.profile.name,
            names.join(" and "),
        ),
    );
    finding.evidence = misses.iter().map(Setting::describe).collect();
    finding.evidence.extend(app.version_evidence());
    finding.occurrences = misses.len() as u64;
    finding
        .facts
        .insert("setting".to_string(), first.name.to_string());
    finding
        .facts
        .insert("expected".to_string(), expected.to_string());
    finding.fix = remediation::rename_setting(app, first.name, expected);
    Some(finding)
}

/// `no-external-database`: nothing selects an external database, not even a misnamed or
/// an invalid setting. High while the data directory dies with the task; on persistent
/// storage only where the app's makers do not support its embedded database in production
/// (then medium, in their words).
pub fn no_external_database(app: &AppContainer) -> Option<Finding> {
    let database = app.database()?;
    // A version that takes no external database (Uptime Kuma 1.x) leaves nothing to set:
    // where its data lives is ephemeral-data-directory's business.
    if app.facts.database_settings_ignored.is_some() {
        return None;
    }
    let Some(DatabaseChoice::Embedded(explicit)) = app.database_choice() else {
        return None;
    };
    if !app.near_misses().is_empty() {
        return None;
    }
    // The data outlives the task on EFS, and on an instance's own storage too (where it lives
    // is ephemeral-data-directory's business).
    let persistent = app.persistent_data_mount().or_else(|| {
        app.data_directory()
            .and_then(|directory| app.instance_mount_over(&directory))
    });
    let (severity, summary) = match (&persistent, &app.facts.embedded_in_production) {
        (None, _) => (
            Severity::High,
            format!(
                "{} has no external database setting: it will run on its {}",
                app.profile.name, app.facts.embedded_database
            ),
        ),
        (Some(mount), Some(production)) if !production.supported => (
            Severity::Medium,
            format!(
                "{} keeps its {} on {mount}, which its makers advise against",
                app.profile.name, app.facts.embedded_database
            ),
        ),
        // Persistent storage and an embedded database its makers support (or the profile
        // does not say): the data survives the task; nothing to report.
        (Some(_), _) => return None,
    };
    let mut finding = app.finding(RuleId::NoExternalDatabase, severity, summary);
    finding.evidence = vec![match explicit {
        Some(setting) => format!(
            "{} selects the {}",
            setting.describe(),
            app.facts.embedded_database
        ),
        None => format!(
            "container {} sets none of: {}",
            app.container.name,
            database.all_names().collect::<Vec<_>>().join(", ")
        ),
    }];
    if let (Some(mount), Some(production)) = (&persistent, &app.facts.embedded_in_production) {
        finding.evidence.push(format!("its data is on {mount}"));
        finding.evidence.push(format!(
            "{}: \"{}\" ({})",
            app.profile.name, production.says, production.source
        ));
    }
    finding.evidence.extend(app.version_evidence());
    finding.facts.insert(
        "expected".to_string(),
        database.primary_setting().to_string(),
    );
    finding.fix = remediation::external_database(app);
    Some(finding)
}

/// `audit-incomplete` for a container whose database choice may come from where the
/// auditor cannot look (an unread environment file, a shell command, a custom image): the
/// database and storage checks give no verdict, and say why.
pub fn database_undecided(app: &AppContainer) -> Option<Finding> {
    let Some(DatabaseChoice::Undecided(unseen)) = app.database_choice() else {
        return None;
    };
    let database = app.database()?;
    let mut finding = app.finding(
        RuleId::AuditIncomplete,
        Severity::Medium,
        format!(
            "could not tell whether {} uses an external database: what decides is not in the task definition; the database and storage checks did not run",
            app.profile.name
        ),
    );
    finding.evidence = unseen
        .iter()
        .map(|source| source.describe(database.primary_setting()))
        .collect();
    // What is set by mistake stays a mistake, whatever else decides.
    for miss in app.near_misses() {
        let meant = database
            .near_miss
            .iter()
            .find(|near| near.name() == miss.name)
            .and_then(NearMiss::means)
            .unwrap_or(database.primary_setting());
        finding.evidence.push(format!(
            "{}: {} does not use it without {meant}",
            miss.describe(),
            app.profile.name
        ));
    }
    finding.evidence.extend(app.version_evidence());
    finding.facts.insert(
        "setting".to_string(),
        database.primary_setting().to_string(),
    );
    finding.facts.insert(
        "skipped_checks".to_string(),
        "database-setting-misnamed, database-setting-invalid, no-external-database, ephemeral-data-directory".to_string(),
    );
    finding.fix = remediation::undecided(app, &unseen);
    Some(finding)
}

/// `audit-incomplete` for a container whose command the profile does not know: it may be
/// the server that owns the data or a tool that keeps none, so no verdict either way.
pub fn command_unknown(app: &AppContainer, command_line: &str) -> Finding {
    let mut finding = app.finding(
        RuleId::AuditIncomplete,
        Severity::Medium,
        format!(
            "could not tell what container {} runs: the {} profile does not know its command; the database and storage checks did not run",
            app.container.name, app.profile.name
        ),
    );
    finding.evidence = vec![format!(
        "command line: {}",
        redact::truncate_chars(&redact::redact_text(command_line), 300)
    )];
    finding.evidence.extend(app.version_evidence());
    finding.facts.insert(
        "skipped_checks".to_string(),
        "database and storage checks".to_string(),
    );
    finding.fix = vec![format!(
        "If this container runs the {} server, say so in a profile (PROFILES_FILE, [profile.command] server pattern); if it is another of the image's commands, add it as a [[profile.command.role]].",
        app.profile.name
    )];
    finding
}

/// `database-setting-invalid`: a database setting the app cannot use, so it silently falls
/// back to its embedded database (n8n's `DB_TYPE=postgres`, a partial set of `MYSQL_*`).
pub fn database_setting_invalid(app: &AppContainer) -> Option<Finding> {
    let Some(DatabaseChoice::Invalid(invalid)) = app.database_choice() else {
        return None;
    };
    let mut finding = app.finding(
        RuleId::DatabaseSettingInvalid,
        Severity::Critical,
        format!(
            "{} cannot use {}: it falls back to its {}",
            app.profile.name, invalid.setting.name, app.facts.embedded_database
        ),
    );
    finding.evidence = vec![invalid.setting.describe(), invalid.problem.clone()];
    finding.evidence.extend(app.version_evidence());
    finding
        .facts
        .insert("setting".to_string(), invalid.setting.name.to_string());
    finding.fix = remediation::fix_invalid_setting(app, invalid.setting.name);
    Some(finding)
}

/// `volatile-storage-acknowledged`: the app's own safety check for persistent storage is
/// switched off, and no persistent volume holds its data.
pub fn volatile_storage_acknowledged(app: &AppContainer) -> Option<Finding> {
    let (switch, value) = app.facts.volatile_switches.iter().find_map(|switch| {
        let value = app.container.env(&switch.setting)?;
        value_listed(&switch.values, value).then_some((switch, value))
    })?;
    if app.persistent_data_mount().is_some()
        || (!switch.with_external_database && !app.keeps_data_in_container())
    {
        return None;
    }
    let mut finding = app.finding(
        RuleId::VolatileStorageAcknowledged,
        Severity::High,
        format!(
            "{}={} switches off {}'s check for persistent storage",
            switch.setting,
            redact::display_setting_value(&switch.setting, value),
            app.profile.name
        ),
    );
    finding.evidence = vec![
        format!(
            "environment {}={}",
            switch.setting,
            redact::display_setting_value(&switch.setting, value)
        ),
        switch.meaning.clone(),
        app.mounts_description(),
    ];
    finding
        .facts
        .insert("setting".to_string(), switch.setting.clone());
    let mut fix = vec![format!(
        "Remove {} and give {} persistent storage, so its own check protects the data again.",
        switch.setting, app.profile.name
    )];
    if let Some(directory) = app.data_directory() {
        fix.extend(remediation::persistent_data(app, &directory));
    }
    finding.fix = fix;
    Some(finding)
}

/// `ephemeral-data-directory`: data kept in the container (the embedded database, or files
/// the app keeps whatever its database) and no persistent volume over it.
pub fn ephemeral_data_directory(app: &AppContainer) -> Option<Finding> {
    let directory = app.data_directory()?;
    let database_inside = app.keeps_data_in_container() && app.persistent_data_mount().is_none();
    let files = app.files_inside();
    if !database_inside && files.is_empty() {
        return None;
    }
    // A host path or local Docker volume keeps the data on the EC2 instance: it outlives the
    // task, but a task placed on another instance starts empty (AWS: bind mounts, Docker
    // volumes). Not "inside the task", so medium and said so.
    if let Some(mount) = app.instance_mount_over(&directory) {
        let mut finding = app.finding(
            RuleId::EphemeralDataDirectory,
            Severity::Medium,
            format!(
                "{} keeps its data on one EC2 instance ({mount}): a task placed on another instance starts empty",
                app.profile.name
            ),
        );
        finding.evidence = vec![
            format!("{directory} is on {mount}, which outlives the task on that instance only"),
            app.mounts_description(),
        ];
        finding.evidence.extend(app.version_evidence());
        finding
            .facts
            .insert("data_directory".to_string(), directory.to_string());
        finding
            .facts
            .insert("storage".to_string(), "instance".to_string());
        finding.fix = vec![format!(
            "Keep {}'s data on Amazon EFS (or an external database) so that any instance can run the task; or pin the task to this instance with a placement constraint and back the directory up.",
            app.profile.name
        )];
        return Some(finding);
    }
    let summary = if database_inside {
        format!(
            "{} keeps its data inside the task, in {directory}",
            app.profile.name
        )
    } else {
        let what: Vec<String> = files
            .iter()
            .map(|(files, path)| format!("{} ({path})", files.what))
            .collect();
        format!(
            "{} keeps its {} inside the task",
            app.profile.name,
            what.join(" and ")
        )
    };
    let mut finding = app.finding(RuleId::EphemeralDataDirectory, Severity::High, summary);
    if database_inside {
        finding.evidence.push(format!(
            "its {} is in {directory}, and no EFS volume is mounted at or above it",
            app.facts.embedded_database
        ));
    }
    for (files, path) in &files {
        finding.evidence.push(format!(
            "{} keeps its {} in {path} whatever its database ({}), and no EFS volume is mounted at or above it",
            app.profile.name, files.what, files.source
        ));
    }
    finding.evidence.push(app.mounts_description());
    finding.evidence.extend(app.version_evidence());
    finding
        .facts
        .insert("data_directory".to_string(), directory.to_string());
    finding.fix = if database_inside {
        remediation::persistent_data(app, &directory)
    } else {
        remediation::persistent_files(app, &files)
    };
    Some(finding)
}

/// `database-url-malformed`: plain database URLs (real or near-miss settings) that will not work.
pub fn database_url_malformed(app: &AppContainer) -> Option<Finding> {
    let database = app.database()?;
    let mut evidence = Vec::new();
    let mut problems = 0;
    let mut first: Option<(&str, UrlProblem, bool)> = None;
    // URL settings, and near-misses of them (a misnamed URL is still checked as a URL).
    let url_near_misses = database
        .near_miss
        .iter()
        .filter(|miss| {
            miss.means()
                .map(|meant| database.settings.iter().any(|setting| setting == meant))
                .unwrap_or(!database.settings.is_empty())
        })
        .filter_map(|miss| app.setting(miss.name()));
    let url_settings: Vec<Setting> = database
        .settings
        .iter()
        .filter_map(|name| app.setting(name))
        .chain(url_near_misses)
        .collect();
    for setting in url_settings {
        // Values the auditor sees; an environment file's value is judged but never shown.
        let Some(value) = setting.seen_value() else {
            continue;
        };
        let shown = !matches!(setting.source, SettingSource::EnvironmentFile { .. });
        // A scheme (or bare path) that selects the embedded database is a choice, not a mistake.
        if !database.check_urls || database.selects_embedded(value) {
            continue;
        }
        let inspection =
            database_url::inspect(value, &database.url_schemes, database.key_value_dsn);
        if inspection.problems.is_empty() {
            continue;
        }
        for problem in &inspection.problems {
            evidence.push(if shown {
                format!("{}: {problem}", setting.name)
            } else {
                format!("{}: {}", setting.name, problem.kind())
            });
        }
        problems += inspection.problems.len() as u64;
        evidence.push(if shown {
            format!(
                "{} = {}",
                setting.name,
                redact::truncate_chars(&inspection.redacted, 300)
            )
        } else {
            setting.describe()
        });
        first.get_or_insert((setting.name, inspection.problems[0].clone(), shown));
    }
    let (name, problem, shown) = first?;
    let mut finding = app.finding(
        RuleId::DatabaseUrlMalformed,
        Severity::High,
        if shown {
            format!("{name} is malformed: {problem}")
        } else {
            format!("{name} is malformed: {}", problem.kind())
        },
    );
    finding.occurrences = problems;
    finding.evidence = evidence;
    finding
        .facts
        .insert("setting".to_string(), name.to_string());
    finding.fix = remediation::fix_url(app, name, &problem);
    Some(finding)
}

/// `secret-reference-malformed`: the database setting's `valueFrom` cannot be resolved.
pub fn secret_reference_malformed(app: &AppContainer) -> Option<Finding> {
    let mut evidence = Vec::new();
    let mut first = None;
    for setting in app
        .database_settings_set()
        .into_iter()
        .chain(app.near_misses())
    {
        let SettingSource::Secret(value_from) = setting.source else {
            continue;
        };
        if let Err(problems) = secret_reference::check(value_from) {
            evidence.push(setting.describe());
            // "NAME: ..." would read as a password to the redactor: the problem comes first.
            for problem in &problems {
                evidence.push(format!("{problem} (valueFrom of {})", setting.name));
            }
            first.get_or_insert((setting.name, problems[0].clone()));
        }
    }
    let (name, problem) = first?;
    let mut finding = app.finding(
        RuleId::SecretReferenceMalformed,
        Severity::High,
        format!("ECS cannot resolve the secret reference of {name}"),
    );
    finding
        .facts
        .insert("problem".to_string(), problem.to_string());
    finding.evidence = evidence;
    finding
        .facts
        .insert("setting".to_string(), name.to_string());
    finding.fix = remediation::fix_secret_reference(app, name);
    Some(finding)
}

/// `plaintext-database-credentials`: a database URL with a password in plain `environment`.
/// Applies to every container: a recognised app's database settings, and any value that looks
/// like a database URL or connection string with a password.
pub fn plaintext_database_credentials(
    task: &TaskContext,
    definition: &TaskDefinition,
    container: &ContainerDefinition,
    app: Option<&AppContainer>,
) -> Option<Finding> {
    let database = app.and_then(|app| app.database());
    // (setting or argument, how it appears in evidence)
    let mut offending: Vec<(String, String)> = container
        .environment
        .iter()
        .filter(|variable| {
            if database.is_some_and(|database| {
                database.password_settings.contains(&variable.name)
                    && !variable.value.trim().is_empty()
            }) {
                return true;
            }
            let declared = database.is_some_and(|database| {
                database.settings.contains(&variable.name)
                    || database
                        .near_miss
                        .iter()
                        .any(|miss| miss.name() == variable.name)
            });
            let inspected = declared
                && database_url::inspect(
                    &variable.value,
                    &database.map(|d| d.url_schemes.clone()).unwrap_or_default(),
                    true,
                )
                .has_password;
            inspected || database_url::database_url_with_password(&variable.value)
        })
        .map(|variable| {
            (
                variable.name.clone(),
                format!(
                    "environment {} = {}",
                    variable.name,
                    redact::display_setting_value(&variable.name, &variable.value)
                ),
            )
        })
        .collect();
    // The command line is as readable as the environment: a password argument of the app
    // (`--db-password`, `-Dsonar.jdbc.password=`), or any database URL with a password.
    if let Some(database) = database {
        for argument in &database.arguments {
            let Some(value) = crate::container::argument_value(
                &container.entry_point,
                &container.command,
                &argument.prefix,
            ) else {
                continue;
            };
            let password = database.password_settings.contains(&argument.setting)
                || database_url::database_url_with_password(value);
            if password {
                offending.push((
                    argument.prefix.trim_end_matches('=').to_string(),
                    format!(
                        "command argument {} {}",
                        argument.prefix.trim_end_matches('='),
                        redact::display_setting_value(&argument.setting, value)
                    ),
                ));
            }
        }
    }
    for word in container.entry_point.iter().chain(&container.command) {
        let value = word
            .split_once('=')
            .map_or(word.as_str(), |(_, value)| value);
        let already = offending
            .iter()
            .any(|(name, _)| word.starts_with(name.as_str()) && name.starts_with('-'));
        if !already && database_url::database_url_with_password(value) {
            offending.push((
                "command".to_string(),
                format!(
                    "command argument {}",
                    redact::truncate_chars(&redact::redact_text(word), 300)
                ),
            ));
        }
    }
    let first = offending.first()?.0.clone();
    let place = if container.env(&first).is_some() {
        "plain environment"
    } else {
        "the container's command line"
    };
    let mut finding = Finding::new(
        RuleId::PlaintextDatabaseCredentials,
        Severity::High,
        format!(
            "{first} puts a database password in {place}, readable by anyone who can describe the task definition"
        ),
    );
    finding.app = app.map(|app| app.profile.name.clone());
    finding.location = Location {
        container: Some(container.name.clone()),
        ..task.location()
    };
    finding.occurrences = offending.len() as u64;
    finding.evidence = offending.into_iter().map(|(_, shown)| shown).collect();
    finding.facts.insert("setting".to_string(), first.clone());
    finding
        .facts
        .insert("task_definition".to_string(), definition.short_name());
    finding.fix = if place == "plain environment" {
        remediation::move_to_secrets(&container.name, definition, &first)
    } else {
        remediation::move_argument_to_secrets(&container.name, definition, &first)
    };
    Some(finding)
}

/// `audit-incomplete`: one finding per thing that could not be read.
pub fn audit_incomplete(task: &TaskContext) -> Vec<Finding> {
    task.gaps
        .iter()
        .map(|gap| {
            let error = &gap.error;
            let mut finding = Finding::new(
                RuleId::AuditIncomplete,
                Severity::Medium,
                format!(
                    "could not read {} ({}: {}); {} did not run",
                    crate::model::short_task_definition(&error.resource),
                    error.operation,
                    error.failure.describe(),
                    gap.skipped_checks
                ),
            );
            finding.location = task.location();
            finding.evidence = vec![redact::excerpt(&error.to_string(), 400)];
            finding
                .facts
                .insert("operation".to_string(), error.operation.to_string());
            finding
                .facts
                .insert("resource".to_string(), error.resource.clone());
            finding
                .facts
                .insert("reason".to_string(), error.failure.describe().to_string());
            finding.fix = remediation::read_failure(error);
            finding
        })
        .collect()
}

/// Where a profiled app keeps its data directory, by the storage's documented lifetime
/// (AWS, "Storage options for Amazon ECS tasks": bind mounts on Fargate live with the task; on
/// EC2 a host path or local Docker volume stays on the instance; EFS and FSx outlive both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataStorage {
    /// EFS, FSx or a driver-managed Docker volume: outlives the task, on any host.
    Persistent,
    /// A host path or local Docker volume: outlives the task on that EC2 instance only.
    Instance { mount: String },
    /// The task's own storage: gone when the task stops.
    Task,
}

/// The container of that name and the profiled app it runs, if the profiles know it.
pub fn container_app<'d, 'p>(
    definition: &'d TaskDefinition,
    container_name: &str,
    profiles: &'p crate::profiles::Profiles,
) -> Option<(
    &'d crate::model::ContainerDefinition,
    &'p crate::profiles::Profile,
)> {
    let container = definition
        .container_definitions
        .iter()
        .find(|container| container.name == container_name)?;
    let names: Vec<&str> = container.setting_names().collect();
    Some((container, profiles.recognise(&container.image, &names)?))
}

/// Where a container's app keeps its data directory. `None` when the container is unknown,
/// not a profiled app, or the app's data directory is not known.
pub fn data_directory_storage(
    definition: &TaskDefinition,
    container_name: &str,
    profiles: &crate::profiles::Profiles,
) -> Option<DataStorage> {
    let (container, profile) = container_app(definition, container_name, profiles)?;
    let task = TaskContext::default();
    let app = AppContainer::new(&task, definition, container, profile);
    let directory = app.data_directory()?;
    Some(if app.persistent_data_mount().is_some() {
        DataStorage::Persistent
    } else if let Some(mount) = app.instance_mount_over(&directory) {
        DataStorage::Instance { mount }
    } else {
        DataStorage::Task
    })
}

/// All configuration rules for one task.
pub fn evaluate(task: &TaskContext, profiles: &crate::profiles::Profiles) -> Vec<Finding> {
    let mut findings = audit_incomplete(task);
    let Some(definition) = &task.task_definition else {
        return findings;
    };
    for container in &definition.container_definitions {
        let names: Vec<&str> = container.setting_names().collect();
        let app = profiles
            .recognise(&container.image, &names)
            .map(|profile| AppContainer::new(task, definition, container, profile));
        findings.extend(plaintext_database_credentials(
            task,
            definition,
            container,
            app.as_ref(),
        ));
        let Some(app) = app else { continue };
        findings.extend(evaluate_app(&app));
    }
    advise_load_balancer(task, &mut findings);
    findings.extend(super::deployment::endpoint_without_load_balancer(task));
    findings
}

/// The rules for one profiled container, as far as its role calls for them: a workspace
/// proxy opens no database and keeps no data, a migration job opens the database but keeps
/// nothing, a command the profile does not know gets no verdict.
fn evaluate_app(app: &AppContainer) -> Vec<Finding> {
    let runs_as = app.runs_as();
    if let RunsAs::Unknown { command_line } = &runs_as {
        return vec![command_unknown(app, command_line)];
    }
    let mut findings = Vec::new();
    if runs_as.opens_database() {
        findings.extend(database_setting_misnamed(app));
        findings.extend(database_setting_invalid(app));
        if runs_as.keeps_data() {
            findings.extend(no_external_database(app));
        }
        findings.extend(database_undecided(app));
        findings.extend(database_url_malformed(app));
        findings.extend(secret_reference_malformed(app));
    }
    if runs_as.keeps_data() {
        findings.extend(ephemeral_data_directory(app));
        findings.extend(volatile_storage_acknowledged(app));
    }
    findings
}

/// The seed's third fix: data that dies with the task goes hand in hand with an address that
/// changes with it when no load balancer fronts the service.
fn advise_load_balancer(task: &TaskContext, findings: &mut [Finding]) {
    let Some(service) = &task.service else { return };
    if service.load_balancers > 0 || service.service_registries > 0 {
        return;
    }
    for finding in findings.iter_mut().filter(|finding| {
        matches!(
            finding.rule,
            RuleId::DatabaseSettingMisnamed
                | RuleId::DatabaseSettingInvalid
                | RuleId::NoExternalDatabase
                | RuleId::EphemeralDataDirectory
        )
    }) {
        finding.fix.push(remediation::load_balancer(&service.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuditGap, ReadError, ReadFailure};
    use crate::profiles::Profiles;

    const SEED_SECRET: &str =
        "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:url::";

    fn task_with(definition: serde_json::Value) -> TaskContext {
        TaskContext {
            origin: crate::model::EventOrigin {
                region: Some("us-east-1".to_string()),
                account: Some("132880019009".to_string()),
                ..Default::default()
            },
            cluster_arn: "arn:aws:ecs:us-east-1:132880019009:cluster/coder-cluster".to_string(),
            task_arn: "arn:aws:ecs:us-east-1:132880019009:task/coder-cluster/0123456789abcdef0123456789abcdef".to_string(),
            task_definition_arn: "arn:aws:ecs:us-east-1:132880019009:task-definition/coder:7".to_string(),
            group: Some("service:coder-service".to_string()),
            task_definition: Some(serde_json::from_value(definition).unwrap()),
            ..Default::default()
        }
    }

    fn coder_definition(
        environment: serde_json::Value,
        secrets: serde_json::Value,
        mounts: serde_json::Value,
        volumes: serde_json::Value,
    ) -> serde_json::Value {
        serde_json::json!({
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:132880019009:task-definition/coder:7",
            "family": "coder", "revision": 7,
            "containerDefinitions": [{
                "name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
                "environment": environment, "secrets": secrets, "mountPoints": mounts
            }],
            "volumes": volumes
        })
    }

    fn rules_fired(task: &TaskContext) -> Vec<RuleId> {
        let mut rules: Vec<RuleId> = evaluate(task, &Profiles::built_in().unwrap())
            .into_iter()
            .map(|finding| finding.rule)
            .collect();
        rules.sort();
        rules
    }

    fn no_mounts() -> (serde_json::Value, serde_json::Value) {
        (serde_json::json!([]), serde_json::json!([]))
    }

    #[test]
    fn the_seeds_final_setup_is_misnamed_and_ephemeral() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}]),
            serde_json::json!([{"name": "CODER_POSTGRES_URL", "valueFrom": SEED_SECRET}]),
            mounts,
            volumes,
        ));
        assert_eq!(
            rules_fired(&task),
            vec![
                RuleId::DatabaseSettingMisnamed,
                RuleId::EphemeralDataDirectory
            ]
        );
        let findings = evaluate(&task, &Profiles::built_in().unwrap());
        let misnamed = &findings[0];
        assert_eq!(misnamed.severity, Severity::Critical);
        assert!(misnamed.summary.contains("CODER_POSTGRES_URL"));
        assert!(misnamed.summary.contains("CODER_PG_CONNECTION_URL"));
        assert_eq!(misnamed.location.service.as_deref(), Some("coder-service"));
        assert_eq!(misnamed.location.container.as_deref(), Some("coder"));
        assert!(misnamed.fix[0].contains("CODER_PG_CONNECTION_URL"));
    }

    #[test]
    fn a_correct_setup_has_no_database_finding() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}]),
            serde_json::json!([{"name": "CODER_PG_CONNECTION_URL", "valueFrom": SEED_SECRET}]),
            mounts,
            volumes,
        ));
        assert_eq!(rules_fired(&task), vec![]);
    }

    #[test]
    fn nothing_set_is_no_external_database() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([]),
            serde_json::json!([]),
            mounts,
            volumes,
        ));
        assert_eq!(
            rules_fired(&task),
            vec![RuleId::NoExternalDatabase, RuleId::EphemeralDataDirectory]
        );
    }

    #[test]
    fn an_empty_value_counts_as_unset() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_PG_CONNECTION_URL", "value": "  "}]),
            serde_json::json!([]),
            mounts,
            volumes,
        ));
        assert!(rules_fired(&task).contains(&RuleId::NoExternalDatabase));
    }

    #[test]
    fn efs_at_or_above_the_data_directory_keeps_data() {
        for path in ["/home/coder/.config/coderv2", "/home/coder", "/home/coder/"] {
            let task = task_with(coder_definition(
                serde_json::json!([]),
                serde_json::json!([]),
                serde_json::json!([{"sourceVolume": "data", "containerPath": path}]),
                serde_json::json!([{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]),
            ));
            assert_eq!(
                rules_fired(&task),
                vec![RuleId::NoExternalDatabase],
                "{path}"
            );
        }
        // Below the directory, a sibling with a shared prefix, or a non-EFS volume does not count.
        for (path, volume) in [
            (
                "/home/coder/.config/coderv2/postgres/x",
                serde_json::json!({"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}),
            ),
            (
                "/home/cod",
                serde_json::json!({"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}),
            ),
            ("/home/coder", serde_json::json!({"name": "data"})),
        ] {
            let task = task_with(coder_definition(
                serde_json::json!([]),
                serde_json::json!([]),
                serde_json::json!([{"sourceVolume": "data", "containerPath": path}]),
                serde_json::json!([volume]),
            ));
            assert!(
                rules_fired(&task).contains(&RuleId::EphemeralDataDirectory),
                "{path}"
            );
        }
    }

    #[test]
    fn the_config_dir_setting_moves_the_data_directory() {
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_CONFIG_DIR", "value": "/data/coder"}]),
            serde_json::json!([{"name": "CODER_POSTGRES_URL", "valueFrom": SEED_SECRET}]),
            serde_json::json!([{"sourceVolume": "data", "containerPath": "/data"}]),
            serde_json::json!([{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]),
        ));
        assert_eq!(rules_fired(&task), vec![RuleId::DatabaseSettingMisnamed]);
    }

    #[test]
    fn plaintext_and_malformed_urls() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([{"name": "CODER_PG_CONNECTION_URL",
                                "value": "postgresql://coder:hunter2@db.example.com:5432:5432/coder"}]),
            serde_json::json!([]),
            mounts,
            volumes,
        ));
        let findings = evaluate(&task, &Profiles::built_in().unwrap());
        let rules: Vec<RuleId> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            vec![
                RuleId::PlaintextDatabaseCredentials,
                RuleId::DatabaseUrlMalformed
            ]
        );
        let rendered = serde_json::to_string(&findings).unwrap();
        assert!(!rendered.contains("hunter2"), "{rendered}");
        assert!(findings[1].summary.contains("port appears twice"));
    }

    #[test]
    fn awsiamrds_urls_without_a_password_are_fine() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([
                {"name": "CODER_PG_AUTH", "value": "awsiamrds"},
                {"name": "CODER_PG_CONNECTION_URL", "value": "postgres://coder@db.example.com:5432/coder?sslmode=require"}
            ]),
            serde_json::json!([]),
            mounts,
            volumes,
        ));
        assert_eq!(rules_fired(&task), vec![]);
    }

    #[test]
    fn plaintext_credentials_in_any_container() {
        let task = task_with(serde_json::json!({
            "family": "worker", "revision": 1,
            "containerDefinitions": [{"name": "worker", "image": "example/worker:1",
                "environment": [{"name": "DATABASE_URL", "value": "postgres://w:pw@db/w"},
                                {"name": "LOG_LEVEL", "value": "info"}]}]
        }));
        assert_eq!(
            rules_fired(&task),
            vec![RuleId::PlaintextDatabaseCredentials]
        );
        let unprofiled_safe = task_with(serde_json::json!({
            "family": "worker", "revision": 1,
            "containerDefinitions": [{"name": "worker", "image": "example/worker:1",
                "secrets": [{"name": "DATABASE_URL", "valueFrom": "arn:aws:ssm:us-east-1:132880019009:parameter/db"}]}]
        }));
        assert_eq!(rules_fired(&unprofiled_safe), vec![]);
    }

    #[test]
    fn malformed_secret_references() {
        let (mounts, volumes) = no_mounts();
        let task = task_with(coder_definition(
            serde_json::json!([]),
            serde_json::json!([{"name": "CODER_PG_CONNECTION_URL",
                "valueFrom": "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:url"}]),
            mounts,
            volumes,
        ));
        let findings = evaluate(&task, &Profiles::built_in().unwrap());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, RuleId::SecretReferenceMalformed);
        assert_eq!(
            findings[0].summary,
            "ECS cannot resolve the secret reference of CODER_PG_CONNECTION_URL"
        );
        assert!(
            findings[0].evidence[1]
                .ends_with("write ...:url:: (valueFrom of CODER_PG_CONNECTION_URL)"),
            "{:?}",
            findings[0].evidence
        );
        // Rendered, the problem survives the redactor (a "NAME_PASSWORD: ..." line would not).
        let rendered = crate::redact::redact_text(&findings[0].evidence[1]);
        assert_eq!(rendered, findings[0].evidence[1]);
    }

    #[test]
    fn unreadable_task_definitions_are_reported_not_passed() {
        let mut task = task_with(serde_json::json!({}));
        task.task_definition = None;
        task.gaps.push(AuditGap {
            error: ReadError {
                operation: "ecs:DescribeTaskDefinition",
                resource: task.task_definition_arn.clone(),
                failure: ReadFailure::AccessDenied,
                message: "User is not authorized".to_string(),
            },
            skipped_checks: "the database and storage checks",
        });
        let findings = evaluate(&task, &Profiles::built_in().unwrap());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, RuleId::AuditIncomplete);
        assert_eq!(findings[0].severity, Severity::Medium);
        assert!(findings[0].summary.contains("coder:7"));
        assert!(findings[0].summary.contains("access denied"));
    }

    /// Profiles that use every way of choosing a database, for the rules' own tests.
    const SHAPES: &str = r#"
        [[profile]]
        id = "typed"
        name = "Typed"
        images = ["example/typed"]
        embedded_database = "SQLite"
        data_directory = "/data"
        [profile.database]
        type_setting = { name = "DB_TYPE", external = ["postgresdb", "mysqldb"], embedded = ["sqlite"], unknown = "embedded" }
        near_miss = ["DATABASE_TYPE"]
        password_settings = ["DB_POSTGRESDB_PASSWORD"]

        [[profile]]
        id = "grouped"
        name = "Grouped"
        images = ["example/grouped"]
        embedded_database = "SQLite"
        data_directory = "/var/www/html"
        [profile.database]
        groups = [["MYSQL_DATABASE", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_HOST"]]
        password_settings = ["MYSQL_PASSWORD"]

        [[profile]]
        id = "schemed"
        name = "Schemed"
        images = ["example/schemed"]
        embedded_database = "SQLite"
        data_directory = "/data"
        file_suffix = "_FILE"
        [profile.database]
        settings = ["DATABASE_URL"]
        url_schemes = ["mysql", "postgres", "postgresql"]
        embedded_schemes = ["*"]
        near_miss = [{ name = "DATABASE_URI", means = "DATABASE_URL" }]
        [[profile.volatile_switch]]
        setting = "I_REALLY_WANT_VOLATILE_STORAGE"
        values = ["true"]
        meaning = "the start-up check for a persistent /data is off"
    "#;

    fn shaped(image: &str, environment: serde_json::Value) -> Vec<RuleId> {
        let profiles = Profiles::from_sources([("shapes.toml", SHAPES)]).unwrap();
        let task = task_with(serde_json::json!({
            "family": "app", "revision": 1,
            "containerDefinitions": [{"name": "app", "image": image, "environment": environment}]
        }));
        let mut rules: Vec<RuleId> = evaluate(&task, &profiles)
            .into_iter()
            .map(|f| f.rule)
            .collect();
        rules.sort();
        rules
    }

    #[test]
    fn a_type_setting_decides_by_its_value() {
        use RuleId::*;
        assert_eq!(
            shaped(
                "example/typed",
                serde_json::json!([{"name": "DB_TYPE", "value": "postgresdb"}])
            ),
            vec![]
        );
        assert_eq!(
            shaped(
                "example/typed",
                serde_json::json!([{"name": "DB_TYPE", "value": "SQLite"}])
            ),
            vec![NoExternalDatabase, EphemeralDataDirectory]
        );
        assert_eq!(
            shaped("example/typed", serde_json::json!([])),
            vec![NoExternalDatabase, EphemeralDataDirectory]
        );
        // n8n's trap: a value it does not know, silently replaced by the embedded default.
        assert_eq!(
            shaped(
                "example/typed",
                serde_json::json!([{"name": "DB_TYPE", "value": "postgres"}])
            ),
            vec![DatabaseSettingInvalid, EphemeralDataDirectory]
        );
        assert_eq!(
            shaped(
                "example/typed",
                serde_json::json!([{"name": "DB_TYPE", "value": "postgresdb"}, {"name": "DB_POSTGRESDB_PASSWORD", "value": "pw"}])
            ),
            vec![PlaintextDatabaseCredentials]
        );
    }

    #[test]
    fn a_group_selects_only_when_complete() {
        use RuleId::*;
        let complete = serde_json::json!([
            {"name": "MYSQL_DATABASE", "value": "nc"}, {"name": "MYSQL_USER", "value": "nc"},
            {"name": "MYSQL_HOST", "value": "db"}
        ]);
        let mut secrets_too = complete.as_array().unwrap().clone();
        secrets_too.push(serde_json::json!({"name": "MYSQL_PASSWORD", "value": "pw"}));
        assert_eq!(
            shaped("example/grouped", serde_json::Value::Array(secrets_too)),
            vec![PlaintextDatabaseCredentials]
        );
        let findings = shaped("example/grouped", complete);
        assert_eq!(
            findings,
            vec![DatabaseSettingInvalid, EphemeralDataDirectory],
            "MYSQL_PASSWORD is missing"
        );
    }

    #[test]
    fn a_scheme_can_select_the_embedded_database_and_switches_are_reported() {
        use RuleId::*;
        assert_eq!(
            shaped(
                "example/schemed",
                serde_json::json!([{"name": "DATABASE_URL", "value": "postgresql://vw@db/vw"}])
            ),
            vec![]
        );
        assert_eq!(
            shaped(
                "example/schemed",
                serde_json::json!([{"name": "DATABASE_URL", "value": "/data/db.sqlite3"}])
            ),
            vec![NoExternalDatabase, EphemeralDataDirectory]
        );
        assert_eq!(
            shaped(
                "example/schemed",
                serde_json::json!([{"name": "I_REALLY_WANT_VOLATILE_STORAGE", "value": "TRUE"}])
            ),
            vec![
                NoExternalDatabase,
                EphemeralDataDirectory,
                VolatileStorageAcknowledged
            ]
        );
    }

    #[test]
    fn a_setting_read_from_a_file_counts_as_set_where_the_app_reads_files() {
        use RuleId::*;
        let from_file =
            serde_json::json!([{"name": "DATABASE_URL_FILE", "value": "/run/secrets/db-url"}]);
        assert_eq!(shaped("example/schemed", from_file.clone()), vec![]);
        // The near miss stands for a setting that is set (from its file): not a mistake.
        let mut with_near_miss = from_file.as_array().unwrap().clone();
        with_near_miss
            .push(serde_json::json!({"name": "DATABASE_URI", "value": "postgres://db/vw"}));
        assert_eq!(
            shaped("example/schemed", serde_json::Value::Array(with_near_miss)),
            vec![]
        );
        // An empty file name is no setting; a profile without file_suffix reads no files.
        assert_eq!(
            shaped(
                "example/schemed",
                serde_json::json!([{"name": "DATABASE_URL_FILE", "value": " "}])
            ),
            vec![NoExternalDatabase, EphemeralDataDirectory]
        );
        assert_eq!(
            shaped(
                "example/typed",
                serde_json::json!([{"name": "DB_TYPE_FILE", "value": "/run/secrets/type"}])
            ),
            vec![NoExternalDatabase, EphemeralDataDirectory]
        );
    }

    #[test]
    fn the_fix_names_the_database_once_when_the_engine_is_unknown() {
        let profiles = Profiles::from_sources([("shapes.toml", SHAPES)]).unwrap();
        let task = task_with(serde_json::json!({
            "family": "app", "revision": 1,
            "containerDefinitions": [{"name": "app", "image": "example/typed"}]
        }));
        let ephemeral = evaluate(&task, &profiles)
            .into_iter()
            .find(|f| f.rule == RuleId::EphemeralDataDirectory)
            .unwrap();
        assert_eq!(
            ephemeral.fix[0],
            "Give Typed an external database with DB_TYPE and its connection settings (the password from Secrets Manager); its data then no longer lives in /data."
        );
    }

    #[test]
    fn a_file_setting_is_described_by_its_variable() {
        let profiles = Profiles::from_sources([("shapes.toml", SHAPES)]).unwrap();
        let task = task_with(serde_json::json!({
            "family": "app", "revision": 1,
            "containerDefinitions": [{"name": "app", "image": "example/schemed",
                "environment": [{"name": "DATABASE_URL_FILE", "value": "/run/secrets/db-url"}]}]
        }));
        let definition = task.task_definition.as_ref().unwrap();
        let container = &definition.container_definitions[0];
        let app = AppContainer::new(&task, definition, container, &profiles.all()[2]);
        let settings = app.external_database();
        assert_eq!(settings.len(), 1);
        assert_eq!(settings[0].name, "DATABASE_URL_FILE");
        assert_eq!(
            settings[0].describe(),
            "environment DATABASE_URL_FILE = /run/secrets/db-url (a file the app reads the setting from)"
        );
    }

    #[test]
    fn other_containers_are_not_judged_as_coder() {
        let task = task_with(serde_json::json!({
            "family": "web", "revision": 1,
            "containerDefinitions": [{"name": "nginx", "image": "nginx:1.27"}]
        }));
        assert_eq!(rules_fired(&task), vec![]);
    }
}
