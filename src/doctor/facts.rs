//! What the doctor reads of an account's network and databases (issue 16): subnets, their
//! network ACLs and route tables, network interfaces, RDS instances. The AWS adapters
//! (`aws/vpc.rs`, `aws/rds.rs`) parse EC2's and RDS's answers into these.

use super::network::{NetworkAcl, Route};
use ipnet::Ipv4Net;

/// A network ACL and the subnets it is associated with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclAssociation {
    pub acl: NetworkAcl,
    pub subnets: Vec<String>,
    pub default: bool,
    pub vpc_id: String,
}

/// A route table, its explicit subnet associations, and whether it is its VPC's main table
/// (the one a subnet without an association uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    pub routes: Vec<Route>,
    pub subnets: Vec<String>,
    pub main: bool,
}

/// A subnet: its VPC and its IPv4 range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub cidr: Ipv4Net,
}

/// A network interface's place: its subnet, private address and security groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkInterface {
    pub id: String,
    pub subnet_id: String,
    pub private_ip: String,
    pub security_groups: Vec<String>,
}

/// A VPC endpoint: how tasks without a route to the internet reach an AWS API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VpcEndpoint {
    pub id: String,
    /// `com.amazonaws.REGION.secretsmanager`.
    pub service_name: String,
    /// `Interface` or `Gateway` (S3, DynamoDB).
    pub kind: String,
    /// `available` when it works.
    pub state: String,
    /// A gateway endpoint's route tables.
    pub route_tables: Vec<String>,
    /// An interface endpoint's private DNS name answers for the service's own name.
    pub private_dns: bool,
    /// An interface endpoint's security groups (they must let the task's HTTPS in).
    pub security_groups: Vec<String>,
}

/// A NAT gateway (`DescribeNatGateways`): a task's way out only when it is available, public,
/// and its own subnet routes to an internet gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NatGateway {
    pub id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    /// `pending`, `available`, `failed`, `deleting` or `deleted`.
    pub state: String,
    /// `connectivityType` `public` (a private NAT gateway reaches no internet).
    pub public: bool,
}

/// An RDS instance as the network path needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbInstance {
    pub id: String,
    /// The endpoint's host name (`coder-postgres.abc.us-east-1.rds.amazonaws.com`).
    pub address: String,
    pub port: Option<u16>,
    /// Active VPC security groups.
    pub security_groups: Vec<String>,
    /// The subnets of its DB subnet group: its address is in one of them.
    pub subnets: Vec<String>,
    pub vpc_id: String,
    /// `BackupRetentionPeriod`: days of automated backups; 0 turns them off.
    pub backup_retention_days: Option<u32>,
    /// `DeletionProtection`.
    pub deletion_protection: Option<bool>,
    /// `IAMDatabaseAuthenticationEnabled`.
    pub iam_authentication: Option<bool>,
    /// More host names that reach it (an Aurora cluster's reader and custom endpoints).
    pub other_addresses: Vec<String>,
    /// `DBClusterIdentifier`: the Aurora cluster it belongs to.
    pub cluster: Option<String>,
    /// `Engine`: `postgres`, `aurora-postgresql`, `mysql`...
    pub engine: Option<String>,
    /// The id an IAM policy names for `rds-db:connect` (`arn:aws:rds-db:REGION:ACCOUNT:dbuser:ID/USER`):
    /// `DbiResourceId` (`db-ABC...`), or for an Aurora cluster and its members the cluster's
    /// `DbClusterResourceId` (`cluster-ABC...`; RDS User Guide, "Creating and using an IAM
    /// policy for IAM database access").
    pub resource_id: Option<String>,
    /// `DBInstanceArn` or `DBClusterArn`: its partition, region and account.
    pub arn: Option<String>,
    /// For an RDS Proxy's entry (see [`proxy_database`]): its targets, with the health RDS
    /// reports for them.
    pub proxy_targets: Option<Vec<ProxyTarget>>,
}

impl DbInstance {
    /// The port a client uses when the setting names none: the engine's default (RDS User
    /// Guide: PostgreSQL 5432, MySQL and MariaDB 3306, SQL Server 1433, Oracle 1521).
    pub fn default_port(&self) -> Option<u16> {
        let engine = self.engine.as_deref()?;
        Some(if engine.contains("postgres") {
            5432
        } else if engine.contains("mysql") || engine.contains("mariadb") {
            3306
        } else if engine.starts_with("sqlserver") {
            1433
        } else if engine.starts_with("oracle") {
            1521
        } else {
            return None;
        })
    }

