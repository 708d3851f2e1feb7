//! The doctor's EFS read (issue 16): `elasticfilesystem:DescribeBackupPolicy`, whether the file
//! system that holds an app's data has automatic backups (EFS API reference,
//! `DescribeBackupPolicy`: `GET /2015-02-01/file-systems/{FileSystemId}/backup-policy`, status
//! `ENABLED`, `ENABLING`, `DISABLED` or `DISABLING`; `PolicyNotFound` when none was ever set,
//! which is off). One signed request; no `aws-sdk-efs` crate.

use super::signed_http::{AttemptError, SignedHttp, failure_of, with_retries};
use crate::model::{ReadError, ReadFailure};
use serde::Deserialize;

const DESCRIBE_BACKUP_POLICY: &str = "elasticfilesystem:DescribeBackupPolicy";

/// Reads EFS backup policies.
#[derive(Debug)]
pub(crate) struct EfsReader {
    http: SignedHttp,
    endpoint: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    backup_policy: Option<Policy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Policy {
    status: String,
}

#[derive(Deserialize, Default)]
struct ErrorAnswer {
    #[serde(alias = "ErrorCode", alias = "__type", default)]
    code: String,
    #[serde(alias = "Message", default)]
    message: String,
}

impl EfsReader {
    /// Built on the inventory's connection (one for every reader).
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: SignedHttp) -> Self {
        EfsReader {
            endpoint: SignedHttp::regional_endpoint(sdk, "EFS", "elasticfilesystem", http.region()),
            http,
        }
    }

    /// Whether automatic backups are on.
    pub(crate) async fn backups_on(&self, file_system_id: &str) -> Result<bool, ReadError> {
        let url = format!(
            "{}/2015-02-01/file-systems/{}/backup-policy",
            self.endpoint.trim_end_matches('/'),
            percent_encoding::utf8_percent_encode(
                file_system_id,
                percent_encoding::NON_ALPHANUMERIC
            )
        );
        let answer = with_retries(DESCRIBE_BACKUP_POLICY, file_system_id, || {
            self.attempt(url.clone())
        })
        .await?;
        let Some(answer) = answer else {
            return Ok(false);
        };
        let answer: Answer = serde_json::from_str(&answer).map_err(|error| ReadError {
            operation: DESCRIBE_BACKUP_POLICY,
            resource: file_system_id.to_string(),
            failure: ReadFailure::Other,
            message: format!("not the answer expected: {error}"),
        })?;
        Ok(answer
            .backup_policy
            .is_some_and(|policy| matches!(policy.status.as_str(), "ENABLED" | "ENABLING")))
    }

    /// The answer's text; `None` for `PolicyNotFound` (no backup policy: off).
    async fn attempt(&self, url: String) -> Result<Option<String>, AttemptError> {
        let answer = self
            .http
            .send("elasticfilesystem", "GET", &url, &[], Vec::new(), 1 << 20)
            .await?;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        if (200..300).contains(&answer.status) {
            return Ok(Some(text));
        }
        let error: ErrorAnswer = serde_json::from_str(&text).unwrap_or_default();
        if error.code.ends_with("PolicyNotFound") {
            return Ok(None);
        }
        Err((
            failure_of(answer.status, &error.code, &error.message),
            format!("HTTP {} {}: {}", answer.status, error.code, error.message),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_references_answer_is_read() {
        let answer: Answer =
            serde_json::from_str(r#"{"BackupPolicy":{"Status":"ENABLED"}}"#).unwrap();
        assert_eq!(answer.backup_policy.unwrap().status, "ENABLED");
        let error: ErrorAnswer =
            serde_json::from_str(r#"{"ErrorCode":"PolicyNotFound","Message":"None"}"#).unwrap();
        assert_eq!(error.code, "PolicyNotFound");
    }
}
