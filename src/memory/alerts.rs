//! Alert claims: the same finding on the same place alerts once per `SUPPRESS_FOR` (or once per
//! configuration, as its rule declares) unless its severity rises or its facts change. A claim
//! is taken before publishing and given back when publishing fails.

use super::record::{Remembered, text};
use super::store::{StateError, StateStore};
use crate::finding::{Finding, RuleId, Severity};
use crate::rules::{self, declaration::Suppression};
use serde::{Deserialize, Serialize};
/// Rules that alert once per configuration rather than once per window.
const ONCE_PER_CONFIGURATION_SECONDS: u64 = 400 * 24 * 3600;

/// An alert sent, under its [`suppression_key`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Alerted {
    /// The finding's [`fingerprint`].
    fingerprint: String,
    #[serde(with = "text")]
    severity: Severity,
    /// Epoch seconds.
    #[serde(with = "text")]
    alerted_at: u64,
    /// The alert's summary, truncated: for whoever reads the table.
    summary: String,
}

/// The right to publish one alert, taken back if publishing fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AlertClaim {
    /// The revision's record written with a claim at registration (key, version).
    pub(crate) revision: Option<(String, u64)>,
    pub key: String,
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ClaimOutcome {
    Claimed(AlertClaim),
    /// Alerted already (at the given epoch second) with the same facts and no lower severity.
    Suppressed {
        alerted_at: u64,
    },
}

/// The place a finding is about, for suppression: rule + cluster + service (or task family, or
/// log group) + container (or, where the container is unknown, the app). A new task of the
/// same service is the same place.
pub(crate) fn suppression_key(finding: &Finding) -> String {
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
    let container = container_or_app(finding);
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
pub(crate) fn fingerprint(finding: &Finding) -> String {
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

/// The part of a place inside the task: the container, or where it is unknown, the app.
fn container_or_app(finding: &Finding) -> String {
    match (&finding.location.container, &finding.app) {
        (Some(container), _) => container.clone(),
        (None, Some(app)) => format!("app/{app}"),
        (None, None) => String::new(),
    }
}

/// Where a finding about a task definition revision is remembered across its places: rule,
/// revision ARN and container (or app).
fn revision_key(finding: &Finding) -> Option<String> {
    let revision = finding.location.task_definition.as_deref()?;
    let container = container_or_app(finding);
    Some(format!(
        "alert-revision#{}#{revision}#{container}",
        finding.rule
    ))
}

/// A finding of a revision's registration (`audit/registration.rs`): it names the revision and
/// no task, cluster, service or log group, which every other audited event has.
fn at_registration(finding: &Finding) -> bool {
    let location = &finding.location;
    location.task_definition.is_some()
        && location.task.is_none()
        && location.cluster.is_none()
        && location.service.is_none()
        && location.log_group.is_none()
}

fn window(rule: RuleId, suppress_for: u64) -> u64 {
    match rules::info(rule).suppression {
        Suppression::OncePerConfiguration => ONCE_PER_CONFIGURATION_SECONDS,
        Suppression::Window => suppress_for,
    }
}

/// Claims the right to alert on `finding`, unless the same finding alerted within the window.
pub(crate) async fn claim_alert<S: StateStore>(
    store: &S,
    finding: &Finding,
    suppress_for: u64,
    now: u64,
) -> Result<ClaimOutcome, StateError> {
    let print = fingerprint(finding);
    // The same finding on a revision that alerted when the revision was registered stays quiet
    // when a task of it starts (its place then is a service, another suppression key).
    let revision = revision_key(finding);
    if let Some(revision) = &revision
        && !at_registration(finding)
        && let Some(registered) = Remembered::<Alerted>::load(store, revision.clone(), now)
            .await?
            .value
        && registered.fingerprint == print
        && finding.severity <= registered.severity
    {
        return Ok(ClaimOutcome::Suppressed {
            alerted_at: registered.alerted_at,
        });
    }
    let key = suppression_key(finding);
    let current = Remembered::<Alerted>::load(store, key, now).await?;
    if let Some(alerted) = &current.value
        && alerted.fingerprint == print
        && finding.severity <= alerted.severity
    {
        return Ok(ClaimOutcome::Suppressed {
            alerted_at: alerted.alerted_at,
        });
    }
    let record = Alerted {
        fingerprint: print,
        severity: finding.severity,
        alerted_at: now,
        summary: crate::redact::truncate_chars(&finding.summary, 200),
    };
    match current
        .replace(store, &record, window(finding.rule, suppress_for), now)
        .await?
    {
        Some(version) => {
            let mut revision_claim = None;
            if let Some(revision) = revision.filter(|_| at_registration(finding)) {
                let registered = Remembered::<Alerted>::load(store, revision, now).await?;
                revision_claim = registered
                    .replace(store, &record, window(finding.rule, suppress_for), now)
                    .await?
                    .map(|version| (registered.key().to_string(), version));
            }
            Ok(ClaimOutcome::Claimed(AlertClaim {
                key: current.key().to_string(),
                version,
                revision: revision_claim,
            }))
        }
        // A concurrent invocation claimed it first: it alerts, we do not.
        None => Ok(ClaimOutcome::Suppressed { alerted_at: now }),
    }
}

/// Gives a claim back after a failed publish, so the retry can alert.
pub(crate) async fn release<S: StateStore>(
    store: &S,
    claim: &AlertClaim,
) -> Result<(), StateError> {
    if let Some((key, version)) = &claim.revision {
        store.remove(key, *version).await?;
    }
    store.remove(&claim.key, claim.version).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;
    use crate::memory::store::MemoryStore;

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
}
