//! Hostile and broken input, table-driven, through the real binary (`audit --dry-run`, AWS
//! unreachable). Every case states its outcome: ignored with a reason, decoded and audited,
//! or a one-line error with exit code 2. None may panic.

mod support;

use base64::Engine;
use std::io::Write;
use std::process::Command;
use support::*;

#[derive(Debug)]
enum Expect {
    /// Exit 0 and "ignored: ..." containing the text.
    Ignored(&'static str),
    /// Exit 0, audited; the findings' rules (sorted) are exactly these.
    Audited(&'static [&'static str]),
    /// Exit 2 and one line "error: ..." containing the text.
    Error(&'static str),
}

struct Case {
    name: &'static str,
    input: Vec<u8>,
    env: &'static [(&'static str, &'static str)],
    expect: Expect,
}

fn gzip_base64(data: &[u8]) -> String {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(data).unwrap();
    base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap())
}

fn awslogs(data: String) -> Vec<u8> {
    serde_json::json!({"awslogs": {"data": data}})
        .to_string()
        .into_bytes()
}

/// A CloudWatch Logs event whose payload is the JSON of these lines.
fn logs_with(lines: &[String]) -> Vec<u8> {
    let events: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| serde_json::json!({"id": i.to_string(), "timestamp": 1_795_000_000_000i64 + i as i64, "message": line}))
        .collect();
    let payload = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": ACCOUNT, "logGroup": "/ecs/coder",
        "logStream": "ecs/coder/4d8c3a3c9f2e4a0b8e7d6c5b4a392817",
        "subscriptionFilters": ["f"], "logEvents": events
    });
    awslogs(gzip_base64(payload.to_string().as_bytes()))
}

fn task_event(detail: serde_json::Value) -> Vec<u8> {
    serde_json::json!({
        "version": "0", "id": "x", "detail-type": "ECS Task State Change", "source": "aws.ecs",
        "account": ACCOUNT, "region": REGION, "time": "2026-11-24T03:12:40Z",
        "resources": [], "detail": detail
    })
    .to_string()
    .into_bytes()
}

