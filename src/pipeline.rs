//! The one pipeline both front doors call: decode -> remember -> enrich -> rules -> alerts.
//!
//! [`Auditor`] is built once at cold start (profiles parsed, regexes compiled, clients made)
//! and reused for every event.

use crate::alert;
use crate::config::Config;
use crate::continuity::{self, ClaimOutcome, Remembered};
use crate::events::ecs::{EcsEvent, TaskStateChange};
use crate::events::firelens::{self, FireLensRecord};
use crate::events::logs::{LogBatch, LogLine, StreamName};
use crate::events::{self, DecodeError, Decoded, Event};
use crate::finding::{Finding, Location, RuleId};
use crate::inventory::{CachedInventory, Inventory};
use crate::model::{
    AuditGap, EventOrigin, ReadError, ReadFailure, Service, StopFacts, StoppedContainer,
    TaskContext, arn_field, resource_name, service_name_from_group,
};
use crate::profiles::{ProfileError, Profiles};
use crate::publish::{AlertSink, PublishError};
use crate::rules;
use crate::rules::data_lost_on_stop::{DataInTask, Replacement, data_lost_on_stop};
use crate::rules::public_ip_changed::{IpSighting, public_ip_changed};
use crate::scan::LogScanner;
use crate::state::{StateError, StateStore};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

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
const TASK_DEFINITION_CHECKS: &str = "the database, secret and storage checks";
/// How far back failed starts of one service are counted together.
const FAILED_START_WINDOW_SECONDS: u64 = 24 * 3600;
const ENVIRONMENT_FILE_CHECKS: &str =
    "the database and storage checks of the containers that read it";
