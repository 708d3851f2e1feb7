//! Profile files as written (`spec.rs`) validated into [`Profile`]s. Every problem names the
//! field and what would fix it; the caller adds the file and the entry.

use super::command::{Commands, Role};
use super::facts::{
    DatabaseSettings, Facts, KeptFiles, NearMiss, ProductionUse, VolatileSwitch, normalise_path,
};
use super::image::{ImageSelector, VersionRange};
use super::spec::*;
use super::{Profile, Variant};

/// Validates one profile; its log signatures are compiled by the caller, which knows every
/// profile's index.
pub(super) fn validate(spec: ProfileSpec) -> Result<(Profile, Vec<SignatureSpec>), String> {
    let id_ok = !spec.id.is_empty()
        && spec
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err(format!(
            "id {:?} must be lower-case letters, digits and '-'",
            spec.id
        ));
    }
    if spec.name.trim().is_empty() {
        return Err("name is empty".to_string());
    }
    if spec.images.is_empty() && spec.recognise_settings.is_empty() {
        return Err("set images or recognise_settings, or the profile never applies".to_string());
    }
    check_images("images", &spec.images)?;
    check_images("other_images", &spec.other_images)?;
    let database_spec = spec.database.clone();
    let facts = Facts {
        embedded_database: spec.embedded_database,
        data_directory: absolute("data_directory", spec.data_directory)?,
        data_directory_aliases: absolute_all(spec.data_directory_aliases)?,
        data_directory_setting: spec.data_directory_setting,
        data_subdirectory: spec
            .data_subdirectory
            .map(|sub| sub.trim_matches('/').to_string()),
        file_suffix: file_suffix(spec.file_suffix)?,
        file_settings: spec.file_settings,
        database: spec.database.map(database).transpose()?,
        database_settings_ignored: spec.database_settings_ignored,
        embedded_database_refused: spec.embedded_database_refused,
        volatile_switches: volatile_switches(spec.volatile_switch)?,
        kept_files: kept_files(spec.kept_files)?,
        embedded_in_production: production_use(spec.embedded_in_production)?,
        commands: spec.command.map(commands).transpose()?,
    };
    if facts.data_subdirectory.is_some() && facts.data_directory_setting.is_none() {
        return Err("data_subdirectory needs data_directory_setting".to_string());
    }
    let mut variants = Vec::new();
    for variant in spec.variant {
        let name = variant.name.clone();
        variants.push(
            validate_variant(variant, &facts, database_spec.as_ref())
                .map_err(|problem| format!("variant {name:?}: {problem}"))?,
        );
    }
    Ok((
        Profile {
            id: spec.id,
            name: spec.name,
            images: spec
                .images
                .iter()
                .map(|image| image.trim_matches('/').to_string())
                .collect(),
            other_images: spec
                .other_images
                .iter()
                .map(|image| image.trim_matches('/').to_string())
                .collect(),
            recognise_settings: spec.recognise_settings,
            facts,
            variants,
        },
        spec.log_signature,
    ))
}

