//! What the rules produce: a [`Finding`] with its [`RuleId`], [`Severity`] and [`Location`].
//!
//! Every string a finding holds is already redacted: rules build findings only from redacted
//! text, so nothing downstream (alerts, CLI output, logs) has to remember to redact again.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The upper-case label used in alert subjects: `[CRITICAL]`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown severity {0:?}: expected one of low, medium, high, critical")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownSeverity(s.to_string()))
    }
}

/// The stable identifier of a rule. The kebab-case form (`embedded-database-in-use`) is the
/// public contract: it appears in alerts, CLI output, SNS message attributes and the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    EmbeddedDatabaseInUse,
    DatabaseSettingMisnamed,
    DatabaseSettingInvalid,
    NoExternalDatabase,
    EphemeralDataDirectory,
    DatabaseUrlMalformed,
    PlaintextDatabaseCredentials,
    SecretReferenceMalformed,
    VolatileStorageAcknowledged,
    DatabaseConnectionFailing,
    CredentialsInLogs,
    EndpointWithoutLoadBalancer,
    PublicIpChanged,
    DataLostOnStop,
    TaskFailedToStart,
    AuditIncomplete,
    PersistenceRemoved,
    DatabaseUnreachable,
    SecretNotReadable,
    SecretReferenceBroken,
    DataStoreUnprotected,
    DatabaseAuthMisconfigured,
}

impl RuleId {
    pub const ALL: [RuleId; 22] = [
        RuleId::EmbeddedDatabaseInUse,
        RuleId::DatabaseSettingMisnamed,
        RuleId::DatabaseSettingInvalid,
        RuleId::NoExternalDatabase,
        RuleId::EphemeralDataDirectory,
        RuleId::DatabaseUrlMalformed,
        RuleId::PlaintextDatabaseCredentials,
        RuleId::SecretReferenceMalformed,
        RuleId::VolatileStorageAcknowledged,
        RuleId::DatabaseConnectionFailing,
        RuleId::CredentialsInLogs,
        RuleId::EndpointWithoutLoadBalancer,
        RuleId::PublicIpChanged,
        RuleId::DataLostOnStop,
        RuleId::TaskFailedToStart,
        RuleId::AuditIncomplete,
        RuleId::PersistenceRemoved,
        RuleId::DatabaseUnreachable,
        RuleId::SecretNotReadable,
        RuleId::SecretReferenceBroken,
        RuleId::DataStoreUnprotected,
        RuleId::DatabaseAuthMisconfigured,
    ];

    /// Whether this rule's verdict rests on where a container's data is stored (its mount
    /// points and volumes), so that it has none where those are not known.
    pub fn judges_data_storage(self) -> bool {
        matches!(
            self,
            RuleId::EphemeralDataDirectory
                | RuleId::VolatileStorageAcknowledged
                | RuleId::PersistenceRemoved
        )
    }

