//! Whether a task's subnet reaches the AWS APIs it needs before its app starts (issue 16): the
//! ECS agent fetches secrets from Secrets Manager or SSM, the image from ECR (`ecr.api`,
//! `ecr.dkr`, and its layers from S3) and sends logs to CloudWatch Logs, all over HTTPS to
//! public endpoints. A task in a subnet reaches them through a NAT gateway (`0.0.0.0/0` to a
//! `nat-`), an internet gateway with a public IP (`assignPublicIp` ENABLED), or a VPC endpoint:
//! an interface endpoint with private DNS whose groups let HTTPS in, or for S3 a gateway
//! endpoint on its route table (Amazon ECS Developer Guide, "Fargate task networking" and
//! "Amazon ECS interface VPC endpoints"). The task's groups must let HTTPS out and its subnet's
//! network ACL must pass 443 out and the replies back. Pure: the reads are `read.rs`'s.
//!
//! A NAT gateway is a way out only when it is available, public, and its own subnet routes
//! `0.0.0.0/0` to an internet gateway (Amazon VPC User Guide, "NAT gateways": a public NAT
//! gateway must be in a public subnet). A way found is said as such ("a route through NAT
//! gateway nat-1"), never as "reachable": an endpoint policy, DNS and the NAT gateway's own
//! network ACL are not read. A default route to a transit gateway, a peering or an appliance
//! is "could not decide".

use super::facts::{NatGateway, RouteTable, VpcEndpoint};
use super::network::{NetworkAcl, Peer, Protocol, SecurityGroup, acl_allows};
use ipnet::Ipv4Net;

/// How the task may reach one AWS API, or why it cannot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiPath {
    /// A way exists, and which ("a route through NAT gateway nat-1").
    Way(String),
    Blocked(Blocked),
    Undecided(String),
}

/// What blocks the way to an AWS API; each has its own fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// The task's groups let no HTTPS out.
    NoHttpsOut { groups: Vec<String> },
    /// The subnet's network ACL denies HTTPS out or the replies back.
    Acl { acl: String, what: &'static str },
    /// An internet gateway, but no public IP.
    NoPublicIp { gateway: String },
    /// No default route and no usable endpoint.
    NoRoute {
        table: String,
        endpoint_without_dns: Option<String>,
    },
    /// An interface endpoint whose groups let no HTTPS in from the task.
    EndpointClosed {
        endpoint: String,
        groups: Vec<String>,
    },
    /// The NAT gateway the subnet routes to leads nowhere: `problem` says why ("is failed",
    /// "sits in subnet-1, whose route table has no route to an internet gateway").
    NatGateway {
        gateway: String,
        table: String,
        problem: String,
        /// Its subnet routes nowhere (the fix: put it in a public subnet).
        unrouted: bool,
        /// The NAT gateway's own subnet.
        subnet: String,
    },
}

impl Blocked {
    pub fn describe(&self, subnet: &str, service: &str) -> String {
        match self {
            Blocked::NoHttpsOut { groups } => format!(
                "the task's security groups ({}) allow no outbound HTTPS (TCP 443)",
                groups.join(", ")
            ),
            Blocked::Acl { acl, what } => {
                format!("network ACL {acl} of subnet {subnet} denies {what}")
            }
            Blocked::NoPublicIp { gateway } => format!(
                "subnet {subnet} routes to internet gateway {gateway}, but the task has no public IP (assignPublicIp DISABLED), and no VPC endpoint serves {service}"
            ),
            Blocked::NoRoute {
                table,
                endpoint_without_dns,
            } => match endpoint_without_dns {
                Some(endpoint) => format!(
                    "route table {table} of subnet {subnet} has no route to the internet, and VPC endpoint {endpoint} for {service} has private DNS off (the service's own name does not resolve to it)"
                ),
                None => format!(
                    "route table {table} of subnet {subnet} has no route to the internet (no 0.0.0.0/0 to a NAT or internet gateway) and the VPC has no endpoint for {service}"
                ),
            },
            Blocked::EndpointClosed { endpoint, groups } => format!(
                "VPC endpoint {endpoint}'s security groups ({}) let no HTTPS (TCP 443) in from the task",
                groups.join(", ")
            ),
            Blocked::NatGateway {
                gateway, problem, ..
            } => format!(
                "subnet {subnet} routes to NAT gateway {gateway}, which {problem}, and no VPC endpoint serves {service}"
            ),
        }
    }

