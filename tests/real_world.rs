//! Real-world cases (`tests/real_world/cases.json`): task definitions rebuilt from public
//! Terraform modules, CDK stacks and the apps' docs, and log lines users pasted into public
//! issues, each with the verdict a careful engineer expects from the app's and ECS's real
//! behaviour. Every case names its source (`source`) and says why (`note`); a failure prints
//! both.
//!
//! Task definitions run through the configuration rules, CloudFormation templates through
//! `check`; log and event cases through the whole
//! pipeline (`Auditor::process`, one warm function's memory per case) with an inventory that
//! answers from the case's own task definition, as ECS would for it. Cases that still fail are
//! listed in `OPEN_CASES` with the reason, and checked to still be cases.

use ecs_auditor::config::Config;
use ecs_auditor::finding::Finding;
use ecs_auditor::inventory::{Inventory, RecentLine};
use ecs_auditor::memory::MemoryStore;
use ecs_auditor::model::{
    EventOrigin, ReadError, ReadFailure, Service, TaskContext, TaskDefinition, TaskLocation,
};
use ecs_auditor::profiles::Profiles;
use ecs_auditor::publish::DryRun;
use ecs_auditor::rules;
use ecs_auditor::{Auditor, Outcome};
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
    /// Rules whose findings must name the task.
    #[serde(default)]
    located: Vec<String>,
    /// The task definition an event refers to.
    #[serde(default)]
    taskdef: Option<String>,
    /// More events after the first, in one warm function.
    #[serde(default)]
    extra_events: Vec<String>,
    /// For a task that failed to start: the class its `task-failed-to-start` must give.
    #[serde(default)]
    class: Option<String>,
    /// The severity of the case's first `must` finding.
    #[serde(default)]
    severity: Option<String>,
    /// For a template: `check` must say it could not check something (and so fail).
    #[serde(default)]
    not_checked: bool,
    note: String,
}

