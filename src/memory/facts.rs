//! What is remembered about services and tasks between events, as typed records: a service's
//! last public address and newest task, a task seen on its embedded database, a service's
//! recent failed starts. Each record's key names what it is about; each is kept for
//! [`FACT_MEMORY_SECONDS`].

use super::record::{Remembered, text};
use super::store::{StateError, StateStore};
use crate::finding::Finding;
use crate::rules::data_lost_on_stop::{DataInTask, Replacement};
use crate::rules::public_ip_changed::IpSighting;
use serde::{Deserialize, Serialize};

/// How long per-service and per-task facts are kept.
pub(crate) const FACT_MEMORY_SECONDS: u64 = 90 * 24 * 3600;

/// A service's last public IP, for `public-ip-changed`. Key `service-ip#CLUSTER#SERVICE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ServiceAddress {
    pub ip: String,
    #[serde(rename = "task", default)]
    pub task_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
}

impl ServiceAddress {
    pub(crate) fn key(cluster: &str, service: &str) -> String {
        format!("service-ip#{cluster}#{service}")
    }
}

impl From<ServiceAddress> for IpSighting {
    fn from(address: ServiceAddress) -> IpSighting {
        IpSighting {
            ip: address.ip,
            task_arn: address.task_arn,
            deployment: address.deployment,
        }
    }
}

impl From<&IpSighting> for ServiceAddress {
    fn from(sighting: &IpSighting) -> ServiceAddress {
        ServiceAddress {
            ip: sighting.ip.clone(),
            task_arn: sighting.task_arn.clone(),
            deployment: sighting.deployment.clone(),
        }
    }
}

/// A service's newest running task, for the stop of the one it replaces. Key
/// `service-task#CLUSTER#SERVICE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NewestTask {
    #[serde(rename = "task")]
    pub task_arn: String,
    #[serde(default)]
    pub task_definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Its own data lives in the container too.
    #[serde(with = "text", default)]
    pub keeps_data_in_task: bool,
}

impl NewestTask {
    pub(crate) fn key(cluster: &str, service: &str) -> String {
        format!("service-task#{cluster}#{service}")
    }

    /// Whether a task started at `started_at` supersedes this one: started at the same time or
    /// later (ISO 8601 times compare as text; an unknown time supersedes).
    pub(crate) fn superseded_by(&self, started_at: Option<&str>) -> bool {
        match (self.started_at.as_deref(), started_at) {
            (Some(recorded), Some(started)) => started >= recorded,
            _ => true,
        }
    }
}

impl From<NewestTask> for Replacement {
    fn from(task: NewestTask) -> Replacement {
        Replacement {
            task_arn: task.task_arn,
            task_definition: task.task_definition,
            started_at: task.started_at,
            keeps_data_in_task: task.keeps_data_in_task,
        }
    }
}

/// A task whose log showed its embedded database inside the task, for `data-lost-on-stop`
/// when it stops. Key `task-embedded#TASK_ARN`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EmbeddedDatabaseSeen {
    pub app: String,
    /// What the log said, e.g. "Coder is running on its built-in PostgreSQL in /home/...".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

impl EmbeddedDatabaseSeen {
    pub(crate) fn key(task_arn: &str) -> String {
        format!("task-embedded#{task_arn}")
    }

    /// From the `embedded-database-in-use` finding of the task's log: its app, its summary and
    /// the database's path.
    pub(crate) fn from_finding(finding: &Finding) -> EmbeddedDatabaseSeen {
        let evidence = finding
            .facts
            .get("data_path")
            .map(|path| format!("{} in {path}", finding.summary))
            .unwrap_or_else(|| finding.summary.clone());
        EmbeddedDatabaseSeen {
            app: finding.app.clone().unwrap_or_default(),
            evidence: Some(evidence),
        }
    }
}

impl From<EmbeddedDatabaseSeen> for DataInTask {
    fn from(seen: EmbeddedDatabaseSeen) -> DataInTask {
        DataInTask::from_log(seen.app, seen.evidence.as_deref())
    }
}

/// Tasks of a service (or family) that failed to start with the same class of failure, with
/// when. Key `failed-start#CLUSTER#OWNER#CLASS`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FailedStarts {
    /// One "SECONDS TASK_ARN" line per failure.
    #[serde(default)]
    pub failures: String,
}

/// At most this many failures are kept per record: enough to count a loop, well under an
/// item's size.
const FAILED_STARTS_KEPT: usize = 200;

