//! What one version of an app does: how its settings choose a database, where it keeps its
//! data, which commands of its image own that data, and whether its makers support its
//! embedded database in production. A profile holds the newest version's facts and, for older
//! or other images, [`crate::profiles::Variant`]s with their own.

use super::command::Commands;
use serde::Deserialize;
use std::borrow::Cow;

/// Facts of one version of an app.
#[derive(Clone, Debug)]
pub struct Facts {
    /// What the app calls its embedded database, e.g. "built-in PostgreSQL".
    pub embedded_database: String,
    /// Where the image keeps its data, absolute.
    pub data_directory: Option<String>,
    /// Other paths the image keeps the same data at (the n8n 0.x image links a mounted
    /// `/root/.n8n` into its home): a persistent volume there counts too.
    pub data_directory_aliases: Vec<String>,
    /// The setting that moves the data directory.
    pub data_directory_setting: Option<String>,
    /// A directory the app keeps inside `data_directory_setting`'s value, where the data lives
    /// (n8n's `$N8N_USER_FOLDER/.n8n`).
    pub data_subdirectory: Option<String>,
    /// The app also reads a setting `X` from the file that `X` + this suffix names
    /// (Vaultwarden's `DATABASE_URL_FILE`): such a setting counts as set, its value unseen.
    pub file_suffix: Option<String>,
    /// The settings `file_suffix` applies to; empty: every setting.
    pub file_settings: Vec<String>,
    pub database: Option<DatabaseSettings>,
    /// These images refuse to run on the embedded database (SonarQube Data Center nodes):
    /// why. A missing database setting fails loudly there, so no database rule applies.
    pub embedded_database_refused: Option<String>,
    /// These images read no database setting at all (Uptime Kuma 1.x): why, for the alert.
    pub database_settings_ignored: Option<String>,
    pub volatile_switches: Vec<VolatileSwitch>,
    /// Data the app keeps in the container whatever its database (git repositories,
    /// attachments, its config file): lost with the task unless a persistent volume holds it.
    pub kept_files: Vec<KeptFiles>,
    /// Whether the app's makers support its embedded database in production.
    pub embedded_in_production: Option<ProductionUse>,
    /// The image's command and the roles its command lines select.
    pub commands: Option<Commands>,
}

impl Facts {
    /// The data directory: the override setting's value if set (with the app's
    /// subdirectory), else the image's.
    pub fn data_directory_with<'a>(
        &'a self,
        env: impl Fn(&str) -> Option<&'a str>,
    ) -> Option<Cow<'a, str>> {
        if let Some(set) = self
            .data_directory_setting
            .as_deref()
            .and_then(env)
            .filter(|dir| dir.starts_with('/'))
            .map(normalise_path)
        {
            return Some(match &self.data_subdirectory {
                Some(sub) if set == "/" => Cow::Owned(format!("/{sub}")),
                Some(sub) => Cow::Owned(format!("{set}/{sub}")),
                None => Cow::Borrowed(set),
            });
        }
        self.data_directory.as_deref().map(Cow::Borrowed)
    }
}

/// Files an app keeps whatever its database: Gitea's repositories, Vaultwarden's attachments
/// and signing key, Nextcloud's `config.php`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeptFiles {
    /// What they are, for the alert: "git repositories".
    pub what: String,
    /// What losing them costs, when it is not plain from `what`: "without it, the credentials
    /// it stores cannot be read".
    #[serde(default)]
    pub why: Option<String>,
    /// Where, absolute; the data directory when not given.
    #[serde(default)]
    pub path: Option<String>,
    /// Settings that keep them elsewhere (any value but those listed in `except`).
    #[serde(default)]
    pub unless: Vec<MovedBy>,
    pub source: String,
}

/// A setting that moves kept files out of the container: set to any value but `except`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MovedBy {
    pub setting: String,
    #[serde(default)]
    pub except: Vec<String>,
}

/// What an app's makers say about running its embedded database in production, with
/// persistent storage under it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProductionUse {
    pub supported: bool,
    /// Their words.
    pub says: String,
    /// Where they say it.
    pub source: String,
}

