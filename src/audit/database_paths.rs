//! The doctor in the RUNNING audit (issue 16): for each profiled container whose database
//! address the auditor knows (a URL, JDBC URL, DSN or host setting, plain or read from its
//! secret) and names an RDS endpoint, the network path from the task's interface to it on the
//! port the setting names, for `database-unreachable`. A read that fails is an audit gap,
//! never a pass.

use super::Auditor;
use crate::container::AppContainer;
use crate::container::storage::profiled_containers;
use crate::doctor::database_auth::{IamConnect, Signer, url_user};
use crate::doctor::endpoint::rds_endpoint;
use crate::inventory::Inventory;
use crate::memory::StateStore;
use crate::model::{AuditGap, DatabasePath, TaskContext};
use crate::publish::AlertSink;
use crate::rules::database_auth_misconfigured::signs_iam_tokens;

const NETWORK_CHECKS: &str = "database-unreachable (the network path to the database)";
/// A database a container's setting names: (container, host, port, and when the app signs IAM
/// tokens, the user it signs them for).
type Wanted = (String, String, Option<u16>, Option<Option<String>>);

const AUTH_CHECKS: &str = "database-auth-misconfigured (may the task role rds-db:connect)";

impl<I: Inventory, S: AlertSink, M: StateStore> Auditor<I, S, M> {
    /// `database-connection-failing` from the logs gets the doctor's answer in its alert: the
    /// network path from the task's interface to the database its settings name (blocked, and
    /// by what; open, so the cause is elsewhere; or could not decide), and IAM authentication.
    pub(super) async fn diagnose_connection_failures(
        &self,
        findings: &mut [crate::finding::Finding],
        location: &crate::finding::Location,
        interface: Option<&str>,
    ) {
        use crate::finding::RuleId;
        if !findings
            .iter()
            .any(|finding| finding.rule == RuleId::DatabaseConnectionFailing)
        {
            return;
        }
        let (Some(arn), Some(interface)) = (&location.task_definition, interface) else {
            return;
        };
        let mut task = TaskContext {
            task_definition_arn: arn.clone(),
            task_arn: location.task.clone().unwrap_or_default(),
            ..Default::default()
        };
        self.add_task_definition(&mut task, NETWORK_CHECKS).await;
        if task.task_definition.is_none() {
            return;
        }
        self.add_database_paths(&mut task, interface).await;
        let diagnosis: Vec<crate::finding::Finding> =
            crate::rules::evaluate_task(&task, &self.profiles)
                .into_iter()
                .filter(|found| {
                    matches!(
                        found.rule,
                        RuleId::DatabaseUnreachable | RuleId::DatabaseAuthMisconfigured
                    ) || (found.rule == RuleId::AuditIncomplete
                        && found.facts.get("skipped_checks").is_some_and(|skipped| {
                            skipped.contains("database-unreachable")
                                || skipped.contains("database-auth-misconfigured")
                        }))
                })
                .collect();
        // The network first: nothing else matters while no packet gets through.
        let mut diagnosis = diagnosis;
        diagnosis.sort_by_key(|found| found.rule != RuleId::DatabaseUnreachable);
        for finding in findings
            .iter_mut()
            .filter(|finding| finding.rule == RuleId::DatabaseConnectionFailing)
        {
            let container = finding.location.container.clone();
            let mine = |found: &crate::finding::Finding| {
                container.is_none() || found.location.container == container
            };
            let diagnosed: Vec<crate::finding::Finding> = diagnosis
                .iter()
                .filter(|found| mine(found))
                .cloned()
                .collect();
            finding.attach_diagnosis(&diagnosed);
            let paths: Vec<&crate::model::DatabasePath> = task
                .database_paths
                .iter()
                .filter(|path| {
                    container
                        .as_deref()
                        .is_none_or(|name| name == path.container)
                })
                .collect();
            for path in &paths {
                if let crate::doctor::network::Path::Open(_) = path.path {
                    let open = format!(
                        "diagnosis: the network path to {} on port {} is open (security groups, network ACLs, routes)",
                        path.database, path.port
                    );
                    finding.evidence.push(if diagnosed.is_empty() {
                        format!("{open}: the cause is elsewhere (the address, credentials, database name or TLS)")
                    } else {
                        open
                    });
                }
            }
            if paths.is_empty() {
                finding.evidence.push(
                    "diagnosis: could not decide: the network path was not checked, as the database's address is not known to the auditor (inside a secret not read, or not an RDS or Aurora endpoint)".to_string(),
                );
            }
        }
    }

