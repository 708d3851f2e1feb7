//! A CloudWatch Logs batch: scanned first, and only when something matched is the stream tied
//! to its task and service (quiet batches cost no AWS call). FireLens records are unwrapped and
//! grouped by the task they name. A task seen on its embedded database is remembered for its
//! stop.

use super::{AuditError, Auditor};
use crate::events::firelens::{self, FireLensRecord};
use crate::events::logs::{LogBatch, LogLine, StreamName};
use crate::finding::{Finding, Location};
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::memory::facts::{EmbeddedDatabaseSeen, FACT_MEMORY_SECONDS};
use crate::memory::record::Remembered;
use crate::model::{arn_field, resource_name, service_name_from_group};
use crate::publish::AlertSink;
use crate::rules;

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// Scans a log batch; only when something matched does it look up which task and service
    /// the stream belongs to (so quiet batches cost no AWS call). FireLens records are
    /// unwrapped to the app's line and grouped by the task they name.
    pub(super) async fn audit_logs(
        &self,
        batch: &LogBatch<'_>,
        now: u64,
    ) -> Result<Vec<Finding>, AuditError> {
        let limit = self.config.max_log_events;
        let examined = &batch.log_events[..batch.log_events.len().min(limit)];
        let skipped = batch.log_events.len() - examined.len();
        let firelens = firelens::is_firelens_stream(&batch.log_stream)
            || examined
                .first()
                .is_some_and(|line| FireLensRecord::parse(&line.message).is_some());
        let mut findings = Vec::new();
        if firelens {
            for (source, lines) in firelens_groups(&batch.log_stream, examined) {
                findings.extend(self.audit_lines(batch, &lines, source, now).await?);
            }
        } else {
            let source = match StreamName::parse(&batch.log_stream) {
                Some(stream) => LogSource {
                    container: Some(stream.container.to_string()),
                    task_id: Some(stream.task_id.to_string()),
                    ..Default::default()
                },
                // A stream named by the task id alone (FireLens `log_stream_name
                // $(ecs_task_id)` with `log_key log`): the task, without its container.
                None => LogSource {
                    task_id: firelens::stream_task_id(&batch.log_stream).map(str::to_string),
                    ..Default::default()
                },
            };
            findings.extend(self.audit_lines(batch, examined, source, now).await?);
        }
        if skipped > 0 {
            let location = Location {
                account: (!batch.owner.is_empty()).then(|| batch.owner.to_string()),
                region: self.region.clone(),
                log_group: Some(batch.log_group.to_string()),
                log_stream: Some(batch.log_stream.to_string()),
                ..Default::default()
            };
            findings.push(rules::audit_incomplete::lines_not_examined(
                &location,
                batch.log_events.len(),
                skipped,
            ));
        }
        Ok(findings)
    }

    /// The findings of some lines of a batch that belong to one task (as far as is known).
    async fn audit_lines(
        &self,
        batch: &LogBatch<'_>,
        lines: &[LogLine<'_>],
        source: LogSource,
        now: u64,
    ) -> Result<Vec<Finding>, AuditError> {
        let matches = self.scanner.scan_lines(lines);
        if matches.is_empty() {
            return Ok(Vec::new());
        }
        let mut location = Location {
            account: (!batch.owner.is_empty()).then(|| batch.owner.to_string()),
            region: self.region.clone(),
            log_group: Some(batch.log_group.to_string()),
            log_stream: Some(batch.log_stream.to_string()),
            container: source.container.clone(),
            ..Default::default()
        };
        // What the record itself says, in case ECS no longer knows the task.
        if let Some(task_arn) = &source.task_arn {
            location.task = Some(task_arn.clone());
            location.cluster = source
                .cluster
                .clone()
                .or_else(|| task_cluster(task_arn).map(str::to_string));
            location.region = arn_field(task_arn, 3)
                .map(str::to_string)
                .or(location.region);
        }
        let mut lookup_note = None;
        let mut network_interface = None;
        let task_id = source.task_id.clone().or_else(|| {
            source
                .task_arn
                .as_deref()
                .map(|arn| resource_name(arn).to_string())
        });
        match task_id {
            Some(task_id) => match self.inventory.locate_task(&task_id).await {
                Ok(task) => {
                    location.cluster = Some(resource_name(&task.cluster_arn).to_string());
                    location.service =
                        service_name_from_group(task.group.as_deref()).map(str::to_string);
                    location.region = arn_field(&task.task_arn, 3)
                        .map(str::to_string)
                        .or(location.region);
                    location.task = Some(task.task_arn);
                    network_interface = task.network_interface;
                    location.task_definition =
                        Some(task.task_definition_arn).filter(|arn| !arn.is_empty());
                }
                Err(error) => {
                    tracing::warn!(%error, "task of log stream not found");
                    lookup_note = Some(format!(
                        "(which service this stream belongs to is unknown: {} {})",
                        error.operation,
                        error.failure.describe()
                    ));
                }
            },
            None => {
                lookup_note = Some(
                    "(these lines could not be tied to a task: the log stream is not the awslogs \
                     PREFIX/CONTAINER/TASK_ID layout nor a FireLens tag, and no record names \
                     ecs_task_arn; the task is not remembered for data-lost-on-stop)"
                        .to_string(),
                );
            }
        }
        let mut findings = rules::logs::findings(matches, &self.profiles, &location);
        self.weigh_against_task_definition(&mut findings, &location)
            .await;
        self.diagnose_connection_failures(&mut findings, &location, network_interface.as_deref())
            .await;
        if let Some(note) = lookup_note {
            for finding in &mut findings {
                finding.evidence.push(note.clone());
            }
        }
        // Remember that this task ran on its embedded database inside the task, for when it
        // stops.
        if let Some(task_arn) = &location.task
            && let Some(embedded) = rules::data_lost_on_stop::embedded_database_in_task(&findings)
        {
            let remembered = Remembered::<EmbeddedDatabaseSeen>::load(
                &self.state,
                EmbeddedDatabaseSeen::key(task_arn),
                now,
            )
            .await?;
            if remembered.value.is_none() {
                remembered
                    .replace(
                        &self.state,
                        &EmbeddedDatabaseSeen::from_finding(embedded),
                        FACT_MEMORY_SECONDS,
                        now,
                    )
                    .await?;
            }
        }
        Ok(findings)
    }

    /// Log findings weighed against the container's task definition, read only when the
    /// weighing needs it (see [`rules::logs::weigh_against_task_definition`]).
    async fn weigh_against_task_definition(
        &self,
        findings: &mut Vec<Finding>,
        location: &Location,
    ) {
        let definition = match (&location.task_definition, &location.container) {
            (Some(arn), Some(_)) if rules::logs::needs_task_definition(findings) => {
                self.inventory.task_definition(arn).await.ok()
            }
            _ => None,
        };
        let container = location.container.as_deref().unwrap_or_default();
        rules::logs::weigh_against_task_definition(
            findings,
            definition.as_ref(),
            container,
            &self.profiles,
        );
    }
}