fn validate_variant(
    spec: VariantSpec,
    base: &Facts,
    base_database: Option<&DatabaseSpec>,
) -> Result<Variant, String> {
    if spec.name.trim().is_empty() || spec.source.trim().is_empty() {
        return Err("a variant needs a name and the source of its facts".to_string());
    }
    check_images("images", &spec.images)?;
    let selector = ImageSelector {
        images: spec
            .images
            .iter()
            .map(|image| image.trim_matches('/').to_string())
            .collect(),
        versions: spec
            .versions
            .as_deref()
            .map(VersionRange::parse)
            .transpose()
            .map_err(|problem| format!("versions: {problem}"))?,
        tags: spec.tags,
        suffixes: spec.suffixes,
    };
    if selector.is_empty() {
        return Err("say which images it is for: images, versions, tags or suffixes".to_string());
    }
    let mut facts = base.clone();
    if let Some(name) = spec.embedded_database {
        facts.embedded_database = name;
    }
    if let Some(directory) = absolute("data_directory", spec.data_directory)? {
        facts.data_directory = Some(directory);
    }
    if let Some(aliases) = spec.data_directory_aliases {
        facts.data_directory_aliases = absolute_all(aliases)?;
    }
    if let Some(setting) = spec.data_directory_setting {
        facts.data_directory_setting = Some(setting);
    }
    if let Some(sub) = spec.data_subdirectory {
        facts.data_subdirectory = Some(sub.trim_matches('/').to_string());
    }
    if let Some(suffix) = file_suffix(spec.file_suffix)? {
        facts.file_suffix = Some(suffix);
    }
    if let Some(settings) = spec.file_settings {
        facts.file_settings = settings;
    }
    if let Some(reason) = spec.embedded_database_refused {
        facts.embedded_database_refused = Some(reason);
    }
    if let Some(changes) = spec.database {
        facts.database = Some(database(changes.apply(base_database))?);
    }
    if let Some(reason) = spec.database_settings_ignored {
        facts.database_settings_ignored = Some(reason);
    }
    if let Some(switches) = spec.volatile_switch {
        facts.volatile_switches = volatile_switches(switches)?;
    }
    if let Some(files) = spec.kept_files {
        facts.kept_files = kept_files(files)?;
    }
    if let Some(production) = production_use(spec.embedded_in_production)? {
        facts.embedded_in_production = Some(production);
    }
    if let Some(spec) = spec.command {
        facts.commands = Some(commands(spec)?);
    }
    Ok(Variant {
        name: spec.name,
        source: spec.source,
        selector,
        facts,
    })
}

fn check_images(field: &str, images: &[String]) -> Result<(), String> {
    match images.iter().find(|image| {
        image.is_empty() || image.contains(':') || image.contains('@') || image.starts_with('/')
    }) {
        Some(image) => Err(format!(
            "{field}: {image:?} must be a repository path without registry or tag, like \"coder/coder\""
        )),
        None => Ok(()),
    }
}

fn absolute(field: &str, directory: Option<String>) -> Result<Option<String>, String> {
    match directory {
        Some(dir) if !dir.starts_with('/') => {
            Err(format!("{field} {dir:?} must be an absolute path"))
        }
        Some(dir) => Ok(Some(normalise_path(&dir).to_string())),
        None => Ok(None),
    }
}

fn absolute_all(directories: Vec<String>) -> Result<Vec<String>, String> {
    directories
        .into_iter()
        .map(|dir| absolute("data_directory_aliases", Some(dir)).map(Option::unwrap_or_default))
        .collect()
}

fn file_suffix(suffix: Option<String>) -> Result<Option<String>, String> {
    if suffix
        .as_deref()
        .is_some_and(|suffix| suffix.trim().is_empty() || suffix.contains(char::is_whitespace))
    {
        return Err("file_suffix must be a non-empty name suffix such as \"_FILE\"".to_string());
    }
    Ok(suffix)
}

fn volatile_switches(switches: Vec<VolatileSwitch>) -> Result<Vec<VolatileSwitch>, String> {
    if let Some(switch) = switches
        .iter()
        .find(|switch| switch.values.is_empty() || switch.meaning.trim().is_empty())
    {
        return Err(format!(
            "volatile_switch {} needs values and a meaning",
            switch.setting
        ));
    }
    Ok(switches)
}

fn kept_files(files: Vec<KeptFiles>) -> Result<Vec<KeptFiles>, String> {
    files
        .into_iter()
        .map(|mut files| {
            if files.what.trim().is_empty() || files.source.trim().is_empty() {
                return Err("kept_files needs what they are and a source".to_string());
            }
            files.path = absolute("kept_files.path", files.path)?;
            Ok(files)
        })
        .collect()
}

fn production_use(production: Option<ProductionUse>) -> Result<Option<ProductionUse>, String> {
    if production
        .as_ref()
        .is_some_and(|p| p.says.trim().is_empty() || p.source.trim().is_empty())
    {
        return Err(
            "embedded_in_production needs what the app's makers say (says) and where (source)"
                .to_string(),
        );
    }
    Ok(production)
}

