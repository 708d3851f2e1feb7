//! Detection rules: pure functions from typed contexts to [`crate::finding::Finding`]s, one
//! file per rule id (its declaration, its check, its remediation text and its tests). No I/O
//! happens here; everything a rule needs is in its argument. This module is the registry: the
//! [`CATALOG`] of every rule's declaration, and the configuration rules for a task in order
//! ([`evaluate_task`]); the audit runs the others where their event arrives (a stopped task, a
//! log batch through [`logs::findings`]).
//!
//! To add a rule: its `RuleId` variant (`finding.rs`), its file here with its `RULE` declaration, and
//! one line each in the `mod` list, the [`CATALOG`] and where it runs.

pub(crate) mod audit_incomplete;
pub(crate) mod credentials_in_logs;
pub(crate) mod data_lost_on_stop;
pub(crate) mod data_store_unprotected;
pub(crate) mod database_auth_misconfigured;
pub(crate) mod database_connection_failing;
pub(crate) mod database_setting_invalid;
pub(crate) mod database_setting_misnamed;
pub(crate) mod database_unreachable;
pub(crate) mod database_url_malformed;
pub mod declaration;
pub(crate) mod embedded_database_in_use;
pub(crate) mod endpoint_without_load_balancer;
pub(crate) mod ephemeral_data_directory;
pub mod logs;
pub(crate) mod no_external_database;
pub(crate) mod persistence_removed;
pub(crate) mod plaintext_database_credentials;
pub(crate) mod public_ip_changed;
pub(crate) mod remediation;
pub(crate) mod secret_not_readable;
pub(crate) mod secret_reference_broken;
pub(crate) mod secret_reference_malformed;
pub(crate) mod task_failed_to_start;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
pub(crate) mod volatile_storage_acknowledged;

use crate::container::AppContainer;
use crate::finding::{Finding, RuleId};
use crate::model::TaskContext;
use crate::profiles::command::RunsAs;
use audit_incomplete::{audit_incomplete, command_unknown, database_undecided};
use database_setting_invalid::database_setting_invalid;
use database_setting_misnamed::database_setting_misnamed;
use database_url_malformed::database_url_malformed;
use declaration::RuleInfo;
use endpoint_without_load_balancer::endpoint_without_load_balancer;
use ephemeral_data_directory::ephemeral_data_directory;
use no_external_database::no_external_database;
use plaintext_database_credentials::plaintext_database_credentials;
use secret_reference_malformed::secret_reference_malformed;
use volatile_storage_acknowledged::volatile_storage_acknowledged;

/// Every rule's declaration, in the order of the README's rule catalog.
pub const CATALOG: [&RuleInfo; 22] = [
    &embedded_database_in_use::RULE,
    &database_setting_misnamed::RULE,
    &database_setting_invalid::RULE,
    &no_external_database::RULE,
    &ephemeral_data_directory::RULE,
    &database_url_malformed::RULE,
    &plaintext_database_credentials::RULE,
    &secret_reference_malformed::RULE,
    &volatile_storage_acknowledged::RULE,
    &database_connection_failing::RULE,
    &credentials_in_logs::RULE,
    &endpoint_without_load_balancer::RULE,
    &public_ip_changed::RULE,
    &data_lost_on_stop::RULE,
    &task_failed_to_start::RULE,
    &audit_incomplete::RULE,
    &persistence_removed::RULE,
    &database_unreachable::RULE,
    &secret_not_readable::RULE,
    &secret_reference_broken::RULE,
    &data_store_unprotected::RULE,
    &database_auth_misconfigured::RULE,
];

/// The declaration of `rule`.
pub fn info(rule: RuleId) -> &'static RuleInfo {
    CATALOG
        .iter()
        .find(|info| info.id == rule)
        .expect("every rule has a catalog entry (tested)")
}

/// Whether `finding` carries its rule's declared severity or a declared other one.
pub fn severity_declared(finding: &Finding) -> bool {
    info(finding.rule).allows(finding.severity)
}

