//! The pipeline with its real AWS adapters (ECS inventory, SNS sink) against moto_server:
//! task definitions registered in the emulator, alerts read back from an SQS subscriber.

mod support;

use ecs_auditor::aws::{AwsInventory, sns::SnsSink};
use ecs_auditor::config::Config;
use ecs_auditor::memory::MemoryStore;
use ecs_auditor::{Auditor, Outcome, RuleId};
use support::*;

async fn auditor_for(
    moto: &Moto,
    inbox: &AlertInbox,
) -> Auditor<AwsInventory, SnsSink, MemoryStore> {
    let config = moto.sdk_config().await;
    Auditor::new(
        Config::default(),
        AwsInventory::new(&config, vec![]),
        SnsSink::new(aws_sdk_sns::Client::new(&config), inbox.topic_arn.clone()),
        MemoryStore::new(),
        Some(REGION.to_string()),
    )
    .unwrap()
}

fn rules_of(alerts: &[DeliveredAlert]) -> Vec<String> {
    let mut rules: Vec<String> = alerts
        .iter()
        .map(|alert| alert.document["rule"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    rules
}

#[tokio::test]
async fn the_seed_setup_alerts_misnamed_setting_and_ephemeral_storage() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let inbox = AlertInbox::create(&config, "seed").await;
    let auditor = auditor_for(&moto, &inbox).await;

    let report = auditor
        .process(&account.event("task-running-seed.json"))
        .await
        .unwrap();
    assert_eq!(report.published(), 3);

    let alerts = inbox.drain().await;
    assert_eq!(
        rules_of(&alerts),
        vec![
            "database-setting-misnamed",
            "endpoint-without-load-balancer",
            "ephemeral-data-directory"
        ]
    );
    let misnamed = alerts
        .iter()
        .find(|alert| alert.document["rule"] == "database-setting-misnamed")
        .unwrap();
    assert_eq!(
        misnamed.subject,
        "[CRITICAL] coder-service: Coder ignores CODER_POSTGRES_URL; it reads CODER_PG_CONNECTION_URL"
    );
    assert!(misnamed.subject.len() < 100);
    assert_eq!(misnamed.document["severity"], "critical");
    assert_eq!(misnamed.document["location"]["cluster"], "coder-cluster");
    assert_eq!(misnamed.document["location"]["service"], "coder-service");
    assert_eq!(
        misnamed.document["facts"]["expected"],
        "CODER_PG_CONNECTION_URL"
    );
    let fix = misnamed.document["fix"].to_string();
    assert!(
        fix.contains("rename CODER_POSTGRES_URL to CODER_PG_CONNECTION_URL"),
        "{fix}"
    );
    assert!(
        fix.contains("Application Load Balancer"),
        "the service has no load balancer: {fix}"
    );
    let text = misnamed.document["text"].as_str().unwrap();
    for section in ["WHERE", "EVIDENCE", "WHY IT MATTERS", "HOW TO FIX", "LINKS"] {
        assert!(text.contains(section), "{section} missing in {text}");
    }
    // Message attributes for subscription filter policies.
    assert_eq!(misnamed.attributes["severity"]["Value"], "critical");
    assert_eq!(
        misnamed.attributes["rule"]["Value"],
        "database-setting-misnamed"
    );
    assert_eq!(misnamed.attributes["cluster"]["Value"], "coder-cluster");
    assert_eq!(misnamed.attributes["service"]["Value"], "coder-service");
}

#[tokio::test]
async fn the_fixed_setup_yields_no_database_alert() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let inbox = AlertInbox::create(&config, "fixed").await;
    let auditor = auditor_for(&moto, &inbox).await;

    let report = auditor
        .process(&account.event("task-running-fixed.json"))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Audited(_)));
    // The service still has a public IP and no load balancer; the database is fine.
    let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec![RuleId::EndpointWithoutLoadBalancer]);
    assert_eq!(
        rules_of(&inbox.drain().await),
        vec!["endpoint-without-load-balancer"]
    );
}

