//! The sweep: every service of the clusters as it stands now (configuration, endpoint, recent
//! log lines read back through the subscription filter pattern). What cannot be read becomes
//! `audit-incomplete`, never silence.

use super::{Auditor, SERVICE_CHECKS, TASK_DEFINITION_CHECKS};
use crate::events::logs::LogLine;
use crate::finding::{Finding, Location};
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::model::{
    AuditGap, EventOrigin, ReadError, Service, TaskContext, arn_field, resource_name,
};
use crate::publish::AlertSink;
use crate::rules;
use std::borrow::Cow;

const SWEEP_CHECKS: &str = "the sweep of this cluster";
const SWEEP_LOG_CHECKS: &str = "the log checks of the sweep";
/// At most this many log lines per container are read by a sweep.
const SWEEP_LOG_LINES: usize = 10_000;

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// Every service of the clusters, as it stands now: configuration, endpoint, recent logs.
    /// What cannot be read becomes `audit-incomplete`, never silence.
    pub(super) async fn sweep_findings(
        &self,
        origin: &EventOrigin,
        clusters: &[String],
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        let gap_findings = |cluster_arn: &str, error: ReadError, skipped_checks| {
            let task = TaskContext {
                origin: origin.clone(),
                cluster_arn: cluster_arn.to_string(),
                gaps: vec![AuditGap {
                    error,
                    skipped_checks,
                }],
                ..Default::default()
            };
            rules::audit_incomplete::audit_incomplete(&task)
        };
        let clusters = if clusters.is_empty() {
            match self.inventory.clusters().await {
                Ok(clusters) => clusters,
                Err(error) => return gap_findings("", error, SWEEP_CHECKS),
            }
        } else {
            clusters.to_vec()
        };
        let since_ms =
            (crate::memory::now().saturating_sub(self.config.sweep_log_hours * 3600) * 1000) as i64;
        for cluster in clusters {
            let service_arns = match self.inventory.service_arns(&cluster).await {
                Ok(arns) => arns,
                Err(error) => {
                    findings.extend(gap_findings(&cluster, error, SWEEP_CHECKS));
                    continue;
                }
            };
            tracing::info!(cluster = %resource_name(&cluster), services = service_arns.len(), "sweeping");
            for service_arn in service_arns {
                let name = resource_name(&service_arn).to_string();
                let service = match self.inventory.service(&cluster, &name).await {
                    Ok(service) => service,
                    Err(error) => {
                        findings.extend(gap_findings(&cluster, error, SERVICE_CHECKS));
                        continue;
                    }
                };
                findings.extend(
                    self.sweep_service(origin, &cluster, service, since_ms)
                        .await,
                );
            }
        }
        findings
    }

    async fn sweep_service(
        &self,
        origin: &EventOrigin,
        cluster: &str,
        service: Service,
        since_ms: i64,
    ) -> Vec<Finding> {
        let cluster_arn = if service.cluster_arn.is_empty() {
            cluster.to_string()
        } else {
            service.cluster_arn.clone()
        };
        let mut task = TaskContext {
            origin: EventOrigin {
                region: origin
                    .region
                    .clone()
                    .or_else(|| arn_field(&service.arn, 3).map(str::to_string)),
                account: origin
                    .account
                    .clone()
                    .or_else(|| arn_field(&service.arn, 4).map(str::to_string)),
                ..origin.clone()
            },
            cluster_arn,
            task_definition_arn: service.task_definition.clone(),
            group: Some(format!("service:{}", service.name)),
            service: Some(service),
            ..Default::default()
        };
        self.add_task_definition(&mut task, TASK_DEFINITION_CHECKS)
            .await;
        let mut findings = rules::evaluate_task(&task, &self.profiles);
        let Some(definition) = task.task_definition.clone() else {
            return findings;
        };
        for container in &definition.container_definitions {
            let Some((group, prefix)) = container.awslogs() else {
                continue;
            };
            let stream_prefix = prefix.map(|prefix| format!("{prefix}/{}/", container.name));
            let lines = match self
                .inventory
                .recent_log_lines(
                    group,
                    stream_prefix.as_deref(),
                    &self.filter_pattern,
                    since_ms,
                    SWEEP_LOG_LINES,
                )
                .await
            {
                Ok(lines) => lines,
                Err(error) => {
                    let mut gap = task.clone();
                    gap.gaps = vec![AuditGap {
                        error,
                        skipped_checks: SWEEP_LOG_CHECKS,
                    }];
                    findings.extend(rules::audit_incomplete::audit_incomplete(&gap));
                    continue;
                }
            };
            let lines: Vec<LogLine> = lines
                .iter()
                .map(|line| LogLine {
                    id: Cow::Borrowed(&line.id),
                    timestamp: line.timestamp,
                    message: Cow::Borrowed(&line.message),
                })
                .collect();
            let location = Location {
                container: Some(container.name.clone()),
                log_group: Some(group.to_string()),
                ..task.location()
            };
            let mut log_findings =
                rules::logs::findings(self.scanner.scan_lines(&lines), &self.profiles, &location);
            rules::logs::weigh_against_task_definition(
                &mut log_findings,
                Some(&definition),
                &container.name,
                &self.profiles,
            );
            findings.extend(log_findings);
        }
        findings
    }
}
