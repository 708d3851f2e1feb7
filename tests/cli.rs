//! The `ecs-auditor` binary as users and other tools run it: its output contract, exit codes
//! and messages, against the emulator.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use support::*;

fn auditor_command(moto: Option<&Moto>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecs-auditor"));
    command.current_dir(repo_path("."));
    for variable in [
        "SNS_TOPIC_ARN",
        "MIN_SEVERITY",
        "CLUSTERS",
        "PROFILES_FILE",
        "AWS_PROFILE",
        "AWS_LAMBDA_RUNTIME_API",
        "RUST_LOG",
    ] {
        command.env_remove(variable);
    }
    if let Some(moto) = moto {
        command.envs(moto.env());
    } else {
        // Nowhere to connect: AWS calls fail fast.
        command.envs([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", REGION),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ]);
    }
    command
}

fn run(command: &mut Command) -> (Output, String, String) {
    let output = command.output().expect("the binary runs");
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    (output, stdout, stderr)
}

fn findings(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// The emulator with the demo account, an alert inbox, and the sample events rewritten for
/// the account's tasks in a temporary directory.
struct Seeded {
    moto: Moto,
    inbox: AlertInbox,
    events: tempfile::TempDir,
}

impl Seeded {
    fn event(&self, name: &str) -> String {
        self.events.path().join(name).to_string_lossy().to_string()
    }
}

async fn seeded() -> Seeded {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let inbox = AlertInbox::create(&config, "cli").await;
    let events = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo_path("events")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".json") {
            std::fs::write(events.path().join(&name), account.event(&name)).unwrap();
        }
    }
    Seeded {
        moto,
        inbox,
        events,
    }
}

#[tokio::test]
async fn audit_prints_json_lines_and_publishes_alerts() {
    let seeded = seeded().await;
    let (output, stdout, stderr) = run(auditor_command(Some(&seeded.moto))
        .env("SNS_TOPIC_ARN", &seeded.inbox.topic_arn)
        .args(["audit", "--event", &seeded.event("task-running-seed.json")]));
    assert!(output.status.success(), "{stderr}");
    let lines = findings(&stdout);
    assert_eq!(lines.len(), 3);
    for line in &lines {
        for key in ["rule", "severity", "summary", "cluster", "service", "alert"] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
    }
    // Task-level findings name the task and its definition; the endpoint finding is the service's.
    for key in ["task", "task_definition", "container"] {
        assert!(lines[0].get(key).is_some(), "{key} missing in {}", lines[0]);
    }
    assert_eq!(lines[0]["rule"], "database-setting-misnamed");
    assert_eq!(lines[0]["cluster"], "coder-cluster");
    assert_eq!(lines[0]["service"], "coder-service");
    assert_eq!(lines[0]["alert"], "published");
    assert!(
        stderr.contains(
            "3 finding(s); 3 alert(s) published to arn:aws:sns:us-east-1:123456789012:cli"
        ),
        "{stderr}"
    );
    assert_eq!(seeded.inbox.drain().await.len(), 3);
}

#[tokio::test]
async fn dry_run_prints_but_does_not_publish_and_stdin_works() {
    let seeded = seeded().await;
    let mut child = auditor_command(Some(&seeded.moto))
        .env("SNS_TOPIC_ARN", &seeded.inbox.topic_arn)
        .args(["audit", "--event", "-", "--dry-run"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(seeded.event("logs-built-in-postgres.json")).unwrap())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    let lines = findings(&stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["rule"], "embedded-database-in-use");
    assert_eq!(lines[0]["log_group"], "/ecs/coder");
    assert_eq!(lines[0]["service"], "coder-service");
    assert_eq!(lines[0]["alert"], "not-sent");
    assert!(
        stderr.contains("stdin: CloudWatch Logs batch of 5 line(s)"),
        "{stderr}"
    );
    assert!(stderr.contains("dry run, nothing published"), "{stderr}");
    assert!(seeded.inbox.drain().await.is_empty());
}

#[tokio::test]
async fn several_events_are_processed_in_order_in_one_process_sharing_memory() {
    let seeded = seeded().await;
    let (output, stdout, stderr) = run(auditor_command(Some(&seeded.moto))
        .env("SNS_TOPIC_ARN", &seeded.inbox.topic_arn)
        .args([
            "audit",
            "-e",
            &seeded.event("task-running-seed.json"),
            "-e",
            &seeded.event("task-running-seed.json"),
            "-e",
            &seeded.event("logs-control-message.json"),
            "-e",
            &seeded.event("task-running-fixed.json"),
        ]));
    assert!(output.status.success(), "{stderr}");
    let lines = findings(&stdout);
    let alerts: Vec<(&str, &str)> = lines
        .iter()
        .map(|line| {
            (
                line["rule"].as_str().unwrap(),
                line["alert"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        alerts,
        vec![
            ("database-setting-misnamed", "published"),
            ("ephemeral-data-directory", "published"),
            ("endpoint-without-load-balancer", "published"),
            // The fixed task: the endpoint alert was sent already; the IP change is new.
            ("endpoint-without-load-balancer", "suppressed"),
            ("public-ip-changed", "published"),
        ]
    );
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("ecs-auditor: "))
        .collect();
    assert_eq!(progress.len(), 4, "{stderr}");
    assert!(
        progress[1].contains("ignored") && progress[1].contains("already processed"),
        "{stderr}"
    );
    assert!(progress[2].contains("ignored: CloudWatch Logs CONTROL_MESSAGE"));
    assert!(progress[3].contains("1 suppressed"), "{stderr}");
    assert_eq!(seeded.inbox.drain().await.len(), 4);
}

/// A CloudWatch Logs event whose gzip stream stops halfway.
fn truncated_gzip_event() -> Vec<u8> {
    use base64::Engine;
    let full = base64::engine::general_purpose::STANDARD
        .decode(
            serde_json::from_slice::<serde_json::Value>(&read_event("logs-built-in-postgres.json"))
                .unwrap()["awslogs"]["data"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let half = base64::engine::general_purpose::STANDARD.encode(&full[..full.len() / 2]);
    serde_json::json!({"awslogs": {"data": half}})
        .to_string()
        .into_bytes()
}

#[test]
fn undecodable_input_exits_2_with_a_one_line_error() {
    let directory = tempfile::tempdir().unwrap();
    let cases = [
        (
            "garbage.json",
            b"this is not json".to_vec(),
            "event is not valid JSON",
        ),
        (
            "array.json",
            b"[1, 2, 3]".to_vec(),
            "event is not a JSON object",
        ),
        (
            "truncated-gzip.json",
            truncated_gzip_event(),
            "awslogs.data is not valid gzip",
        ),
        (
            "empty.json",
            Vec::new(),
            "event is not valid JSON: the input is empty",
        ),
        (
            "bad-base64.json",
            br#"{"awslogs":{"data":"%%%not base64%%%"}}"#.to_vec(),
            "awslogs.data is not valid base64",
        ),
    ];
    for (name, content, expected) in cases {
        let path = directory.path().join(name);
        std::fs::write(&path, content).unwrap();
        let (output, stdout, stderr) = run(auditor_command(None).args([
            "audit",
            "--dry-run",
            "--event",
            path.to_str().unwrap(),
        ]));
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stdout, "", "{name}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{name}: {stderr}");
        assert!(lines[0].starts_with("error: "), "{name}: {stderr}");
        assert!(lines[0].contains(expected), "{name}: {stderr}");
    }
}

#[test]
fn ignored_events_exit_0_and_say_why() {
    let (output, stdout, stderr) = run(auditor_command(None).args([
        "audit",
        "--dry-run",
        "--event",
        "events/ec2-instance-state-change.json",
    ]));
    assert!(output.status.success());
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("ignored: events from \"aws.ec2\""),
        "{stderr}"
    );
}

#[test]
fn missing_files_and_bad_configuration_name_the_fix() {
    let (output, _, stderr) =
        run(auditor_command(None).args(["audit", "--event", "events/task-running-seed.json"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("SNS_TOPIC_ARN is not set") && stderr.contains("--dry-run"),
        "{stderr}"
    );

    let (output, _, stderr) = run(auditor_command(None).env("MIN_SEVERITY", "urgent").args([
        "audit",
        "--dry-run",
        "--event",
        "events/task-running-seed.json",
    ]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.starts_with("error: MIN_SEVERITY=\"urgent\" is invalid"),
        "{stderr}"
    );

    let (output, _, stderr) =
        run(auditor_command(None).args(["audit", "--dry-run", "--event", "events/nope.json"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.starts_with("error: cannot read events/nope.json"),
        "{stderr}"
    );
}

#[test]
fn profiles_lists_them_and_warns_of_a_signature_every_line_must_go_through() {
    let (output, stdout, stderr) = run(auditor_command(None).arg("profiles"));
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.lines().any(|line| line.starts_with("coder ")),
        "{stdout}"
    );
    assert!(stdout.starts_with("ID "), "a header row: {stdout}");
    assert!(
        stdout
            .lines()
            .any(|line| line.contains("/opt/jboss/keycloak/standalone/data ")
                && line.ends_with("the WildFly-based image (Keycloak before 17, legacy tags)")),
        "each version's facts on a line of their own: {stdout}"
    );
    assert_eq!(
        stderr, "",
        "the shipped profiles all have fixed text to look for"
    );

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        r#"
[[profile]]
id = "counter"
name = "Counter"
images = ["example/counter"]
embedded_database = "SQLite"

[[profile.log_signature]]
rule = "embedded-database-in-use"
pattern = '\w+ \d+'
meaning = "it counts rows"
filter = 'rows'
example = 'rows 12'
"#,
    )
    .unwrap();
    let (output, stdout, stderr) = run(auditor_command(None)
        .env("PROFILES_FILE", file.path())
        .arg("profiles"));
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.lines().any(|line| line.starts_with("counter ")),
        "{stdout}"
    );
    assert!(
        stderr.starts_with("warning: profile 'counter': log signature '\\w+ \\d+'")
            && stderr.contains("every log line goes through the regexes"),
        "{stderr}"
    );
}

#[test]
fn unreachable_aws_is_reported_as_an_incomplete_audit() {
    let (output, stdout, stderr) = run(auditor_command(None).args([
        "audit",
        "--dry-run",
        "--event",
        "events/task-running-seed.json",
    ]));
    assert!(output.status.success(), "{stderr}");
    let lines = findings(&stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["rule"], "audit-incomplete");
    assert!(
        lines[0]["summary"]
            .as_str()
            .unwrap()
            .contains("did not run")
    );
}

#[tokio::test]
async fn a_failed_publish_exits_1() {
    let seeded = seeded().await;
    let (output, _, stderr) = run(auditor_command(Some(&seeded.moto))
        .env(
            "SNS_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:no-such-topic",
        )
        .args(["audit", "--event", &seeded.event("task-running-seed.json")]));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("could not publish alert"), "{stderr}");
}

#[tokio::test]
async fn no_password_reaches_stdout_stderr_or_alerts_even_at_debug_level() {
    let seeded = seeded().await;
    let (output, stdout, stderr) = run(auditor_command(Some(&seeded.moto))
        .env("SNS_TOPIC_ARN", &seeded.inbox.topic_arn)
        .env("RUST_LOG", "debug")
        .args([
            "audit",
            "-e",
            &seeded.event("task-running-plaintext.json"),
            "-e",
            &seeded.event("logs-credentials.json"),
        ]));
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("DEBUG"), "debug logging is on");
    let alerts: String = seeded
        .inbox
        .drain()
        .await
        .into_iter()
        .map(|a| a.raw)
        .collect();
    assert!(alerts.contains("credentials-in-logs"));
    for fragment in ["N0t-A-Real", "Pass/word", "#Pass"] {
        assert!(!stdout.contains(fragment), "stdout leaks {fragment}");
        assert!(!stderr.contains(fragment), "stderr leaks {fragment}");
        assert!(!alerts.contains(fragment), "alerts leak {fragment}");
    }
}

#[test]
fn help_and_rules_describe_the_tool() {
    let (output, stdout, _) = run(auditor_command(None).arg("--help"));
    assert!(output.status.success());
    for expected in ["audit", "rules", "lambda", "SNS_TOPIC_ARN", "Examples:"] {
        assert!(stdout.contains(expected), "--help lacks {expected}");
    }
    let (output, stdout, _) = run(auditor_command(None).arg("rules"));
    assert!(output.status.success());
    assert_eq!(stdout.lines().count(), ecs_auditor::RuleId::ALL.len());
    assert!(stdout.starts_with("embedded-database-in-use"));
}

#[test]
fn check_fails_the_seed_passes_the_fix_and_names_an_unreadable_file() {
    let seed = "events/task-definitions/coder-seed.json";
    let fixed = "events/task-definitions/coder-fixed.json";
    let (output, stdout, _) = run(auditor_command(None).args(["check", seed]));
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("database-setting-misnamed"), "{stdout}");
    assert!(stdout.contains("ephemeral-data-directory"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "no colour when not on a terminal");

    let (output, stdout, _) = run(auditor_command(None).args(["check", fixed]));
    assert_eq!(output.status.code(), Some(0), "{stdout}");

    // The same service as a CloudFormation template.
    let (output, stdout, _) =
        run(auditor_command(None).args(["check", "events/templates/coder-seed.yaml"]));
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("database-setting-misnamed"), "{stdout}");
    assert!(stdout.contains("ephemeral-data-directory"), "{stdout}");
    let (output, stdout, _) =
        run(auditor_command(None).args(["check", "events/templates/coder-fixed.yaml"]));
    assert_eq!(output.status.code(), Some(0), "{stdout}");

    // Only critical fails: the seed's critical misnaming still does.
    let (output, stdout, _) = run(auditor_command(None).args([
        "check",
        "--format",
        "json",
        "--fail-on",
        "critical",
        seed,
        fixed,
    ]));
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(document["checked"].as_array().unwrap().len(), 2);
    assert_eq!(document["fails"], serde_json::json!(true));

    // An unreadable file: its `error:` line, exit 2, and the other files still reported.
    let (output, stdout, stderr) = run(auditor_command(None).args(["check", fixed, "README.md"]));
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: README.md: not "), "{stderr}");
    assert!(stdout.contains("coder-fixed.json: coder"), "{stdout}");
    assert!(stdout.contains("1 file(s) could not be read"), "{stdout}");
    let (output, stdout, _) =
        run(auditor_command(None).args(["check", "--format", "sarif", seed, "README.md"]));
    assert_eq!(output.status.code(), Some(2));
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("README.md: not ")
    );
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
    // A template's parameter values as deployed; a malformed one is a usage error.
    let (output, stdout, stderr) = run(auditor_command(None).args([
        "check",
        "--parameter",
        "CoderImage=ghcr.io/coder/coder:v2.20.0",
        "--parameter",
        "CoderImag=ghcr.io/coder/coder:v2.20.0",
        "events/templates/coder-seed.yaml",
    ]));
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        !stdout.contains("CoderImage"),
        "a given value is not a Default: {stdout}"
    );
    assert_eq!(
        stderr.trim(),
        "warning: parameter CoderImag is declared by no template checked: its value was not used"
    );
    let (output, _, stderr) = run(auditor_command(None).args([
        "check",
        "--parameter",
        "CoderImage",
        "events/templates/coder-seed.yaml",
    ]));
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr.trim(),
        "error: --parameter `CoderImage` is not KEY=VALUE"
    );
    // Standard input, and a template with no task definition said so.
    let mut child = auditor_command(None)
        .args(["check", "-", "events/templates/coder-fixed.yaml"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        b"Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n",
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("-: no task definition in it"), "{stdout}");
    // YAML, but not a template.
    let (output, _, stderr) = run(auditor_command(None).args(["check", ".pre-commit-hooks.yaml"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr
            .contains("not a task definition (no containerDefinitions), a CloudFormation template"),
        "{stderr}"
    );
}

/// The repository's pre-commit hook, run by pre-commit itself (`try-repo`) in a scratch git
/// repository: it fails on the seed's task definition and passes on the fixed one.
#[test]
fn the_pre_commit_hook_runs_check() {
    let pre_commit = repo_path(".venv/bin/pre-commit");
    if !pre_commit.exists() {
        panic!(
            "pre-commit not found at {}: run `make test`, which installs it",
            pre_commit.display()
        );
    }
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_ecs-auditor"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let scratch = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(scratch.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    let hook = |file: &str, contents: &str| {
        std::fs::write(scratch.path().join(file), contents).unwrap();
        git(&["add", file]);
        Command::new(&pre_commit)
            .args([
                "try-repo",
                repo_path(".").to_str().unwrap(),
                "ecs-auditor-check-system",
                "--files",
                file,
            ])
            .current_dir(scratch.path())
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", scratch.path().join(".cache"))
            .env_remove("PROFILES_FILE")
            .output()
            .unwrap()
    };
    let seed =
        std::fs::read_to_string(repo_path("events/task-definitions/coder-seed.json")).unwrap();
    let fixed =
        std::fs::read_to_string(repo_path("events/task-definitions/coder-fixed.json")).unwrap();
    let failed = hook("coder-taskdef.json", &seed);
    let said = String::from_utf8_lossy(&failed.stdout);
    assert!(!failed.status.success(), "{said}");
    assert!(said.contains("database-setting-misnamed"), "{said}");
    let passed = hook("coder-task-definition.json", &fixed);
    let said = String::from_utf8_lossy(&passed.stdout);
    assert!(passed.status.success(), "{said}");
    // A CloudFormation template matches the hook's files too.
    let template = std::fs::read_to_string(repo_path("events/templates/coder-seed.yaml")).unwrap();
    let failed = hook("template.yaml", &template);
    let said = String::from_utf8_lossy(&failed.stdout);
    assert!(!failed.status.success(), "{said}");
    assert!(said.contains("database-setting-misnamed"), "{said}");
}

/// The SARIF 2.1.0 schema (OASIS), as the `serde-sarif` crate ships it from crates.io: found in
/// cargo's registry sources at the version Cargo.lock pins.
fn sarif_schema() -> std::path::PathBuf {
    let lock = std::fs::read_to_string(repo_path("Cargo.lock")).unwrap();
    let version = lock
        .split("[[package]]")
        .find(|package| package.contains("name = \"serde-sarif\""))
        .and_then(|package| {
            package
                .lines()
                .find_map(|line| line.strip_prefix("version = "))
        })
        .map(|version| version.trim_matches('"').to_string())
        .expect("serde-sarif in Cargo.lock");
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    for registry in std::fs::read_dir(home.join("registry/src")).unwrap() {
        let schema = registry
            .unwrap()
            .path()
            .join(format!("serde-sarif-{version}/src/schema.json"));
        if schema.exists() {
            return schema;
        }
    }
    panic!(
        "serde-sarif-{version} sources not found under {}",
        home.display()
    );
}

/// `check --format sarif`: valid against the SARIF 2.1.0 schema, a location (file, line of the
/// setting or container) on every result, fingerprints that survive lines moving.
#[test]
fn check_writes_sarif_that_the_schema_and_code_scanning_accept() {
    let scratch = tempfile::tempdir().unwrap();
    let template = scratch.path().join("template.yaml");
    let seed = std::fs::read_to_string(repo_path("events/templates/coder-seed.yaml")).unwrap();
    std::fs::write(&template, &seed).unwrap();
    let sarif_of = |paths: &[&str]| {
        let (output, stdout, stderr) = run(auditor_command(None)
            .args(["check", "--format", "sarif"])
            .args(paths));
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        stdout
    };
    let template_path = template.to_str().unwrap();
    let first = sarif_of(&[template_path, "events/task-definitions/coder-seed.json"]);

    let written = scratch.path().join("out.sarif");
    std::fs::write(&written, &first).unwrap();
    let python = repo_path(".venv/bin/python");
    assert!(python.exists(), "run `make test`, which installs .venv");
    let validated = Command::new(python)
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft7Validator.check_schema(schema)\n\
             errors = list(jsonschema.Draft7Validator(schema).iter_errors(json.load(open(sys.argv[2]))))\n\
             [print(error.json_path, error.message) for error in errors]\n\
             sys.exit(1 if errors else 0)",
        ])
        .arg(sarif_schema())
        .arg(&written)
        .output()
        .unwrap();
    assert!(
        validated.status.success(),
        "{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );

    let log: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), ecs_auditor::RuleId::ALL.len());
    for rule in rules {
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&severity), "{rule}");
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
    }
    let results = run["results"].as_array().unwrap();
    let found: Vec<(&str, &str, i64)> = results
        .iter()
        .map(|result| {
            let location = &result["locations"][0]["physicalLocation"];
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            (
                result["ruleId"].as_str().unwrap(),
                location["artifactLocation"]["uri"].as_str().unwrap(),
                location["region"]["startLine"].as_i64().unwrap(),
            )
        })
        .collect();
    // The misnamed setting's own line; the missing volume on the container's.
    let line_of = |text: &str, needle: &str| {
        text.lines().position(|line| line.contains(needle)).unwrap() as i64 + 1
    };
    assert!(
        found.contains(&(
            "database-setting-misnamed",
            template_path,
            line_of(&seed, "- Name: CODER_POSTGRES_URL")
        )),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(rule, uri, line)| *rule == "ephemeral-data-directory"
                && *uri == "events/task-definitions/coder-seed.json"
                && *line > 1),
        "{found:?}"
    );

    // Three lines more at the top: the lines move, the fingerprints stay.
    std::fs::write(&template, format!("# a\n# b\n# c\n{seed}")).unwrap();
    let second: serde_json::Value = serde_json::from_str(&sarif_of(&[
        template_path,
        "events/task-definitions/coder-seed.json",
    ]))
    .unwrap();
    let prints = |log: &serde_json::Value| -> Vec<(serde_json::Value, serde_json::Value)> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|result| {
                (
                    result["partialFingerprints"].clone(),
                    result["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
                )
            })
            .collect()
    };
    let (before, after) = (prints(&log), prints(&second));
    assert_eq!(before.len(), after.len());
    for ((print_before, line_before), (print_after, line_after)) in before.iter().zip(&after) {
        assert_eq!(print_before, print_after);
        let moved = line_after.as_i64().unwrap() - line_before.as_i64().unwrap();
        assert!(moved == 0 || moved == 3, "{line_before} -> {line_after}");
    }
    assert!(
        before.iter().zip(&after).any(|((_, a), (_, b))| a != b),
        "the template's lines moved"
    );
}
