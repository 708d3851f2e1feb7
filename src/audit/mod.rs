//! The audit both front doors call: decode, skip repeated deliveries, dispatch by event kind,
//! deliver. One file per event kind (`running_task`, `stopped_task`, `log_batch`, `sweep`),
//! enrichment into the rules' input (`enrich`) and delivery (`deliver`); every verdict comes
//! from `crate::rules`.
//!
//! [`Auditor`] is built once at cold start (profiles parsed, regexes compiled, clients made)
//! and reused for every event.

mod data_stores;
mod database_paths;
mod deliver;
pub mod doctor;
mod enrich;
mod failed_start;
mod log_batch;
mod registration;
mod running_task;
mod stopped_task;
mod sweep;
#[cfg(test)]
mod tests;

use crate::config::Config;
use crate::events::{self, DecodeError, Decoded, Event};
use crate::finding::Finding;
use crate::inventory::{CachedInventory, Inventory};
use crate::memory::deliveries;
use crate::memory::{StateError, StateStore};
use crate::model::{EventOrigin, resource_name};
use crate::profiles::{ProfileError, Profiles};
use crate::publish::{AlertSink, PublishError};
use crate::scan::LogScanner;
use serde::Serialize;

/// What happened to one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The event was audited; the string describes it.
    Audited(String),
    /// The event was deliberately not audited; the string says why.
    Ignored(String),
}

/// What became of one finding's alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    Published,
    /// The same finding on the same resource alerted within `SUPPRESS_FOR`.
    Suppressed,
    /// `--dry-run`: not sent.
    NotSent,
}

/// The result of processing one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub outcome: Outcome,
    /// Findings at or above `MIN_SEVERITY`, merged per rule and place.
    pub findings: Vec<Finding>,
    /// What became of each finding's alert, in the same order.
    pub deliveries: Vec<Delivery>,
}

impl Report {
    fn ignored(reason: String) -> Report {
        Report {
            outcome: Outcome::Ignored(reason),
            findings: Vec::new(),
            deliveries: Vec::new(),
        }
    }

    pub fn published(&self) -> usize {
        self.count(Delivery::Published)
    }

    pub fn suppressed(&self) -> usize {
        self.count(Delivery::Suppressed)
    }

    fn count(&self, wanted: Delivery) -> usize {
        self.deliveries.iter().filter(|d| **d == wanted).count()
    }
}

/// Why an event could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The input cannot be decoded: retrying will not help.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// An alert could not be delivered: the event must be retried.
    #[error("{error} ({published} of {total} alerts were published before it)")]
    Publish {
        error: PublishError,
        published: usize,
        total: usize,
    },
    /// The state store failed: the event must be retried.
    #[error(transparent)]
    State(#[from] StateError),
}

/// A failure at start-up. The message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Profiles(#[from] ProfileError),
    #[error(
        "PROFILES_FILE={path:?} cannot be read: {error}. Fix: point PROFILES_FILE at a readable TOML file, or unset it"
    )]
    ProfilesFile { path: String, error: String },
    #[error(transparent)]
    Scanner(#[from] crate::scan::ScannerError),
}

/// Checks skipped when a read fails, as the alert says them.
pub(super) const TASK_DEFINITION_CHECKS: &str = "the database, secret and storage checks";
pub(super) const SERVICE_CHECKS: &str = "the load balancer and public IP checks";

/// Loads the shipped profiles plus `PROFILES_FILE`, if set.
pub fn load_profiles(config: &Config) -> Result<Profiles, StartupError> {
    let Some(path) = &config.profiles_file else {
        return Ok(Profiles::built_in()?);
    };
    let text = std::fs::read_to_string(path).map_err(|error| StartupError::ProfilesFile {
        path: path.display().to_string(),
        error: error.to_string(),
    })?;
    let name = path.display().to_string();
    Ok(Profiles::from_sources(
        crate::profiles::BUILT_IN
            .iter()
            .map(|(file, text)| (*file, *text))
            .chain([(name.as_str(), text.as_str())]),
    )?)
}

