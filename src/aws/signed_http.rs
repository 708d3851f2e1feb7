//! One SigV4-signed HTTPS request at a time, for the two reads that do not justify a whole SDK
//! crate (`ec2:DescribeNetworkInterfaces`, `s3:GetObject`): the SDK's own HTTPS connector and
//! signer, the shared credentials, endpoints resolved like every SDK client
//! (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`), and retries with backoff on
//! throttling and 5xx answers.

use crate::model::{ReadError, ReadFailure};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::{Connector, tls};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use http_body_util::{BodyExt, Limited};
use std::future::Future;
use std::time::{Duration, SystemTime};

const ATTEMPTS: u32 = 3;

/// A failed attempt: why, and the service's words.
pub(crate) type AttemptError = (ReadFailure, String);

/// Signs and sends requests for one region. Clones share one connector (its TLS set-up and
/// connection pool): the readers of one inventory are built from one.
#[derive(Clone)]
pub(crate) struct SignedHttp {
    connector: std::sync::Arc<Connector>,
    credentials: Option<SharedCredentialsProvider>,
    region: String,
}

impl std::fmt::Debug for SignedHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedHttp")
            .field("region", &self.region)
            .finish()
    }
}

/// An answer: status and body.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl SignedHttp {
    pub(crate) fn new(sdk: &aws_config::SdkConfig) -> Self {
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
        SignedHttp {
            connector: std::sync::Arc::new(connector),
            credentials: sdk.credentials_provider(),
            region,
        }
    }

    pub(crate) fn region(&self) -> &str {
        &self.region
    }

    /// Signs for `region` instead of the SDK's: a global service's signing region (IAM signs
    /// in `us-east-1`, in `cn-north-1` in China).
    pub(crate) fn signing_in(mut self, region: &str) -> Self {
        self.region = region.to_string();
        self
    }

    /// The endpoint as every SDK client resolves it: `AWS_ENDPOINT_URL_<ENV_NAME>`, then the
    /// shared `AWS_ENDPOINT_URL` (or one configured in code); `None` for AWS's own.
    pub(crate) fn custom_endpoint(sdk: &aws_config::SdkConfig, env_name: &str) -> Option<String> {
        std::env::var(format!("AWS_ENDPOINT_URL_{env_name}"))
            .ok()
            .filter(|url| !url.is_empty())
            .or_else(|| sdk.endpoint_url().map(str::to_string))
    }

    /// The endpoint as every SDK client resolves it: `AWS_ENDPOINT_URL_<env_name>`, then the
    /// shared `AWS_ENDPOINT_URL` (or one configured in code), then
    /// `https://<host>.<region>.amazonaws.com` (`.com.cn` in China).
    pub(crate) fn regional_endpoint(
        sdk: &aws_config::SdkConfig,
        env_name: &str,
        host: &str,
        region: &str,
    ) -> String {
        Self::custom_endpoint(sdk, env_name).unwrap_or_else(|| {
            let suffix = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://{host}.{region}.{suffix}")
        })
    }

    /// One Query API request (EC2, RDS, IAM): the form `body` POSTed to `endpoint`, the answer's
    /// XML, or the failure its `<Code>` names.
    pub(crate) async fn query(
        &self,
        service: &str,
        endpoint: &str,
        body: String,
        max_body: usize,
    ) -> Result<String, AttemptError> {
        let answer = self
            .send(
                service,
                "POST",
                &format!("{}/", endpoint.trim_end_matches('/')),
                &[(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                )],
                body.into_bytes(),
                max_body,
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

    /// One JSON-protocol request (Secrets Manager, SSM): `body` POSTed to `endpoint` with
    /// `X-Amz-Target: target`; the answer's JSON text, or the failure its `__type` names.
    pub(crate) async fn json(
        &self,
        service: &str,
        endpoint: &str,
        target: &str,
        body: String,
    ) -> Result<String, AttemptError> {
        let answer = self
            .send(
                service,
                "POST",
                &format!("{}/", endpoint.trim_end_matches('/')),
                &[
                    ("content-type", "application/x-amz-json-1.1"),
                    ("x-amz-target", target),
                ],
                body.into_bytes(),
                1 << 20,
            )
            .await?;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        if (200..300).contains(&answer.status) {
            return Ok(text);
        }
        #[derive(serde::Deserialize)]
        struct ErrorAnswer {
            #[serde(rename = "__type", default)]
            kind: String,
            #[serde(alias = "Message", default)]
            message: String,
        }
        let error: ErrorAnswer = serde_json::from_str(&text).unwrap_or(ErrorAnswer {
            kind: String::new(),
            message: crate::redact::excerpt(&text, 200),
        });
        // `__type` may carry a namespace: `com.amazonaws...#ResourceNotFoundException`.
        let code = error.kind.rsplit('#').next().unwrap_or_default();
        Err((
            failure_of(answer.status, code, &error.message),
            format!("HTTP {} {code}: {}", answer.status, error.message),
        ))
    }

    /// Signs a request for `service` and sends it; the body of the answer is read up to
    /// `max_body` bytes (more is an error, not a cut).
    pub(crate) async fn send(
        &self,
        service: &str,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        max_body: usize,
    ) -> Result<Answer, AttemptError> {
        let request = self.signed(service, method, url, headers, body).await?;
        let response = self
            .connector
            .call(request)
            .await
            .map_err(|error| (ReadFailure::Unavailable, super::error_chain(&error)))?;
        let status = response.status().as_u16();
        let bytes = Limited::new(response.into_body(), max_body)
            .collect()
            .await
            .map_err(|error| {
                if error.is::<http_body_util::LengthLimitError>() {
                    (
                        ReadFailure::Other,
                        format!("the answer is larger than {max_body} bytes"),
                    )
                } else {
                    (ReadFailure::Unavailable, error.to_string())
                }
            })?
            .to_bytes();
        Ok(Answer {
            status,
            body: bytes.to_vec(),
        })
    }

    pub(super) async fn signed(
        &self,
        service: &str,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<HttpRequest, AttemptError> {
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
        let uri: http::Uri = url
            .parse()
            .map_err(|_| (ReadFailure::Other, format!("invalid endpoint {url}")))?;
        let host = uri
            .authority()
            .map(|authority| authority.to_string())
            .ok_or_else(|| (ReadFailure::Other, format!("invalid endpoint {url}")))?;
        let mut builder = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", host);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder
            .body(body.clone())
            .map_err(|error| (ReadFailure::Other, error.to_string()))?;
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        if service == "s3" {
            // S3 wants the payload's hash in x-amz-content-sha256.
            settings.payload_checksum_kind =
                aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|error| (ReadFailure::Other, error.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            url,
            request
                .headers()
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
            SignableBody::Bytes(&body),
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

/// Runs `attempt` until it succeeds, fails for good, or [`ATTEMPTS`] throttled or unavailable
/// tries have passed, with exponential backoff; the error names the operation and resource.
pub(crate) async fn with_retries<T, F, Fut>(
    operation: &'static str,
    resource: &str,
    mut attempt: F,
) -> Result<T, ReadError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AttemptError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Ok(value) => return Ok(value),
            Err((failure, message)) => {
                let retryable =
                    matches!(failure, ReadFailure::Throttled | ReadFailure::Unavailable);
                if !retryable || tries == ATTEMPTS {
                    return Err(ReadError {
                        operation,
                        resource: resource.to_string(),
                        failure,
                        message: crate::redact::excerpt(&message, 300),
                    });
                }
                // Exponential backoff with jitter from the clock's nanoseconds.
                let jitter = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(|now| u64::from(now.subsec_nanos() % 100))
                    .unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(tries) + jitter)).await;
            }
        }
    }
}

/// The failure an error answer stands for: its `<Code>`, else its HTTP status.
pub(crate) fn failure_of(status: u16, code: &str, message: &str) -> ReadFailure {
    match super::failure_from_code(code, message) {
        ReadFailure::Other if status >= 500 => ReadFailure::Unavailable,
        ReadFailure::Other if status == 429 => ReadFailure::Throttled,
        ReadFailure::Other if status == 403 => ReadFailure::AccessDenied,
        ReadFailure::Other if status == 404 => ReadFailure::NotFound,
        failure => failure,
    }
}

/// The text of the first `<name>...</name>` element.
pub(crate) fn first_element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim())
}

/// An SDK configuration for signing tests: a region and fixed credentials, no endpoint.
#[cfg(test)]
pub(crate) fn test_sdk_config(region: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", None, None, "test"),
        ))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build()
}
