//! `endpoint-without-load-balancer`: a service's tasks get a public IP with no load balancer and no service discovery, so its address changes with every deployment.

use super::declaration::{RuleInfo, Suppression};
use super::remediation;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::{TaskContext, resource_name};

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::EndpointWithoutLoadBalancer,
    severity: Severity::Medium,
    other_severities: &[],
    fires_when: "a service's tasks get a public IP (assignPublicIp ENABLED) with no load balancer and no service discovery; once per service until its configuration changes",
    why: "Users reach the app at the task's public IP, and every deployment, restart or host \
          replacement starts a new task with a new IP: bookmarks, DNS records and \
          CODER_ACCESS_URL-style settings break each time.",
    console: &[],
    suppression: Suppression::OncePerConfiguration,
    from_log: None,
};

fn service_location(task: &TaskContext) -> Option<Location> {
    let service = task.service.as_ref()?;
    Some(Location {
        account: task.location().account,
        region: task.region().map(str::to_string),
        cluster: Some(resource_name(&task.cluster_arn).to_string()).filter(|c| !c.is_empty()),
        service: Some(service.name.clone()),
        ..Default::default()
    })
}

pub(super) fn has_stable_address(task: &TaskContext) -> bool {
    task.service
        .as_ref()
        .is_some_and(|service| service.load_balancers > 0 || service.service_registries > 0)
}

/// `endpoint-without-load-balancer`: tasks get a public IP and nothing stable fronts them.
pub(crate) fn endpoint_without_load_balancer(task: &TaskContext) -> Option<Finding> {
    let service = task.service.as_ref()?;
    if service.assign_public_ip != Some(true) || has_stable_address(task) {
        return None;
    }
    let mut finding = Finding::new(
        RuleId::EndpointWithoutLoadBalancer,
        RULE.severity,
        "no load balancer: its public IP changes with every deployment".to_string(),
    );
    finding.location = service_location(task)?;
    finding.evidence = vec![format!(
        "assignPublicIp ENABLED, no load balancer, no service discovery (desired count {})",
        service.desired_count
    )];
    finding = finding
        .with_fact("assign_public_ip", "ENABLED")
        .with_fact("load_balancers", "0")
        .with_fact("service_registries", "0");
    finding.fix = vec![
        remediation::load_balancer(&service.name),
        "Point DNS (and the app's access URL setting) at the load balancer, not at a task IP."
            .to_string(),
    ];
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn public_endpoints_without_a_load_balancer() {
        let finding = endpoint_without_load_balancer(&task(1, Some(true), 0)).unwrap();
        assert_eq!(finding.location.service.as_deref(), Some("coder-service"));
        assert_eq!(
            finding.location.task, None,
            "one finding per service, not per task"
        );
        assert!(endpoint_without_load_balancer(&task(1, Some(true), 1)).is_none());
        assert!(endpoint_without_load_balancer(&task(1, Some(false), 0)).is_none());
        assert!(endpoint_without_load_balancer(&task(1, None, 0)).is_none());
    }
}
