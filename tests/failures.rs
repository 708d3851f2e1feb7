//! Failure semantics, driven with the real SDK: SNS throttling is retried with backoff; a
//! publish that keeps failing fails the event, and its retry sends only what was not sent;
//! an AWS outage in the middle of a run fails the event instead of dropping it.

mod support;

use ecs_auditor::aws::sns::{self, SnsSink};
use ecs_auditor::aws::{AwsInventory, dynamodb::DynamoStore};
use ecs_auditor::config::Config;
use ecs_auditor::memory::MemoryStore;
use ecs_auditor::{AuditError, Auditor};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use support::*;

/// One scripted answer of the fake SNS endpoint.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Ok,
    Throttled,
    ServerError,
}

/// A local HTTP endpoint that answers SNS `Publish` calls from a script (then `Ok`), and
/// records the subject of every request.
struct FakeSns {
    endpoint: String,
    subjects: Arc<Mutex<Vec<String>>>,
}

impl FakeSns {
    fn start(script: Vec<Answer>) -> FakeSns {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let subjects = Arc::new(Mutex::new(Vec::new()));
        let seen = subjects.clone();
        std::thread::spawn(move || {
            let mut script = script.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let body = String::from_utf8_lossy(&body).to_string();
                let subject = body
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("Subject="))
                    .map(percent_decode)
                    .unwrap_or_default();
                seen.lock().unwrap().push(subject);
                let (status, text) = match script.next().unwrap_or(Answer::Ok) {
                    Answer::Ok => (
                        200,
                        "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>m</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>",
                    ),
                    Answer::Throttled => (
                        400,
                        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>",
                    ),
                    Answer::ServerError => (
                        500,
                        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Receiver</Type><Code>InternalError</Code><Message>boom</Message></Error><RequestId>r</RequestId></ErrorResponse>",
                    ),
                };
                let response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        FakeSns { endpoint, subjects }
    }

    fn subjects(&self) -> Vec<String> {
        self.subjects.lock().unwrap().clone()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// The real pipeline, reading the emulated account and publishing to the fake SNS endpoint.
async fn auditor_publishing_to(
    config: &aws_config::SdkConfig,
    endpoint: &str,
) -> Auditor<AwsInventory, SnsSink, MemoryStore> {
    let sns_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "t", "t", None, None, "test",
        ))
        .endpoint_url(endpoint)
        .load()
        .await;
    let sink = SnsSink::new(
        sns::client(&sns_config),
        format!("arn:aws:sns:{REGION}:{ACCOUNT}:alerts"),
    );
    Auditor::new(
        Config::default(),
        AwsInventory::new(config, vec![]),
        sink,
        MemoryStore::new(),
        Some(REGION.to_string()),
    )
    .unwrap()
}

#[tokio::test]
async fn throttled_publishes_are_retried_with_backoff() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let fake = FakeSns::start(vec![Answer::Throttled, Answer::Throttled]);
    let auditor = auditor_publishing_to(&config, &fake.endpoint).await;
    let report = auditor
        .process(&account.event("task-running-seed.json"))
        .await
        .unwrap();
    assert_eq!(report.published(), 3);
    let subjects = fake.subjects();
    // The first alert took three attempts; the other two, one each.
    assert_eq!(subjects.len(), 5, "{subjects:?}");
    assert_eq!(subjects[0], subjects[1]);
    assert_eq!(subjects[1], subjects[2]);
}

#[tokio::test]
async fn a_publish_that_keeps_failing_fails_the_event_and_the_retry_sends_only_the_rest() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    // The first alert goes out; the second fails every attempt.
    let mut script = vec![Answer::Ok];
    script.extend(std::iter::repeat_n(
        Answer::ServerError,
        sns::PUBLISH_ATTEMPTS as usize,
    ));
    let fake = FakeSns::start(script);
    let auditor = auditor_publishing_to(&config, &fake.endpoint).await;
    let event = account.event("task-running-seed.json");
    let error = auditor.process(&event).await.unwrap_err();
    assert!(
        matches!(
            error,
            AuditError::Publish {
                published: 1,
                total: 3,
                ..
            }
        ),
        "{error}"
    );
    // Lambda retries the event.
    let retry = auditor.process(&event).await.unwrap();
    assert_eq!(retry.published(), 2);
    assert_eq!(retry.suppressed(), 1);
    let subjects = fake.subjects();
    let first = subjects[0].clone();
    assert_eq!(
        subjects.iter().filter(|subject| **subject == first).count(),
        1,
        "the alert that went out is not sent again: {subjects:?}"
    );
    let mut distinct = subjects.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{subjects:?}");
}

#[tokio::test]
async fn an_outage_in_the_middle_of_a_run_fails_the_event_instead_of_dropping_it() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let inbox = AlertInbox::create(&config, "outage").await;
    let table = "ecs-auditor-state";
    aws_sdk_dynamodb::Client::new(&config)
        .create_table()
        .table_name(table)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let auditor = Auditor::new(
        Config::default(),
        AwsInventory::new(&config, vec![]),
        SnsSink::new(sns::client(&config), inbox.topic_arn.clone()),
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table.to_string()),
        Some(REGION.to_string()),
    )
    .unwrap();
    let first = auditor
        .process(&account.event("task-running-seed.json"))
        .await
        .unwrap();
    assert_eq!(first.published(), 3);
    let next = account.event("task-running-fixed.json");
    drop(moto); // the emulator (ECS, EC2, DynamoDB, SNS) goes away mid-run
    let error = auditor.process(&next).await.unwrap_err();
    assert!(matches!(error, AuditError::State(_)), "{error}");
}
