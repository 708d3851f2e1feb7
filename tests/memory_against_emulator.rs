//! Across deployments, against the emulator: public IP changes, duplicate deliveries (with the
//! DynamoDB state store, across cold starts and concurrently), data lost on stop, and the sweep.

mod support;

use ecs_auditor::alert::Alert;
use ecs_auditor::aws::AwsInventory;
use ecs_auditor::aws::dynamodb::DynamoStore;
use ecs_auditor::config::Config;
use ecs_auditor::memory::{MemoryStore, StateStore};
use ecs_auditor::publish::{AlertSink, PublishError};
use ecs_auditor::{Auditor, Outcome, RuleId};
use std::sync::Mutex;
use support::*;

/// Records every alert it is asked to send.
#[derive(Default)]
struct Recorder(Mutex<Vec<Alert>>);

impl AlertSink for Recorder {
    async fn publish(&self, alert: &Alert) -> Result<(), PublishError> {
        self.0.lock().unwrap().push(alert.clone());
        Ok(())
    }
}

impl Recorder {
    fn rules(&self) -> Vec<String> {
        let mut rules: Vec<String> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|alert| alert.rule.to_string())
            .collect();
        rules.sort();
        rules
    }
}

fn auditor<M: StateStore>(
    config: &aws_config::SdkConfig,
    state: M,
    settings: Config,
) -> Auditor<AwsInventory, Recorder, M> {
    Auditor::new(
        settings,
        AwsInventory::new(config, vec![]),
        Recorder::default(),
        state,
        Some(REGION.to_string()),
    )
    .unwrap()
}

async fn state_table(config: &aws_config::SdkConfig) -> String {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    dynamodb
        .create_table()
        .table_name("ecs-auditor-state")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    dynamodb
        .update_time_to_live()
        .table_name("ecs-auditor-state")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires_at")
                .enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    "ecs-auditor-state".to_string()
}

fn dynamo(config: &aws_config::SdkConfig, table: &str) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(config), table.to_string())
}

/// A store that sends one request at a time, shared by several auditors. DynamoDB evaluates
/// each conditional write atomically; moto_server does not (its threaded server checks the
/// condition and writes without a lock, so two concurrent `PutItem`s with
/// `attribute_not_exists` can both succeed). Serialising single requests gives back DynamoDB's
/// per-request atomicity and nothing more: the auditors' own read-then-conditional-write
/// sequences still interleave, which is the race under test.
#[derive(Clone)]
struct OneRequestAtATime {
    store: std::sync::Arc<DynamoStore>,
    gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl StateStore for OneRequestAtATime {
    async fn load(
        &self,
        key: &str,
        now: u64,
    ) -> Result<Option<ecs_auditor::memory::Entry>, ecs_auditor::memory::StateError> {
        let _one = self.gate.lock().await;
        self.store.load(key, now).await
    }

    async fn store(
        &self,
        key: &str,
        attributes: std::collections::BTreeMap<String, String>,
        expires_at: u64,
        expect: ecs_auditor::memory::Expect,
        now: u64,
    ) -> Result<Option<u64>, ecs_auditor::memory::StateError> {
        let _one = self.gate.lock().await;
        self.store
            .store(key, attributes, expires_at, expect, now)
            .await
    }

    async fn remove(&self, key: &str, version: u64) -> Result<(), ecs_auditor::memory::StateError> {
        let _one = self.gate.lock().await;
        self.store.remove(key, version).await
    }
}

#[tokio::test]
async fn two_consecutive_tasks_with_different_public_ips_yield_one_change_naming_both() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let auditor = auditor(&config, MemoryStore::new(), Config::default());

    let first = auditor
        .process(&account.event("task-running-seed.json"))
        .await
        .unwrap();
    assert!(
        first
            .findings
            .iter()
            .all(|f| f.rule != RuleId::PublicIpChanged)
    );
    assert_eq!(
        first.findings[0].location.public_ip.as_deref(),
        Some(account.seed_ip.as_str())
    );

    let second = auditor
        .process(&account.event("task-running-fixed.json"))
        .await
        .unwrap();
    let changes: Vec<_> = second
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::PublicIpChanged)
        .collect();
    assert_eq!(changes.len(), 1);
    let change = changes[0];
    assert_eq!(change.facts["old_ip"], account.seed_ip);
    assert_eq!(change.facts["new_ip"], account.fixed_ip);
    assert_eq!(change.facts["deployment"], "ecs-svc/9876543210987654321");
    assert!(
        change.summary.contains(&account.seed_ip) && change.summary.contains(&account.fixed_ip)
    );
    let sent = auditor.sink().rules();
    assert_eq!(
        sent.iter()
            .filter(|rule| *rule == "public-ip-changed")
            .count(),
        1
    );
}

