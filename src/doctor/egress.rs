//! Whether a task's subnet reaches the AWS APIs it needs before its app starts (issue 16): the
//! ECS agent fetches secrets from Secrets Manager or SSM, the image from ECR (`ecr.api`,
//! `ecr.dkr`, and its layers from S3) and sends logs to CloudWatch Logs, all over HTTPS to
//! public endpoints. A task in a subnet reaches them through a NAT gateway (`0.0.0.0/0` to a
//! `nat-`), an internet gateway with a public IP (`assignPublicIp` ENABLED), or a VPC endpoint:
//! an interface endpoint with private DNS, or for S3 a gateway endpoint on its route table
//! (Amazon ECS Developer Guide, "Fargate task networking" and "Amazon ECS interface VPC
//! endpoints"). Pure: the reads are `read.rs`'s.
//!
//! Not checked: the endpoints' own security groups, the network ACLs on port 443, DNS; a
//! default route to a transit gateway, a peering or an appliance is "could not decide".

use super::facts::{RouteTable, VpcEndpoint};
use super::network::{Protocol, SecurityGroup};

/// How the task reaches one AWS API, or why it cannot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiPath {
    /// Reachable, and through what.
    Through(String),
    Blocked(String),
    Undecided(String),
}

/// What the evaluation needs of the task's place.
#[derive(Clone, Debug)]
pub struct TaskNetwork<'a> {
    pub subnet: &'a str,
    /// The route table its subnet uses.
    pub table: &'a RouteTable,
    /// `None`: not known (a task of no service).
    pub public_ip: Option<bool>,
    pub security_groups: &'a [SecurityGroup],
    pub endpoints: &'a [VpcEndpoint],
    pub region: &'a str,
}

/// Whether the task's groups let HTTPS out at all, to any peer (an address range, a group, a
/// prefix list: which one an endpoint needs is not checked).
fn https_out(groups: &[SecurityGroup]) -> bool {
    groups.iter().flat_map(|group| &group.egress).any(|rule| {
        matches!(rule.protocol, Protocol::All | Protocol::Tcp)
            && rule.ports.is_none_or(|(from, to)| from <= 443 && 443 <= to)
    })
}

/// The AWS APIs a task needs before its app runs: its secrets' (Secrets Manager, SSM), its
/// images' registry when ECR (`ecr.api`, `ecr.dkr`, and S3 for the layers), its logs'.
pub fn needed_services(definition: &crate::model::TaskDefinition) -> Vec<String> {
    let mut services: Vec<&str> = Vec::new();
    let mut need = |service| {
        if !services.contains(&service) {
            services.push(service);
        }
    };
    for container in &definition.container_definitions {
        for secret in &container.secrets {
            if secret.value_from.contains(":secretsmanager:") {
                need("secretsmanager");
            } else {
                need("ssm");
            }
        }
        if container.image.contains(".dkr.ecr.") {
            need("ecr.api");
            need("ecr.dkr");
            need("s3");
        }
        if container.awslogs().is_some() {
            need("logs");
        }
    }
    services.into_iter().map(str::to_string).collect()
}

