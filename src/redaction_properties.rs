//! Redaction as a property: for generated database URLs of every supported shape and generated
//! secret values, no published alert, CLI output line or log line of the function contains the
//! secret. (A test module; it lives in the crate to drive the pipeline with in-memory fakes.)

use crate::audit::Auditor;
use crate::config::Config;
use crate::inspect::database_url::inspect;
use crate::inventory::tests::FakeInventory;
use crate::memory::MemoryStore;
use crate::model::TaskDefinition;
use crate::publish::tests::RecordingSink;
use crate::redact::redact_text;
use proptest::prelude::*;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Reserved and special characters, raw or percent-encoded, as generated passwords contain.
fn password() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[A-Za-z0-9]{1,4}",
        prop::sample::select(vec![
            "@", "/", "?", "#", ":", "%", "[", "]", "!", "$", "&", "'", "(", ")", "*", "+", ",",
            ";", "=", "~", "-", "_", ".", "\"", "%2F", "%40", "%23", "%3F", "%25",
        ])
        .prop_map(str::to_string),
    ];
    // The fixed "Pw9" start keeps the secret from occurring by chance elsewhere in the URL.
    prop::collection::vec(piece, 3..10).prop_map(|pieces| format!("Pw9{}", pieces.concat()))
}

/// A database URL of one of the supported shapes, and its password.
fn database_url() -> impl Strategy<Value = (String, String)> {
    (
        prop::sample::select(vec!["postgres", "postgresql", "mysql"]),
        "[a-z][a-z0-9_]{0,8}(@[a-z]{3,8})?",
        password(),
        "[a-z]{3,10}\\.example\\.com",
        prop::option::of(1u16..=65535),
        prop::option::of("[a-z]{1,8}"),
        prop::option::of(prop::sample::select(vec![
            "sslmode=require",
            "sslmode=verify-full&application_name=coder",
            "connect_timeout=10",
        ])),
    )
        .prop_map(|(scheme, user, password, host, port, database, query)| {
            let mut url = format!("{scheme}://{user}:{password}@{host}");
            if let Some(port) = port {
                url.push_str(&format!(":{port}"));
            }
            if let Some(database) = database {
                url.push_str(&format!("/{database}"));
            }
            if let Some(query) = query {
                url.push_str(&format!("?{query}"));
            }
            (url, password)
        })
}

/// Every string inside a JSON value.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(key, item)| {
            out.push(key.clone());
            strings(item, out);
        }),
        _ => {}
    }
}

/// Captures everything the function logs, at every level.
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const TASK_ARN: &str =
    "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/0123456789abcdef0123456789abcdef";
const TD_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:7";

fn inventory(url: &str, secret: &str) -> FakeInventory {
    let definition: TaskDefinition = serde_json::from_value(serde_json::json!({
        "taskDefinitionArn": TD_ARN, "family": "coder", "revision": 7,
        "containerDefinitions": [{
            "name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
            "environment": [
                {"name": "CODER_PG_CONNECTION_URL", "value": url},
                {"name": "DATABASE_URL", "value": url},
                {"name": "DB_PASSWORD", "value": secret},
                {"name": "PG_DSN", "value": format!("host=db user=coder password={secret} dbname=coder")}
            ]
        }]
    }))
    .unwrap();
    FakeInventory::coder_service(definition)
}