/// The auditor, ready to process events.
pub struct Auditor<I, S, M> {
    config: Config,
    profiles: Profiles,
    scanner: LogScanner,
    filter_pattern: String,
    inventory: CachedInventory<I>,
    sink: S,
    state: M,
    region: Option<String>,
}

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// Builds the auditor: profiles and regexes are compiled here, once.
    pub fn new(
        config: Config,
        inventory: I,
        sink: S,
        state: M,
        region: Option<String>,
    ) -> Result<Self, StartupError> {
        let profiles = load_profiles(&config)?;
        let scanner = LogScanner::new(&profiles, config.max_line_bytes)?;
        for (profile, pattern) in scanner.signatures_without_literal() {
            tracing::warn!(
                profile = %profiles.get(profile).id,
                pattern,
                "log signature without fixed text: every log line goes through the regexes"
            );
        }
        let filter_pattern = crate::scan::subscription_filter_pattern(&profiles);
        Ok(Auditor {
            config,
            profiles,
            scanner,
            filter_pattern,
            inventory: CachedInventory::new(inventory),
            sink,
            state,
            region,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    pub fn inventory(&self) -> &CachedInventory<I> {
        &self.inventory
    }

    pub fn state(&self) -> &M {
        &self.state
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Processes one raw event: decode, skip repeated deliveries, enrich, evaluate, publish.
    pub async fn process(&self, input: &[u8]) -> Result<Report, AuditError> {
        let now = crate::memory::now();
        let mut scratch = String::new();
        let event = match events::decode(input, &self.config.limits, &mut scratch)? {
            Decoded::Ignored(reason) => {
                tracing::info!(%reason, "event ignored");
                return Ok(Report::ignored(reason));
            }
            Decoded::Event(event) => event,
        };
        let description = event.describe();
        if let Some(cluster) = event.cluster_arn()
            && !self.audits_cluster(cluster)
        {
            let reason = format!(
                "{description}: cluster {} is not in CLUSTERS",
                resource_name(cluster)
            );
            tracing::info!(%reason, "event ignored");
            return Ok(Report::ignored(reason));
        }
        let delivery = deliveries::delivery_key(&event);
        if let Some(key) = &delivery
            && deliveries::already_processed(&self.state, key, now).await?
        {
            let reason = format!("{description}: this delivery was already processed");
            tracing::info!(%reason, "duplicate delivery");
            return Ok(Report::ignored(reason));
        }
        tracing::info!(event = %description, "auditing");
        let findings = match &event {
            Event::TaskStateChange(task) => match task.detail.last_status.as_deref() {
                Some("RUNNING") => self.audit_running(task, now).await?,
                Some("STOPPED") => self.audit_stopped(task, now).await?,
                other => {
                    let reason = format!(
                        "{description}: only RUNNING and STOPPED tasks are audited, this one is {}",
                        other.unwrap_or("without a status")
                    );
                    tracing::info!(%reason, "event ignored");
                    return Ok(Report::ignored(reason));
                }
            },
            Event::Logs(batch) => self.audit_logs(batch, now).await?,
            Event::Sweep(origin) => self.sweep_findings(origin, &[]).await,
            Event::TaskDefinitionRegistered(event) => self.audit_registration(event).await,
            Event::ServiceDeployed(event) => self.audit_service_deployed(event).await,
            // Decoded and acknowledged; no rule reads deployment or service events.
            Event::DeploymentStateChange(_) | Event::ServiceAction(_) => Vec::new(),
        };
        let report = self
            .finish(Outcome::Audited(description), findings, now)
            .await?;
        if let Some(key) = &delivery
            && self.sink.delivers()
        {
            deliveries::mark_processed(&self.state, key, now).await?;
        }
        Ok(report)
    }

    /// Audits every service of `clusters` (all, or `CLUSTERS`, when empty) as it stands now.
    pub async fn sweep(&self, clusters: &[String]) -> Result<Report, AuditError> {
        let now = crate::memory::now();
        let origin = EventOrigin {
            region: self.region.clone(),
            ..Default::default()
        };
        let findings = self.sweep_findings(&origin, clusters).await;
        self.finish(Outcome::Audited("sweep".to_string()), findings, now)
            .await
    }

    /// `CLUSTERS` (names or ARNs) narrows what is audited; empty means every cluster.
    fn audits_cluster(&self, cluster_arn: &str) -> bool {
        self.config.clusters.is_empty()
            || self
                .config
                .clusters
                .iter()
                .any(|wanted| resource_name(wanted) == resource_name(cluster_arn))
    }
}
