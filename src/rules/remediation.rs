//! The "how to fix it" steps of findings, generated from profile data so that a new profile
//! gets specific advice without new code.

use crate::container::{AppContainer, Unseen};
use crate::inspect::database_url::UrlProblem;
use crate::model::{ReadError, ReadFailure, TaskDefinition};
use crate::profiles::{Facts, Profile};

/// "PostgreSQL" for postgres schemes, "MySQL" for mysql, else "database".
pub fn engine_name(facts: &Facts) -> &'static str {
    let schemes = facts
        .database
        .as_ref()
        .map(|database| database.url_schemes.as_slice())
        .unwrap_or_default();
    if schemes.iter().any(|s| s.starts_with("postgres")) {
        "PostgreSQL"
    } else if schemes.iter().any(|s| s == "mysql" || s == "mariadb") {
        "MySQL"
    } else {
        "database"
    }
}

fn url_example(facts: &Facts) -> &'static str {
    match engine_name(facts) {
        "PostgreSQL" => "postgres://USER:PASSWORD@HOST:5432/DATABASE",
        "MySQL" => "mysql://USER:PASSWORD@HOST:3306/DATABASE",
        _ => "the connection URL the app documents",
    }
}

/// Steps that give the app (`name`, with these facts) an external database, from Secrets
/// Manager.
pub fn external_database_steps(name: &str, facts: &Facts, container: Option<&str>) -> Vec<String> {
    let Some(database) = &facts.database else {
        return Vec::new();
    };
    let engine = engine_name(facts);
    let managed = match engine {
        "PostgreSQL" => "Amazon RDS for PostgreSQL (or Aurora PostgreSQL)",
        "MySQL" => "Amazon RDS for MySQL (or Aurora MySQL)",
        _ => "external",
    };
    let target = container
        .map(|name| format!("container '{name}'"))
        .unwrap_or_else(|| format!("the {name} container"));
    let mut steps = vec![format!(
        "Create an {managed} database that the task's subnets can reach, and allow the task's security group in the database's security group."
    )];
    if let Some(setting) = database.settings.first() {
        steps.push(format!(
            "Store its URL ({}, password percent-encoded) in AWS Secrets Manager.",
            url_example(facts)
        ));
        steps.push(format!(
            "Add {setting} to {target} under `secrets`, valueFrom = the secret's full ARN (append :KEY:: to pick one key of a JSON secret), and allow the task execution role secretsmanager:GetSecretValue on it."
        ));
    } else if let Some(kind) = database.type_settings.first() {
        steps.push(format!(
            "Set {} to {} in {target}, with the connection settings the app documents; put the password in Secrets Manager and reference it under `secrets`.",
            kind.name,
            kind.external.join(" or ")
        ));
    } else if let Some(group) = database.groups.first() {
        steps.push(format!(
            "Set all of {} in {target}; put the password in Secrets Manager and reference it under `secrets`.",
            group.join(", ")
        ));
    }
    if let Some(passwordless) = &database.passwordless {
        steps.push(format!(
            "To avoid a password altogether, set {}={} and use IAM database authentication.",
            passwordless.setting,
            passwordless.values.join(" or ")
        ));
    }
    steps
}

/// Steps for `database-setting-invalid`.
pub fn fix_invalid_setting(app: &AppContainer, setting: &str) -> Vec<String> {
    let database = app.facts.database.as_ref();
    let mut steps = Vec::new();
    if let Some(reason) = app.facts.database_settings_ignored.as_deref() {
        steps.push(format!(
            "Run a version of {} whose image reads {setting} ({reason}), or keep its data on EFS.",
            app.profile.name
        ));
    } else if let Some(kind) =
        database.and_then(|d| d.type_settings.iter().find(|kind| kind.name == setting))
    {
        steps.push(format!(
            "Set {} to one of the values {} accepts{}: {} (for an external database).",
            kind.name,
            app.profile.name,
            if kind.case_sensitive {
                ", spelled exactly"
            } else {
                ""
            },
            kind.external.join(", ")
        ));
    } else if let Some(group) =
        database.and_then(|d| d.groups.iter().find(|g| g.iter().any(|s| s == setting)))
    {
        steps.push(format!(
            "Set every one of {} in container '{}' (passwords under `secrets`).",
            group.join(", "),
            app.container.name
        ));
    }
    steps.push(export_first(&app.profile.name));
    steps
}

fn efs_step(name: &str, directory: &str) -> String {
    format!(
        "Or mount an Amazon EFS volume at {directory} (efsVolumeConfiguration with transitEncryption ENABLED and an access point owned by the user {name} runs as), so its data outlives the task."
    )
}

fn export_first(name: &str) -> String {
    format!(
        "Before the running task is replaced, export what {name} holds now: that data exists only inside the task."
    )
}

