//! Real-world cases (`tests/real_world/cases.json`): task definitions rebuilt from public
//! Terraform modules, CDK stacks and the apps' docs, and log lines users pasted into public
//! issues, each with the verdict a careful engineer expects from the app's and ECS's real
//! behaviour. Every case names its source (`source`) and says why (`note`); a failure prints
//! both.
//!
//! Task definitions run through the configuration rules; log cases through the scanner. Event
//! cases (a STOPPED task, circuit-breaker events) need the pipeline's memory of a task and are
//! listed in `PIPELINE_CASES`: they are checked by the stopped-task and failed-start work.

use ecs_auditor::context::{EventOrigin, TaskContext, TaskDefinition};
use ecs_auditor::events::logs::LogLine;
use ecs_auditor::finding::{Finding, Location};
use ecs_auditor::profiles::Profiles;
use ecs_auditor::rules::{self, LogScanner};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    kind: String,
    app: String,
    file: String,
    source: String,
    #[serde(default)]
    region: Option<String>,
    /// `false` when no profile can recognise the app's container (a private image).
    #[serde(default = "yes")]
    recognised: bool,
    #[serde(default)]
    must: Vec<String>,
    #[serde(default)]
    must_not: Vec<String>,
    note: String,
}

/// Cases whose verdict depends on what the pipeline remembers across events (a task seen on
/// its embedded database, a task that never started): not judged here.
const PIPELINE_CASES: [&str; 6] = [
    "w09-grafana-failed-to-start",
    "w19-grafana-ec2-host-efs-stopped",
    "w21-coder-firelens-built-in",
    "w23-coder-spot-interruption",
    "w25-coder-circuit-breaker-events",
    // Grafana's JSON console format: the log signatures read one rendering of the event only.
    "w03-grafana-json-console-log",
];

fn yes() -> bool {
    true
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_world")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join("cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn task_running(definition: TaskDefinition, region: &str) -> TaskContext {
    let account = "123456789012";
    TaskContext {
        origin: EventOrigin {
            region: Some(region.to_string()),
            account: Some(account.to_string()),
            ..Default::default()
        },
        cluster_arn: format!("arn:aws:ecs:{region}:{account}:cluster/apps"),
        task_arn: format!(
            "arn:aws:ecs:{region}:{account}:task/apps/0123456789abcdef0123456789abcdef"
        ),
        task_definition_arn: format!(
            "arn:aws:ecs:{region}:{account}:task-definition/{}:1",
            definition.family
        ),
        task_definition: Some(definition),
        ..Default::default()
    }
}

/// What a case's findings got wrong: a rule it must raise and did not, or one it must not and did.
fn judge(case: &Case, findings: &[Finding]) -> Vec<String> {
    let fired: Vec<String> = findings.iter().map(|f| f.rule.to_string()).collect();
    let mut wrong = Vec::new();
    for rule in &case.must {
        if !fired.contains(rule) {
            wrong.push(format!("missed {rule} (raised {fired:?})"));
        }
    }
    for finding in findings {
        if case.must_not.contains(&finding.rule.to_string()) {
            wrong.push(format!(
                "false {}: {} ({})",
                finding.rule,
                finding.summary,
                finding.evidence.join("; ")
            ));
        }
    }
    wrong
        .into_iter()
        .map(|problem| {
            format!(
                "{}: {problem}\n  why: {}\n  source: {}",
                case.id, case.note, case.source
            )
        })
        .collect()
}

#[test]
fn every_task_definition_case_gets_its_verdict() {
    let profiles = Profiles::built_in().unwrap();
    let mut failures = Vec::new();
    let mut judged = 0;
    for case in cases().into_iter().filter(|case| case.kind == "taskdef") {
        let text = std::fs::read_to_string(dir().join(&case.file)).unwrap();
        let definition: TaskDefinition =
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", case.file));
        // The case's app is one of the containers the profiles recognise, or the case says
        // why it cannot be.
        let recognised = definition.container_definitions.iter().any(|container| {
            let names: Vec<&str> = container.setting_names().collect();
            profiles
                .recognise(&container.image, &names)
                .is_some_and(|profile| profile.id == case.app)
        });
        assert_eq!(
            recognised, case.recognised,
            "{}: is a container recognised as {}?",
            case.id, case.app
        );
        let region = case.region.as_deref().unwrap_or("us-east-1");
        let findings = rules::evaluate_task(&task_running(definition, region), &profiles);
        failures.extend(judge(&case, &findings));
        judged += 1;
    }
    assert!(judged >= 25, "only {judged} task definition cases");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[derive(Deserialize)]
struct LogCase {
    lines: Vec<String>,
}

#[test]
fn every_log_case_gets_its_verdict() {
    let profiles = Profiles::built_in().unwrap();
    let scanner = LogScanner::new(&profiles, 16 * 1024).unwrap();
    let mut failures = Vec::new();
    let mut judged = 0;
    for case in cases()
        .into_iter()
        .filter(|case| case.kind == "logs" && !PIPELINE_CASES.contains(&case.id.as_str()))
    {
        let text = std::fs::read_to_string(dir().join(&case.file)).unwrap();
        let log: LogCase = serde_json::from_str(&text).unwrap();
        let lines: Vec<LogLine> = log
            .lines
            .iter()
            .enumerate()
            .map(|(index, message)| LogLine {
                id: index.to_string().into(),
                timestamp: index as i64,
                message: message.as_str().into(),
            })
            .collect();
        let findings =
            rules::logs::findings(scanner.scan_lines(&lines), &profiles, &Location::default());
        failures.extend(judge(&case, &findings));
        judged += 1;
    }
    assert!(judged >= 2, "only {judged} log cases");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_case_is_judged_somewhere_and_cites_its_source() {
    let all = cases();
    for case in &all {
        assert!(
            case.source.contains("github.com")
                || case.source.contains("docs.aws.amazon.com")
                || case.source.contains("repost.aws")
                || case.source.contains("aws/amazon-ecs-agent"),
            "{}: cite a public source",
            case.id
        );
        assert!(!case.note.trim().is_empty(), "{}: say why", case.id);
        assert!(
            dir().join(&case.file).is_file(),
            "{}: {} is missing",
            case.id,
            case.file
        );
        assert!(
            ["taskdef", "logs", "event"].contains(&case.kind.as_str()),
            "{}: unknown kind {}",
            case.id,
            case.kind
        );
    }
    for id in PIPELINE_CASES {
        assert!(
            all.iter().any(|case| case.id == id),
            "PIPELINE_CASES names {id}, which is no case"
        );
    }
}