    /// Fills `task.database_paths` from the task's network interface.
    pub(super) async fn add_database_paths(&self, task: &mut TaskContext, interface: &str) {
        let Some(definition) = task.task_definition.clone() else {
            return;
        };
        let mut wanted: Vec<Wanted> = Vec::new();
        for (container, profile) in profiled_containers(&definition, &self.profiles) {
            let app = AppContainer::new(task, &definition, container, profile);
            let signs_tokens = signs_iam_tokens(&app).is_some();
            // URL settings, host settings of a group, and near misses (the seed's
            // `CODER_POSTGRES_URL` names the database meant: whether the task could reach it
            // is worth knowing before the setting is renamed).
            for setting in app.address_settings() {
                let Some(value) = app.known_value(&setting) else {
                    continue;
                };
                let Some((host, port)) = rds_endpoint(value) else {
                    continue;
                };
                // A port of its own beside a host setting (`DB_POSTGRESDB_PORT` beside
                // `DB_POSTGRESDB_HOST`, `KC_DB_URL_PORT` beside `KC_DB_URL_HOST`).
                let port = port.or_else(|| {
                    let sibling = setting.name.replace("HOST", "PORT");
                    (sibling != setting.name)
                        .then(|| {
                            app.container
                                .environment
                                .iter()
                                .find(|variable| variable.name == sibling)
                        })
                        .flatten()
                        .and_then(|variable| variable.value.trim().parse().ok())
                });
                if !wanted
                    .iter()
                    .any(|(name, known, ..)| *name == container.name && *known == host)
                {
                    let user = signs_tokens.then(|| url_user(value));
                    wanted.push((container.name.clone(), host, port, user));
                }
            }
        }
        for (container, host, port, signs_for) in wanted {
            match self.inventory.database_path(interface, &host, port).await {
                Ok(Some(found)) => {
                    let iam_connect = match (&signs_for, &found.instance) {
                        // IAM authentication off is its own finding: no token gets through.
                        (Some(user), Some(instance))
                            if instance.iam_authentication == Some(true) =>
                        {
                            self.iam_connect(
                                task,
                                &definition,
                                &container,
                                user.as_deref(),
                                instance,
                            )
                            .await
                        }
                        _ => None,
                    };
                    task.database_paths.push(DatabasePath {
                        container,
                        database: found.database,
                        port: found.port,
                        path: found.path,
                        instance: found.instance,
                        iam_connect,
                    })
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "network path unreadable");
                    task.gaps.push(AuditGap {
                        error,
                        skipped_checks: NETWORK_CHECKS,
                    });
                }
            }
        }
    }

    /// Whether the app's token signer may `rds-db:connect` to `instance` as `user`; a failed
    /// read is an audit gap.
    async fn iam_connect(
        &self,
        task: &mut TaskContext,
        definition: &crate::model::TaskDefinition,
        container: &str,
        user: Option<&str>,
        instance: &crate::doctor::facts::DbInstance,
    ) -> Option<IamConnect> {
        let signer = match &definition.task_role_arn {
            Some(role) => Signer::TaskRole(role.clone()),
            None => Signer::NoTaskRole {
                fargate_only: task.launch_type.as_deref() == Some("FARGATE")
                    || definition.requires_compatibilities == ["FARGATE"],
                keys_in_environment: definition
                    .container_definitions
                    .iter()
                    .filter(|other| other.name == container)
                    .any(|other| {
                        other
                            .environment
                            .iter()
                            .map(|variable| &variable.name)
                            .chain(other.secrets.iter().map(|secret| &secret.name))
                            .any(|name| name == "AWS_ACCESS_KEY_ID")
                    }),
            },
        };
        match self.inventory.iam_connect(&signer, user, instance).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::warn!(%error, "rds-db:connect unreadable");
                task.gaps.push(AuditGap {
                    error,
                    skipped_checks: AUTH_CHECKS,
                });
                None
            }
        }
    }
}
