//! The command-line front door. `audit` runs the exact Lambda pipeline on event files.
//!
//! Contract (other tools rely on it): each finding is one JSON object per line on stdout;
//! progress and reasons go to stderr; exit 0 when every event was processed or deliberately
//! ignored, 1 when an alert could not be published, 2 on bad input or configuration.

use crate::assembly::{self, Alerts, AssemblyError, AwsAuditor};
use crate::audit::{AuditError, Delivery, Outcome, Report};
use crate::config::Config;
use crate::rules::CATALOG;
use crate::scan::LogScanner;
use clap::{Args, Parser, Subcommand};
use std::io::{Read, Write};
use std::process::ExitCode;

mod doctor;

const ABOUT: &str = "Audits ECS tasks and app logs for data that dies with the task";

const LONG_ABOUT: &str = "\
Audits Amazon ECS tasks and their apps' logs for data that dies with the task: an app
(such as Coder) running on its embedded database, database settings that are missing or
misnamed, storage without EFS, credentials in plain sight. Findings become SNS alerts.

The same pipeline runs as the AWS Lambda function (EventBridge ECS events and CloudWatch
Logs subscriptions) and from this command line on event files.";

/// What `--help` shows after the options: the settings (from [`crate::config::SETTINGS`]) and
/// examples.
pub fn after_help() -> String {
    format!(
        "Configuration (environment):\n{}  AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL   as for any AWS SDK\n\n{EXAMPLES}",
        crate::config::settings_help(),
    )
}

const EXAMPLES: &str = "\
Examples:
  ecs-auditor audit --event events/task-running-seed.json --dry-run
  ecs-auditor audit -e events/task-running-seed.json -e events/logs-built-in-postgres.json
  ecs-auditor sweep --cluster coder-cluster
  ecs-auditor check events/task-definitions/coder-seed.json
  cat event.json | ecs-auditor audit --event - --dry-run | jq .rule";

/// The command line, with its help.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command().after_help(after_help())
}

/// Parses the process's arguments (exits with clap's message and code 2 on bad ones).
pub fn parse() -> Cli {
    let matches = command().get_matches();
    <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

#[derive(Debug, Parser)]
#[command(name = "ecs-auditor", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Lambda pipeline on event files and print each finding as a JSON line
    Audit(AuditArgs),
    /// Audit every service of the clusters as they stand now (what the daily schedule runs)
    Sweep(SweepArgs),
    /// List the rules with their severity and when they fire
    Rules,
    /// Print the CloudWatch Logs subscription filter pattern for the loaded profiles
    FilterPattern,
    /// List the application profiles (shipped, plus PROFILES_FILE, which this validates)
    Profiles,
    /// Diagnose a service's app and its database, read-only: is the database setting set
    /// under a name the app reads, can the task reach the database, may the execution role
    /// read its secrets, do they exist, is the URL well formed, is the data kept outside the
    /// task. Each step pass, FAIL or could not decide (exit 0 nothing failed, 1 a step
    /// failed, 2 the service could not be read)
    Doctor(doctor::DoctorArgs),
    /// Check task definition files, CloudFormation/SAM templates and Terraform plans before
    /// deployment, with no AWS account
    /// (exit 0 clean, 1 findings at or above --fail-on or not checkable, 2 unreadable input)
    Check(CheckArgs),
    /// Run as the AWS Lambda function (the default when AWS_LAMBDA_RUNTIME_API is set)
    Lambda,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files to check: an ECS task definition (RegisterTaskDefinition input or
    /// DescribeTaskDefinition output), a CloudFormation or SAM template (YAML or JSON), or a
    /// Terraform plan (`terraform show -json PLAN`); `-` reads standard input
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<std::path::PathBuf>,
    /// Output: human text, one JSON document, or SARIF 2.1.0 (GitHub code scanning)
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Exit 1 when a finding is at or above this severity (low, medium, high, critical)
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: crate::finding::Severity,
    /// A template's parameter values, as the stack is deployed: a JSON file in the form `aws
    /// cloudformation create-stack --parameters file://...` takes, or {"Name": "value"}.
    /// Without it, `!Ref` takes each parameter's Default
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<std::path::PathBuf>,
    /// One template parameter's value (repeat for several); wins over --parameters
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    pub parameter: Vec<String>,
}

/// How `check` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// An EventBridge ECS event or CloudWatch Logs subscription payload (JSON); `-` reads
    /// stdin. Repeat to process several events in order, as one warm Lambda would.
    #[arg(long = "event", short = 'e', value_name = "FILE", required = true)]
    pub events: Vec<String>,
    /// Print findings but do not publish alerts to SNS
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A cluster to sweep (name or ARN); repeat for several. Default: CLUSTERS, else every
    /// cluster in the account and region.
    #[arg(long = "cluster", short = 'c', value_name = "NAME")]
    pub clusters: Vec<String>,
    /// Print findings but do not publish alerts to SNS
    #[arg(long)]
    pub dry_run: bool,
}

