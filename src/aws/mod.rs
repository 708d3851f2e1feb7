//! The AWS SDK side of the narrow traits: [`AwsInventory`] (reads through `ecs`, `ec2` and
//! `logs`) implements [`crate::inventory::Inventory`], `sns` implements
//! [`crate::publish::AlertSink`], `dynamodb` implements [`crate::memory::StateStore`].
//! Clients are built once at cold start.

pub mod dynamodb;
pub(crate) mod ec2;
pub(crate) mod ecs;
pub(crate) mod efs;
pub(crate) mod iam;
pub(crate) mod kms;
pub(crate) mod logs;
pub(crate) mod s3;
pub mod secrets;
pub(crate) mod secretsmanager;
pub(crate) mod signed_http;
pub mod sns;
pub(crate) mod ssm;

pub mod network;
pub(crate) mod rds;
pub(crate) mod vpc;
pub(crate) mod xml;

use crate::inventory::{Inventory, RecentLine};
use crate::memory::{Entry, Expect, MemoryStore, StateError, StateStore};
use crate::model::{ReadError, ReadFailure, Service, TaskDefinition, TaskLocation};
use aws_config::BehaviorVersion;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::BTreeMap;

/// The shared SDK configuration: region, credentials and endpoints from the environment
/// (`AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_ECS`, ...), so tests and the demo can
/// point the real SDK at a local emulator.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(3))
                .operation_attempt_timeout(std::time::Duration::from_secs(10))
                .build(),
        )
        .load()
        .await
}

/// The account's inventory through the SDK. `clusters` (from `CLUSTERS`) narrows where tasks
/// are looked up and what a sweep covers; empty means every cluster (`ecs:ListClusters`).
#[derive(Debug)]
pub struct AwsInventory {
    ecs: aws_sdk_ecs::Client,
    ec2: ec2::Ec2Reader,
    s3: s3::S3Reader,
    logs: aws_sdk_cloudwatchlogs::Client,
    network: crate::doctor::cache::CachedNetwork<network::AwsNetwork>,
    secrets: secrets::AwsSecrets,
    efs: efs::EfsReader,
    /// The SDK's region: the AWS APIs' endpoint names (`com.amazonaws.REGION.secretsmanager`).
    region: String,
    clusters: Vec<String>,
}

impl AwsInventory {
    pub fn new(sdk: &aws_config::SdkConfig, clusters: Vec<String>) -> Self {
        // One connection for every hand-signed reader.
        let http = signed_http::SignedHttp::new(sdk);
        AwsInventory {
            ecs: aws_sdk_ecs::Client::new(sdk),
            ec2: ec2::Ec2Reader::sharing(sdk, http.clone()),
            s3: s3::S3Reader::sharing(sdk, http.clone()),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            network: crate::doctor::cache::CachedNetwork::new(network::AwsNetwork::sharing(
                sdk, &http,
            )),
            secrets: secrets::AwsSecrets::sharing(sdk, &http),
            efs: efs::EfsReader::sharing(sdk, http.clone()),
            region: sdk
                .region()
                .map(|region| region.to_string())
                .unwrap_or_else(|| "us-east-1".to_string()),
            clusters,
        }
    }
}

impl Inventory for AwsInventory {
    async fn task_definition(&self, arn: &str) -> Result<TaskDefinition, ReadError> {
        ecs::describe_task_definition(&self.ecs, arn).await
    }

    async fn service(&self, cluster: &str, service: &str) -> Result<Service, ReadError> {
        ecs::describe_service(&self.ecs, cluster, service).await
    }

    async fn locate_task(&self, task_id: &str) -> Result<TaskLocation, ReadError> {
        let clusters = self.clusters().await?;
        ecs::locate_task(&self.ecs, &clusters, task_id).await
    }

