//! What the auditor remembers between events, built on [`StateStore`]:
//!
//! - deliveries already processed (EventBridge and CloudWatch Logs deliver at least once);
//! - alert claims, so the same finding on the same resource alerts once per `SUPPRESS_FOR`
//!   unless its severity rises or its facts change;
//! - per service, the last public IP and the last running task; per task, whether its log
//!   showed the embedded database.

use crate::events::Event;
use crate::finding::{Finding, RuleId, Severity};
use crate::rules::{self, declaration::Suppression};
use crate::state::{Entry, Expect, StateError, StateStore};
use std::collections::BTreeMap;

/// How long a processed delivery is remembered: longer than EventBridge (24 h) and Lambda
/// (6 h) keep retrying.
const DELIVERY_MEMORY_SECONDS: u64 = 2 * 24 * 3600;
/// How long per-service and per-task facts are kept.
const FACT_MEMORY_SECONDS: u64 = 90 * 24 * 3600;
/// Rules that alert once per configuration rather than once per window.
const ONCE_PER_CONFIGURATION_SECONDS: u64 = 400 * 24 * 3600;

/// The key that identifies one delivery of an event, if it has one. Task events: task ARN and
/// `detail.version` (ECS repeats the version on a duplicate); log batches: the first and last
/// log event ids; other EventBridge events: the event id.
pub fn delivery_key(event: &Event) -> Option<String> {
    match event {
        Event::TaskStateChange(task) => Some(format!(
            "delivery#task#{}#{}",
            task.detail.task_arn,
            task.detail
                .version
                .map(|version| version.to_string())
                .or_else(|| task.origin.id.clone())?
        )),
        Event::Logs(batch) => {
            let first = batch.log_events.first()?;
            let last = batch.log_events.last()?;
            Some(format!(
                "delivery#logs#{}#{}#{}#{}#{}",
                batch.log_group,
                batch.log_stream,
                first.id,
                last.id,
                batch.log_events.len()
            ))
        }
        Event::DeploymentStateChange(event) => event
            .origin
            .id
            .as_ref()
            .map(|id| format!("delivery#event#{id}")),
        Event::ServiceAction(event) => event
            .origin
            .id
            .as_ref()
            .map(|id| format!("delivery#event#{id}")),
        Event::Sweep(_) => None,
    }
}

pub async fn already_processed<S: StateStore>(
    store: &S,
    key: &str,
    now: u64,
) -> Result<bool, StateError> {
    Ok(store.load(key, now).await?.is_some())
}

pub async fn mark_processed<S: StateStore>(
    store: &S,
    key: &str,
    now: u64,
) -> Result<(), StateError> {
    let attributes = BTreeMap::from([("processed_at".to_string(), now.to_string())]);
    // Losing this race means a concurrent delivery finished first: nothing to do.
    store
        .store(
            key,
            attributes,
            now + DELIVERY_MEMORY_SECONDS,
            Expect::Absent,
            now,
        )
        .await
        .map(|_| ())
}

/// The right to publish one alert, taken back if publishing fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertClaim {
    pub key: String,
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimOutcome {
    Claimed(AlertClaim),
    /// Alerted already (at the given epoch second) with the same facts and no lower severity.
    Suppressed {
        alerted_at: u64,
    },
}

/// The place a finding is about, for suppression: rule + cluster + service (or task family, or
/// log group) + container (or, where the container is unknown, the app). A new task of the
/// same service is the same place.
pub fn suppression_key(finding: &Finding) -> String {
    let location = &finding.location;
    let owner = location
        .service
        .clone()
        .map(|service| format!("service/{service}"))
        .or_else(|| {
            location.task_definition.as_deref().map(|arn| {
                let short = crate::model::short_task_definition(arn);
                format!("family/{}", short.split(':').next().unwrap_or(short))
            })
        })
        .or_else(|| {
            location
                .log_group
                .clone()
                .map(|group| format!("logs/{group}"))
        })
        .unwrap_or_default();
    let container = match (&location.container, &finding.app) {
        (Some(container), _) => container.clone(),
        (None, Some(app)) => format!("app/{app}"),
        (None, None) => String::new(),
    };
    format!(
        "alert#{}#{}#{}#{}#{}",
        finding.rule,
        location.region.as_deref().unwrap_or_default(),
        location.cluster.as_deref().unwrap_or_default(),
        owner,
        container
    )
}