/// The doctor's secret verdicts for a task (`TaskContext::secret_diagnoses`): broken
/// references, reads the execution role may not make, and what it could not decide.
pub fn secret_diagnoses(task: &TaskContext) -> Vec<Finding> {
    let mut findings = secret_reference_broken::secret_reference_broken(task);
    findings.extend(secret_not_readable::secret_not_readable(task));
    findings.extend(audit_incomplete::secret_undecided(task));
    findings
}

/// All configuration rules for one task.
pub fn evaluate_task(task: &TaskContext, profiles: &crate::profiles::Profiles) -> Vec<Finding> {
    let mut findings = audit_incomplete(task);
    let Some(definition) = &task.task_definition else {
        return findings;
    };
    for container in &definition.container_definitions {
        let names: Vec<&str> = container.setting_names().collect();
        let app = profiles
            .recognise(&container.image, &names)
            .map(|profile| AppContainer::new(task, definition, container, profile));
        findings.extend(plaintext_database_credentials(
            task,
            definition,
            container,
            app.as_ref(),
        ));
        let Some(app) = app else { continue };
        findings.extend(evaluate_app(&app));
    }
    findings.extend(database_unreachable::database_unreachable(task));
    findings.extend(audit_incomplete::database_path_undecided(task));
    findings.extend(audit_incomplete::iam_connect_undecided(task));
    findings.extend(data_store_unprotected::data_store_unprotected(task));
    findings.extend(secret_diagnoses(task));
    advise_load_balancer(task, &mut findings);
    findings.extend(endpoint_without_load_balancer(task));
    findings
}

/// A planned change to a task definition: the configuration rules on the new one, and what
/// the change takes away from the old one (`persistence-removed`). `resource` names it.
pub fn evaluate_change(
    before: &crate::model::TaskDefinition,
    after: &TaskContext,
    resource: &str,
    profiles: &crate::profiles::Profiles,
) -> Vec<Finding> {
    let mut findings = evaluate_task(after, profiles);
    if let Some(definition) = &after.task_definition {
        findings.extend(persistence_removed::persistence_removed(
            before, definition, resource, profiles,
        ));
    }
    findings
}

/// The rules for one profiled container, as far as its role calls for them: a workspace
/// proxy opens no database and keeps no data, a migration job opens the database but keeps
/// nothing, a command the profile does not know gets no verdict.
fn evaluate_app(app: &AppContainer) -> Vec<Finding> {
    let runs_as = app.runs_as();
    if let RunsAs::Unknown { command_line } = &runs_as {
        return vec![command_unknown(app, command_line)];
    }
    let mut findings = Vec::new();
    if runs_as.opens_database() {
        findings.extend(database_setting_misnamed(app));
        findings.extend(database_setting_invalid(app));
        if runs_as.keeps_data() {
            findings.extend(no_external_database(app));
        }
        findings.extend(database_undecided(app));
        findings.extend(database_url_malformed(app));
        findings.extend(secret_reference_malformed(app));
        findings.extend(database_auth_misconfigured::database_auth_misconfigured(
            app,
        ));
    }
    if runs_as.keeps_data() {
        findings.extend(ephemeral_data_directory(app));
        findings.extend(data_store_unprotected::efs_unprotected(app));
        findings.extend(volatile_storage_acknowledged(app));
    }
    findings
}

/// The seed's third fix: data that dies with the task goes hand in hand with an address that
/// changes with it when no load balancer fronts the service.
fn advise_load_balancer(task: &TaskContext, findings: &mut [Finding]) {
    let Some(service) = &task.service else { return };
    if service.load_balancers > 0 || service.service_registries > 0 {
        return;
    }
    for finding in findings.iter_mut().filter(|finding| {
        matches!(
            finding.rule,
            RuleId::DatabaseSettingMisnamed
                | RuleId::DatabaseSettingInvalid
                | RuleId::NoExternalDatabase
                | RuleId::EphemeralDataDirectory
        )
    }) {
        finding.fix.push(remediation::load_balancer(&service.name));
    }
}