    /// Whether a profile's log signature may raise this rule (its `RULE` then declares
    /// `from_log`, which reads the match).
    pub fn raised_by_log_lines(self) -> bool {
        matches!(
            self,
            RuleId::EmbeddedDatabaseInUse
                | RuleId::EphemeralDataDirectory
                | RuleId::DatabaseConnectionFailing
                | RuleId::CredentialsInLogs
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::EmbeddedDatabaseInUse => "embedded-database-in-use",
            RuleId::DatabaseSettingMisnamed => "database-setting-misnamed",
            RuleId::DatabaseSettingInvalid => "database-setting-invalid",
            RuleId::NoExternalDatabase => "no-external-database",
            RuleId::EphemeralDataDirectory => "ephemeral-data-directory",
            RuleId::DatabaseUrlMalformed => "database-url-malformed",
            RuleId::PlaintextDatabaseCredentials => "plaintext-database-credentials",
            RuleId::SecretReferenceMalformed => "secret-reference-malformed",
            RuleId::VolatileStorageAcknowledged => "volatile-storage-acknowledged",
            RuleId::DatabaseConnectionFailing => "database-connection-failing",
            RuleId::CredentialsInLogs => "credentials-in-logs",
            RuleId::EndpointWithoutLoadBalancer => "endpoint-without-load-balancer",
            RuleId::PublicIpChanged => "public-ip-changed",
            RuleId::DataLostOnStop => "data-lost-on-stop",
            RuleId::TaskFailedToStart => "task-failed-to-start",
            RuleId::AuditIncomplete => "audit-incomplete",
            RuleId::PersistenceRemoved => "persistence-removed",
            RuleId::DatabaseUnreachable => "database-unreachable",
            RuleId::SecretNotReadable => "secret-not-readable",
            RuleId::SecretReferenceBroken => "secret-reference-broken",
            RuleId::DataStoreUnprotected => "data-store-unprotected",
            RuleId::DatabaseAuthMisconfigured => "database-auth-misconfigured",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown rule {0:?}")]
pub struct UnknownRule(pub String);

impl FromStr for RuleId {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleId::ALL
            .into_iter()
            .find(|rule| rule.as_str() == s)
            .ok_or_else(|| UnknownRule(s.to_string()))
    }
}

/// Where a finding was made. Every field is optional because each event kind knows a different
/// part of the picture (a log line knows its stream, a task event its cluster and task).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Cluster name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Service name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Task ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Task definition ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<String>,
    /// The task's private IPv4 address, when the event carries it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// The task's public IPv4 address, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
}

impl Location {
    /// The shortest name a person recognises: service, else the task definition family, else
    /// the log group, else the cluster.
    pub fn headline_name(&self) -> String {
        if let Some(service) = &self.service {
            return service.clone();
        }
        if let Some(task_definition) = &self.task_definition {
            return crate::model::short_task_definition(task_definition).to_string();
        }
        if let Some(log_group) = &self.log_group {
            return log_group.clone();
        }
        if let Some(cluster) = &self.cluster {
            return cluster.clone();
        }
        "ECS".to_string()
    }
}

/// One problem a rule found, with everything an alert needs to explain it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// One line that says what is wrong, e.g. "Coder is running on its built-in PostgreSQL".
    pub summary: String,
    /// The application profile that recognised the container, e.g. "Coder".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(flatten)]
    pub location: Location,
    /// Redacted excerpts that show the problem (log lines, settings), first ones first.
    pub evidence: Vec<String>,
    /// How many times the problem was seen (matching log lines, affected settings).
    pub occurrences: u64,
    /// Named facts behind the finding (setting names, paths, the operation that failed).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, String>,
    /// Concrete steps that fix it, most recommended first.
    pub fix: Vec<String>,
}

impl Finding {
    /// Whether this finding says the app's data lives in the task's own storage (and so goes
    /// with it): `ephemeral-data-directory`, but not its instance-storage form.
    pub fn keeps_data_in_task(&self) -> bool {
        self.rule == RuleId::EphemeralDataDirectory
            && self.facts.get("storage").map(String::as_str) != Some("instance")
    }

    /// Puts the doctor's diagnosis into this finding's alert: the diagnosing findings'
    /// summaries as evidence, their fixes first (`task-failed-to-start` over a secret,
    /// `database-connection-failing` over the network).
    pub fn attach_diagnosis(&mut self, diagnosis: &[Finding]) {
        let mut fixes: Vec<String> = Vec::new();
        for found in diagnosis {
            self.evidence
                .push(format!("diagnosis ({}): {}", found.rule, found.summary));
            for fix in &found.fix {
                if !fixes.contains(fix) {
                    fixes.push(fix.clone());
                }
            }
        }
        if !diagnosis.is_empty() {
            let rules: Vec<&str> = diagnosis.iter().map(|found| found.rule.as_str()).collect();
            self.facts.insert("diagnosis".to_string(), rules.join(", "));
        }
        fixes.append(&mut self.fix);
        self.fix = fixes;
    }

    pub fn new(rule: RuleId, severity: Severity, summary: impl Into<String>) -> Self {
        Finding {
            rule,
            severity,
            summary: summary.into(),
            app: None,
            location: Location::default(),
            evidence: Vec::new(),
            occurrences: 1,
            facts: BTreeMap::new(),
            fix: Vec::new(),
        }
    }

    pub fn with_fact(mut self, name: &str, value: impl Into<String>) -> Self {
        self.facts.insert(name.to_string(), value.into());
        self
    }

    /// The key under which findings merge into one alert: same rule, same app, same place
    /// (two apps' lines in one log stream are two alerts).
    pub fn alert_key(&self) -> (RuleId, Option<&str>, &Location) {
        (self.rule, self.app.as_deref(), &self.location)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::High < Severity::Critical);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert_eq!(" critical ".parse::<Severity>(), Ok(Severity::Critical));
        assert!("urgent".parse::<Severity>().is_err());
    }

    #[test]
    fn rule_ids_round_trip_through_their_public_names() {
        for rule in RuleId::ALL {
            assert_eq!(rule.as_str().parse::<RuleId>(), Ok(rule));
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(json, format!("\"{}\"", rule.as_str()));
        }
    }
}
