//! The doctor's secret reads ([`crate::doctor::secrets::SecretReads`]) for AWS: Secrets
//! Manager's metadata through `secretsmanager.rs`, Parameter Store's through `ssm.rs`, IAM's
//! policy simulator through `iam.rs`, KMS keys' policies and grants through `kms.rs`.
//! Built once.

use super::iam::IamReader;
use super::kms::KmsReader;
use super::secretsmanager::SecretsManagerReader;
use super::signed_http::SignedHttp;
use super::ssm::SsmReader;
use crate::doctor::key_policy::KeyFacts;
use crate::doctor::policy_simulation::{PolicySimulator, Simulation, SimulationRequest};
use crate::doctor::secrets::{SecretMetadata, SecretReads};
use crate::model::ReadError;

/// The AWS side of the doctor's secret checks.
#[derive(Debug)]
pub struct AwsSecrets {
    secrets: SecretsManagerReader,
    parameters: SsmReader,
    iam: IamReader,
    keys: KmsReader,
}

impl AwsSecrets {
    /// Built on the inventory's connection.
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: &SignedHttp) -> Self {
        AwsSecrets {
            secrets: SecretsManagerReader::sharing(sdk, http.clone()),
            parameters: SsmReader::sharing(sdk, http.clone()),
            iam: IamReader::sharing(sdk, http.clone()),
            keys: KmsReader::sharing(sdk, http.clone()),
        }
    }
}

impl AwsSecrets {
    /// A secret's text (`secretsmanager:GetSecretValue`), asked only when the user allows it.
    pub(crate) async fn secret_value(
        &self,
        secret_id: &str,
        json_key: Option<&str>,
        version_stage: Option<&str>,
        version_id: Option<&str>,
    ) -> Result<crate::model::SecretText, ReadError> {
        self.secrets
            .secret_value(secret_id, json_key, version_stage, version_id)
            .await
    }
}

impl PolicySimulator for AwsSecrets {
    async fn simulate(&self, request: &SimulationRequest) -> Result<Simulation, ReadError> {
        self.iam.simulate(request).await
    }
}

impl SecretReads for AwsSecrets {
    async fn describe_secret(&self, secret_id: &str) -> Result<Option<SecretMetadata>, ReadError> {
        self.secrets.describe_secret(secret_id).await
    }
    async fn describe_parameter(
        &self,
        name: &str,
    ) -> Result<Option<crate::doctor::secrets::ParameterMetadata>, ReadError> {
        self.parameters.describe_parameter(name).await
    }
    async fn secret_policy(&self, secret_arn: &str) -> Result<Option<String>, ReadError> {
        self.secrets.resource_policy(secret_arn).await
    }
    async fn key(&self, key_id: &str) -> Result<KeyFacts, ReadError> {
        self.keys.key(key_id).await
    }
}