const SERVICE_CHECKS: &str = "the load balancer and public IP checks";
const PUBLIC_IP_CHECKS: &str = "the public IP check";
const STOPPED_TASK_CHECKS: &str = "the data-lost-on-stop check";
const FAILED_START_CHECKS: &str = "whether the failure concerns the app's database secret or data volume (which makes task-failed-to-start critical)";
const SWEEP_CHECKS: &str = "the sweep of this cluster";
const SWEEP_LOG_CHECKS: &str = "the log checks of the sweep";
/// At most this many log lines per container are read by a sweep.
const SWEEP_LOG_LINES: usize = 10_000;

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
        let now = crate::state::now();
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
        let delivery = continuity::delivery_key(&event);
        if let Some(key) = &delivery
            && continuity::already_processed(&self.state, key, now).await?
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
            // Decoded and acknowledged; no rule reads deployment or service events.
            Event::DeploymentStateChange(_) | Event::ServiceAction(_) => Vec::new(),
        };
        let report = self
            .finish(Outcome::Audited(description), findings, now)
            .await?;
        if let Some(key) = &delivery
            && self.sink.delivers()
        {
            continuity::mark_processed(&self.state, key, now).await?;
        }
        Ok(report)
    }

    /// Audits every service of `clusters` (all, or `CLUSTERS`, when empty) as it stands now.
    pub async fn sweep(&self, clusters: &[String]) -> Result<Report, AuditError> {
        let now = crate::state::now();
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

    /// Filters by `MIN_SEVERITY`, merges per rule and place, publishes what is not suppressed.
    async fn finish(
        &self,
        outcome: Outcome,
        findings: Vec<Finding>,
        now: u64,
    ) -> Result<Report, AuditError> {
        let findings = alert::merge(
            findings
                .into_iter()
                .filter(|finding| finding.severity >= self.config.min_severity)
                .collect(),
        );
        let deliveries = self.publish(&findings, now).await?;
        Ok(Report {
            outcome,
            findings,
            deliveries,
        })
    }

    /// Claims, then publishes, each alert. A failed publish gives its claim back so that the
    /// retried event alerts; alerts already published stay claimed, so a retry does not
    /// publish them again.
    async fn publish(&self, findings: &[Finding], now: u64) -> Result<Vec<Delivery>, AuditError> {
        let mut deliveries = Vec::with_capacity(findings.len());
        if !self.sink.delivers() {
            deliveries.resize(findings.len(), Delivery::NotSent);
            return Ok(deliveries);
        }
        for finding in findings {
            let claim = match continuity::claim_alert(
                &self.state,
                finding,
                self.config.suppress_for_seconds,
                now,
            )
            .await?
            {
                ClaimOutcome::Claimed(claim) => claim,
                ClaimOutcome::Suppressed { alerted_at } => {
                    tracing::info!(rule = %finding.rule, alerted_at, "alert suppressed: already sent");
                    deliveries.push(Delivery::Suppressed);
                    continue;
                }
            };
            let rendered = alert::render(finding);
            if let Err(error) = self.sink.publish(&rendered).await {
                if let Err(release_error) = continuity::release(&self.state, &claim).await {
                    tracing::error!(%release_error, "could not release the alert claim; the retry may stay silent");
                }
                return Err(AuditError::Publish {
                    error,
                    published: deliveries
                        .iter()
                        .filter(|d| **d == Delivery::Published)
                        .count(),
                    total: findings.len(),
                });
            }
            tracing::info!(alert = %alert::log_line(&rendered), rule = %finding.rule, "alert published");
            deliveries.push(Delivery::Published);
        }
        Ok(deliveries)
    }

    /// The task as the rules see it: the event's facts plus its task definition and, for
    /// service tasks (when `with_service`), its service.
    async fn task_context(
        &self,
        event: &EcsEvent<TaskStateChange>,
        with_service: bool,
    ) -> TaskContext {
        let detail = &event.detail;
        let mut task = TaskContext {
            origin: event.origin.clone(),
            cluster_arn: detail.cluster_arn.clone(),
            task_arn: detail.task_arn.clone(),
            task_definition_arn: detail.task_definition_arn.clone(),
            group: detail.group.clone(),
            last_status: detail.last_status.clone(),
            launch_type: detail.launch_type.clone(),
            platform_version: detail.platform_version.clone(),
            started_by: detail.started_by.clone(),
            started_at: detail.started_at.clone(),
            private_ip: detail.private_ip().map(str::to_string),
            ..Default::default()
        };
        self.add_task_definition(&mut task, TASK_DEFINITION_CHECKS)
            .await;
        if with_service && let Some(service) = task.service_name().map(str::to_string) {
            match self.inventory.service(&task.cluster_arn, &service).await {
                Ok(found) => task.service = Some(found),
                Err(error) => {
                    tracing::warn!(%error, "service unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: SERVICE_CHECKS,
                    });
                }
            }
        }
        task
    }

    async fn add_task_definition(&self, task: &mut TaskContext, skipped_checks: &'static str) {
        if task.task_definition_arn.is_empty() {
            task.gaps.push(AuditGap {
                error: ReadError {
                    operation: "ecs:DescribeTaskDefinition",
                    resource: "(none)".to_string(),
                    failure: ReadFailure::NotFound,
                    message: "no task definition is named".to_string(),
                },
                skipped_checks,
            });
            return;
        }
        match self
            .inventory
            .task_definition(&task.task_definition_arn)
            .await
        {
            Ok(definition) => task.task_definition = Some(definition),
            Err(error) => {
                tracing::warn!(%error, "task definition unreadable");
                task.gaps.push(AuditGap {
                    error,
                    skipped_checks,
                });
            }
        }
        self.add_environment_files(task).await;
    }

    /// With `READ_ENVIRONMENT_FILES`, the containers' S3 `environmentFiles`, read into memory
    /// so the rules judge them like `environment`; one that cannot be read is a gap.
    async fn add_environment_files(&self, task: &mut TaskContext) {
        task.environment_files.reading_enabled = self.config.read_environment_files;
        if !self.config.read_environment_files {
            return;
        }
        let Some(definition) = &task.task_definition else {
            return;
        };
        let mut arns: Vec<String> = definition
            .container_definitions
            .iter()
            .flat_map(|container| &container.environment_files)
            .filter(|file| file.kind.is_empty() || file.kind == "s3")
            .map(|file| file.value.clone())
            .collect();
        arns.sort();
        arns.dedup();
        for arn in arns {
            match self.inventory.environment_file(&arn).await {
                Ok(text) => {
                    let variables = crate::model::EnvironmentFiles::parse(&text);
                    task.environment_files.read.insert(arn, variables);
                }
                Err(error) => {
                    tracing::warn!(%error, "environment file unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: ENVIRONMENT_FILE_CHECKS,
                    });
                }
            }
        }
    }

    /// A task reached RUNNING: its configuration, its public IP, and what it replaces.
    async fn audit_running(
        &self,
        event: &EcsEvent<TaskStateChange>,
        now: u64,
    ) -> Result<Vec<Finding>, AuditError> {
        let mut task = self.task_context(event, true).await;
        let has_public_ip = task
            .service
            .as_ref()
            .is_some_and(|service| service.assign_public_ip == Some(true));
        if has_public_ip && let Some(interface) = event.detail.network_interface_id() {
            match self.inventory.public_ip(interface).await {
                Ok(ip) => task.public_ip = ip,
                Err(error) => {
                    tracing::warn!(%error, "public IP unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: PUBLIC_IP_CHECKS,
                    });
                }
            }
        }
        let mut findings = rules::evaluate_task(&task, &self.profiles);
        let Some(service) = task.service_name().map(str::to_string) else {
            return Ok(findings);
        };
        let cluster = resource_name(&task.cluster_arn).to_string();

        if let Some(ip) = task.public_ip.clone() {
            let remembered = Remembered::load(
                &self.state,
                continuity::service_ip_key(&cluster, &service),
                now,
            )
            .await?;
            let previous = remembered.get("ip").map(|previous_ip| IpSighting {
                ip: previous_ip.to_string(),
                task_arn: remembered.get("task").unwrap_or_default().to_string(),
                deployment: remembered.get("deployment").map(str::to_string),
            });
            let current = IpSighting {
                ip,
                task_arn: task.task_arn.clone(),
                deployment: task.started_by.clone(),
            };
            findings.extend(public_ip_changed(&task, previous.as_ref(), &current));
            if previous.as_ref() != Some(&current) {
                let mut attributes = BTreeMap::from([
                    ("ip".to_string(), current.ip.clone()),
                    ("task".to_string(), current.task_arn.clone()),
                ]);
                if let Some(deployment) = current.deployment {
                    attributes.insert("deployment".to_string(), deployment);
                }
                remembered.replace(&self.state, attributes, now).await?;
            }
        }

        // Remember the newest running task, for the stop of the one it replaces.
        let remembered = Remembered::load(
            &self.state,
            continuity::service_task_key(&cluster, &service),
            now,
        )
        .await?;
        let newer = match (remembered.get("started_at"), task.started_at.as_deref()) {
            (Some(recorded), Some(started)) => started >= recorded,
            _ => true,
        };
        if newer && remembered.get("task") != Some(task.task_arn.as_str()) {
            let keeps_data_in_task = findings.iter().any(Finding::keeps_data_in_task);
            let mut attributes = BTreeMap::from([
                ("task".to_string(), task.task_arn.clone()),
                (
                    "task_definition".to_string(),
                    task.task_definition_arn.clone(),
                ),
                (
                    "keeps_data_in_task".to_string(),
                    keeps_data_in_task.to_string(),
                ),
            ]);
            if let Some(started) = &task.started_at {
                attributes.insert("started_at".to_string(), started.clone());
            }
            remembered.replace(&self.state, attributes, now).await?;
        }
        Ok(findings)
    }

    /// A task STOPPED: if its data lived inside it, that data is gone now.
    async fn audit_stopped(
        &self,
        event: &EcsEvent<TaskStateChange>,
        now: u64,
    ) -> Result<Vec<Finding>, AuditError> {
        let mut task = self.task_context(event, false).await;
        task.stop = Some(StopFacts {
            stop_code: event.detail.stop_code.clone(),
            stopped_reason: event.detail.stopped_reason.clone(),
            started_at: event.detail.started_at.clone(),
            stopped_at: event.detail.stopped_at.clone(),
            containers: event
                .detail
                .containers
                .iter()
                .map(|container| StoppedContainer {
                    name: container.name.clone(),
                    reason: container.reason.clone(),
                    exit_code: container.exit_code,
                })
                .collect(),
        });
        let failure = task
            .stop
            .as_ref()
            .and_then(rules::task_failed_to_start::failed_start);
        let never_ran = event.detail.started_at.is_none();
        for gap in &mut task.gaps {
            gap.skipped_checks = if failure.is_some() {
                FAILED_START_CHECKS
            } else if never_ran {
                // Stopped before it ran, on purpose: no check of ours needed what was missing.
                ""
            } else {
                STOPPED_TASK_CHECKS
            };
        }
        task.gaps.retain(|gap| !gap.skipped_checks.is_empty());
        let mut findings = rules::audit_incomplete::audit_incomplete(&task);

        // A task that never ran (or crashed at once) kept nothing: say why it did not start.
        if let Some(failure) = failure {
            let failures = self.count_failed_start(&task, &failure, now).await?;
            findings.push(rules::task_failed_to_start::finding(
                &task,
                &failure,
                &self.profiles,
                failures,
            ));
            return Ok(findings);
        }
        // Stopped before it ever ran (a person, a deployment or a Spot reclaim stopped it while
        // pending): it held no data, so none was lost.
        if never_ran {
            return Ok(findings);
        }

        let seen = Remembered::load(
            &self.state,
            continuity::embedded_database_key(&task.task_arn),
            now,
        )
        .await?;
        let data = match (seen.get("app"), seen.get("evidence")) {
            (Some(app), evidence) => Some(DataInTask {
                app: app.to_string(),
                reason: format!(
                    "its log showed it running on its embedded database ({})",
                    evidence.unwrap_or("embedded-database-in-use")
                ),
            }),
            (None, _) => rules::evaluate_task(&task, &self.profiles)
                .into_iter()
                .find(Finding::keeps_data_in_task)
                .map(|finding| DataInTask {
                    app: finding.app.clone().unwrap_or_else(|| "The app".to_string()),
                    reason: format!("its task definition said: {}", finding.summary),
                }),
        };
        let Some(data) = data else {
            return Ok(findings);
        };
        let replacement = match task.service_name() {
            Some(service) => {
                let remembered = Remembered::load(
                    &self.state,
                    continuity::service_task_key(resource_name(&task.cluster_arn), service),
                    now,
                )
                .await?;
                remembered
                    .get("task")
                    .filter(|next| *next != task.task_arn)
                    .map(|next| Replacement {
                        task_arn: next.to_string(),
                        task_definition: remembered
                            .get("task_definition")
                            .unwrap_or_default()
                            .to_string(),
                        started_at: remembered.get("started_at").map(str::to_string),
                        keeps_data_in_task: remembered.get("keeps_data_in_task") == Some("true"),
                    })
            }
            None => None,
        };
        findings.extend(data_lost_on_stop(&task, &data, replacement.as_ref()));
        Ok(findings)
    }

    /// How many tasks of this service (or family) failed to start the same way within the
    /// last [`FAILED_START_WINDOW_SECONDS`], this one included: a crash loop becomes one alert
    /// (suppression keeps the repeats quiet) that says how many.
    async fn count_failed_start(
        &self,
        task: &TaskContext,
        failure: &rules::task_failed_to_start::FailedStart,
        now: u64,
    ) -> Result<u64, AuditError> {
        let owner = task
            .service_name()
            .map(str::to_string)
            .or_else(|| task.group.clone())
            .unwrap_or_else(|| {
                crate::model::short_task_definition(&task.task_definition_arn).to_string()
            });
        let key = continuity::failed_start_key(
            resource_name(&task.cluster_arn),
            &owner,
            failure.class.as_str(),
        );
        // Two invocations may race: the loser reads again and adds itself.
        for _attempt in 0..3 {
            let remembered = Remembered::load(&self.state, key.clone(), now).await?;
            // "SECONDS TASK_ARN" per failure, recent ones only.
            let mut recent: Vec<(u64, String)> = remembered
                .get("failures")
                .unwrap_or_default()
                .lines()
                .filter_map(|line| {
                    let (at, arn) = line.split_once(' ')?;
                    Some((at.parse().ok()?, arn.to_string()))
                })
                .filter(|(at, _)| now.saturating_sub(*at) <= FAILED_START_WINDOW_SECONDS)
                .collect();
            if recent.iter().any(|(_, arn)| *arn == task.task_arn) {
                return Ok(recent.len() as u64);
            }
            recent.push((now, task.task_arn.clone()));
            // Enough to count a loop, well under a state item's size.
            let keep = recent.len().saturating_sub(200);
            let recent = &recent[keep..];
            let failures = recent
                .iter()
                .map(|(at, arn)| format!("{at} {arn}"))
                .collect::<Vec<_>>()
                .join("\n");
            let attributes = BTreeMap::from([("failures".to_string(), failures)]);
            if remembered.replace(&self.state, attributes, now).await? {
                return Ok(recent.len() as u64);
            }
        }
        Ok(1)
    }

    /// Scans a log batch; only when something matched does it look up which task and service
    /// the stream belongs to (so quiet batches cost no AWS call). FireLens records are
    /// unwrapped to the app's line and grouped by the task they name.
    async fn audit_logs(&self, batch: &LogBatch<'_>, now: u64) -> Result<Vec<Finding>, AuditError> {
        let limit = self.config.max_log_events;
        let examined = &batch.log_events[..batch.log_events.len().min(limit)];
        let skipped = batch.log_events.len() - examined.len();
        let firelens = firelens::is_firelens_stream(&batch.log_stream)
            || examined
                .first()
                .is_some_and(|line| FireLensRecord::parse(&line.message).is_some());
        let mut findings = Vec::new();
        if firelens {
            for (source, lines) in firelens_groups(&batch.log_stream, examined) {
                findings.extend(self.audit_lines(batch, &lines, source, now).await?);
            }
        } else {
            let source = match StreamName::parse(&batch.log_stream) {
                Some(stream) => LogSource {
                    container: Some(stream.container.to_string()),
                    task_id: Some(stream.task_id.to_string()),
                    ..Default::default()
                },
                // A stream named by the task id alone (FireLens `log_stream_name
                // $(ecs_task_id)` with `log_key log`): the task, without its container.
                None => LogSource {
                    task_id: firelens::stream_task_id(&batch.log_stream).map(str::to_string),
                    ..Default::default()
                },
            };
            findings.extend(self.audit_lines(batch, examined, source, now).await?);
        }
        if skipped > 0 {
            let location = Location {
                account: (!batch.owner.is_empty()).then(|| batch.owner.to_string()),
                region: self.region.clone(),
                log_group: Some(batch.log_group.to_string()),
                log_stream: Some(batch.log_stream.to_string()),
                ..Default::default()
            };
            findings.push(rules::audit_incomplete::lines_not_examined(
                &location,
                batch.log_events.len(),
                skipped,
            ));
        }
        Ok(findings)
    }

    /// The findings of some lines of a batch that belong to one task (as far as is known).
    async fn audit_lines(
        &self,
        batch: &LogBatch<'_>,
        lines: &[LogLine<'_>],
        source: LogSource,
        now: u64,
    ) -> Result<Vec<Finding>, AuditError> {
        let matches = self.scanner.scan_lines(lines);
        if matches.is_empty() {
            return Ok(Vec::new());
        }
        let mut location = Location {
            account: (!batch.owner.is_empty()).then(|| batch.owner.to_string()),
            region: self.region.clone(),
            log_group: Some(batch.log_group.to_string()),
            log_stream: Some(batch.log_stream.to_string()),
            container: source.container.clone(),
            ..Default::default()
        };
        // What the record itself says, in case ECS no longer knows the task.
        if let Some(task_arn) = &source.task_arn {
            location.task = Some(task_arn.clone());
            location.cluster = source
                .cluster
                .clone()
                .or_else(|| task_cluster(task_arn).map(str::to_string));
            location.region = arn_field(task_arn, 3)
                .map(str::to_string)
                .or(location.region);
        }
        let mut lookup_note = None;
        let task_id = source.task_id.clone().or_else(|| {
            source
                .task_arn
                .as_deref()
                .map(|arn| resource_name(arn).to_string())
        });
        match task_id {
            Some(task_id) => match self.inventory.locate_task(&task_id).await {
                Ok(task) => {
                    location.cluster = Some(resource_name(&task.cluster_arn).to_string());
                    location.service =
                        service_name_from_group(task.group.as_deref()).map(str::to_string);
                    location.region = arn_field(&task.task_arn, 3)
                        .map(str::to_string)
                        .or(location.region);
                    location.task = Some(task.task_arn);
                    location.task_definition =
                        Some(task.task_definition_arn).filter(|arn| !arn.is_empty());
                }
                Err(error) => {
                    tracing::warn!(%error, "task of log stream not found");
                    lookup_note = Some(format!(
                        "(which service this stream belongs to is unknown: {} {})",
                        error.operation,
                        error.failure.describe()
                    ));
                }
            },
            None => {
                lookup_note = Some(
                    "(these lines could not be tied to a task: the log stream is not the awslogs \
                     PREFIX/CONTAINER/TASK_ID layout nor a FireLens tag, and no record names \
                     ecs_task_arn; the task is not remembered for data-lost-on-stop)"
                        .to_string(),
                );
            }
        }
        let mut findings = rules::logs::findings(matches, &self.profiles, &location);
        self.weigh_against_task_definition(&mut findings, &location)
            .await;
        if let Some(note) = lookup_note {
            for finding in &mut findings {
                finding.evidence.push(note.clone());
            }
        }
        // Remember that this task ran on its embedded database inside the task, for when it
        // stops (on one instance's storage the data stays there: nothing to remember).
        if let Some(task_arn) = &location.task
            && let Some(embedded) = findings.iter().find(|finding| {
                finding.rule == RuleId::EmbeddedDatabaseInUse
                    && finding.facts.get("storage").map(String::as_str) != Some("instance")
            })
        {
            let remembered = Remembered::load(
                &self.state,
                continuity::embedded_database_key(task_arn),
                now,
            )
            .await?;
            if remembered.get("app").is_none() {
                let evidence = embedded
                    .facts
                    .get("data_path")
                    .map(|path| format!("{} in {path}", embedded.summary))
                    .unwrap_or_else(|| embedded.summary.clone());
                let attributes = BTreeMap::from([
                    ("app".to_string(), embedded.app.clone().unwrap_or_default()),
                    ("evidence".to_string(), evidence),
                ]);
                remembered.replace(&self.state, attributes, now).await?;
            }
        }
        Ok(findings)
    }

    /// Log findings weighed against the task definition: one app per line (the container's own,
    /// see [`rules::logs::one_app_per_line`]); an embedded database on EFS survives the task, so
    /// its start-up line is no alarm, and on one instance's storage it is weighed as such (see
    /// [`rules::logs::weigh_against_storage`]).
    async fn weigh_against_task_definition(
        &self,
        findings: &mut Vec<Finding>,
        location: &Location,
    ) {
        let siblings = findings.iter().enumerate().any(|(index, finding)| {
            findings[..index]
                .iter()
                .any(|earlier| earlier.rule == finding.rule && earlier.evidence == finding.evidence)
        });
        let definition = match (&location.task_definition, &location.container) {
            (Some(arn), Some(_)) if siblings || findings.iter().any(rules::logs::about_storage) => {
                self.inventory.task_definition(arn).await.ok()
            }
            _ => None,
        };
        let container = location.container.as_deref().unwrap_or_default();
        rules::logs::one_app_per_line(
            findings,
            definition
                .as_ref()
                .and_then(|definition| {
                    crate::container::storage::container_app(definition, container, &self.profiles)
                })
                .map(|(_, profile)| profile.name.as_str()),
        );
        let Some(definition) = definition else {
            return;
        };
        if !findings.iter().any(rules::logs::about_storage) {
            return;
        }
        let storage = crate::container::storage::data_directory_storage(
            &definition,
            container,
            &self.profiles,
        );
        if storage == Some(crate::container::storage::DataStorage::Persistent) {
            tracing::info!(container = %container, "embedded database on persistent storage: not alerted");
        }
        rules::logs::weigh_against_storage(findings, storage.as_ref());
    }

    /// Every service of the clusters, as it stands now: configuration, endpoint, recent logs.
    /// What cannot be read becomes `audit-incomplete`, never silence.
    async fn sweep_findings(&self, origin: &EventOrigin, clusters: &[String]) -> Vec<Finding> {
        let mut findings = Vec::new();
        let gap_findings = |cluster_arn: &str, error: ReadError, skipped_checks| {
            let task = TaskContext {
                origin: origin.clone(),
                cluster_arn: cluster_arn.to_string(),
                gaps: vec![AuditGap {
                    error,
                    skipped_checks,
                }],
                ..Default::default()
            };
            rules::audit_incomplete::audit_incomplete(&task)
        };
        let clusters = if clusters.is_empty() {
            match self.inventory.clusters().await {
                Ok(clusters) => clusters,
                Err(error) => return gap_findings("", error, SWEEP_CHECKS),
            }
        } else {
            clusters.to_vec()
        };
        let since_ms =
            (crate::state::now().saturating_sub(self.config.sweep_log_hours * 3600) * 1000) as i64;
        for cluster in clusters {
            let service_arns = match self.inventory.service_arns(&cluster).await {
                Ok(arns) => arns,
                Err(error) => {
                    findings.extend(gap_findings(&cluster, error, SWEEP_CHECKS));
                    continue;
                }
            };
            tracing::info!(cluster = %resource_name(&cluster), services = service_arns.len(), "sweeping");
            for service_arn in service_arns {
                let name = resource_name(&service_arn).to_string();
                let service = match self.inventory.service(&cluster, &name).await {
                    Ok(service) => service,
                    Err(error) => {
                        findings.extend(gap_findings(&cluster, error, SERVICE_CHECKS));
                        continue;
                    }
                };
                findings.extend(
                    self.sweep_service(origin, &cluster, service, since_ms)
                        .await,
                );
            }
        }
        findings
    }

    async fn sweep_service(
        &self,
        origin: &EventOrigin,
        cluster: &str,
        service: Service,
        since_ms: i64,
    ) -> Vec<Finding> {
        let cluster_arn = if service.cluster_arn.is_empty() {
            cluster.to_string()
        } else {
            service.cluster_arn.clone()
        };
        let mut task = TaskContext {
            origin: EventOrigin {
                region: origin
                    .region
                    .clone()
                    .or_else(|| arn_field(&service.arn, 3).map(str::to_string)),
                account: origin
                    .account
                    .clone()
                    .or_else(|| arn_field(&service.arn, 4).map(str::to_string)),
                ..origin.clone()
            },
            cluster_arn,
            task_definition_arn: service.task_definition.clone(),
            group: Some(format!("service:{}", service.name)),
            service: Some(service),
            ..Default::default()
        };
        self.add_task_definition(&mut task, TASK_DEFINITION_CHECKS)
            .await;
        let mut findings = rules::evaluate_task(&task, &self.profiles);
        let Some(definition) = task.task_definition.clone() else {
            return findings;
        };
        for container in &definition.container_definitions {
            let Some((group, prefix)) = container.awslogs() else {
                continue;
            };
            let stream_prefix = prefix.map(|prefix| format!("{prefix}/{}/", container.name));
            let lines = match self
                .inventory
                .recent_log_lines(
                    group,
                    stream_prefix.as_deref(),
                    &self.filter_pattern,
                    since_ms,
                    SWEEP_LOG_LINES,
                )
                .await
            {
                Ok(lines) => lines,
                Err(error) => {
                    let mut gap = task.clone();
                    gap.gaps = vec![AuditGap {
                        error,
                        skipped_checks: SWEEP_LOG_CHECKS,
                    }];
                    findings.extend(rules::audit_incomplete::audit_incomplete(&gap));
                    continue;
                }
            };
            let lines: Vec<LogLine> = lines
                .iter()
                .map(|line| LogLine {
                    id: Cow::Borrowed(&line.id),
                    timestamp: line.timestamp,
                    message: Cow::Borrowed(&line.message),
                })
                .collect();
            let location = Location {
                container: Some(container.name.clone()),
                log_group: Some(group.to_string()),
                ..task.location()
            };
            let mut log_findings =
                rules::logs::findings(self.scanner.scan_lines(&lines), &self.profiles, &location);
            rules::logs::one_app_per_line(
                &mut log_findings,
                crate::container::storage::container_app(
                    &definition,
                    &container.name,
                    &self.profiles,
                )
                .map(|(_, profile)| profile.name.as_str()),
            );
            rules::logs::weigh_against_storage(
                &mut log_findings,
                crate::container::storage::data_directory_storage(
                    &definition,
                    &container.name,
                    &self.profiles,
                )
                .as_ref(),
            );
            findings.extend(log_findings);
        }
        findings
    }
}

