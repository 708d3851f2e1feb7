//! `make bench`: every figure beside its baseline and the ratio, measured in one run on this
//! machine. Times are medians of repeated runs; AWS is answered in-process.

use base64::Engine;
use ecs_auditor::Auditor;
use ecs_auditor::config::Config;
use ecs_auditor::events::{self, DecodeLimits};
use ecs_auditor::inventory::{Inventory, RecentLine};
use ecs_auditor::memory::MemoryStore;
use ecs_auditor::model::{ReadError, ReadFailure, Service, TaskDefinition, TaskLocation};
use ecs_auditor::profiles::Profiles;
use ecs_auditor::publish::DryRun;
use ecs_auditor::scan::LogScanner;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TASK_ID: &str = "4d8c3a3c9f2e4a0b8e7d6c5b4a392817";
const TASK_ARN: &str =
    "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/4d8c3a3c9f2e4a0b8e7d6c5b4a392817";
const TD_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:1";
const CLUSTER_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster";

fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

// ---------------------------------------------------------------- AWS answered in-process

/// The demo account in memory, counting every call by operation.
struct InProcessAws {
    definition: TaskDefinition,
    calls: Mutex<BTreeMap<&'static str, usize>>,
}

impl InProcessAws {
    fn new() -> Self {
        let text =
            std::fs::read_to_string(repo("events/task-definitions/coder-seed.json")).unwrap();
        let mut definition: TaskDefinition = serde_json::from_str(&text).unwrap();
        definition.arn = TD_ARN.to_string();
        definition.revision = 1;
        InProcessAws {
            definition,
            calls: Mutex::new(BTreeMap::new()),
        }
    }

    fn count(&self, operation: &'static str) {
        *self.calls.lock().unwrap().entry(operation).or_default() += 1;
    }