    /// Whether this is an Aurora cluster's entry (see [`databases`]).
    pub fn is_cluster(&self) -> bool {
        self.cluster.as_deref() == Some(self.id.as_str())
    }

    /// Whether this is an RDS Proxy's entry (see [`proxy_database`]).
    pub fn is_proxy(&self) -> bool {
        self.proxy_targets.is_some()
    }

    /// Where the data is: the database itself, or for a proxy the databases behind it that
    /// were found (an Aurora cluster's members stand for nothing beside their cluster).
    pub fn data_stores(&self) -> Vec<&DbInstance> {
        let Some(targets) = &self.proxy_targets else {
            return vec![self];
        };
        let behind: Vec<&DbInstance> = targets
            .iter()
            .filter_map(|target| target.database.as_deref())
            .collect();
        behind
            .iter()
            .filter(|database| {
                !database.is_cluster_member()
                    || !behind.iter().any(|other| {
                        other.is_cluster() && Some(&other.id) == database.cluster.as_ref()
                    })
            })
            .copied()
            .collect()
    }

    /// Whether this is an instance that belongs to an Aurora cluster.
    pub fn is_cluster_member(&self) -> bool {
        self.cluster.is_some() && !self.is_cluster()
    }

    /// "RDS instance coder-postgres", "Aurora cluster coder" for a cluster's entry, "RDS Proxy
    /// coder" for a proxy's.
    pub fn describe(&self) -> String {
        if self.proxy_targets.is_some() {
            format!("RDS Proxy {}", self.id)
        } else if self.is_cluster() {
            format!("Aurora cluster {}", self.id)
        } else {
            format!("RDS instance {}", self.id)
        }
    }
}

/// An Aurora cluster (`DescribeDBClusters`): its endpoints reach its member instances, which
/// sit in the subnets of its DB subnet group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbCluster {
    pub id: String,
    /// The writer, reader and custom endpoints' host names.
    pub endpoints: Vec<String>,
    pub port: Option<u16>,
    pub security_groups: Vec<String>,
    /// Member instance ids.
    pub members: Vec<String>,
    pub backup_retention_days: Option<u32>,
    pub deletion_protection: Option<bool>,
    pub iam_authentication: Option<bool>,
    pub engine: Option<String>,
    /// `DbClusterResourceId`.
    pub resource_id: Option<String>,
    /// `DBClusterArn`.
    pub arn: Option<String>,
}

/// An RDS Proxy (`DescribeDBProxies`): the app connects to its endpoint, in the proxy's
/// subnets behind its security groups, and the proxy connects on to its targets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbProxy {
    pub name: String,
    /// The default endpoint's host name (`coder.proxy-abc.us-east-1.rds.amazonaws.com`).
    pub endpoint: String,
    /// `EngineFamily`: `POSTGRESQL`, `MYSQL` or `SQLSERVER`.
    pub engine_family: String,
    pub security_groups: Vec<String>,
    pub subnets: Vec<String>,
    pub vpc_id: String,
    /// Some `Auth` entry takes IAM tokens (`IAMAuth` `REQUIRED` or `ENABLED`).
    pub iam_authentication: Option<bool>,
    /// `DBProxyArn` (`arn:aws:rds:REGION:ACCOUNT:db-proxy:prx-...`).
    pub arn: Option<String>,
    /// Its default target group's targets (`DescribeDBProxyTargets`).
    pub targets: Vec<ProxyTarget>,
}

/// One target of an RDS Proxy and its health (`DBProxyTarget`, `TargetHealth`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyTarget {
    /// `RdsResourceId`: the instance or cluster identifier.
    pub id: String,
    /// `Type`: `RDS_INSTANCE`, `RDS_SERVERLESS_ENDPOINT` or `TRACKED_CLUSTER`.
    pub kind: String,
    /// `State`: `REGISTERING`, `AVAILABLE`, `UNAVAILABLE` or `UNUSED`.
    pub state: Option<String>,
    /// `Reason`: `UNREACHABLE`, `CONNECTION_FAILED`, `AUTH_FAILURE`, `PENDING_PROXY_CAPACITY`...
    pub reason: Option<String>,
    /// `Description`, RDS's own words.
    pub description: Option<String>,
    /// The database it is, as the account's instances and clusters describe it, when found
    /// (for its backups and deletion protection).
    pub database: Option<Box<DbInstance>>,
}

