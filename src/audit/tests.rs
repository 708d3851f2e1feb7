//! The audit end to end with fakes: events in, findings and alerts out.

use super::*;
use crate::finding::{RuleId, Severity};
use crate::inventory::tests::FakeInventory;
use crate::memory::MemoryStore;
use crate::model::TaskDefinition;
use crate::publish::tests::RecordingSink;
use std::collections::BTreeMap;
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
    let definition: TaskDefinition = serde_json::from_value(serde_json::json!({
        "taskDefinitionArn": TD_ARN, "family": "coder", "revision": 7,
        "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
            "environment": [{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}],
            "secrets": [{"name": "CODER_POSTGRES_URL",
                "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:coder-postgres-url-PO7CI7:url::"}]}]
    }))
    .unwrap();
    FakeInventory::coder_service(definition)
}

/// The seed's inventory with Coder's home directory on a volume (`volume` without its name).
fn seed_with_home_on(volume: serde_json::Value) -> FakeInventory {
    let mut inventory = seed_inventory();
    let definition = inventory.task_definitions.get_mut(TD_ARN).unwrap();
    definition.container_definitions[0].mount_points = vec![crate::model::MountPoint {
        source_volume: "data".to_string(),
        container_path: "/home/coder".to_string(),
        read_only: None,
    }];
    let mut volume = volume;
    volume["name"] = "data".into();
    definition.volumes = vec![serde_json::from_value(volume).unwrap()];
    inventory
}

/// The seed task, after two hours of running, stopped by a deployment.
fn stopped_by_deployment() -> String {
    running_event("STOPPED").replace(
        r#""version":2"#,
        r#""version":3,"startedAt":"2026-11-24T03:12:40Z","stoppedAt":"2026-11-24T05:12:40Z","stopCode":"ServiceSchedulerInitiated","stoppedReason":"Scaling activity initiated by (deployment ecs-svc/1)""#,
    )
}

fn auditor(
    inventory: FakeInventory,
    sink: RecordingSink,
    config: Config,
) -> Auditor<FakeInventory, RecordingSink, MemoryStore> {
    Auditor::new(
        config,
        inventory,
        sink,
        MemoryStore::new(),
        Some("us-east-1".to_string()),
    )
    .unwrap()
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
    assert_eq!(report.published(), 2);
    let alerts = auditor.sink.alerts.lock().unwrap();
    assert!(
        alerts[0]
            .subject
            .starts_with("[CRITICAL] coder-service: Coder ignores CODER_POSTGRES_URL; it reads CODER_PG_CONNECTION_URL")
    );
    // No load balancer: the fix says so.
    assert!(alerts[1].text.contains("Application Load Balancer"));
}

const ENV_FILE: &str = "arn:aws:s3:::coder-config-123456789012/coder/coder.env";

/// The seed's task with its database URL moved into an S3 environment file.
fn environment_file_inventory(file: Option<&str>) -> FakeInventory {
    let definition: TaskDefinition = serde_json::from_value(serde_json::json!({
        "taskDefinitionArn": TD_ARN, "family": "coder", "revision": 7,
        "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
            "environment": [{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}],
            "environmentFiles": [{"value": ENV_FILE, "type": "s3"}]}]
    }))
    .unwrap();
    let mut inventory = FakeInventory::coder_service(definition);
    if let Some(text) = file {
        inventory
            .environment_files
            .insert(ENV_FILE.to_string(), text.to_string());
    }
    inventory
}

#[tokio::test]
async fn an_unread_environment_file_is_no_verdict() {
    let auditor = auditor(
        environment_file_inventory(Some("CODER_PG_CONNECTION_URL=postgres://c:pw@db/c\n")),
        RecordingSink::default(),
        Config::default(),
    );
    let report = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap();
    let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![RuleId::AuditIncomplete]);
    assert!(report.findings[0].evidence[0].contains(ENV_FILE));
    assert!(report.findings[0].evidence[0].contains("READ_ENVIRONMENT_FILES is off"));
    assert_eq!(
        auditor.inventory().inner().calls.load(Ordering::SeqCst),
        2,
        "no s3:GetObject without READ_ENVIRONMENT_FILES"
    );
}