/// A name people set by mistake: just the name, or the name and the one the app reads.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum NearMiss {
    Name(String),
    Meant { name: String, means: String },
}

impl NearMiss {
    pub fn name(&self) -> &str {
        match self {
            NearMiss::Name(name) | NearMiss::Meant { name, .. } => name,
        }
    }

    /// The setting the person meant, when the profile says.
    pub fn means(&self) -> Option<&str> {
        match self {
            NearMiss::Name(_) => None,
            NearMiss::Meant { means, .. } => Some(means),
        }
    }
}

/// Values that stand for "any value" in profiles (`external = ["*"]`, `values = ["*"]`).
pub const ANY_VALUE: &str = "*";

/// Whether `value` is one of `values` (without case), `*` matching any non-empty value.
pub fn value_listed(values: &[String], value: &str) -> bool {
    let value = value.trim();
    values.iter().any(|wanted| {
        wanted.eq_ignore_ascii_case(value) || (wanted == ANY_VALUE && !value.is_empty())
    })
}

/// A setting whose value chooses the database (`DB_TYPE=postgresdb`, `KC_DB=dev-file`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TypeSetting {
    pub name: String,
    /// Values that select an external database (compared without case; `*` is any value
    /// not listed in `embedded`).
    pub external: Vec<String>,
    /// Values that select the embedded database; leaving the setting unset does too.
    #[serde(default)]
    pub embedded: Vec<String>,
    /// What the app does with any other value.
    #[serde(default)]
    pub unknown: UnknownValue,
    /// Whether the app compares values with case (n8n: `Postgresdb` is not `postgresdb`).
    #[serde(default)]
    pub case_sensitive: bool,
}

impl TypeSetting {
    fn matches(&self, wanted: &str, value: &str) -> bool {
        if self.case_sensitive {
            wanted == value
        } else {
            wanted.eq_ignore_ascii_case(value)
        }
    }

    /// Whether `value` selects the embedded database.
    pub fn is_embedded(&self, value: &str) -> bool {
        self.embedded
            .iter()
            .any(|wanted| self.matches(wanted, value.trim()))
    }

    /// Whether `value` selects an external database (`*`: any value not embedded).
    pub fn is_external(&self, value: &str) -> bool {
        let value = value.trim();
        self.external
            .iter()
            .any(|wanted| self.matches(wanted, value) || (wanted == ANY_VALUE && !value.is_empty()))
    }
}

/// What an app does with a value of its type setting that it does not know.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownValue {
    /// It refuses to start (the task fails; nothing is silently lost).
    #[default]
    Fails,
    /// It silently uses its embedded database: `database-setting-invalid`.
    Embedded,
}

/// An app's own switch that accepts storage which dies with the container.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VolatileSwitch {
    pub setting: String,
    /// Values (compared without case; `*` is any non-empty value) that turn the check off.
    pub values: Vec<String>,
    /// What it does, for the alert.
    pub meaning: String,
    /// Whether it matters when the app has an external database (Vaultwarden keeps keys and
    /// attachments in its data directory anyway; Baserow's check only guards its embedded
    /// database).
    #[serde(default = "yes")]
    pub with_external_database: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SettingValues {
    pub setting: String,
    pub values: Vec<String>,
}

/// A setting whose value makes the app authenticate to Amazon RDS with IAM tokens instead of
/// a password: the instance must have IAM database authentication on.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RdsIamAuthentication {
    pub setting: String,
    pub values: Vec<String>,
    /// The first version that reads the setting (`2.10.0`); older images ignore it.
    #[serde(default)]
    pub since: Option<String>,
}

