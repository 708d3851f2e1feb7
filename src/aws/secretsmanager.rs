//! The doctor's Secrets Manager reads (issue 16): `DescribeSecret` (the secret's ARN, deletion
//! date, KMS key, versions and their stages) and `GetResourcePolicy`, as signed JSON requests
//! (Secrets Manager API reference; `X-Amz-Target: secretsmanager.<Operation>`), and a secret's
//! value (`GetSecretValue`) only when asked (`READ_SECRET_VALUES`, `doctor --read-secrets`),
//! kept in memory. No `aws-sdk-secretsmanager` crate for three calls.

use super::signed_http::{AttemptError, SignedHttp, with_retries};
use crate::doctor::secrets::SecretMetadata;
use crate::model::{KnownFrom, KnownValue, ReadError, ReadFailure, SecretText};
use serde::Deserialize;
use std::collections::BTreeMap;

const DESCRIBE_SECRET: &str = "secretsmanager:DescribeSecret";
const GET_RESOURCE_POLICY: &str = "secretsmanager:GetResourcePolicy";
/// Only with `READ_SECRET_VALUES=true` or `doctor --read-secrets`.
const GET_SECRET_VALUE: &str = "secretsmanager:GetSecretValue";

/// Reads secrets' metadata through the Secrets Manager JSON API.
#[derive(Debug)]
pub(crate) struct SecretsManagerReader {
    http: SignedHttp,
    endpoint: String,
}

/// `DescribeSecret`'s answer, the fields the doctor uses.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeSecretAnswer {
    #[serde(rename = "ARN", default)]
    arn: String,
    #[serde(default)]
    name: String,
    /// Epoch seconds (a JSON number).
    #[serde(default)]
    deleted_date: Option<f64>,
    #[serde(default)]
    kms_key_id: Option<String>,
    #[serde(default)]
    version_ids_to_stages: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SecretValueAnswer {
    #[serde(default)]
    secret_string: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourcePolicyAnswer {
    #[serde(default)]
    resource_policy: Option<String>,
}

impl SecretsManagerReader {
    /// Built on the inventory's connection (one for every reader).
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: SignedHttp) -> Self {
        SecretsManagerReader {
            endpoint: SignedHttp::regional_endpoint(
                sdk,
                "SECRETS_MANAGER",
                "secretsmanager",
                http.region(),
            ),
            http,
        }
    }

    /// The secret's metadata; `None`: no such secret.
    pub(crate) async fn describe_secret(
        &self,
        secret_id: &str,
    ) -> Result<Option<SecretMetadata>, ReadError> {
        let body = serde_json::json!({ "SecretId": secret_id }).to_string();
        let answer = match with_retries(DESCRIBE_SECRET, secret_id, || {
            self.attempt("DescribeSecret", body.clone())
        })
        .await
        {
            Ok(answer) => answer,
            Err(error) if error.failure == ReadFailure::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        let answer: DescribeSecretAnswer =
            serde_json::from_str(&answer).map_err(|error| ReadError {
                operation: DESCRIBE_SECRET,
                resource: secret_id.to_string(),
                failure: ReadFailure::Other,
                message: format!("not the answer expected: {error}"),
            })?;
        Ok(Some(SecretMetadata {
            arn: answer.arn,
            name: answer.name,
            deleted_date: answer.deleted_date.map(epoch_text),
            kms_key_id: answer.kms_key_id,
            versions: answer.version_ids_to_stages,
        }))
    }

    /// The secret's resource policy (JSON text), if it has one.
    pub(crate) async fn resource_policy(
        &self,
        secret_arn: &str,
    ) -> Result<Option<String>, ReadError> {
        let body = serde_json::json!({ "SecretId": secret_arn }).to_string();
        let answer = with_retries(GET_RESOURCE_POLICY, secret_arn, || {
            self.attempt("GetResourcePolicy", body.clone())
        })
        .await?;
        let answer: ResourcePolicyAnswer =
            serde_json::from_str(&answer).map_err(|error| ReadError {
                operation: GET_RESOURCE_POLICY,
                resource: secret_arn.to_string(),
                failure: ReadFailure::Other,
                message: format!("not the answer expected: {error}"),
            })?;
        Ok(answer.resource_policy.filter(|policy| !policy.is_empty()))
    }

    /// The text a `valueFrom` names, as ECS injects it: the secret's string at the version
    /// stage or id, or the JSON key's value (a string as is, anything else as JSON text).
    /// Never logged or shown.
    pub(crate) async fn secret_value(
        &self,
        secret_id: &str,
        json_key: Option<&str>,
        version_stage: Option<&str>,
        version_id: Option<&str>,
    ) -> Result<SecretText, ReadError> {
        let mut request = serde_json::json!({ "SecretId": secret_id });
        if let Some(stage) = version_stage {
            request["VersionStage"] = stage.into();
        }
        if let Some(id) = version_id {
            request["VersionId"] = id.into();
        }
        let body = request.to_string();
        let answer = with_retries(GET_SECRET_VALUE, secret_id, || {
            self.attempt("GetSecretValue", body.clone())
        })
        .await?;
        let answer: SecretValueAnswer = serde_json::from_str(&answer).map_err(|_| ReadError {
            operation: GET_SECRET_VALUE,
            resource: secret_id.to_string(),
            failure: ReadFailure::Other,
            // serde's message may quote the value: not repeated.
            message: "not the answer expected".to_string(),
        })?;
        let Some(text) = answer.secret_string else {
            return Ok(SecretText::Unread);
        };
        let Some(key) = json_key else {
            return Ok(SecretText::Value(KnownValue(
                text,
                KnownFrom::SecretsManager,
            )));
        };
        // As the ECS agent does: the value must be a JSON object with that key.
        let value = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|object| object.get(key).cloned());
        Ok(match value {
            Some(serde_json::Value::String(text)) => {
                SecretText::Value(KnownValue(text, KnownFrom::SecretsManager))
            }
            Some(other) => {
                SecretText::Value(KnownValue(other.to_string(), KnownFrom::SecretsManager))
            }
            None => SecretText::NoSuchJsonKey(key.to_string()),
        })
    }

    async fn attempt(&self, operation: &str, body: String) -> Result<String, AttemptError> {
        let target = format!("secretsmanager.{operation}");
        self.http
            .json("secretsmanager", &self.endpoint, &target, body)
            .await
    }
}

/// Epoch seconds as RFC 3339 UTC (the deletion date in an alert).
fn epoch_text(seconds: f64) -> String {
    let time = aws_smithy_types::DateTime::from_secs(seconds as i64);
    time.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| format!("{seconds} seconds after 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deletion_date_is_written_as_utc() {
        assert_eq!(epoch_text(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(epoch_text(1_796_036_400.5), "2026-11-30T11:00:00Z");
    }

    #[test]
    fn an_answer_in_the_api_references_shape_is_read() {
        // The Secrets Manager API reference's DescribeSecret example, trimmed.
        let answer: DescribeSecretAnswer = serde_json::from_str(
            r#"{
  "ARN": "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestSecret-Ca8JGt",
  "Name": "MyTestSecret",
  "KmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
  "RotationEnabled": true,
  "LastChangedDate": 1523477145.729,
  "DeletedDate": 1523477145.729,
  "VersionIdsToStages": {"a1": ["AWSPREVIOUS"], "a2": ["AWSCURRENT"]}
}"#,
        )
        .unwrap();
        assert_eq!(answer.name, "MyTestSecret");
        assert_eq!(answer.version_ids_to_stages["a2"], vec!["AWSCURRENT"]);
        assert!(answer.deleted_date.is_some());
    }
}
