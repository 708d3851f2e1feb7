//! Application profiles: how to recognise an app's container, which settings give it an
//! external database, what it gets wrong, where it keeps data, what its log says, and how
//! each of that differs between versions of its image.
//!
//! Profiles are data (TOML, see `coder.toml` and the README). They are parsed and validated
//! once at cold start into [`Profiles`], whose regexes are compiled and ready to use.

pub mod command;
pub mod facts;
pub mod image;
mod spec;
mod validate;

pub use facts::{
    ANY_VALUE, ArgumentSetting, DatabaseSettings, Facts, KeptFiles, MovedBy, NearMiss,
    ProductionUse, SettingValues, TypeSetting, UnknownValue, VolatileSwitch, normalise_path,
    value_listed,
};
pub use image::{image_repository, image_tag};

use crate::finding::RuleId;
use image::{ImageSelector, InRange, TagVersion, repository_matches};
use regex::Regex;
use spec::{ProfileFile, SignatureSpec};
use std::fmt;

// `BUILT_IN`: every `src/profiles/*.toml`, listed by build.rs.
include!(concat!(env!("OUT_DIR"), "/built_in_profiles.rs"));

/// A validated profile: the newest version's facts and the variants that differ.
#[derive(Clone, Debug)]
pub struct Profile {
    pub id: String,
    pub name: String,
    /// Repository paths such as `coder/coder`.
    pub images: Vec<String>,
    /// The project's other images (a frontend, a task runner) that share its settings but
    /// are not the app: never recognised as it.
    pub other_images: Vec<String>,
    pub recognise_settings: Vec<String>,
    /// What the newest version does.
    pub facts: Facts,
    /// Images whose version, tag or repository does otherwise (Keycloak before 17).
    pub variants: Vec<Variant>,
}

/// Facts that hold for some images of an app.
#[derive(Clone, Debug)]
pub struct Variant {
    /// What people call these images: "the WildFly-based image (Keycloak before 17)".
    pub name: String,
    /// Where the facts come from.
    pub source: String,
    pub selector: ImageSelector,
    pub facts: Facts,
}

/// Which facts an image is judged by.
#[derive(Clone, Copy, Debug)]
pub enum Version<'a> {
    /// The newest version's (the image is one, or the profile has no variants).
    Newest,
    /// A variant's.
    Variant(&'a Variant),
    /// The tag (or a digest) does not say which version runs: judged by the newest facts.
    Unknown,
}

impl PartialEq for Version<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Version::Variant(a), Version::Variant(b)) => std::ptr::eq(*a, *b),
            (Version::Newest, Version::Newest) | (Version::Unknown, Version::Unknown) => true,
            _ => false,
        }
    }
}

impl Profile {
    /// Which facts `image` is judged by. A tag that names no version this profile can place
    /// (`lts`, `stable`, a digest, or `1` when facts change at 1.5) is [`Version::Unknown`].
    pub fn version_of(&self, image: &str) -> Version<'_> {
        if self.variants.is_empty() {
            return Version::Newest;
        }
        let mut partly = false;
        for variant in &self.variants {
            match variant.selector.selects(image) {
                InRange::Yes => return Version::Variant(variant),
                InRange::Partly => partly = true,
                InRange::No => {}
            }
        }
        let without_digest = image.split('@').next().unwrap_or(image);
        match image_tag(image) {
            _ if partly => Version::Unknown,
            // Docker's default tag is `latest`: the newest release.
            Some(tag) if tag.eq_ignore_ascii_case("latest") => Version::Newest,
            Some(tag) if TagVersion::parse(tag).is_some() => Version::Newest,
            None if without_digest.len() == image.len() => Version::Newest,
            _ => Version::Unknown,
        }
    }

    /// The facts of a version.
    pub fn facts_of<'a>(&'a self, version: &Version<'a>) -> &'a Facts {
        match version {
            Version::Variant(variant) => &variant.facts,
            Version::Newest | Version::Unknown => &self.facts,
        }
    }

    /// Whether a repository is one of this profile's images (or a variant's).
    pub fn has_image(&self, repository: &str) -> bool {
        self.images
            .iter()
            .chain(self.variants.iter().flat_map(|v| &v.selector.images))
            .any(|wanted| repository_matches(repository, wanted))
    }
}

