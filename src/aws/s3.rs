//! The S3 read of [`super::AwsInventory`]: a container's `environmentFiles` object, with
//! `READ_ENVIRONMENT_FILES=true` only. One signed `GET` (`aws-sdk-s3` would add minutes of
//! compile time and a megabyte of binary for it), kept in memory; its values never leave.

use super::signed_http::{AttemptError, SignedHttp, failure_of, first_element, with_retries};
use crate::model::{ReadError, ReadFailure};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

const OPERATION: &str = "s3:GetObject";

/// Largest environment file read. ECS reads files of `VARIABLE=VALUE` lines; anything larger
/// is not one, and is reported rather than cut.
pub(crate) const MAX_ENVIRONMENT_FILE_BYTES: usize = 1 << 20;

/// Characters of a key segment left as they are (RFC 3986 unreserved), as SigV4 wants.
const KEY_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Reads objects from S3.
#[derive(Debug)]
pub(crate) struct S3Reader {
    http: SignedHttp,
    /// A custom endpoint (an emulator): path-style requests to it.
    endpoint: Option<String>,
}

/// An S3 object named by its ARN, `arn:PARTITION:s3:::BUCKET/KEY`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ObjectArn<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
}

impl<'a> ObjectArn<'a> {
    pub(crate) fn parse(arn: &'a str) -> Option<ObjectArn<'a>> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(_partition), Some("s3"), Some(""), Some(""), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let (bucket, key) = resource.split_once('/')?;
        (!bucket.is_empty() && !key.is_empty()).then_some(ObjectArn { bucket, key })
    }
}

impl S3Reader {
    /// Built on the inventory's connection (one for every reader).
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: SignedHttp) -> Self {
        S3Reader {
            http,
            endpoint: SignedHttp::custom_endpoint(sdk, "S3"),
        }
    }

    /// The object's URL: virtual-hosted style on AWS, path style on a custom endpoint.
    fn url(&self, object: &ObjectArn) -> String {
        let key: Vec<String> = object
            .key
            .split('/')
            .map(|segment| utf8_percent_encode(segment, KEY_SEGMENT).to_string())
            .collect();
        let key = key.join("/");
        match &self.endpoint {
            Some(endpoint) => format!("{}/{}/{key}", endpoint.trim_end_matches('/'), object.bucket),
            None => {
                let region = self.http.region();
                let suffix = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://{}.s3.{region}.{suffix}/{key}", object.bucket)
            }
        }
    }

    /// `s3:GetObject` of an environment file: its text.
    pub(crate) async fn environment_file(&self, arn: &str) -> Result<String, ReadError> {
        with_retries(OPERATION, arn, || self.get(arn)).await
    }

    async fn get(&self, arn: &str) -> Result<String, AttemptError> {
        let object = ObjectArn::parse(arn).ok_or_else(|| {
            (
                ReadFailure::NotFound,
                "not an S3 object ARN (arn:aws:s3:::BUCKET/KEY)".to_string(),
            )
        })?;
        let answer = self
            .http
            .send(
                "s3",
                "GET",
                &self.url(&object),
                &[],
                Vec::new(),
                MAX_ENVIRONMENT_FILE_BYTES,
            )
            .await?;
        if (200..300).contains(&answer.status) {
            return String::from_utf8(answer.body)
                .map_err(|_| (ReadFailure::Other, "the file is not UTF-8 text".to_string()));
        }
        let text = String::from_utf8_lossy(&answer.body);
        let code = first_element(&text, "Code").unwrap_or("");
        let message = first_element(&text, "Message").unwrap_or("");
        let failure = match code {
            "NoSuchKey" | "NoSuchBucket" => ReadFailure::NotFound,
            "SlowDown" => ReadFailure::Throttled,
            _ => failure_of(answer.status, code, message),
        };
        Err((failure, format!("HTTP {} {code}: {message}", answer.status)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_arns() {
        assert_eq!(
            ObjectArn::parse("arn:aws:s3:::coder-config/coder/coder.env"),
            Some(ObjectArn {
                bucket: "coder-config",
                key: "coder/coder.env"
            })
        );
        for bad in [
            "arn:aws:s3:::bucket",
            "arn:aws:s3:::/key",
            "arn:aws:s3:us-east-1::bucket/key",
            "s3://bucket/key",
            "arn:aws:ssm:::bucket/key",
        ] {
            assert_eq!(ObjectArn::parse(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn urls_and_signatures() {
        let sdk = crate::aws::signed_http::test_sdk_config("eu-west-1");
        let reader = S3Reader::sharing(&sdk, SignedHttp::new(&sdk));
        let object = ObjectArn::parse("arn:aws:s3:::b/dir/my file+1.env").unwrap();
        assert_eq!(
            reader.url(&object),
            "https://b.s3.eu-west-1.amazonaws.com/dir/my%20file%2B1.env"
        );
        let request = reader
            .http
            .signed("s3", "GET", &reader.url(&object), &[], Vec::new())
            .await
            .unwrap();
        let authorization = request.headers().get("authorization").unwrap();
        assert!(
            authorization.contains("/eu-west-1/s3/aws4_request"),
            "{authorization}"
        );
        assert!(request.headers().get("x-amz-content-sha256").is_some());
        let emulated = S3Reader {
            endpoint: Some("http://127.0.0.1:5000/".to_string()),
            ..reader
        };
        assert_eq!(
            emulated.url(&object),
            "http://127.0.0.1:5000/b/dir/my%20file%2B1.env"
        );
    }
}
