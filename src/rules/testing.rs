//! Test helpers shared by the rules' tests: tasks, task definitions, and which rules fire.

#![allow(dead_code)]

use crate::events::logs::LogLine;
use crate::finding::{Finding, Location, RuleId};
use crate::model::{Service, TaskContext};
pub(crate) use crate::profiles::Profiles;
pub(crate) use crate::rules::evaluate_task as evaluate;
use crate::scan::LogScanner;
use std::borrow::Cow;

pub(crate) const SEED_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:url::";

pub(crate) fn task_with(definition: serde_json::Value) -> TaskContext {
    TaskContext {
        origin: crate::model::EventOrigin {
            region: Some("us-east-1".to_string()),
            account: Some("132880019009".to_string()),
            ..Default::default()
        },
        cluster_arn: "arn:aws:ecs:us-east-1:132880019009:cluster/coder-cluster".to_string(),
        task_arn:
            "arn:aws:ecs:us-east-1:132880019009:task/coder-cluster/0123456789abcdef0123456789abcdef"
                .to_string(),
        task_definition_arn: "arn:aws:ecs:us-east-1:132880019009:task-definition/coder:7"
            .to_string(),
        group: Some("service:coder-service".to_string()),
        task_definition: Some(serde_json::from_value(definition).unwrap()),
        ..Default::default()
    }
}

pub(crate) fn coder_definition(
    environment: serde_json::Value,
    secrets: serde_json::Value,
    mounts: serde_json::Value,
    volumes: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:132880019009:task-definition/coder:7",
        "family": "coder", "revision": 7,
        "containerDefinitions": [{
            "name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
            "environment": environment, "secrets": secrets, "mountPoints": mounts
        }],
        "volumes": volumes
    })
}

pub(crate) fn rules_fired(task: &TaskContext) -> Vec<RuleId> {
    let mut rules: Vec<RuleId> = evaluate(task, &Profiles::built_in().unwrap())
        .into_iter()
        .inspect(|finding| {
            assert!(
                super::severity_declared(finding),
                "{} at {}, not declared",
                finding.rule,
                finding.severity
            )
        })
        .map(|finding| finding.rule)
        .collect();
    rules.sort();
    rules
}

pub(crate) fn no_mounts() -> (serde_json::Value, serde_json::Value) {
    (serde_json::json!([]), serde_json::json!([]))
}

/// A task of `coder-service` with `desired` tasks, a public IP or not, and load balancers.
pub(crate) fn task(desired: i32, public: Option<bool>, load_balancers: usize) -> TaskContext {
    TaskContext {
        cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster".to_string(),
        task_arn:
            "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
                .to_string(),
        task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:2"
            .to_string(),
        group: Some("service:coder-service".to_string()),
        service: Some(Service {
            name: "coder-service".to_string(),
            assign_public_ip: public,
            load_balancers,
            desired_count: desired,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Profiles that use every way of choosing a database, for the rules' own tests.
pub(crate) const SHAPES: &str = r#"
    [[profile]]
    id = "typed"
    name = "Typed"
    images = ["example/typed"]
    embedded_database = "SQLite"
    data_directory = "/data"
    [profile.database]
    type_setting = { name = "DB_TYPE", external = ["postgresdb", "mysqldb"], embedded = ["sqlite"], unknown = "embedded" }
    near_miss = ["DATABASE_TYPE"]
    password_settings = ["DB_POSTGRESDB_PASSWORD"]

    [[profile]]
    id = "grouped"
    name = "Grouped"
    images = ["example/grouped"]
    embedded_database = "SQLite"
    data_directory = "/var/www/html"
    [profile.database]
    groups = [["MYSQL_DATABASE", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_HOST"]]
    password_settings = ["MYSQL_PASSWORD"]

    [[profile]]
    id = "schemed"
    name = "Schemed"
    images = ["example/schemed"]
    embedded_database = "SQLite"
    data_directory = "/data"
    file_suffix = "_FILE"
    [profile.database]
    settings = ["DATABASE_URL"]
    url_schemes = ["mysql", "postgres", "postgresql"]
    embedded_schemes = ["*"]
    near_miss = [{ name = "DATABASE_URI", means = "DATABASE_URL" }]
    [[profile.volatile_switch]]
    setting = "I_REALLY_WANT_VOLATILE_STORAGE"
    values = ["true"]
    meaning = "the start-up check for a persistent /data is off"
"#;

pub(crate) fn shaped(image: &str, environment: serde_json::Value) -> Vec<RuleId> {
    let profiles = Profiles::from_sources([("shapes.toml", SHAPES)]).unwrap();
    let task = task_with(serde_json::json!({
        "family": "app", "revision": 1,
        "containerDefinitions": [{"name": "app", "image": image, "environment": environment}]
    }));
    let mut rules: Vec<RuleId> = evaluate(&task, &profiles)
        .into_iter()
        .map(|f| f.rule)
        .collect();
    rules.sort();
    rules
}

/// Lines as a log batch carries them, one millisecond apart.
pub(crate) fn log_lines(lines: &[&str]) -> Vec<LogLine<'static>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| LogLine {
            id: Cow::Owned(i.to_string()),
            timestamp: 1_795_000_000_000 + i as i64,
            message: Cow::Owned(line.to_string()),
        })
        .collect()
}

/// The findings the built-in profiles' scanner makes of `lines`.
pub(crate) fn scan_log(lines: &[&str]) -> Vec<Finding> {
    let profiles = Profiles::built_in().unwrap();
    let scanner = LogScanner::new(&profiles, 16 * 1024).unwrap();
    super::logs::findings(
        scanner.scan_lines(&log_lines(lines)),
        &profiles,
        &Location::default(),
    )
}