fn commands(spec: CommandSpec) -> Result<Commands, String> {
    let compile = |what: &str, pattern: &str| {
        super::command::compile(pattern)
            .map_err(|error| format!("command {what}: invalid pattern: {error}"))
    };
    let server = compile("server", &spec.server)?;
    let image_line = spec
        .image_entrypoint
        .iter()
        .chain(&spec.image_cmd)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let mut roles = Vec::new();
    for role in spec.role {
        if role.name.trim().is_empty() || role.source.trim().is_empty() {
            return Err("command.role needs a name and a source".to_string());
        }
        let pattern = compile(&format!("role {:?}", role.name), &role.pattern)?;
        roles.push(Role {
            name: role.name,
            pattern,
            opens_database: role.opens_database,
            keeps_data: role.keeps_data,
            source: role.source,
        });
    }
    // The image's own command is the server or one of the roles (Keycloak's bare kc.sh only
    // prints its help); anything else is a mistake in the profile.
    if !image_line.is_empty()
        && !server.is_match(&image_line)
        && !roles.iter().any(|role| role.pattern.is_match(&image_line))
    {
        return Err(format!(
            "command: neither server nor a role matches the image's own command {image_line:?}"
        ));
    }
    Ok(Commands {
        image_entrypoint: spec.image_entrypoint,
        image_cmd: spec.image_cmd,
        server,
        roles,
    })
}

fn database(database: DatabaseSpec) -> Result<DatabaseSettings, String> {
    let type_settings = database.type_setting.into_vec();
    if database.settings.is_empty() && type_settings.is_empty() && database.groups.is_empty() {
        return Err(
            "database needs settings, type_setting or groups: how else is an external database chosen?"
                .to_string(),
        );
    }
    if database.groups.iter().any(|group| group.len() < 2) {
        return Err("each database group needs at least two settings".to_string());
    }
    if !database.embedded_schemes.is_empty() && database.url_schemes.is_empty() {
        return Err("embedded_schemes needs url_schemes for the external ones".to_string());
    }
    if let Some(kind) = type_settings.iter().find(|kind| kind.external.is_empty()) {
        return Err(format!(
            "type_setting {} lists no external values",
            kind.name
        ));
    }
    if let Some(auth) = &database.rds_iam_authentication {
        if auth.values.is_empty() {
            return Err(format!(
                "rds_iam_authentication {} lists no values",
                auth.setting
            ));
        }
        if let Some(since) = &auth.since
            && super::image::TagVersion::parse(since).is_none()
        {
            return Err(format!(
                "rds_iam_authentication since {since:?} is not a version like \"2.10.0\""
            ));
        }
    }
    let settings = DatabaseSettings {
        settings: database.settings,
        url_schemes: database
            .url_schemes
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect(),
        embedded_schemes: database
            .embedded_schemes
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect(),
        check_urls: database.check_urls,
        key_value_dsn: database.key_value_dsn,
        type_settings,
        groups: database.groups,
        embedded_settings: database.embedded_settings,
        near_miss: database.near_miss,
        password_settings: database.password_settings,
        passwordless: database.passwordless,
        rds_iam_authentication: database.rds_iam_authentication,
        arguments: database.arguments,
        detected_when_unset: database.detected_when_unset,
        detected_hosts: database.detected_hosts,
        primary: database.primary,
        chosen_at_install: database.chosen_at_install,
    };
    if let Some(primary) = &settings.primary
        && !settings.all_names().any(|name| name == primary)
    {
        return Err(format!(
            "database.primary {primary} is none of the URL, type or group settings"
        ));
    }
    if let Some(name) = settings
        .near_miss
        .iter()
        .map(NearMiss::name)
        .find(|name| settings.all_names().any(|real| real == *name))
    {
        return Err(format!(
            "database.near_miss lists {name}, which is also a real setting"
        ));
    }
    Ok(settings)
}