/// A compiled log signature.
#[derive(Clone, Debug)]
pub struct LogSignature {
    /// Index into [`Profiles::all`].
    pub profile: usize,
    pub rule: RuleId,
    pub regex: Regex,
    /// Fields the line must also carry, one regex each (any rendering: logfmt or JSON).
    pub fields: Vec<Regex>,
    /// Captures a field's value as the reported path.
    pub path_field: Option<Regex>,
    pub meaning: String,
    /// The alert's summary, when the rule's own wording does not fit the app.
    pub summary: Option<String>,
    /// The alert's fix, when the rule's own does not fit the event.
    pub fix: Vec<String>,
    /// The CloudWatch Logs subscription filter term that lets this signature's lines through.
    pub filter: String,
    /// A real log line the signature matches.
    pub example: String,
    /// The same event in the app's other formats.
    pub examples: Vec<String>,
}

impl LogSignature {
    /// Whether a line (colour codes already removed) is this signature's event.
    pub fn matches(&self, line: &str) -> bool {
        self.regex.is_match(line) && self.fields.iter().all(|field| field.is_match(line))
    }

    /// Every example: the one named `example` and the other formats'.
    pub fn all_examples(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.example.as_str()).chain(self.examples.iter().map(String::as_str))
    }
}

/// A top-level alternative of a signature's pattern (`a|b`) that none of its examples matches.
fn untested_alternative(signature: &LogSignature) -> Option<String> {
    let hir = regex_syntax::parse(signature.regex.as_str()).ok()?;
    let regex_syntax::hir::HirKind::Alternation(branches) = hir.kind() else {
        return None;
    };
    branches.iter().map(ToString::to_string).find(|branch| {
        // regex-lite compiles in a tenth of the time (this runs at every cold start); a branch
        // it cannot read (Unicode classes) goes unchecked.
        let Ok(branch_regex) = regex_lite::Regex::new(branch) else {
            return false;
        };
        !signature
            .all_examples()
            .any(|example| branch_regex.is_match(&crate::events::logs::without_colours(example)))
    })
}