    fn take_calls(&self) -> BTreeMap<&'static str, usize> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

impl Inventory for InProcessAws {
    async fn task_definition(&self, _arn: &str) -> Result<TaskDefinition, ReadError> {
        self.count("ecs:DescribeTaskDefinition");
        Ok(self.definition.clone())
    }
    async fn service(&self, cluster: &str, service: &str) -> Result<Service, ReadError> {
        self.count("ecs:DescribeServices");
        Ok(Service {
            arn: format!("arn:aws:ecs:us-east-1:123456789012:service/coder-cluster/{service}"),
            name: service.to_string(),
            cluster_arn: cluster.to_string(),
            task_definition: TD_ARN.to_string(),
            assign_public_ip: Some(true),
            desired_count: 1,
            ..Default::default()
        })
    }
    async fn locate_task(&self, _task_id: &str) -> Result<TaskLocation, ReadError> {
        self.count("ecs:DescribeTasks");
        Ok(TaskLocation {
            task_arn: TASK_ARN.to_string(),
            cluster_arn: CLUSTER_ARN.to_string(),
            task_definition_arn: TD_ARN.to_string(),
            group: Some("service:coder-service".to_string()),
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
        self.count("ecs:ListClusters");
        Ok(vec![CLUSTER_ARN.to_string()])
    }
    async fn service_arns(&self, _cluster: &str) -> Result<Vec<String>, ReadError> {
        self.count("ecs:ListServices");
        Ok(Vec::new())
    }
    async fn public_ip(&self, _eni: &str) -> Result<Option<String>, ReadError> {
        self.count("ec2:DescribeNetworkInterfaces");
        Ok(Some("54.210.1.2".to_string()))
    }
    async fn environment_file(&self, arn: &str) -> Result<String, ReadError> {
        Err(ReadError {
            operation: "s3:GetObject",
            resource: arn.to_string(),
            failure: ReadFailure::Other,
            message: "not used by the bench".to_string(),
        })
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
        group: &str,
        _prefix: Option<&str>,
        _pattern: &str,
        _since: i64,
        _limit: usize,
    ) -> Result<Vec<RecentLine>, ReadError> {
        Err(ReadError {
            operation: "logs:FilterLogEvents",
            resource: group.to_string(),
            failure: ReadFailure::Other,
            message: "not used by the bench".to_string(),
        })
    }
}

// ---------------------------------------------------------------- inputs

/// 10,000 realistic Coder log lines (human and JSON format), four of which a rule matches.
fn coder_log_lines(count: usize) -> Vec<String> {
    let mut lines = Vec::with_capacity(count);
    for i in 0..count {
        let line = match i {
            2 => "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)\r".to_string(),
            4000 => "2026-11-24 03:20:01.114 [warn]  connect to postgres: retrying  error=\"dial tcp 10.0.2.9:5432: connect: connection refused\" try=1".to_string(),
            4001 => r#"{"ts":"2026-11-24T03:20:02.114Z","level":"WARN","msg":"ping postgres: retrying","caller":"cli/server.go:2140","func":"github.com/coder/coder/v2/cli.ConnectToPostgres","logger_names":[],"fields":{"try":2}}"#.to_string(),
            7000 => "2026-11-24 03:40:00.001 [debu]  connecting to postgresql  url=postgresql://coder:N0t-A-Real-Password@db.internal:5432/coder".to_string(),
            _ if i % 10 == 3 => format!(
                r#"{{"ts":"2026-11-24T03:{:02}:{:02}.{:03}Z","level":"INFO","msg":"http request","caller":"coderd/httpmw/logger.go:62","func":"github.com/coder/coder/v2/coderd/httpmw.Logger.func1","logger_names":["coderd"],"fields":{{"host":"coder.example.com","path":"/api/v2/workspaceagents/me/metadata","proto":"HTTP/1.1","remote_addr":"10.0.{}.{}","start":"2026-11-24T03:12:44Z","status_code":200,"latency_ms":{}}}}}"#,
                i / 600 % 60, i / 10 % 60, i % 1000, i % 250, i % 200, i % 97
            ),
            _ if i % 10 == 7 => format!(
                "2026-11-24 03:{:02}:{:02}.{:03} [info]  provisionerd: acquired job  job_id={:08x}-0b1c-4d2e-9f3a-{:012x} provisioner=terraform initiator_username=user{}",
                i / 600 % 60, i / 10 % 60, i % 1000, i * 7919, i * 104_729, i % 37
            ),
            _ => format!(
                "2026-11-24 03:{:02}:{:02}.{:03} [info]  coderd.agentrpc: workspace agent stats  workspace_id={:08x}-5e6f-4a7b-8c9d-{:012x} rx_bytes={} tx_bytes={} session_count_ssh={}",
                i / 600 % 60, i / 10 % 60, i % 1000, i * 31, i * 7, i * 131, i * 17, i % 3
            ),
        };
        lines.push(line);
    }
    lines
}

/// 10,000 ordinary lines of the other shipped apps (none a signature): Grafana, Keycloak,
/// Metabase, n8n, Nextcloud, Gitea, Vaultwarden, Jenkins, Uptime Kuma and SonarQube at work.
fn other_apps_log_lines(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| match i % 10 {
            0 => format!("logger=context userId={} orgId=1 uname=viewer t=2026-11-24T03:{:02}:{:02}.41+00:00 level=info msg=\"Request Completed\" method=GET path=/api/dashboards/uid/{:x} status=200 remote_addr=10.0.1.{} time_ms={}", i % 50, i / 600 % 60, i / 10 % 60, i * 7919, i % 250, i % 40),
            1 => format!("2026-11-24 03:{:02}:{:02},{:03} WARN  [org.keycloak.events] (executor-thread-{}) type=\"CODE_TO_TOKEN_ERROR\", realmId=\"master\", clientId=\"grafana\", userId=\"null\", ipAddress=\"10.0.2.{}\", error=\"invalid_code\"", i / 600 % 60, i / 10 % 60, i % 1000, i % 8, i % 250),
            2 => format!("2026-11-24 03:{:02}:{:02},{:03} INFO middleware.log :: GET /api/card/{} 200 {}.1 ms ({} DB calls) App DB connections: 1/15 Jetty threads: 4/50 (3 idle, 0 queued)", i / 600 % 60, i / 10 % 60, i % 1000, i % 900, i % 70, i % 9),
            3 => format!("2026-11-24T03:{:02}:{:02}.{:03}Z | debug | Workflow execution finished successfully {{\"workflowId\":\"Qx{}\",\"executionId\":\"{}\",\"file\":\"WorkflowRunner.js\"}}", i / 600 % 60, i / 10 % 60, i % 1000, i % 97, i),
            4 => format!("10.0.1.{} - alice [24/Nov/2026:03:{:02}:{:02} +0000] \"PROPFIND /remote.php/dav/files/alice/Documents/ HTTP/1.1\" 207 {} \"-\" \"Mozilla/5.0 (Linux) mirall/3.14.1\"", i % 250, i / 600 % 60, i / 10 % 60, 1000 + i % 4000),
            5 => format!("2026/11/24 03:{:02}:{:02} ...eb/routing/logger.go:102:func1() [I] router: completed GET /org/team/repo/pulls/{} for 10.0.1.{}:5{:04}, 200 OK in {}.2ms @ repo/pull.go:312(repo.ViewPull)", i / 600 % 60, i / 10 % 60, i % 500, i % 250, i % 10000, i % 30),
            6 => format!("[2026-11-24 03:{:02}:{:02}.{:03}][response][INFO] (sync) GET /api/sync?excludeDomains=true => 200 OK", i / 600 % 60, i / 10 % 60, i % 1000),
            7 => format!("2026-11-24 03:{:02}:{:02}.{:03}+0000 [id={}]\tINFO\thudson.model.Run#execute: build-and-test #{} main completed: SUCCESS", i / 600 % 60, i / 10 % 60, i % 1000, 30 + i % 90, i % 700),
            8 => format!("2026-11-24T03:{:02}:{:02}+00:00 [MONITOR] WARN: Monitor #{} 'api': Pending: timeout of 48000ms exceeded | Max retries: 3 | Retry: {} | Retry Interval: 60 seconds | Type: http", i / 600 % 60, i / 10 % 60, i % 40, i % 3),
            _ => format!("2026.11.24 03:{:02}:{:02} INFO  web[AZ{:x}][o.s.s.w.WebServiceEngine] GET /api/issues/search?componentKeys=team-repo&ps=100 | time={}ms", i / 600 % 60, i / 10 % 60, i * 31, i % 90),
        })
        .collect()
}

fn logs_payload(lines: &[String], stream: &str) -> serde_json::Value {
    let events: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            serde_json::json!({
                "id": format!("{}", 37_000_000_000_000_000_000_000_000_000_000u128 + i as u128),
                "timestamp": 1_795_000_000_000i64 + i as i64,
                "message": line
            })
        })
        .collect();
    serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/ecs/coder",
        "logStream": stream, "subscriptionFilters": ["ecs-auditor"], "logEvents": events
    })
}

