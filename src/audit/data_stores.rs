//! The doctor's data-store check in the RUNNING audit and `doctor` (issue 16): for a profiled
//! app that keeps its own data (its embedded database) on an EFS file system, whether that file
//! system has automatic backups (`Inventory::file_system_backup`), for
//! `data-store-unprotected`. A read that fails is an audit gap, never a pass.

use super::Auditor;
use crate::container::AppContainer;
use crate::container::storage::profiled_containers;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::model::{AuditGap, TaskContext};
use crate::publish::AlertSink;

const FILE_SYSTEM_CHECKS: &str = "data-store-unprotected (the EFS file system's backups)";

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// Fills `task.file_system_backups`.
    pub(super) async fn add_file_system_backups(&self, task: &mut TaskContext) {
        let Some(definition) = task.task_definition.clone() else {
            return;
        };
        let mut wanted: Vec<String> = Vec::new();
        for (container, profile) in profiled_containers(&definition, &self.profiles) {
            let app = AppContainer::new(task, &definition, container, profile);
            if !app.keeps_data_in_container() {
                continue;
            }
            if let Some(file_system) = app.data_file_system()
                && !wanted.contains(&file_system)
            {
                wanted.push(file_system);
            }
        }
        for file_system in wanted {
            match self.inventory.file_system_backup(&file_system).await {
                Ok(Some(on)) => {
                    task.file_system_backups.insert(file_system, on);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "EFS backup policy unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: FILE_SYSTEM_CHECKS,
                    });
                }
            }
        }
    }
}
