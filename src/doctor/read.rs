//! The network facts of a path's two ends, read through [`NetworkReads`] (the AWS adapter:
//! `aws/network.rs`): each end's subnet and VPC, its security groups, the network ACL and route
//! table its subnet uses; and the RDS instance a database URL's host names.

use super::egress::{ApiPath, NatGatewayView, TaskNetwork, api_path};
use super::facts::{
    AclAssociation, DbInstance, NatGateway, NetworkInterface, ProxyTarget, RouteTable, Subnet,
    VpcEndpoint, acl_of, table_of,
};
use super::network::SecurityGroup;
use super::network::{Blocker, Endpoint, Path, tcp_path};
use crate::model::{ReadError, ReadFailure};
use ipnet::Ipv4Net;
use std::future::Future;

/// The read-only calls the doctor's network checks make (EC2 and RDS `Describe*`), owned
/// here and implemented for AWS in `aws/network.rs`.
pub trait NetworkReads: Send + Sync {
    fn security_groups(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<SecurityGroup>, ReadError>> + Send;
    fn network_acls(
        &self,
        vpc: &str,
    ) -> impl Future<Output = Result<Vec<AclAssociation>, ReadError>> + Send;
    fn route_tables(
        &self,
        vpc: &str,
    ) -> impl Future<Output = Result<Vec<RouteTable>, ReadError>> + Send;
    fn subnets(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Subnet>, ReadError>> + Send;
    /// `None`: no such interface (it is gone with its task).
    fn network_interface(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<NetworkInterface>, ReadError>> + Send;
    fn db_instances(&self) -> impl Future<Output = Result<Vec<DbInstance>, ReadError>> + Send;
    /// Every RDS Proxy, each as one database at its endpoint ([`crate::doctor::facts::proxy_database`]).
    fn db_proxies(&self) -> impl Future<Output = Result<Vec<DbInstance>, ReadError>> + Send;
    fn vpc_endpoints(
        &self,
        vpc: &str,
    ) -> impl Future<Output = Result<Vec<VpcEndpoint>, ReadError>> + Send;
    fn nat_gateways(
        &self,
        vpc: &str,
    ) -> impl Future<Output = Result<Vec<NatGateway>, ReadError>> + Send;
}

/// The path to an RDS instance: which instance (or the host, when none has it), its port and
/// the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdsPath {
    pub database: String,
    pub port: u16,
    pub path: Path,
    /// The instance, when one has the host as its endpoint.
    pub instance: Option<DbInstance>,
}

/// One end of a path as the caller knows it: a task's ENI (address, subnet, groups) or a
/// database (its subnet group's range, a subnet, its VPC security groups).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// For the alert ("task 0123", "RDS instance coder-postgres").
    pub name: String,
    pub address: Ipv4Net,
    pub subnet_id: String,
    pub security_groups: Vec<String>,
}

/// A task's end of the path, from its network interface (the `networkInterfaceId` of its
/// ENI attachment): subnet, private address, security groups. `None`: no such interface
/// (the task has stopped and its interface is gone).
pub async fn task_side(
    doctor: &impl NetworkReads,
    name: &str,
    network_interface: &str,
) -> Result<Option<Side>, ReadError> {
    let Some(interface) = doctor.network_interface(network_interface).await? else {
        return Ok(None);
    };
    let address = match interface.private_ip.parse::<std::net::Ipv4Addr>() {
        Ok(address) => Ipv4Net::from(address),
        Err(_) => {
            return Err(ReadError {
                operation: "ec2:DescribeNetworkInterfaces",
                resource: network_interface.to_string(),
                failure: ReadFailure::Other,
                message: format!("no IPv4 address: {:?}", interface.private_ip),
            });
        }
    };
    Ok(Some(Side {
        name: name.to_string(),
        address,
        subnet_id: interface.subnet_id,
        security_groups: interface.security_groups,
    }))
}

/// Reads both ends' network configuration and evaluates the TCP path to `port`. A read that
/// fails is an error, never a pass.
pub async fn database_path(
    doctor: &impl NetworkReads,
    task: &Side,
    database: &Side,
    port: u16,
) -> Result<Path, ReadError> {
    let task = endpoint(doctor, task).await?;
    let database = endpoint(doctor, database).await?;
    Ok(tcp_path(&task, &database, port))
}

async fn endpoint(reader: &impl NetworkReads, side: &Side) -> Result<Endpoint, ReadError> {
    let subnets = reader
        .subnets(std::slice::from_ref(&side.subnet_id))
        .await?;
    let subnet = subnets
        .iter()
        .find(|subnet| subnet.id == side.subnet_id)
        .ok_or_else(|| missing("ec2:DescribeSubnets", &side.subnet_id))?;
    let security_groups = reader.security_groups(&side.security_groups).await?;
    let acls = reader.network_acls(&subnet.vpc_id).await?;
    let acl = acl_of(&acls, subnet)
        .ok_or_else(|| missing("ec2:DescribeNetworkAcls", &subnet.id))?
        .acl
        .clone();
    let tables = reader.route_tables(&subnet.vpc_id).await?;
    let routes = table_of(&tables, subnet)
        .ok_or_else(|| missing("ec2:DescribeRouteTables", &subnet.id))?
        .routes
        .clone();
    Ok(Endpoint {
        name: side.name.clone(),
        address: side.address,
        subnet_id: subnet.id.clone(),
        vpc_id: subnet.vpc_id.clone(),
        security_groups,
        acl,
        routes,
    })
}

fn missing(operation: &'static str, resource: &str) -> ReadError {
    ReadError {
        operation,
        resource: resource.to_string(),
        failure: ReadFailure::NotFound,
        message: "not in the answer".to_string(),
    }
}

/// How a task in `subnet` with `security_groups` reaches each AWS API in `services`
/// ([`super::egress`]).
pub async fn api_paths(
    doctor: &impl NetworkReads,
    subnet: &str,
    security_groups: &[String],
    public_ip: Option<bool>,
    region: &str,
    services: &[String],
) -> Result<Vec<(String, ApiPath)>, ReadError> {
    let subnets = doctor.subnets(&[subnet.to_string()]).await?;
    let found = subnets
        .iter()
        .find(|found| found.id == subnet)
        .ok_or_else(|| missing("ec2:DescribeSubnets", subnet))?;
    let tables = doctor.route_tables(&found.vpc_id).await?;
    let table = table_of(&tables, found)
        .ok_or_else(|| missing("ec2:DescribeRouteTables", subnet))?
        .clone();
    let groups = if security_groups.is_empty() {
        Vec::new()
    } else {
        doctor.security_groups(security_groups).await?
    };
    let acls = doctor.network_acls(&found.vpc_id).await?;
    let acl = acl_of(&acls, found)
        .ok_or_else(|| missing("ec2:DescribeNetworkAcls", subnet))?
        .acl
        .clone();
    let endpoints = doctor.vpc_endpoints(&found.vpc_id).await?;
    let mut endpoint_group_ids: Vec<String> = endpoints
        .iter()
        .flat_map(|endpoint| endpoint.security_groups.clone())
        .collect();
    endpoint_group_ids.sort();
    endpoint_group_ids.dedup();
    let endpoint_groups = if endpoint_group_ids.is_empty() {
        Vec::new()
    } else {
        doctor.security_groups(&endpoint_group_ids).await?
    };
    // A default route to a NAT gateway: where that gateway's own subnet routes.
    let mut nat_gateways = Vec::new();
    if table
        .routes
        .iter()
        .any(|route| route.destination.prefix_len() == 0 && route.target.starts_with("nat-"))
    {
        for gateway in doctor.nat_gateways(&found.vpc_id).await? {
            let its_subnet = doctor
                .subnets(std::slice::from_ref(&gateway.subnet_id))
                .await?;
            let default_route = its_subnet
                .iter()
                .find(|subnet| subnet.id == gateway.subnet_id)
                .and_then(|subnet| table_of(&tables, subnet))
                .and_then(|table| {
                    table
                        .routes
                        .iter()
                        .find(|route| route.destination.prefix_len() == 0)
                        .map(|route| route.target.clone())
                });
            nat_gateways.push(NatGatewayView {
                gateway,
                default_route,
            });
        }
    }
    let task = TaskNetwork {
        subnet,
        cidr: found.cidr,
        table: &table,
        acl: &acl,
        public_ip,
        security_groups: &groups,
        endpoints: &endpoints,
        endpoint_groups: &endpoint_groups,
        nat_gateways: &nat_gateways,
        region,
    };
    Ok(services
        .iter()
        .map(|service| (service.clone(), api_path(&task, service)))
        .collect())
}

/// The paths from a task to every RDS instance in its VPC, for when the database's address
/// is unknown (inside a secret not read): which were checked, and what blocks each. None of
/// them is known to be the app's.
pub async fn vpc_rds_paths(
    doctor: &impl NetworkReads,
    task: &Side,
) -> Result<Vec<RdsPath>, ReadError> {
    let subnets = doctor
        .subnets(std::slice::from_ref(&task.subnet_id))
        .await?;
    let Some(vpc) = subnets.first().map(|subnet| subnet.vpc_id.clone()) else {
        return Err(missing("ec2:DescribeSubnets", &task.subnet_id));
    };
    let mut paths = Vec::new();
    let mut databases = doctor.db_instances().await?;
    // Proxies unreadable (an older grant, a narrower user) leave the instances listed and say so.
    match doctor.db_proxies().await {
        Ok(proxies) => databases.extend(proxies),
        Err(error) => paths.push(RdsPath {
            database: "the VPC's RDS Proxies".to_string(),
            port: 0,
            path: Path::Undecided(format!("could not be read: {error}")),
            instance: None,
        }),
    }
    for instance in databases {
        // An Aurora cluster stands for its members.
        if instance.vpc_id == vpc && !instance.address.is_empty() && !instance.is_cluster_member() {
            paths.push(rds_path(doctor, task, &instance.address, None).await?);
        }
    }
    Ok(paths)
}

/// The path from a task to the RDS instance whose endpoint is `host` (the database URL's
/// host), on the instance's port: checked into every subnet of its DB subnet group, since its
/// address is only in DNS and moves between them (failover, Multi-AZ). Blocked into every
/// subnet is blocked, into some only undecided; a host no instance has is undecided (an Aurora cluster, a proxy or a
/// database outside RDS is not read yet).
pub async fn rds_path(
    doctor: &impl NetworkReads,
    task: &Side,
    host: &str,
    named_port: Option<u16>,
) -> Result<RdsPath, ReadError> {
    let named = |instance: &&DbInstance| {
        instance.address.eq_ignore_ascii_case(host)
            || instance
                .other_addresses
                .iter()
                .any(|address| address.eq_ignore_ascii_case(host))
    };
    let databases = doctor.db_instances().await?;
    let mut proxies: Vec<DbInstance>;
    // Proxies are read only for a host no instance or cluster has; each target is matched
    // with the database it is.
    let instances = if databases.iter().any(|instance| named(&instance)) {
        &databases
    } else {
        proxies = doctor.db_proxies().await?;
        for target in proxies
            .iter_mut()
            .filter_map(|proxy| proxy.proxy_targets.as_mut())
            .flatten()
        {
            target.database = databases
                .iter()
                .find(|database| database.id == target.id)
                .map(|database| Box::new(database.clone()));
        }
        &proxies
    };
    let Some(instance) = instances.iter().find(named) else {
        return Ok(RdsPath {
            database: host.to_string(),
            port: 5432,
            path: Path::Undecided(format!(
                "no RDS instance, Aurora cluster or RDS Proxy (default endpoint) in this account and region has the endpoint {host}"
            )),
            instance: None,
        });
    };
    let port = instance.port.unwrap_or(5432);
    // A setting that names no port leaves the client on the engine's default.
    if named_port.is_none()
        && let Some(default) = instance.default_port().filter(|default| *default != port)
    {
        return Ok(RdsPath {
            database: instance.describe(),
            port: default,
            path: Path::Undecided(format!(
                "the database setting names no port, so the app likely uses {}'s default {default}, but {} listens on {port} (a port setting of the app's own may say otherwise)",
                instance.engine.as_deref().unwrap_or("the engine"),
                instance.describe()
            )),
            instance: Some(instance.clone()),
        });
    }
    if let Some(named) = named_port.filter(|named| *named != port) {
        return Ok(RdsPath {
            database: instance.describe(),
            port: named,
            path: Path::Blocked(Blocker::Port {
                named,
                listens: port,
            }),
            instance: Some(instance.clone()),
        });
    }
    let reader = doctor;
    let subnets = reader.subnets(&instance.subnets).await?;
    let task = endpoint(reader, task).await?;
    // The instance is in one subnet of its group (a failover moves it): blocked only when
    // blocked from every one; blocked from some and open to others is undecided.
    let mut open = Vec::new();
    let mut blocked = Vec::new();
    let mut undecided = None;
    for subnet in &subnets {
        let side = Side {
            name: format!("{} (subnet {})", instance.describe(), subnet.id),
            address: subnet.cidr,
            subnet_id: subnet.id.clone(),
            security_groups: instance.security_groups.clone(),
        };
        match tcp_path(&task, &endpoint(reader, &side).await?, port) {
            Path::Blocked(blocker) => blocked.push((subnet.id.clone(), blocker)),
            Path::Undecided(why) => undecided = undecided.or(Some(why)),
            Path::Open(why) => open.extend(why),
        }
    }
    let path = match (blocked.first(), undecided) {
        (Some((_, blocker)), None) if open.is_empty() => Path::Blocked(blocker.clone()),
        (Some((subnet, blocker)), None) => Path::Undecided(format!(
            "{} (subnet {subnet} of its DB subnet group), while its other subnets are reachable: the subnet it is in now decides (a failover moves it)",
            blocker.describe()
        )),
        (_, Some(why)) => Path::Undecided(why),
        (None, None) if subnets.is_empty() => Path::Undecided(format!(
            "{} names no subnet the account has",
            instance.describe()
        )),
        (None, None) => Path::Open(open),
    };
    // Through a proxy, the app's connections go on from the proxy to its targets.
    let path = match (path, &instance.proxy_targets) {
        (Path::Open(mut open), Some(targets)) => match beyond_proxy(instance, targets) {
            Ok(available) => {
                open.push(available);
                Path::Open(open)
            }
            Err(path) => path,
        },
        (path, _) => path,
    };
    Ok(RdsPath {
        database: instance.describe(),
        port,
        path,
        instance: Some(instance.clone()),
    })
}

/// Whether a proxy's targets take its connections, as RDS reports their health (the RDS
/// User Guide's "Troubleshooting for RDS Proxy": `UNREACHABLE` is the network or the target's
/// security group, `AUTH_FAILURE` the proxy's credentials secret). `Ok`: every target
/// `AVAILABLE`, said so. A proxy without targets, or a target `UNREACHABLE` or `AUTH_FAILURE`,
/// is blocked; any other state (registering, a failover's `CONNECTION_FAILED`, capacity) is
/// undecided, since it may pass on its own.
pub fn beyond_proxy(proxy: &DbInstance, targets: &[ProxyTarget]) -> Result<String, Path> {
    let blocked = |target: Option<&ProxyTarget>| {
        Path::Blocked(Blocker::ProxyTarget {
            proxy: proxy.id.clone(),
            proxy_groups: proxy.security_groups.clone(),
            target: target.map(|target| target.id.clone()),
            reason: target.and_then(|target| target.reason.clone()),
            description: target.and_then(|target| target.description.clone()),
        })
    };
    // An Aurora cluster's own entry carries no health: its instances' entries do.
    let judged: Vec<&ProxyTarget> = targets
        .iter()
        .filter(|target| target.kind != "TRACKED_CLUSTER")
        .collect();
    if targets.is_empty() {
        return Err(blocked(None));
    }
    if let Some(target) = judged.iter().find(|target| {
        target.state.as_deref() == Some("UNAVAILABLE")
            && matches!(
                target.reason.as_deref(),
                Some("UNREACHABLE" | "AUTH_FAILURE")
            )
    }) {
        return Err(blocked(Some(target)));
    }
    if let Some(target) = judged
        .iter()
        .find(|target| target.state.as_deref() != Some("AVAILABLE"))
    {
        return Err(Path::Undecided(format!(
            "{}'s target {} is {}{}{}",
            proxy.describe(),
            target.id,
            target.state.as_deref().unwrap_or("of unknown health"),
            target
                .reason
                .as_deref()
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default(),
            target
                .description
                .as_deref()
                .map(|description| format!(": {description}"))
                .unwrap_or_default()
        )));
    }
    if judged.is_empty() {
        return Err(Path::Undecided(format!(
            "{} reports no health for its targets",
            proxy.describe()
        )));
    }
    Ok(format!(
        "{} reports its targets available ({})",
        proxy.describe(),
        judged
            .iter()
            .map(|target| target.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::network::{AclEntry, NetworkAcl, Peer, Protocol, Route, SecurityGroupRule};

    /// One VPC: the task in 10.0.1.0/24; the database's group lets the task's group in; the
    /// database subnet 10.0.3.0/24 has its own ACL, which denies everything.
    struct Vpc;

    fn rule(peer: Peer) -> SecurityGroupRule {
        SecurityGroupRule {
            protocol: Protocol::Tcp,
            ports: None,
            peer,
        }
    }

    fn acl(id: &str, allow: bool) -> NetworkAcl {
        let entry = |egress| AclEntry {
            rule_number: 100,
            egress,
            protocol: Protocol::All,
            ports: None,
            cidr: "0.0.0.0/0".parse().unwrap(),
            allow,
        };
        NetworkAcl {
            id: id.to_string(),
            entries: vec![entry(false), entry(true)],
        }
    }

    impl NetworkReads for Vpc {
        async fn security_groups(&self, ids: &[String]) -> Result<Vec<SecurityGroup>, ReadError> {
            Ok(ids
                .iter()
                .map(|id| SecurityGroup {
                    id: id.clone(),
                    ingress: vec![rule(Peer::Group("sg-task".to_string()))],
                    egress: vec![rule(Peer::Cidr("0.0.0.0/0".parse().unwrap()))],
                })
                .collect())
        }
        async fn network_acls(&self, _vpc: &str) -> Result<Vec<AclAssociation>, ReadError> {
            Ok(vec![
                AclAssociation {
                    acl: acl("acl-open", true),
                    subnets: Vec::new(),
                    default: true,
                    vpc_id: "vpc-1".to_string(),
                },
                AclAssociation {
                    acl: acl("acl-closed", false),
                    subnets: vec!["subnet-c".to_string()],
                    default: false,
                    vpc_id: "vpc-1".to_string(),
                },
            ])
        }
        async fn route_tables(&self, _vpc: &str) -> Result<Vec<RouteTable>, ReadError> {
            Ok(vec![RouteTable {
                id: "rtb-main".to_string(),
                vpc_id: "vpc-1".to_string(),
                routes: vec![Route {
                    destination: "10.0.0.0/16".parse().unwrap(),
                    target: "local".to_string(),
                }],
                subnets: Vec::new(),
                main: true,
            }])
        }
        async fn subnets(&self, ids: &[String]) -> Result<Vec<Subnet>, ReadError> {
            Ok(ids
                .iter()
                .map(|id| Subnet {
                    id: id.clone(),
                    vpc_id: "vpc-1".to_string(),
                    cidr: match id.as_str() {
                        "subnet-a" => "10.0.1.0/24",
                        "subnet-b" => "10.0.2.0/24",
                        _ => "10.0.3.0/24",
                    }
                    .parse()
                    .unwrap(),
                })
                .collect())
        }
        async fn network_interface(
            &self,
            _id: &str,
        ) -> Result<Option<NetworkInterface>, ReadError> {
            Ok(None)
        }
        async fn vpc_endpoints(&self, _vpc: &str) -> Result<Vec<VpcEndpoint>, ReadError> {
            Ok(Vec::new())
        }
        async fn nat_gateways(&self, _vpc: &str) -> Result<Vec<NatGateway>, ReadError> {
            Ok(Vec::new())
        }
        async fn db_instances(&self) -> Result<Vec<DbInstance>, ReadError> {
            let instance = |id: &str, subnets: &[&str]| DbInstance {
                id: id.to_string(),
                address: format!("{id}.abc.us-east-1.rds.amazonaws.com"),
                port: Some(5432),
                security_groups: vec!["sg-db".to_string()],
                subnets: subnets.iter().map(|subnet| subnet.to_string()).collect(),
                vpc_id: "vpc-1".to_string(),
                backup_retention_days: Some(7),
                deletion_protection: Some(true),
                iam_authentication: Some(false),
                engine: Some("postgres".to_string()),
                ..DbInstance::default()
            };
            Ok(vec![
                instance("open", &["subnet-b"]),
                instance("half", &["subnet-b", "subnet-c"]),
                instance("closed", &["subnet-c"]),
            ])
        }
        /// Proxies in subnet-b (reachable) but `shut` (subnet-c), each with one target's
        /// health, as `DescribeDBProxyTargets` reports it.
        async fn db_proxies(&self) -> Result<Vec<DbInstance>, ReadError> {
            let target = |state: &str, reason: Option<&str>| ProxyTarget {
                id: "open".to_string(),
                kind: "RDS_INSTANCE".to_string(),
                state: Some(state.to_string()),
                reason: reason.map(str::to_string),
                description: reason
                    .map(|_| "DBProxy Target unavailable due to an internal error".to_string()),
                database: None,
            };
            let proxy = |name: &str, subnet: &str, targets: Vec<ProxyTarget>| {
                crate::doctor::facts::proxy_database(&crate::doctor::facts::DbProxy {
                    name: name.to_string(),
                    endpoint: format!("{name}.proxy-abc.us-east-1.rds.amazonaws.com"),
                    engine_family: "POSTGRESQL".to_string(),
                    security_groups: vec!["sg-proxy".to_string()],
                    subnets: vec![subnet.to_string()],
                    vpc_id: "vpc-1".to_string(),
                    iam_authentication: Some(false),
                    arn: Some(format!(
                        "arn:aws:rds:us-east-1:111122223333:db-proxy:prx-{name}"
                    )),
                    targets,
                })
            };
            Ok(vec![
                proxy("proxied", "subnet-b", vec![target("AVAILABLE", None)]),
                proxy(
                    "unreachable",
                    "subnet-b",
                    vec![target("UNAVAILABLE", Some("UNREACHABLE"))],
                ),
                proxy("lonely", "subnet-b", Vec::new()),
                proxy("registering", "subnet-b", vec![target("REGISTERING", None)]),
                proxy("shut", "subnet-c", vec![target("AVAILABLE", None)]),
            ])
        }
    }

    #[tokio::test]
    async fn blocked_into_every_subnet_is_blocked_into_some_undecided() {
        let task = Side {
            name: "task".to_string(),
            address: "10.0.1.25/32".parse().unwrap(),
            subnet_id: "subnet-a".to_string(),
            security_groups: vec!["sg-task".to_string()],
        };
        let path = |host: &'static str| {
            let task = task.clone();
            async move {
                rds_path(
                    &Vpc,
                    &task,
                    &format!("{host}.abc.us-east-1.rds.amazonaws.com"),
                    None,
                )
                .await
                .unwrap()
                .path
            }
        };
        assert!(matches!(path("open").await, Path::Open(_)));
        assert!(matches!(
            path("closed").await,
            Path::Blocked(Blocker::Acl { .. })
        ));
        let Path::Undecided(why) = path("half").await else {
            panic!()
        };
        assert!(
            why.contains("subnet subnet-c") && why.contains("failover"),
            "{why}"
        );
        assert!(matches!(path("elsewhere").await, Path::Undecided(_)));
        // Without an address: every instance and proxy of the VPC, each with its own verdict.
        let all = vpc_rds_paths(&Vpc, &task).await.unwrap();
        assert_eq!(all.len(), 8);
        assert!(matches!(all[2].path, Path::Blocked(_)));
        assert_eq!(all[3].database, "RDS Proxy proxied");
        // A port the instance does not listen on is no path at all.
        let wrong = rds_path(
            &Vpc,
            &task,
            "open.abc.us-east-1.rds.amazonaws.com",
            Some(5433),
        )
        .await
        .unwrap();
        assert_eq!(
            wrong.path,
            Path::Blocked(Blocker::Port {
                named: 5433,
                listens: 5432
            })
        );
    }

    #[tokio::test]
    async fn through_a_proxy_the_path_goes_on_to_its_targets_as_rds_reports_them() {
        let task = Side {
            name: "task".to_string(),
            address: "10.0.1.25/32".parse().unwrap(),
            subnet_id: "subnet-a".to_string(),
            security_groups: vec!["sg-task".to_string()],
        };
        let path = |name: &'static str| {
            let task = task.clone();
            async move {
                rds_path(
                    &Vpc,
                    &task,
                    &format!("{name}.proxy-abc.us-east-1.rds.amazonaws.com"),
                    Some(5432),
                )
                .await
                .unwrap()
            }
        };
        let proxied = path("proxied").await;
        assert_eq!(proxied.database, "RDS Proxy proxied");
        let Path::Open(why) = &proxied.path else {
            panic!("{proxied:?}")
        };
        assert_eq!(
            why.last().map(String::as_str),
            Some("RDS Proxy proxied reports its targets available (open)")
        );
        // An IAM token for the proxy is checked against the proxy's own resource id.
        let proxy = proxied.instance.unwrap();
        assert_eq!(proxy.resource_id.as_deref(), Some("prx-proxied"));
        assert_eq!(proxy.backup_retention_days, None, "a proxy keeps no data");
        // Its data is in its target, matched with the account's instance of that id.
        let stores: Vec<&str> = proxy
            .data_stores()
            .iter()
            .map(|store| store.id.as_str())
            .collect();
        assert_eq!(stores, ["open"]);
        assert_eq!(proxy.data_stores()[0].backup_retention_days, Some(7));

        let Path::Blocked(blocker) = path("unreachable").await.path else {
            panic!()
        };
        assert_eq!(
            blocker.describe(),
            "RDS Proxy unreachable reports its target open unavailable (UNREACHABLE): DBProxy Target unavailable due to an internal error"
        );
        let Path::Blocked(blocker) = path("lonely").await.path else {
            panic!()
        };
        assert_eq!(
            blocker.describe(),
            "RDS Proxy lonely has no database registered as its target"
        );
        // Still registering: may pass on its own, so undecided.
        let Path::Undecided(why) = path("registering").await.path else {
            panic!()
        };
        assert_eq!(why, "RDS Proxy registering's target open is REGISTERING");
        // The way to the proxy itself is judged first (subnet-c's ACL denies everything).
        assert!(matches!(
            path("shut").await.path,
            Path::Blocked(Blocker::Acl { .. })
        ));
    }

    /// The same VPC, read by a principal that may not describe RDS Proxies.
    struct NoProxies;

    impl NetworkReads for NoProxies {
        async fn security_groups(&self, ids: &[String]) -> Result<Vec<SecurityGroup>, ReadError> {
            Vpc.security_groups(ids).await
        }
        async fn network_acls(&self, vpc: &str) -> Result<Vec<AclAssociation>, ReadError> {
            Vpc.network_acls(vpc).await
        }
        async fn route_tables(&self, vpc: &str) -> Result<Vec<RouteTable>, ReadError> {
            Vpc.route_tables(vpc).await
        }
        async fn subnets(&self, ids: &[String]) -> Result<Vec<Subnet>, ReadError> {
            Vpc.subnets(ids).await
        }
        async fn network_interface(&self, id: &str) -> Result<Option<NetworkInterface>, ReadError> {
            Vpc.network_interface(id).await
        }
        async fn vpc_endpoints(&self, vpc: &str) -> Result<Vec<VpcEndpoint>, ReadError> {
            Vpc.vpc_endpoints(vpc).await
        }
        async fn nat_gateways(&self, vpc: &str) -> Result<Vec<NatGateway>, ReadError> {
            Vpc.nat_gateways(vpc).await
        }
        async fn db_instances(&self) -> Result<Vec<DbInstance>, ReadError> {
            Vpc.db_instances().await
        }
        async fn db_proxies(&self) -> Result<Vec<DbInstance>, ReadError> {
            Err(ReadError {
                operation: "rds:DescribeDBProxies",
                resource: String::new(),
                failure: ReadFailure::AccessDenied,
                message: "not authorized".to_string(),
            })
        }
    }

    #[tokio::test]
    async fn unreadable_proxies_leave_the_instances_listed_and_say_so() {
        let task = Side {
            name: "task".to_string(),
            address: "10.0.1.25/32".parse().unwrap(),
            subnet_id: "subnet-a".to_string(),
            security_groups: vec!["sg-task".to_string()],
        };
        let all = vpc_rds_paths(&NoProxies, &task).await.unwrap();
        assert_eq!(all.len(), 4, "{all:#?}");
        assert_eq!(all[0].database, "the VPC's RDS Proxies");
        assert!(
            matches!(&all[0].path, Path::Undecided(why) if why.contains("rds:DescribeDBProxies"))
        );
        assert_eq!(all[1].database, "RDS instance open");
    }
}
