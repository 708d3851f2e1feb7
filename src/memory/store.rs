//! The auditor's memory across events: a small versioned key-value store behind a narrow
//! trait. DynamoDB (`crate::aws::dynamodb`) when `STATE_TABLE` is set; otherwise
//! [`MemoryStore`], which lives as long as the warm function (or the CLI process).
//!
//! Every write is conditional (on absence or on the version read), so two concurrent
//! invocations cannot both win the same claim.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// One stored item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    pub attributes: BTreeMap<String, String>,
    /// Epoch seconds after which the entry counts as absent (DynamoDB's TTL removes it later).
    pub expires_at: u64,
    /// Incremented by every write; conditional writes compare it.
    pub version: u64,
}

/// What a conditional write expects to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// No entry, or an expired one.
    Absent,
    /// The entry at this version.
    Version(u64),
}

/// The state store could not be used. The event fails so that it is retried: an outage must
/// not turn into duplicate or lost alerts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("state store {operation} failed: {message}")]
pub struct StateError {
    pub operation: &'static str,
    pub message: String,
}

pub trait StateStore: Send + Sync {
    /// The entry under `key`, unless absent or expired at `now`.
    fn load(
        &self,
        key: &str,
        now: u64,
    ) -> impl Future<Output = Result<Option<Entry>, StateError>> + Send;

    /// Writes `attributes` under `key` if the current entry matches `expect`. Returns the new
    /// version, or `None` when another writer got there first.
    fn store(
        &self,
        key: &str,
        attributes: BTreeMap<String, String>,
        expires_at: u64,
        expect: Expect,
        now: u64,
    ) -> impl Future<Output = Result<Option<u64>, StateError>> + Send;

    /// Removes the entry if it is still at `version` (a no-op otherwise).
    fn remove(
        &self,
        key: &str,
        version: u64,
    ) -> impl Future<Output = Result<(), StateError>> + Send;
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

/// State kept in the process: what a warm Lambda (or one CLI run) remembers.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Bounds the in-memory store: beyond this many entries, expired ones are dropped.
const MEMORY_SWEEP_AT: usize = 10_000;

impl StateStore for MemoryStore {
    async fn load(&self, key: &str, now: u64) -> Result<Option<Entry>, StateError> {
        Ok(self
            .lock()
            .get(key)
            .filter(|entry| entry.expires_at > now)
            .cloned())
    }

    async fn store(
        &self,
        key: &str,
        attributes: BTreeMap<String, String>,
        expires_at: u64,
        expect: Expect,
        now: u64,
    ) -> Result<Option<u64>, StateError> {
        let mut entries = self.lock();
        if entries.len() > MEMORY_SWEEP_AT {
            entries.retain(|_, entry| entry.expires_at > now);
        }
        let current = entries.get(key).filter(|entry| entry.expires_at > now);
        let matches = match (expect, current) {
            (Expect::Absent, None) => true,
            (Expect::Version(version), Some(entry)) => entry.version == version,
            _ => false,
        };
        if !matches {
            return Ok(None);
        }
        let version = entries.get(key).map(|entry| entry.version).unwrap_or(0) + 1;
        entries.insert(
            key.to_string(),
            Entry {
                attributes,
                expires_at,
                version,
            },
        );
        Ok(Some(version))
    }

    async fn remove(&self, key: &str, version: u64) -> Result<(), StateError> {
        let mut entries = self.lock();
        if entries
            .get(key)
            .is_some_and(|entry| entry.version == version)
        {
            entries.remove(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(value: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("v".to_string(), value.to_string())])
    }

    #[tokio::test]
    async fn conditional_writes_let_one_writer_win() {
        let store = MemoryStore::new();
        assert_eq!(
            store.store("k", attrs("a"), 100, Expect::Absent, 10).await,
            Ok(Some(1))
        );
        assert_eq!(
            store.store("k", attrs("b"), 100, Expect::Absent, 10).await,
            Ok(None)
        );
        assert_eq!(
            store
                .store("k", attrs("b"), 100, Expect::Version(1), 10)
                .await,
            Ok(Some(2))
        );
        assert_eq!(
            store
                .store("k", attrs("c"), 100, Expect::Version(1), 10)
                .await,
            Ok(None)
        );
        let entry = store.load("k", 10).await.unwrap().unwrap();
        assert_eq!(entry.attributes, attrs("b"));
        assert_eq!(entry.version, 2);
    }

    #[tokio::test]
    async fn expired_entries_count_as_absent() {
        let store = MemoryStore::new();
        store
            .store("k", attrs("a"), 100, Expect::Absent, 10)
            .await
            .unwrap();
        assert!(store.load("k", 100).await.unwrap().is_none());
        assert_eq!(
            store.store("k", attrs("b"), 200, Expect::Absent, 150).await,
            Ok(Some(2))
        );
    }

    #[tokio::test]
    async fn remove_only_takes_back_its_own_version() {
        let store = MemoryStore::new();
        store
            .store("k", attrs("a"), 100, Expect::Absent, 10)
            .await
            .unwrap();
        store
            .store("k", attrs("b"), 100, Expect::Version(1), 10)
            .await
            .unwrap();
        store.remove("k", 1).await.unwrap();
        assert!(store.load("k", 10).await.unwrap().is_some());
        store.remove("k", 2).await.unwrap();
        assert!(store.load("k", 10).await.unwrap().is_none());
    }
}