#[tokio::test]
async fn a_read_environment_file_is_judged_and_its_values_never_leave() {
    let config = Config {
        read_environment_files: true,
        ..Config::default()
    };
    // The file holds the seed's misnamed setting, with a password in it.
    let auditor = auditor(
        environment_file_inventory(Some(
            "# Coder\nCODER_POSTGRES_URL=postgres://coder:Hunter2Hunter2@db:5432/coder\n",
        )),
        RecordingSink::default(),
        config.clone(),
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
    {
        let alerts = auditor.sink.alerts.lock().unwrap();
        assert!(
            alerts[0].text.contains(ENV_FILE),
            "the alert names the file: {}",
            alerts[0].text
        );
        for alert in alerts.iter() {
            let document = alert.document.to_string();
            for text in [&alert.text, &document, &alert.subject] {
                assert!(!text.contains("Hunter2Hunter2"), "{text}");
                assert!(
                    !text.contains("db:5432"),
                    "a file's values are not shown: {text}"
                );
            }
        }
    }

    // The right name in the file: nothing to report.
    let auditor = auditor_with(
        environment_file_inventory(Some("CODER_PG_CONNECTION_URL=postgres://c:pw@db/c\n")),
        config.clone(),
    );
    let report = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap();
    assert_eq!(report.findings, Vec::new());

    // A malformed URL there is reported without any part of it.
    let auditor = auditor_with(
        environment_file_inventory(Some(
            "CODER_PG_CONNECTION_URL=postgres://coder:Hunter2Hunter2@rds.internal:5432:5432/coder\n",
        )),
        config.clone(),
    );
    let report = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap();
    let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![RuleId::DatabaseUrlMalformed]);
    assert_eq!(
        report.findings[0].summary,
        "CODER_PG_CONNECTION_URL is malformed: the port appears twice; the lookup of that host name will fail"
    );
    let shown = serde_json::to_string(&report.findings).unwrap();
    assert!(
        !shown.contains("rds.internal") && !shown.contains("Hunter2"),
        "{shown}"
    );

    // A file that cannot be read is a gap, and the database choice stays undecided.
    let auditor = auditor_with(environment_file_inventory(None), config);
    let report = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap();
    let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        vec![RuleId::AuditIncomplete, RuleId::AuditIncomplete]
    );
    assert!(report.findings[0].summary.contains("s3:GetObject"));
    assert!(report.findings[1].evidence[0].contains("it could not be read"));
}

fn auditor_with(
    inventory: FakeInventory,
    config: Config,
) -> Auditor<FakeInventory, RecordingSink, MemoryStore> {
    auditor(inventory, RecordingSink::default(), config)
}

/// A CloudWatch Logs payload from FireLens: one JSON record per line, the app's line in
/// `log`, the task in `ecs_task_arn` (keys as the Go cloudwatch output sorts them).
fn firelens_event(stream: &str, task_arn: Option<&str>, lines: &[&str]) -> String {
    let events: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut record = serde_json::json!({
                "container_id": "0123456789abcdef0123456789abcdef-1", "container_name": "coder",
                "log": line, "source": "stdout"
            });
            if let Some(arn) = task_arn {
                record["ecs_cluster"] = "coder-cluster".into();
                record["ecs_task_arn"] = arn.into();
                record["ecs_task_definition"] = "coder:7".into();
            }
            serde_json::json!({"id": i.to_string(), "timestamp": 1_795_000_000_000i64, "message": record.to_string()})
        })
        .collect();
    let payload = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/ecs/coder",
        "logStream": stream, "subscriptionFilters": ["f"], "logEvents": events
    });
    serde_json::json!({"awslogs": {"data": crate::events::logs::tests::encode(payload.to_string().as_bytes())}}).to_string()
}