fn logs_event(payload: &serde_json::Value) -> (Vec<u8>, usize) {
    let json = payload.to_string();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(json.as_bytes()).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
    (
        serde_json::json!({"awslogs": {"data": data}})
            .to_string()
            .into_bytes(),
        json.len(),
    )
}

fn running_event(version: u64) -> Vec<u8> {
    let text = std::fs::read_to_string(repo("events/task-running-seed.json")).unwrap();
    text.replace("\"version\": 3", &format!("\"version\": {version}"))
        .into_bytes()
}

// ---------------------------------------------------------------- measuring

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Median of `runs` timed calls, after `warmup` untimed ones.
fn measure(warmup: usize, runs: usize, mut work: impl FnMut()) -> Duration {
    for _ in 0..warmup {
        work();
    }
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                work();
                start.elapsed()
            })
            .collect(),
    )
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

struct Row {
    figure: String,
    value: String,
    baseline: String,
    ratio: String,
    target: String,
}

fn row(figure: &str, value: String, baseline: String, ratio: Option<f64>, target: String) -> Row {
    Row {
        figure: figure.to_string(),
        value,
        baseline,
        ratio: ratio
            .map(|r| format!("{r:.2}x"))
            .unwrap_or_else(|| "-".to_string()),
        target,
    }
}

// ---------------------------------------------------------------- figures

fn floor_decode(event: &[u8]) -> usize {
    let value: serde_json::Value = serde_json::from_slice(event).unwrap();
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(value["awslogs"]["data"].as_str().unwrap())
        .unwrap();
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut inflated)
        .unwrap();
    inflated.len()
}

