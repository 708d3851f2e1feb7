//! `public-ip-changed`: a single-task service's new task has another public IP than the last one recorded.

use super::declaration::{RuleInfo, Suppression};
use super::endpoint_without_load_balancer::has_stable_address;
use super::remediation;
use crate::finding::{Finding, RuleId, Severity};
use crate::model::{TaskContext, resource_name};

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::PublicIpChanged,
    severity: Severity::Medium,
    other_severities: &[(
        Severity::High,
        "the service has no load balancer and no service discovery",
    )],
    fires_when: "a single-task service's new task has another public IP than the last one recorded (high when the service has no load balancer); the first sighting is recorded silently",
    why: "Whoever reaches the app by its IP address (users, DNS records, webhooks, the app's own \
          access URL) is now pointed at nothing, or at someone else's task.",
    console: &[],
    suppression: Suppression::Window,
    from_log: None,
};

/// A public IP seen on a service's task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IpSighting {
    pub ip: String,
    pub task_arn: String,
    /// The deployment that started the task (`startedBy`, `ecs-svc/...`).
    pub deployment: Option<String>,
}

/// `public-ip-changed`: a single-task service's new task answers at another public IP.
pub(crate) fn public_ip_changed(
    task: &TaskContext,
    previous: Option<&IpSighting>,
    current: &IpSighting,
) -> Option<Finding> {
    let service = task.service.as_ref()?;
    let previous = previous?;
    if previous.ip == current.ip
        || previous.task_arn == current.task_arn
        || service.desired_count > 1
    {
        return None;
    }
    let severity = if has_stable_address(task) {
        RULE.severity
    } else {
        Severity::High
    };
    let mut finding = Finding::new(
        RuleId::PublicIpChanged,
        severity,
        format!("public IP changed from {} to {}", previous.ip, current.ip),
    );
    finding.location = task.location();
    finding.evidence = vec![
        format!(
            "before: {} on task {}",
            previous.ip,
            resource_name(&previous.task_arn)
        ),
        format!(
            "now: {} on task {}{}",
            current.ip,
            resource_name(&current.task_arn),
            current
                .deployment
                .as_deref()
                .map(|deployment| format!(", started by deployment {deployment}"))
                .unwrap_or_default()
        ),
    ];
    finding = finding
        .with_fact("old_ip", previous.ip.clone())
        .with_fact("new_ip", current.ip.clone());
    if let Some(deployment) = &current.deployment {
        finding = finding.with_fact("deployment", deployment.clone());
    }
    finding.fix = if has_stable_address(task) {
        vec![
            "Reach the service through its load balancer or Cloud Map name, never the task IP."
                .to_string(),
        ]
    } else {
        vec![
            remediation::load_balancer(&service.name),
            "Until then, update whatever points at the old IP (DNS records, bookmarks, the app's access URL).".to_string(),
        ]
    };
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    fn sighting(ip: &str, task: &str) -> IpSighting {
        IpSighting {
            ip: ip.to_string(),
            task_arn: format!("arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/{task}"),
            deployment: Some("ecs-svc/9876543210987654321".to_string()),
        }
    }

    #[test]
    fn ip_changes_name_both_addresses() {
        let before = sighting("54.1.1.1", "aaaa");
        let after = sighting("54.2.2.2", "bbbb");
        let finding = public_ip_changed(&task(1, Some(true), 0), Some(&before), &after).unwrap();
        assert_eq!(finding.severity, Severity::High);
        assert!(finding.summary.contains("from 54.1.1.1 to 54.2.2.2"));
        assert_eq!(finding.facts["deployment"], "ecs-svc/9876543210987654321");
        let with_lb = public_ip_changed(&task(1, Some(true), 1), Some(&before), &after).unwrap();
        assert_eq!(with_lb.severity, Severity::Medium);
    }

    #[test]
    fn first_sightings_same_ips_and_multi_task_services_are_quiet() {
        let before = sighting("54.1.1.1", "aaaa");
        assert!(public_ip_changed(&task(1, Some(true), 0), None, &before).is_none());
        assert!(
            public_ip_changed(
                &task(1, Some(true), 0),
                Some(&before),
                &sighting("54.1.1.1", "bbbb")
            )
            .is_none()
        );
        assert!(
            public_ip_changed(
                &task(1, Some(true), 0),
                Some(&before),
                &sighting("54.9.9.9", "aaaa")
            )
            .is_none()
        );
        assert!(
            public_ip_changed(
                &task(2, Some(true), 0),
                Some(&before),
                &sighting("54.9.9.9", "bbbb")
            )
            .is_none()
        );
    }
}
