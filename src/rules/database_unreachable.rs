//! `database-unreachable`: no network path from the task to its database's port (issue 16):
//! the doctor's evaluation of security groups, network ACLs and routes
//! ([`crate::doctor::network`]) names what blocks it. A path the doctor could not decide is
//! `audit-incomplete` (`audit_incomplete::database_path_undecided`), never a pass.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::doctor::network::{Blocker, Path};
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::TaskContext;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::DatabaseUnreachable,
    severity: Severity::High,
    other_severities: &[],
    fires_when: "no network path leads from the task to its database's port: a security group, a network ACL or a missing route between VPCs blocks it (the doctor's evaluation, which names the blocking rule)",
    why: "The app cannot open a connection to its external database: it fails to start, or \
          retries and serves errors, or (for an app that falls back) runs on its embedded \
          database, whose data goes with the task.",
    console: &[ConsolePage::Databases],
    suppression: Suppression::Window,
    from_log: None,
};

/// One finding per blocked path the doctor evaluated for the task.
pub(crate) fn database_unreachable(task: &TaskContext) -> Vec<Finding> {
    task.database_paths
        .iter()
        .filter_map(|evaluated| {
            let Path::Blocked(blocker) = &evaluated.path else {
                return None;
            };
            let mut finding = Finding::new(
                RuleId::DatabaseUnreachable,
                RULE.severity,
                format!(
                    "container {} cannot reach {} on port {}: {}",
                    evaluated.container,
                    evaluated.database,
                    evaluated.port,
                    blocker.describe()
                ),
            );
            finding.location = Location {
                container: Some(evaluated.container.clone()),
                ..task.location()
            };
            finding.evidence = vec![blocker.describe()];
            finding
                .facts
                .insert("database".to_string(), evaluated.database.clone());
            finding.fix = vec![fix(blocker, evaluated.port)];
            Some(finding)
        })
        .collect()
}

fn fix(blocker: &Blocker, port: u16) -> String {
    match blocker {
        Blocker::DatabaseIngress { groups, .. } => format!(
            "Add an inbound rule to security group {}: TCP {port} from the task's security group (a group reference keeps working when the task's address changes).",
            groups
                .first()
                .map(String::as_str)
                .unwrap_or("of the database")
        ),
        Blocker::TaskEgress { groups, .. } => format!(
            "Add an outbound rule to security group {}: TCP {port} to the database's security group.",
            groups.first().map(String::as_str).unwrap_or("of the task")
        ),
        Blocker::Acl { acl, subnet, .. } => format!(
            "In network ACL {acl} (subnet {subnet}), allow TCP {port} towards the database and the replies on ports 1024-65535, with a rule number below the one that denies them."
        ),
        Blocker::Port { listens, .. } => format!(
            "Write port {listens} in the database setting (the endpoint's port, as the RDS console shows it)."
        ),
        Blocker::ProxyTarget {
            proxy,
            target: None,
            ..
        } => format!(
            "Register the database with the proxy: aws rds register-db-proxy-targets --db-proxy-name {proxy} --db-instance-identifiers <instance> (or --db-cluster-identifiers <cluster>)."
        ),
        Blocker::ProxyTarget {
            target: Some(target),
            reason: Some(reason),
            ..
        } if reason == "AUTH_FAILURE" => format!(
            "The proxy cannot sign in to {target} with the credentials of its Secrets Manager secret: put the database user's current user name and password in that secret, and let the proxy's IAM role read it (and decrypt it with its key)."
        ),
        Blocker::ProxyTarget {
            target: Some(target),
            proxy_groups,
            ..
        } => format!(
            "Add an inbound rule to the security group of {target}: TCP on its port from the proxy's security group {}.",
            proxy_groups
                .first()
                .map(String::as_str)
                .unwrap_or("(see the proxy's VPC security groups)")
        ),
        Blocker::Route { from_subnet, to } => format!(
            "Give the route table of subnet {from_subnet} a route to {to}, and the other side one back, through a VPC peering connection or a transit gateway."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DatabasePath;
    use crate::rules::testing::*;

    #[test]
    fn a_blocked_path_names_the_group_and_its_fix_an_undecided_one_could_not_be_decided() {
        let mut task = task_with(serde_json::json!({
            "family": "coder", "revision": 1,
            "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0"}]
        }));
        task.database_paths = vec![
            DatabasePath {
                container: "coder".to_string(),
                database: "RDS instance coder-postgres".to_string(),
                port: 5432,
                path: Path::Blocked(Blocker::DatabaseIngress {
                    groups: vec!["sg-coder-db".to_string()],
                    port: 5432,
                }),
                instance: None,
                iam_connect: None,
            },
            DatabasePath {
                container: "coder".to_string(),
                database: "RDS instance other".to_string(),
                port: 5432,
                path: Path::Undecided("a prefix list".to_string()),
                instance: None,
                iam_connect: None,
            },
        ];
        let findings = database_unreachable(&task);
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].summary.contains("sg-coder-db"),
            "{}",
            findings[0].summary
        );
        assert!(
            findings[0].fix[0]
                .starts_with("Add an inbound rule to security group sg-coder-db: TCP 5432")
        );
        assert!(crate::rules::severity_declared(&findings[0]));
        assert!(rules_fired(&task).contains(&RuleId::DatabaseUnreachable));
        // The undecided path is said, not passed.
        let all =
            crate::rules::evaluate_task(&task, &crate::profiles::Profiles::built_in().unwrap());
        let undecided: Vec<_> = all
            .iter()
            .filter(|finding| finding.rule == RuleId::AuditIncomplete)
            .collect();
        assert_eq!(undecided.len(), 1, "{all:#?}");
        assert!(
            undecided[0].summary.starts_with(
                "could not decide whether container coder reaches RDS instance other on port 5432: a prefix list"
            ),
            "{}",
            undecided[0].summary
        );
    }

    #[test]
    fn beyond_a_proxy_the_fix_is_the_targets_group_or_the_proxys_secret() {
        let blocker = |reason: &str| Blocker::ProxyTarget {
            proxy: "coder-proxy".to_string(),
            proxy_groups: vec!["sg-proxy".to_string()],
            target: Some("coder-postgres".to_string()),
            reason: Some(reason.to_string()),
            description: None,
        };
        assert_eq!(
            fix(&blocker("UNREACHABLE"), 5432),
            "Add an inbound rule to the security group of coder-postgres: TCP on its port from the proxy's security group sg-proxy."
        );
        assert!(
            fix(&blocker("AUTH_FAILURE"), 5432)
                .starts_with("The proxy cannot sign in to coder-postgres with the credentials of its Secrets Manager secret")
        );
        let lonely = Blocker::ProxyTarget {
            proxy: "coder-proxy".to_string(),
            proxy_groups: Vec::new(),
            target: None,
            reason: None,
            description: None,
        };
        assert!(
            fix(&lonely, 5432).contains("register-db-proxy-targets --db-proxy-name coder-proxy")
        );
    }
}