fn log_path(rows: &mut Vec<Row>, runtime: &tokio::runtime::Runtime) {
    let lines = coder_log_lines(10_000);
    let (event, inflated) = logs_event(&logs_payload(&lines, &format!("ecs/coder/{TASK_ID}")));
    let auditor = Auditor::new(
        Config::default(),
        InProcessAws::new(),
        DryRun,
        MemoryStore::new(),
        Some("us-east-1".to_string()),
    )
    .unwrap();
    let report = runtime.block_on(auditor.process(&event)).unwrap();
    assert_eq!(
        report.findings.len(),
        3,
        "the bench payload matches three rules"
    );
    let floor = measure(5, 41, || {
        std::hint::black_box(floor_decode(&event));
    });
    let path = measure(5, 41, || {
        std::hint::black_box(runtime.block_on(auditor.process(&event)).unwrap());
    });
    let ratio = path.as_secs_f64() / floor.as_secs_f64();
    rows.push(row(
        "log path: 10,000 lines, decode + scan + findings",
        ms(path),
        format!(
            "{} (base64 + gunzip alone, {:.2} MB)",
            ms(floor),
            inflated as f64 / 1e6
        ),
        Some(ratio),
        format!("<= 1.5x: {}", if ratio <= 1.5 { "met" } else { "NOT met" }),
    ));
    rows.push(row(
        "log path throughput",
        format!("{:.0} lines/s", 10_000.0 / path.as_secs_f64()),
        format!("{:.0} lines/s (floor)", 10_000.0 / floor.as_secs_f64()),
        None,
        "-".to_string(),
    ));

    // The scanner alone, with only Coder's profile and with every shipped profile.
    let all = Profiles::built_in().unwrap();
    let coder_only =
        Profiles::from_sources([("coder.toml", include_str!("../src/profiles/coder.toml"))])
            .unwrap();
    let scan_all = LogScanner::new(&all, 16 * 1024).unwrap();
    let scan_coder = LogScanner::new(&coder_only, 16 * 1024).unwrap();
    let scan = |lines: &[String], rules_matched: usize| {
        let batch: Vec<events::logs::LogLine> = lines
            .iter()
            .map(|line| events::logs::LogLine {
                id: std::borrow::Cow::Borrowed("1"),
                timestamp: 0,
                message: std::borrow::Cow::Borrowed(line.as_str()),
            })
            .collect();
        assert_eq!(scan_all.scan_lines(&batch).len(), rules_matched);
        let coder_time = measure(5, 41, || {
            std::hint::black_box(scan_coder.scan_lines(&batch));
        });
        let all_time = measure(5, 41, || {
            std::hint::black_box(scan_all.scan_lines(&batch));
        });
        (all_time, coder_time)
    };
    let (all_time, coder_time) = scan(&lines, 3);
    let ratio = all_time.as_secs_f64() / coder_time.as_secs_f64();
    rows.push(row(
        &format!("scan only, all {} shipped profiles", all.all().len()),
        ms(all_time),
        format!("{} (Coder's profile alone)", ms(coder_time)),
        Some(ratio),
        format!(
            "<= 1.10x: {}",
            if ratio <= 1.10 { "met" } else { "NOT met" }
        ),
    ));
    let (all_time, coder_time) = scan(&other_apps_log_lines(10_000), 0);
    rows.push(row(
        "scan only, 10,000 other apps' lines, all profiles",
        ms(all_time),
        format!("{} (Coder's profile alone)", ms(coder_time)),
        Some(all_time.as_secs_f64() / coder_time.as_secs_f64()),
        "-".to_string(),
    ));
}

