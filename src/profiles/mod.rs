//! Application profiles: how to recognise an app's container, which settings give it an
//! external database, what it gets wrong, where it keeps data, and what its log says.
//!
//! Profiles are data (TOML, see `coder.toml` and the README). They are parsed and validated
//! once at cold start into [`Profiles`], whose regexes are compiled and ready to use.

use crate::finding::RuleId;
use regex::Regex;
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// The profiles shipped inside the binary.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("coder.toml", include_str!("coder.toml")),
    ("grafana.toml", include_str!("grafana.toml")),
    ("metabase.toml", include_str!("metabase.toml")),
    ("n8n.toml", include_str!("n8n.toml")),
    ("keycloak.toml", include_str!("keycloak.toml")),
    ("sonarqube.toml", include_str!("sonarqube.toml")),
    ("vaultwarden.toml", include_str!("vaultwarden.toml")),
    ("gitea.toml", include_str!("gitea.toml")),
    ("directus.toml", include_str!("directus.toml")),
    ("baserow.toml", include_str!("baserow.toml")),
    ("uptime-kuma.toml", include_str!("uptime-kuma.toml")),
    ("nextcloud.toml", include_str!("nextcloud.toml")),
    ("jenkins.toml", include_str!("jenkins.toml")),
];

/// A profiles file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    #[serde(default)]
    profile: Vec<ProfileSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileSpec {
    id: String,
    name: String,
    /// Where the facts come from (kept for the reader; not used at run time).
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    recognise_settings: Vec<String>,
    embedded_database: String,
    #[serde(default)]
    data_directory: Option<String>,
    #[serde(default)]
    data_directory_setting: Option<String>,
    #[serde(default)]
    data_subdirectory: Option<String>,
    #[serde(default)]
    tag_variant: Vec<TagVariantSpec>,
    #[serde(default)]
    file_suffix: Option<String>,
    #[serde(default)]
    database: Option<DatabaseSpec>,
    #[serde(default)]
    volatile_switch: Vec<VolatileSwitch>,
    #[serde(default)]
    log_signature: Vec<SignatureSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseSpec {
    #[serde(default)]
    settings: Vec<String>,
    #[serde(default)]
    url_schemes: Vec<String>,
    #[serde(default)]
    embedded_schemes: Vec<String>,
    #[serde(default = "yes")]
    check_urls: bool,
    #[serde(default)]
    key_value_dsn: bool,
    #[serde(default)]
    type_setting: OneOrMany<TypeSetting>,
    #[serde(default)]
    groups: Vec<Vec<String>>,
    #[serde(default)]
    embedded_settings: Vec<String>,
    #[serde(default)]
    near_miss: Vec<NearMiss>,
    #[serde(default)]
    password_settings: Vec<String>,
    #[serde(default)]
    passwordless: Option<SettingValues>,
}

fn yes() -> bool {
    true
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

/// One table or a list of them in TOML.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
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
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SettingValues {
    pub setting: String,
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureSpec {
    rule: String,
    pattern: String,
    meaning: String,
    #[serde(default)]
    summary: Option<String>,
    filter: String,
    example: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagVariantSpec {
    tags: String,
    #[serde(default)]
    data_directory: Option<String>,
    #[serde(default)]
    database_settings_ignored: Option<String>,
}

/// Images of an app whose tag matches `tags` behave differently: they keep their data
/// elsewhere (Gitea's `-rootless` images) or read no database settings at all (Uptime Kuma 1).
#[derive(Clone, Debug)]
pub struct TagVariant {
    pub tags: Regex,
    pub data_directory: Option<String>,
    /// Why any database setting is ignored by these images, for the alert.
    pub database_settings_ignored: Option<String>,
}

/// A validated profile.
#[derive(Clone, Debug)]
pub struct Profile {
    pub id: String,
    pub name: String,
    /// Repository paths such as `coder/coder`.
    pub images: Vec<String>,
    pub recognise_settings: Vec<String>,
    /// What the app calls its embedded database, e.g. "built-in PostgreSQL".
    pub embedded_database: String,
    pub data_directory: Option<String>,
    pub data_directory_setting: Option<String>,
    /// A directory the app keeps inside `data_directory_setting`'s value, where the data lives
    /// (n8n's `$N8N_USER_FOLDER/.n8n`).
    pub data_subdirectory: Option<String>,
    /// Images whose tag says they keep their data elsewhere (Gitea's `-rootless` images).
    pub tag_variants: Vec<TagVariant>,
    /// The app also reads a setting `X` from the file that `X` + this suffix names
    /// (Vaultwarden's `DATABASE_URL_FILE`): such a setting counts as set, its value unseen.
    pub file_suffix: Option<String>,
    pub database: Option<DatabaseSettings>,
    pub volatile_switches: Vec<VolatileSwitch>,
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
}

impl DatabaseSettings {
    /// The setting to name in alerts and fixes: the URL setting, else the type setting, else
    /// the first of the first group.
    pub fn primary_setting(&self) -> &str {
        self.settings
            .first()
            .map(String::as_str)
            .or(self.type_settings.first().map(|t| t.name.as_str()))
            .or(self
                .groups
                .first()
                .and_then(|g| g.first())
                .map(String::as_str))
            .unwrap_or("the database setting")
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

/// A compiled log signature.
#[derive(Clone, Debug)]
pub struct LogSignature {
    /// Index into [`Profiles::all`].
    pub profile: usize,
    pub rule: RuleId,
    pub regex: Regex,
    pub meaning: String,
    /// The alert's summary, when the rule's own wording does not fit the app.
    pub summary: Option<String>,
    /// The CloudWatch Logs subscription filter term that lets this signature's lines through.
    pub filter: String,
    /// A real log line the signature matches.
    pub example: String,
}

/// Characters a subscription filter term may use: CloudWatch's regex filter syntax allows
/// letters, digits and `: _ # = @ / ; , -`, and `.` (any character) stands for a space.
pub fn valid_filter_term(term: &str) -> bool {
    !term.is_empty()
        && term
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":_#=@/;,-.".contains(c))
}

/// All profiles, validated and compiled.
#[derive(Clone, Debug)]
pub struct Profiles {
    profiles: Vec<Profile>,
    signatures: Vec<LogSignature>,
}

/// A profiles file that cannot be used. Names the file, the entry and the problem.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub struct ProfileError {
    pub file: String,
    /// `profile 'coder'` or `entry 3`; empty when the whole file is unreadable.
    pub entry: String,
    pub problem: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entry.is_empty() {
            write!(f, "profiles file {}: {}", self.file, self.problem)
        } else {
            write!(
                f,
                "profiles file {}: {}: {}",
                self.file, self.entry, self.problem
            )
        }
    }
}

/// Rules a log signature may raise.
const LOG_RULES: [RuleId; 4] = [
    RuleId::EmbeddedDatabaseInUse,
    RuleId::EphemeralDataDirectory,
    RuleId::DatabaseConnectionFailing,
    RuleId::CredentialsInLogs,
];

impl Profiles {
    /// The shipped profiles.
    pub fn built_in() -> Result<Profiles, ProfileError> {
        Profiles::from_sources(BUILT_IN.iter().map(|(name, text)| (*name, *text)))
    }

    /// Parses and validates profile files in order; a later profile with the same `id`
    /// replaces an earlier one (so a user file can override a shipped profile).
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Profiles, ProfileError> {
        let mut profiles: Vec<Profile> = Vec::new();
        let mut signature_specs: Vec<(String, Vec<SignatureSpec>, String)> = Vec::new();
        for (file, text) in sources {
            let parsed: ProfileFile = toml::from_str(text).map_err(|error| ProfileError {
                file: file.to_string(),
                entry: String::new(),
                problem: match error.span() {
                    Some(span) => format!(
                        "line {}: {}",
                        text[..span.start.min(text.len())].matches('\n').count() + 1,
                        error.message()
                    ),
                    None => error.message().to_string(),
                },
            })?;
            for (index, spec) in parsed.profile.into_iter().enumerate() {
                let entry = if spec.id.is_empty() {
                    format!("entry {}", index + 1)
                } else {
                    format!("profile '{}'", spec.id)
                };
                let fail = |problem: String| ProfileError {
                    file: file.to_string(),
                    entry: entry.clone(),
                    problem,
                };
                let (profile, signatures) = validate(spec).map_err(fail)?;
                if let Some(position) = profiles.iter().position(|p| p.id == profile.id) {
                    profiles[position] = profile.clone();
                    signature_specs.retain(|(id, _, _)| *id != profile.id);
                } else {
                    profiles.push(profile.clone());
                }
                signature_specs.push((profile.id.clone(), signatures, file.to_string()));
            }
        }
        let mut signatures = Vec::new();
        for (id, specs, file) in signature_specs {
            let profile = profiles
                .iter()
                .position(|p| p.id == id)
                .expect("profile of a signature exists");
            for (number, spec) in specs.into_iter().enumerate() {
                let fail = |problem: String| ProfileError {
                    file: file.clone(),
                    entry: format!("profile '{id}'"),
                    problem: format!("log_signature {}: {problem}", number + 1),
                };
                let rule: RuleId = spec
                    .rule
                    .parse()
                    .map_err(|_| fail(format!("unknown rule {:?}", spec.rule)))?;
                if !LOG_RULES.contains(&rule) {
                    return Err(fail(format!(
                        "rule {rule} cannot come from a log line; use one of {}",
                        LOG_RULES.map(RuleId::as_str).join(", ")
                    )));
                }
                let regex = Regex::new(&spec.pattern)
                    .map_err(|error| fail(format!("invalid pattern: {error}")))?;
                if spec.meaning.trim().is_empty() {
                    return Err(fail("meaning is empty".to_string()));
                }
                if !regex.is_match(&spec.example) {
                    return Err(fail(format!(
                        "pattern does not match its example {:?}",
                        spec.example
                    )));
                }
                if !valid_filter_term(&spec.filter) {
                    return Err(fail(format!(
                        "filter {:?} may use only letters, digits, '.' and - _ : / # = @ ; ,",
                        spec.filter
                    )));
                }
                let filter_regex = Regex::new(&spec.filter)
                    .map_err(|error| fail(format!("invalid filter: {error}")))?;
                if !filter_regex.is_match(&spec.example) {
                    return Err(fail(format!(
                        "filter {:?} does not let its example through, so CloudWatch would never deliver the line",
                        spec.filter
                    )));
                }
                signatures.push(LogSignature {
                    profile,
                    rule,
                    regex,
                    meaning: spec.meaning,
                    summary: spec.summary,
                    filter: spec.filter,
                    example: spec.example,
                });
            }
        }
        Ok(Profiles {
            profiles,
            signatures,
        })
    }

    pub fn all(&self) -> &[Profile] {
        &self.profiles
    }

    pub fn signatures(&self) -> &[LogSignature] {
        &self.signatures
    }

    pub fn get(&self, index: usize) -> &Profile {
        &self.profiles[index]
    }

    /// The profile that recognises a container, by image first, then by its settings.
    pub fn recognise(&self, image: &str, setting_names: &[&str]) -> Option<&Profile> {
        let repository = image_repository(image);
        self.profiles
            .iter()
            .find(|profile| {
                profile
                    .images
                    .iter()
                    .any(|wanted| repository_matches(repository, wanted))
            })
            .or_else(|| {
                self.profiles.iter().find(|profile| {
                    profile
                        .recognise_settings
                        .iter()
                        .any(|name| setting_names.contains(&name.as_str()))
                })
            })
    }
}

fn validate(spec: ProfileSpec) -> Result<(Profile, Vec<SignatureSpec>), String> {
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
    if let Some(image) = spec.images.iter().find(|image| {
        image.is_empty() || image.contains(':') || image.contains('@') || image.starts_with('/')
    }) {
        return Err(format!(
            "image {image:?} must be a repository path without registry or tag, like \"coder/coder\""
        ));
    }
    if let Some(dir) = &spec.data_directory
        && !dir.starts_with('/')
    {
        return Err(format!("data_directory {dir:?} must be an absolute path"));
    }
    let database = match spec.database {
        None => None,
        Some(database) => {
            let type_settings = database.type_setting.into_vec();
            if database.settings.is_empty()
                && type_settings.is_empty()
                && database.groups.is_empty()
            {
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
            };
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
            Some(settings)
        }
    };
    if spec.data_subdirectory.is_some() && spec.data_directory_setting.is_none() {
        return Err("data_subdirectory needs data_directory_setting".to_string());
    }
    let mut tag_variants = Vec::new();
    for variant in &spec.tag_variant {
        let tags = Regex::new(&variant.tags).map_err(|error| {
            format!(
                "tag_variant {:?}: tags is not a regex: {error}",
                variant.tags
            )
        })?;
        if variant
            .data_directory
            .as_deref()
            .is_some_and(|dir| !dir.starts_with('/'))
        {
            return Err(format!(
                "tag_variant {:?}: data_directory must be an absolute path",
                variant.tags
            ));
        }
        if variant.data_directory.is_none() && variant.database_settings_ignored.is_none() {
            return Err(format!(
                "tag_variant {:?} needs a data_directory or database_settings_ignored",
                variant.tags
            ));
        }
        tag_variants.push(TagVariant {
            tags,
            data_directory: variant
                .data_directory
                .as_deref()
                .map(|dir| normalise_path(dir).to_string()),
            database_settings_ignored: variant.database_settings_ignored.clone(),
        });
    }
    if spec
        .file_suffix
        .as_deref()
        .is_some_and(|suffix| suffix.trim().is_empty() || suffix.contains(char::is_whitespace))
    {
        return Err("file_suffix must be a non-empty name suffix such as \"_FILE\"".to_string());
    }
    if let Some(switch) = spec
        .volatile_switch
        .iter()
        .find(|switch| switch.values.is_empty() || switch.meaning.trim().is_empty())
    {
        return Err(format!(
            "volatile_switch {} needs values and a meaning",
            switch.setting
        ));
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
            recognise_settings: spec.recognise_settings,
            embedded_database: spec.embedded_database,
            data_directory: spec
                .data_directory
                .map(|dir| normalise_path(&dir).to_string()),
            data_directory_setting: spec.data_directory_setting,
            data_subdirectory: spec
                .data_subdirectory
                .map(|sub| sub.trim_matches('/').to_string()),
            tag_variants,
            file_suffix: spec.file_suffix,
            database,
            volatile_switches: spec.volatile_switch,
        },
        spec.log_signature,
    ))
}

impl Profile {
    /// The data directory for a container of `image`: the override setting's value if set
    /// (with the app's subdirectory), else the directory of the image's tag variant, else the
    /// default.
    pub fn data_directory_for<'a>(
        &'a self,
        image: &str,
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
        self.tag_variants_of(image)
            .find_map(|variant| variant.data_directory.as_deref())
            .or(self.data_directory.as_deref())
            .map(Cow::Borrowed)
    }

    /// The tag variants an image belongs to (an image without a tag belongs to none).
    pub fn tag_variants_of<'a>(&'a self, image: &str) -> impl Iterator<Item = &'a TagVariant> {
        let tag = image_tag(image).unwrap_or_default().to_string();
        self.tag_variants
            .iter()
            .filter(move |variant| !tag.is_empty() && variant.tags.is_match(&tag))
    }
}

