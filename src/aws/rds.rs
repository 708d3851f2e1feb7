//! The doctor's RDS reads (issue 16): `rds:DescribeDBInstances` (an instance's endpoint,
//! security groups, DB subnet group, Aurora cluster, backups, deletion protection, IAM
//! authentication) and `rds:DescribeDBClusters` (an Aurora cluster's writer, reader and custom
//! endpoints, groups and members), `rds:DescribeDBProxies` and `rds:DescribeDBProxyTargets`
//! (an RDS Proxy's endpoint, groups, subnets and its targets' health), as signed Query
//! requests page by page (RDS API reference), parsed with `roxmltree`. No `aws-sdk-rds` crate
//! for four reads the SDK's signer makes as well.

use super::signed_http::{AttemptError, SignedHttp, with_retries};
use super::xml::{child, text};
use crate::doctor::facts::{DbCluster, DbInstance, DbProxy, ProxyTarget};
use crate::model::{ReadError, ReadFailure};
use roxmltree::{Document, Node};

const OPERATION: &str = "rds:DescribeDBInstances";
const CLUSTERS: &str = "rds:DescribeDBClusters";
const PROXIES: &str = "rds:DescribeDBProxies";
const PROXY_TARGETS: &str = "rds:DescribeDBProxyTargets";

/// One page's items and the next page's marker, or why the answer was not understood.
type PageResult<T> = Result<(Vec<T>, Option<String>), String>;

/// Reads RDS instances and Aurora clusters through the RDS Query API.
#[derive(Debug)]
pub(crate) struct RdsReader {
    http: SignedHttp,
    endpoint: String,
}

impl RdsReader {
    /// Built on the inventory's connection (one for every reader).
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: SignedHttp) -> Self {
        RdsReader {
            endpoint: SignedHttp::regional_endpoint(sdk, "RDS", "rds", http.region()),
            http,
        }
    }

    /// Every instance of the account in the region, page by page.
    pub(crate) async fn instances(&self) -> Result<Vec<DbInstance>, ReadError> {
        self.pages(OPERATION, "DescribeDBInstances", "", instances_page)
            .await
    }

    /// Every Aurora cluster of the account in the region, page by page.
    pub(crate) async fn clusters(&self) -> Result<Vec<DbCluster>, ReadError> {
        self.pages(CLUSTERS, "DescribeDBClusters", "", clusters_page)
            .await
    }

    /// Every RDS Proxy of the account in the region, each with its targets' health.
    pub(crate) async fn proxies(&self) -> Result<Vec<DbProxy>, ReadError> {
        let mut proxies = self
            .pages(PROXIES, "DescribeDBProxies", "", proxies_page)
            .await?;
        for proxy in &mut proxies {
            let name = percent_encoding::utf8_percent_encode(
                &proxy.name,
                percent_encoding::NON_ALPHANUMERIC,
            );
            proxy.targets = self
                .pages(
                    PROXY_TARGETS,
                    "DescribeDBProxyTargets",
                    &format!("&DBProxyName={name}"),
                    proxy_targets_page,
                )
                .await?;
        }
        Ok(proxies)
    }

    /// Every page of one Query action; `parameters` (`&Name=value`, encoded) go with each.
    async fn pages<T>(
        &self,
        operation: &'static str,
        action: &str,
        parameters: &str,
        parse: fn(&str) -> PageResult<T>,
    ) -> Result<Vec<T>, ReadError> {
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = with_retries(operation, "", || {
                self.attempt(action, parameters, marker.as_deref())
            })
            .await?;
            let (found, next) = parse(&page).map_err(|problem| ReadError {
                operation,
                resource: String::new(),
                failure: ReadFailure::Other,
                message: problem,
            })?;
            all.extend(found);
            match next {
                Some(next) => marker = Some(next),
                None => return Ok(all),
            }
        }
    }

    async fn attempt(
        &self,
        action: &str,
        parameters: &str,
        marker: Option<&str>,
    ) -> Result<String, AttemptError> {
        let mut body = format!("Action={action}&Version=2014-10-31{parameters}");
        if let Some(marker) = marker {
            let marker =
                percent_encoding::utf8_percent_encode(marker, percent_encoding::NON_ALPHANUMERIC);
            body.push_str(&format!("&Marker={marker}"));
        }
        self.http.query("rds", &self.endpoint, body, 8 << 20).await
    }
}

fn elements<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |child| child.has_tag_name(name))
}

