//! The doctor's KMS reads (issue 16): `kms:DescribeKey` (an alias or key id resolved to the
//! key's ARN, and who manages it), `kms:GetKeyPolicy` (the `default` policy, the only name a
//! key policy has) and `kms:ListGrants`, as signed JSON requests (KMS API reference;
//! `X-Amz-Target: TrentService.*`). No `aws-sdk-kms` crate for three calls.

use super::signed_http::{SignedHttp, with_retries};
use crate::doctor::key_policy::{KeyFacts, KeyGrant};
use crate::model::{ReadError, ReadFailure};
use serde::Deserialize;
use serde::de::DeserializeOwned;

const DESCRIBE_KEY: &str = "kms:DescribeKey";
const GET_KEY_POLICY: &str = "kms:GetKeyPolicy";
const LIST_GRANTS: &str = "kms:ListGrants";

/// Reads keys through the KMS JSON API.
#[derive(Debug)]
pub(crate) struct KmsReader {
    http: SignedHttp,
    endpoint: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Described {
    key_metadata: KeyMetadata,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyMetadata {
    arn: String,
    #[serde(default)]
    key_manager: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Policy {
    #[serde(default)]
    policy: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Grants {
    #[serde(default)]
    grants: Vec<Grant>,
    #[serde(default)]
    next_marker: Option<String>,
    #[serde(default)]
    truncated: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Grant {
    #[serde(default)]
    grantee_principal: String,
    #[serde(default)]
    operations: Vec<String>,
    #[serde(default)]
    constraints: Option<serde_json::Value>,
}

impl KmsReader {
    /// Built on the inventory's connection (one for every reader).
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: SignedHttp) -> Self {
        KmsReader {
            endpoint: SignedHttp::regional_endpoint(sdk, "KMS", "kms", http.region()),
            http,
        }
    }

    /// The key `key_id` (an ARN, key id or alias) names: its ARN, manager, policy and grants
    /// (an AWS managed key's policy and grants are not read: AWS writes them).
    pub(crate) async fn key(&self, key_id: &str) -> Result<KeyFacts, ReadError> {
        let described: Described = self
            .call(
                DESCRIBE_KEY,
                key_id,
                "DescribeKey",
                serde_json::json!({"KeyId": key_id}),
            )
            .await?;
        let arn = described.key_metadata.arn;
        if described.key_metadata.key_manager == "AWS" {
            return Ok(KeyFacts {
                arn,
                aws_managed: true,
                ..KeyFacts::default()
            });
        }
        let policy: Policy = self
            .call(
                GET_KEY_POLICY,
                &arn,
                "GetKeyPolicy",
                serde_json::json!({"KeyId": arn, "PolicyName": "default"}),
            )
            .await?;
        let mut grants = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut request = serde_json::json!({"KeyId": arn});
            if let Some(marker) = &marker {
                request["Marker"] = serde_json::Value::String(marker.clone());
            }
            let page: Grants = self.call(LIST_GRANTS, &arn, "ListGrants", request).await?;
            grants.extend(page.grants.into_iter().map(|grant| KeyGrant {
                grantee: grant.grantee_principal,
                operations: grant.operations,
                constrained: grant.constraints.is_some_and(|constraints| {
                    constraints.as_object().is_some_and(|c| !c.is_empty())
                }),
            }));
            match page.next_marker.filter(|_| page.truncated) {
                Some(next) => marker = Some(next),
                None => break,
            }
        }
        Ok(KeyFacts {
            arn,
            aws_managed: false,
            policy: policy.policy,
            grants,
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        resource: &str,
        target: &str,
        request: serde_json::Value,
    ) -> Result<T, ReadError> {
        let body = request.to_string();
        let target = format!("TrentService.{target}");
        let answer = with_retries(operation, resource, || {
            self.http.json("kms", &self.endpoint, &target, body.clone())
        })
        .await?;
        serde_json::from_str(&answer).map_err(|error| ReadError {
            operation,
            resource: resource.to_string(),
            failure: ReadFailure::Other,
            message: format!("not the answer expected: {error}"),
        })
    }
}