/// Where some log lines come from, as far as the stream and the records say.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct LogSource {
    container: Option<String>,
    /// From the stream name (awslogs, a FireLens tag) or the record's task ARN.
    task_id: Option<String>,
    /// From a FireLens record (`ecs_task_arn`).
    task_arn: Option<String>,
    cluster: Option<String>,
}

/// The cluster name in a task ARN: `arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID`.
fn task_cluster(task_arn: &str) -> Option<&str> {
    let resource = task_arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    (parts.next()? == "task").then_some(())?;
    let cluster = parts.next()?;
    parts.next().map(|_| cluster)
}

/// A FireLens batch's lines, unwrapped to the app's own line and grouped by the task their
/// records (or the stream's tag) name, in the order tasks first appear.
fn firelens_groups(stream: &str, lines: &[LogLine<'_>]) -> Vec<(LogSource, Vec<LogLine<'static>>)> {
    let stream_task = firelens::stream_task_id(stream).map(str::to_string);
    let mut groups: Vec<(LogSource, Vec<LogLine<'static>>)> = Vec::new();
    for line in lines {
        let (source, message) = match FireLensRecord::parse(&line.message) {
            Some(record) => (
                LogSource {
                    container: record.container(),
                    task_id: record
                        .ecs_task_arn
                        .as_deref()
                        .map(|arn| resource_name(arn).to_string())
                        .or_else(|| stream_task.clone()),
                    task_arn: record.ecs_task_arn.as_deref().map(str::to_string),
                    cluster: record.ecs_cluster.as_deref().map(str::to_string),
                },
                record.log.into_owned(),
            ),
            // `log_key log`: only the line, no metadata; the stream may still name the task.
            None => (
                LogSource {
                    task_id: stream_task.clone(),
                    ..Default::default()
                },
                line.message.to_string(),
            ),
        };
        let unwrapped = LogLine {
            id: line.id.to_string().into(),
            timestamp: line.timestamp,
            message: message.into(),
        };
        match groups.iter_mut().find(|(known, _)| *known == source) {
            Some((_, group)) => group.push(unwrapped),
            None => groups.push((source, vec![unwrapped])),
        }
    }
    groups
}