/// Cases the auditor does not yet get right, each with why.
/// Empty today; kept so a case found wrong can land first, with its reason, before the fix.
const OPEN_CASES: [(&str, &str); 0] = [];

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
    let first = case
        .must
        .first()
        .and_then(|rule| findings.iter().find(|f| f.rule.to_string() == *rule));
    if let (Some(finding), Some(class)) = (first, &case.class) {
        let said = finding.facts.get("class").map(String::as_str).unwrap_or("");
        if said != class {
            wrong.push(format!(
                "{} says class {said:?}, not {class:?} ({})",
                finding.rule,
                finding.evidence.join("; ")
            ));
        }
    }
    if let (Some(finding), Some(severity)) = (first, &case.severity)
        && finding.severity.to_string() != *severity
    {
        wrong.push(format!(
            "{} is {}, not {severity}: {}",
            finding.rule, finding.severity, finding.summary
        ));
    }
    for finding in findings {
        // Each rule emits its declared severity or a declared other one (its `RULE`).
        if !ecs_auditor::rules::severity_declared(finding) {
            wrong.push(format!(
                "{} is {}, which its declaration does not list: {}",
                finding.rule, finding.severity, finding.summary
            ));
        }
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

/// CloudFormation and SAM templates through `ecs-auditor check`'s reader and rules, as CI
/// would run them before deployment.
#[test]
fn every_template_case_gets_its_verdict() {
    let profiles = Profiles::built_in().unwrap();
    let mut failures = Vec::new();
    let mut judged = 0;
    for case in cases().into_iter().filter(|case| case.kind == "template") {
        let text = std::fs::read_to_string(dir().join(&case.file)).unwrap();
        let checked = ecs_auditor::check::check_text(&case.file, &text, &profiles)
            .unwrap_or_else(|error| panic!("{}: {error}", case.id));
        let findings: Vec<Finding> = checked
            .iter()
            .flat_map(|checked| checked.findings.clone())
            .collect();
        failures.extend(judge(&case, &findings));
        let not_checked: Vec<&String> = checked
            .iter()
            .flat_map(|checked| &checked.not_checked)
            .collect();
        if not_checked.is_empty() == case.not_checked {
            failures.push(format!(
                "{}: not checked {not_checked:?}, expected {}\n  why: {}\n  source: {}",
                case.id,
                if case.not_checked {
                    "something"
                } else {
                    "nothing"
                },
                case.note,
                case.source
            ));
        }
        judged += 1;
    }
    assert!(judged >= 8, "only {judged} template cases");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[derive(Deserialize)]
struct LogCase {
    group: String,
    stream: String,
    lines: Vec<String>,
}

/// ECS as it would answer for one case: its task definition under any ARN asked for, any
/// task a log stream names as a task of the app's service, services without a load balancer.
/// Nothing else exists.
struct CaseInventory {
    definition: Option<TaskDefinition>,
    region: String,
    /// The case's app: its service's and task definition family's name.
    app: String,
}

fn not_found(operation: &'static str, resource: &str) -> ReadError {
    ReadError {
        operation,
        resource: resource.to_string(),
        failure: ReadFailure::NotFound,
        message: "not in this case".to_string(),
    }
}

impl Inventory for CaseInventory {
    async fn task_definition(&self, arn: &str) -> Result<TaskDefinition, ReadError> {
        let mut definition = self
            .definition
            .clone()
            .ok_or_else(|| not_found("ecs:DescribeTaskDefinition", arn))?;
        definition.arn = arn.to_string();
        Ok(definition)
    }
    async fn service(&self, cluster: &str, service: &str) -> Result<Service, ReadError> {
        Ok(Service {
            arn: format!("{cluster}/{service}"),
            name: service.to_string(),
            cluster_arn: cluster.to_string(),
            desired_count: 1,
            ..Default::default()
        })
    }
    async fn locate_task(&self, task_id: &str) -> Result<TaskLocation, ReadError> {
        let prefix = format!("arn:aws:ecs:{}:123456789012", self.region);
        Ok(TaskLocation {
            task_arn: format!("{prefix}:task/apps/{task_id}"),
            cluster_arn: format!("{prefix}:cluster/apps"),
            task_definition_arn: format!("{prefix}:task-definition/{}:1", self.app),
            group: Some(format!("service:{}", self.app)),
            network_interface: None,
        })
    }
    async fn service_task(
        &self,
        _cluster: &str,
        _service: &str,
    ) -> Result<Option<TaskLocation>, ReadError> {
        Ok(None)
    }
    async fn clusters(&self) -> Result<Vec<String>, ReadError> {
        Ok(Vec::new())
    }
    async fn service_arns(&self, _cluster: &str) -> Result<Vec<String>, ReadError> {
        Ok(Vec::new())
    }
    async fn public_ip(&self, _network_interface: &str) -> Result<Option<String>, ReadError> {
        Ok(None)
    }
    async fn environment_file(&self, arn: &str) -> Result<String, ReadError> {
        Err(not_found("s3:GetObject", arn))
    }
    /// The cases hold no VPC: no network path is evaluated.
    async fn database_path(
        &self,
        _network_interface: &str,
        _host: &str,
        _port: Option<u16>,
    ) -> Result<Option<ecs_auditor::doctor::read::RdsPath>, ReadError> {
        Ok(None)
    }
    async fn vpc_database_paths(
        &self,
        _network_interface: &str,
    ) -> Result<Vec<ecs_auditor::doctor::read::RdsPath>, ReadError> {
        Ok(Vec::new())
    }
    async fn file_system_backup(&self, _file_system_id: &str) -> Result<Option<bool>, ReadError> {
        Ok(None)
    }
    async fn api_paths(
        &self,
        _subnet: &str,
        _security_groups: &[String],
        _public_ip: Option<bool>,
        _services: &[String],
    ) -> Result<Vec<(String, ecs_auditor::doctor::egress::ApiPath)>, ReadError> {
        Ok(Vec::new())
    }
    /// Nor any secret.
    async fn diagnose_secret(
        &self,
        _execution_role: Option<&str>,
        _container: &str,
        _setting: &str,
        _value_from: &str,
    ) -> Result<Option<ecs_auditor::doctor::secrets::SecretDiagnosis>, ReadError> {
        Ok(None)
    }
    async fn iam_connect(
        &self,
        _signer: &ecs_auditor::doctor::database_auth::Signer,
        _user: Option<&str>,
        _database: &ecs_auditor::doctor::facts::DbInstance,
    ) -> Result<Option<ecs_auditor::doctor::database_auth::IamConnect>, ReadError> {
        Ok(None)
    }
    async fn secret_value(
        &self,
        _value_from: &str,
    ) -> Result<ecs_auditor::model::SecretText, ReadError> {
        Ok(ecs_auditor::model::SecretText::Unread)
    }
    async fn recent_log_lines(
        &self,
        _group: &str,
        _stream_prefix: Option<&str>,
        _filter_pattern: &str,
        _since_ms: i64,
        _limit: usize,
    ) -> Result<Vec<RecentLine>, ReadError> {
        Ok(Vec::new())
    }
}

/// base64(gzip(json)), as CloudWatch Logs delivers a subscription payload.
fn logs_event(log: &LogCase) -> Vec<u8> {
    use base64::Engine;
    use std::io::Write;
    let events: Vec<serde_json::Value> = log
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| serde_json::json!({"id": i.to_string(), "timestamp": 1_795_000_000_000i64 + i as i64, "message": line}))
        .collect();
    let payload = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": log.group,
        "logStream": log.stream, "subscriptionFilters": ["f"], "logEvents": events
    });
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(payload.to_string().as_bytes()).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
    serde_json::json!({"awslogs": {"data": data}})
        .to_string()
        .into_bytes()
}

