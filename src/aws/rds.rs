//! The doctor's RDS read (issue 16, in progress): `rds:DescribeDBInstances`, for a database
//! instance's endpoint, security groups and DB subnet group, as one signed Query request per
//! page (RDS API reference, `DescribeDBInstances`), parsed with `roxmltree`. No
//! `aws-sdk-rds` crate for a read the SDK's signer makes as well.

use super::signed_http::{AttemptError, SignedHttp, failure_of, first_element, with_retries};
use crate::doctor::facts::DbInstance;
use crate::model::{ReadError, ReadFailure};
use roxmltree::{Document, Node};

const OPERATION: &str = "rds:DescribeDBInstances";

/// Reads RDS instances through the RDS Query API.
#[derive(Debug)]
pub(crate) struct RdsReader {
    http: SignedHttp,
    endpoint: String,
}

impl RdsReader {
    pub(crate) fn new(sdk: &aws_config::SdkConfig) -> Self {
        let http = SignedHttp::new(sdk);
        let region = http.region().to_string();
        RdsReader {
            endpoint: SignedHttp::custom_endpoint(sdk, "RDS").unwrap_or_else(|| {
                let suffix = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://rds.{region}.{suffix}")
            }),
            http,
        }
    }

    /// Every instance of the account in the region, page by page.
    pub(crate) async fn instances(&self) -> Result<Vec<DbInstance>, ReadError> {
        let mut instances = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = with_retries(OPERATION, "", || self.attempt(marker.as_deref())).await?;
            let (found, next) = instances_page(&page).map_err(|problem| ReadError {
                operation: OPERATION,
                resource: String::new(),
                failure: ReadFailure::Other,
                message: problem,
            })?;
            instances.extend(found);
            match next {
                Some(next) => marker = Some(next),
                None => return Ok(instances),
            }
        }
    }

    async fn attempt(&self, marker: Option<&str>) -> Result<String, AttemptError> {
        let mut body = "Action=DescribeDBInstances&Version=2014-10-31".to_string();
        if let Some(marker) = marker {
            let marker =
                percent_encoding::utf8_percent_encode(marker, percent_encoding::NON_ALPHANUMERIC);
            body.push_str(&format!("&Marker={marker}"));
        }
        let answer = self
            .http
            .send(
                "rds",
                "POST",
                &format!("{}/", self.endpoint.trim_end_matches('/')),
                &[(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                )],
                body.into_bytes(),
                8 << 20,
            )
            .await?;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        if (200..300).contains(&answer.status) {
            return Ok(text);
        }
        let code = first_element(&text, "Code").unwrap_or("");
        let message = first_element(&text, "Message").unwrap_or("");
        Err((
            failure_of(answer.status, code, message),
            format!("HTTP {} {code}: {message}", answer.status),
        ))
    }
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|child| child.has_tag_name(name))
}

fn text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name)
        .and_then(|child| child.text())
        .map(str::trim)
}

fn elements<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |child| child.has_tag_name(name))
}

/// One page: its instances and the next page's marker.
fn instances_page(xml: &str) -> Result<(Vec<DbInstance>, Option<String>), String> {
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
                        security_groups: child(instance, "VpcSecurityGroups")
                            .map(|groups| {
                                elements(groups, "VpcSecurityGroupMembership")
                                    .filter(|group| text(*group, "Status") != Some("inactive"))
                                    .filter_map(|group| text(group, "VpcSecurityGroupId"))
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
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
            }
        );
        assert!(instances_page("<x/>").is_err());
    }
}