/// How the task reaches `service` (`secretsmanager`, `ssm`, `ecr.api`, `ecr.dkr`, `s3`,
/// `logs`).
pub fn api_path(task: &TaskNetwork, service: &str) -> ApiPath {
    if !task.security_groups.is_empty() && !https_out(task.security_groups) {
        return ApiPath::Blocked(format!(
            "the task's security groups ({}) allow no outbound HTTPS (TCP 443)",
            task.security_groups
                .iter()
                .map(|group| group.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let name = format!("com.amazonaws.{}.{service}", task.region);
    let endpoint = task.endpoints.iter().find(|endpoint| {
        endpoint.service_name == name
            && endpoint.state == "available"
            && match endpoint.kind.as_str() {
                "Gateway" => endpoint.route_tables.contains(&task.table.id),
                _ => endpoint.private_dns,
            }
    });
    if let Some(endpoint) = endpoint {
        return ApiPath::Through(format!("VPC endpoint {} ({name})", endpoint.id));
    }
    let default = task
        .table
        .routes
        .iter()
        .find(|route| route.destination.prefix_len() == 0);
    match default.map(|route| route.target.as_str()) {
        Some(target) if target.starts_with("nat-") => ApiPath::Through(format!(
            "NAT gateway {target} (route table {})",
            task.table.id
        )),
        Some(target) if target.starts_with("igw-") && task.public_ip == Some(true) => {
            ApiPath::Through(format!(
                "internet gateway {target} with the task's public IP (route table {})",
                task.table.id
            ))
        }
        Some(target) if target.starts_with("igw-") && task.public_ip.is_none() => {
            ApiPath::Undecided(format!(
                "subnet {} routes to internet gateway {target}; whether the task had a public IP is not known",
                task.subnet
            ))
        }
        Some(target) if target.starts_with("igw-") => ApiPath::Blocked(format!(
            "subnet {} routes to internet gateway {target}, but the task has no public IP (assignPublicIp DISABLED), and the VPC has no endpoint for {name}",
            task.subnet
        )),
        Some(target) => ApiPath::Undecided(format!(
            "subnet {}'s default route goes to {target}; the path beyond it is not checked",
            task.subnet
        )),
        None => ApiPath::Blocked(format!(
            "route table {} of subnet {} has no route to the internet (no 0.0.0.0/0 to a NAT or internet gateway) and the VPC has no endpoint for {name}",
            task.table.id, task.subnet
        )),
    }
}

/// The fix for a blocked path.
pub fn fix(subnet: &str, services: &[String]) -> String {
    format!(
        "Give subnet {subnet} a way to the AWS APIs: a 0.0.0.0/0 route to a NAT gateway, or assignPublicIp ENABLED with a route to an internet gateway, or VPC endpoints: interface endpoints with private DNS for {} and a gateway endpoint for s3 on its route table.",
        services
            .iter()
            .filter(|service| service.as_str() != "s3")
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::network::{Peer, Route, SecurityGroupRule};

    fn table(target: Option<&str>) -> RouteTable {
        let mut routes = vec![Route {
            destination: "10.0.0.0/16".parse().unwrap(),
            target: "local".to_string(),
        }];
        if let Some(target) = target {
            routes.push(Route {
                destination: "0.0.0.0/0".parse().unwrap(),
                target: target.to_string(),
            });
        }
        RouteTable {
            id: "rtb-1".to_string(),
            vpc_id: "vpc-1".to_string(),
            routes,
            subnets: vec!["subnet-1".to_string()],
            main: false,
        }
    }

    fn group(egress: bool) -> SecurityGroup {
        SecurityGroup {
            id: "sg-task".to_string(),
            ingress: Vec::new(),
            egress: if egress {
                vec![SecurityGroupRule {
                    protocol: Protocol::All,
                    ports: None,
                    peer: Peer::Cidr("0.0.0.0/0".parse().unwrap()),
                }]
            } else {
                Vec::new()
            },
        }
    }

    fn endpoint(service: &str, kind: &str) -> VpcEndpoint {
        VpcEndpoint {
            id: format!("vpce-{service}"),
            service_name: format!("com.amazonaws.us-east-1.{service}"),
            kind: kind.to_string(),
            state: "available".to_string(),
            route_tables: vec!["rtb-1".to_string()],
            private_dns: true,
        }
    }

    #[test]
    fn nat_igw_with_a_public_ip_and_endpoints_reach_the_apis_nothing_else_does() {
        let groups = [group(true)];
        let path = |target: Option<&str>, public_ip: bool, endpoints: &[VpcEndpoint], service| {
            let table = table(target);
            api_path(
                &TaskNetwork {
                    subnet: "subnet-1",
                    table: &table,
                    public_ip: Some(public_ip),
                    security_groups: &groups,
                    endpoints,
                    region: "us-east-1",
                },
                service,
            )
        };
        assert!(
            matches!(path(Some("nat-1"), false, &[], "secretsmanager"), ApiPath::Through(via) if via.contains("nat-1"))
        );
        assert!(matches!(
            path(Some("igw-1"), true, &[], "ecr.api"),
            ApiPath::Through(_)
        ));
        // The seed's sample: a public subnet, no public IP.
        assert!(
            matches!(path(Some("igw-1"), false, &[], "secretsmanager"), ApiPath::Blocked(why) if why.contains("no public IP"))
        );
        assert!(
            matches!(path(None, false, &[], "secretsmanager"), ApiPath::Blocked(why) if why.contains("no route to the internet"))
        );
        let endpoints = [
            endpoint("secretsmanager", "Interface"),
            endpoint("s3", "Gateway"),
        ];
        assert!(
            matches!(path(None, false, &endpoints, "secretsmanager"), ApiPath::Through(via) if via.contains("vpce-secretsmanager"))
        );
        assert!(matches!(
            path(None, false, &endpoints, "s3"),
            ApiPath::Through(_)
        ));
        assert!(matches!(
            path(None, false, &endpoints, "ecr.dkr"),
            ApiPath::Blocked(_)
        ));
        assert!(matches!(
            path(Some("tgw-1"), false, &[], "logs"),
            ApiPath::Undecided(_)
        ));
        // No HTTPS out at all.
        let closed = [group(false)];
        let table = table(Some("nat-1"));
        let blocked = api_path(
            &TaskNetwork {
                subnet: "subnet-1",
                table: &table,
                public_ip: Some(false),
                security_groups: &closed,
                endpoints: &[],
                region: "us-east-1",
            },
            "secretsmanager",
        );
        assert!(matches!(blocked, ApiPath::Blocked(why) if why.contains("no outbound HTTPS")));
    }
}
