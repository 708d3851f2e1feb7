//! The doctor's network reads ([`crate::doctor::read::NetworkReads`]) for AWS: EC2's
//! `Describe*` through `ec2.rs`, RDS's `DescribeDBInstances` through `rds.rs`. Built once.

use super::ec2::Ec2Reader;
use super::rds::RdsReader;
use super::signed_http::SignedHttp;
use crate::doctor::facts::{
    AclAssociation, DbInstance, NatGateway, NetworkInterface, RouteTable, Subnet, VpcEndpoint,
};
use crate::doctor::network::SecurityGroup;
use crate::doctor::read::NetworkReads;
use crate::model::ReadError;

/// The AWS side of the doctor's network checks.
#[derive(Debug)]
pub struct AwsNetwork {
    ec2: Ec2Reader,
    rds: RdsReader,
}

impl AwsNetwork {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self::sharing(sdk, &SignedHttp::new(sdk))
    }

    /// Built on the inventory's connection.
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: &SignedHttp) -> Self {
        AwsNetwork {
            ec2: Ec2Reader::sharing(sdk, http.clone()),
            rds: RdsReader::sharing(sdk, http.clone()),
        }
    }
}

impl NetworkReads for AwsNetwork {
    async fn security_groups(&self, ids: &[String]) -> Result<Vec<SecurityGroup>, ReadError> {
        self.ec2.security_groups(ids).await
    }
    async fn network_acls(&self, vpc: &str) -> Result<Vec<AclAssociation>, ReadError> {
        self.ec2.network_acls(vpc).await
    }
    async fn route_tables(&self, vpc: &str) -> Result<Vec<RouteTable>, ReadError> {
        self.ec2.route_tables(vpc).await
    }
    async fn subnets(&self, ids: &[String]) -> Result<Vec<Subnet>, ReadError> {
        self.ec2.subnets(ids).await
    }
    async fn network_interface(&self, id: &str) -> Result<Option<NetworkInterface>, ReadError> {
        self.ec2.network_interface(id).await
    }
    /// The instances, and each Aurora cluster as one database at its endpoints.
    async fn db_instances(&self) -> Result<Vec<DbInstance>, ReadError> {
        let instances = self.rds.instances().await?;
        let clusters = self.rds.clusters().await?;
        Ok(crate::doctor::facts::databases(instances, &clusters))
    }
    async fn db_proxies(&self) -> Result<Vec<DbInstance>, ReadError> {
        let proxies = self.rds.proxies().await?;
        Ok(proxies
            .iter()
            .map(crate::doctor::facts::proxy_database)
            .collect())
    }
    async fn vpc_endpoints(&self, vpc: &str) -> Result<Vec<VpcEndpoint>, ReadError> {
        self.ec2.vpc_endpoints(vpc).await
    }
    async fn nat_gateways(&self, vpc: &str) -> Result<Vec<NatGateway>, ReadError> {
        self.ec2.nat_gateways(vpc).await
    }
}
