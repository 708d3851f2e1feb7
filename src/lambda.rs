//! The Lambda front door: one `Auditor` built at cold start, one `process` call per event.
//!
//! Failure semantics: an undecodable event is answered (status `rejected`) and logged, since
//! retrying cannot help; a failed alert delivery or state-store outage is returned as an error
//! so that Lambda's asynchronous retries, and finally the dead-letter queue, keep the event.

use crate::assembly::{self, Alerts, AssemblyError};
use crate::audit::{AuditError, Auditor, Outcome};
use crate::config::Config;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::publish::AlertSink;
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::value::RawValue;

/// What the function returns for each event (visible in `cargo lambda invoke` and in
/// Lambda destinations).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Response {
    /// `audited`, `ignored` or `rejected`.
    pub status: &'static str,
    pub detail: String,
    pub findings: usize,
    pub published: usize,
    /// Findings that alerted already within `SUPPRESS_FOR`.
    pub suppressed: usize,
    pub rules: Vec<&'static str>,
}

/// Handles one event with a ready auditor.
pub(crate) async fn handle<I: Inventory, S: AlertSink, M: StateStore>(
    auditor: &Auditor<I, S, M>,
    payload: &[u8],
) -> Result<Response, AuditError> {
    match auditor.process(payload).await {
        Ok(report) => {
            let (status, detail) = match &report.outcome {
                Outcome::Audited(description) => ("audited", description.clone()),
                Outcome::Ignored(reason) => ("ignored", reason.clone()),
            };
            Ok(Response {
                status,
                detail,
                findings: report.findings.len(),
                published: report.published(),
                suppressed: report.suppressed(),
                rules: report.findings.iter().map(|f| f.rule.as_str()).collect(),
            })
        }
        Err(AuditError::Decode(error)) => {
            // The payload itself is never logged: it may hold secrets.
            tracing::error!(%error, bytes = payload.len(), "undecodable event dropped");
            Ok(Response {
                status: "rejected",
                detail: error.to_string(),
                findings: 0,
                published: 0,
                suppressed: 0,
                rules: Vec::new(),
            })
        }
        Err(error) => {
            tracing::error!(%error, "event failed; Lambda will retry it");
            Err(error)
        }
    }
}

/// Runs the Lambda runtime loop. `config` must name an SNS topic.
pub(crate) async fn run(config: Config) -> Result<(), lambda_runtime::Error> {
    let auditor = match assembly::build(config, Alerts::Publish).await {
        Ok(auditor) => auditor,
        Err(AssemblyError::NoTopic) => {
            return Err(
                "SNS_TOPIC_ARN is not set. Fix: set it to the alert topic's ARN (template.yaml does this)"
                    .into(),
            );
        }
        Err(error) => return Err(error.into()),
    };
    let auditor = &auditor;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            handle(auditor, event.payload.get().as_bytes()).await
        },
    ))
    .await
}

impl From<AuditError> for lambda_runtime::Diagnostic {
    fn from(error: AuditError) -> Self {
        let error_type = match error {
            AuditError::Decode(_) => "ecs_auditor::Decode",
            AuditError::Publish { .. } => "ecs_auditor::Publish",
            AuditError::State(_) => "ecs_auditor::State",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_string(),
            error_message: crate::redact::excerpt(&error.to_string(), 1000),
        }
    }
}
