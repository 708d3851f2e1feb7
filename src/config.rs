//! Configuration from the environment, parsed once at start-up into a typed [`Config`]. Every
//! variable is declared once in [`SETTINGS`]; `--help` is written from it, and tests check the
//! README's configuration table and what `template.yaml` sets against it.

use crate::events::DecodeLimits;
use crate::finding::Severity;
use std::path::PathBuf;

/// One environment variable the auditor reads: its name, default and meaning, declared here
/// once. The CLI's `--help` is written from this table; the README's configuration table and
/// `template.yaml` are checked against it by tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    pub variable: &'static str,
    /// The value used when the variable is unset or empty, as it would be written; `None`
    /// when unset means none (see `when_unset`).
    pub default: Option<&'static str>,
    /// What unset means, in words, when there is no default value.
    pub when_unset: &'static str,
    /// One line, for `--help`.
    pub meaning: &'static str,
    /// What sets it in `template.yaml`'s function environment.
    pub in_template: InTemplate,
}

/// What sets a variable in the function's environment in `template.yaml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InTemplate {
    /// `!Ref` of this parameter, whose `Default` is the setting's default.
    Parameter(&'static str),
    /// `!Ref` of this resource the template creates.
    Resource(&'static str),
    /// Not set by the template (read by the CLI only).
    NotSet,
}

/// Every environment variable the auditor reads.
pub const SETTINGS: [Setting; 13] = [
    Setting {
        variable: "SNS_TOPIC_ARN",
        default: None,
        when_unset: "(required by the function, and by `audit` without `--dry-run`)",
        meaning: "topic that receives alerts (required unless --dry-run)",
        in_template: InTemplate::Resource("AlertTopic"),
    },
    Setting {
        variable: "MIN_SEVERITY",
        default: Some("low"),
        when_unset: "",
        meaning: "low | medium | high | critical: findings below it are dropped",
        in_template: InTemplate::Parameter("MinSeverity"),
    },
    Setting {
        variable: "CLUSTERS",
        default: None,
        when_unset: "every cluster",
        meaning: "comma-separated clusters to audit",
        in_template: InTemplate::Parameter("Clusters"),
    },
    Setting {
        variable: "STATE_TABLE",
        default: None,
        when_unset: "memory in the process only",
        meaning: "DynamoDB table that remembers across runs",
        in_template: InTemplate::Resource("StateTable"),
    },
    Setting {
        variable: "SUPPRESS_FOR",
        default: Some("6h"),
        when_unset: "",
        meaning: "how long a repeated finding stays quiet",
        in_template: InTemplate::Parameter("SuppressFor"),
    },
    Setting {
        variable: "SWEEP_LOG_HOURS",
        default: Some("168"),
        when_unset: "",
        meaning: "how far back the sweep reads log lines",
        in_template: InTemplate::Parameter("SweepLogHours"),
    },
    Setting {
        variable: "PROFILES_FILE",
        default: None,
        when_unset: "the shipped profiles only",
        meaning: "TOML file with extra application profiles",
        in_template: InTemplate::Parameter("ProfilesFile"),
    },
    Setting {
        variable: "READ_ENVIRONMENT_FILES",
        default: Some("false"),
        when_unset: "",
        meaning: "true reads containers' S3 environment files (s3:GetObject); false reports a setting that may be in one as not checked",
        in_template: InTemplate::Parameter("ReadEnvironmentFiles"),
    },
    Setting {
        variable: "READ_SECRET_VALUES",
        default: Some("false"),
        when_unset: "",
        meaning: "true reads the value of a profiled app's database secret (secretsmanager:GetSecretValue, in memory, never shown) to judge its URL and find its database; false reports a URL inside a secret as not checked",
        in_template: InTemplate::Parameter("ReadSecretValues"),
    },
    Setting {
        variable: "MAX_LOG_PAYLOAD_BYTES",
        default: Some("8388608"),
        when_unset: "",
        meaning: "largest inflated CloudWatch Logs payload",
        in_template: InTemplate::Parameter("MaxLogPayloadBytes"),
    },
    Setting {
        variable: "MAX_LINE_BYTES",
        default: Some("16384"),
        when_unset: "",
        meaning: "how much of each log line the rules examine",
        in_template: InTemplate::Parameter("MaxLineBytes"),
    },
    Setting {
        variable: "MAX_LOG_EVENTS",
        default: Some("20000"),
        when_unset: "",
        meaning: "how many lines of one log batch are examined; the rest are reported",
        in_template: InTemplate::Parameter("MaxLogEvents"),
    },
    Setting {
        variable: "MAX_EVENT_BYTES",
        default: Some("6291456"),
        when_unset: "",
        meaning: "largest event file the CLI reads",
        in_template: InTemplate::NotSet,
    },
];

impl Setting {
    /// The setting of that variable.
    pub fn of(variable: &str) -> Option<&'static Setting> {
        SETTINGS.iter().find(|setting| setting.variable == variable)
    }

    /// The default as a reader sees it: the value in backticks, or what unset means.
    pub fn shown_default(&self) -> String {
        match self.default {
            Some(value) => format!("`{value}`"),
            None => self.when_unset.to_string(),
        }
    }
}