/// The active VPC security groups of an instance or a cluster (`VpcSecurityGroups`).
fn active_groups(node: Node) -> Vec<String> {
    child(node, "VpcSecurityGroups")
        .map(|groups| {
            elements(groups, "VpcSecurityGroupMembership")
                .filter(|group| text(*group, "Status") != Some("inactive"))
                .filter_map(|group| text(group, "VpcSecurityGroupId"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The texts of a list's `member` elements (`<VpcSubnetIds><member>subnet-a</member>...`).
fn members(node: Node, list: &str) -> Vec<String> {
    child(node, list)
        .map(|list| {
            elements(list, "member")
                .filter_map(|member| member.text())
                .map(|text| text.trim().to_string())
                .filter(|text| !text.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The `Result` element of an answer, or why the answer is not one.
fn result<'a, 'i>(document: &'a Document<'i>, name: &str) -> Result<Node<'a, 'i>, String> {
    child(document.root_element(), name).ok_or_else(|| format!("no {name}"))
}

/// The next page's marker, if any.
fn marker(result: Node) -> Option<String> {
    text(result, "Marker")
        .filter(|marker| !marker.is_empty())
        .map(str::to_string)
}

/// One page of `DescribeDBProxies`: each proxy's endpoint, engine family, groups, subnets,
/// IAM authentication and ARN (its targets are read after).
fn proxies_page(xml: &str) -> PageResult<DbProxy> {
    let document =
        Document::parse(xml).map_err(|error| format!("not the RDS answer expected: {error}"))?;
    let result = result(&document, "DescribeDBProxiesResult")?;
    let proxies = child(result, "DBProxies")
        .map(|list| {
            elements(list, "member")
                .map(|proxy| DbProxy {
                    name: text(proxy, "DBProxyName").unwrap_or_default().to_string(),
                    endpoint: text(proxy, "Endpoint").unwrap_or_default().to_string(),
                    engine_family: text(proxy, "EngineFamily").unwrap_or_default().to_string(),
                    security_groups: members(proxy, "VpcSecurityGroupIds"),
                    subnets: members(proxy, "VpcSubnetIds"),
                    vpc_id: text(proxy, "VpcId").unwrap_or_default().to_string(),
                    iam_authentication: child(proxy, "Auth").map(|auth| {
                        elements(auth, "member").any(|entry| {
                            matches!(text(entry, "IAMAuth"), Some("REQUIRED" | "ENABLED"))
                        })
                    }),
                    arn: text(proxy, "DBProxyArn").map(str::to_string),
                    targets: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((proxies, marker(result)))
}

/// One page of `DescribeDBProxyTargets`: each target and its health.
fn proxy_targets_page(xml: &str) -> PageResult<ProxyTarget> {
    let document =
        Document::parse(xml).map_err(|error| format!("not the RDS answer expected: {error}"))?;
    let result = result(&document, "DescribeDBProxyTargetsResult")?;
    let targets = child(result, "Targets")
        .map(|list| {
            elements(list, "member")
                .map(|target| {
                    let health = child(target, "TargetHealth");
                    let of = |name| {
                        health
                            .and_then(|health| text(health, name))
                            .map(str::to_string)
                    };
                    ProxyTarget {
                        id: text(target, "RdsResourceId")
                            .unwrap_or_default()
                            .to_string(),
                        kind: text(target, "Type").unwrap_or_default().to_string(),
                        state: of("State"),
                        reason: of("Reason"),
                        description: of("Description"),
                        database: None,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((targets, marker(result)))
}

/// One page: its instances and the next page's marker.
fn instances_page(xml: &str) -> PageResult<DbInstance> {
    let document =
        Document::parse(xml).map_err(|error| format!("not the RDS answer expected: {error}"))?;
    let root = document.root_element();
    let Some(result) = child(root, "DescribeDBInstancesResult") else {
        return Err("no DescribeDBInstancesResult".to_string());
    };
    let instances = child(result, "DBInstances")
        .map(|list| {
            elements(list, "DBInstance")
                .map(|instance| {
                    let endpoint = child(instance, "Endpoint");
                    let subnet_group = child(instance, "DBSubnetGroup");
                    DbInstance {
                        id: text(instance, "DBInstanceIdentifier")
                            .unwrap_or_default()
                            .to_string(),
                        address: endpoint
                            .and_then(|endpoint| text(endpoint, "Address"))
                            .unwrap_or_default()
                            .to_string(),
                        port: endpoint
                            .and_then(|endpoint| text(endpoint, "Port"))
                            .and_then(|port| port.parse().ok()),
                        security_groups: active_groups(instance),
                        subnets: subnet_group
                            .and_then(|group| child(group, "Subnets"))
                            .map(|subnets| {
                                elements(subnets, "Subnet")
                                    .filter_map(|subnet| text(subnet, "SubnetIdentifier"))
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
                        vpc_id: subnet_group
                            .and_then(|group| text(group, "VpcId"))
                            .unwrap_or_default()
                            .to_string(),
                        backup_retention_days: text(instance, "BackupRetentionPeriod")
                            .and_then(|days| days.parse().ok()),
                        deletion_protection: text(instance, "DeletionProtection")
                            .and_then(|flag| flag.parse().ok()),
                        iam_authentication: text(instance, "IAMDatabaseAuthenticationEnabled")
                            .and_then(|flag| flag.parse().ok()),
                        other_addresses: Vec::new(),
                        cluster: text(instance, "DBClusterIdentifier").map(str::to_string),
                        engine: text(instance, "Engine").map(str::to_string),
                        resource_id: text(instance, "DbiResourceId").map(str::to_string),
                        arn: text(instance, "DBInstanceArn").map(str::to_string),
                        proxy_targets: None,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let marker = text(result, "Marker")
        .filter(|marker| !marker.is_empty())
        .map(str::to_string);
    Ok((instances, marker))
}

/// One page of `DescribeDBClusters`: each cluster's endpoints, port, groups, members and
/// protections.
fn clusters_page(xml: &str) -> PageResult<DbCluster> {
    let document =
        Document::parse(xml).map_err(|error| format!("not the RDS answer expected: {error}"))?;
    let root = document.root_element();
    let Some(result) = child(root, "DescribeDBClustersResult") else {
        return Err("no DescribeDBClustersResult".to_string());
    };
    let clusters = child(result, "DBClusters")
        .map(|list| {
            elements(list, "DBCluster")
                .map(|cluster| DbCluster {
                    id: text(cluster, "DBClusterIdentifier")
                        .unwrap_or_default()
                        .to_string(),
                    endpoints: ["Endpoint", "ReaderEndpoint"]
                        .iter()
                        .filter_map(|name| text(cluster, name))
                        .chain(
                            child(cluster, "CustomEndpoints")
                                .map(|list| {
                                    list.children()
                                        .filter_map(|item| item.text())
                                        .map(str::trim)
                                        .filter(|text| !text.is_empty())
                                        .collect::<Vec<_>>()
                                })
                                .unwrap_or_default(),
                        )
                        .map(str::to_string)
                        .collect(),
                    port: text(cluster, "Port").and_then(|port| port.parse().ok()),
                    security_groups: active_groups(cluster),
                    members: child(cluster, "DBClusterMembers")
                        .map(|members| {
                            elements(members, "DBClusterMember")
                                .filter_map(|member| text(member, "DBInstanceIdentifier"))
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                    backup_retention_days: text(cluster, "BackupRetentionPeriod")
                        .and_then(|days| days.parse().ok()),
                    deletion_protection: text(cluster, "DeletionProtection")
                        .and_then(|flag| flag.parse().ok()),
                    iam_authentication: text(cluster, "IAMDatabaseAuthenticationEnabled")
                        .and_then(|flag| flag.parse().ok()),
                    engine: text(cluster, "Engine").map(str::to_string),
                    resource_id: text(cluster, "DbClusterResourceId").map(str::to_string),
                    arn: text(cluster, "DBClusterArn").map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    let marker = text(result, "Marker")
        .filter(|marker| !marker.is_empty())
        .map(str::to_string);
    Ok((clusters, marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_its_groups_subnets_and_the_next_page() {
        // The shape of the RDS API reference's DescribeDBInstances example, trimmed.
        let page = r#"<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBInstancesResult>
    <Marker>page-2</Marker>
    <DBInstances>
      <DBInstance>
        <DBInstanceIdentifier>coder-postgres</DBInstanceIdentifier>
        <DbiResourceId>db-ABCDEFGHIJKL01234</DbiResourceId>
        <DBInstanceArn>arn:aws:rds:us-east-1:111122223333:db:coder-postgres</DBInstanceArn>
        <Engine>postgres</Engine>
        <BackupRetentionPeriod>0</BackupRetentionPeriod>
        <DeletionProtection>false</DeletionProtection>
        <IAMDatabaseAuthenticationEnabled>true</IAMDatabaseAuthenticationEnabled>
        <Endpoint><Address>coder-postgres.abc.us-east-1.rds.amazonaws.com</Address><Port>5432</Port></Endpoint>
        <VpcSecurityGroups>
          <VpcSecurityGroupMembership><VpcSecurityGroupId>sg-db</VpcSecurityGroupId><Status>active</Status></VpcSecurityGroupMembership>
          <VpcSecurityGroupMembership><VpcSecurityGroupId>sg-old</VpcSecurityGroupId><Status>inactive</Status></VpcSecurityGroupMembership>
        </VpcSecurityGroups>
        <DBSubnetGroup>
          <DBSubnetGroupName>coder</DBSubnetGroupName><VpcId>vpc-1</VpcId>
          <Subnets>
            <Subnet><SubnetIdentifier>subnet-a</SubnetIdentifier></Subnet>
            <Subnet><SubnetIdentifier>subnet-b</SubnetIdentifier></Subnet>
          </Subnets>
        </DBSubnetGroup>
      </DBInstance>
    </DBInstances>
  </DescribeDBInstancesResult>
</DescribeDBInstancesResponse>"#;
        let (instances, marker) = instances_page(page).unwrap();
        assert_eq!(marker.as_deref(), Some("page-2"));
        assert_eq!(
            instances[0],
            DbInstance {
                id: "coder-postgres".to_string(),
                address: "coder-postgres.abc.us-east-1.rds.amazonaws.com".to_string(),
                port: Some(5432),
                security_groups: vec!["sg-db".to_string()],
                subnets: vec!["subnet-a".to_string(), "subnet-b".to_string()],
                vpc_id: "vpc-1".to_string(),
                backup_retention_days: Some(0),
                deletion_protection: Some(false),
                iam_authentication: Some(true),
                other_addresses: Vec::new(),
                cluster: None,
                engine: Some("postgres".to_string()),
                resource_id: Some("db-ABCDEFGHIJKL01234".to_string()),
                arn: Some("arn:aws:rds:us-east-1:111122223333:db:coder-postgres".to_string()),
                proxy_targets: None,
            }
        );
        assert!(instances_page("<x/>").is_err());
    }

    #[test]
    fn a_cluster_is_one_database_at_its_endpoints_in_its_members_subnets() {
        // The shape of the RDS API reference's DescribeDBClusters answer, trimmed.
        let page = r#"<DescribeDBClustersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBClustersResult>
    <DBClusters>
      <DBCluster>
        <DBClusterIdentifier>coder</DBClusterIdentifier>
        <DbClusterResourceId>cluster-ABCDEFGHIJKL01234</DbClusterResourceId>
        <DBClusterArn>arn:aws:rds:us-east-1:111122223333:cluster:coder</DBClusterArn>
        <Endpoint>coder.cluster-abc.us-east-1.rds.amazonaws.com</Endpoint>
        <ReaderEndpoint>coder.cluster-ro-abc.us-east-1.rds.amazonaws.com</ReaderEndpoint>
        <Port>5432</Port>
        <VpcSecurityGroups><VpcSecurityGroupMembership><VpcSecurityGroupId>sg-db</VpcSecurityGroupId><Status>active</Status></VpcSecurityGroupMembership></VpcSecurityGroups>
        <DBClusterMembers><DBClusterMember><DBInstanceIdentifier>coder-1</DBInstanceIdentifier><IsClusterWriter>true</IsClusterWriter></DBClusterMember></DBClusterMembers>
        <BackupRetentionPeriod>7</BackupRetentionPeriod>
        <DeletionProtection>true</DeletionProtection>
        <IAMDatabaseAuthenticationEnabled>false</IAMDatabaseAuthenticationEnabled>
      </DBCluster>
    </DBClusters>
  </DescribeDBClustersResult>
</DescribeDBClustersResponse>"#;
        let (clusters, marker) = clusters_page(page).unwrap();
        assert_eq!(marker, None);
        let member = DbInstance {
            id: "coder-1".to_string(),
            address: "coder-1.abc.us-east-1.rds.amazonaws.com".to_string(),
            port: Some(5432),
            security_groups: vec!["sg-db".to_string()],
            subnets: vec!["subnet-a".to_string(), "subnet-b".to_string()],
            vpc_id: "vpc-1".to_string(),
            backup_retention_days: Some(7),
            deletion_protection: Some(false),
            iam_authentication: Some(false),
            other_addresses: Vec::new(),
            cluster: Some("coder".to_string()),
            engine: Some("postgres".to_string()),
            resource_id: None,
            arn: None,
            proxy_targets: None,
        };
        let databases = crate::doctor::facts::databases(vec![member], &clusters);
        assert_eq!(databases.len(), 2);
        let cluster = &databases[0];
        assert_eq!(cluster.describe(), "Aurora cluster coder");
        assert_eq!(
            cluster.address,
            "coder.cluster-abc.us-east-1.rds.amazonaws.com"
        );
        assert_eq!(
            cluster.other_addresses,
            vec!["coder.cluster-ro-abc.us-east-1.rds.amazonaws.com"]
        );
        assert_eq!(cluster.subnets, vec!["subnet-a", "subnet-b"]);
        assert_eq!(cluster.deletion_protection, Some(true));
        assert_eq!(databases[1].describe(), "RDS instance coder-1");
        // A member's protections are its cluster's (the instance's own flag means nothing).
        assert_eq!(databases[1].deletion_protection, Some(true));
        // An IAM token for the cluster or any member is checked against the cluster's id.
        for database in &databases {
            assert_eq!(
                database.resource_id.as_deref(),
                Some("cluster-ABCDEFGHIJKL01234")
            );
        }
        assert_eq!(
            cluster.arn.as_deref(),
            Some("arn:aws:rds:us-east-1:111122223333:cluster:coder")
        );
    }

    #[test]
    fn a_proxy_and_its_targets_health_are_read_in_the_api_references_shape() {
        // The shape of the RDS API reference's DescribeDBProxies answer, trimmed.
        let proxies = r#"<DescribeDBProxiesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBProxiesResult>
    <DBProxies>
      <member>
        <DBProxyName>coder</DBProxyName>
        <DBProxyArn>arn:aws:rds:us-east-1:111122223333:db-proxy:prx-0123456789abcdef0</DBProxyArn>
        <Status>available</Status>
        <EngineFamily>POSTGRESQL</EngineFamily>
        <VpcId>vpc-1</VpcId>
        <VpcSecurityGroupIds><member>sg-proxy</member></VpcSecurityGroupIds>
        <VpcSubnetIds><member>subnet-a</member><member>subnet-b</member></VpcSubnetIds>
        <Auth><member><AuthScheme>SECRETS</AuthScheme><IAMAuth>REQUIRED</IAMAuth><SecretArn>arn:aws:secretsmanager:us-east-1:111122223333:secret:coder-db-AbCdEf</SecretArn></member></Auth>
        <Endpoint>coder.proxy-abc.us-east-1.rds.amazonaws.com</Endpoint>
      </member>
    </DBProxies>
  </DescribeDBProxiesResult>
</DescribeDBProxiesResponse>"#;
        let (found, marker) = proxies_page(proxies).unwrap();
        assert_eq!(marker, None);
        assert_eq!(
            found,
            vec![DbProxy {
                name: "coder".to_string(),
                endpoint: "coder.proxy-abc.us-east-1.rds.amazonaws.com".to_string(),
                engine_family: "POSTGRESQL".to_string(),
                security_groups: vec!["sg-proxy".to_string()],
                subnets: vec!["subnet-a".to_string(), "subnet-b".to_string()],
                vpc_id: "vpc-1".to_string(),
                iam_authentication: Some(true),
                arn: Some(
                    "arn:aws:rds:us-east-1:111122223333:db-proxy:prx-0123456789abcdef0".to_string()
                ),
                targets: Vec::new(),
            }]
        );
        let targets = r#"<DescribeDBProxyTargetsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBProxyTargetsResult>
    <Targets>
      <member>
        <RdsResourceId>coder-postgres</RdsResourceId>
        <Endpoint>coder-postgres.abc.us-east-1.rds.amazonaws.com</Endpoint>
        <Port>5432</Port>
        <Type>RDS_INSTANCE</Type>
        <Role>READ_WRITE</Role>
        <TargetHealth><State>UNAVAILABLE</State><Reason>UNREACHABLE</Reason><Description>Timed out</Description></TargetHealth>
      </member>
    </Targets>
    <Marker>next</Marker>
  </DescribeDBProxyTargetsResult>
</DescribeDBProxyTargetsResponse>"#;
        let (found, marker) = proxy_targets_page(targets).unwrap();
        assert_eq!(marker.as_deref(), Some("next"));
        assert_eq!(
            found,
            vec![ProxyTarget {
                id: "coder-postgres".to_string(),
                kind: "RDS_INSTANCE".to_string(),
                state: Some("UNAVAILABLE".to_string()),
                reason: Some("UNREACHABLE".to_string()),
                description: Some("Timed out".to_string()),
                database: None,
            }]
        );
        assert!(proxies_page("<x/>").is_err());
        assert!(proxy_targets_page("not xml").is_err());
    }
}
