//! Deliveries already processed: EventBridge and CloudWatch Logs deliver at least once, so a
//! delivery seen before is skipped.

use super::record::{text, to_attributes};
use super::store::{Expect, StateError, StateStore};
use crate::events::Event;
use serde::{Deserialize, Serialize};

/// How long a processed delivery is remembered: longer than EventBridge (24 h) and Lambda
/// (6 h) keep retrying.
const DELIVERY_MEMORY_SECONDS: u64 = 2 * 24 * 3600;

/// A processed delivery, under its [`delivery_key`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Processed {
    /// Epoch seconds.
    #[serde(with = "text")]
    processed_at: u64,
}

/// The key that identifies one delivery of an event, if it has one. Task events: task ARN and
/// `detail.version` (ECS repeats the version on a duplicate); log batches: the first and last
/// log event ids; other EventBridge events: the event id.
pub(crate) fn delivery_key(event: &Event) -> Option<String> {
    match event {
        Event::TaskStateChange(task) => Some(format!(
            "delivery#task#{}#{}",
            task.detail.task_arn,
            task.detail
                .version
                .map(|version| version.to_string())
                .or_else(|| task.origin.id.clone())?
        )),
        Event::Logs(batch) => {
            let first = batch.log_events.first()?;
            let last = batch.log_events.last()?;
            Some(format!(
                "delivery#logs#{}#{}#{}#{}#{}",
                batch.log_group,
                batch.log_stream,
                first.id,
                last.id,
                batch.log_events.len()
            ))
        }
        Event::DeploymentStateChange(event) => event
            .origin
            .id
            .as_ref()
            .map(|id| format!("delivery#event#{id}")),
        Event::ServiceAction(event) => event
            .origin
            .id
            .as_ref()
            .map(|id| format!("delivery#event#{id}")),
        Event::TaskDefinitionRegistered(event) | Event::ServiceDeployed(event) => event
            .origin
            .id
            .as_ref()
            .or(event.detail.event_id.as_ref())
            .map(|id| format!("delivery#event#{id}")),
        Event::Sweep(_) => None,
    }
}

/// Whether the delivery under `key` was processed already.
pub(crate) async fn already_processed<S: StateStore>(
    store: &S,
    key: &str,
    now: u64,
) -> Result<bool, StateError> {
    Ok(store.load(key, now).await?.is_some())
}

/// Remembers that the delivery under `key` was processed.
pub(crate) async fn mark_processed<S: StateStore>(
    store: &S,
    key: &str,
    now: u64,
) -> Result<(), StateError> {
    let record = Processed { processed_at: now };
    // Losing this race means a concurrent delivery finished first: nothing to do.
    store
        .store(
            key,
            to_attributes(&record),
            now + DELIVERY_MEMORY_SECONDS,
            Expect::Absent,
            now,
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::store::MemoryStore;

    #[tokio::test]
    async fn deliveries_are_remembered() {
        let store = MemoryStore::new();
        assert!(!already_processed(&store, "delivery#x", 10).await.unwrap());
        mark_processed(&store, "delivery#x", 10).await.unwrap();
        assert!(already_processed(&store, "delivery#x", 11).await.unwrap());
    }
}
