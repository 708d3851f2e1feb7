//! The EC2 reads: a task ENI's public IP for [`super::AwsInventory`], and a VPC's network
//! configuration for the doctor (issue 16; parsed by `vpc.rs`).
//!
//! Five read operations do not justify the 1.2-million-line `aws-sdk-ec2` crate (minutes of
//! compile time and megabytes of binary), so each is one signed Query API request: the SDK's
//! own HTTPS connector and SigV4 signer, the
//! shared credentials, `AWS_ENDPOINT_URL_EC2` / `AWS_ENDPOINT_URL` like every SDK client, and
//! retries with backoff on throttling and 5xx answers.

use super::signed_http::{AttemptError, SignedHttp, first_element, with_retries};
use super::vpc;
use crate::doctor::facts::{
    AclAssociation, NatGateway, NetworkInterface, RouteTable, Subnet, VpcEndpoint,
};
use crate::doctor::network::SecurityGroup;
use crate::model::{ReadError, ReadFailure};

const OPERATION: &str = "ec2:DescribeNetworkInterfaces";

/// Reads ENIs through the EC2 Query API.
#[derive(Debug)]
pub(crate) struct Ec2Reader {
    http: SignedHttp,
    endpoint: String,
}

/// The endpoint as every SDK client resolves it ([`SignedHttp::regional_endpoint`]).
pub(crate) fn endpoint(sdk: &aws_config::SdkConfig, region: &str) -> String {
    SignedHttp::regional_endpoint(sdk, "EC2", "ec2", region)
}

impl Ec2Reader {
    /// Built on the inventory's connection (one for every reader).
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: SignedHttp) -> Self {
        Ec2Reader {
            endpoint: endpoint(sdk, http.region()),
            http,
        }
    }

    /// `ec2:DescribeNetworkInterfaces` for one ENI: its public IPv4 address, if it has one. A
    /// stopped task's ENI is deleted, so this only works while the task runs.
    pub(crate) async fn public_ip(
        &self,
        network_interface: &str,
    ) -> Result<Option<String>, ReadError> {
        with_retries(OPERATION, network_interface, || {
            self.describe(network_interface)
        })
        .await
    }

    async fn describe(&self, network_interface: &str) -> Result<Option<String>, AttemptError> {
        let interface_valid = !network_interface.is_empty()
            && network_interface
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !interface_valid {
            return Err((
                ReadFailure::NotFound,
                format!("{network_interface:?} is not an ENI id"),
            ));
        }
        let body = format!(
            "Action=DescribeNetworkInterfaces&Version=2016-11-15&NetworkInterfaceId.1={network_interface}"
        );
        let text = self
            .http
            .query("ec2", &self.endpoint, body, 1 << 20)
            .await?;
        Ok(first_element(&text, "publicIp").map(str::to_string))
    }
}

/// The doctor's reads of a VPC's network configuration (issue 16): one Query request each,
/// parsed by `vpc.rs`.
impl Ec2Reader {
    /// `ec2:DescribeSecurityGroups` for these groups.
    pub(crate) async fn security_groups(
        &self,
        ids: &[String],
    ) -> Result<Vec<SecurityGroup>, ReadError> {
        let body = format!(
            "Action=DescribeSecurityGroups&Version=2016-11-15{}",
            numbered("GroupId", ids)
        );
        let xml = self
            .query("ec2:DescribeSecurityGroups", &ids.join(","), body)
            .await?;
        vpc::security_groups(&xml)
            .map_err(|problem| malformed("ec2:DescribeSecurityGroups", problem))
    }

    /// `ec2:DescribeNetworkAcls` of a VPC (its default ACL and every associated one).
    pub(crate) async fn network_acls(&self, vpc: &str) -> Result<Vec<AclAssociation>, ReadError> {
        let body = format!(
            "Action=DescribeNetworkAcls&Version=2016-11-15{}",
            vpc_filter(vpc)
        );
        let xml = self.query("ec2:DescribeNetworkAcls", vpc, body).await?;
        vpc::network_acls(&xml).map_err(|problem| malformed("ec2:DescribeNetworkAcls", problem))
    }

    /// `ec2:DescribeRouteTables` of a VPC (its main table and every associated one).
    pub(crate) async fn route_tables(&self, vpc: &str) -> Result<Vec<RouteTable>, ReadError> {
        let body = format!(
            "Action=DescribeRouteTables&Version=2016-11-15{}",
            vpc_filter(vpc)
        );
        let xml = self.query("ec2:DescribeRouteTables", vpc, body).await?;
        vpc::route_tables(&xml).map_err(|problem| malformed("ec2:DescribeRouteTables", problem))
    }

    /// `ec2:DescribeNetworkInterfaces` for one interface: its subnet, address and groups.
    pub(crate) async fn network_interface(
        &self,
        id: &str,
    ) -> Result<Option<NetworkInterface>, ReadError> {
        let body = format!(
            "Action=DescribeNetworkInterfaces&Version=2016-11-15&NetworkInterfaceId.1={}",
            encoded(id)
        );
        // EC2 answers an interface that no longer exists (a stopped task's) with
        // InvalidNetworkInterfaceID.NotFound.
        let xml = match self.query(OPERATION, id, body).await {
            Err(error) if error.failure == ReadFailure::NotFound => return Ok(None),
            answer => answer?,
        };
        let interfaces =
            vpc::network_interfaces(&xml).map_err(|problem| malformed(OPERATION, problem))?;
        Ok(interfaces.into_iter().find(|interface| interface.id == id))
    }