/// The findings of a log or event case, through one warm function.
async fn pipeline_findings(case: &Case) -> Vec<Finding> {
    let definition = case.taskdef.as_ref().map(|file| {
        serde_json::from_str(&std::fs::read_to_string(dir().join(file)).unwrap()).unwrap()
    });
    let region = case
        .region
        .clone()
        .unwrap_or_else(|| "us-east-1".to_string());
    let inventory = CaseInventory {
        definition,
        region: region.clone(),
        app: case.app.clone(),
    };
    let auditor = Auditor::new(
        Config::default(),
        inventory,
        DryRun,
        MemoryStore::new(),
        Some(region),
    )
    .unwrap();
    let inputs: Vec<Vec<u8>> = std::iter::once(&case.file)
        .chain(&case.extra_events)
        .map(|file| {
            let text = std::fs::read_to_string(dir().join(file)).unwrap();
            if case.kind == "logs" {
                logs_event(&serde_json::from_str(&text).unwrap())
            } else {
                text.into_bytes()
            }
        })
        .collect();
    let mut findings = Vec::new();
    for input in inputs {
        // A decode error (the function's `rejected`) fails here.
        let report = auditor
            .process(&input)
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", case.id));
        assert!(
            matches!(report.outcome, Outcome::Audited(_) | Outcome::Ignored(_)),
            "{}",
            case.id
        );
        findings.extend(report.findings);
    }
    findings
}

#[tokio::test]
async fn every_log_and_event_case_gets_its_verdict() {
    let mut failures = Vec::new();
    let mut judged = 0;
    for case in cases()
        .into_iter()
        .filter(|case| case.kind == "logs" || case.kind == "event")
        .filter(|case| OPEN_CASES.iter().all(|(id, _)| *id != case.id))
    {
        let findings = pipeline_findings(&case).await;
        failures.extend(judge(&case, &findings));
        for rule in &case.located {
            for finding in findings.iter().filter(|f| f.rule.to_string() == *rule) {
                if finding.location.task.is_none() {
                    failures.push(format!(
                        "{}: {rule} does not name its task\n  why: {}",
                        case.id, case.note
                    ));
                }
            }
        }
        judged += 1;
    }
    assert!(judged >= 6, "only {judged} log and event cases");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_case_is_judged_somewhere_and_cites_its_source() {
    let all = cases();
    for case in &all {
        assert!(
            case.source.contains("https://"),
            "{}: cite a public source by its address",
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
            ["taskdef", "logs", "event", "template"].contains(&case.kind.as_str()),
            "{}: unknown kind {}",
            case.id,
            case.kind
        );
    }
    for (id, _) in OPEN_CASES {
        assert!(
            all.iter().any(|case| case.id == id),
            "OPEN_CASES names {id}, which is no case"
        );
    }
}
