//! Delivery: findings below `MIN_SEVERITY` dropped, the rest merged per rule and place, each
//! alert claimed (suppression) then published, its claim given back when publishing fails.

use super::{AuditError, Auditor, Delivery, Outcome, Report};
use crate::alert;
use crate::finding::Finding;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::memory::alerts::{self, ClaimOutcome};
use crate::publish::AlertSink;

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// Filters by `MIN_SEVERITY`, merges per rule and place, publishes what is not suppressed.
    pub(super) async fn finish(
        &self,
        outcome: Outcome,
        findings: Vec<Finding>,
        now: u64,
    ) -> Result<Report, AuditError> {
        let findings = alert::merge(
            findings
                .into_iter()
                .filter(|finding| finding.severity >= self.config.min_severity)
                .collect(),
        );
        let deliveries = self.publish(&findings, now).await?;
        Ok(Report {
            outcome,
            findings,
            deliveries,
        })
    }

    /// Claims, then publishes, each alert. A failed publish gives its claim back so that the
    /// retried event alerts; alerts already published stay claimed, so a retry does not
    /// publish them again.
    async fn publish(&self, findings: &[Finding], now: u64) -> Result<Vec<Delivery>, AuditError> {
        let mut deliveries = Vec::with_capacity(findings.len());
        if !self.sink.delivers() {
            deliveries.resize(findings.len(), Delivery::NotSent);
            return Ok(deliveries);
        }
        for finding in findings {
            let claim = match alerts::claim_alert(
                &self.state,
                finding,
                self.config.suppress_for_seconds,
                now,
            )
            .await?
            {
                ClaimOutcome::Claimed(claim) => claim,
                ClaimOutcome::Suppressed { alerted_at } => {
                    tracing::info!(rule = %finding.rule, alerted_at, "alert suppressed: already sent");
                    deliveries.push(Delivery::Suppressed);
                    continue;
                }
            };
            let rendered = alert::render(finding);
            if let Err(error) = self.sink.publish(&rendered).await {
                if let Err(release_error) = alerts::release(&self.state, &claim).await {
                    tracing::error!(%release_error, "could not release the alert claim; the retry may stay silent");
                }
                return Err(AuditError::Publish {
                    error,
                    published: deliveries
                        .iter()
                        .filter(|d| **d == Delivery::Published)
                        .count(),
                    total: findings.len(),
                });
            }
            tracing::info!(alert = %alert::log_line(&rendered), rule = %finding.rule, "alert published");
            deliveries.push(Delivery::Published);
        }
        Ok(deliveries)
    }
}
