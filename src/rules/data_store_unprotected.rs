//! `data-store-unprotected`: the RDS instance a profiled app's database URL names keeps no
//! automated backups (`BackupRetentionPeriod` 0) or may be deleted without a second step
//! (`DeletionProtection` false): one mistaken delete or `terraform destroy` and the data the
//! external database was meant to keep is gone after all (issue 16; the seed's best practice
//! "Set up database backups with RDS automated backups"). Read from `DescribeDBInstances`
//! by the doctor; an instance it did not find gives no verdict.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::TaskContext;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::DataStoreUnprotected,
    severity: Severity::Medium,
    other_severities: &[],
    fires_when: "the RDS instance or Aurora cluster the app's database address names has automated backups off (backup retention 0 days) or deletion protection off, or the EFS file system that holds an app's own database has automatic backups off (read by the doctor from DescribeDBInstances, DescribeDBClusters, DescribeBackupPolicy)",
    why: "The app's data lives in that database now: without automated backups a mistaken \
          change cannot be undone, and without deletion protection one delete (or a \
          `terraform destroy`) takes the instance and its data with it.",
    console: &[ConsolePage::Databases],
    suppression: Suppression::Window,
    from_log: None,
};

/// `data-store-unprotected` for an app that keeps its own data (its embedded database) on an
/// EFS file system whose automatic backups are off.
pub(crate) fn efs_unprotected(app: &crate::container::AppContainer) -> Option<Finding> {
    if !app.keeps_data_in_container() {
        return None;
    }
    let file_system = app.data_file_system()?;
    if app.task.file_system_backups.get(&file_system) != Some(&false) {
        return None;
    }
    let what = format!("its {}", app.facts.embedded_database);
    let mut finding = app.finding(
        RuleId::DataStoreUnprotected,
        RULE.severity,
        format!(
            "{} keeps {what} on EFS file system {file_system}, whose automatic backups are off",
            app.profile.name
        ),
    );
    finding.evidence = vec![
        format!("{file_system}: no EFS backup policy enabled (DescribeBackupPolicy)"),
        "a backup plan of your own in AWS Backup that covers it is not visible here".to_string(),
    ];
    finding
        .facts
        .insert("file_system".to_string(), file_system.clone());
    finding.fix = vec![format!(
        "Turn on automatic backups: aws efs put-backup-policy --file-system-id {file_system} --backup-policy Status=ENABLED (Terraform: aws_efs_backup_policy), or cover it with an AWS Backup plan."
    )];
    Some(finding)
}

