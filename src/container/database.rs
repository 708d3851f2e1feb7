//! How a profiled container's settings choose its database: external, embedded, invalid, or
//! undecided when the deciding setting may come from where the auditor cannot look.

use super::app::AppContainer;
use super::choice::{DatabaseChoice, Invalid};
use super::setting::{Setting, SettingSource, Unseen};
use crate::profiles::{DatabaseSettings, UnknownValue};
use crate::redact;

impl<'a> AppContainer<'a> {
    pub(crate) fn database(&self) -> Option<&'a DatabaseSettings> {
        self.facts.database.as_ref()
    }

    /// How the container's settings choose the database.
    pub(crate) fn database_choice(&self) -> Option<DatabaseChoice<'a>> {
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
    #[cfg(test)]
    pub(crate) fn external_database(&self) -> Vec<Setting<'a>> {
        match self.database_choice() {
            Some(DatabaseChoice::External(settings)) => settings,
            _ => Vec::new(),
        }
    }

    /// The app keeps its data in the container: no database spec (only a data directory), or
    /// a choice of the embedded database (explicit, by default, or by an invalid setting).
    pub(crate) fn keeps_data_in_container(&self) -> bool {
        matches!(
            self.database_choice(),
            None | Some(DatabaseChoice::Embedded(_)) | Some(DatabaseChoice::Invalid(_))
        ) && self.facts.embedded_database_refused.is_none()
    }

    /// URL, type, group and password settings that are set (for the URL and secret checks).
    pub(crate) fn database_settings_set(&self) -> Vec<Setting<'a>> {
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

    /// Settings that are set and may hold the database's address: URL settings, and the
    /// host-like names among a group's settings and the near misses (`GF_DATABASE_HOST`,
    /// `DB_POSTGRESDB_HOST`, the seed's `CODER_POSTGRES_URL`, which names the database meant);
    /// never a password or user name.
    pub(crate) fn address_settings(&self) -> Vec<Setting<'a>> {
        let Some(database) = self.database() else {
            return Vec::new();
        };
        let host_like = |name: &&str| {
            [
                "HOST",
                "URL",
                "ADDR",
                "SERVER",
                "DSN",
                "ENDPOINT",
                "CONNECTION",
            ]
            .iter()
            .any(|word| name.to_ascii_uppercase().contains(word))
        };
        let mut names: Vec<&str> = database.settings.iter().map(String::as_str).collect();
        for name in database
            .groups
            .iter()
            .flatten()
            .map(String::as_str)
            .chain(database.near_miss.iter().map(|miss| miss.name()))
            .filter(host_like)
        {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
            .into_iter()
            .filter(|name| {
                !database
                    .password_settings
                    .iter()
                    .any(|password| password == name)
            })
            .filter_map(|name| self.setting(name))
            .collect()
    }

    /// Whether `name` is one of the app's database URL settings (or a near miss of one).
    pub(crate) fn is_url_setting(&self, name: &str) -> bool {
        self.database().is_some_and(|database| {
            database.settings.iter().any(|setting| setting == name)
                || database.near_miss.iter().any(|miss| {
                    miss.name() == name
                        && miss.means().is_none_or(|meant| {
                            database.settings.iter().any(|setting| setting == meant)
                        })
                })
        })
    }

    /// Near-miss settings that are set.
    pub(crate) fn near_misses(&self) -> Vec<Setting<'a>> {
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
}
