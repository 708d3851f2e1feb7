//! [`StateStore`] over a DynamoDB table (`STATE_TABLE`): partition key `pk` (string), the
//! stored attributes in a map, `expires_at` as the table's TTL attribute, and a `version`
//! number that every conditional write checks.

use crate::memory::{Entry, Expect, StateError, StateStore};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: String) -> Self {
        DynamoStore { client, table }
    }
}

fn failed<E>(operation: &'static str, error: &aws_sdk_dynamodb::error::SdkError<E>) -> StateError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    let (_, message) = super::classify(error);
    StateError { operation, message }
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> u64 {
    item.get(name)
        .and_then(|value| value.as_n().ok())
        .and_then(|value| value.parse().ok())
        .unwrap_or_default()
}

impl StateStore for DynamoStore {
    async fn load(&self, key: &str, now: u64) -> Result<Option<Entry>, StateError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| failed("dynamodb:GetItem", &error))?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let expires_at = number(item, "expires_at");
        if expires_at <= now {
            return Ok(None);
        }
        let attributes: BTreeMap<String, String> = item
            .get("attributes")
            .and_then(|value| value.as_m().ok())
            .map(|map| {
                map.iter()
                    .filter_map(|(name, value)| Some((name.clone(), value.as_s().ok()?.clone())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(Entry {
            attributes,
            expires_at,
            version: number(item, "version"),
        }))
    }

    async fn store(
        &self,
        key: &str,
        attributes: BTreeMap<String, String>,
        expires_at: u64,
        expect: Expect,
        now: u64,
    ) -> Result<Option<u64>, StateError> {
        // A fresh entry gets a version no earlier entry under this key can have had.
        let version = match expect {
            Expect::Absent => now.saturating_mul(1000) + u64::from(std::process::id() % 1000),
            Expect::Version(current) => current + 1,
        };
        let map = attributes
            .into_iter()
            .map(|(name, value)| (name, AttributeValue::S(value)))
            .collect();
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(key.to_string()))
            .item("attributes", AttributeValue::M(map))
            .item("expires_at", AttributeValue::N(expires_at.to_string()))
            .item("version", AttributeValue::N(version.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()));
        let request = match expect {
            Expect::Absent => {
                request.condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
            }
            Expect::Version(current) => request
                .condition_expression("version = :version AND expires_at > :now")
                .expression_attribute_values(":version", AttributeValue::N(current.to_string())),
        };
        match request.send().await {
            Ok(_) => Ok(Some(version)),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(error) => Err(failed("dynamodb:PutItem", &error)),
        }
    }

    async fn remove(&self, key: &str, version: u64) -> Result<(), StateError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_string()))
            .condition_expression("version = :version")
            .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(failed("dynamodb:DeleteItem", &error)),
        }
    }
}
