//! The doctor in the RUNNING audit (issue 16): for each profiled container whose database
//! address the auditor knows (a URL, JDBC URL, DSN or host setting, plain or read from its
//! secret) and names an RDS endpoint, the network path from the task's interface to it on the
//! port the setting names, for `database-unreachable`. A read that fails is an audit gap,
//! never a pass.

use super::Auditor;
use crate::container::AppContainer;
use crate::container::storage::container_app;
use crate::doctor::endpoint::rds_endpoint;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::model::{AuditGap, DatabasePath, TaskContext};
use crate::publish::AlertSink;

const NETWORK_CHECKS: &str = "database-unreachable (the network path to the database)";

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// `database-connection-failing` from the logs gets the doctor's answer in its alert: the
    /// network path from the task's interface to the database its settings name (blocked, and
    /// by what; open, so the cause is elsewhere; or could not decide), and IAM authentication.
    pub(super) async fn diagnose_connection_failures(
        &self,
        findings: &mut [crate::finding::Finding],
        location: &crate::finding::Location,
        interface: Option<&str>,
    ) {
        use crate::finding::RuleId;
        if !findings
            .iter()
            .any(|finding| finding.rule == RuleId::DatabaseConnectionFailing)
        {
            return;
        }
        let (Some(arn), Some(interface)) = (&location.task_definition, interface) else {
            return;
        };
        let mut task = TaskContext {
            task_definition_arn: arn.clone(),
            task_arn: location.task.clone().unwrap_or_default(),
            ..Default::default()
        };
        self.add_task_definition(&mut task, NETWORK_CHECKS).await;
        if task.task_definition.is_none() {
            return;
        }
        self.add_database_paths(&mut task, interface).await;
        let diagnosis: Vec<crate::finding::Finding> =
            crate::rules::evaluate_task(&task, &self.profiles)
                .into_iter()
                .filter(|found| {
                    matches!(
                        found.rule,
                        RuleId::DatabaseUnreachable | RuleId::DatabaseAuthMisconfigured
                    ) || (found.rule == RuleId::AuditIncomplete
                        && found
                            .facts
                            .get("skipped_checks")
                            .is_some_and(|skipped| skipped.contains("database-unreachable")))
                })
                .collect();
        // The network first: nothing else matters while no packet gets through.
        let mut diagnosis = diagnosis;
        diagnosis.sort_by_key(|found| found.rule != RuleId::DatabaseUnreachable);
        for finding in findings
            .iter_mut()
            .filter(|finding| finding.rule == RuleId::DatabaseConnectionFailing)
        {
            let container = finding.location.container.clone();
            let mine = |found: &crate::finding::Finding| {
                container.is_none() || found.location.container == container
            };
            let diagnosed: Vec<crate::finding::Finding> = diagnosis
                .iter()
                .filter(|found| mine(found))
                .cloned()
                .collect();
            finding.attach_diagnosis(&diagnosed);
            let paths: Vec<&crate::model::DatabasePath> = task
                .database_paths
                .iter()
                .filter(|path| {
                    container
                        .as_deref()
                        .is_none_or(|name| name == path.container)
                })
                .collect();
            for path in &paths {
                if let crate::doctor::network::Path::Open(_) = path.path {
                    let open = format!(
                        "diagnosis: the network path to {} on port {} is open (security groups, network ACLs, routes)",
                        path.database, path.port
                    );
                    finding.evidence.push(if diagnosed.is_empty() {
                        format!("{open}: the cause is elsewhere (the address, credentials, database name or TLS)")
                    } else {
                        open
                    });
                }
            }
            if paths.is_empty() {
                finding.evidence.push(
                    "diagnosis: could not decide: the network path was not checked, as the database's address is not known to the auditor (inside a secret not read, or not an RDS or Aurora endpoint)".to_string(),
                );
            }
        }
    }

    /// Fills `task.database_paths` from the task's network interface.
    pub(super) async fn add_database_paths(&self, task: &mut TaskContext, interface: &str) {
        let Some(definition) = task.task_definition.clone() else {
            return;
        };
        let mut wanted: Vec<(String, String, Option<u16>)> = Vec::new();
        for container in &definition.container_definitions {
            let Some((container, profile)) =
                container_app(&definition, &container.name, &self.profiles)
            else {
                continue;
            };
            let app = AppContainer::new(task, &definition, container, profile);
            // URL settings, host settings of a group, and near misses (the seed's
            // `CODER_POSTGRES_URL` names the database meant: whether the task could reach it
            // is worth knowing before the setting is renamed).
            for setting in app.address_settings() {
                let Some((host, port)) = app.known_value(&setting).and_then(rds_endpoint) else {
                    continue;
                };
                // A port of its own beside a host setting (`DB_POSTGRESDB_PORT` beside
                // `DB_POSTGRESDB_HOST`, `KC_DB_URL_PORT` beside `KC_DB_URL_HOST`).
                let port = port.or_else(|| {
                    let sibling = setting.name.replace("HOST", "PORT");
                    (sibling != setting.name)
                        .then(|| {
                            app.container
                                .environment
                                .iter()
                                .find(|variable| variable.name == sibling)
                        })
                        .flatten()
                        .and_then(|variable| variable.value.trim().parse().ok())
                });
                if !wanted
                    .iter()
                    .any(|(name, known, _)| *name == container.name && *known == host)
                {
                    wanted.push((container.name.clone(), host, port));
                }
            }
        }
        for (container, host, port) in wanted {
            match self.inventory.database_path(interface, &host, port).await {
                Ok(Some(found)) => task.database_paths.push(DatabasePath {
                    container,
                    database: found.database,
                    port: found.port,
                    path: found.path,
                    instance: found.instance,
                }),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "network path unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: NETWORK_CHECKS,
                    });
                }
            }
        }
    }
}