impl FailedStarts {
    pub(crate) fn key(cluster: &str, owner: &str, class: &str) -> String {
        format!("failed-start#{cluster}#{owner}#{class}")
    }

    fn recent(&self, now: u64, window_seconds: u64) -> Vec<(u64, &str)> {
        self.failures
            .lines()
            .filter_map(|line| {
                let (at, arn) = line.split_once(' ')?;
                Some((at.parse().ok()?, arn))
            })
            .filter(|(at, _)| now.saturating_sub(*at) <= window_seconds)
            .collect()
    }

    /// Counts `task_arn`'s failure with the others of the last `window_seconds`, this one
    /// included, and remembers it. Two invocations may race: the loser reads again and adds
    /// itself; after three lost races the count is 1 rather than an error.
    pub(crate) async fn count<S: StateStore>(
        store: &S,
        key: String,
        task_arn: &str,
        window_seconds: u64,
        now: u64,
    ) -> Result<u64, StateError> {
        for _attempt in 0..3 {
            let remembered = Remembered::<FailedStarts>::load(store, key.clone(), now).await?;
            let record = remembered.value.clone().unwrap_or_default();
            let mut recent = record.recent(now, window_seconds);
            if recent.iter().any(|(_, arn)| *arn == task_arn) {
                return Ok(recent.len() as u64);
            }
            recent.push((now, task_arn));
            let recent = &recent[recent.len().saturating_sub(FAILED_STARTS_KEPT)..];
            let updated = FailedStarts {
                failures: recent
                    .iter()
                    .map(|(at, arn)| format!("{at} {arn}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            if remembered
                .replace(store, &updated, FACT_MEMORY_SECONDS, now)
                .await?
                .is_some()
            {
                return Ok(recent.len() as u64);
            }
        }
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::record::{from_attributes, to_attributes};
    use crate::memory::store::MemoryStore;
    use std::collections::BTreeMap;

    fn attributes(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn records_keep_the_attribute_names_stored_items_have() {
        // Items as versions before typed records wrote them.
        let newest: NewestTask = from_attributes(&attributes(&[
            ("task", "arn:aws:ecs:us-east-1:1:task/c/b"),
            (
                "task_definition",
                "arn:aws:ecs:us-east-1:1:task-definition/coder:7",
            ),
            ("keeps_data_in_task", "true"),
            ("started_at", "2026-11-24T03:12:44Z"),
        ]))
        .unwrap();
        assert!(newest.keeps_data_in_task);
        assert_eq!(
            to_attributes(&newest),
            attributes(&[
                ("task", "arn:aws:ecs:us-east-1:1:task/c/b"),
                (
                    "task_definition",
                    "arn:aws:ecs:us-east-1:1:task-definition/coder:7"
                ),
                ("keeps_data_in_task", "true"),
                ("started_at", "2026-11-24T03:12:44Z"),
            ])
        );
        let address: ServiceAddress =
            from_attributes(&attributes(&[("ip", "3.91.1.1"), ("task", "t")])).unwrap();
        assert_eq!(address.deployment, None);
        let seen: EmbeddedDatabaseSeen = from_attributes(&attributes(&[
            ("app", "Coder"),
            ("evidence", "Coder is running on its built-in PostgreSQL"),
        ]))
        .unwrap();
        assert_eq!(seen.app, "Coder");
    }

    #[test]
    fn the_newest_task_is_replaced_only_by_a_newer_one() {
        let newest = NewestTask {
            task_arn: "a".to_string(),
            task_definition: String::new(),
            started_at: Some("2026-11-24T03:12:44Z".to_string()),
            keeps_data_in_task: false,
        };
        assert!(newest.superseded_by(Some("2026-11-24T03:12:45Z")));
        assert!(!newest.superseded_by(Some("2026-11-24T03:12:43Z")));
        assert!(newest.superseded_by(None));
    }

    #[tokio::test]
    async fn failed_starts_are_counted_within_the_window_once_per_task() {
        let store = MemoryStore::new();
        let key = FailedStarts::key("c", "coder-service", "secret-access-denied");
        let count = |arn: &'static str, now: u64| {
            let store = &store;
            let key = key.clone();
            async move {
                FailedStarts::count(store, key, arn, 3600, now)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(count("t1", 1000).await, 1);
        assert_eq!(count("t2", 1100).await, 2);
        assert_eq!(
            count("t2", 1200).await,
            2,
            "a repeated delivery counts once"
        );
        assert_eq!(count("t3", 1000 + 3601).await, 2, "t1 is out of the window");
    }
}