fn task_path(rows: &mut Vec<Row>, runtime: &tokio::runtime::Runtime) {
    let first_event = running_event(3);
    let repeat_event = running_event(4);
    let mut first_calls = BTreeMap::new();
    let mut repeat_calls = BTreeMap::new();
    let mut first_times = Vec::new();
    let mut repeat_times = Vec::new();
    for iteration in 0..61 {
        let auditor = Auditor::new(
            Config::default(),
            InProcessAws::new(),
            DryRun,
            MemoryStore::new(),
            Some("us-east-1".to_string()),
        )
        .unwrap();
        let start = Instant::now();
        runtime.block_on(auditor.process(&first_event)).unwrap();
        let first = start.elapsed();
        first_calls = auditor.inventory().inner().take_calls();
        let start = Instant::now();
        runtime.block_on(auditor.process(&repeat_event)).unwrap();
        let repeat = start.elapsed();
        repeat_calls = auditor.inventory().inner().take_calls();
        if iteration >= 5 {
            first_times.push(first);
            repeat_times.push(repeat);
        }
    }
    let decode = measure(20, 201, || {
        let mut scratch = String::new();
        std::hint::black_box(
            events::decode(&first_event, &DecodeLimits::default(), &mut scratch).is_ok(),
        );
    });
    let first = median(first_times);
    let repeat = median(repeat_times);
    rows.push(row(
        "task path: RUNNING event, first task definition",
        ms(first),
        format!("{} (decoding the event alone)", ms(decode)),
        Some(first.as_secs_f64() / decode.as_secs_f64()),
        "-".to_string(),
    ));
    rows.push(row(
        "task path: RUNNING event, repeated task definition",
        ms(repeat),
        format!("{} (first task definition)", ms(first)),
        Some(repeat.as_secs_f64() / first.as_secs_f64()),
        "-".to_string(),
    ));
    let describe = |calls: &BTreeMap<&'static str, usize>| {
        calls
            .iter()
            .map(|(operation, count)| format!("{operation} {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let repeat_describes = repeat_calls
        .get("ecs:DescribeTaskDefinition")
        .copied()
        .unwrap_or(0);
    rows.push(row(
        "AWS calls, repeated task definition",
        describe(&repeat_calls),
        format!("first: {}", describe(&first_calls)),
        None,
        format!(
            "no DescribeTaskDefinition: {}",
            if repeat_describes == 0 {
                "met"
            } else {
                "NOT met"
            }
        ),
    ));
}

/// The binary run to its exit, median of `runs`.
fn run_to_exit(args: &[String], runs: usize) -> Duration {
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(env!("CARGO_BIN_EXE_ecs-auditor"))
                .args(args)
                .env_remove("RUST_LOG")
                .env_remove("PROFILES_FILE")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(matches!(status.code(), Some(0 | 1)), "check ran: {status}");
            start.elapsed()
        })
        .collect();
    median(samples)
}