/// How an app is pointed at an external database. Any one of these selects it: a URL
/// setting, the type setting at an external value, or every setting of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// URL (or connection string) settings; any one set (non-empty) means external, unless
    /// its scheme is one of `embedded_schemes`.
    pub settings: Vec<String>,
    /// URL schemes that select an external database, lower case.
    pub url_schemes: Vec<String>,
    /// URL schemes that select the embedded database (`sqlite3`); `""` is a bare path and `*`
    /// any scheme not in `url_schemes` (Vaultwarden's `DATABASE_URL=/data/db.sqlite3`).
    pub embedded_schemes: Vec<String>,
    /// Whether URL settings are checked for `database-url-malformed` (off for JDBC URLs,
    /// whose vendor syntaxes differ).
    pub check_urls: bool,
    /// Whether `key=value` connection strings are accepted as well as URLs.
    pub key_value_dsn: bool,
    /// Settings whose value chooses the database (several when an app reads more than one
    /// name, e.g. Forgejo's FORGEJO__ and GITEA__ prefixes).
    pub type_settings: Vec<TypeSetting>,
    /// Groups of settings that select an external database only when all are set.
    pub groups: Vec<Vec<String>>,
    /// Settings that, when set, choose the embedded database whatever else is set
    /// (Nextcloud's `SQLITE_DATABASE`).
    pub embedded_settings: Vec<String>,
    /// Names people set by mistake; the app never reads them.
    pub near_miss: Vec<NearMiss>,
    /// Settings that hold a database password (a plain `environment` value is a finding).
    pub password_settings: Vec<String>,
    /// A setting whose value means "no password in the URL, and that is fine".
    pub passwordless: Option<SettingValues>,
    /// A setting whose value makes the app use IAM tokens with RDS (`database-auth-misconfigured`).
    pub rds_iam_authentication: Option<RdsIamAuthentication>,
    /// Command-line arguments that set a setting (`-Dsonar.jdbc.url=` sets SONAR_JDBC_URL).
    pub arguments: Vec<ArgumentSetting>,
    /// When nothing is set, the app looks for a database by itself in a way the task
    /// definition does not show (the legacy Keycloak image resolves a host named `postgres`):
    /// how, for the "could not decide" finding.
    pub detected_when_unset: Option<String>,
    /// Host names the app takes as its database when nothing is set and the name resolves
    /// (the legacy Keycloak image: `postgres`, `mysql`, ...); a container that `links` to one
    /// or names it in `extraHosts` has chosen that database.
    pub detected_hosts: Vec<String>,
    /// The setting alerts and fixes name, when not the first URL, type or group setting.
    pub primary: Option<String>,
    /// When nothing is set the app asks for its database in a setup page and keeps the
    /// answer in its data directory (Nextcloud's installer, Uptime Kuma 2): how, for the
    /// "could not decide" finding.
    pub chosen_at_install: Option<String>,
}

/// A command-line argument that sets a setting: `prefix` is followed by the value.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ArgumentSetting {
    pub prefix: String,
    pub setting: String,
}

impl DatabaseSettings {
    /// The setting to name in alerts and fixes: the URL setting, else the type setting, else
    /// the first of the first group.
    pub fn primary_setting(&self) -> &str {
        self.primary
            .as_deref()
            .or(self.settings.first().map(String::as_str))
            .or(self.type_settings.first().map(|t| t.name.as_str()))
            .or(self
                .groups
                .first()
                .and_then(|g| g.first())
                .map(String::as_str))
            .unwrap_or("the database setting")
    }

    /// The setting a near-miss name stands for: its `means`, else the primary setting.
    pub fn meant_by(&self, near_miss: &str) -> &str {
        self.near_miss
            .iter()
            .find(|near| near.name() == near_miss)
            .and_then(NearMiss::means)
            .unwrap_or(self.primary_setting())
    }

    /// Whether a URL setting's value selects the embedded database by its scheme.
    pub fn selects_embedded(&self, value: &str) -> bool {
        let scheme = value
            .trim()
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase())
            .unwrap_or_default();
        !self.url_schemes.contains(&scheme)
            && self
                .embedded_schemes
                .iter()
                .any(|embedded| *embedded == scheme || embedded == ANY_VALUE)
    }

    /// Every setting name that plays a part in choosing the database.
    pub fn all_names(&self) -> impl Iterator<Item = &str> {
        self.settings
            .iter()
            .map(String::as_str)
            .chain(self.type_settings.iter().map(|t| t.name.as_str()))
            .chain(self.groups.iter().flatten().map(String::as_str))
    }
}

/// `/a/b/` -> `/a/b`; `/` stays `/`.
pub fn normalise_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}
