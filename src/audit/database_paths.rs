//! The doctor in the RUNNING audit (issue 16): for each profiled container whose database URL
//! the auditor sees and whose host is an RDS endpoint, the network path from the task's
//! interface to it, for `database-unreachable`. A read that fails is an audit gap, never a pass.

use super::Auditor;
use crate::container::AppContainer;
use crate::container::storage::container_app;
use crate::inspect::database_url;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::model::{AuditGap, DatabasePath, TaskContext};
use crate::publish::AlertSink;

const NETWORK_CHECKS: &str = "the network path to the database";

/// The RDS endpoint host of a database URL (`...rds.amazonaws.com`, the China partition's
/// `...rds.amazonaws.com.cn` too): the hosts the doctor can find an instance for.
fn rds_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host.ends_with(".rds.amazonaws.com") || host.ends_with(".rds.amazonaws.com.cn")
}

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// Fills `task.database_paths` from the task's network interface.
    pub(super) async fn add_database_paths(&self, task: &mut TaskContext, interface: &str) {
        let Some(definition) = task.task_definition.clone() else {
            return;
        };
        let mut wanted: Vec<(String, String)> = Vec::new();
        for container in &definition.container_definitions {
            let Some((container, profile)) =
                container_app(&definition, &container.name, &self.profiles)
            else {
                continue;
            };
            let app = AppContainer::new(task, &definition, container, profile);
            let Some(database) = app.database() else {
                continue;
            };
            // A near miss (the seed's `CODER_POSTGRES_URL`) names the database meant: whether
            // the task could reach it is worth knowing before the setting is renamed.
            for setting in app
                .database_settings_set()
                .into_iter()
                .chain(app.near_misses())
            {
                let Some(value) = app.known_value(&setting) else {
                    continue;
                };
                let inspection =
                    database_url::inspect(value, &database.url_schemes, database.key_value_dsn);
                // The inspection's host keeps its port (`host:5432`).
                let host = inspection.host.map(|host| match host.rsplit_once(':') {
                    Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => {
                        name.to_string()
                    }
                    _ => host,
                });
                if let Some(host) = host.filter(|host| rds_host(host)) {
                    wanted.push((container.name.clone(), host));
                }
            }
        }
        for (container, host) in wanted {
            match self.inventory.database_path(interface, &host).await {
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
