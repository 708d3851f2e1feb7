//! The one pipeline both front doors call: decode -> enrich -> rules -> alerts.
//!
//! [`Auditor`] is built once at cold start (profiles parsed, regexes compiled, clients made)
//! and reused for every event.

use crate::alert;
use crate::config::Config;
use crate::context::{
    AuditGap, ReadError, ReadFailure, TaskContext, arn_field, resource_name,
    service_name_from_group,
};
use crate::events::ecs::{EcsEvent, TaskStateChange};
use crate::events::logs::{LogBatch, StreamName};
use crate::events::{self, DecodeError, Decoded, Event};
use crate::finding::{Finding, Location};
use crate::inventory::{CachedInventory, Inventory};
use crate::profiles::{ProfileError, Profiles};
use crate::publish::{AlertSink, PublishError};
use crate::rules::{self, LogScanner};

/// What happened to one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The event was audited; the string describes it.
    Audited(String),
    /// The event was deliberately not audited; the string says why.
    Ignored(String),
}

/// The result of processing one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub outcome: Outcome,
    /// Findings at or above `MIN_SEVERITY`, merged per rule and place.
    pub findings: Vec<Finding>,
    /// How many alerts the sink accepted.
    pub published: usize,
}

impl Report {
    fn ignored(reason: String) -> Report {
        Report {
            outcome: Outcome::Ignored(reason),
            findings: Vec::new(),
            published: 0,
        }
    }
}

/// Why an event could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The input cannot be decoded: retrying will not help.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// An alert could not be delivered: the event must be retried.
    #[error("{error} ({published} of {total} alerts were published before it)")]
    Publish {
        error: PublishError,
        published: usize,
        total: usize,
    },
}

/// A failure at start-up. The message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Profiles(#[from] ProfileError),
    #[error(
        "PROFILES_FILE={path:?} cannot be read: {error}. Fix: point PROFILES_FILE at a readable TOML file, or unset it"
    )]
    ProfilesFile { path: String, error: String },
    #[error(transparent)]
    Scanner(#[from] rules::logs::ScannerError),
}

/// Checks skipped when a read fails, as the alert says them.
const TASK_DEFINITION_CHECKS: &str = "the database, secret and storage checks";
const SERVICE_CHECKS: &str = "the load balancer check";

/// The auditor, ready to process events.
pub struct Auditor<I, S> {
    config: Config,
    profiles: Profiles,
    scanner: LogScanner,
    inventory: CachedInventory<I>,
    sink: S,
    region: Option<String>,
}

/// Loads the shipped profiles plus `PROFILES_FILE`, if set.
pub fn load_profiles(config: &Config) -> Result<Profiles, StartupError> {
    let Some(path) = &config.profiles_file else {
        return Ok(Profiles::built_in()?);
    };
    let text = std::fs::read_to_string(path).map_err(|error| StartupError::ProfilesFile {
        path: path.display().to_string(),
        error: error.to_string(),
    })?;
    let name = path.display().to_string();
    Ok(Profiles::from_sources(
        crate::profiles::BUILT_IN
            .iter()
            .map(|(file, text)| (*file, *text))
            .chain([(name.as_str(), text.as_str())]),
    )?)
}

