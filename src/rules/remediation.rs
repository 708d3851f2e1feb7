//! The "how to fix it" steps of findings, generated from profile data so that a new profile
//! gets specific advice without new code.

use crate::container::AppContainer;
use crate::profiles::{Facts, Profile};

/// The `aws rds` command and option that change an instance, or a cluster for an Aurora
/// cluster's entry.
pub(crate) fn rds_modify(instance: &crate::doctor::facts::DbInstance) -> &'static str {
    if instance.is_cluster() {
        "modify-db-cluster --db-cluster-identifier"
    } else {
        "modify-db-instance --db-instance-identifier"
    }
}

/// "PostgreSQL" for postgres schemes, "MySQL" for mysql, else "database".
pub(crate) fn engine_name(facts: &Facts) -> &'static str {
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

pub(super) fn url_example(facts: &Facts) -> &'static str {
    match engine_name(facts) {
        "PostgreSQL" => "postgres://USER:PASSWORD@HOST:5432/DATABASE",
        "MySQL" => "mysql://USER:PASSWORD@HOST:3306/DATABASE",
        _ => "the connection URL the app documents",
    }
}

/// Steps that give the app (`name`, with these facts) an external database, from Secrets
/// Manager.
pub(crate) fn external_database_steps(
    name: &str,
    facts: &Facts,
    container: Option<&str>,
) -> Vec<String> {
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

pub(super) fn efs_step(name: &str, directory: &str) -> String {
    format!(
        "Or mount an Amazon EFS volume at {directory} (efsVolumeConfiguration with transitEncryption ENABLED and an access point owned by the user {name} runs as), so its data outlives the task."
    )
}

fn export_first(name: &str) -> String {
    format!(
        "Before the running task is replaced, export what {name} holds now: that data exists only inside the task."
    )
}

/// `export_first` where a task may hold data: not for a file checked before deployment nor a
/// revision just registered (no task, no service), where nothing runs yet.
pub(super) fn export_first_if_running(app: &AppContainer) -> Option<String> {
    (!app.task.task_arn.is_empty() || !app.task.cluster_arn.is_empty())
        .then(|| export_first(&app.profile.name))
}

pub(crate) fn persistent_data(app: &AppContainer, directory: &str) -> Vec<String> {
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

/// Steps for `embedded-database-in-use` seen in a log.
pub(crate) fn embedded_database_in_use(profile: &Profile, data_path: Option<&str>) -> Vec<String> {
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

pub(crate) fn load_balancer(service: &str) -> String {
    format!(
        "Put an Application Load Balancer (or a Cloud Map name) in front of {service}: without one, its address changes with every deployment."
    )
}