fn events(url: &str) -> Vec<String> {
    let task = serde_json::json!({
        "detail-type": "ECS Task State Change", "source": "aws.ecs", "region": "us-east-1",
        "account": "123456789012", "id": "1",
        "detail": {"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster",
                   "taskArn": TASK_ARN, "taskDefinitionArn": TD_ARN,
                   "group": "service:coder-service", "lastStatus": "RUNNING", "version": 1}
    });
    let payload = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/ecs/coder",
        "logStream": "ecs/coder/0123456789abcdef0123456789abcdef",
        "logEvents": [
            {"id": "1", "timestamp": 1, "message": format!("connecting to {url}")},
            {"id": "2", "timestamp": 2, "message": format!("{{\"level\":\"WARN\",\"msg\":\"connect to postgres: retrying\",\"fields\":{{\"url\":\"{url}\"}}}}")}
        ]
    });
    vec![
        task.to_string(),
        serde_json::json!({"awslogs": {"data": crate::events::logs::tests::encode(payload.to_string().as_bytes())}})
            .to_string(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_redactor_hides_every_generated_password((url, password) in database_url()) {
        prop_assert!(!redact_text(&url).contains(&password), "{}", redact_text(&url));
        let line = format!("2026-11-24 03:12:44.120 [debu]  connecting  url={url} try=1");
        prop_assert!(!redact_text(&line).contains(&password));
        let json = serde_json::json!({"msg": "connecting", "url": url}).to_string();
        prop_assert!(!redact_text(&json).contains(&password));
        let schemes = vec!["postgres".to_string(), "postgresql".to_string()];
        prop_assert!(!inspect(&url, &schemes, true).redacted.contains(&password));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_alert_output_or_log_line_contains_the_secret(
        (url, password) in database_url(),
        secret in "[A-Za-z0-9!#%&*+=?^_~-]{12,24}",
    ) {
        let capture = LogCapture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let auditor = Auditor::new(
            Config::default(),
            inventory(&url, &secret),
            RecordingSink::default(),
            MemoryStore::new(),
            Some("us-east-1".to_string()),
        )
        .unwrap();
        let mut output = Vec::new();
        for event in events(&url) {
            let report = runtime.block_on(auditor.process(event.as_bytes())).unwrap();
            prop_assert!(!report.findings.is_empty());
            for finding in &report.findings {
                // What the CLI prints.
                strings(&serde_json::to_value(finding).unwrap(), &mut output);
            }
        }
        for alert in auditor.sink().alerts.lock().unwrap().iter() {
            output.push(alert.subject.clone());
            output.push(alert.text.clone());
            strings(&alert.document, &mut output);
            output.push(crate::aws::sns::message_structure(alert));
        }
        output.push(String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string());
        for text in &output {
            prop_assert!(!text.contains(&password), "password leaked: {text}");
            prop_assert!(!text.contains(&secret), "secret leaked: {text}");
        }
    }
}

#[test]
fn the_function_never_logs_event_payloads() {
    let capture = LogCapture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let auditor = Auditor::new(
        Config::default(),
        inventory("postgres://coder@db/coder", "unused-secret-value"),
        RecordingSink::default(),
        MemoryStore::new(),
        Some("us-east-1".to_string()),
    )
    .unwrap();
    let marker = "PAYLOAD-MARKER-7f3c";
    for event in events(&format!(
        "postgres://coder@db/coder?application_name={marker}"
    )) {
        runtime.block_on(auditor.process(event.as_bytes())).unwrap();
    }
    runtime
        .block_on(auditor.process(b"{\"not\": \"an event PAYLOAD-MARKER-7f3c\"}"))
        .unwrap();
    let logged = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(logged.contains("auditing"), "the capture works: {logged}");
    assert!(
        !logged.contains(marker),
        "a payload reached the log: {logged}"
    );
}

/// AWS Secrets Manager's `GetRandomPassword` characters: letters, digits and this punctuation
/// (API reference, GetRandomPassword: "By default, Secrets Manager uses uppercase and lowercase
/// letters, numbers, and the following characters in passwords"; no space unless IncludeSpace).
const GENERATED_PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// A password as `GetRandomPassword` makes one by default: 32 characters of the full set.
fn generated_password() -> impl Strategy<Value = String> {
    let characters: Vec<char> = ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .chain(GENERATED_PUNCTUATION.chars())
        .collect();
    prop::collection::vec(prop::sample::select(characters), 32)
        .prop_map(|characters| characters.into_iter().collect())
}

/// What `credentials-in-logs` and the redactor make of `password` in a log line carrying
/// `postgresql://coder:PASSWORD@10.0.0.7:5432/coder`: (reported, leaked).
fn read_as_logs(scanner: &crate::scan::LogScanner, password: &str) -> (bool, bool) {
    use crate::events::logs::LogLine;
    use std::borrow::Cow;
    let line = format!("connecting to postgresql://coder:{password}@10.0.0.7:5432/coder");
    let reported = scanner
        .scan_lines(&[LogLine {
            id: Cow::Borrowed("1"),
            timestamp: 1,
            message: Cow::Owned(line.clone()),
        }])
        .iter()
        .any(|m| m.rule == crate::finding::RuleId::CredentialsInLogs);
    (reported, redact_text(&line).contains(password))
}

#[test]
fn every_generated_password_character_at_every_position_is_hidden_and_reported() {
    let profiles = crate::profiles::Profiles::built_in().unwrap();
    let scanner = crate::scan::LogScanner::new(&profiles, 16 * 1024).unwrap();
    // Starts with a letter: a password of digits then `/` reads as a port and a path, which
    // only a database scheme rules out (tested on its own below).
    let base = "Ab3dEf7hIjK9";
    let characters = ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .chain(GENERATED_PUNCTUATION.chars());
    let mut failures = Vec::new();
    for character in characters {
        for position in 0..=base.len() {
            let mut password = base.to_string();
            password.insert(position, character);
            let (reported, leaked) = read_as_logs(&scanner, &password);
            if !reported || leaked {
                failures.push(format!(
                    "{password:?}: reported {reported}, leaked {leaked}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_password_of_digits_then_a_slash_in_a_database_url_is_no_port() {
    let profiles = crate::profiles::Profiles::built_in().unwrap();
    let scanner = crate::scan::LogScanner::new(&profiles, 16 * 1024).unwrap();
    assert_eq!(read_as_logs(&scanner, "12/Ab3dEf"), (true, false));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_generated_password_is_hidden_and_reported(
        password in generated_password(),
    ) {
        static SCANNER: std::sync::LazyLock<crate::scan::LogScanner> =
            std::sync::LazyLock::new(|| {
                let profiles = crate::profiles::Profiles::built_in().unwrap();
                crate::scan::LogScanner::new(&profiles, 16 * 1024).unwrap()
            });
        prop_assert_eq!(read_as_logs(&SCANNER, &password), (true, false), "{}", password);
    }
}