impl<I: Inventory, S: AlertSink> Auditor<I, S> {
    /// Builds the auditor: profiles and regexes are compiled here, once.
    pub fn new(
        config: Config,
        inventory: I,
        sink: S,
        region: Option<String>,
    ) -> Result<Self, StartupError> {
        let profiles = load_profiles(&config)?;
        let scanner = LogScanner::new(&profiles, config.max_line_bytes)?;
        Ok(Auditor {
            config,
            profiles,
            scanner,
            inventory: CachedInventory::new(inventory),
            sink,
            region,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    pub fn inventory(&self) -> &CachedInventory<I> {
        &self.inventory
    }

    /// Processes one raw event: decode, enrich, evaluate, publish.
    pub async fn process(&self, input: &[u8]) -> Result<Report, AuditError> {
        let mut scratch = Vec::new();
        let decoded = events::decode(input, &self.config.limits, &mut scratch)?;
        let event = match decoded {
            Decoded::Ignored(reason) => {
                tracing::info!(%reason, "event ignored");
                return Ok(Report::ignored(reason));
            }
            Decoded::Event(event) => event,
        };
        let description = event.describe();
        if let Some(cluster) = event.cluster_arn()
            && !self.audits_cluster(cluster)
        {
            let reason = format!(
                "{description}: cluster {} is not in CLUSTERS",
                resource_name(cluster)
            );
            tracing::info!(%reason, "event ignored");
            return Ok(Report::ignored(reason));
        }
        tracing::info!(event = %description, "auditing");
        let findings = match event {
            Event::TaskStateChange(task) => {
                let status = task.detail.last_status.as_deref().unwrap_or("unknown");
                if status != "RUNNING" {
                    let reason = format!(
                        "{description}: only RUNNING tasks are audited, this one is {status}"
                    );
                    tracing::info!(%reason, "event ignored");
                    return Ok(Report::ignored(reason));
                }
                self.audit_task(&task).await
            }
            Event::Logs(batch) => self.audit_logs(&batch).await,
            // Decoded and acknowledged; no rule reads deployment or service events yet.
            Event::DeploymentStateChange(_) | Event::ServiceAction(_) => Vec::new(),
        };
        let findings = alert::merge(
            findings
                .into_iter()
                .filter(|finding| finding.severity >= self.config.min_severity)
                .collect(),
        );
        let published = self.publish(&findings).await?;
        Ok(Report {
            outcome: Outcome::Audited(description),
            findings,
            published,
        })
    }

    /// `CLUSTERS` (names or ARNs) narrows what is audited; empty means every cluster.
    fn audits_cluster(&self, cluster_arn: &str) -> bool {
        self.config.clusters.is_empty()
            || self
                .config
                .clusters
                .iter()
                .any(|wanted| resource_name(wanted) == resource_name(cluster_arn))
    }

    async fn publish(&self, findings: &[Finding]) -> Result<usize, AuditError> {
        let mut published = 0;
        for finding in findings {
            let rendered = alert::render(finding);
            self.sink
                .publish(&rendered)
                .await
                .map_err(|error| AuditError::Publish {
                    error,
                    published,
                    total: findings.len(),
                })?;
            tracing::info!(alert = %alert::log_line(&rendered), rule = %finding.rule, "alert published");
            published += 1;
        }
        Ok(published)
    }

    /// Enriches a task event with its task definition and service, then runs the rules.
    async fn audit_task(&self, event: &EcsEvent<TaskStateChange>) -> Vec<Finding> {
        let detail = &event.detail;
        let mut task = TaskContext {
            origin: event.origin.clone(),
            cluster_arn: detail.cluster_arn.clone(),
            task_arn: detail.task_arn.clone(),
            task_definition_arn: detail.task_definition_arn.clone(),
            group: detail.group.clone(),
            last_status: detail.last_status.clone(),
            launch_type: detail.launch_type.clone(),
            platform_version: detail.platform_version.clone(),
            private_ip: detail.private_ip().map(str::to_string),
            ..Default::default()
        };
        if task.task_definition_arn.is_empty() {
            task.gaps.push(AuditGap {
                error: ReadError {
                    operation: "ecs:DescribeTaskDefinition",
                    resource: "(none)".to_string(),
                    failure: ReadFailure::NotFound,
                    message: "the event names no taskDefinitionArn".to_string(),
                },
                skipped_checks: TASK_DEFINITION_CHECKS,
            });
        } else {
            match self
                .inventory
                .task_definition(&task.task_definition_arn)
                .await
            {
                Ok(definition) => task.task_definition = Some(definition),
                Err(error) => {
                    tracing::warn!(%error, "task definition unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: TASK_DEFINITION_CHECKS,
                    });
                }
            }
        }
        if let Some(service) = task.service_name().map(str::to_string) {
            match self.inventory.service(&task.cluster_arn, &service).await {
                Ok(found) => task.service = Some(found),
                Err(error) => {
                    tracing::warn!(%error, "service unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: SERVICE_CHECKS,
                    });
                }
            }
        }
        rules::evaluate_task(&task, &self.profiles)
    }

    /// Scans a log batch; only when something matched does it look up which task and service
    /// the stream belongs to (so quiet batches cost no AWS call).
    async fn audit_logs(&self, batch: &LogBatch<'_>) -> Vec<Finding> {
        let matches = self.scanner.scan(batch);
        if matches.is_empty() {
            return Vec::new();
        }
        let mut location = Location {
            account: (!batch.owner.is_empty()).then(|| batch.owner.to_string()),
            region: self.region.clone(),
            log_group: Some(batch.log_group.to_string()),
            log_stream: Some(batch.log_stream.to_string()),
            ..Default::default()
        };
        let mut lookup_note = None;
        if let Some(stream) = StreamName::parse(&batch.log_stream) {
            location.container = Some(stream.container.to_string());
            match self.inventory.locate_task(stream.task_id).await {
                Ok(task) => {
                    location.cluster = Some(resource_name(&task.cluster_arn).to_string());
                    location.service =
                        service_name_from_group(task.group.as_deref()).map(str::to_string);
                    location.region = arn_field(&task.task_arn, 3)
                        .map(str::to_string)
                        .or(location.region);
                    location.task = Some(task.task_arn);
                    location.task_definition =
                        Some(task.task_definition_arn).filter(|arn| !arn.is_empty());
                }
                Err(error) => {
                    tracing::warn!(%error, "task of log stream not found");
                    lookup_note = Some(format!(
                        "(which service this stream belongs to is unknown: {} {})",
                        error.operation,
                        error.failure.describe()
                    ));
                }
            }
        }
        let mut findings = rules::logs::findings(matches, &self.profiles, &location);
        if let Some(note) = lookup_note {
            for finding in &mut findings {
                finding.evidence.push(note.clone());
            }
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Service, TaskDefinition, TaskLocation};
    use crate::finding::{RuleId, Severity};
    use crate::inventory::tests::FakeInventory;
    use crate::publish::tests::RecordingSink;
    use std::sync::atomic::Ordering;

    const TASK_ARN: &str =
        "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/0123456789abcdef0123456789abcdef";
    const TD_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:7";

    fn running_event(status: &str) -> String {
        serde_json::json!({
            "version": "0", "id": "1", "detail-type": "ECS Task State Change", "source": "aws.ecs",
            "account": "123456789012", "time": "2026-11-24T03:12:40Z", "region": "us-east-1",
            "resources": [TASK_ARN],
            "detail": {
                "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster",
                "taskArn": TASK_ARN, "taskDefinitionArn": TD_ARN,
                "group": "service:coder-service", "lastStatus": status, "version": 2
            }
        })
        .to_string()
    }

    fn seed_inventory() -> FakeInventory {
        let mut inventory = FakeInventory::default();
        let definition: TaskDefinition = serde_json::from_value(serde_json::json!({
            "taskDefinitionArn": TD_ARN, "family": "coder", "revision": 7,
            "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
                "environment": [{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}],
                "secrets": [{"name": "CODER_POSTGRES_URL",
                    "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:coder-postgres-url-PO7CI7:url::"}]}]
        }))
        .unwrap();
        inventory
            .task_definitions
            .insert(TD_ARN.to_string(), definition);
        inventory.services.insert(
            "coder-service".to_string(),
            Service {
                name: "coder-service".to_string(),
                ..Default::default()
            },
        );
        inventory.tasks.insert(
            "0123456789abcdef0123456789abcdef".to_string(),
            TaskLocation {
                task_arn: TASK_ARN.to_string(),
                cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster".to_string(),
                task_definition_arn: TD_ARN.to_string(),
                group: Some("service:coder-service".to_string()),
            },
        );
        inventory
    }

