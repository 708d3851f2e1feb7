//! The doctor's Parameter Store read (issue 16): `ssm:DescribeParameters` for one name, its
//! type and key (no value is read), as a signed JSON request (SSM API reference;
//! `X-Amz-Target: AmazonSSM.DescribeParameters`, a `Name` `Equals` filter). No `aws-sdk-ssm`
//! crate for one call.

use super::signed_http::{SignedHttp, with_retries};
use crate::doctor::secrets::ParameterMetadata;
use crate::model::{ReadError, ReadFailure};
use serde::Deserialize;

const DESCRIBE_PARAMETERS: &str = "ssm:DescribeParameters";

/// Reads parameters' metadata through the SSM JSON API.
#[derive(Debug)]
pub(crate) struct SsmReader {
    http: SignedHttp,
    endpoint: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    #[serde(default)]
    parameters: Vec<Parameter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Parameter {
    #[serde(default)]
    name: String,
    #[serde(rename = "Type", default)]
    kind: String,
    #[serde(default)]
    key_id: Option<String>,
}

impl SsmReader {
    /// Built on the inventory's connection (one for every reader).
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: SignedHttp) -> Self {
        SsmReader {
            endpoint: SignedHttp::regional_endpoint(sdk, "SSM", "ssm", http.region()),
            http,
        }
    }

    /// The parameter named `name`; `None`: there is none.
    pub(crate) async fn describe_parameter(
        &self,
        name: &str,
    ) -> Result<Option<ParameterMetadata>, ReadError> {
        let body = serde_json::json!({
            "ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": [name]}]
        })
        .to_string();
        let answer = with_retries(DESCRIBE_PARAMETERS, name, || {
            self.http.json(
                "ssm",
                &self.endpoint,
                "AmazonSSM.DescribeParameters",
                body.clone(),
            )
        })
        .await?;
        let answer: Answer = serde_json::from_str(&answer).map_err(|error| ReadError {
            operation: DESCRIBE_PARAMETERS,
            resource: name.to_string(),
            failure: ReadFailure::Other,
            message: format!("not the answer expected: {error}"),
        })?;
        Ok(answer
            .parameters
            .into_iter()
            .find(|parameter| parameter.name == name)
            .map(|parameter| ParameterMetadata {
                name: parameter.name,
                kind: parameter.kind,
                key_id: parameter.key_id,
            }))
    }
}
