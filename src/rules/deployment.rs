//! Rules across deployments: what a single event cannot see alone. The pipeline reads the
//! remembered facts (last public IP, last running task, embedded database seen) and hands them
//! to these pure functions.

use super::remediation;
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::{TaskContext, resource_name, short_task_definition};

/// A public IP seen on a service's task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpSighting {
    pub ip: String,
    pub task_arn: String,
    /// The deployment that started the task (`startedBy`, `ecs-svc/...`).
    pub deployment: Option<String>,
}

/// The task a service ran most recently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    pub task_arn: String,
    pub task_definition: String,
    pub started_at: Option<String>,
    /// Its own data lives in the container too (it started on an empty embedded database).
    pub keeps_data_in_task: bool,
}

/// Why a stopped task's data lived inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataInTask {
    pub app: String,
    /// e.g. "its data directory /home/coder/.config/coderv2 had no EFS volume".
    pub reason: String,
}

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

fn has_stable_address(task: &TaskContext) -> bool {
    task.service
        .as_ref()
        .is_some_and(|service| service.load_balancers > 0 || service.service_registries > 0)
}

/// `endpoint-without-load-balancer`: tasks get a public IP and nothing stable fronts them.
pub fn endpoint_without_load_balancer(task: &TaskContext) -> Option<Finding> {
    let service = task.service.as_ref()?;
    if service.assign_public_ip != Some(true) || has_stable_address(task) {
        return None;
    }
    let mut finding = Finding::new(
        RuleId::EndpointWithoutLoadBalancer,
        Severity::Medium,
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

/// `public-ip-changed`: a single-task service's new task answers at another public IP.
pub fn public_ip_changed(
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
        Severity::Medium
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

/// `data-lost-on-stop`: a task whose data lived inside it has stopped.
pub fn data_lost_on_stop(
    task: &TaskContext,
    data: &DataInTask,
    replacement: Option<&Replacement>,
) -> Option<Finding> {
    let stop = task.stop.as_ref()?;
    let task_id = resource_name(&task.task_arn);
    let short_id: String = task_id.chars().take(8).collect();
    let mut finding = Finding::new(
        RuleId::DataLostOnStop,
        Severity::Critical,
        format!(
            "{}'s data in task {short_id} was lost when the task stopped",
            data.app
        ),
    );
    finding.app = Some(data.app.clone());
    finding.location = task.location();
    let why = match (stop.stop_code.as_deref(), stop.stopped_reason.as_deref()) {
        (Some(code), Some(reason)) => format!("{code}: {reason}"),
        (Some(code), None) => code.to_string(),
        (None, Some(reason)) => reason.to_string(),
        (None, None) => "no reason given".to_string(),
    };
    finding.evidence = vec![
        format!(
            "task {task_id} stopped{} ({})",
            stop.stopped_at
                .as_deref()
                .map(|at| format!(" at {at}"))
                .unwrap_or_default(),
            crate::redact::excerpt(&why, 300)
        ),
        format!(
            "what is gone: everything {} stored in the task: {}",
            data.app, data.reason
        ),
    ];
    finding.evidence.push(match replacement {
        Some(next) if next.keeps_data_in_task => format!(
            "replacement task {} ({}) started{} on an empty database: its data lives in the container too",
            resource_name(&next.task_arn),
            short_task_definition(&next.task_definition),
            next.started_at.as_deref().map(|at| format!(" at {at}")).unwrap_or_default()
        ),
        Some(next) => format!(
            "replacement task {} ({}) uses an external database, which does not hold what this task stored",
            resource_name(&next.task_arn),
            short_task_definition(&next.task_definition)
        ),
        None => "no replacement task of this service has been seen".to_string(),
    });
    finding = finding.with_fact("stopped_task", task.task_arn.clone());
    if let Some(code) = &stop.stop_code {
        finding = finding.with_fact("stop_code", code.clone());
    }
    if let Some(deployment) = stop.deployment() {
        finding = finding.with_fact("deployment", deployment.to_string());
    }
    if let Some(next) = replacement {
        finding = finding.with_fact("replacement_task", next.task_arn.clone());
    }
    finding.fix = vec![
        "If anyone exported the data before the stop, restore it into the external database now."
            .to_string(),
        format!(
            "Make sure the running task definition gives {} an external database (or EFS at its data directory) before users recreate their work.",
            data.app
        ),
    ];
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Service, StopFacts};

    fn task(desired: i32, public: Option<bool>, load_balancers: usize) -> TaskContext {
        TaskContext {
            cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster".to_string(),
            task_arn: "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".to_string(),
            task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:2".to_string(),
            group: Some("service:coder-service".to_string()),
            service: Some(Service {
                name: "coder-service".to_string(),
                assign_public_ip: public,
                load_balancers,
                desired_count: desired,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn sighting(ip: &str, task: &str) -> IpSighting {
        IpSighting {
            ip: ip.to_string(),
            task_arn: format!("arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/{task}"),
            deployment: Some("ecs-svc/9876543210987654321".to_string()),
        }
    }

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

    #[test]
    fn a_stopped_ephemeral_task_says_what_when_why_and_what_replaced_it() {
        let mut stopped = task(1, Some(true), 0);
        stopped.stop = Some(StopFacts {
            stop_code: Some("ServiceSchedulerInitiated".to_string()),
            stopped_reason: Some(
                "Scaling activity initiated by (deployment ecs-svc/9876543210987654321)"
                    .to_string(),
            ),
            stopped_at: Some("2026-11-24T04:31:05.220Z".to_string()),
            started_at: Some("2026-11-24T03:12:40.000Z".to_string()),
            ..Default::default()
        });
        let data = DataInTask {
            app: "Coder".to_string(),
            reason: "its built-in PostgreSQL in /home/coder/.config/coderv2/postgres".to_string(),
        };
        let replacement = Replacement {
            task_arn: "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/cccc".to_string(),
            task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:1"
                .to_string(),
            started_at: Some("2026-11-24T04:30:20Z".to_string()),
            keeps_data_in_task: true,
        };
        let finding = data_lost_on_stop(&stopped, &data, Some(&replacement)).unwrap();
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(
            finding.summary,
            "Coder's data in task bbbbbbbb was lost when the task stopped"
        );
        let evidence = finding.evidence.join("\n");
        assert!(evidence.contains("at 2026-11-24T04:31:05.220Z"));
        assert!(evidence.contains("ServiceSchedulerInitiated"));
        assert!(evidence.contains("started at 2026-11-24T04:30:20Z on an empty database"));
        assert_eq!(finding.facts["deployment"], "ecs-svc/9876543210987654321");
        // Only stopped tasks lose data.
        assert!(data_lost_on_stop(&task(1, Some(true), 0), &data, None).is_none());
    }
}
