//! A container's settings and where each value comes from: `environment`, `secrets`, an
//! environment file read, a `_FILE` setting, a command-line argument, a shell command; and
//! what the auditor could not see.

use crate::redact;

/// Where a setting's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SettingSource<'a> {
    /// A plain `environment` value.
    Environment(&'a str),
    /// An `environment` value a template resolves only at deployment, as written in `!Sub`
    /// syntax (`postgres://${Db.Endpoint.Address}/coder`): unseen until then.
    AtDeployment(&'a str),
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
pub(crate) struct Setting<'a> {
    pub name: &'a str,
    pub source: SettingSource<'a>,
}

impl<'a> Setting<'a> {
    /// How the setting appears in evidence; plain values are redacted, values from
    /// environment files and scripts never shown.
    pub(crate) fn describe(&self) -> String {
        match self.source {
            SettingSource::Environment(value) => format!(
                "environment {} = {}",
                self.name,
                redact::display_setting_value(self.name, value)
            ),
            SettingSource::AtDeployment(expression) => format!(
                "environment {} = {} (resolved by CloudFormation at deployment)",
                self.name,
                redact::display_setting_value(self.name, expression)
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
    pub(crate) fn seen_value(&self) -> Option<&'a str> {
        match self.source {
            SettingSource::Environment(value)
            | SettingSource::Argument(value)
            | SettingSource::EnvironmentFile { value, .. } => Some(value),
            SettingSource::Secret(_)
            | SettingSource::AtDeployment(_)
            | SettingSource::File(_)
            | SettingSource::Script
            | SettingSource::Host => None,
        }
    }
}

/// A `valueFrom` as written when it is a well-formed reference (`...:password::` names a
/// JSON key; it is not a secret), redacted when it is not a reference at all.
pub(crate) fn describe_value_from(value_from: &str) -> String {
    if crate::inspect::secret_reference::check(value_from).is_ok() {
        redact::truncate_chars(value_from, 300)
    } else {
        redact::truncate_chars(&redact::redact_text(value_from), 300)
    }
}

/// A place a setting may come from that the auditor cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unseen {
    /// An `environmentFiles` object not read: its ARN and why.
    EnvironmentFile { arn: String, why: &'static str },
    /// A shell command that may set variables the auditor cannot follow.
    ShellCommand { command_line: String },
    /// The app picks its database by itself when nothing is set (the profile says how).
    AppDetects { how: String },
}

impl Unseen {
    /// A sentence for the evidence: where `setting` may come from.
    pub(crate) fn describe(&self, setting: &str) -> String {
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

/// Shells whose `-c` script may set variables.
pub(super) const SHELLS: [&str; 6] = ["sh", "bash", "ash", "dash", "zsh", "busybox"];

/// The value of a command-line argument in `entry_point` + `command`: `PREFIX=VALUE`, or
/// `PREFIX VALUE` (two words) when the prefix ends in `=` (`--db=` also reads `--db postgres`).
pub(crate) fn argument_value<'a>(
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

/// Whether a shell script assigns `name` (`export NAME=...`, `NAME=... exec app`).
pub(super) fn sets_in_script(script: &str, name: &str) -> bool {
    script.match_indices(name).any(|(at, _)| {
        let before = script[..at].chars().next_back();
        let boundary = before.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        boundary && script[at + name.len()..].starts_with('=')
    })
}

/// Whether a shell script may set variables the auditor cannot follow: sourcing a file,
/// exporting a command's output, `eval`, `set -a`.
pub(super) fn script_may_set_variables(script: &str) -> bool {
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