/// The settings as `--help` lists them, one per line, with their defaults.
pub fn settings_help() -> String {
    let mut help = String::new();
    for setting in &SETTINGS {
        let default = match setting.default {
            Some(value) => format!(" (default {value})"),
            None if setting.when_unset.starts_with('(') => String::new(),
            None => format!(" (unset: {})", setting.when_unset),
        };
        help.push_str(&format!(
            "  {:<23}{}{default}\n",
            setting.variable, setting.meaning
        ));
    }
    help
}

/// The auditor's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `SNS_TOPIC_ARN`: where alerts go. Required by the Lambda function and by `audit`
    /// without `--dry-run`.
    pub sns_topic_arn: Option<String>,
    /// `MIN_SEVERITY`: findings below it are dropped (default `low`: keep everything).
    pub min_severity: Severity,
    /// `CLUSTERS`: the clusters audited (names or ARNs). Events of other clusters are ignored
    /// and log streams' tasks are looked up only there (default: every cluster).
    pub clusters: Vec<String>,
    /// `PROFILES_FILE`: a TOML file of extra or overriding application profiles.
    pub profiles_file: Option<PathBuf>,
    /// `STATE_TABLE`: DynamoDB table for the auditor's memory; without it, memory lasts as long
    /// as the warm function (or the CLI process).
    pub state_table: Option<String>,
    /// `SUPPRESS_FOR`: how long the same finding on the same resource stays quiet (default 6h).
    pub suppress_for_seconds: u64,
    /// `SWEEP_LOG_HOURS`: how far back the scheduled sweep reads log lines (default 168).
    pub sweep_log_hours: u64,
    /// `READ_ENVIRONMENT_FILES`: read containers' S3 `environmentFiles` (`s3:GetObject`) and
    /// judge them like `environment` (default false: a database setting that may be in one
    /// is reported as not checked). Their values stay in memory.
    pub read_environment_files: bool,
    /// `READ_SECRET_VALUES`: read the value of a profiled app's database secret
    /// (`secretsmanager:GetSecretValue`) so its URL is judged and the doctor finds its database
    /// (default false). The value stays in memory and is never shown.
    pub read_secret_values: bool,
    /// `MAX_LOG_PAYLOAD_BYTES`: largest inflated CloudWatch Logs payload (default 8 MiB).
    pub limits: DecodeLimits,
    /// `MAX_LINE_BYTES`: how much of each log line the rules examine (default 16 KiB).
    pub max_line_bytes: usize,
    /// `MAX_LOG_EVENTS`: how many lines of one log batch are examined (default 20,000); the
    /// rest are reported as not examined (`audit-incomplete`), never passed over silently.
    pub max_log_events: usize,
    /// `MAX_EVENT_BYTES`: largest event the CLI reads (default 6 MiB, Lambda's own limit).
    pub max_event_bytes: usize,
}

impl Default for Config {
    /// The defaults of [`SETTINGS`].
    fn default() -> Self {
        Config::from_lookup(|_| None).expect("the defaults in SETTINGS are valid (tested)")
    }
}

impl Config {
    /// Before any setting is read; every field with a default is then set from [`SETTINGS`].
    fn unset() -> Self {
        Config {
            sns_topic_arn: None,
            min_severity: Severity::Low,
            clusters: Vec::new(),
            profiles_file: None,
            state_table: None,
            suppress_for_seconds: 0,
            sweep_log_hours: 0,
            read_environment_files: false,
            read_secret_values: false,
            limits: DecodeLimits {
                max_log_payload_bytes: 0,
            },
            max_line_bytes: 0,
            max_log_events: 0,
            max_event_bytes: 0,
        }
    }
}

