//! Profile files as written (TOML), field by field; `validate.rs` turns them into
//! [`Profile`](super::Profile)s.

use super::facts::{
    ArgumentSetting, KeptFiles, NearMiss, ProductionUse, RdsIamAuthentication, SettingValues,
    TypeSetting, VolatileSwitch,
};
use serde::Deserialize;

/// A profiles file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfileFile {
    #[serde(default)]
    pub(super) profile: Vec<ProfileSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfileSpec {
    pub(super) id: String,
    pub(super) name: String,
    /// Where the facts come from (kept for the reader; not used at run time).
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) images: Vec<String>,
    #[serde(default)]
    pub(super) other_images: Vec<String>,
    #[serde(default)]
    pub(super) recognise_settings: Vec<String>,
    pub(super) embedded_database: String,
    #[serde(default)]
    pub(super) data_directory: Option<String>,
    #[serde(default)]
    pub(super) data_directory_aliases: Vec<String>,
    #[serde(default)]
    pub(super) data_directory_setting: Option<String>,
    #[serde(default)]
    pub(super) data_subdirectory: Option<String>,
    #[serde(default)]
    pub(super) file_suffix: Option<String>,
    #[serde(default)]
    pub(super) file_settings: Vec<String>,
    #[serde(default)]
    pub(super) database: Option<DatabaseSpec>,
    #[serde(default)]
    pub(super) database_settings_ignored: Option<String>,
    #[serde(default)]
    pub(super) embedded_database_refused: Option<String>,
    #[serde(default)]
    pub(super) volatile_switch: Vec<VolatileSwitch>,
    #[serde(default)]
    pub(super) kept_files: Vec<KeptFiles>,
    #[serde(default)]
    pub(super) embedded_in_production: Option<ProductionUse>,
    #[serde(default)]
    pub(super) command: Option<CommandSpec>,
    #[serde(default)]
    pub(super) variant: Vec<VariantSpec>,
    #[serde(default)]
    pub(super) log_signature: Vec<SignatureSpec>,
}

/// Facts that differ for some images of the app; what is not given is the profile's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VariantSpec {
    pub(super) name: String,
    pub(super) source: String,
    #[serde(default)]
    pub(super) images: Vec<String>,
    #[serde(default)]
    pub(super) versions: Option<String>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    #[serde(default)]
    pub(super) suffixes: Vec<String>,
    #[serde(default)]
    pub(super) embedded_database: Option<String>,
    #[serde(default)]
    pub(super) data_directory: Option<String>,
    #[serde(default)]
    pub(super) data_directory_aliases: Option<Vec<String>>,
    #[serde(default)]
    pub(super) data_directory_setting: Option<String>,
    #[serde(default)]
    pub(super) data_subdirectory: Option<String>,
    #[serde(default)]
    pub(super) file_suffix: Option<String>,
    #[serde(default)]
    pub(super) file_settings: Option<Vec<String>>,
    /// Fields given here replace the profile's, one by one.
    #[serde(default)]
    pub(super) database: Option<DatabaseOverride>,
    #[serde(default)]
    pub(super) database_settings_ignored: Option<String>,
    #[serde(default)]
    pub(super) embedded_database_refused: Option<String>,
    #[serde(default)]
    pub(super) volatile_switch: Option<Vec<VolatileSwitch>>,
    #[serde(default)]
    pub(super) kept_files: Option<Vec<KeptFiles>>,
    #[serde(default)]
    pub(super) embedded_in_production: Option<ProductionUse>,
    #[serde(default)]
    pub(super) command: Option<CommandSpec>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DatabaseSpec {
    #[serde(default)]
    pub(super) settings: Vec<String>,
    #[serde(default)]
    pub(super) url_schemes: Vec<String>,
    #[serde(default)]
    pub(super) embedded_schemes: Vec<String>,
    #[serde(default = "yes")]
    pub(super) check_urls: bool,
    #[serde(default)]
    pub(super) key_value_dsn: bool,
    #[serde(default)]
    pub(super) type_setting: OneOrMany<TypeSetting>,
    #[serde(default)]
    pub(super) groups: Vec<Vec<String>>,
    #[serde(default)]
    pub(super) embedded_settings: Vec<String>,
    #[serde(default)]
    pub(super) near_miss: Vec<NearMiss>,
    #[serde(default)]
    pub(super) password_settings: Vec<String>,
    #[serde(default)]
    pub(super) passwordless: Option<SettingValues>,
    #[serde(default)]
    pub(super) rds_iam_authentication: Option<RdsIamAuthentication>,
    #[serde(default)]
    pub(super) arguments: Vec<ArgumentSetting>,
    #[serde(default)]
    pub(super) detected_when_unset: Option<String>,
    #[serde(default)]
    pub(super) detected_hosts: Vec<String>,
    #[serde(default)]
    pub(super) primary: Option<String>,
    #[serde(default)]
    pub(super) chosen_at_install: Option<String>,
}