pub fn rename_setting(app: &AppContainer, from: &str, to: &str) -> Vec<String> {
    vec![
        format!(
            "In task definition {}, container '{}': rename {from} to {to} (keep it under `secrets`; valueFrom stays as it is). Register the revision and update the service.",
            app.definition.short_name(),
            app.container.name
        ),
        export_first(&app.profile.name),
    ]
}

pub fn external_database(app: &AppContainer) -> Vec<String> {
    external_database_steps(&app.profile.name, app.facts, Some(&app.container.name))
}

/// Steps for a database choice the auditor could not see.
pub fn undecided(app: &AppContainer, unseen: &[Unseen]) -> Vec<String> {
    let mut steps = Vec::new();
    for source in unseen {
        match source {
            Unseen::EnvironmentFile { .. } => steps.push(
                "Let the auditor read the environment file: set READ_ENVIRONMENT_FILES=true and list its bucket in the template's EnvironmentFileBuckets parameter (s3:GetObject); its values stay in the function's memory. Or move the database setting to `secrets`.".to_string(),
            ),
            Unseen::ShellCommand { .. } => steps.push(format!(
                "Set the database setting of container '{}' in `secrets` or `environment` rather than in its shell command, so it can be checked before the task starts.",
                app.container.name
            )),
            Unseen::AppDetects { .. } => {}
        }
    }
    if let Some(database) = &app.facts.database {
        steps.push(format!(
            "Check the app's start-up log: the auditor reports {}'s embedded database there if {} did not arrive.",
            app.profile.name,
            database.primary_setting()
        ));
    }
    steps
}

pub fn persistent_data(app: &AppContainer, directory: &str) -> Vec<String> {
    let mut steps = Vec::new();
    let external = app
        .facts
        .database
        .as_ref()
        .filter(|_| app.facts.database_settings_ignored.is_none());
    if let Some(database) = external {
        let kind = match engine_name(app.facts) {
            "database" => "database".to_string(),
            engine => format!("{engine} database"),
        };
        let primary = database.primary_setting();
        // A URL carries the password: it belongs in Secrets Manager. A type setting does not.
        let from = if database.settings.iter().any(|setting| setting == primary) {
            " (from Secrets Manager)"
        } else {
            " and its connection settings (the password from Secrets Manager)"
        };
        steps.push(format!(
            "Give {} an external {kind} with {primary}{from}; its data then no longer lives in {directory}.",
            app.profile.name
        ));
    } else if let Some(reason) = &app.facts.database_settings_ignored {
        steps.push(format!(
            "{reason}: keep its data on persistent storage, or run a version of {} that takes an external database.",
            app.profile.name
        ));
    }
    let efs = efs_step(&app.profile.name, directory);
    let efs = if external.is_some() {
        efs
    } else {
        efs.replacen("Or mount", "Mount", 1)
    };
    steps.push(match &app.facts.embedded_in_production {
        // Where the makers advise against their embedded database on persistent storage, EFS
        // keeps the data but the alert does not pretend it is the end of the matter.
        Some(production) if !production.supported => format!(
            "{efs} {}'s makers advise against it: \"{}\" ({})",
            app.profile.name, production.says, production.source
        ),
        _ => efs,
    });
    steps
}

/// Steps for files the app keeps whatever its database.
pub fn persistent_files(
    app: &AppContainer,
    files: &[(&crate::profiles::KeptFiles, std::borrow::Cow<str>)],
) -> Vec<String> {
    let mut steps: Vec<String> = files
        .iter()
        .map(|(files, path)| {
            format!(
                "Mount an Amazon EFS volume at {path} (or a directory above it) for {}'s {} (efsVolumeConfiguration with transitEncryption ENABLED and an access point owned by the user {} runs as).",
                app.profile.name, files.what, app.profile.name
            )
        })
        .collect();
    for (files, _) in files {
        for moved in &files.unless {
            steps.push(format!(
                "Or set {} to keep them outside the container.",
                moved.setting
            ));
        }
    }
    steps
}