    fn auditor(
        inventory: FakeInventory,
        sink: RecordingSink,
        config: Config,
    ) -> Auditor<FakeInventory, RecordingSink> {
        Auditor::new(config, inventory, sink, Some("us-east-1".to_string())).unwrap()
    }

    fn logs_event(lines: &[&str]) -> String {
        let events: Vec<serde_json::Value> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| serde_json::json!({"id": i.to_string(), "timestamp": 1_795_000_000_000i64, "message": line}))
            .collect();
        let payload = serde_json::json!({
            "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/ecs/coder",
            "logStream": "ecs/coder/0123456789abcdef0123456789abcdef",
            "subscriptionFilters": ["f"], "logEvents": events
        });
        serde_json::json!({"awslogs": {"data": crate::events::logs::tests::encode(payload.to_string().as_bytes())}}).to_string()
    }

    #[tokio::test]
    async fn the_seed_task_yields_misnamed_and_ephemeral_alerts() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            vec![
                RuleId::DatabaseSettingMisnamed,
                RuleId::EphemeralDataDirectory
            ]
        );
        assert_eq!(report.published, 2);
        let alerts = auditor.sink.alerts.lock().unwrap();
        assert!(
            alerts[0]
                .subject
                .starts_with("[CRITICAL] coder-service: Coder ignores CODER_POSTGRES_URL; it reads CODER_PG_CONNECTION_URL")
        );
        // No load balancer: the fix says so.
        assert!(alerts[1].text.contains("Application Load Balancer"));
    }

    #[tokio::test]
    async fn repeated_task_definitions_are_read_once() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let after_first = auditor.inventory().inner().calls.load(Ordering::SeqCst);
        auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let after_second = auditor.inventory().inner().calls.load(Ordering::SeqCst);
        assert_eq!(after_first, 2, "DescribeTaskDefinition + DescribeServices");
        assert_eq!(after_second, after_first, "both cached");
    }

    #[tokio::test]
    async fn min_severity_drops_lesser_findings() {
        let config = Config {
            min_severity: Severity::Critical,
            ..Config::default()
        };
        let auditor = auditor(seed_inventory(), RecordingSink::default(), config);
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].rule, RuleId::DatabaseSettingMisnamed);
    }

    #[tokio::test]
    async fn access_denied_is_an_incomplete_audit_not_a_clean_bill() {
        let inventory = FakeInventory {
            deny: true,
            ..seed_inventory()
        };
        let auditor = auditor(inventory, RecordingSink::default(), Config::default());
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert!(!report.findings.is_empty());
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.rule == RuleId::AuditIncomplete)
        );
        assert!(
            report.findings[0]
                .summary
                .contains("ecs:DescribeTaskDefinition: access denied")
        );
    }

    #[tokio::test]
    async fn clusters_outside_the_clusters_setting_are_ignored() {
        let config = Config {
            clusters: vec!["other-cluster".to_string()],
            ..Config::default()
        };
        let auditor = auditor(seed_inventory(), RecordingSink::default(), config);
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert!(
            matches!(report.outcome, Outcome::Ignored(ref reason) if reason.contains("coder-cluster is not in CLUSTERS"))
        );
        let config = Config {
            clusters: vec!["arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster".to_string()],
            ..Config::default()
        };
        let auditor = self::auditor(seed_inventory(), RecordingSink::default(), config);
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 2);
    }

    #[tokio::test]
    async fn other_statuses_are_ignored_with_a_reason() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(running_event("PENDING").as_bytes())
            .await
            .unwrap();
        assert!(
            matches!(report.outcome, Outcome::Ignored(ref reason) if reason.contains("PENDING"))
        );
        assert_eq!(auditor.inventory().inner().calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_built_in_log_line_is_attributed_to_its_service() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(
                logs_event(&["Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)\r"])
                    .as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 1);
        let finding = &report.findings[0];
        assert_eq!(finding.rule, RuleId::EmbeddedDatabaseInUse);
        assert_eq!(finding.location.service.as_deref(), Some("coder-service"));
        assert_eq!(finding.location.cluster.as_deref(), Some("coder-cluster"));
        assert_eq!(finding.location.container.as_deref(), Some("coder"));
        let alerts = auditor.sink.alerts.lock().unwrap();
        assert_eq!(
            alerts[0].subject,
            "[CRITICAL] coder-service: Coder is running on its built-in PostgreSQL"
        );
    }

    #[tokio::test]
    async fn quiet_log_batches_cost_no_aws_call() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(logs_event(&["Started HTTP listener at http://0.0.0.0:3000"]).as_bytes())
            .await
            .unwrap();
        assert!(report.findings.is_empty());
        assert_eq!(auditor.inventory().inner().calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn publish_failures_are_errors_so_the_event_is_retried() {
        let sink = RecordingSink {
            fail: true,
            ..Default::default()
        };
        let auditor = auditor(seed_inventory(), sink, Config::default());
        let error = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap_err();
        assert!(matches!(
            error,
            AuditError::Publish {
                published: 0,
                total: 2,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn undecodable_input_is_a_decode_error() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        assert!(matches!(
            auditor.process(b"{\"awslogs\":{\"data\":\"!!\"}}").await,
            Err(AuditError::Decode(DecodeError::Base64(_)))
        ));
    }
}