/// Exit codes of the CLI.
pub mod exit {
    pub const OK: u8 = 0;
    pub const PUBLISH_FAILED: u8 = 1;
    /// `check`: a finding at or above `--fail-on`, or something that could not be checked.
    pub const FINDINGS: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Audit(args)) => {
            init_cli_logging();
            audit(args).await
        }
        Some(Command::Sweep(args)) => {
            init_cli_logging();
            sweep(args).await
        }
        Some(Command::Doctor(args)) => doctor::doctor(args).await,
        Some(Command::Rules) => {
            print_rules();
            ExitCode::SUCCESS
        }
        Some(Command::FilterPattern) => print_filter_pattern(),
        Some(Command::Profiles) => print_profiles(),
        Some(Command::Check(args)) => check(args),
        Some(Command::Lambda) => run_lambda().await,
        None if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() => run_lambda().await,
        None => {
            let _ = command().print_help();
            ExitCode::from(exit::BAD_INPUT)
        }
    }
}

fn init_cli_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // The auditor's own warnings; the SDK's credential-chain chatter only when asked for.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error,ecs_auditor=warn"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

async fn run_lambda() -> ExitCode {
    lambda_runtime::tracing::init_default_subscriber();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "invalid configuration");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    match crate::lambda::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the function stopped");
            ExitCode::FAILURE
        }
    }
}

fn print_rules() {
    let mut out = std::io::stdout().lock();
    for info in &CATALOG {
        let _ = writeln!(
            out,
            "{:<32}{:<10}{}",
            info.id.as_str(),
            info.severity.as_str(),
            info.fires_when
        );
    }
}

fn loaded_profiles() -> Result<crate::profiles::Profiles, String> {
    Config::from_env()
        .map_err(|error| error.to_string())
        .and_then(|config| crate::audit::load_profiles(&config).map_err(|error| error.to_string()))
}

/// The pattern for template.yaml's LogFilterPattern, from the shipped profiles plus
/// PROFILES_FILE: a new app's log lines reach the function only if the pattern names them.
fn print_filter_pattern() -> ExitCode {
    use crate::scan::{MAX_FILTER_PATTERN_CHARS, subscription_filter_pattern};
    match loaded_profiles() {
        Ok(profiles) => {
            let pattern = subscription_filter_pattern(&profiles);
            let length = pattern.chars().count();
            if length > MAX_FILTER_PATTERN_CHARS {
                eprintln!(
                    "error: the pattern is {length} characters and CloudWatch Logs accepts at most {MAX_FILTER_PATTERN_CHARS}: \
                     give PROFILES_FILE's signatures shorter `filter` terms (any part of the line the pattern needs will do), \
                     or set LogFilterPattern to \"\" to deliver every line"
                );
                return ExitCode::FAILURE;
            }
            println!("{pattern}");
            ExitCode::SUCCESS
        }
        Err(error) => fail(error),
    }
}