/// Where some log lines come from, as far as the stream and the records say.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct LogSource {
    container: Option<String>,
    /// From the stream name (awslogs, a FireLens tag) or the record's task ARN.
    task_id: Option<String>,
    /// From a FireLens record (`ecs_task_arn`).
    task_arn: Option<String>,
    cluster: Option<String>,
}

/// The cluster name in a task ARN: `arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID`.
fn task_cluster(task_arn: &str) -> Option<&str> {
    let resource = task_arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    (parts.next()? == "task").then_some(())?;
    let cluster = parts.next()?;
    parts.next().map(|_| cluster)
}

/// A FireLens batch's lines, unwrapped to the app's own line and grouped by the task their
/// records (or the stream's tag) name, in the order tasks first appear.
fn firelens_groups(stream: &str, lines: &[LogLine<'_>]) -> Vec<(LogSource, Vec<LogLine<'static>>)> {
    let stream_task = firelens::stream_task_id(stream).map(str::to_string);
    let mut groups: Vec<(LogSource, Vec<LogLine<'static>>)> = Vec::new();
    for line in lines {
        let (source, message) = match FireLensRecord::parse(&line.message) {
            Some(record) => (
                LogSource {
                    container: record.container(),
                    task_id: record
                        .ecs_task_arn
                        .as_deref()
                        .map(|arn| resource_name(arn).to_string())
                        .or_else(|| stream_task.clone()),
                    task_arn: record.ecs_task_arn.as_deref().map(str::to_string),
                    cluster: record.ecs_cluster.as_deref().map(str::to_string),
                },
                record.log.into_owned(),
            ),
            // `log_key log`: only the line, no metadata; the stream may still name the task.
            None => (
                LogSource {
                    task_id: stream_task.clone(),
                    ..Default::default()
                },
                line.message.to_string(),
            ),
        };
        let unwrapped = LogLine {
            id: line.id.to_string().into(),
            timestamp: line.timestamp,
            message: message.into(),
        };
        match groups.iter_mut().find(|(known, _)| *known == source) {
            Some((_, group)) => group.push(unwrapped),
            None => groups.push((source, vec![unwrapped])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{RuleId, Severity};
    use crate::inventory::tests::FakeInventory;
    use crate::model::TaskDefinition;
    use crate::publish::tests::RecordingSink;
    use crate::state::MemoryStore;
    use std::sync::atomic::Ordering;

    const TASK_ARN: &str =
        "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/0123456789abcdef0123456789abcdef";
    const TD_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:7";

    fn running_event(status: &str) -> String {
        serde_json::json!({
            "version": "0", "id": "1", "detail-type": "ECS Task State Change", "source": "aws.ecs",
            "account": "123456789012", "time": "2026-11-24T03:12:40Z", "region": "us-east-1",
            "resources": [TASK_ARN],
            "detail": {
                "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster",
                "taskArn": TASK_ARN, "taskDefinitionArn": TD_ARN,
                "group": "service:coder-service", "lastStatus": status, "version": 2
            }
        })
        .to_string()
    }

    fn seed_inventory() -> FakeInventory {
        let definition: TaskDefinition = serde_json::from_value(serde_json::json!({
            "taskDefinitionArn": TD_ARN, "family": "coder", "revision": 7,
            "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
                "environment": [{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}],
                "secrets": [{"name": "CODER_POSTGRES_URL",
                    "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:coder-postgres-url-PO7CI7:url::"}]}]
        }))
        .unwrap();
        FakeInventory::coder_service(definition)
    }

    /// The seed's inventory with Coder's home directory on a volume (`volume` without its name).
    fn seed_with_home_on(volume: serde_json::Value) -> FakeInventory {
        let mut inventory = seed_inventory();
        let definition = inventory.task_definitions.get_mut(TD_ARN).unwrap();
        definition.container_definitions[0].mount_points = vec![crate::model::MountPoint {
            source_volume: "data".to_string(),
            container_path: "/home/coder".to_string(),
            read_only: None,
        }];
        let mut volume = volume;
        volume["name"] = "data".into();
        definition.volumes = vec![serde_json::from_value(volume).unwrap()];
        inventory
    }

    /// The seed task, after two hours of running, stopped by a deployment.
    fn stopped_by_deployment() -> String {
        running_event("STOPPED").replace(
            r#""version":2"#,
            r#""version":3,"startedAt":"2026-11-24T03:12:40Z","stoppedAt":"2026-11-24T05:12:40Z","stopCode":"ServiceSchedulerInitiated","stoppedReason":"Scaling activity initiated by (deployment ecs-svc/1)""#,
        )
    }

    fn auditor(
        inventory: FakeInventory,
        sink: RecordingSink,
        config: Config,
    ) -> Auditor<FakeInventory, RecordingSink, MemoryStore> {
        Auditor::new(
            config,
            inventory,
            sink,
            MemoryStore::new(),
            Some("us-east-1".to_string()),
        )
        .unwrap()
    }

    fn logs_event(lines: &[&str]) -> String {
        let events: Vec<serde_json::Value> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| serde_json::json!({"id": i.to_string(), "timestamp": 1_795_000_000_000i64, "message": line}))
            .collect();
        let payload = serde_json::json!({
            "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/ecs/coder",
            "logStream": "ecs/coder/0123456789abcdef0123456789abcdef",
            "subscriptionFilters": ["f"], "logEvents": events
        });
        serde_json::json!({"awslogs": {"data": crate::events::logs::tests::encode(payload.to_string().as_bytes())}}).to_string()
    }

    #[tokio::test]
    async fn the_seed_task_yields_misnamed_and_ephemeral_alerts() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            vec![
                RuleId::DatabaseSettingMisnamed,
                RuleId::EphemeralDataDirectory
            ]
        );
        assert_eq!(report.published(), 2);
        let alerts = auditor.sink.alerts.lock().unwrap();
        assert!(
            alerts[0]
                .subject
                .starts_with("[CRITICAL] coder-service: Coder ignores CODER_POSTGRES_URL; it reads CODER_PG_CONNECTION_URL")
        );
        // No load balancer: the fix says so.
        assert!(alerts[1].text.contains("Application Load Balancer"));
    }

    const ENV_FILE: &str = "arn:aws:s3:::coder-config-123456789012/coder/coder.env";

    /// The seed's task with its database URL moved into an S3 environment file.
    fn environment_file_inventory(file: Option<&str>) -> FakeInventory {
        let definition: TaskDefinition = serde_json::from_value(serde_json::json!({
            "taskDefinitionArn": TD_ARN, "family": "coder", "revision": 7,
            "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0",
                "environment": [{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}],
                "environmentFiles": [{"value": ENV_FILE, "type": "s3"}]}]
        }))
        .unwrap();
        let mut inventory = FakeInventory::coder_service(definition);
        if let Some(text) = file {
            inventory
                .environment_files
                .insert(ENV_FILE.to_string(), text.to_string());
        }
        inventory
    }

    #[tokio::test]
    async fn an_unread_environment_file_is_no_verdict() {
        let auditor = auditor(
            environment_file_inventory(Some("CODER_PG_CONNECTION_URL=postgres://c:pw@db/c\n")),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, vec![RuleId::AuditIncomplete]);
        assert!(report.findings[0].evidence[0].contains(ENV_FILE));
        assert!(report.findings[0].evidence[0].contains("READ_ENVIRONMENT_FILES is off"));
        assert_eq!(
            auditor.inventory().inner().calls.load(Ordering::SeqCst),
            2,
            "no s3:GetObject without READ_ENVIRONMENT_FILES"
        );
    }

    #[tokio::test]
    async fn a_read_environment_file_is_judged_and_its_values_never_leave() {
        let config = Config {
            read_environment_files: true,
            ..Config::default()
        };
        // The file holds the seed's misnamed setting, with a password in it.
        let auditor = auditor(
            environment_file_inventory(Some(
                "# Coder\nCODER_POSTGRES_URL=postgres://coder:Hunter2Hunter2@db:5432/coder\n",
            )),
            RecordingSink::default(),
            config.clone(),
        );
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            vec![
                RuleId::DatabaseSettingMisnamed,
                RuleId::EphemeralDataDirectory
            ]
        );
        {
            let alerts = auditor.sink.alerts.lock().unwrap();
            assert!(
                alerts[0].text.contains(ENV_FILE),
                "the alert names the file: {}",
                alerts[0].text
            );
            for alert in alerts.iter() {
                let document = alert.document.to_string();
                for text in [&alert.text, &document, &alert.subject] {
                    assert!(!text.contains("Hunter2Hunter2"), "{text}");
                    assert!(
                        !text.contains("db:5432"),
                        "a file's values are not shown: {text}"
                    );
                }
            }
        }

        // The right name in the file: nothing to report.
        let auditor = auditor_with(
            environment_file_inventory(Some("CODER_PG_CONNECTION_URL=postgres://c:pw@db/c\n")),
            config.clone(),
        );
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert_eq!(report.findings, Vec::new());

        // A malformed URL there is reported without any part of it.
        let auditor = auditor_with(
            environment_file_inventory(Some(
                "CODER_PG_CONNECTION_URL=postgres://coder:Hunter2Hunter2@rds.internal:5432:5432/coder\n",
            )),
            config.clone(),
        );
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, vec![RuleId::DatabaseUrlMalformed]);
        assert_eq!(
            report.findings[0].summary,
            "CODER_PG_CONNECTION_URL is malformed: the port appears twice; the lookup of that host name will fail"
        );
        let shown = serde_json::to_string(&report.findings).unwrap();
        assert!(
            !shown.contains("rds.internal") && !shown.contains("Hunter2"),
            "{shown}"
        );

        // A file that cannot be read is a gap, and the database choice stays undecided.
        let auditor = auditor_with(environment_file_inventory(None), config);
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let rules: Vec<RuleId> = report.findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            vec![RuleId::AuditIncomplete, RuleId::AuditIncomplete]
        );
        assert!(report.findings[0].summary.contains("s3:GetObject"));
        assert!(report.findings[1].evidence[0].contains("it could not be read"));
    }

    fn auditor_with(
        inventory: FakeInventory,
        config: Config,
    ) -> Auditor<FakeInventory, RecordingSink, MemoryStore> {
        auditor(inventory, RecordingSink::default(), config)
    }

    /// A CloudWatch Logs payload from FireLens: one JSON record per line, the app's line in
    /// `log`, the task in `ecs_task_arn` (keys as the Go cloudwatch output sorts them).
    fn firelens_event(stream: &str, task_arn: Option<&str>, lines: &[&str]) -> String {
        let events: Vec<serde_json::Value> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let mut record = serde_json::json!({
                    "container_id": "0123456789abcdef0123456789abcdef-1", "container_name": "coder",
                    "log": line, "source": "stdout"
                });
                if let Some(arn) = task_arn {
                    record["ecs_cluster"] = "coder-cluster".into();
                    record["ecs_task_arn"] = arn.into();
                    record["ecs_task_definition"] = "coder:7".into();
                }
                serde_json::json!({"id": i.to_string(), "timestamp": 1_795_000_000_000i64, "message": record.to_string()})
            })
            .collect();
        let payload = serde_json::json!({
            "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/ecs/coder",
            "logStream": stream, "subscriptionFilters": ["f"], "logEvents": events
        });
        serde_json::json!({"awslogs": {"data": crate::events::logs::tests::encode(payload.to_string().as_bytes())}}).to_string()
    }

    #[tokio::test]
    async fn firelens_lines_are_tied_to_their_task_and_remembered_for_its_stop() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(
                firelens_event(
                    "ecs-coder-firelens-0123456789abcdef0123456789abcdef",
                    Some(TASK_ARN),
                    &["Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)\r"],
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 1);
        let finding = &report.findings[0];
        assert_eq!(finding.rule, RuleId::EmbeddedDatabaseInUse);
        assert_eq!(finding.location.task.as_deref(), Some(TASK_ARN));
        assert_eq!(finding.location.service.as_deref(), Some("coder-service"));
        assert_eq!(finding.location.container.as_deref(), Some("coder"));
        // Its stop is data lost, from what its log showed.
        let stopped = stopped_by_deployment();
        let report = auditor.process(stopped.as_bytes()).await.unwrap();
        let lost = report
            .findings
            .iter()
            .find(|f| f.rule == RuleId::DataLostOnStop)
            .expect("data lost on stop");
        assert!(
            lost.evidence
                .iter()
                .any(|line| line.contains("its log showed")),
            "{:?}",
            lost.evidence
        );
    }

    #[tokio::test]
    async fn lines_that_name_no_task_say_so() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        // `log_key log` with a fixed log_stream_name: only the line, no task anywhere.
        let report = auditor
            .process(
                firelens_event("coder-logs", None, &["Using built-in PostgreSQL (/x)"]).as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].location.task, None);
        assert!(
            report.findings[0]
                .evidence
                .iter()
                .any(|line| line.contains("could not be tied to a task")),
            "{:?}",
            report.findings[0].evidence
        );
    }

    #[tokio::test]
    async fn repeated_task_definitions_are_read_once() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let after_first = auditor.inventory().inner().calls.load(Ordering::SeqCst);
        auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        let after_second = auditor.inventory().inner().calls.load(Ordering::SeqCst);
        assert_eq!(after_first, 2, "DescribeTaskDefinition + DescribeServices");
        assert_eq!(after_second, after_first, "both cached");
    }

    #[tokio::test]
    async fn min_severity_drops_lesser_findings() {
        let config = Config {
            min_severity: Severity::Critical,
            ..Config::default()
        };
        let auditor = auditor(seed_inventory(), RecordingSink::default(), config);
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].rule, RuleId::DatabaseSettingMisnamed);
    }

    #[tokio::test]
    async fn access_denied_is_an_incomplete_audit_not_a_clean_bill() {
        let inventory = FakeInventory {
            deny: true,
            ..seed_inventory()
        };
        let auditor = auditor(inventory, RecordingSink::default(), Config::default());
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert!(!report.findings.is_empty());
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.rule == RuleId::AuditIncomplete)
        );
        assert!(
            report.findings[0]
                .summary
                .contains("ecs:DescribeTaskDefinition: access denied")
        );
    }

    #[tokio::test]
    async fn clusters_outside_the_clusters_setting_are_ignored() {
        let config = Config {
            clusters: vec!["other-cluster".to_string()],
            ..Config::default()
        };
        let auditor = auditor(seed_inventory(), RecordingSink::default(), config);
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert!(
            matches!(report.outcome, Outcome::Ignored(ref reason) if reason.contains("coder-cluster is not in CLUSTERS"))
        );
        let config = Config {
            clusters: vec!["arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster".to_string()],
            ..Config::default()
        };
        let auditor = self::auditor(seed_inventory(), RecordingSink::default(), config);
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 2);
    }

    #[tokio::test]
    async fn other_statuses_are_ignored_with_a_reason() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(running_event("PENDING").as_bytes())
            .await
            .unwrap();
        assert!(
            matches!(report.outcome, Outcome::Ignored(ref reason) if reason.contains("PENDING"))
        );
        assert_eq!(auditor.inventory().inner().calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_built_in_log_line_is_attributed_to_its_service() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(
                logs_event(&["Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)\r"])
                    .as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 1);
        let finding = &report.findings[0];
        assert_eq!(finding.rule, RuleId::EmbeddedDatabaseInUse);
        assert_eq!(finding.location.service.as_deref(), Some("coder-service"));
        assert_eq!(finding.location.cluster.as_deref(), Some("coder-cluster"));
        assert_eq!(finding.location.container.as_deref(), Some("coder"));
        let alerts = auditor.sink.alerts.lock().unwrap();
        assert_eq!(
            alerts[0].subject,
            "[CRITICAL] coder-service: Coder is running on its built-in PostgreSQL"
        );
    }

    #[tokio::test]
    async fn an_embedded_database_on_efs_is_no_alarm() {
        let auditor = auditor(
            seed_with_home_on(
                serde_json::json!({"efsVolumeConfiguration": {"fileSystemId": "fs-1"}}),
            ),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(
                logs_event(&["Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)"])
                    .as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(report.findings, vec![]);
    }

    #[tokio::test]
    async fn a_task_that_cannot_fetch_the_database_secret_is_critical_and_a_loop_is_counted() {
        let mut inventory = seed_inventory();
        let definition = inventory.task_definitions.get_mut(TD_ARN).unwrap();
        definition.container_definitions[0].secrets[0].name = "CODER_PG_CONNECTION_URL".to_string();
        let auditor = auditor(inventory, RecordingSink::default(), Config::default());
        let sample = include_str!("../events/task-stopped-failed-to-start.json").replace(
            "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:2",
            TD_ARN,
        );
        let report = auditor.process(sample.as_bytes()).await.unwrap();
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        let finding = &report.findings[0];
        assert_eq!(finding.rule, RuleId::TaskFailedToStart);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(
            finding.facts.get("class").map(String::as_str),
            Some("no-network-path")
        );
        assert!(
            finding
                .evidence
                .iter()
                .any(|line| line.contains("database setting CODER_PG_CONNECTION_URL")),
            "{:?}",
            finding.evidence
        );
        // ECS replaces the task and it fails the same way: one more in the count.
        let again = sample
            .replace(
                "7e1f0a2b3c4d5e6f708192a3b4c5d6e7",
                "8f2a1b3c4d5e6f708192a3b4c5d6e7f8",
            )
            .replace(
                "5c0d9e8f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
                "6d1e0f9a-2b3c-4d5e-9f0a-6b7c8d9e0f1a",
            );
        let report = auditor.process(again.as_bytes()).await.unwrap();
        assert_eq!(report.findings[0].occurrences, 2);
        assert!(
            report.findings[0]
                .evidence
                .iter()
                .any(|line| line.starts_with("2 tasks of this service failed to start"))
        );
    }

    #[tokio::test]
    async fn a_task_stopped_on_purpose_before_it_ran_is_neither_failed_nor_lost() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        for code in [
            "UserInitiated",
            "ServiceSchedulerInitiated",
            "SpotInterruption",
        ] {
            let stopped = running_event("STOPPED").replace(
                r#""version":2"#,
                &format!(
                    r#""version":3,"stoppedAt":"2026-11-24T03:13:40Z","stopCode":"{code}","stoppedReason":"Task stopped by user""#
                ),
            );
            let report = auditor.process(stopped.as_bytes()).await.unwrap();
            assert_eq!(report.findings, vec![], "{code}");
        }
    }

    #[tokio::test]
    async fn two_apps_in_one_stream_are_two_alerts() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(
                firelens_event(
                    "all-apps",
                    None,
                    &[
                        r#"logger=sqlstore t=2024-03-28T06:24:34.81Z level=info msg="Connecting to DB" dbtype=sqlite3"#,
                        "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)",
                    ],
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let mut apps: Vec<Option<&str>> = report
            .findings
            .iter()
            .map(|finding| finding.app.as_deref())
            .collect();
        apps.sort();
        assert_eq!(apps, vec![Some("Coder"), Some("Grafana")]);
        assert_eq!(auditor.sink.alerts.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn an_embedded_database_on_an_instance_host_path_is_medium_and_no_data_lost() {
        // EC2, the data directory on a host path: the data stays on that instance when the
        // task stops (AWS, "Bind mounts": host paths persist after the task stops on EC2).
        let auditor = auditor(
            seed_with_home_on(serde_json::json!({"host": {"sourcePath": "/srv/coder"}})),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(
                logs_event(&["Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)"])
                    .as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        let finding = &report.findings[0];
        assert_eq!(finding.rule, RuleId::EmbeddedDatabaseInUse);
        assert_eq!(finding.severity, Severity::Medium);
        assert!(
            finding.summary.contains("stays on this EC2 instance"),
            "{}",
            finding.summary
        );
        assert!(
            finding
                .evidence
                .iter()
                .any(|line| line.contains("a task placed on another instance starts empty"))
        );
        let stopped = stopped_by_deployment();
        let report = auditor.process(stopped.as_bytes()).await.unwrap();
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.rule != RuleId::DataLostOnStop),
            "{:?}",
            report.findings
        );
    }

    #[tokio::test]
    async fn quiet_log_batches_cost_no_aws_call() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        let report = auditor
            .process(logs_event(&["Started HTTP listener at http://0.0.0.0:3000"]).as_bytes())
            .await
            .unwrap();
        assert!(report.findings.is_empty());
        assert_eq!(auditor.inventory().inner().calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn publish_failures_are_errors_so_the_event_is_retried() {
        let sink = RecordingSink {
            fail: true,
            ..Default::default()
        };
        let auditor = auditor(seed_inventory(), sink, Config::default());
        let error = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap_err();
        assert!(matches!(
            error,
            AuditError::Publish {
                published: 0,
                total: 2,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn a_retry_after_a_failed_publish_sends_only_what_failed() {
        let sink = RecordingSink::default();
        *sink.fail_once_at.lock().unwrap() = Some(1);
        let auditor = auditor(seed_inventory(), sink, Config::default());
        let event = running_event("RUNNING");
        let error = auditor.process(event.as_bytes()).await.unwrap_err();
        assert!(matches!(
            error,
            AuditError::Publish {
                published: 1,
                total: 2,
                ..
            }
        ));
        // Lambda retries the same event: the first alert is not sent again.
        let retry = auditor.process(event.as_bytes()).await.unwrap();
        assert_eq!(
            retry.deliveries,
            vec![Delivery::Suppressed, Delivery::Published]
        );
        let sent: Vec<RuleId> = auditor
            .sink
            .alerts
            .lock()
            .unwrap()
            .iter()
            .map(|a| a.rule)
            .collect();
        assert_eq!(
            sent,
            vec![
                RuleId::DatabaseSettingMisnamed,
                RuleId::EphemeralDataDirectory
            ]
        );
        // And a third delivery of the same event is recognised as processed.
        let third = auditor.process(event.as_bytes()).await.unwrap();
        assert!(matches!(third.outcome, Outcome::Ignored(_)));
    }

    /// A state store that is down.
    struct BrokenStore;

    impl StateStore for BrokenStore {
        async fn load(
            &self,
            _key: &str,
            _now: u64,
        ) -> Result<Option<crate::state::Entry>, StateError> {
            Err(StateError {
                operation: "dynamodb:GetItem",
                message: "connection refused".to_string(),
            })
        }
        async fn store(
            &self,
            _key: &str,
            _attributes: BTreeMap<String, String>,
            _expires_at: u64,
            _expect: crate::state::Expect,
            _now: u64,
        ) -> Result<Option<u64>, StateError> {
            Err(StateError {
                operation: "dynamodb:PutItem",
                message: "connection refused".to_string(),
            })
        }
        async fn remove(&self, _key: &str, _version: u64) -> Result<(), StateError> {
            Err(StateError {
                operation: "dynamodb:DeleteItem",
                message: "connection refused".to_string(),
            })
        }
    }

    #[tokio::test]
    async fn a_state_store_outage_fails_the_event_so_it_is_retried() {
        let auditor = Auditor::new(
            Config::default(),
            seed_inventory(),
            RecordingSink::default(),
            BrokenStore,
            Some("us-east-1".to_string()),
        )
        .unwrap();
        let error = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap_err();
        assert!(matches!(error, AuditError::State(_)), "{error}");
        assert!(
            auditor.sink.alerts.lock().unwrap().is_empty(),
            "nothing sent unclaimed"
        );
    }

    #[tokio::test]
    async fn a_dry_run_leaves_no_trace_in_the_state_store() {
        let auditor = Auditor::new(
            Config::default(),
            seed_inventory(),
            crate::publish::DryRun,
            MemoryStore::new(),
            Some("us-east-1".to_string()),
        )
        .unwrap();
        let report = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert_eq!(
            report.deliveries,
            vec![Delivery::NotSent, Delivery::NotSent]
        );
        let again = auditor
            .process(running_event("RUNNING").as_bytes())
            .await
            .unwrap();
        assert_eq!(again.findings.len(), 2, "not remembered as processed");
    }

    #[tokio::test]
    async fn undecodable_input_is_a_decode_error() {
        let auditor = auditor(
            seed_inventory(),
            RecordingSink::default(),
            Config::default(),
        );
        assert!(matches!(
            auditor.process(b"{\"awslogs\":{\"data\":\"!!\"}}").await,
            Err(AuditError::Decode(DecodeError::Base64(_)))
        ));
    }
}