#[tokio::test]
async fn an_unregistered_task_definition_is_an_incomplete_audit() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    aws_sdk_ecs::Client::new(&config)
        .create_cluster()
        .cluster_name("coder-cluster")
        .send()
        .await
        .unwrap();
    let inbox = AlertInbox::create(&config, "missing").await;
    let auditor = auditor_for(&moto, &inbox).await;

    let report = auditor
        .process(&read_event("task-running-seed.json"))
        .await
        .unwrap();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule, RuleId::AuditIncomplete);
    assert!(
        report.findings[0]
            .summary
            .contains("ecs:DescribeTaskDefinition: not found"),
        "{}",
        report.findings[0].summary
    );
    let alerts = inbox.drain().await;
    assert_eq!(rules_of(&alerts), vec!["audit-incomplete"]);
    assert_eq!(alerts[0].document["severity"], "medium");
}

#[tokio::test]
async fn plaintext_and_malformed_urls_alert_without_the_password() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let inbox = AlertInbox::create(&config, "plaintext").await;
    let auditor = auditor_for(&moto, &inbox).await;

    auditor
        .process(&account.event("task-running-plaintext.json"))
        .await
        .unwrap();
    let alerts = inbox.drain().await;
    assert_eq!(
        rules_of(&alerts),
        vec!["database-url-malformed", "plaintext-database-credentials"]
    );
    for alert in &alerts {
        for fragment in ["N0t-A-Real", "Pass/word", "#Pass"] {
            assert!(
                !alert.raw.contains(fragment),
                "{fragment} leaked: {}",
                alert.raw
            );
        }
    }
    let malformed = alerts
        .iter()
        .find(|alert| alert.document["rule"] == "database-url-malformed")
        .unwrap();
    let evidence = malformed.document["evidence"].to_string();
    assert!(evidence.contains("port appears twice"), "{evidence}");
    assert!(evidence.contains("unencoded"), "{evidence}");
}

#[tokio::test]
async fn log_lines_are_attributed_to_the_running_task_and_its_service() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    // A real (emulated) Fargate task, so the log stream's task id resolves through
    // ecs:ListClusters + ecs:DescribeTasks.
    let account = seed_demo_account(&moto, &config).await;
    let task_id = account.seed_task.clone();
    let task_arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/coder-cluster/{task_id}");

    let payload = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": ACCOUNT, "logGroup": "/ecs/coder",
        "logStream": format!("ecs/coder/{task_id}"), "subscriptionFilters": ["ecs-auditor"],
        "logEvents": [
            {"id": "1", "timestamp": 1_795_000_000_000i64, "message": "Started HTTP listener at http://0.0.0.0:3000\r"},
            {"id": "2", "timestamp": 1_795_000_001_000i64, "message": "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)\r"}
        ]
    });
    let event = logs_event(&payload);

    let inbox = AlertInbox::create(&config, "logs").await;
    let auditor = auditor_for(&moto, &inbox).await;
    let report = auditor.process(event.as_bytes()).await.unwrap();
    assert_eq!(report.published(), 1);
    let alerts = inbox.drain().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].subject,
        "[CRITICAL] coder-service: Coder is running on its built-in PostgreSQL"
    );
    let location = &alerts[0].document["location"];
    assert_eq!(location["cluster"], "coder-cluster");
    assert_eq!(location["service"], "coder-service");
    assert_eq!(location["task"], task_arn.as_str());
    assert_eq!(location["log_stream"], format!("ecs/coder/{task_id}"));
    assert!(
        location["task_definition"]
            .as_str()
            .unwrap()
            .ends_with("coder:1")
    );
}

fn logs_event(payload: &serde_json::Value) -> String {
    serde_json::json!({"awslogs": {"data": encode_logs(&payload.to_string())}}).to_string()
}

#[tokio::test]
async fn a_failed_publish_is_an_error_so_the_event_is_retried() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let auditor = Auditor::new(
        Config::default(),
        AwsInventory::new(&config, vec![]),
        SnsSink::new(
            aws_sdk_sns::Client::new(&config),
            format!("arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic"),
        ),
        MemoryStore::new(),
        Some(REGION.to_string()),
    )
    .unwrap();
    let error = auditor
        .process(&account.event("task-running-seed.json"))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("could not publish alert"), "{message}");
    assert!(
        message.contains("0 of 3 alerts were published"),
        "{message}"
    );
}