/// A setting that cannot be used. The message names the variable and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}={value:?} is invalid: {problem}. Fix: {fix}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub problem: String,
    pub fix: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests). Empty values
    /// count as unset; unset ones take their default from [`SETTINGS`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .or_else(|| Setting::of(name)?.default.map(str::to_string))
        };
        let mut config = Config::unset();

        if let Some(arn) = get("SNS_TOPIC_ARN") {
            let arn = arn.trim().to_string();
            let parts: Vec<&str> = arn.split(':').collect();
            let valid = parts.len() == 6
                && parts[0] == "arn"
                && parts[1].starts_with("aws")
                && parts[2] == "sns"
                && !parts[3].is_empty()
                && !parts[5].is_empty();
            if !valid {
                return Err(ConfigError {
                    variable: "SNS_TOPIC_ARN",
                    value: arn,
                    problem: "not an SNS topic ARN".to_string(),
                    fix: "set it to the topic's ARN, e.g. arn:aws:sns:us-east-1:123456789012:ecs-auditor-alerts".to_string(),
                });
            }
            config.sns_topic_arn = Some(arn);
        }

        if let Some(value) = get("MIN_SEVERITY") {
            config.min_severity = value.parse().map_err(|_| ConfigError {
                variable: "MIN_SEVERITY",
                value: value.clone(),
                problem: "unknown severity".to_string(),
                fix: "use one of low, medium, high, critical".to_string(),
            })?;
        }

        if let Some(value) = get("CLUSTERS") {
            config.clusters = value
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_string)
                .collect();
        }

        config.profiles_file = get("PROFILES_FILE").map(PathBuf::from);
        config.state_table = get("STATE_TABLE").map(|table| table.trim().to_string());

        if let Some(value) = get("SUPPRESS_FOR") {
            config.suppress_for_seconds = parse_duration(&value).ok_or_else(|| ConfigError {
                variable: "SUPPRESS_FOR",
                value: value.clone(),
                problem: "not a duration".to_string(),
                fix: "use seconds or a number with s, m, h or d, e.g. 6h".to_string(),
            })?;
        }
        if let Some(value) = get("SWEEP_LOG_HOURS") {
            config.sweep_log_hours = match value.trim().parse::<u64>() {
                Ok(hours) if (1..=24 * 90).contains(&hours) => hours,
                _ => {
                    return Err(ConfigError {
                        variable: "SWEEP_LOG_HOURS",
                        value,
                        problem: "not a whole number of hours between 1 and 2160".to_string(),
                        fix: "set e.g. 168 (a week), or unset it for the default".to_string(),
                    });
                }
            };
        }

        if let Some(value) = get("READ_ENVIRONMENT_FILES") {
            config.read_environment_files = switch(
                "READ_ENVIRONMENT_FILES",
                value,
                "set true to read containers' S3 environment files (grant s3:GetObject on them), or false",
            )?;
        }
        if let Some(value) = get("READ_SECRET_VALUES") {
            config.read_secret_values = switch(
                "READ_SECRET_VALUES",
                value,
                "set true to read the database secrets' values (the template's ReadSecretValues grants secretsmanager:GetSecretValue), or false",
            )?;
        }

        if let Some(bytes) = byte_size(&get, "MAX_LOG_PAYLOAD_BYTES", 1024, 1 << 30)? {
            config.limits.max_log_payload_bytes = bytes;
        }
        if let Some(bytes) = byte_size(&get, "MAX_LINE_BYTES", 64, 1 << 24)? {
            config.max_line_bytes = bytes;
        }
        if let Some(count) = byte_size(&get, "MAX_LOG_EVENTS", 1, 1_000_000)? {
            config.max_log_events = count;
        }
        if let Some(bytes) = byte_size(&get, "MAX_EVENT_BYTES", 1024, 1 << 30)? {
            config.max_event_bytes = bytes;
        }
        Ok(config)
    }
}

/// A true/false setting (`true`, `1`, `yes` / `false`, `0`, `no`, any case).
fn switch(variable: &'static str, value: String, fix: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError {
            variable,
            value,
            problem: "not true or false".to_string(),
            fix: fix.to_string(),
        }),
    }
}