    async fn service_task(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<TaskLocation>, ReadError> {
        ecs::service_task(&self.ecs, cluster, service).await
    }

    async fn clusters(&self) -> Result<Vec<String>, ReadError> {
        if self.clusters.is_empty() {
            ecs::list_clusters(&self.ecs).await
        } else {
            Ok(self.clusters.clone())
        }
    }

    async fn service_arns(&self, cluster: &str) -> Result<Vec<String>, ReadError> {
        ecs::list_services(&self.ecs, cluster).await
    }

    async fn public_ip(&self, network_interface: &str) -> Result<Option<String>, ReadError> {
        self.ec2.public_ip(network_interface).await
    }

    async fn environment_file(&self, object_arn: &str) -> Result<String, ReadError> {
        self.s3.environment_file(object_arn).await
    }

    async fn database_path(
        &self,
        network_interface: &str,
        host: &str,
        port: Option<u16>,
    ) -> Result<Option<crate::doctor::read::RdsPath>, ReadError> {
        use crate::doctor::read::{rds_path, task_side};
        let Some(task) = task_side(&self.network, "the task", network_interface).await? else {
            return Ok(None);
        };
        Ok(Some(rds_path(&self.network, &task, host, port).await?))
    }

    async fn vpc_database_paths(
        &self,
        network_interface: &str,
    ) -> Result<Vec<crate::doctor::read::RdsPath>, ReadError> {
        use crate::doctor::read::{task_side, vpc_rds_paths};
        let Some(task) = task_side(&self.network, "the task", network_interface).await? else {
            return Ok(Vec::new());
        };
        vpc_rds_paths(&self.network, &task).await
    }

    async fn file_system_backup(&self, file_system_id: &str) -> Result<Option<bool>, ReadError> {
        self.efs.backups_on(file_system_id).await.map(Some)
    }

    async fn api_paths(
        &self,
        subnet: &str,
        security_groups: &[String],
        public_ip: Option<bool>,
        services: &[String],
    ) -> Result<Vec<(String, crate::doctor::egress::ApiPath)>, ReadError> {
        crate::doctor::read::api_paths(
            &self.network,
            subnet,
            security_groups,
            public_ip,
            &self.region,
            services,
        )
        .await
    }

    async fn diagnose_secret(
        &self,
        execution_role: Option<&str>,
        container: &str,
        setting: &str,
        value_from: &str,
    ) -> Result<Option<crate::doctor::secrets::SecretDiagnosis>, ReadError> {
        crate::doctor::secrets::diagnose(
            &self.secrets,
            execution_role,
            &self.region,
            container,
            setting,
            value_from,
        )
        .await
    }

    async fn iam_connect(
        &self,
        signer: &crate::doctor::database_auth::Signer,
        user: Option<&str>,
        database: &crate::doctor::facts::DbInstance,
    ) -> Result<Option<crate::doctor::database_auth::IamConnect>, ReadError> {
        crate::doctor::database_auth::may_connect(&self.secrets, signer, user, database)
            .await
            .map(Some)
    }

    async fn secret_value(&self, value_from: &str) -> Result<crate::model::SecretText, ReadError> {
        use crate::inspect::secret_reference::{SecretReference, check};
        let Ok(SecretReference::SecretsManager {
            secret_id,
            json_key,
            version_stage,
            version_id,
            ..
        }) = check(value_from)
        else {
            return Ok(crate::model::SecretText::Unread);
        };
        self.secrets
            .secret_value(secret_id, json_key, version_stage, version_id)
            .await
    }

    async fn recent_log_lines(
        &self,
        group: &str,
        stream_prefix: Option<&str>,
        filter_pattern: &str,
        since_ms: i64,
        limit: usize,
    ) -> Result<Vec<RecentLine>, ReadError> {
        logs::recent_lines(
            &self.logs,
            group,
            stream_prefix,
            filter_pattern,
            since_ms,
            limit,
        )
        .await
    }
}

/// Where the auditor's memory lives: DynamoDB when `STATE_TABLE` is set, else the process.
#[derive(Debug)]
pub enum StateBackend {
    Memory(MemoryStore),
    Dynamo(dynamodb::DynamoStore),
}

impl StateBackend {
    pub fn from_config(sdk: &aws_config::SdkConfig, table: Option<&str>) -> Self {
        match table {
            Some(table) => StateBackend::Dynamo(dynamodb::DynamoStore::new(
                aws_sdk_dynamodb::Client::new(sdk),
                table.to_string(),
            )),
            None => StateBackend::Memory(MemoryStore::new()),
        }
    }
}

impl StateStore for StateBackend {
    async fn load(&self, key: &str, now: u64) -> Result<Option<Entry>, StateError> {
        match self {
            StateBackend::Memory(store) => store.load(key, now).await,
            StateBackend::Dynamo(store) => store.load(key, now).await,
        }
    }