pub fn fix_url(app: &AppContainer, setting: &str, problem: &UrlProblem) -> Vec<String> {
    let first = match problem {
        UrlProblem::DuplicatePort { .. } => {
            format!(
                "Remove the repeated port from {setting}: HOST:5432/DATABASE, not HOST:5432:5432/DATABASE."
            )
        }
        UrlProblem::UnencodedPasswordCharacters { .. } | UrlProblem::InvalidPercentEncoding => {
            format!(
                "Percent-encode the password in {setting} (for example with Python's urllib.parse.quote(password, safe='')), or generate a password without reserved characters."
            )
        }
        UrlProblem::UnknownScheme { expected, .. } => format!(
            "Start {setting} with {}.",
            expected
                .iter()
                .map(|s| format!("{s}://"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        UrlProblem::SurroundingQuotesOrSpaces => {
            format!("Remove the quotes or spaces around the value of {setting}.")
        }
        _ => format!(
            "Set {setting} to a complete URL: {}.",
            url_example(app.facts)
        ),
    };
    vec![
        first,
        format!(
            "Keep the corrected URL in Secrets Manager and reference it from `secrets` rather than `environment`."
        ),
    ]
}

pub fn fix_secret_reference(app: &AppContainer, setting: &str) -> Vec<String> {
    vec![
        format!(
            "Copy the secret's full ARN (it ends in -AbCdEf) from the Secrets Manager console into valueFrom of {setting} in container '{}'.",
            app.container.name
        ),
        "To pick one key of a JSON secret, append :KEY:: (three more colon-separated parts: JSON key, version stage, version id, empty ones left empty).".to_string(),
        "For an SSM parameter, use its name (a path begins with /) in the task's region, or arn:aws:ssm:REGION:ACCOUNT:parameter/NAME in any region.".to_string(),
    ]
}

pub fn move_to_secrets(container: &str, definition: &TaskDefinition, setting: &str) -> Vec<String> {
    vec![
        format!(
            "Store the value of {setting} in AWS Secrets Manager and, in task definition {} container '{container}', replace the environment entry with a `secrets` entry whose valueFrom is the secret's ARN.",
            definition.short_name()
        ),
        "Rotate the database password: it has been readable by everyone who can describe the task definition.".to_string(),
    ]
}

pub fn move_argument_to_secrets(
    container: &str,
    definition: &TaskDefinition,
    argument: &str,
) -> Vec<String> {
    vec![
        format!(
            "In task definition {} container '{container}', take the password out of the command line ({argument}): store it (or the whole URL) in AWS Secrets Manager and pass it through a `secrets` entry, as the environment variable the app reads for the same setting.",
            definition.short_name()
        ),
        "Rotate the database password: it has been readable by everyone who can describe the task definition.".to_string(),
    ]
}

pub fn read_failure(error: &ReadError) -> Vec<String> {
    let step = match error.failure {
        ReadFailure::AccessDenied => format!(
            "Allow {} to the auditor function's role (the SAM template grants it; check service control policies and permission boundaries).",
            error.operation
        ),
        ReadFailure::Throttled => format!(
            "{} was throttled after retries. The next event for this resource audits it again; if this repeats, ask AWS for a higher ECS API rate.",
            error.operation
        ),
        ReadFailure::NotFound => format!(
            "{} no longer exists (deregistered or deleted), so it could not be audited.",
            error.resource
        ),
        ReadFailure::NoCredentials => format!(
            "Give the auditor AWS credentials that allow {} (the Lambda function's role, or AWS_PROFILE / environment variables for the CLI).",
            error.operation
        ),
        ReadFailure::Unavailable | ReadFailure::Other => format!(
            "{} failed; check the function's network path to the AWS API (NAT gateway or VPC endpoint) and its logs.",
            error.operation
        ),
    };
    vec![step]
}

/// Steps for `embedded-database-in-use` seen in a log.
pub fn embedded_database_in_use(profile: &Profile, data_path: Option<&str>) -> Vec<String> {
    let mut steps = vec![export_first(&profile.name)];
    steps.extend(external_database_steps(&profile.name, &profile.facts, None));
    // Prefer the app's data directory over the database's own sub-directory.
    let directory = match (profile.facts.data_directory.as_deref(), data_path) {
        (Some(home), Some(path)) if path.starts_with(home) => Some(home),
        (home, path) => path.or(home),
    };
    if let Some(directory) = directory {
        steps.push(efs_step(&profile.name, directory));
    }
    steps
}

pub fn connection_failing(profile: &Profile) -> Vec<String> {
    let setting = profile
        .facts
        .database
        .as_ref()
        .map(|database| database.primary_setting())
        .unwrap_or("the database setting");
    vec![
        format!(
            "Check the host and port in {setting} (a repeated port or an unencoded password character breaks it; the auditor checks its format when the task starts)."
        ),
        "Check that the database's security group allows the task's security group, and that the task's subnets route to the database.".to_string(),
        "Check the user name and password, and that the database exists.".to_string(),
    ]
}

pub fn credentials_in_logs() -> Vec<String> {
    vec![
        "Rotate the password that appears in the log: treat it as disclosed.".to_string(),
        "Stop the app from printing its connection URL (lower the log level or remove the debug output), and keep the URL in Secrets Manager.".to_string(),
        "Delete the affected log streams or shorten the log group's retention once the password is rotated.".to_string(),
    ]
}

pub fn load_balancer(service: &str) -> String {
    format!(
        "Put an Application Load Balancer (or a Cloud Map name) in front of {service}: without one, its address changes with every deployment."
    )
}
