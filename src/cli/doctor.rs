//! `ecs-auditor doctor --cluster C --service S`: the seed's debugging checklist answered for a
//! service, as text or JSON (issue 16). Exit 1 when a step fails, 2 when the service cannot be
//! read or the configuration is bad, 0 otherwise ("could not decide" is said, not passed).

use super::{exit, fail, init_cli_logging};
use crate::assembly::{self, Alerts};
use crate::audit::doctor::Checkup;
use crate::config::Config;
use crate::doctor::checklist::Status;
use crate::redact::redact_text;
use clap::Args;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The cluster (name or ARN)
    #[arg(long, short = 'c', value_name = "NAME")]
    pub cluster: String,
    /// The service (name or ARN)
    #[arg(long, short = 's', value_name = "NAME")]
    pub service: String,
    /// Output: the checklist as text, or one JSON document
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
    /// Read the value of the app's database secret (secretsmanager:GetSecretValue, with your
    /// credentials) to judge its URL and find the database it names. The value stays in
    /// memory: it is never printed or logged
    #[arg(long)]
    pub read_secrets: bool,
}

/// How `doctor` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DoctorFormat {
    Text,
    Json,
}

pub(super) async fn doctor(args: DoctorArgs) -> ExitCode {
    init_cli_logging();
    let mut config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => return fail(error),
    };
    config.read_secret_values |= args.read_secrets;
    let auditor = match assembly::build(config, Alerts::DryRun).await {
        Ok(auditor) => auditor,
        Err(error) => return fail(error),
    };
    let checkup = match auditor.doctor(&args.cluster, &args.service).await {
        Ok(checkup) => checkup,
        Err(error) => {
            let message = format!(
                "cannot read service {} of cluster {}: {error}",
                args.service, args.cluster
            );
            // A JSON reader gets a JSON document, not an empty stdout.
            if args.format == DoctorFormat::Json {
                println!("{}", serde_json::json!({ "error": message }));
            }
            return fail(message);
        }
    };
    let text = match args.format {
        DoctorFormat::Text => text(&checkup),
        DoctorFormat::Json => json(&checkup),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    if checkup.failed() {
        ExitCode::from(exit::FINDINGS)
    } else {
        ExitCode::from(exit::OK)
    }
}

fn text(checkup: &Checkup) -> String {
    let mut out = format!(
        "ecs-auditor doctor: service {} in cluster {}\n",
        checkup.service, checkup.cluster
    );
    out.push_str(&match &checkup.task_arn {
        Some(task) => format!(
            "task {} ({})\n\n",
            crate::model::resource_name(task),
            crate::model::short_task_definition(&checkup.task_definition)
        ),
        None => format!(
            "no running task: task definition {} examined alone\n\n",
            crate::model::short_task_definition(&checkup.task_definition)
        ),
    });
    for (index, step) in checkup.steps.iter().enumerate() {
        let label = match step.status {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::CouldNotDecide => "COULD NOT DECIDE",
        };
        out.push_str(&format!(
            "{:>2}. {label}  {}\n      (instead of: {})\n",
            index + 1,
            step.question,
            step.replaces
        ));
        // Every line through the redactor once more on its way out.
        for line in &step.evidence {
            out.push_str(&format!("      - {}\n", redact_text(line)));
        }
        for fix in &step.fix {
            out.push_str(&format!("      fix: {}\n", redact_text(fix)));
        }
    }
    if !checkup.others.is_empty() {
        out.push_str("\nAlso found:\n");
        for finding in &checkup.others {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                finding.rule,
                finding.severity,
                redact_text(&finding.summary)
            ));
        }
    }
    let count = |status| {
        checkup
            .steps
            .iter()
            .filter(|step| step.status == status)
            .count()
    };
    out.push_str(&format!(
        "\n{} failed, {} could not be decided, {} passed.\n",
        count(Status::Fail),
        count(Status::CouldNotDecide),
        count(Status::Pass)
    ));
    out
}

fn json(checkup: &Checkup) -> String {
    let steps: Vec<serde_json::Value> = checkup
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            serde_json::json!({
                "step": index + 1,
                "question": step.question,
                "replaces": step.replaces,
                "status": step.status,
                "evidence": step.evidence,
                "fix": step.fix,
            })
        })
        .collect();
    let document = serde_json::json!({
        "cluster": checkup.cluster,
        "service": checkup.service,
        "task": checkup.task_arn,
        "task_definition": checkup.task_definition,
        "failed": checkup.failed(),
        "steps": steps,
        "also_found": checkup.others,
    });
    format!("{}\n", crate::check::output::redacted_json(&document))
}
