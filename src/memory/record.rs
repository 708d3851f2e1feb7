//! Typed records in the store: each record is a serde struct whose fields become the entry's
//! flat text attributes (the DynamoDB item's own attributes, one per field, as before records
//! were typed), so an item written by an older version reads back unchanged. Numbers and
//! flags are written as text ([`text`]).

use super::store::{Expect, StateError, StateStore};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A record read from the store with the version it had, ready to be replaced conditionally.
#[derive(Debug)]
pub(crate) struct Remembered<T> {
    key: String,
    version: Option<u64>,
    /// The record, or `None` when absent, expired, or unreadable (logged, then treated as
    /// absent: a record is a memory, and a lost memory is a silent first sighting).
    pub value: Option<T>,
}

impl<T: Serialize + DeserializeOwned> Remembered<T> {
    pub(crate) async fn load<S: StateStore>(
        store: &S,
        key: String,
        now: u64,
    ) -> Result<Self, StateError> {
        let entry = store.load(&key, now).await?;
        let version = entry.as_ref().map(|entry| entry.version);
        let value = entry.and_then(|entry| match from_attributes(&entry.attributes) {
            Ok(value) => Some(value),
            Err(error) => {
                tracing::warn!(%key, %error, "remembered record unreadable: treated as absent");
                None
            }
        });
        Ok(Remembered {
            key,
            version,
            value,
        })
    }

    /// Writes `value` if nobody changed the record since it was read, to expire after
    /// `lifetime_seconds`. The new version, or `None` if someone else wrote first.
    pub(crate) async fn replace<S: StateStore>(
        &self,
        store: &S,
        value: &T,
        lifetime_seconds: u64,
        now: u64,
    ) -> Result<Option<u64>, StateError> {
        let expect = self.version.map(Expect::Version).unwrap_or(Expect::Absent);
        store
            .store(
                &self.key,
                to_attributes(value),
                now + lifetime_seconds,
                expect,
                now,
            )
            .await
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }
}

/// A record as flat text attributes: each string field as it is, absent options left out.
/// Fields that are not strings must be written as text (`#[serde(with = "text")]`).
pub(crate) fn to_attributes<T: Serialize>(record: &T) -> BTreeMap<String, String> {
    match serde_json::to_value(record) {
        Ok(Value::Object(fields)) => fields
            .into_iter()
            .filter_map(|(name, value)| match value {
                Value::Null => None,
                Value::String(text) => Some((name, text)),
                other => Some((name, other.to_string())),
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// A record from flat text attributes.
pub(crate) fn from_attributes<T: DeserializeOwned>(
    attributes: &BTreeMap<String, String>,
) -> Result<T, serde_json::Error> {
    let fields: Map<String, Value> = attributes
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    serde_json::from_value(Value::Object(fields))
}

/// A field written as its `Display` text and read back with `FromStr` (numbers, flags,
/// severities).
pub(crate) mod text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    pub(crate) fn serialize<T: Display, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub(crate) fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        name: String,
        #[serde(with = "text")]
        count: u64,
        #[serde(with = "text")]
        flag: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    #[test]
    fn records_round_trip_through_text_attributes() {
        let sample = Sample {
            name: "123".to_string(),
            count: 7,
            flag: true,
            note: None,
        };
        let attributes = to_attributes(&sample);
        assert_eq!(
            attributes,
            BTreeMap::from([
                ("count".to_string(), "7".to_string()),
                ("flag".to_string(), "true".to_string()),
                ("name".to_string(), "123".to_string()),
            ])
        );
        assert_eq!(from_attributes::<Sample>(&attributes).unwrap(), sample);
    }

    #[test]
    fn a_record_with_a_bad_field_is_an_error_not_a_guess() {
        let attributes = BTreeMap::from([
            ("name".to_string(), "x".to_string()),
            ("count".to_string(), "seven".to_string()),
            ("flag".to_string(), "true".to_string()),
        ]);
        assert!(from_attributes::<Sample>(&attributes).is_err());
    }
}