/// `ecs-auditor check` on 1,000 task definition files (the sample task definitions, each
/// written 50-odd times under other family names), process start to exit, against one file.
fn check_files(rows: &mut Vec<Row>, directory: &Path) {
    let samples: Vec<String> = std::fs::read_dir(repo("events/task-definitions"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    let files = directory.join("check");
    std::fs::create_dir_all(&files).unwrap();
    let mut paths = vec![
        "check".to_string(),
        "--format".to_string(),
        "json".to_string(),
    ];
    for index in 0..1000 {
        let mut definition: serde_json::Value =
            serde_json::from_str(&samples[index % samples.len()]).unwrap();
        definition["family"] = serde_json::json!(format!("app-{index}"));
        let path = files.join(format!("app-{index}.json"));
        std::fs::write(&path, definition.to_string()).unwrap();
        paths.push(path.display().to_string());
    }
    let all = run_to_exit(&paths, 5);
    let one = run_to_exit(&paths[..4], 5);
    rows.push(row(
        "check: 1,000 task definition files, process start to exit",
        ms(all),
        format!("{} (one file)", ms(one)),
        Some(all.as_secs_f64() / one.as_secs_f64()),
        format!(
            "< 1 s: {}",
            if all < Duration::from_secs(1) {
                "met"
            } else {
                "NOT met"
            }
        ),
    ));
}

/// Runs the binary, returning the time to its first byte of output.
fn time_to_first_output(args: &[&str], env: &[(&str, &str)]) -> Duration {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecs-auditor"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    let _ = stdout.read(&mut first);
    let first_output = start.elapsed();
    let mut rest = Vec::new();
    let _ = stdout.read_to_end(&mut rest);
    let _ = child.wait();
    first_output
}

const PEAK_RSS_PROBE: &str = "--peak-rss-of";

/// The binary's peak RSS in KiB. A child spawned straight from this process would inherit this
/// process's high-water mark (the kernel carries it across vfork + exec), so a small probe
/// process (this bench binary, freshly exec'd) spawns it and reports what `wait4` says.
fn peak_rss(args: &[&str], env: &[(&str, &str)]) -> u64 {
    let output = Command::new(std::env::current_exe().unwrap())
        .arg(PEAK_RSS_PROBE)
        .arg(env!("CARGO_BIN_EXE_ecs-auditor"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the probe prints the peak RSS")
}

/// The probe: runs the command, waits for it with `wait4`, prints its peak RSS in KiB.
// The child is reaped by `wait4`, which also reports its peak memory.
#[allow(clippy::zombie_processes)]
fn probe_peak_rss(command: &[String]) -> ! {
    let child = Command::new(&command[0])
        .args(&command[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: plain FFI call on a child we own; the rusage struct is fully written by wait4.
    let rss = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage);
        usage.ru_maxrss
    };
    println!("{rss}");
    std::process::exit(0)
}

const OFFLINE: [(&str, &str); 6] = [
    ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ("AWS_ACCESS_KEY_ID", "bench"),
    ("AWS_SECRET_ACCESS_KEY", "bench"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_MAX_ATTEMPTS", "1"),
];

/// Time from process start to the first AWS request on the wire: the CLI audits a RUNNING
/// event against an HTTPS endpoint that is a plain listener here, so the first bytes it reads
/// are the TLS ClientHello of `DescribeTaskDefinition`. Making that hello takes the process's
/// first random numbers, which is when aws-lc gathers its entropy.
fn first_request(event: &Path) -> Duration {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("https://{}", listener.local_addr().unwrap());
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecs-auditor"));
    command
        .args(["audit", "--dry-run", "--event", event.to_str().unwrap()])
        .envs(OFFLINE)
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env_remove("RUST_LOG");
    let (elapsed, hello) = first_contact(&mut command, &listener, 1);
    assert_eq!(hello.first(), Some(&0x16), "a TLS handshake record");
    elapsed
}

/// A fake Lambda Runtime API: the time from process start to the function's first
/// `GET /runtime/invocation/next` is the time to ready.
fn lambda_ready() -> Duration {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecs-auditor"));
    command.envs(OFFLINE).envs([
        ("AWS_LAMBDA_RUNTIME_API", address.as_str()),
        ("AWS_LAMBDA_FUNCTION_NAME", "ecs-auditor"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_LEVEL", "error"),
        ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alerts"),
    ]);
    let (ready, request) = first_contact(&mut command, &listener, 256);
    assert!(String::from_utf8_lossy(&request).contains("/runtime/invocation/next"));
    ready
}

/// Starts `command` (output discarded), waits for its first connection to `listener`, reads
/// up to `bytes` of what it sends, and stops it: the time from start to that connection, and
/// the bytes read.
fn first_contact(
    command: &mut Command,
    listener: &std::net::TcpListener,
    bytes: usize,
) -> (Duration, Vec<u8>) {
    let start = Instant::now();
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut stream, _) = listener.accept().unwrap();
    let mut buffer = vec![0u8; bytes];
    let read = stream.read(&mut buffer).unwrap_or(0);
    let elapsed = start.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    buffer.truncate(read);
    (elapsed, buffer)
}

fn cold_start(rows: &mut Vec<Row>, directory: &Path) {
    // A small event whose finding needs no AWS call (the stream is not an ECS task's).
    let (small, _) = logs_event(&logs_payload(
        &["Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)".to_string()],
        "coder-on-ec2/app",
    ));
    let small_path = directory.join("small.json");
    std::fs::write(&small_path, small).unwrap();
    let small_path = small_path.to_str().unwrap().to_string();
    let floor = median(
        (0..31)
            .map(|_| time_to_first_output(&["--version"], &OFFLINE))
            .collect(),
    );
    let first_finding = median(
        (0..31)
            .map(|_| {
                time_to_first_output(&["audit", "--dry-run", "--event", &small_path], &OFFLINE)
            })
            .collect(),
    );
    let ready = median((0..31).map(|_| lambda_ready()).collect());
    let running = directory.join("running.json");
    std::fs::write(&running, running_event(3)).unwrap();
    let request = median((0..31).map(|_| first_request(&running)).collect());
    let under_20_ms = |value: Duration| {
        let verdict = if value < Duration::from_millis(20) {
            "met"
        } else {
            "NOT met"
        };
        format!("< 20 ms: {verdict}")
    };
    for (figure, value, target) in [
        (
            "cold start: process start to ready (Lambda runtime API)",
            ready,
            under_20_ms(ready),
        ),
        (
            "cold start: CLI start to first finding (small event)",
            first_finding,
            under_20_ms(first_finding),
        ),
        (
            "cold start: CLI start to first AWS request (TLS hello)",
            request,
            "-".to_string(),
        ),
    ] {
        rows.push(row(
            figure,
            ms(value),
            format!("{} (`ecs-auditor --version`)", ms(floor)),
            Some(value.as_secs_f64() / floor.as_secs_f64()),
            target,
        ));
    }
}

fn memory_and_size(rows: &mut Vec<Row>, directory: &Path) {
    // The largest accepted payload: as many lines as inflate to just under 8 MiB.
    let mut lines = coder_log_lines(80_000);
    let mut payload = logs_payload(&lines, "coder-on-ec2/app");
    while payload.to_string().len() > DecodeLimits::default().max_log_payload_bytes {
        lines.truncate(lines.len() * 95 / 100);
        payload = logs_payload(&lines, "coder-on-ec2/app");
    }
    let (largest, inflated) = logs_event(&payload);
    let largest_path = directory.join("largest.json");
    std::fs::write(&largest_path, &largest).unwrap();
    let (small, _) = logs_event(&logs_payload(&["hello".to_string()], "coder-on-ec2/app"));
    let small_path = directory.join("tiny.json");
    std::fs::write(&small_path, small).unwrap();
    let largest_rss = peak_rss(
        &[
            "audit",
            "--dry-run",
            "--event",
            largest_path.to_str().unwrap(),
        ],
        &[&OFFLINE[..], &[("MAX_LOG_EVENTS", "1000000")]].concat(),
    );
    let tiny_rss = peak_rss(
        &[
            "audit",
            "--dry-run",
            "--event",
            small_path.to_str().unwrap(),
        ],
        &OFFLINE,
    );
    rows.push(row(
        &format!(
            "peak RSS, largest accepted payload ({} lines, {:.1} MB inflated)",
            lines.len(),
            inflated as f64 / 1e6
        ),
        format!("{:.1} MB", largest_rss as f64 / 1024.0),
        format!("{:.1} MB (a one-line event)", tiny_rss as f64 / 1024.0),
        Some(largest_rss as f64 / tiny_rss as f64),
        format!(
            "< 64 MB: {}",
            if largest_rss < 64 * 1024 {
                "met"
            } else {
                "NOT met"
            }
        ),
    ));
    let zip = repo("target/lambda/ecs-auditor/bootstrap.zip");
    match std::fs::metadata(&zip) {
        Ok(metadata) => {
            let size = metadata.len() as f64 / 1_048_576.0;
            rows.push(row(
                "arm64 Lambda zip (make build)",
                format!("{size:.2} MB"),
                "6.00 MB (budget)".to_string(),
                Some(size / 6.0),
                format!("< 6 MB: {}", if size < 6.0 { "met" } else { "NOT met" }),
            ));
        }
        Err(_) => rows.push(row(
            "arm64 Lambda zip (make build)",
            "not built".to_string(),
            "run make build".to_string(),
            None,
            "< 6 MB".to_string(),
        )),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(PEAK_RSS_PROBE) {
        probe_peak_rss(&args[2..]);
    }
    // `cargo bench` passes --bench; `cargo test --benches` runs this too and should not take minutes.
    if std::env::args().any(|arg| arg == "--list" || arg == "--test") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let directory = std::env::temp_dir().join(format!("ecs-auditor-bench-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let started = Instant::now();
    let mut rows = Vec::new();
    eprintln!("measuring the log path...");
    log_path(&mut rows, &runtime);
    eprintln!("measuring the task path...");
    task_path(&mut rows, &runtime);
    eprintln!("measuring cold starts...");
    cold_start(&mut rows, &directory);
    eprintln!("measuring check on files...");
    check_files(&mut rows, &directory);
    eprintln!("measuring memory and size...");
    memory_and_size(&mut rows, &directory);
    let _ = std::fs::remove_dir_all(&directory);

    let widths = [
        rows.iter().map(|r| r.figure.len()).max().unwrap_or(0),
        rows.iter().map(|r| r.value.len()).max().unwrap_or(0),
        rows.iter().map(|r| r.baseline.len()).max().unwrap_or(0),
        6,
    ];
    println!(
        "\n{:<w0$}  {:>w1$}  {:<w2$}  {:>w3$}  target",
        "figure",
        "value",
        "baseline",
        "ratio",
        w0 = widths[0],
        w1 = widths[1],
        w2 = widths[2],
        w3 = widths[3]
    );
    for r in &rows {
        println!(
            "{:<w0$}  {:>w1$}  {:<w2$}  {:>w3$}  {}",
            r.figure,
            r.value,
            r.baseline,
            r.ratio,
            r.target,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    }
    println!(
        "\n{} logical CPUs; measured in {:.0} s",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        started.elapsed().as_secs_f64()
    );
}