/// `check PATH...`: every file read and checked; an unreadable one stops with one `error:` line
/// naming it and the problem (exit 2).
fn check(args: CheckArgs) -> ExitCode {
    let profiles = match loaded_profiles() {
        Ok(profiles) => profiles,
        Err(error) => return fail(error),
    };
    let mut parameters = match &args.parameters {
        Some(path) => {
            let name = path.display();
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(error) => return fail(format!("--parameters {name}: {error}")),
            };
            match crate::check::TemplateParameters::from_json(&text) {
                Ok(parameters) => parameters,
                Err(error) => return fail(format!("--parameters {name}: {error}")),
            }
        }
        None => crate::check::TemplateParameters::default(),
    };
    for pair in &args.parameter {
        if let Err(error) = parameters.set(pair) {
            return fail(format!("--parameter {error}"));
        }
    }
    let mut report = crate::check::CheckReport::default();
    // Every file is checked: one that cannot be read is said (an `error:` line, and in the
    // report) and the others are still reported, so a CI step keeps its SARIF.
    for path in &args.paths {
        let name = path.display().to_string();
        // `-` is standard input (`terraform show -json plan.out | ecs-auditor check -`).
        let text = if name == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
        } else {
            std::fs::read_to_string(path)
        };
        let checked = text.map_err(|error| error.to_string()).and_then(|text| {
            crate::check::check_text_with(&name, &text, &profiles, &parameters)
                .map_err(|error| error.to_string())
        });
        match checked {
            Ok(checked) if checked.is_empty() => report.without_task_definitions.push(name),
            Ok(checked) => report.checked.extend(checked),
            Err(problem) => {
                eprintln!("error: {name}: {problem}");
                report.unreadable.push((name, problem));
            }
        }
    }
    // A value given for a parameter no template declares is a typo or the wrong file: the
    // check ran on the Default instead, so say so.
    for name in parameters.names() {
        let declared = report.checked.iter().any(|checked| {
            checked
                .declared_parameters
                .iter()
                .any(|declared| declared == name)
        });
        if !declared {
            eprintln!(
                "warning: parameter {name} is declared by no template checked: its value was not used"
            );
        }
    }
    let printed = match args.format {
        CheckFormat::Text => crate::check::output::text(
            &report,
            args.fail_on,
            std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none(),
        ),
        CheckFormat::Json => crate::check::output::json(&report, args.fail_on) + "\n",
        CheckFormat::Sarif => crate::check::sarif::sarif(&report) + "\n",
    };
    print!("{printed}");
    if !report.unreadable.is_empty() {
        ExitCode::from(exit::BAD_INPUT)
    } else if report.fails(args.fail_on) {
        ExitCode::from(exit::FINDINGS)
    } else {
        ExitCode::from(exit::OK)
    }
}

/// One line per profile; loading them validates PROFILES_FILE.
fn print_profiles() -> ExitCode {
    let profiles = match loaded_profiles() {
        Ok(profiles) => profiles,
        Err(error) => return fail(error),
    };
    let mut rows: Vec<[String; 5]> = vec![[
        "ID".to_string(),
        "APP".to_string(),
        "EMBEDDED DATABASE".to_string(),
        "DATA DIRECTORY".to_string(),
        "IMAGES / VERSIONS".to_string(),
    ]];
    let embedded = |facts: &crate::profiles::Facts| {
        if facts.embedded_database_refused.is_some() {
            "(none)".to_string()
        } else {
            facts.embedded_database.clone()
        }
    };
    for profile in profiles.all() {
        rows.push([
            profile.id.clone(),
            profile.name.clone(),
            embedded(&profile.facts),
            profile
                .facts
                .data_directory
                .clone()
                .unwrap_or("-".to_string()),
            profile.images.join(", "),
        ]);
        for variant in &profile.variants {
            rows.push([
                String::new(),
                String::new(),
                embedded(&variant.facts),
                variant
                    .facts
                    .data_directory
                    .clone()
                    .unwrap_or("-".to_string()),
                format!("  {}", variant.name),
            ]);
        }
    }
    let widths: Vec<usize> = (0..4)
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = std::io::stdout().lock();
    for row in &rows {
        let _ = writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
        );
    }
    // The scanner the function would build: it knows which signatures turn its prefilter off.
    let scanner = match LogScanner::new(&profiles, Config::default().max_line_bytes) {
        Ok(scanner) => scanner,
        Err(error) => return fail(error),
    };
    for (profile, pattern) in scanner.signatures_without_literal() {
        eprintln!(
            "warning: profile '{}': log signature '{pattern}' has no fixed text of 3 or more \
             characters that every match contains, so every log line goes through the regexes \
             (slower); spell out a word of the line it looks for",
            profiles.get(profile).id,
        );
    }
    ExitCode::SUCCESS
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(exit::BAD_INPUT)
}

/// Builds the same auditor the function builds, from the environment. With `--dry-run`
/// nothing is published and the state stays in the process (`STATE_TABLE` is not touched).
async fn build_auditor(dry_run: bool) -> Result<(AwsAuditor, Option<String>), ExitCode> {
    let config = Config::from_env().map_err(fail)?;
    let topic = if dry_run {
        if config.state_table.is_some() {
            eprintln!(
                "ecs-auditor: --dry-run: STATE_TABLE is not read or written; state lasts for this run only"
            );
        }
        None
    } else {
        config.sns_topic_arn.clone()
    };
    let alerts = if dry_run {
        Alerts::DryRun
    } else {
        Alerts::Publish
    };
    match assembly::build(config, alerts).await {
        Ok(auditor) => Ok((auditor, topic)),
        Err(AssemblyError::NoTopic) => Err(fail(
            "SNS_TOPIC_ARN is not set. Fix: set it to the alert topic's ARN to publish, or pass --dry-run to only print findings",
        )),
        Err(error) => Err(fail(error)),
    }
}

