//! The pipeline with its real AWS adapters (ECS inventory, SNS sink) against moto_server:
//! task definitions registered in the emulator, alerts read back from an SQS subscriber.

mod support;

use ecs_auditor::aws::{ecs::EcsInventory, sns::SnsSink};
use ecs_auditor::config::Config;
use ecs_auditor::{Auditor, Outcome, RuleId};
use support::*;

async fn auditor_for(moto: &Moto, inbox: &AlertInbox) -> Auditor<EcsInventory, SnsSink> {
    let config = moto.sdk_config().await;
    Auditor::new(
        Config::default(),
        EcsInventory::new(aws_sdk_ecs::Client::new(&config), vec![]),
        SnsSink::new(aws_sdk_sns::Client::new(&config), inbox.topic_arn.clone()),
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
    seed_demo_account(&moto, &config).await;
    let inbox = AlertInbox::create(&config, "seed").await;
    let auditor = auditor_for(&moto, &inbox).await;

    let report = auditor
        .process(&read_event("task-running-seed.json"))
        .await
        .unwrap();
    assert_eq!(report.published, 2);

    let alerts = inbox.drain().await;
    assert_eq!(
        rules_of(&alerts),
        vec!["database-setting-misnamed", "ephemeral-data-directory"]
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
    seed_demo_account(&moto, &config).await;
    let inbox = AlertInbox::create(&config, "fixed").await;
    let auditor = auditor_for(&moto, &inbox).await;

    let report = auditor
        .process(&read_event("task-running-fixed.json"))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Audited(_)));
    assert_eq!(report.findings, vec![]);
    assert!(inbox.drain().await.is_empty());
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
    seed_demo_account(&moto, &config).await;
    let inbox = AlertInbox::create(&config, "plaintext").await;
    let auditor = auditor_for(&moto, &inbox).await;

    auditor
        .process(&read_event("task-running-plaintext.json"))
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
    seed_demo_account(&moto, &config).await;
    // A real (emulated) Fargate task, so the log stream's task id resolves through
    // ecs:ListClusters + ecs:DescribeTasks.
    let vpc = xml_value(
        &moto.query_call(
            "ec2",
            "Action=CreateVpc&CidrBlock=10.0.0.0/16&Version=2016-11-15",
        ),
        "vpcId",
    );
    moto.query_call(
        "ec2",
        &format!(
            "Action=ModifyVpcAttribute&VpcId={vpc}&EnableDnsHostnames.Value=true&Version=2016-11-15"
        ),
    );
    let subnet = xml_value(
        &moto.query_call(
            "ec2",
            &format!("Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.0.1.0/24&Version=2016-11-15"),
        ),
        "subnetId",
    );
    let group = xml_value(
        &moto.query_call(
            "ec2",
            &format!("Action=CreateSecurityGroup&GroupName=coder&GroupDescription=coder&VpcId={vpc}&Version=2016-11-15"),
        ),
        "groupId",
    );
    let ecs = aws_sdk_ecs::Client::new(&config);
    let task = ecs
        .run_task()
        .cluster("coder-cluster")
        .task_definition("coder:1")
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .started_by("ecs-svc/1234567890123456789")
        .group("service:coder-service")
        .network_configuration(
            aws_sdk_ecs::types::NetworkConfiguration::builder()
                .awsvpc_configuration(
                    aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                        .subnets(subnet)
                        .security_groups(group)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let task_arn = task.tasks()[0].task_arn().unwrap().to_string();
    let task_id = task_arn.rsplit('/').next().unwrap().to_string();

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
    assert_eq!(report.published, 1);
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
    use std::io::Write;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(payload.to_string().as_bytes()).unwrap();
    let data = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        gzip.finish().unwrap(),
    );
    serde_json::json!({"awslogs": {"data": data}}).to_string()
}

#[tokio::test]
async fn a_failed_publish_is_an_error_so_the_event_is_retried() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    seed_demo_account(&moto, &config).await;
    let auditor = Auditor::new(
        Config::default(),
        EcsInventory::new(aws_sdk_ecs::Client::new(&config), vec![]),
        SnsSink::new(
            aws_sdk_sns::Client::new(&config),
            format!("arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic"),
        ),
        Some(REGION.to_string()),
    )
    .unwrap();
    let error = auditor
        .process(&read_event("task-running-seed.json"))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("could not publish alert"), "{message}");
    assert!(
        message.contains("0 of 2 alerts were published"),
        "{message}"
    );
}