    /// The fix, for the services it blocks; `ecr_image`: the task's images come from ECR (VPC
    /// endpoints can then serve the pull too).
    pub fn fix(&self, subnet: &str, services: &[String], ecr_image: bool) -> String {
        match self {
            Blocked::NoHttpsOut { groups } => format!(
                "Allow outbound TCP 443 in the task's security group {} (to 0.0.0.0/0, or to the VPC endpoints' groups).",
                groups.first().map(String::as_str).unwrap_or("")
            ),
            Blocked::Acl { acl, .. } => format!(
                "In network ACL {acl} (subnet {subnet}), allow outbound TCP 443 and inbound TCP 1024-65535 (the replies), with rule numbers below the ones that deny them."
            ),
            Blocked::EndpointClosed { endpoint, groups } => format!(
                "Allow inbound TCP 443 from the task's security group in {} (the groups of VPC endpoint {endpoint}).",
                groups.first().map(String::as_str).unwrap_or("its group")
            ),
            // In the task's own subnet, its route table cannot send 0.0.0.0/0 both to the NAT
            // gateway (for the tasks) and to the internet gateway (for the NAT gateway).
            Blocked::NatGateway {
                gateway,
                unrouted: true,
                subnet: its_subnet,
                ..
            } if its_subnet == subnet => format!(
                "Recreate NAT gateway {gateway} in a public subnet (one whose route table sends 0.0.0.0/0 to the VPC's internet gateway) and point subnet {subnet}'s 0.0.0.0/0 at the new one: in the tasks' own subnet it cannot reach the internet gateway without taking the tasks' way out."
            ),
            Blocked::NatGateway {
                gateway,
                unrouted: true,
                subnet: its_subnet,
                ..
            } => format!(
                "Give NAT gateway {gateway} a way out: a 0.0.0.0/0 route to the VPC's internet gateway in the route table of its subnet {its_subnet}, or recreate it in a public subnet (one that routes to an internet gateway); subnet {subnet} keeps its route to a NAT gateway."
            ),
            Blocked::NatGateway { gateway, table, .. } => format!(
                "Create a public NAT gateway in a public subnet (one that routes to an internet gateway) and point route table {table}'s 0.0.0.0/0 at it instead of {gateway}."
            ),
            Blocked::NoPublicIp { .. } | Blocked::NoRoute { .. } => {
                let interfaces = services
                    .iter()
                    .filter(|service| service.as_str() != "s3")
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                // Endpoints reach AWS APIs only: an image from another registry (Docker Hub,
                // ghcr.io) still needs the internet.
                if ecr_image {
                    format!(
                        "Give subnet {subnet} a way to the AWS APIs: a 0.0.0.0/0 route to a NAT gateway, or assignPublicIp ENABLED with a route to an internet gateway, or VPC endpoints: interface endpoints with private DNS for {interfaces} and a gateway endpoint for s3 on its route table."
                    )
                } else {
                    format!(
                        "Give subnet {subnet} a way out: a 0.0.0.0/0 route to a NAT gateway, or assignPublicIp ENABLED with a route to an internet gateway. Interface endpoints with private DNS for {interfaces} would serve those AWS APIs, but not an image from a registry outside ECR, which needs the internet."
                    )
                }
            }
        }
    }
}

/// A NAT gateway and where its own subnet's route table sends `0.0.0.0/0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NatGatewayView {
    pub gateway: NatGateway,
    /// The default route's target (`igw-...`), `None` when its subnet has none.
    pub default_route: Option<String>,
}