fn cases() -> Vec<Case> {
    let built_in = "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)".to_string();
    let seed = read_event("task-running-seed.json");
    let mut seed_with_new_fields: serde_json::Value = serde_json::from_slice(&seed).unwrap();
    seed_with_new_fields["detail"]["someFutureField"] = serde_json::json!({"nested": [1, 2, 3]});
    seed_with_new_fields["anotherNewEnvelopeField"] = serde_json::json!(true);
    let mut non_utf8 = br#"{"messageType":"DATA_MESSAGE","logGroup":"/ecs/coder","logStream":"ecs/coder/4d8c3a3c9f2e4a0b8e7d6c5b4a392817","logEvents":[{"id":"1","timestamp":1,"message":"raw "#.to_vec();
    non_utf8.extend_from_slice(&[0xc3, 0x28, 0xff]);
    non_utf8.extend_from_slice(br#" Using built-in PostgreSQL (/data)"}]}"#);
    let full = base64::engine::general_purpose::STANDARD
        .decode(gzip_base64(
            br#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#,
        ))
        .unwrap();
    let truncated = base64::engine::general_purpose::STANDARD.encode(&full[..full.len() - 9]);
    let bomb = {
        // 64 MiB of zeros: a few tens of KiB compressed.
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..64 {
            gzip.write_all(&zeros).unwrap();
        }
        awslogs(base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap()))
    };
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes();
    vec![
        Case { name: "invalid base64", input: awslogs("%%% not base64 %%%".into()), env: &[], expect: Expect::Error("awslogs.data is not valid base64") },
        Case { name: "truncated gzip", input: awslogs(truncated), env: &[], expect: Expect::Error("awslogs.data is not valid gzip") },
        Case { name: "gzip of non-JSON", input: awslogs(gzip_base64(b"this is not json")), env: &[], expect: Expect::Error("CloudWatch Logs event has an unexpected shape") },
        Case { name: "gzip bomb", input: bomb, env: &[], expect: Expect::Error("larger than the limit of 8388608 bytes (MAX_LOG_PAYLOAD_BYTES)") },
        Case { name: "wrong type in detail", input: task_event(serde_json::json!({"clusterArn": "c", "taskArn": "t", "containers": "oops"})), env: &[], expect: Expect::Error("ECS Task State Change event has an unexpected shape") },
        Case { name: "wrong type in logEvents", input: awslogs(gzip_base64(br#"{"messageType":"DATA_MESSAGE","logEvents":{"a":1}}"#)), env: &[], expect: Expect::Error("CloudWatch Logs event has an unexpected shape") },
        Case { name: "message of the wrong type", input: awslogs(gzip_base64(br#"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1,"message":42}]}"#)), env: &[], expect: Expect::Error("CloudWatch Logs event has an unexpected shape") },
        Case { name: "not JSON", input: b"\x00\x01binary".to_vec(), env: &[], expect: Expect::Error("event is not valid JSON") },
        Case { name: "JSON array", input: b"[1, 2, 3]".to_vec(), env: &[], expect: Expect::Error("event is not a JSON object") },
        Case { name: "deeply nested JSON", input: nested, env: &[], expect: Expect::Error("event is not a JSON object") },
        Case { name: "empty object", input: b"{}".to_vec(), env: &[], expect: Expect::Ignored("neither an EventBridge event") },
        Case { name: "unrelated AWS event", input: read_event("ec2-instance-state-change.json"), env: &[], expect: Expect::Ignored("events from \"aws.ec2\"") },
        Case { name: "S3 event notification", input: br#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put"}]}"#.to_vec(), env: &[], expect: Expect::Ignored("neither an EventBridge event") },
        Case { name: "non-UTF-8 bytes in a log line", input: awslogs(gzip_base64(&non_utf8)), env: &[], expect: Expect::Audited(&["embedded-database-in-use"]) },
        Case { name: "control characters in log lines", input: logs_with(&[format!("\u{1b}[31m{built_in}\u{0}\u{7}\r")]), env: &[], expect: Expect::Audited(&["embedded-database-in-use"]) },
        Case { name: "a 1 MB single line, signature first", input: logs_with(&[format!("{built_in} {}", "x".repeat(1 << 20))]), env: &[], expect: Expect::Audited(&["embedded-database-in-use"]) },
        Case { name: "a 1 MB single line, signature past MAX_LINE_BYTES", input: logs_with(&[format!("{} {built_in}", "x".repeat(1 << 20))]), env: &[], expect: Expect::Audited(&[]) },
        Case { name: "10,000 events", input: logs_with(&(0..10_000).map(|i| if i % 1000 == 0 { built_in.clone() } else { format!("[info] request {i}") }).collect::<Vec<_>>()), env: &[], expect: Expect::Audited(&["embedded-database-in-use"]) },
        Case { name: "more events than MAX_LOG_EVENTS", input: logs_with(&(0..300).map(|i| if i == 250 { built_in.clone() } else { format!("line {i}") }).collect::<Vec<_>>()), env: &[("MAX_LOG_EVENTS", "100")], expect: Expect::Audited(&["audit-incomplete"]) },
        Case { name: "missing optional fields", input: task_event(serde_json::json!({"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c", "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef", "lastStatus": "RUNNING"})), env: &[], expect: Expect::Audited(&["audit-incomplete"]) },
        Case { name: "unknown new fields", input: seed_with_new_fields.to_string().into_bytes(), env: &[], expect: Expect::Audited(&["audit-incomplete"]) },
        Case { name: "event larger than MAX_EVENT_BYTES", input: read_event("task-running-seed.json"), env: &[("MAX_EVENT_BYTES", "1024")], expect: Expect::Error("larger than the limit of 1024 bytes (MAX_EVENT_BYTES)") },
        Case { name: "CONTROL_MESSAGE", input: read_event("logs-control-message.json"), env: &[], expect: Expect::Ignored("CONTROL_MESSAGE") },
    ]
}

#[test]
fn every_bad_input_has_its_stated_outcome_and_none_panics() {
    let directory = tempfile::tempdir().unwrap();
    for case in cases() {
        let path = directory.path().join("event.json");
        std::fs::write(&path, &case.input).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_ecs-auditor"))
            .args(["audit", "--dry-run", "--event", path.to_str().unwrap()])
            .env_remove("RUST_LOG")
            .env_remove("SNS_TOPIC_ARN")
            .env_remove("AWS_PROFILE")
            .envs([
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
                ("AWS_REGION", REGION),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_MAX_ATTEMPTS", "1"),
            ])
            .envs(case.env.iter().copied())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let name = case.name;
        assert!(!stderr.contains("panicked"), "{name}: panicked: {stderr}");
        match case.expect {
            Expect::Error(text) => {
                assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
                let lines: Vec<&str> = stderr.lines().collect();
                assert_eq!(lines.len(), 1, "{name}: one line expected: {stderr}");
                assert!(
                    lines[0].starts_with("error: ") && lines[0].contains(text),
                    "{name}: {stderr}"
                );
                assert!(lines[0].len() < 400, "{name}: the error line is bounded");
                assert_eq!(stdout, "", "{name}");
            }
            Expect::Ignored(text) => {
                assert_eq!(output.status.code(), Some(0), "{name}: {stderr}");
                assert!(
                    stderr.contains("ignored: ") && stderr.contains(text),
                    "{name}: {stderr}"
                );
                assert_eq!(stdout, "", "{name}");
            }
            Expect::Audited(rules) => {
                assert_eq!(output.status.code(), Some(0), "{name}: {stderr}");
                let mut found: Vec<String> = stdout
                    .lines()
                    .map(|line| {
                        let value: serde_json::Value = serde_json::from_str(line).unwrap();
                        for evidence in value["evidence"].as_array().unwrap() {
                            let text = evidence.as_str().unwrap();
                            assert!(
                                !text.chars().any(char::is_control),
                                "{name}: control characters in {text:?}"
                            );
                            assert!(text.chars().count() < 1000, "{name}: evidence is bounded");
                        }
                        value["rule"].as_str().unwrap().to_string()
                    })
                    .collect();
                found.sort();
                found.dedup();
                assert_eq!(found, rules.to_vec(), "{name}: {stderr}");
            }
        }
    }
}