#[tokio::test]
async fn firelens_lines_are_tied_to_their_task_and_remembered_for_its_stop() {
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    let report = auditor
        .process(
            firelens_event(
                "ecs-coder-firelens-0123456789abcdef0123456789abcdef",
                Some(TASK_ARN),
                &["Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)\r"],
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(report.findings.len(), 1);
    let finding = &report.findings[0];
    assert_eq!(finding.rule, RuleId::EmbeddedDatabaseInUse);
    assert_eq!(finding.location.task.as_deref(), Some(TASK_ARN));
    assert_eq!(finding.location.service.as_deref(), Some("coder-service"));
    assert_eq!(finding.location.container.as_deref(), Some("coder"));
    // Its stop is data lost, from what its log showed.
    let stopped = stopped_by_deployment();
    let report = auditor.process(stopped.as_bytes()).await.unwrap();
    let lost = report
        .findings
        .iter()
        .find(|f| f.rule == RuleId::DataLostOnStop)
        .expect("data lost on stop");
    assert!(
        lost.evidence
            .iter()
            .any(|line| line.contains("its log showed")),
        "{:?}",
        lost.evidence
    );
}

#[tokio::test]
async fn lines_that_name_no_task_say_so() {
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    // `log_key log` with a fixed log_stream_name: only the line, no task anywhere.
    let report = auditor
        .process(firelens_event("coder-logs", None, &["Using built-in PostgreSQL (/x)"]).as_bytes())
        .await
        .unwrap();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].location.task, None);
    assert!(
        report.findings[0]
            .evidence
            .iter()
            .any(|line| line.contains("could not be tied to a task")),
        "{:?}",
        report.findings[0].evidence
    );
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
    assert!(matches!(report.outcome, Outcome::Ignored(ref reason) if reason.contains("PENDING")));
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
async fn an_embedded_database_on_efs_is_no_alarm() {
    let auditor = auditor(
        seed_with_home_on(serde_json::json!({"efsVolumeConfiguration": {"fileSystemId": "fs-1"}})),
        RecordingSink::default(),
        Config::default(),
    );
    let report = auditor
        .process(
            logs_event(&["Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)"])
                .as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(report.findings, vec![]);
}

#[tokio::test]
async fn a_task_that_cannot_fetch_the_database_secret_is_critical_and_a_loop_is_counted() {
    let mut inventory = seed_inventory();
    let definition = inventory.task_definitions.get_mut(TD_ARN).unwrap();
    definition.container_definitions[0].secrets[0].name = "CODER_PG_CONNECTION_URL".to_string();
    let auditor = auditor(inventory, RecordingSink::default(), Config::default());
    let sample = include_str!("../../events/task-stopped-failed-to-start.json").replace(
        "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:2",
        TD_ARN,
    );
    let report = auditor.process(sample.as_bytes()).await.unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let finding = &report.findings[0];
    assert_eq!(finding.rule, RuleId::TaskFailedToStart);
    assert_eq!(finding.severity, Severity::Critical);
    assert_eq!(
        finding.facts.get("class").map(String::as_str),
        Some("no-network-path")
    );
    assert!(
        finding
            .evidence
            .iter()
            .any(|line| line.contains("database setting CODER_PG_CONNECTION_URL")),
        "{:?}",
        finding.evidence
    );
    // ECS replaces the task and it fails the same way: one more in the count.
    let again = sample
        .replace(
            "7e1f0a2b3c4d5e6f708192a3b4c5d6e7",
            "8f2a1b3c4d5e6f708192a3b4c5d6e7f8",
        )
        .replace(
            "5c0d9e8f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
            "6d1e0f9a-2b3c-4d5e-9f0a-6b7c8d9e0f1a",
        );
    let report = auditor.process(again.as_bytes()).await.unwrap();
    assert_eq!(report.findings[0].occurrences, 2);
    assert!(
        report.findings[0]
            .evidence
            .iter()
            .any(|line| line.starts_with("2 tasks of this service failed to start"))
    );
}

#[tokio::test]
async fn a_task_stopped_on_purpose_before_it_ran_is_neither_failed_nor_lost() {
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    for code in [
        "UserInitiated",
        "ServiceSchedulerInitiated",
        "SpotInterruption",
    ] {
        let stopped = running_event("STOPPED").replace(
            r#""version":2"#,
            &format!(
                r#""version":3,"stoppedAt":"2026-11-24T03:13:40Z","stopCode":"{code}","stoppedReason":"Task stopped by user""#
            ),
        );
        let report = auditor.process(stopped.as_bytes()).await.unwrap();
        assert_eq!(report.findings, vec![], "{code}");
    }
}

#[tokio::test]
async fn two_apps_in_one_stream_are_two_alerts() {
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    let report = auditor
        .process(
            firelens_event(
                "all-apps",
                None,
                &[
                    r#"logger=sqlstore t=2024-03-28T06:24:34.81Z level=info msg="Connecting to DB" dbtype=sqlite3"#,
                    "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)",
                ],
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut apps: Vec<Option<&str>> = report
        .findings
        .iter()
        .map(|finding| finding.app.as_deref())
        .collect();
    apps.sort();
    assert_eq!(apps, vec![Some("Coder"), Some("Grafana")]);
    assert_eq!(auditor.sink.alerts.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_embedded_database_on_an_instance_host_path_is_medium_and_no_data_lost() {
    // EC2, the data directory on a host path: the data stays on that instance when the
    // task stops (AWS, "Bind mounts": host paths persist after the task stops on EC2).
    let auditor = auditor(
        seed_with_home_on(serde_json::json!({"host": {"sourcePath": "/srv/coder"}})),
        RecordingSink::default(),
        Config::default(),
    );
    let report = auditor
        .process(
            logs_event(&["Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)"])
                .as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let finding = &report.findings[0];
    assert_eq!(finding.rule, RuleId::EmbeddedDatabaseInUse);
    assert_eq!(finding.severity, Severity::Medium);
    assert!(
        finding.summary.contains("stays on this EC2 instance"),
        "{}",
        finding.summary
    );
    assert!(
        finding
            .evidence
            .iter()
            .any(|line| line.contains("a task placed on another instance starts empty"))
    );
    let stopped = stopped_by_deployment();
    let report = auditor.process(stopped.as_bytes()).await.unwrap();
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.rule != RuleId::DataLostOnStop),
        "{:?}",
        report.findings
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
async fn a_retry_after_a_failed_publish_sends_only_what_failed() {
    let sink = RecordingSink::default();
    *sink.fail_once_at.lock().unwrap() = Some(1);
    let auditor = auditor(seed_inventory(), sink, Config::default());
    let event = running_event("RUNNING");
    let error = auditor.process(event.as_bytes()).await.unwrap_err();
    assert!(matches!(
        error,
        AuditError::Publish {
            published: 1,
            total: 2,
            ..
        }
    ));
    // Lambda retries the same event: the first alert is not sent again.
    let retry = auditor.process(event.as_bytes()).await.unwrap();
    assert_eq!(
        retry.deliveries,
        vec![Delivery::Suppressed, Delivery::Published]
    );
    let sent: Vec<RuleId> = auditor
        .sink
        .alerts
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.rule)
        .collect();
    assert_eq!(
        sent,
        vec![
            RuleId::DatabaseSettingMisnamed,
            RuleId::EphemeralDataDirectory
        ]
    );
    // And a third delivery of the same event is recognised as processed.
    let third = auditor.process(event.as_bytes()).await.unwrap();
    assert!(matches!(third.outcome, Outcome::Ignored(_)));
}

/// A state store that is down.
struct BrokenStore;

impl StateStore for BrokenStore {
    async fn load(
        &self,
        _key: &str,
        _now: u64,
    ) -> Result<Option<crate::memory::Entry>, StateError> {
        Err(StateError {
            operation: "dynamodb:GetItem",
            message: "connection refused".to_string(),
        })
    }
    async fn store(
        &self,
        _key: &str,
        _attributes: BTreeMap<String, String>,
        _expires_at: u64,
        _expect: crate::memory::Expect,
        _now: u64,
    ) -> Result<Option<u64>, StateError> {
        Err(StateError {
            operation: "dynamodb:PutItem",
            message: "connection refused".to_string(),
        })
    }
    async fn remove(&self, _key: &str, _version: u64) -> Result<(), StateError> {
        Err(StateError {
            operation: "dynamodb:DeleteItem",
            message: "connection refused".to_string(),
        })
    }
}

#[tokio::test]
async fn a_state_store_outage_fails_the_event_so_it_is_retried() {
    let auditor = Auditor::new(
        Config::default(),
        seed_inventory(),
        RecordingSink::default(),
        BrokenStore,
        Some("us-east-1".to_string()),
    )
    .unwrap();
    let error = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(error, AuditError::State(_)), "{error}");
    assert!(
        auditor.sink.alerts.lock().unwrap().is_empty(),
        "nothing sent unclaimed"
    );
}

#[tokio::test]
async fn a_dry_run_leaves_no_trace_in_the_state_store() {
    let auditor = Auditor::new(
        Config::default(),
        seed_inventory(),
        crate::publish::DryRun,
        MemoryStore::new(),
        Some("us-east-1".to_string()),
    )
    .unwrap();
    let report = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap();
    assert_eq!(
        report.deliveries,
        vec![Delivery::NotSent, Delivery::NotSent]
    );
    let again = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap();
    assert_eq!(again.findings.len(), 2, "not remembered as processed");
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

/// CloudTrail's record of `RegisterTaskDefinition` for the seed's revision, as EventBridge
/// delivers it (`AWS API Call via CloudTrail`), with `errorCode` when `failed`.
fn registered_event(event_name: &str, failed: bool) -> String {
    let mut detail = serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/deploy/terraform"},
        "eventTime": "2026-11-24T03:00:00Z",
        "eventSource": "ecs.amazonaws.com",
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "requestParameters": {"family": "coder"},
        "responseElements": {"taskDefinition": {"taskDefinitionArn": TD_ARN, "family": "coder", "revision": 7}},
        "eventID": "6c1c8d4e-0000-4000-8000-000000000001",
        "eventType": "AwsApiCall"
    });
    if failed {
        detail["errorCode"] = "ClientException".into();
        detail["responseElements"] = serde_json::Value::Null;
    }
    serde_json::json!({
        "version": "0", "id": "ct-1", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ecs", "account": "123456789012", "time": "2026-11-24T03:00:01Z",
        "region": "us-east-1", "resources": [], "detail": detail
    })
    .to_string()
}

#[tokio::test]
async fn a_registered_revision_alerts_before_its_task_runs_and_not_again_when_it_does() {
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    let report = auditor
        .process(registered_event("RegisterTaskDefinition", false).as_bytes())
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
    assert_eq!(report.published(), 2);
    assert!(
        report.findings[0]
            .summary
            .starts_with("coder:7 was registered: Coder ignores CODER_POSTGRES_URL"),
        "{}",
        report.findings[0].summary
    );
    assert!(
        report.findings[0]
            .evidence
            .iter()
            .any(|line| line.contains("assumed-role/deploy/terraform"))
    );
    // The task of that revision starts: the same findings, already alerted.
    let running = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap();
    assert_eq!(running.findings.len(), 2);
    assert_eq!(running.published(), 0, "{:?}", running.deliveries);
    assert_eq!(running.suppressed(), 2);
}

#[tokio::test]
async fn failed_and_other_api_calls_are_ignored_with_a_reason() {
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    let failed = auditor
        .process(registered_event("RegisterTaskDefinition", true).as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&failed.outcome, Outcome::Ignored(reason) if reason.contains("ClientException")),
        "{:?}",
        failed.outcome
    );
    let other = auditor
        .process(registered_event("DeregisterTaskDefinition", false).as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&other.outcome, Outcome::Ignored(reason) if reason.contains("DeregisterTaskDefinition"))
    );
}

#[tokio::test]
async fn without_a_registration_a_running_task_alerts_as_before() {
    // The revision's record is written only at registration: a task alone alerts.
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    let running = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap();
    assert_eq!(running.published(), 2);
}

/// CloudTrail's `UpdateService` pointing coder-service at the seed's revision (with
/// `taskDefinition` in the request), or only scaling it.
fn update_service_event(names_revision: bool) -> String {
    let mut request = serde_json::json!({"cluster": "coder-cluster", "service": "coder-service", "desiredCount": 1});
    if names_revision {
        request["taskDefinition"] = "coder:7".into();
    }
    serde_json::json!({
        "version": "0", "id": "ct-2", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ecs", "account": "123456789012", "time": "2026-11-24T03:06:01Z",
        "region": "us-east-1", "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/deploy/terraform"},
            "eventSource": "ecs.amazonaws.com", "eventName": "UpdateService", "awsRegion": "us-east-1",
            "requestParameters": request,
            "responseElements": {"service": {
                "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/coder-cluster/coder-service",
                "serviceName": "coder-service",
                "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster",
                "taskDefinition": TD_ARN, "desiredCount": 1
            }},
            "eventID": "6c1c8d4e-0000-4000-8000-000000000002", "eventType": "AwsApiCall"
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_service_pointed_at_a_revision_alerts_before_its_tasks_start() {
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    let report = auditor
        .process(update_service_event(true).as_bytes())
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
    assert_eq!(report.published(), 2);
    let subject = auditor.sink.alerts.lock().unwrap()[0].subject.clone();
    assert!(
        subject.starts_with("[CRITICAL] coder-service was pointed at coder:7: Coder ignores"),
        "{subject}"
    );
    // Its task starts: same service, same facts, already alerted.
    let running = auditor
        .process(running_event("RUNNING").as_bytes())
        .await
        .unwrap();
    assert_eq!(running.published(), 0);
    assert_eq!(running.suppressed(), 2);
}

#[tokio::test]
async fn a_service_update_that_only_scales_is_ignored_and_clusters_narrow_service_calls() {
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    let scaled = auditor
        .process(update_service_event(false).as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&scaled.outcome, Outcome::Ignored(reason) if reason.contains("names no task definition"))
    );
    let elsewhere = auditor_with_clusters(&["other-cluster"]);
    let report = elsewhere
        .process(update_service_event(true).as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&report.outcome, Outcome::Ignored(reason) if reason.contains("not in CLUSTERS"))
    );
}

fn auditor_with_clusters(clusters: &[&str]) -> Auditor<FakeInventory, RecordingSink, MemoryStore> {
    auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config {
            clusters: clusters.iter().map(|name| name.to_string()).collect(),
            ..Config::default()
        },
    )
}

#[tokio::test]
async fn an_api_call_without_the_resource_it_changed_is_a_decode_error() {
    let auditor = auditor(
        seed_inventory(),
        RecordingSink::default(),
        Config::default(),
    );
    let mut registered: serde_json::Value =
        serde_json::from_str(&registered_event("RegisterTaskDefinition", false)).unwrap();
    registered["detail"]["responseElements"] = serde_json::Value::Null;
    let mut updated: serde_json::Value = serde_json::from_str(&update_service_event(true)).unwrap();
    updated["detail"]["responseElements"] = serde_json::json!({});
    for event in [registered, updated] {
        let error = auditor
            .process(event.to_string().as_bytes())
            .await
            .unwrap_err();
        assert!(matches!(error, AuditError::Decode(_)), "{error}");
        assert!(auditor.sink.alerts.lock().unwrap().is_empty());
    }
}
