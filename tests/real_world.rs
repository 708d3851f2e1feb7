//! Real-world cases (tests/real_world/cases.json): task definitions rebuilt from public
//! Terraform modules, compose files and the apps' docs, each with the verdict a careful
//! engineer expects. Each case names its source.

use ecs_auditor::context::{TaskContext, TaskDefinition};
use ecs_auditor::profiles::Profiles;
use ecs_auditor::rules;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    kind: String,
    file: String,
    #[allow(dead_code)]
    source: String,
    #[serde(default)]
    must: Vec<String>,
    #[serde(default)]
    must_not: Vec<String>,
    note: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_world/cases.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn task_for(definition: TaskDefinition) -> TaskContext {
    TaskContext {
        cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/apps".to_string(),
        task_arn: "arn:aws:ecs:us-east-1:123456789012:task/apps/0123456789abcdef0123456789abcdef"
            .to_string(),
        task_definition_arn: format!(
            "arn:aws:ecs:us-east-1:123456789012:task-definition/{}:1",
            definition.family
        ),
        origin: ecs_auditor::context::EventOrigin {
            region: Some("us-east-1".into()),
            account: Some("123456789012".into()),
            ..Default::default()
        },
        task_definition: Some(definition),
        ..Default::default()
    }
}

#[test]
fn task_definition_cases() {
    let profiles = Profiles::built_in().unwrap();
    let mut failures = Vec::new();
    for case in cases().into_iter().filter(|c| c.kind == "taskdef") {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/real_world")
                .join(&case.file),
        )
        .unwrap();
        let definition: TaskDefinition = serde_json::from_str(&text).unwrap();
        let findings = rules::evaluate_task(&task_for(definition), &profiles);
        let fired: Vec<String> = findings.iter().map(|f| f.rule.to_string()).collect();
        for rule in &case.must {
            if !fired.contains(rule) {
                failures.push(format!("{}: missing {rule} (fired {fired:?})", case.id));
            }
        }
        for rule in &case.must_not {
            if fired.contains(rule) {
                failures.push(format!(
                    "{}: false {rule}: {:?}",
                    case.id,
                    findings
                        .iter()
                        .find(|f| &f.rule.to_string() == rule)
                        .map(|f| &f.summary)
                ));
            }
        }
        let _ = &case.note;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