/// The tag of an image reference, if it has one: `gitea/gitea:1.22-rootless` -> `1.22-rootless`.
pub fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let colon = without_digest.rfind(':')?;
    let tag = &without_digest[colon + 1..];
    (!tag.contains('/')).then_some(tag)
}

/// `/a/b/` -> `/a/b`; `/` stays `/`.
pub fn normalise_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

/// The repository path of an image reference, without registry, tag or digest:
/// `ghcr.io/coder/coder:v2.18.0` -> `coder/coder`,
/// `123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/coder/coder@sha256:..` -> `mirror/coder/coder`,
/// `docker.io/library/nginx` -> `nginx`.
pub fn image_repository(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let without_tag = match without_digest.rfind(':') {
        Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
        _ => without_digest,
    };
    let path = match without_tag.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            rest
        }
        _ => without_tag,
    };
    path.strip_prefix("library/").unwrap_or(path)
}

/// Whether `repository` is `wanted` or ends with `/wanted` (a mirror's prefix is allowed).
fn repository_matches(repository: &str, wanted: &str) -> bool {
    repository.eq_ignore_ascii_case(wanted)
        || (repository.len() > wanted.len()
            && repository.as_bytes()[repository.len() - wanted.len() - 1] == b'/'
            && repository[repository.len() - wanted.len()..].eq_ignore_ascii_case(wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_load_and_compile() {
        let profiles = Profiles::built_in().expect("shipped profiles are valid");
        let coder = &profiles.all()[0];
        assert_eq!(coder.id, "coder");
        assert_eq!(
            coder.database.as_ref().unwrap().settings,
            vec!["CODER_PG_CONNECTION_URL"]
        );
        assert!(profiles.signatures().len() >= 4);
    }

    #[test]
    fn image_repositories_ignore_registry_tag_and_digest() {
        assert_eq!(
            image_repository("ghcr.io/coder/coder:v2.18.0"),
            "coder/coder"
        );
        assert_eq!(image_repository("coder/coder"), "coder/coder");
        assert_eq!(
            image_repository(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/coder/coder@sha256:abc"
            ),
            "mirror/coder/coder"
        );
        assert_eq!(
            image_repository("localhost:5000/coder/coder:latest"),
            "coder/coder"
        );
        assert_eq!(image_repository("docker.io/library/nginx:1.27"), "nginx");
        assert!(repository_matches("mirror/coder/coder", "coder/coder"));
        assert!(!repository_matches("notcoder/coder", "coder/coder"));
    }

    #[test]
    fn recognises_coder_by_image_or_by_settings_only() {
        let profiles = Profiles::built_in().unwrap();
        assert!(profiles.recognise("ghcr.io/coder/coder:v2", &[]).is_some());
        assert!(
            profiles
                .recognise("example.com/team/dev-portal:1", &["CODER_ACCESS_URL"])
                .is_some()
        );
        assert!(
            profiles
                .recognise("nginx:latest", &["DATABASE_URL"])
                .is_none()
        );
    }

    #[test]
    fn invalid_profiles_name_the_file_entry_and_problem() {
        let bad_regex = r#"
            [[profile]]
            id = "acme"
            name = "Acme"
            images = ["acme/acme"]
            embedded_database = "SQLite"
            [[profile.log_signature]]
            rule = "embedded-database-in-use"
            pattern = "Using (SQLite"
            meaning = "x"
            filter = "Using.SQLite"
            example = "Using SQLite"
        "#;
        let error = Profiles::from_sources([("my-profiles.toml", bad_regex)]).unwrap_err();
        assert_eq!(error.file, "my-profiles.toml");
        assert_eq!(error.entry, "profile 'acme'");
        assert!(
            error
                .problem
                .starts_with("log_signature 1: invalid pattern"),
            "{error}"
        );

        let unknown_field = "[[profile]]\nid = \"x\"\nname = \"X\"\nimages=[\"x/x\"]\nembedded_database=\"db\"\ncolour = 1\n";
        let error = Profiles::from_sources([("p.toml", unknown_field)]).unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");

        let tagged =
            "[[profile]]\nid = \"x\"\nname = \"X\"\nimages=[\"x/x:1\"]\nembedded_database=\"db\"\n";
        let error = Profiles::from_sources([("p.toml", tagged)]).unwrap_err();
        assert!(error.problem.contains("without registry or tag"), "{error}");
    }

    #[test]
    fn signatures_must_match_their_examples_and_filters_must_let_them_through() {
        let profile = |pattern: &str, filter: &str| {
            format!(
                "[[profile]]\nid = \"acme\"\nname = \"Acme\"\nimages = [\"acme/acme\"]\nembedded_database = \"SQLite\"\n\
                 [[profile.log_signature]]\nrule = \"embedded-database-in-use\"\npattern = '{pattern}'\n\
                 meaning = \"m\"\nfilter = '{filter}'\nexample = 'Using SQLite at /data'\n"
            )
        };
        assert!(
            Profiles::from_sources([("ok.toml", profile("Using SQLite", "Using.SQLite").as_str())])
                .is_ok()
        );
        let error =
            Profiles::from_sources([("p.toml", profile("Using H2", "Using.SQLite").as_str())])
                .unwrap_err();
        assert!(
            error.problem.contains("does not match its example"),
            "{error}"
        );
        let error =
            Profiles::from_sources([("p.toml", profile("Using SQLite", "Using.H2").as_str())])
                .unwrap_err();
        assert!(
            error.problem.contains("does not let its example through"),
            "{error}"
        );
        let error = Profiles::from_sources([(
            "p.toml",
            profile("Using SQLite", "Using (SQLite)").as_str(),
        )])
        .unwrap_err();
        assert!(error.problem.contains("may use only"), "{error}");
    }

    #[test]
    fn a_later_profile_with_the_same_id_replaces_the_earlier() {
        let override_coder = r#"
            [[profile]]
            id = "coder"
            name = "Coder (ours)"
            images = ["platform/coder"]
            embedded_database = "built-in PostgreSQL"
        "#;
        let profiles = Profiles::from_sources(
            BUILT_IN
                .iter()
                .map(|(n, t)| (*n, *t))
                .chain([("ours.toml", override_coder)]),
        )
        .unwrap();
        let shipped = Profiles::built_in().unwrap();
        assert_eq!(profiles.all().len(), shipped.all().len());
        let coder = profiles.all().iter().position(|p| p.id == "coder").unwrap();
        assert_eq!(profiles.all()[coder].name, "Coder (ours)");
        assert!(profiles.signatures().iter().all(|s| s.profile != coder));
    }

    #[test]
    fn data_directory_follows_its_setting() {
        let profiles = Profiles::built_in().unwrap();
        let coder = &profiles.all()[0];
        let image = "ghcr.io/coder/coder:v2.18.0";
        assert_eq!(
            coder.data_directory_for(image, |_| None).as_deref(),
            Some("/home/coder/.config/coderv2")
        );
        assert_eq!(
            coder
                .data_directory_for(image, |name| (name == "CODER_CONFIG_DIR")
                    .then_some("/data/coder/"))
                .as_deref(),
            Some("/data/coder")
        );
    }

    #[test]
    fn data_directory_inside_its_setting_and_by_image_tag() {
        let profiles = Profiles::built_in().unwrap();
        let find = |id: &str| profiles.all().iter().find(|p| p.id == id).unwrap();
        let n8n = find("n8n");
        assert_eq!(
            n8n.data_directory_for("n8nio/n8n:1.70.0", |_| None)
                .as_deref(),
            Some("/home/node/.n8n")
        );
        for (folder, expected) in [("/data/", "/data/.n8n"), ("/", "/.n8n")] {
            assert_eq!(
                n8n.data_directory_for("n8nio/n8n", |name| (name == "N8N_USER_FOLDER")
                    .then_some(folder))
                    .as_deref(),
                Some(expected)
            );
        }
        let gitea = find("gitea");
        for (image, expected) in [
            ("gitea/gitea:1.22", "/data"),
            ("gitea/gitea", "/data"),
            ("gitea/gitea:1.22-rootless", "/var/lib/gitea"),
            (
                "docker.io/gitea/gitea:latest-rootless@sha256:0123",
                "/var/lib/gitea",
            ),
        ] {
            assert_eq!(
                gitea.data_directory_for(image, |_| None).as_deref(),
                Some(expected),
                "{image}"
            );
        }
        assert_eq!(image_tag("localhost:5000/gitea/gitea"), None);
        assert_eq!(
            image_tag("localhost:5000/gitea/gitea:1-rootless"),
            Some("1-rootless")
        );
    }
}
