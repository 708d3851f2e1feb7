//! The EC2 read of [`super::AwsInventory`]: a task ENI's public IP.
//!
//! This is the only EC2 call the auditor makes, so instead of the 1.2-million-line
//! `aws-sdk-ec2` crate (minutes of compile time and megabytes of binary for one operation)
//! it is one signed Query API request: the SDK's own HTTPS connector and SigV4 signer, the
//! shared credentials, `AWS_ENDPOINT_URL_EC2` / `AWS_ENDPOINT_URL` like every SDK client, and
//! retries with backoff on throttling and 5xx answers.

use super::failure_from_code;
use crate::context::{ReadError, ReadFailure};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::{Connector, tls};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use http_body_util::BodyExt;
use std::time::{Duration, SystemTime};

const OPERATION: &str = "ec2:DescribeNetworkInterfaces";
const ATTEMPTS: u32 = 3;

/// Reads ENIs through the EC2 Query API.
pub struct Ec2Reader {
    connector: Connector,
    credentials: Option<SharedCredentialsProvider>,
    region: String,
    endpoint: String,
}

impl std::fmt::Debug for Ec2Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ec2Reader")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// The endpoint as every SDK client resolves it: `AWS_ENDPOINT_URL_EC2`, then the shared
/// `AWS_ENDPOINT_URL` (or one configured in code), then the regional endpoint.
pub fn endpoint(sdk: &aws_config::SdkConfig, region: &str) -> String {
    std::env::var("AWS_ENDPOINT_URL_EC2")
        .ok()
        .filter(|url| !url.is_empty())
        .or_else(|| sdk.endpoint_url().map(str::to_string))
        .unwrap_or_else(|| {
            let suffix = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://ec2.{region}.{suffix}")
        })
}

impl Ec2Reader {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let region = sdk
            .region()
            .map(|region| region.to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        let connector = Connector::builder()
            .connector_settings(
                HttpConnectorSettings::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .read_timeout(Duration::from_secs(10))
                    .build(),
            )
            .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build();
        Ec2Reader {
            connector,
            credentials: sdk.credentials_provider(),
            endpoint: endpoint(sdk, &region),
            region,
        }
    }

    /// `ec2:DescribeNetworkInterfaces` for one ENI: its public IPv4 address, if it has one. A
    /// stopped task's ENI is deleted, so this only works while the task runs.
    pub async fn public_ip(&self, network_interface: &str) -> Result<Option<String>, ReadError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.describe(network_interface).await {
                Ok(ip) => return Ok(ip),
                Err((failure, message)) => {
                    let retryable =
                        matches!(failure, ReadFailure::Throttled | ReadFailure::Unavailable);
                    if !retryable || attempt == ATTEMPTS {
                        return Err(ReadError {
                            operation: OPERATION,
                            resource: network_interface.to_string(),
                            failure,
                            message: crate::redact::excerpt(&message, 300),
                        });
                    }
                    // Exponential backoff with jitter from the clock's nanoseconds.
                    let jitter = SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map(|now| u64::from(now.subsec_nanos() % 100))
                        .unwrap_or(0);
                    tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(attempt) + jitter))
                        .await;
                }
            }
        }
    }

    async fn describe(
        &self,
        network_interface: &str,
    ) -> Result<Option<String>, (ReadFailure, String)> {
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
        let request = self.signed_request(body).await?;
        let response = self
            .connector
            .call(request)
            .await
            .map_err(|error| (ReadFailure::Unavailable, super::error_chain(&error)))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|error| (ReadFailure::Unavailable, error.to_string()))?
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        if (200..300).contains(&status) {
            return Ok(first_element(&text, "publicIp").map(str::to_string));
        }
        let code = first_element(&text, "Code").unwrap_or("");
        let message = first_element(&text, "Message").unwrap_or("");
        let failure = match failure_from_code(code, message) {
            ReadFailure::Other if status >= 500 => ReadFailure::Unavailable,
            ReadFailure::Other if status == 429 => ReadFailure::Throttled,
            failure => failure,
        };
        Err((failure, format!("HTTP {status} {code}: {message}")))
    }

    async fn signed_request(&self, body: String) -> Result<HttpRequest, (ReadFailure, String)> {
        let provider = self.credentials.as_ref().ok_or_else(|| {
            (
                ReadFailure::NoCredentials,
                "no credentials provider".to_string(),
            )
        })?;
        let credentials = provider.provide_credentials().await.map_err(|error| {
            (
                ReadFailure::NoCredentials,
                format!("could not load credentials: {}", super::error_chain(&error)),
            )
        })?;
        let url = format!("{}/", self.endpoint.trim_end_matches('/'));
        let uri: http::Uri = url
            .parse()
            .map_err(|_| (ReadFailure::Other, format!("invalid EC2 endpoint {url}")))?;
        let host = uri
            .authority()
            .map(|authority| authority.to_string())
            .ok_or_else(|| (ReadFailure::Other, format!("invalid EC2 endpoint {url}")))?;
        let mut request = http::Request::builder()
            .method("POST")
            .uri(uri)
            .header("host", host)
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(body.clone())
            .map_err(|error| (ReadFailure::Other, error.to_string()))?;
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("ec2")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|error| (ReadFailure::Other, error.to_string()))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            url.as_str(),
            request
                .headers()
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|error| (ReadFailure::Other, error.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|error| (ReadFailure::Other, error.to_string()))?
            .into_parts();
        instructions.apply_to_request_http1x(&mut request);
        let request = request.map(SdkBody::from);
        HttpRequest::try_from(request).map_err(|error| (ReadFailure::Other, error.to_string()))
    }
}

/// The text of the first `<name>...</name>` element.
fn first_element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let sdk = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", None, None, "test"),
            ))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let reader = Ec2Reader::new(&sdk);
        assert_eq!(reader.endpoint, "https://ec2.eu-west-1.amazonaws.com");
        let request = reader
            .signed_request("Action=DescribeNetworkInterfaces&Version=2016-11-15".to_string())
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