/// Whether a NAT gateway leads to the internet: `Ok` with how, or what stops it.
fn through_nat(task: &TaskNetwork, target: &str) -> ApiPath {
    let table = &task.table.id;
    let Some(view) = task
        .nat_gateways
        .iter()
        .find(|view| view.gateway.id == target)
    else {
        return ApiPath::Undecided(format!(
            "route table {table} sends 0.0.0.0/0 to NAT gateway {target}, which DescribeNatGateways does not list in the VPC"
        ));
    };
    let gateway = &view.gateway;
    let blocked = |problem: String, unrouted: bool| {
        ApiPath::Blocked(Blocked::NatGateway {
            gateway: target.to_string(),
            table: table.clone(),
            problem,
            unrouted,
            subnet: gateway.subnet_id.clone(),
        })
    };
    match gateway.state.as_str() {
        "available" => {}
        "failed" | "deleting" | "deleted" => {
            return blocked(format!("is {}", gateway.state), false);
        }
        state => {
            return ApiPath::Undecided(format!("NAT gateway {target} is {state}"));
        }
    }
    if !gateway.public {
        return blocked(
            "is a private NAT gateway (it reaches other networks, not the internet)".to_string(),
            false,
        );
    }
    match view.default_route.as_deref() {
        Some(internet) if internet.starts_with("igw-") => ApiPath::Way(format!(
            "a route through NAT gateway {target} (route table {table}), whose subnet {} routes to internet gateway {internet}",
            gateway.subnet_id
        )),
        None => blocked(
            format!(
                "sits in subnet {}, whose route table has no route to an internet gateway",
                gateway.subnet_id
            ),
            true,
        ),
        // A NAT gateway behind a NAT gateway (its own subnet's, or another's) never reaches
        // the internet: a public NAT gateway sends through an internet gateway.
        Some(other) if other.starts_with("nat-") => blocked(
            format!(
                "sits in subnet {}, whose route table sends 0.0.0.0/0 to NAT gateway {other}, not to an internet gateway",
                gateway.subnet_id
            ),
            true,
        ),
        Some(other) => ApiPath::Undecided(format!(
            "NAT gateway {target}'s subnet {} sends 0.0.0.0/0 to {other}; the path beyond it is not checked",
            gateway.subnet_id
        )),
    }
}

/// What the evaluation needs of the task's place.
#[derive(Clone, Debug)]
pub struct TaskNetwork<'a> {
    pub subnet: &'a str,
    pub cidr: Ipv4Net,
    /// The route table its subnet uses.
    pub table: &'a RouteTable,
    /// Its subnet's network ACL.
    pub acl: &'a NetworkAcl,
    /// `None`: not known (a task of no service).
    pub public_ip: Option<bool>,
    /// Its groups; empty when not known (then their egress is not judged).
    pub security_groups: &'a [SecurityGroup],
    pub endpoints: &'a [VpcEndpoint],
    /// The interface endpoints' groups, read.
    pub endpoint_groups: &'a [SecurityGroup],
    /// The VPC's NAT gateways with their subnets' default routes (read only when the task's
    /// subnet routes to one).
    pub nat_gateways: &'a [NatGatewayView],
    pub region: &'a str,
}

/// Whether the task's groups let HTTPS out at all, to any peer (which one an endpoint needs
/// is not checked).
fn https_out(groups: &[SecurityGroup]) -> bool {
    groups.iter().flat_map(|group| &group.egress).any(|rule| {
        matches!(rule.protocol, Protocol::All | Protocol::Tcp)
            && rule.ports.is_none_or(|(from, to)| from <= 443 && 443 <= to)
    })
}

