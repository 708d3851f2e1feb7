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