pub(super) fn yes() -> bool {
    true
}

/// A variant's database fields: each one given replaces the profile's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DatabaseOverride {
    pub(super) settings: Option<Vec<String>>,
    pub(super) url_schemes: Option<Vec<String>>,
    pub(super) embedded_schemes: Option<Vec<String>>,
    pub(super) check_urls: Option<bool>,
    pub(super) key_value_dsn: Option<bool>,
    pub(super) type_setting: Option<OneOrMany<TypeSetting>>,
    pub(super) groups: Option<Vec<Vec<String>>>,
    pub(super) embedded_settings: Option<Vec<String>>,
    pub(super) near_miss: Option<Vec<NearMiss>>,
    pub(super) password_settings: Option<Vec<String>>,
    pub(super) passwordless: Option<SettingValues>,
    pub(super) rds_iam_authentication: Option<RdsIamAuthentication>,
    pub(super) arguments: Option<Vec<ArgumentSetting>>,
    pub(super) detected_when_unset: Option<String>,
    pub(super) detected_hosts: Option<Vec<String>>,
    pub(super) primary: Option<String>,
    pub(super) chosen_at_install: Option<String>,
}

impl DatabaseOverride {
    pub(super) fn apply(self, base: Option<&DatabaseSpec>) -> DatabaseSpec {
        let mut spec = base.cloned().unwrap_or_default();
        macro_rules! replace {
            ($($field:ident),*) => { $(if let Some(value) = self.$field { spec.$field = value; })* };
        }
        replace!(
            settings,
            url_schemes,
            embedded_schemes,
            check_urls,
            key_value_dsn,
            type_setting,
            groups,
            embedded_settings,
            near_miss,
            password_settings,
            arguments,
            detected_hosts
        );
        if self.passwordless.is_some() {
            spec.passwordless = self.passwordless;
        }
        if self.rds_iam_authentication.is_some() {
            spec.rds_iam_authentication = self.rds_iam_authentication;
        }
        if self.detected_when_unset.is_some() {
            spec.detected_when_unset = self.detected_when_unset;
        }
        if self.primary.is_some() {
            spec.primary = self.primary;
        }
        if self.chosen_at_install.is_some() {
            spec.chosen_at_install = self.chosen_at_install;
        }
        spec
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CommandSpec {
    #[serde(default)]
    pub(super) image_entrypoint: Vec<String>,
    #[serde(default)]
    pub(super) image_cmd: Vec<String>,
    pub(super) server: String,
    #[serde(default)]
    pub(super) role: Vec<RoleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleSpec {
    pub(super) name: String,
    pub(super) pattern: String,
    pub(super) opens_database: bool,
    pub(super) keeps_data: bool,
    pub(super) source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignatureSpec {
    pub(super) rule: String,
    pub(super) pattern: String,
    /// Fields the event must carry, whatever the rendering: `dbtype = "sqlite3"` matches
    /// `dbtype=sqlite3`, `dbtype="sqlite3"` and `"dbtype":"sqlite3"`, anywhere on the line.
    #[serde(default)]
    pub(super) fields: std::collections::BTreeMap<String, String>,
    /// The field whose value is the path to report (`path` of Grafana's "Creating SQLite
    /// database file"), in any rendering.
    #[serde(default)]
    pub(super) path_field: Option<String>,
    pub(super) meaning: String,
    #[serde(default)]
    pub(super) summary: Option<String>,
    /// The alert's fix, when the rule's own does not fit the event (Jenkins's initial admin
    /// password is no connection URL).
    #[serde(default)]
    pub(super) fix: Vec<String>,
    pub(super) filter: String,
    pub(super) example: String,
    /// The same event in the app's other output formats (JSON, logfmt, older versions).
    #[serde(default)]
    pub(super) examples: Vec<String>,
}

/// One table or a list of them in TOML.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    pub(super) fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}