/// What makes two findings of the same place "the same": their facts and task definition.
pub fn fingerprint(finding: &Finding) -> String {
    // FNV-1a: stable across processes and versions (unlike std's SipHash keys).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |text: &str| {
        for byte in text.bytes().chain([0u8]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (name, value) in &finding.facts {
        feed(name);
        feed(value);
    }
    feed(
        finding
            .location
            .task_definition
            .as_deref()
            .unwrap_or_default(),
    );
    format!("{hash:016x}")
}

fn window(rule: RuleId, suppress_for: u64) -> u64 {
    match rules::info(rule).suppression {
        Suppression::OncePerConfiguration => ONCE_PER_CONFIGURATION_SECONDS,
        Suppression::Window => suppress_for,
    }
}

/// Claims the right to alert on `finding`, unless the same finding alerted within the window.
pub async fn claim_alert<S: StateStore>(
    store: &S,
    finding: &Finding,
    suppress_for: u64,
    now: u64,
) -> Result<ClaimOutcome, StateError> {
    let key = suppression_key(finding);
    let print = fingerprint(finding);
    let current = store.load(&key, now).await?;
    if let Some(entry) = &current {
        let same_facts = entry.attributes.get("fingerprint") == Some(&print);
        let severity_rose = entry
            .attributes
            .get("severity")
            .and_then(|severity| severity.parse::<Severity>().ok())
            .is_some_and(|previous| finding.severity > previous);
        if same_facts && !severity_rose {
            return Ok(ClaimOutcome::Suppressed {
                alerted_at: alerted_at(entry),
            });
        }
    }
    let attributes = BTreeMap::from([
        ("fingerprint".to_string(), print),
        (
            "severity".to_string(),
            finding.severity.as_str().to_string(),
        ),
        ("alerted_at".to_string(), now.to_string()),
        (
            "summary".to_string(),
            crate::redact::truncate_chars(&finding.summary, 200),
        ),
    ]);
    let expect = current
        .as_ref()
        .map(|entry| Expect::Version(entry.version))
        .unwrap_or(Expect::Absent);
    let expires_at = now + window(finding.rule, suppress_for);
    match store
        .store(&key, attributes, expires_at, expect, now)
        .await?
    {
        Some(version) => Ok(ClaimOutcome::Claimed(AlertClaim { key, version })),
        // A concurrent invocation claimed it first: it alerts, we do not.
        None => Ok(ClaimOutcome::Suppressed { alerted_at: now }),
    }
}

fn alerted_at(entry: &Entry) -> u64 {
    entry
        .attributes
        .get("alerted_at")
        .and_then(|value| value.parse().ok())
        .unwrap_or_default()
}

/// Gives a claim back after a failed publish, so the retry can alert.
pub async fn release<S: StateStore>(store: &S, claim: &AlertClaim) -> Result<(), StateError> {
    store.remove(&claim.key, claim.version).await
}

/// A fact remembered about a service or task: read it, then replace it.
pub struct Remembered {
    pub key: String,
    pub entry: Option<Entry>,
}

impl Remembered {
    pub async fn load<S: StateStore>(store: &S, key: String, now: u64) -> Result<Self, StateError> {
        let entry = store.load(&key, now).await?;
        Ok(Remembered { key, entry })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.entry
            .as_ref()
            .and_then(|entry| entry.attributes.get(name))
            .map(String::as_str)
    }

    /// Replaces the fact if nobody changed it since it was read; `false` if someone did.
    pub async fn replace<S: StateStore>(
        &self,
        store: &S,
        attributes: BTreeMap<String, String>,
        now: u64,
    ) -> Result<bool, StateError> {
        let expect = self
            .entry
            .as_ref()
            .map(|entry| Expect::Version(entry.version))
            .unwrap_or(Expect::Absent);
        Ok(store
            .store(
                &self.key,
                attributes,
                now + FACT_MEMORY_SECONDS,
                expect,
                now,
            )
            .await?
            .is_some())
    }
}

pub fn service_ip_key(cluster: &str, service: &str) -> String {
    format!("service-ip#{cluster}#{service}")
}

pub fn service_task_key(cluster: &str, service: &str) -> String {
    format!("service-task#{cluster}#{service}")
}

/// Tasks of a service (or family) that failed to start with the same class of failure.
pub fn failed_start_key(cluster: &str, owner: &str, class: &str) -> String {
    format!("failed-start#{cluster}#{owner}#{class}")
}

pub fn embedded_database_key(task_arn: &str) -> String {
    format!("task-embedded#{task_arn}")
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
    use crate::finding::Location;
    use crate::state::MemoryStore;

    fn finding(rule: RuleId, severity: Severity, task_definition: &str) -> Finding {
        let mut finding = Finding::new(rule, severity, "summary");
        finding.location = Location {
            region: Some("us-east-1".to_string()),
            cluster: Some("coder-cluster".to_string()),
            service: Some("coder-service".to_string()),
            task: Some("arn:aws:ecs:us-east-1:1:task/coder-cluster/aaa".to_string()),
            task_definition: Some(format!(
                "arn:aws:ecs:us-east-1:1:task-definition/{task_definition}"
            )),
            container: Some("coder".to_string()),
            ..Default::default()
        };
        finding
            .facts
            .insert("setting".to_string(), "CODER_POSTGRES_URL".to_string());
        finding
    }

    async fn claim(store: &MemoryStore, finding: &Finding, now: u64) -> ClaimOutcome {
        claim_alert(store, finding, 6 * 3600, now).await.unwrap()
    }

    #[tokio::test]
    async fn the_same_finding_alerts_once_per_window() {
        let store = MemoryStore::new();
        let first = finding(
            RuleId::DatabaseSettingMisnamed,
            Severity::Critical,
            "coder:1",
        );
        assert!(matches!(
            claim(&store, &first, 1000).await,
            ClaimOutcome::Claimed(_)
        ));
        // Another task of the same service, same facts: suppressed.
        let mut again = first.clone();
        again.location.task = Some("arn:aws:ecs:us-east-1:1:task/coder-cluster/bbb".to_string());
        assert_eq!(
            claim(&store, &again, 2000).await,
            ClaimOutcome::Suppressed { alerted_at: 1000 }
        );
        // After the window it alerts again.
        assert!(matches!(
            claim(&store, &again, 1000 + 6 * 3600).await,
            ClaimOutcome::Claimed(_)
        ));
    }

    #[tokio::test]
    async fn new_facts_or_a_higher_severity_alert_again() {
        let store = MemoryStore::new();
        let first = finding(RuleId::AuditIncomplete, Severity::Medium, "coder:1");
        assert!(matches!(
            claim(&store, &first, 1000).await,
            ClaimOutcome::Claimed(_)
        ));
        let new_revision = finding(RuleId::AuditIncomplete, Severity::Medium, "coder:2");
        assert!(matches!(
            claim(&store, &new_revision, 1001).await,
            ClaimOutcome::Claimed(_)
        ));
        let mut worse = new_revision.clone();
        worse.severity = Severity::High;
        assert!(matches!(
            claim(&store, &worse, 1002).await,
            ClaimOutcome::Claimed(_)
        ));
        let mut milder = worse.clone();
        milder.severity = Severity::Medium;
        assert!(matches!(
            claim(&store, &milder, 1003).await,
            ClaimOutcome::Suppressed { .. }
        ));
    }

    #[tokio::test]
    async fn a_released_claim_lets_the_retry_alert() {
        let store = MemoryStore::new();
        let first = finding(
            RuleId::DatabaseSettingMisnamed,
            Severity::Critical,
            "coder:1",
        );
        let ClaimOutcome::Claimed(taken) = claim(&store, &first, 1000).await else {
            panic!("claimed");
        };
        release(&store, &taken).await.unwrap();
        assert!(matches!(
            claim(&store, &first, 1001).await,
            ClaimOutcome::Claimed(_)
        ));
    }

    #[tokio::test]
    async fn endpoint_findings_alert_once_per_configuration() {
        let store = MemoryStore::new();
        let first = finding(
            RuleId::EndpointWithoutLoadBalancer,
            Severity::Medium,
            "coder:1",
        );
        assert!(matches!(
            claim(&store, &first, 1000).await,
            ClaimOutcome::Claimed(_)
        ));
        assert!(matches!(
            claim(&store, &first, 1000 + 30 * 86_400).await,
            ClaimOutcome::Suppressed { .. }
        ));
    }

    #[tokio::test]
    async fn deliveries_are_remembered() {
        let store = MemoryStore::new();
        assert!(!already_processed(&store, "delivery#x", 10).await.unwrap());
        mark_processed(&store, "delivery#x", 10).await.unwrap();
        assert!(already_processed(&store, "delivery#x", 11).await.unwrap());
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
}