/// A proxy as one database at its endpoint: it listens on its engine family's default port
/// (RDS User Guide, "Connecting to a database through RDS Proxy"), and an IAM token for it is
/// checked against the proxy's resource id (`prx-...`, the last part of its ARN).
pub fn proxy_database(proxy: &DbProxy) -> DbInstance {
    let (engine, port) = match proxy.engine_family.as_str() {
        "MYSQL" => ("mysql", 3306),
        "SQLSERVER" => ("sqlserver", 1433),
        _ => ("postgres", 5432),
    };
    DbInstance {
        id: proxy.name.clone(),
        address: proxy.endpoint.clone(),
        port: Some(port),
        security_groups: proxy.security_groups.clone(),
        subnets: proxy.subnets.clone(),
        vpc_id: proxy.vpc_id.clone(),
        iam_authentication: proxy.iam_authentication,
        engine: Some(engine.to_string()),
        resource_id: proxy
            .arn
            .as_deref()
            .and_then(|arn| arn.rsplit(':').next())
            .map(str::to_string),
        arn: proxy.arn.clone(),
        proxy_targets: Some(proxy.targets.clone()),
        ..DbInstance::default()
    }
}

/// The databases a host name may name: each instance, and each Aurora cluster as one database
/// reached at any of its endpoints, in its members' subnets (a cluster without members has
/// none: no address).
pub fn databases(instances: Vec<DbInstance>, clusters: &[DbCluster]) -> Vec<DbInstance> {
    let mut databases = Vec::new();
    for cluster in clusters {
        let members: Vec<&DbInstance> = instances
            .iter()
            .filter(|instance| cluster.members.contains(&instance.id))
            .collect();
        let mut subnets: Vec<String> = Vec::new();
        for subnet in members.iter().flat_map(|member| &member.subnets) {
            if !subnets.contains(subnet) {
                subnets.push(subnet.clone());
            }
        }
        let mut endpoints = cluster.endpoints.iter();
        let Some(address) = endpoints.next() else {
            continue;
        };
        databases.push(DbInstance {
            id: cluster.id.clone(),
            address: address.clone(),
            port: cluster.port,
            security_groups: cluster.security_groups.clone(),
            subnets,
            vpc_id: members
                .first()
                .map(|member| member.vpc_id.clone())
                .unwrap_or_default(),
            backup_retention_days: cluster.backup_retention_days,
            deletion_protection: cluster.deletion_protection,
            iam_authentication: cluster.iam_authentication,
            other_addresses: endpoints.cloned().collect(),
            cluster: Some(cluster.id.clone()),
            engine: cluster.engine.clone(),
            resource_id: cluster.resource_id.clone(),
            arn: cluster.arn.clone(),
            proxy_targets: None,
        });
    }
    // A member's backups, deletion protection and IAM authentication are its cluster's, and
    // an IAM token for it is checked against the cluster's resource id.
    for mut instance in instances {
        if let Some(cluster) = clusters
            .iter()
            .find(|cluster| Some(&cluster.id) == instance.cluster.as_ref())
        {
            instance.backup_retention_days = cluster.backup_retention_days;
            instance.deletion_protection = cluster.deletion_protection;
            instance.iam_authentication = cluster.iam_authentication;
            instance.resource_id = cluster.resource_id.clone();
        }
        databases.push(instance);
    }
    databases
}

/// The route table a subnet uses: the one associated with it, else its VPC's main table.
pub fn table_of<'a>(tables: &'a [RouteTable], subnet: &Subnet) -> Option<&'a RouteTable> {
    tables
        .iter()
        .find(|table| table.subnets.contains(&subnet.id))
        .or_else(|| {
            tables
                .iter()
                .find(|table| table.main && table.vpc_id == subnet.vpc_id)
        })
}

/// The network ACL a subnet uses: the one associated with it, else its VPC's default.
pub fn acl_of<'a>(acls: &'a [AclAssociation], subnet: &Subnet) -> Option<&'a AclAssociation> {
    acls.iter()
        .find(|acl| acl.subnets.contains(&subnet.id))
        .or_else(|| {
            acls.iter()
                .find(|acl| acl.default && acl.vpc_id == subnet.vpc_id)
        })
}
