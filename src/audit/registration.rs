//! A task definition was registered (CloudTrail `RegisterTaskDefinition`): the configuration
//! rules on the new revision, before any task runs it, so the alert comes before users create
//! data the next deployment would destroy. The same finding on the same revision is not alerted
//! again when a task of it starts (`memory::alerts`).

use super::{Auditor, TASK_DEFINITION_CHECKS};
use crate::events::cloudtrail::ApiCall;
use crate::events::ecs::EcsEvent;
use crate::finding::Finding;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::model::{TaskContext, short_task_definition};
use crate::publish::AlertSink;
use crate::rules;

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    pub(super) async fn audit_registration(&self, event: &EcsEvent<ApiCall>) -> Vec<Finding> {
        let arn = event
            .detail
            .registered_task_definition()
            .unwrap_or_default()
            .to_string();
        let mut task = TaskContext {
            origin: event.origin.clone(),
            task_definition_arn: arn.clone(),
            ..Default::default()
        };
        self.add_task_definition(&mut task, TASK_DEFINITION_CHECKS)
            .await;
        let revision = short_task_definition(&arn).to_string();
        announced(
            rules::evaluate_task(&task, &self.profiles),
            &format!("{revision} was registered"),
            event
                .detail
                .caller()
                .map(|caller| format!("registered by {caller}, before any task of it ran")),
        )
    }
}

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// A service was created or pointed at a revision (CloudTrail `CreateService` or
    /// `UpdateService`): the configuration rules on that revision, in the service, before its
    /// new tasks start. Their RUNNING, same service and same facts, is then suppressed as usual.
    pub(super) async fn audit_service_deployed(&self, event: &EcsEvent<ApiCall>) -> Vec<Finding> {
        let (cluster_arn, service, arn) = event.detail.deployed_service().unwrap_or_default();
        let mut task = TaskContext {
            origin: event.origin.clone(),
            cluster_arn: cluster_arn.to_string(),
            task_definition_arn: arn.to_string(),
            group: Some(format!("service:{service}")),
            ..Default::default()
        };
        self.add_task_definition(&mut task, TASK_DEFINITION_CHECKS)
            .await;
        self.add_service(&mut task).await;
        let revision = short_task_definition(arn).to_string();
        let action = if event.detail.event_name == crate::events::cloudtrail::CREATE_SERVICE {
            "was created on"
        } else {
            "was pointed at"
        };
        announced(
            rules::evaluate_task(&task, &self.profiles),
            &format!("{service} {action} {revision}"),
            event
                .detail
                .caller()
                .map(|caller| format!("{} by {caller}", event.detail.event_name)),
        )
    }
}

/// Findings of an API call: each summary says what the call did (`what: ...`), and who made it
/// joins the evidence.
fn announced(findings: Vec<Finding>, what: &str, who: Option<String>) -> Vec<Finding> {
    findings
        .into_iter()
        .map(|mut finding| {
            finding.summary = format!("{what}: {}", finding.summary);
            finding.evidence.extend(who.clone());
            finding
        })
        .collect()
}