fn byte_size(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    min: usize,
    max: usize,
) -> Result<Option<usize>, ConfigError> {
    let Some(value) = get(variable) else {
        return Ok(None);
    };
    match value.trim().parse::<usize>() {
        Ok(bytes) if (min..=max).contains(&bytes) => Ok(Some(bytes)),
        _ => Err(ConfigError {
            variable,
            value,
            problem: format!("not a whole number between {min} and {max}"),
            fix: format!(
                "set a number such as {}, or unset it for the default",
                min * 16
            ),
        }),
    }
}

/// Parses `SUPPRESS_FOR`: seconds, or a number with `s`, `m`, `h` or `d`.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((index, _)) => text.split_at(index),
        None => (text, "s"),
    };
    let number: u64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        assert_eq!(config(&[]).unwrap(), Config::default());
    }

    #[test]
    fn parses_every_setting() {
        let parsed = config(&[
            ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alerts"),
            ("MIN_SEVERITY", "HIGH"),
            ("CLUSTERS", "coder-cluster, other ,"),
            ("PROFILES_FILE", "/var/task/profiles.toml"),
            ("STATE_TABLE", "ecs-auditor-state"),
            ("SUPPRESS_FOR", "30m"),
            ("SWEEP_LOG_HOURS", "24"),
            ("MAX_LOG_PAYLOAD_BYTES", "1048576"),
            ("MAX_LINE_BYTES", "4096"),
            ("MAX_LOG_EVENTS", "500"),
            ("READ_ENVIRONMENT_FILES", "True"),
        ])
        .unwrap();
        assert!(parsed.read_environment_files);
        assert_eq!(parsed.min_severity, Severity::High);
        assert_eq!(parsed.clusters, vec!["coder-cluster", "other"]);
        assert_eq!(parsed.limits.max_log_payload_bytes, 1_048_576);
        assert_eq!(parsed.max_line_bytes, 4096);
        assert_eq!(parsed.max_log_events, 500);
        assert_eq!(parsed.state_table.as_deref(), Some("ecs-auditor-state"));
        assert_eq!(parsed.suppress_for_seconds, 1800);
        assert_eq!(parsed.sweep_log_hours, 24);
    }

    #[test]
    fn errors_name_the_variable_and_the_fix() {
        let error = config(&[("MIN_SEVERITY", "urgent")]).unwrap_err();
        assert_eq!(error.variable, "MIN_SEVERITY");
        assert!(error.to_string().contains("low, medium, high, critical"));
        let error = config(&[("SNS_TOPIC_ARN", "alerts")]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("SNS_TOPIC_ARN=\"alerts\" is invalid")
        );
        let error = config(&[("MAX_LINE_BYTES", "-1")]).unwrap_err();
        assert_eq!(error.variable, "MAX_LINE_BYTES");
        let error = config(&[("READ_ENVIRONMENT_FILES", "sometimes")]).unwrap_err();
        assert_eq!(error.variable, "READ_ENVIRONMENT_FILES");
        assert!(error.fix.contains("s3:GetObject"), "{error}");
        let error = config(&[("SUPPRESS_FOR", "a while")]).unwrap_err();
        assert_eq!(error.variable, "SUPPRESS_FOR");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("6h"), Some(21_600));
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("1d"), Some(86_400));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("5w"), None);
    }

    #[test]
    fn the_defaults_are_the_settings_tables() {
        let defaults = Config::default();
        assert_eq!(defaults.min_severity, Severity::Low);
        assert_eq!(defaults.suppress_for_seconds, 6 * 3600);
        assert_eq!(defaults.sweep_log_hours, 168);
        assert!(!defaults.read_environment_files);
        assert_eq!(defaults.limits, DecodeLimits::default());
        assert_eq!(defaults.max_line_bytes, 16 * 1024);
        assert_eq!(defaults.max_log_events, 20_000);
        assert_eq!(defaults.max_event_bytes, 6 * 1024 * 1024);
        // Every setting with a default has one the parser takes.
        for setting in SETTINGS {
            if let Some(default) = setting.default {
                let config = Config::from_lookup(|name| {
                    (name == setting.variable).then(|| default.to_string())
                });
                assert_eq!(config, Ok(Config::default()), "{}", setting.variable);
            }
        }
    }
}