async fn audit(args: AuditArgs) -> ExitCode {
    match build_auditor(args.dry_run).await {
        Ok((auditor, topic)) => audit_events(&auditor, &args.events, topic.as_deref()).await,
        Err(code) => code,
    }
}

async fn sweep(args: SweepArgs) -> ExitCode {
    let (auditor, topic) = match build_auditor(args.dry_run).await {
        Ok(built) => built,
        Err(code) => return code,
    };
    let clusters = if args.clusters.is_empty() {
        auditor.config().clusters.clone()
    } else {
        args.clusters.clone()
    };
    eprintln!(
        "ecs-auditor: sweeping {}",
        if clusters.is_empty() {
            "every cluster".to_string()
        } else {
            clusters.join(", ")
        }
    );
    let mut stdout = std::io::stdout().lock();
    match auditor.sweep(&clusters).await {
        Ok(report) => {
            print_report(&mut stdout, "sweep", &report, topic.as_deref());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: sweep: {error}");
            ExitCode::from(exit::PUBLISH_FAILED)
        }
    }
}

/// Reads an event file (or stdin for `-`), refusing more than `limit` bytes.
fn read_event(path: &str, limit: usize) -> Result<Vec<u8>, String> {
    let mut input: Box<dyn Read> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(|error| format!("cannot read {path}: {error}"))?)
    };
    let mut bytes = Vec::new();
    (&mut input)
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot read {path}: {error}"))?;
    if bytes.len() > limit {
        return Err(format!(
            "{path} is larger than the limit of {limit} bytes (MAX_EVENT_BYTES)"
        ));
    }
    Ok(bytes)
}

/// One finding as the CLI prints it: the finding's fields plus what became of its alert.
#[derive(serde::Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    finding: &'a crate::finding::Finding,
    alert: Delivery,
}

/// Prints findings on stdout (one JSON object per line) and what happened on stderr.
/// Returns false when stdout is gone (e.g. `| head`).
fn print_report(out: &mut impl Write, name: &str, report: &Report, topic: Option<&str>) -> bool {
    for (finding, delivery) in report.findings.iter().zip(&report.deliveries) {
        let line = serde_json::to_string(&Line {
            finding,
            alert: *delivery,
        })
        .expect("findings serialize");
        if writeln!(out, "{line}").is_err() {
            return false;
        }
    }
    let _ = out.flush();
    match &report.outcome {
        Outcome::Ignored(reason) => eprintln!("ecs-auditor: {name}: ignored: {reason}"),
        Outcome::Audited(description) => {
            let delivery = match topic {
                Some(topic) if report.suppressed() > 0 => format!(
                    "{} alert(s) published to {topic}, {} suppressed (alerted within SUPPRESS_FOR)",
                    report.published(),
                    report.suppressed()
                ),
                Some(topic) => format!("{} alert(s) published to {topic}", report.published()),
                None if report.findings.is_empty() => "nothing to publish".to_string(),
                None => "dry run, nothing published".to_string(),
            };
            eprintln!(
                "ecs-auditor: {name}: {description}: {} finding(s); {delivery}",
                report.findings.len()
            );
        }
    }
    true
}

async fn audit_events(auditor: &AwsAuditor, paths: &[String], topic: Option<&str>) -> ExitCode {
    let mut code = exit::OK;
    let mut stdout = std::io::stdout().lock();
    for path in paths {
        let name = if path == "-" { "stdin" } else { path.as_str() };
        let input = match read_event(path, auditor.config().max_event_bytes) {
            Ok(input) => input,
            Err(message) => {
                eprintln!("error: {message}");
                code = exit::BAD_INPUT;
                continue;
            }
        };
        match auditor.process(&input).await {
            Ok(report) => {
                if !print_report(&mut stdout, name, &report, topic) {
                    return ExitCode::from(code);
                }
            }
            Err(AuditError::Decode(error)) => {
                eprintln!("error: {name}: {error}");
                code = exit::BAD_INPUT;
            }
            Err(error) => {
                eprintln!("error: {name}: {error}");
                return ExitCode::from(exit::PUBLISH_FAILED);
            }
        }
    }
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_help_names_every_setting_with_its_default() {
        let help = super::command().render_long_help().to_string();
        for setting in crate::config::SETTINGS {
            let line = help
                .lines()
                .find(|line| line.trim_start().starts_with(setting.variable))
                .unwrap_or_else(|| {
                    panic!("`ecs-auditor --help` does not mention {}", setting.variable)
                });
            if let Some(default) = setting.default {
                assert!(line.contains(&format!("(default {default})")), "{line}");
            }
        }
    }
}