    async fn store(
        &self,
        key: &str,
        attributes: BTreeMap<String, String>,
        expires_at: u64,
        expect: Expect,
        now: u64,
    ) -> Result<Option<u64>, StateError> {
        match self {
            StateBackend::Memory(store) => {
                store.store(key, attributes, expires_at, expect, now).await
            }
            StateBackend::Dynamo(store) => {
                store.store(key, attributes, expires_at, expect, now).await
            }
        }
    }

    async fn remove(&self, key: &str, version: u64) -> Result<(), StateError> {
        match self {
            StateBackend::Memory(store) => store.remove(key, version).await,
            StateBackend::Dynamo(store) => store.remove(key, version).await,
        }
    }
}

/// Sorts an SDK error into why it failed, with a short, redacted message.
pub(crate) fn classify<E, R>(error: &SdkError<E, R>) -> (ReadFailure, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (failure, message) = match error {
        SdkError::ServiceError(service_error) => {
            let err = service_error.err();
            let code = err.code().unwrap_or("unknown error");
            let text = err.message().unwrap_or_default();
            (failure_from_code(code, text), format!("{code}: {text}"))
        }
        other => {
            let chain = error_chain(other);
            let failure = if chain.contains("credentials") {
                ReadFailure::NoCredentials
            } else if matches!(
                other,
                SdkError::TimeoutError(_)
                    | SdkError::DispatchFailure(_)
                    | SdkError::ResponseError(_)
            ) {
                ReadFailure::Unavailable
            } else {
                ReadFailure::Other
            };
            (failure, chain)
        }
    };
    (failure, crate::redact::excerpt(&message, 300))
}

/// "outer: inner: innermost", from `Display` only (SDK `Debug` output is unreadable in alerts).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = inner.source();
    }
    parts.join(": ")
}

pub(crate) fn failure_from_code(code: &str, message: &str) -> ReadFailure {
    match code {
        "AccessDeniedException"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "AuthFailure"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "AuthorizationError"
        | "ExpiredTokenException" => ReadFailure::AccessDenied,
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "Throttled" => ReadFailure::Throttled,
        "ResourceNotFoundException"
        | "ServiceNotFoundException"
        | "ClusterNotFoundException"
        | "NotFound"
        | "NotFoundException" => ReadFailure::NotFound,
        // EC2: InvalidNetworkInterfaceID.NotFound and friends.
        code if code.ends_with(".NotFound") => ReadFailure::NotFound,
        "ServerException"
        | "ServiceUnavailable"
        | "InternalFailure"
        | "InternalError"
        | "ServiceUnavailableException" => ReadFailure::Unavailable,
        // ECS answers ClientException for "Unable to describe task definition."
        "ClientException" | "InvalidParameterException"
            if message.to_ascii_lowercase().contains("unable to describe")
                || message.to_ascii_lowercase().contains("not found")
                || message.to_ascii_lowercase().contains("does not exist") =>
        {
            ReadFailure::NotFound
        }
        "ClientException" if message.to_ascii_lowercase().contains("not authorized") => {
            ReadFailure::AccessDenied
        }
        _ => ReadFailure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_map_to_failures() {
        assert_eq!(
            failure_from_code("AccessDeniedException", ""),
            ReadFailure::AccessDenied
        );
        assert_eq!(
            failure_from_code("ThrottlingException", ""),
            ReadFailure::Throttled
        );
        assert_eq!(
            failure_from_code("ClientException", "Unable to describe task definition."),
            ReadFailure::NotFound
        );
        assert_eq!(
            failure_from_code("ClientException", "bad"),
            ReadFailure::Other
        );
        assert_eq!(
            failure_from_code("ServerException", ""),
            ReadFailure::Unavailable
        );
    }
}