/// One finding per unprotected instance the task's apps use.
pub(crate) fn data_store_unprotected(task: &TaskContext) -> Vec<Finding> {
    let mut seen: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    let stores = task.database_paths.iter().flat_map(|evaluated| {
        evaluated
            .instance
            .iter()
            .flat_map(|instance| instance.data_stores())
            .map(move |instance| (evaluated, instance))
    });
    for (evaluated, instance) in stores {
        if seen.contains(&instance.id.as_str()) {
            continue;
        }
        seen.push(&instance.id);
        let no_backups = instance.backup_retention_days == Some(0);
        let deletable = instance.deletion_protection == Some(false);
        if !no_backups && !deletable {
            continue;
        }
        let mut lacks = Vec::new();
        let mut evidence = Vec::new();
        let mut fix = Vec::new();
        if no_backups {
            lacks.push("automated backups");
            evidence.push("BackupRetentionPeriod: 0 (automated backups off)".to_string());
            fix.push(format!(
                "Turn on automated backups: aws rds {} {} --backup-retention-period 7 --apply-immediately (Terraform: backup_retention_period = 7).",
                super::remediation::rds_modify(instance),
                instance.id
            ));
        }
        if deletable {
            lacks.push("deletion protection");
            evidence.push("DeletionProtection: false".to_string());
            fix.push(format!(
                "Turn on deletion protection: aws rds {} {} --deletion-protection (Terraform: deletion_protection = true).",
                super::remediation::rds_modify(instance),
                instance.id
            ));
        }
        let mut finding = Finding::new(
            RuleId::DataStoreUnprotected,
            RULE.severity,
            format!(
                "{}, which container {} uses, has no {}",
                instance.describe(),
                evaluated.container,
                lacks.join(" and no ")
            ),
        );
        finding.location = Location {
            container: Some(evaluated.container.clone()),
            ..task.location()
        };
        finding.evidence = evidence;
        finding
            .facts
            .insert("database".to_string(), instance.id.clone());
        finding.fix = fix;
        findings.push(finding);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::facts::DbInstance;
    use crate::doctor::network::Path;
    use crate::model::DatabasePath;
    use crate::rules::testing::*;

    fn instance(backups: u32, protected: bool) -> DbInstance {
        DbInstance {
            id: "coder-postgres".to_string(),
            address: "coder-postgres.abc.us-east-1.rds.amazonaws.com".to_string(),
            port: Some(5432),
            vpc_id: "vpc-1".to_string(),
            backup_retention_days: Some(backups),
            deletion_protection: Some(protected),
            iam_authentication: Some(false),
            engine: Some("postgres".to_string()),
            ..DbInstance::default()
        }
    }

    #[test]
    fn an_embedded_database_on_efs_without_backups_is_said() {
        let definition = |volume: serde_json::Value| {
            serde_json::json!({
                "family": "grafana", "revision": 1,
                "containerDefinitions": [{
                    "name": "grafana", "image": "grafana/grafana:11.2.0",
                    "mountPoints": [{"sourceVolume": "data", "containerPath": "/var/lib/grafana"}]
                }],
                "volumes": [volume]
            })
        };
        let efs = serde_json::json!({"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-123"}});
        let mut task = task_with(definition(efs.clone()));
        task.file_system_backups.insert("fs-123".to_string(), false);
        let found: Vec<_> = rules_fired(&task);
        assert!(found.contains(&RuleId::DataStoreUnprotected), "{found:?}");
        let findings = evaluate(&task, &crate::profiles::Profiles::built_in().unwrap());
        let finding = findings
            .iter()
            .find(|finding| finding.rule == RuleId::DataStoreUnprotected)
            .unwrap();
        assert_eq!(
            finding.summary,
            "Grafana keeps its SQLite database on EFS file system fs-123, whose automatic backups are off"
        );
        // Backups on, or not read: nothing.
        task.file_system_backups.insert("fs-123".to_string(), true);
        assert!(!rules_fired(&task).contains(&RuleId::DataStoreUnprotected));
        let unread = task_with(definition(efs));
        assert!(!rules_fired(&unread).contains(&RuleId::DataStoreUnprotected));
    }

    #[test]
    fn an_instance_without_backups_or_deletion_protection_is_said_once() {
        let mut task = task_with(serde_json::json!({
            "family": "coder", "revision": 1,
            "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0"}]
        }));
        let path = |instance| DatabasePath {
            container: "coder".to_string(),
            database: "RDS instance coder-postgres".to_string(),
            port: 5432,
            path: Path::Open(Vec::new()),
            instance,
            iam_connect: None,
        };
        task.database_paths = vec![
            path(Some(instance(0, false))),
            path(Some(instance(0, false))),
        ];
        let findings = data_store_unprotected(&task);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].summary,
            "RDS instance coder-postgres, which container coder uses, has no automated backups and no deletion protection"
        );
        assert_eq!(findings[0].fix.len(), 2);
        assert!(crate::rules::severity_declared(&findings[0]));
        assert!(rules_fired(&task).contains(&RuleId::DataStoreUnprotected));

        task.database_paths = vec![path(Some(instance(7, true))), path(None)];
        assert!(data_store_unprotected(&task).is_empty());
        task.database_paths = vec![path(Some(instance(7, false)))];
        assert_eq!(
            data_store_unprotected(&task)[0].summary,
            "RDS instance coder-postgres, which container coder uses, has no deletion protection"
        );
    }
}