/// A RUNNING event of a standalone task of `task_definition_arn`.
fn standalone_running(task_definition_arn: &str) -> Vec<u8> {
    serde_json::json!({
        "version": "0", "id": "e1", "detail-type": "ECS Task State Change", "source": "aws.ecs",
        "account": "123456789012", "time": "2026-11-24T03:12:40Z", "region": REGION,
        "resources": ["arn:aws:ecs:us-east-1:123456789012:task/apps/0123456789abcdef0123456789abcdef"],
        "detail": {
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/apps",
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/apps/0123456789abcdef0123456789abcdef",
            "taskDefinitionArn": task_definition_arn,
            "group": "family:coder-prod-coder", "lastStatus": "RUNNING", "version": 2
        }
    })
    .to_string()
    .into_bytes()
}

/// Findings (rule, summary) of one RUNNING event of `definition`, audited with or without
/// READ_ENVIRONMENT_FILES.
async fn audit_standalone(
    sdk: &aws_config::SdkConfig,
    inbox: &AlertInbox,
    definition: &str,
    read_environment_files: bool,
) -> Vec<(RuleId, String)> {
    let auditor = Auditor::new(
        Config {
            read_environment_files,
            ..Config::default()
        },
        AwsInventory::new(sdk, vec![]),
        SnsSink::new(aws_sdk_sns::Client::new(sdk), inbox.topic_arn.clone()),
        MemoryStore::new(),
        Some(REGION.to_string()),
    )
    .unwrap();
    let report = auditor
        .process(&standalone_running(definition))
        .await
        .unwrap();
    report
        .findings
        .iter()
        .map(|finding| (finding.rule, finding.summary.clone()))
        .collect()
}

/// The real-world case w17 (Coder's database URL in an S3 environment file): with
/// READ_ENVIRONMENT_FILES the function reads the file through the real S3 GetObject path and
/// judges it; without, or when the file is missing, it says what it could not check.
#[tokio::test]
async fn environment_files_are_read_from_s3_when_allowed() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let definition =
        moto.register_task_definition("tests/real_world/taskdefs/w17-coder-environment-files.json");
    let inbox = AlertInbox::create(&sdk, "envfiles").await;
    let audit = |read: bool| audit_standalone(&sdk, &inbox, &definition, read);

    // Not allowed to read it: no verdict, and the reason.
    let findings = audit(false).await;
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].0, RuleId::AuditIncomplete);

    // Allowed, but the object is not there: the read failure and no verdict.
    let findings = audit(true).await;
    let rules: Vec<RuleId> = findings.iter().map(|(rule, _)| *rule).collect();
    assert_eq!(
        rules,
        vec![RuleId::AuditIncomplete, RuleId::AuditIncomplete]
    );
    assert!(findings[0].1.contains("s3:GetObject"), "{findings:?}");
    assert!(findings[0].1.contains("not found"), "{findings:?}");

    // The file sets the misnamed variable of the seed: read and judged.
    moto.put_object(
        "coder-prod-config-123456789012",
        "coder/coder.env",
        "# written by terraform\nCODER_POSTGRES_URL=postgres://coder:Hunter2Hunter2@db:5432/coder\n",
    );
    let findings = audit(true).await;
    let rules: Vec<RuleId> = findings.iter().map(|(rule, _)| *rule).collect();
    // Coder now runs its built-in database on the case's EFS file system, whose backups the
    // doctor looks up; the emulated account has no such file system: said, not passed.
    assert_eq!(
        rules,
        vec![RuleId::AuditIncomplete, RuleId::DatabaseSettingMisnamed],
        "{findings:?}"
    );
    assert!(
        findings[0]
            .1
            .contains("elasticfilesystem:DescribeBackupPolicy"),
        "{findings:?}"
    );

    // The right name: nothing to report (EFS holds the config directory).
    moto.put_object(
        "coder-prod-config-123456789012",
        "coder/coder.env",
        "CODER_PG_CONNECTION_URL=postgres://coder:Hunter2Hunter2@db:5432/coder\n",
    );
    assert_eq!(audit(true).await, Vec::new());
    for alert in inbox.drain().await {
        assert!(!alert.document.to_string().contains("Hunter2Hunter2"));
    }
}