#[tokio::test]
async fn the_same_event_delivered_twice_alerts_once_even_across_cold_starts() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let table = state_table(&config).await;
    let event = account.event("task-running-seed.json");

    let first = auditor(&config, dynamo(&config, &table), Config::default());
    let report = first.process(&event).await.unwrap();
    assert_eq!(report.published(), 3);

    // Redelivered to the same warm function, and to a fresh one (a cold start).
    let again = first.process(&event).await.unwrap();
    assert!(
        matches!(again.outcome, Outcome::Ignored(ref reason) if reason.contains("already processed"))
    );
    let cold = auditor(&config, dynamo(&config, &table), Config::default());
    let again = cold.process(&event).await.unwrap();
    assert!(matches!(again.outcome, Outcome::Ignored(_)));
    assert!(cold.sink().rules().is_empty());

    // ECS's next version of the same task (a new delivery, same facts): suppressed.
    let next_version = String::from_utf8(event.clone())
        .unwrap()
        .replace("\"version\": 3", "\"version\": 4");
    let report = cold.process(next_version.as_bytes()).await.unwrap();
    assert_eq!(report.findings.len(), 3);
    assert_eq!(report.suppressed(), 3);
    assert!(cold.sink().rules().is_empty());
    assert_eq!(first.sink().rules().len(), 3);
}

#[tokio::test]
async fn concurrent_invocations_cannot_both_alert() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let table = state_table(&config).await;
    let event = account.event("task-running-seed.json");
    let shared = OneRequestAtATime {
        store: std::sync::Arc::new(dynamo(&config, &table)),
        gate: Default::default(),
    };
    let one = auditor(&config, shared.clone(), Config::default());
    let two = auditor(&config, shared, Config::default());
    let (a, b) = tokio::join!(one.process(&event), two.process(&event));
    a.unwrap();
    b.unwrap();
    let mut sent = one.sink().rules();
    sent.extend(two.sink().rules());
    sent.sort();
    assert_eq!(
        sent,
        vec![
            "database-setting-misnamed",
            "endpoint-without-load-balancer",
            "ephemeral-data-directory"
        ]
    );
}

#[tokio::test]
async fn a_stopped_ephemeral_coder_task_is_data_lost_on_stop() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    // A fresh function: it never saw the task run, only its stop.
    let auditor = auditor(&config, MemoryStore::new(), Config::default());
    let report = auditor
        .process(&account.event("task-stopped-seed.json"))
        .await
        .unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let lost = &report.findings[0];
    assert_eq!(lost.rule, RuleId::DataLostOnStop);
    assert_eq!(lost.app.as_deref(), Some("Coder"));
    assert_eq!(lost.facts["stop_code"], "ServiceSchedulerInitiated");
    assert_eq!(lost.facts["deployment"], "ecs-svc/9876543210987654321");
    let evidence = lost.evidence.join("\n");
    assert!(
        evidence.contains("/home/coder/.config/coderv2"),
        "{evidence}"
    );
    assert!(evidence.contains("no replacement task"), "{evidence}");
    assert_eq!(auditor.sink().rules(), vec!["data-lost-on-stop"]);
}

#[tokio::test]
async fn a_sweep_reports_only_the_bad_service_and_what_it_could_not_read() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    ecs.create_cluster()
        .cluster_name("sweep-cluster")
        .send()
        .await
        .unwrap();
    let bad_definition = moto.register_task_definition("events/task-definitions/coder-seed.json");
    // The good service logs to its own group and has no public IP.
    let good_body = std::fs::read_to_string(repo_path("events/task-definitions/coder-fixed.json"))
        .unwrap()
        .replace("\"family\": \"coder\"", "\"family\": \"coder-good\"")
        .replace("/ecs/coder\"", "/ecs/coder-good\"");
    let good_definition = moto.json_call(
        "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
        &good_body,
    );
    assert!(good_definition.contains("coder-good:1"));
    let (subnet, group) = network(&moto).await;
    ecs.create_service()
        .cluster("sweep-cluster")
        .service_name("bad-coder")
        .task_definition(&bad_definition)
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(awsvpc(&subnet, &group))
        .send()
        .await
        .unwrap();
    ecs.create_service()
        .cluster("sweep-cluster")
        .service_name("good-coder")
        .task_definition("coder-good:1")
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .send()
        .await
        .unwrap();
    // The bad service's log, as CloudWatch holds it.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    for group in ["/ecs/coder", "/ecs/coder-good"] {
        logs.create_log_group()
            .log_group_name(group)
            .send()
            .await
            .unwrap();
    }
    logs.create_log_stream()
        .log_group_name("/ecs/coder")
        .log_stream_name("ecs/coder/0f9e8d7c6b5a49382716a5b4c3d2e1f0")
        .send()
        .await
        .unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    logs.put_log_events()
        .log_group_name("/ecs/coder")
        .log_stream_name("ecs/coder/0f9e8d7c6b5a49382716a5b4c3d2e1f0")
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now_ms - 60_000)
                .message("Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let auditor = auditor(&config, MemoryStore::new(), Config::default());
    let report = auditor.sweep(&["sweep-cluster".to_string()]).await.unwrap();
    for finding in &report.findings {
        assert_eq!(
            finding.location.service.as_deref(),
            Some("bad-coder"),
            "{finding:?}"
        );
        assert_eq!(finding.location.cluster.as_deref(), Some("sweep-cluster"));
    }
    let mut rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort();
    assert_eq!(
        rules,
        vec![
            "database-setting-misnamed",
            "embedded-database-in-use",
            "endpoint-without-load-balancer",
            "ephemeral-data-directory"
        ]
    );
    assert_eq!(report.published(), 4);

    // A cluster that cannot be read is said so, not passed over.
    let report = auditor
        .sweep(&["no-such-cluster".to_string()])
        .await
        .unwrap();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule, RuleId::AuditIncomplete);
    assert!(
        report.findings[0].summary.contains("ecs:ListServices"),
        "{}",
        report.findings[0].summary
    );
}