    /// `ec2:DescribeVpcEndpoints` of a VPC.
    pub(crate) async fn vpc_endpoints(&self, vpc: &str) -> Result<Vec<VpcEndpoint>, ReadError> {
        let body = format!(
            "Action=DescribeVpcEndpoints&Version=2016-11-15{}",
            vpc_filter(vpc)
        );
        let xml = self.query("ec2:DescribeVpcEndpoints", vpc, body).await?;
        vpc::vpc_endpoints(&xml).map_err(|problem| malformed("ec2:DescribeVpcEndpoints", problem))
    }

    /// `ec2:DescribeNatGateways` of a VPC.
    pub(crate) async fn nat_gateways(&self, vpc: &str) -> Result<Vec<NatGateway>, ReadError> {
        let body = format!(
            "Action=DescribeNatGateways&Version=2016-11-15{}",
            vpc_filter(vpc)
        );
        let xml = self.query("ec2:DescribeNatGateways", vpc, body).await?;
        vpc::nat_gateways(&xml).map_err(|problem| malformed("ec2:DescribeNatGateways", problem))
    }

    /// `ec2:DescribeSubnets` for these subnets.
    pub(crate) async fn subnets(&self, ids: &[String]) -> Result<Vec<Subnet>, ReadError> {
        let body = format!(
            "Action=DescribeSubnets&Version=2016-11-15{}",
            numbered("SubnetId", ids)
        );
        let xml = self
            .query("ec2:DescribeSubnets", &ids.join(","), body)
            .await?;
        vpc::subnets(&xml).map_err(|problem| malformed("ec2:DescribeSubnets", problem))
    }

    /// One Query request, retried as every read is; the answer's XML.
    async fn query(
        &self,
        operation: &'static str,
        resource: &str,
        body: String,
    ) -> Result<String, ReadError> {
        with_retries(operation, resource, || self.send(body.clone())).await
    }

    async fn send(&self, body: String) -> Result<String, AttemptError> {
        self.http.query("ec2", &self.endpoint, body, 8 << 20).await
    }
}

/// `&Name.1=a&Name.2=b`, as the Query API lists values (ids need no encoding; others are
/// percent-encoded anyway).
fn numbered(name: &str, values: &[String]) -> String {
    values
        .iter()
        .enumerate()
        .map(|(index, value)| format!("&{name}.{}={}", index + 1, encoded(value)))
        .collect()
}

fn vpc_filter(vpc: &str) -> String {
    format!("&Filter.1.Name=vpc-id&Filter.1.Value.1={}", encoded(vpc))
}

/// Form encoding that keeps RFC 3986's unreserved characters (`eni-0a1b`, `vpc-1`) as they are.
fn encoded(value: &str) -> String {
    const FORM: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, FORM).to_string()
}

fn malformed(operation: &'static str, problem: String) -> ReadError {
    ReadError {
        operation,
        resource: String::new(),
        failure: ReadFailure::Other,
        message: problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::failure_from_code;

    #[test]
    fn reads_the_public_ip_and_errors_from_query_answers() {
        let answer = r#"<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
            <requestId>r</requestId><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId>
            <association><publicIp>54.210.1.2</publicIp><ipOwnerId>amazon</ipOwnerId></association>
            <privateIpAddressesSet><item><association><publicIp>54.210.1.2</publicIp></association></item></privateIpAddressesSet>
            </item></networkInterfaceSet></DescribeNetworkInterfacesResponse>"#;
        assert_eq!(first_element(answer, "publicIp"), Some("54.210.1.2"));
        let error = "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized</Message></Error></Errors></Response>";
        assert_eq!(first_element(error, "Code"), Some("UnauthorizedOperation"));
        assert_eq!(
            failure_from_code("InvalidNetworkInterfaceID.NotFound", ""),
            ReadFailure::NotFound
        );
        assert_eq!(first_element("<x/>", "publicIp"), None);
    }

    #[tokio::test]
    async fn requests_are_signed_for_ec2_in_the_region() {
        let sdk = crate::aws::signed_http::test_sdk_config("eu-west-1");
        let reader = Ec2Reader::sharing(&sdk, SignedHttp::new(&sdk));
        assert_eq!(reader.endpoint, "https://ec2.eu-west-1.amazonaws.com");
        let request = reader
            .http
            .signed(
                "ec2",
                "POST",
                &format!("{}/", reader.endpoint),
                &[(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                )],
                b"Action=DescribeNetworkInterfaces&Version=2016-11-15".to_vec(),
            )
            .await
            .unwrap();
        let authorization = request.headers().get("authorization").unwrap();
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{authorization}"
        );
        assert!(
            authorization.contains("/eu-west-1/ec2/aws4_request"),
            "{authorization}"
        );
        assert!(
            authorization.contains("SignedHeaders=content-type;host;x-amz-date"),
            "{authorization}"
        );
        assert!(request.headers().get("x-amz-date").is_some());
    }
}