/// A regex for one field of a structured log line in any rendering: `key=value`,
/// `key="value"`, `"key":"value"` or `"key": value`, the key not part of a longer name.
/// `value` is a regex; a `path` capture group may be in it.
pub fn field_regex(key: &str, value: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!(
        r#"(?:^|[^\w.-]){}"?\s*[=:]\s*"?(?:{value})(?:$|[^\w.-])"#,
        regex::escape(key)
    ))
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
                let (profile, signatures) = validate::validate(spec).map_err(fail)?;
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
                if !rule.raised_by_log_lines() {
                    let log_rules: Vec<&str> = RuleId::ALL
                        .into_iter()
                        .filter(|rule| rule.raised_by_log_lines())
                        .map(RuleId::as_str)
                        .collect();
                    return Err(fail(format!(
                        "rule {rule} cannot come from a log line; use one of {}",
                        log_rules.join(", ")
                    )));
                }
                let regex = Regex::new(&spec.pattern)
                    .map_err(|error| fail(format!("invalid pattern: {error}")))?;
                if spec.meaning.trim().is_empty() {
                    return Err(fail("meaning is empty".to_string()));
                }
                let mut fields = Vec::new();
                for (key, value) in &spec.fields {
                    fields.push(field_regex(key, value).map_err(|error| {
                        fail(format!("field {key}: invalid value pattern: {error}"))
                    })?);
                }
                let path_field = spec
                    .path_field
                    .as_deref()
                    .map(|key| field_regex(key, r#"(?P<path>[^\s"',}\]]+)"#))
                    .transpose()
                    .map_err(|error| fail(format!("path_field: {error}")))?;
                if !valid_filter_term(&spec.filter) {
                    return Err(fail(format!(
                        "filter {:?} may use only letters, digits, '.' and - _ : / # = @ ; ,",
                        spec.filter
                    )));
                }
                // CloudWatch's filter syntax is ASCII: regex-lite reads it the same and compiles
                // it 30 times faster than `regex`, which matters at every cold start.
                let filter_regex = regex_lite::Regex::new(&spec.filter)
                    .map_err(|error| fail(format!("invalid filter: {error}")))?;
                let signature = LogSignature {
                    profile,
                    rule,
                    regex,
                    fields,
                    path_field,
                    meaning: spec.meaning,
                    summary: spec.summary,
                    fix: spec.fix,
                    filter: spec.filter,
                    example: spec.example,
                    examples: spec.examples,
                };
                // Each alternative of the pattern needs an example, or its filter is untested.
                if let Some(alternative) = untested_alternative(&signature) {
                    return Err(fail(format!(
                        "no example exercises the alternative {alternative:?} of the pattern; add one (its filter must let it through)"
                    )));
                }
                for example in signature.all_examples() {
                    if !signature.matches(&crate::events::logs::without_colours(example)) {
                        return Err(fail(format!(
                            "pattern (and fields) do not match its example {example:?}"
                        )));
                    }
                    if !filter_regex.is_match(example) {
                        return Err(fail(format!(
                            "filter {:?} does not let its example {example:?} through, so CloudWatch would never deliver the line",
                            signature.filter
                        )));
                    }
                }
                signatures.push(signature);
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
        if self.profiles.iter().any(|profile| {
            profile
                .other_images
                .iter()
                .any(|other| repository_matches(repository, other))
        }) {
            return None;
        }
        self.profiles
            .iter()
            .find(|profile| profile.has_image(repository))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_load_and_compile() {
        let profiles = Profiles::built_in().expect("shipped profiles are valid");
        let coder = profiles.all().iter().find(|p| p.id == "coder").unwrap();
        assert_eq!(coder.id, "coder");
        assert_eq!(
            coder.facts.database.as_ref().unwrap().settings,
            vec!["CODER_PG_CONNECTION_URL"]
        );
        assert!(profiles.signatures().len() >= 4);
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
        // A project's other images share its settings but are not the app.
        assert!(
            profiles
                .recognise("baserow/web-frontend:1.29.0", &["BASEROW_PUBLIC_URL"])
                .is_none()
        );
        assert!(
            profiles
                .recognise("n8nio/runners:1.110.0", &["N8N_ENCRYPTION_KEY"])
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
            error.problem.contains("do not match its example"),
            "{error}"
        );
        let error =
            Profiles::from_sources([("p.toml", profile("Using SQLite", "Using.H2").as_str())])
                .unwrap_err();
        assert!(
            error.problem.contains("does not let its example") && error.problem.contains("through"),
            "{error}"
        );
        let error = Profiles::from_sources([(
            "p.toml",
            profile("Using SQLite", "Using (SQLite)").as_str(),
        )])
        .unwrap_err();
        assert!(error.problem.contains("may use only"), "{error}");
        // An alternative no example exercises would never be checked against the filter.
        let error = Profiles::from_sources([(
            "p.toml",
            profile("Using SQLite|Running on H2", "Using.SQLite").as_str(),
        )])
        .unwrap_err();
        assert!(
            error.problem.contains("alternative") && error.problem.contains("Running on H2"),
            "{error}"
        );
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
        let coder = profiles.all().iter().find(|p| p.id == "coder").unwrap();
        assert_eq!(
            coder.facts.data_directory_with(|_| None).as_deref(),
            Some("/home/coder/.config/coderv2")
        );
        assert_eq!(
            coder
                .facts
                .data_directory_with(|name| (name == "CODER_CONFIG_DIR").then_some("/data/coder/"))
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
            n8n.facts.data_directory_with(|_| None).as_deref(),
            Some("/home/node/.n8n")
        );
        for (folder, expected) in [("/data/", "/data/.n8n"), ("/", "/.n8n")] {
            assert_eq!(
                n8n.facts
                    .data_directory_with(|name| (name == "N8N_USER_FOLDER").then_some(folder))
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
            let version = gitea.version_of(image);
            assert_eq!(
                gitea
                    .facts_of(&version)
                    .data_directory_with(|_| None)
                    .as_deref(),
                Some(expected),
                "{image}"
            );
        }
    }

    #[test]
    fn images_are_judged_by_the_facts_of_their_version() {
        let profiles = Profiles::built_in().unwrap();
        let keycloak = profiles.all().iter().find(|p| p.id == "keycloak").unwrap();
        for image in [
            "quay.io/keycloak/keycloak:12.0.2",
            "quay.io/keycloak/keycloak:16.1.1",
            "quay.io/keycloak/keycloak:legacy",
            "quay.io/keycloak/keycloak:17.0.0-legacy",
            "jboss/keycloak:15.0.2",
        ] {
            assert!(
                matches!(keycloak.version_of(image), Version::Variant(_)),
                "{image}"
            );
            assert!(profiles.recognise(image, &[]).is_some(), "{image}");
        }
        for image in [
            "quay.io/keycloak/keycloak:26.0",
            "quay.io/keycloak/keycloak:latest",
            "quay.io/keycloak/keycloak",
        ] {
            assert_eq!(keycloak.version_of(image), Version::Newest, "{image}");
        }
        for image in [
            "quay.io/keycloak/keycloak:nightly",
            "quay.io/keycloak/keycloak@sha256:0123",
        ] {
            assert_eq!(keycloak.version_of(image), Version::Unknown, "{image}");
        }
    }
}