/// Whether an endpoint's groups let HTTPS in from the task: `Some(true)` by its address or
/// one of its groups, `Some(false)` by none, `None` when a prefix list may (not read).
fn https_in(groups: &[SecurityGroup], task: &TaskNetwork) -> Option<bool> {
    let task_groups: Vec<&str> = task
        .security_groups
        .iter()
        .map(|group| group.id.as_str())
        .collect();
    let mut unknown = false;
    for rule in groups.iter().flat_map(|group| &group.ingress) {
        if !matches!(rule.protocol, Protocol::All | Protocol::Tcp)
            || !rule.ports.is_none_or(|(from, to)| from <= 443 && 443 <= to)
        {
            continue;
        }
        match &rule.peer {
            Peer::Cidr(cidr) if cidr.contains(&task.cidr) => return Some(true),
            Peer::Group(group) if task_groups.contains(&group.as_str()) => return Some(true),
            // The task's groups not known, or a prefix list: not decided.
            Peer::Group(_) if task_groups.is_empty() => unknown = true,
            Peer::PrefixList(_) => unknown = true,
            _ => {}
        }
    }
    (!unknown).then_some(false)
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

/// How the task may reach `service` (`secretsmanager`, `ssm`, `ecr.api`, `ecr.dkr`, `s3`,
/// `logs`).
pub fn api_path(task: &TaskNetwork, service: &str) -> ApiPath {
    if !task.security_groups.is_empty() && !https_out(task.security_groups) {
        return ApiPath::Blocked(Blocked::NoHttpsOut {
            groups: task
                .security_groups
                .iter()
                .map(|group| group.id.clone())
                .collect(),
        });
    }
    let name = format!("com.amazonaws.{}.{service}", task.region);
    let endpoints: Vec<&VpcEndpoint> = task
        .endpoints
        .iter()
        .filter(|endpoint| endpoint.service_name == name && endpoint.state == "available")
        .collect();
    if let Some(gateway) = endpoints.iter().find(|endpoint| {
        endpoint.kind == "Gateway" && endpoint.route_tables.contains(&task.table.id)
    }) {
        return ApiPath::Way(format!("a gateway VPC endpoint {} ({name})", gateway.id));
    }
    if let Some(interface) = endpoints
        .iter()
        .find(|endpoint| endpoint.kind != "Gateway" && endpoint.private_dns)
    {
        let groups: Vec<SecurityGroup> = task
            .endpoint_groups
            .iter()
            .filter(|group| interface.security_groups.contains(&group.id))
            .cloned()
            .collect();
        return match https_in(&groups, task) {
            Some(true) => ApiPath::Way(format!(
                "VPC endpoint {} ({name}), whose groups let the task's HTTPS in",
                interface.id
            )),
            Some(false) => ApiPath::Blocked(Blocked::EndpointClosed {
                endpoint: interface.id.clone(),
                groups: interface.security_groups.clone(),
            }),
            None => ApiPath::Undecided(format!(
                "VPC endpoint {}'s groups admit HTTPS by a prefix list or a group the doctor cannot match",
                interface.id
            )),
        };
    }
    // Through a gateway: the subnet's ACL must pass HTTPS out and the replies back.
    let internet: Ipv4Net = "0.0.0.0/0".parse().expect("a valid network");
    let acl_blocks = || {
        if acl_allows(task.acl, true, internet, (443, 443)).is_err() {
            Some(Blocked::Acl {
                acl: task.acl.id.clone(),
                what: "outbound HTTPS (TCP 443) to the internet",
            })
        } else if acl_allows(task.acl, false, internet, (1024, 65535)).is_err() {
            Some(Blocked::Acl {
                acl: task.acl.id.clone(),
                what: "the replies from the internet (inbound TCP 1024-65535)",
            })
        } else {
            None
        }
    };
    let default = task
        .table
        .routes
        .iter()
        .find(|route| route.destination.prefix_len() == 0);
    let without_dns = endpoints
        .iter()
        .find(|endpoint| endpoint.kind != "Gateway" && !endpoint.private_dns)
        .map(|endpoint| endpoint.id.clone());
    match default.map(|route| route.target.as_str()) {
        Some(target) if target.starts_with("nat-") || target.starts_with("igw-") => {
            if let Some(blocked) = acl_blocks() {
                return ApiPath::Blocked(blocked);
            }
            if target.starts_with("nat-") {
                through_nat(task, target)
            } else {
                match task.public_ip {
                    Some(true) => ApiPath::Way(format!(
                        "a route through internet gateway {target} with the task's public IP (route table {})",
                        task.table.id
                    )),
                    Some(false) => ApiPath::Blocked(Blocked::NoPublicIp {
                        gateway: target.to_string(),
                    }),
                    None => ApiPath::Undecided(format!(
                        "subnet {} routes to internet gateway {target}; whether the task had a public IP is not known",
                        task.subnet
                    )),
                }
            }
        }
        Some(target) => ApiPath::Undecided(format!(
            "subnet {}'s default route goes to {target}; the path beyond it is not checked",
            task.subnet
        )),
        None => ApiPath::Blocked(Blocked::NoRoute {
            table: task.table.id.clone(),
            endpoint_without_dns: without_dns,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::network::{AclEntry, Route, SecurityGroupRule};

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

    fn rule(peer: Peer) -> SecurityGroupRule {
        SecurityGroupRule {
            protocol: Protocol::All,
            ports: None,
            peer,
        }
    }

    fn group(id: &str, egress: bool, ingress: Vec<SecurityGroupRule>) -> SecurityGroup {
        SecurityGroup {
            id: id.to_string(),
            ingress,
            egress: if egress {
                vec![rule(Peer::Cidr("0.0.0.0/0".parse().unwrap()))]
            } else {
                Vec::new()
            },
        }
    }

    fn acl(allow: bool) -> NetworkAcl {
        let entry = |egress| AclEntry {
            rule_number: 100,
            egress,
            protocol: Protocol::All,
            ports: None,
            cidr: "0.0.0.0/0".parse().unwrap(),
            allow,
        };
        NetworkAcl {
            id: "acl-1".to_string(),
            entries: vec![entry(true), entry(false)],
        }
    }

    fn endpoint(service: &str, kind: &str, private_dns: bool) -> VpcEndpoint {
        VpcEndpoint {
            id: format!("vpce-{service}"),
            service_name: format!("com.amazonaws.us-east-1.{service}"),
            kind: kind.to_string(),
            state: "available".to_string(),
            route_tables: vec!["rtb-1".to_string()],
            private_dns,
            security_groups: vec!["sg-endpoint".to_string()],
        }
    }

    struct Case {
        target: Option<&'static str>,
        public_ip: Option<bool>,
        groups: Vec<SecurityGroup>,
        acl: NetworkAcl,
        endpoints: Vec<VpcEndpoint>,
        endpoint_groups: Vec<SecurityGroup>,
        nat_gateways: Vec<NatGatewayView>,
    }

    /// NAT gateway nat-1: available, public, in subnet-public, which routes to igw-1.
    fn nat(state: &str, public: bool, route: Option<&str>) -> Vec<NatGatewayView> {
        vec![NatGatewayView {
            gateway: NatGateway {
                id: "nat-1".to_string(),
                subnet_id: "subnet-public".to_string(),
                vpc_id: "vpc-1".to_string(),
                state: state.to_string(),
                public,
            },
            default_route: route.map(str::to_string),
        }]
    }

    impl Case {
        fn new(target: Option<&'static str>) -> Case {
            Case {
                target,
                public_ip: Some(false),
                groups: vec![group("sg-task", true, Vec::new())],
                acl: acl(true),
                endpoints: Vec::new(),
                endpoint_groups: Vec::new(),
                nat_gateways: nat("available", true, Some("igw-1")),
            }
        }

        fn path(&self, service: &str) -> ApiPath {
            let table = table(self.target);
            api_path(
                &TaskNetwork {
                    subnet: "subnet-1",
                    cidr: "10.0.1.0/24".parse().unwrap(),
                    table: &table,
                    acl: &self.acl,
                    public_ip: self.public_ip,
                    security_groups: &self.groups,
                    endpoints: &self.endpoints,
                    endpoint_groups: &self.endpoint_groups,
                    nat_gateways: &self.nat_gateways,
                    region: "us-east-1",
                },
                service,
            )
        }
    }

    #[test]
    fn a_way_is_named_and_every_block_is_told_apart() {
        assert!(
            matches!(Case::new(Some("nat-1")).path("secretsmanager"), ApiPath::Way(via) if via.contains("NAT gateway nat-1"))
        );
        let public = Case {
            public_ip: Some(true),
            ..Case::new(Some("igw-1"))
        };
        assert!(matches!(public.path("ecr.api"), ApiPath::Way(_)));
        // The sample's case: a public subnet, no public IP.
        assert!(matches!(
            Case::new(Some("igw-1")).path("secretsmanager"),
            ApiPath::Blocked(Blocked::NoPublicIp { .. })
        ));
        assert!(matches!(
            Case::new(None).path("secretsmanager"),
            ApiPath::Blocked(Blocked::NoRoute {
                endpoint_without_dns: None,
                ..
            })
        ));
        assert!(matches!(
            Case::new(Some("tgw-1")).path("logs"),
            ApiPath::Undecided(_)
        ));
        // The subnet's ACL, both ways.
        let closed_acl = Case {
            acl: acl(false),
            ..Case::new(Some("nat-1"))
        };
        assert!(matches!(
            closed_acl.path("secretsmanager"),
            ApiPath::Blocked(Blocked::Acl { .. })
        ));
        // No HTTPS out at all, and its own fix.
        let closed = Case {
            groups: vec![group("sg-task", false, Vec::new())],
            ..Case::new(Some("nat-1"))
        };
        let ApiPath::Blocked(blocked) = closed.path("secretsmanager") else {
            panic!()
        };
        assert!(
            blocked
                .fix("subnet-1", &[], true)
                .starts_with("Allow outbound TCP 443 in the task's security group sg-task")
        );
        // Endpoints: open to the task's group, closed, without private DNS; S3's gateway.
        let open = Case {
            endpoints: vec![
                endpoint("secretsmanager", "Interface", true),
                endpoint("s3", "Gateway", false),
            ],
            endpoint_groups: vec![group(
                "sg-endpoint",
                false,
                vec![rule(Peer::Group("sg-task".to_string()))],
            )],
            ..Case::new(None)
        };
        assert!(
            matches!(open.path("secretsmanager"), ApiPath::Way(via) if via.contains("vpce-secretsmanager"))
        );
        assert!(matches!(open.path("s3"), ApiPath::Way(_)));
        assert!(matches!(
            open.path("ecr.dkr"),
            ApiPath::Blocked(Blocked::NoRoute { .. })
        ));
        let shut = Case {
            endpoint_groups: vec![group("sg-endpoint", false, Vec::new())],
            ..open
        };
        assert!(matches!(
            shut.path("secretsmanager"),
            ApiPath::Blocked(Blocked::EndpointClosed { .. })
        ));
        let no_dns = Case {
            endpoints: vec![endpoint("secretsmanager", "Interface", false)],
            ..Case::new(None)
        };
        let ApiPath::Blocked(blocked) = no_dns.path("secretsmanager") else {
            panic!()
        };
        assert!(
            blocked
                .describe("subnet-1", "secretsmanager")
                .contains("private DNS off")
        );
    }

    #[test]
    fn a_nat_gateway_is_a_way_out_only_from_a_public_subnet_while_available() {
        let with = |nat_gateways| Case {
            nat_gateways,
            ..Case::new(Some("nat-1"))
        };
        assert_eq!(
            with(nat("available", true, Some("igw-1"))).path("secretsmanager"),
            ApiPath::Way(
                "a route through NAT gateway nat-1 (route table rtb-1), whose subnet subnet-public routes to internet gateway igw-1"
                    .to_string()
            )
        );
        // The classic mistake: the NAT gateway in a private subnet.
        let ApiPath::Blocked(unrouted) = with(nat("available", true, None)).path("secretsmanager")
        else {
            panic!()
        };
        assert_eq!(
            unrouted.describe("subnet-1", "secretsmanager"),
            "subnet subnet-1 routes to NAT gateway nat-1, which sits in subnet subnet-public, whose route table has no route to an internet gateway, and no VPC endpoint serves secretsmanager"
        );
        assert!(unrouted
            .fix("subnet-1", &["secretsmanager".to_string()], true)
            .starts_with("Give NAT gateway nat-1 a way out: a 0.0.0.0/0 route to the VPC's internet gateway"));
        let ApiPath::Blocked(failed) = with(nat("failed", true, Some("igw-1"))).path("ecr.api")
        else {
            panic!()
        };
        assert!(
            failed
                .describe("subnet-1", "ecr.api")
                .contains("which is failed")
        );
        assert!(
            failed
                .fix("subnet-1", &[], true)
                .contains("point route table rtb-1's 0.0.0.0/0 at it instead of nat-1")
        );
        assert!(matches!(
            with(nat("available", false, Some("igw-1"))).path("logs"),
            ApiPath::Blocked(Blocked::NatGateway { .. })
        ));
        // No way out at all: VPC endpoints are offered as the whole fix only for an ECR image.
        let ApiPath::Blocked(no_route) = Case::new(None).path("secretsmanager") else {
            panic!()
        };
        let services = ["secretsmanager".to_string()];
        assert!(
            no_route
                .fix("subnet-1", &services, false)
                .contains("but not an image from a registry outside ECR")
        );
        assert!(
            no_route
                .fix("subnet-1", &services, true)
                .contains("a gateway endpoint for s3")
        );
        // Still being made, routed elsewhere, or not listed: not decided.
        // In the task's own subnet, it routes to itself: only a new one elsewhere helps.
        let mut own = nat("available", true, Some("nat-1"));
        own[0].gateway.subnet_id = "subnet-1".to_string();
        let ApiPath::Blocked(own) = with(own).path("logs") else {
            panic!()
        };
        assert!(
            own.fix("subnet-1", &[], false)
                .starts_with("Recreate NAT gateway nat-1 in a public subnet"),
            "{}",
            own.fix("subnet-1", &[], false)
        );
        for nat_gateways in [
            nat("pending", true, Some("igw-1")),
            nat("available", true, Some("tgw-1")),
            Vec::new(),
        ] {
            assert!(matches!(
                with(nat_gateways).path("logs"),
                ApiPath::Undecided(_)
            ));
        }
    }
}
