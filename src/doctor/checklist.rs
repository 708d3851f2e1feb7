//! The seed's debugging checklist, answered (issue 16, `ecs-auditor doctor`): the steps its
//! team ran by hand (`../shared/seed`: "Next Steps to Debug Database Connection": 1 and 6 the
//! environment and Coder's options, 2 and 4 connectivity and security groups, 3 IAM, 5 the
//! secret's ARN, 7 and 10 the secret's and URL's format), in its order, each pass, fail or could not decide, from the audit's findings and what the doctor
//! could see. Pure: no I/O.
//!
//! A step passes only when its check ran on what it needs (a profiled app, a known database
//! URL, a path from a running task, every secret diagnosed) and found nothing; a finding of its
//! rules fails it; anything else, an `audit-incomplete` that skipped it included, is "could
//! not decide", with the reason.

use super::network::Path;
use crate::finding::{Finding, RuleId};
use crate::model::TaskContext;
use serde::Serialize;

/// A step's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    CouldNotDecide,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::CouldNotDecide => "could not decide",
        }
    }
}

/// One step of the checklist, answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub question: &'static str,
    /// The manual check this step replaces (the seed's steps, in its words where it has them).
    pub replaces: &'static str,
    pub status: Status,
    pub evidence: Vec<String>,
    pub fix: Vec<String>,
}

/// What the doctor could see, beyond the findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Containers a profile recognised, as "coder (Coder)".
    pub apps: Vec<String>,
    /// The database settings those containers set, as "CODER_PG_CONNECTION_URL of coder".
    pub settings: Vec<String>,
    /// How many secret references the task definition has.
    pub secrets: usize,
    /// Profiled apps' database URL settings whose value the doctor knows.
    pub urls_known: usize,
    /// Host settings (`GF_DATABASE_HOST`) whose value the doctor knows.
    pub hosts_known: usize,
    /// URL settings inside a secret whose value is unknown.
    pub urls_in_secrets: Vec<String>,
    /// Host settings inside a secret whose value is unknown.
    pub hosts_in_secrets: Vec<String>,
    /// Whether secret values were read (`--read-secrets`, `READ_SECRET_VALUES`).
    pub secrets_read: bool,
    /// The running task's network interface, when one was found.
    pub network_interface: Option<String>,
    /// Whether the task VPC's databases were listed in place of an unknown address
    /// (`TaskContext::candidate_paths`), and why not when that failed.
    pub vpc_listing: VpcListing,
}

/// The listing of the task VPC's databases, for an address the doctor cannot see.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum VpcListing {
    /// Not needed (the address is known) or not possible (no running task).
    #[default]
    NotAsked,
    Listed,
    /// The reads failed: what failed.
    Failed(String),
}

struct Definition {
    question: &'static str,
    replaces: &'static str,
    rules: &'static [RuleId],
}

const STEPS: [Definition; 7] = [
    Definition {
        question: "Does the app get its database setting, under a name it reads?",
        replaces: "exec into the container and look at its environment; read the app's --help for its database options",
        rules: &[
            RuleId::DatabaseSettingMisnamed,
            RuleId::DatabaseSettingInvalid,
            RuleId::NoExternalDatabase,
        ],
    },
    Definition {
        question: "Can the task reach its database (network path, IAM authentication)?",
        replaces: "connect with psql from inside the container; read both security groups' rules",
        rules: &[
            RuleId::DatabaseUnreachable,
            RuleId::DatabaseAuthMisconfigured,
        ],
    },
    Definition {
        question: "May the task's execution role read its secrets?",
        replaces: "read the execution role's policies",
        rules: &[RuleId::SecretNotReadable],
    },
    Definition {
        question: "Does each secret reference name a secret that exists, with that version?",
        replaces: "aws secretsmanager get-secret-value with the exact ARN",
        rules: &[
            RuleId::SecretReferenceBroken,
            RuleId::SecretReferenceMalformed,
        ],
    },
    Definition {
        question: "Is the database URL in the form the app expects?",
        replaces: "check the secret's format and the URL's form by hand",
        rules: &[RuleId::DatabaseUrlMalformed],
    },
    Definition {
        question: "Does the app keep its data outside the task?",
        replaces: "waiting for the next deployment to see what survives it",
        rules: &[
            RuleId::EmbeddedDatabaseInUse,
            RuleId::EphemeralDataDirectory,
            RuleId::VolatileStorageAcknowledged,
            RuleId::PersistenceRemoved,
        ],
    },
    Definition {
        question: "Is the database backed up and protected from deletion?",
        replaces: "checking by hand that RDS automated backups (or an EFS backup policy) and deletion protection are on",
        rules: &[RuleId::DataStoreUnprotected],
    },
];

/// Whether an `audit-incomplete` finding concerns a step: it names one of the step's rules
/// among the checks it skipped, or names none (a failed read: every step is in doubt).
fn skips(finding: &Finding, rules: &[RuleId]) -> bool {
    let Some(skipped) = finding.facts.get("skipped_checks") else {
        return true;
    };
    let names_rules = RuleId::ALL
        .iter()
        .any(|rule| skipped.contains(rule.as_str()));
    !names_rules || rules.iter().any(|rule| skipped.contains(rule.as_str()))
}

/// The checklist for one task, in the seed's order; and the findings no step covers.
pub fn answer<'f>(
    task: &TaskContext,
    findings: &'f [Finding],
    coverage: &Coverage,
) -> (Vec<Step>, Vec<&'f Finding>) {
    let covered: Vec<RuleId> = STEPS
        .iter()
        .flat_map(|definition| definition.rules.iter().copied())
        .chain([RuleId::AuditIncomplete])
        .collect();
    let others: Vec<&Finding> = findings
        .iter()
        .filter(|finding| !covered.contains(&finding.rule))
        .collect();
    // A fix that belongs to another finding (the load balancer a rule's remediation adds) is
    // said once, under that finding.
    let elsewhere: Vec<&String> = others.iter().flat_map(|finding| &finding.fix).collect();
    let steps = STEPS
        .iter()
        .enumerate()
        .map(|(index, definition)| {
            let failed: Vec<&Finding> = findings
                .iter()
                .filter(|finding| definition.rules.contains(&finding.rule))
                .collect();
            let undecided: Vec<&Finding> = findings
                .iter()
                .filter(|finding| {
                    finding.rule == RuleId::AuditIncomplete && skips(finding, definition.rules)
                })
                .collect();
            let mut step = Step {
                question: definition.question,
                replaces: definition.replaces,
                status: Status::Pass,
                evidence: Vec::new(),
                fix: Vec::new(),
            };
            let shown = if failed.is_empty() {
                &undecided
            } else {
                &failed
            };
            for finding in shown {
                step.evidence
                    .push(format!("{} ({})", finding.summary, finding.rule));
                // Evidence the summary already says is not repeated.
                step.evidence.extend(
                    finding
                        .evidence
                        .iter()
                        .filter(|line| !finding.summary.contains(line.as_str()))
                        .take(3)
                        .cloned(),
                );
                for fix in &finding.fix {
                    if !step.fix.contains(fix) && !elsewhere.contains(&fix) {
                        step.fix.push(fix.clone());
                    }
                }
            }
            step.status = if !failed.is_empty() {
                Status::Fail
            } else if !undecided.is_empty() {
                Status::CouldNotDecide
            } else {
                match not_covered(index, task, coverage) {
                    Some(why) => {
                        step.evidence.push(why);
                        if index == 1 {
                            step.evidence.extend(candidates(task, coverage));
                        }
                        Status::CouldNotDecide
                    }
                    None => {
                        step.evidence.extend(passed(index, task, coverage));
                        Status::Pass
                    }
                }
            };
            step
        })
        .collect();
    (steps, others)
}

/// Why step `index` has no verdict without findings, if it lacks what it needs.
fn not_covered(index: usize, task: &TaskContext, coverage: &Coverage) -> Option<String> {
    let no_app = || {
        Some(
            "no container runs an app the auditor has a profile for (ecs-auditor profiles lists them)"
                .to_string(),
        )
    };
    match index {
        0 | 5 if coverage.apps.is_empty() => no_app(),
        1 => {
            if coverage.network_interface.is_none() {
                return Some(
                    "no running task of the service: the path is read from a running task's network interface".to_string(),
                );
            }
            if !task.database_paths.is_empty() {
                return None;
            }
            let hidden: Vec<&str> = coverage
                .urls_in_secrets
                .iter()
                .chain(&coverage.hosts_in_secrets)
                .map(String::as_str)
                .collect();
            Some(if !hidden.is_empty() {
                unread(&hidden, coverage.secrets_read, "the database's address")
            } else if coverage.urls_known + coverage.hosts_known > 0 {
                "the database's address names no RDS instance, Aurora cluster or RDS Proxy endpoint (a database outside RDS is not checked)".to_string()
            } else {
                "no database address is set where the doctor can see it".to_string()
            })
        }
        2 | 3 => {
            if coverage.secrets == 0 {
                return None;
            }
            let diagnosed = &task.secret_diagnoses;
            if diagnosed.is_empty() {
                return Some("the task's secrets were not diagnosed".to_string());
            }
            let unchecked: Vec<&str> = diagnosed
                .iter()
                .filter(|diagnosis| !diagnosis.reference_checked)
                .map(|diagnosis| diagnosis.secret.as_str())
                .collect();
            if index == 3 && !unchecked.is_empty() {
                return Some(format!(
                    "not looked up: {} (in another account or region than the doctor reads, or without an execution role to read it)",
                    unchecked.join(", ")
                ));
            }
            None
        }
        4 if coverage.apps.is_empty() => no_app(),
        4 if coverage.urls_known > 0 => None,
        4 if !coverage.urls_in_secrets.is_empty() => Some(unread(
            &coverage
                .urls_in_secrets
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            coverage.secrets_read,
            "the URL",
        )),
        // Separate host and user settings, no URL: step 1 judges them.
        4 if coverage.hosts_known > 0 => None,
        4 => Some("the app's database URL is not set where the doctor can see it".to_string()),
        6 if !task
            .database_paths
            .iter()
            .filter_map(|path| path.instance.as_ref())
            .any(|instance| !instance.data_stores().is_empty())
            && task.file_system_backups.is_empty() =>
        {
            Some(
                "neither the app's RDS instance nor an EFS file system holding its database was found (see step 2)"
                    .to_string(),
            )
        }
        6 if task
            .database_paths
            .iter()
            .filter_map(|path| path.instance.as_ref())
            .flat_map(|instance| instance.data_stores())
            .any(|instance| {
                instance.backup_retention_days.is_none() || instance.deletion_protection.is_none()
            }) =>
        {
            Some(
                "DescribeDBInstances did not say whether backups or deletion protection are on"
                    .to_string(),
            )
        }
        _ => None,
    }
}

/// The paths to every RDS instance of the task's VPC, checked where the app's database is
/// unknown: each with its verdict, none known to be the app's.
fn candidates(task: &TaskContext, coverage: &Coverage) -> Vec<String> {
    match &coverage.vpc_listing {
        VpcListing::NotAsked => return Vec::new(),
        VpcListing::Failed(error) => {
            return vec![format!(
                "the task VPC's databases could not be listed in its place: {error}"
            )];
        }
        VpcListing::Listed if task.candidate_paths.is_empty() => {
            return vec![
                "checked instead: the task's VPC has no RDS instance, Aurora cluster or RDS Proxy (the database is elsewhere: another VPC or account, or outside RDS)".to_string(),
            ];
        }
        VpcListing::Listed => {}
    }
    let mut lines = vec![
        "checked instead, every RDS instance, Aurora cluster and RDS Proxy in the task's VPC (which one the app uses is not known):".to_string(),
    ];
    for candidate in &task.candidate_paths {
        let verdict = match &candidate.path {
            Path::Open(_) => "reachable".to_string(),
            Path::Blocked(blocker) => format!("blocked: {}", blocker.describe()),
            Path::Undecided(why) => format!("could not decide: {why}"),
        };
        // Port 0: a group that could not be read (the VPC's proxies), not one database.
        lines.push(match candidate.port {
            0 => format!("{}: {verdict}", candidate.database),
            port => format!("{} on port {port}: {verdict}", candidate.database),
        });
    }
    lines
}

/// Why `what` is unknown: inside secrets that were not read, or could not be.
fn unread(settings: &[&str], read: bool, what: &str) -> String {
    if read {
        format!(
            "{what} is inside a secret ({}) whose value the doctor could not read (an SSM parameter is not read yet; a missing key or a failed read is said in step 4 or above)",
            settings.join(", ")
        )
    } else {
        format!(
            "{what} is inside a secret ({}), which was not read: run with --read-secrets to read it in memory (never shown)",
            settings.join(", ")
        )
    }
}

/// What a passed step rests on.
fn passed(index: usize, task: &TaskContext, coverage: &Coverage) -> Vec<String> {
    match index {
        1 => task
            .database_paths
            .iter()
            .flat_map(|evaluated| {
                // The security groups decide most often: they come first; every line once.
                let mut reasons: Vec<&String> = Vec::new();
                if let Path::Open(steps) = &evaluated.path {
                    for reason in steps
                        .iter()
                        .filter(|reason| reason.starts_with("security group"))
                        .chain(
                            steps
                                .iter()
                                .filter(|reason| !reason.starts_with("security group")),
                        )
                    {
                        if !reasons.contains(&reason) {
                            reasons.push(reason);
                        }
                    }
                }
                // What a proxy reports of its targets is always said: it is the second hop.
                let beyond_proxy = |reason: &&String| reason.starts_with("RDS Proxy ");
                let mut shown: Vec<&str> = reasons
                    .iter()
                    .filter(|reason| !beyond_proxy(reason))
                    .take(3)
                    .map(|reason| reason.as_str())
                    .collect();
                shown.extend(
                    reasons
                        .iter()
                        .filter(|reason| beyond_proxy(reason))
                        .map(|reason| reason.as_str()),
                );
                let more = match reasons.len().saturating_sub(shown.len()) {
                    0 => String::new(),
                    more => format!("; and {more} network ACL and route checks"),
                };
                let how = format!("{}{more}", shown.join("; "));
                let mut lines = vec![format!(
                    "container {} reaches {} on port {}: {how}",
                    evaluated.container, evaluated.database, evaluated.port
                )];
                if let Some(connect) = &evaluated.iam_connect
                    && connect.permission == crate::doctor::policy_simulation::Permission::Yes
                {
                    lines.push(format!(
                        "task role {} may rds-db:connect to {} as {} (iam:SimulatePrincipalPolicy)",
                        connect.role.as_deref().unwrap_or("?"),
                        evaluated.database,
                        connect.user.as_deref().unwrap_or("?")
                    ));
                }
                lines
            })
            .collect(),
        2 | 3 if coverage.secrets == 0 => {
            vec!["the task definition references no secret".to_string()]
        }
        2 => task
            .secret_diagnoses
            .iter()
            .map(|diagnosis| match &diagnosis.key {
                Some(key) => format!(
                    "the execution role may read {} and decrypt it with key {key}",
                    diagnosis.secret
                ),
                None => format!("the execution role may read {}", diagnosis.secret),
            })
            .collect(),
        3 => task
            .secret_diagnoses
            .iter()
            .map(|diagnosis| format!("{} exists with the version ECS asks for", diagnosis.secret))
            .collect(),
        4 if coverage.urls_known == 0 => vec![format!(
            "no URL: the database of {} is set by separate settings, which step 1 judges",
            coverage.apps.join(", ")
        )],
        4 => vec![format!(
            "{} database URL setting(s) of {} known and well formed",
            coverage.urls_known,
            coverage.apps.join(", ")
        )],
        0 => vec![format!("set and read: {}", coverage.settings.join(", "))],
        6 => {
            task.database_paths
                .iter()
                .filter_map(|path| path.instance.as_ref())
                .map(|instance| {
                    format!(
                        "{}: automated backups kept {} days, deletion protection on",
                        instance.describe(),
                        instance
                            .backup_retention_days
                            .map(|days| days.to_string())
                            .unwrap_or_else(|| "?".to_string())
                    )
                })
                .chain(task.file_system_backups.keys().map(|file_system| {
                    format!("EFS file system {file_system}: automatic backups on")
                }))
                .collect()
        }
        _ => vec![format!(
            "no sign that {} keeps its data inside the task",
            coverage.apps.join(", ")
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::network::Blocker;
    use crate::finding::Severity;
    use crate::model::DatabasePath;

    fn coverage() -> Coverage {
        Coverage {
            apps: vec!["coder (Coder)".to_string()],
            secrets: 0,
            urls_known: 1,
            network_interface: Some("eni-1".to_string()),
            ..Default::default()
        }
    }

    fn path(path: Path) -> DatabasePath {
        DatabasePath {
            container: "coder".to_string(),
            database: "RDS instance coder-postgres".to_string(),
            port: 5432,
            path,
            instance: None,
            iam_connect: None,
        }
    }

    #[test]
    fn a_step_passes_only_on_what_it_saw_and_fails_on_its_rules() {
        let mut task = crate::rules::testing::task_with(serde_json::json!({
            "family": "coder", "revision": 1,
            "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.18.0"}]
        }));
        task.database_paths = vec![path(Path::Open(vec!["sg-db lets sg-task in".to_string()]))];
        let (steps, others) = answer(&task, &[], &coverage());
        assert_eq!(steps.len(), 7);
        // No RDS instance known: the backups step cannot be decided; the others pass.
        assert!(
            steps[..6].iter().all(|step| step.status == Status::Pass),
            "{steps:#?}"
        );
        assert_eq!(steps[6].status, Status::CouldNotDecide);
        assert!(steps[1].evidence[0].contains("sg-db lets sg-task in"));
        assert!(others.is_empty());

        // Through a proxy: its targets' health is always said; an allowed rds-db:connect too.
        let mut through_proxy = path(Path::Open(
            [
                "security group sg-1 allows TCP 5432 outbound",
                "security group sg-2 allows TCP 5432 inbound",
                "network ACL acl-1 allows it",
                "network ACL acl-2 allows it",
                "RDS Proxy coder reports its targets available (coder-db)",
            ]
            .map(str::to_string)
            .to_vec(),
        ));
        through_proxy.iam_connect = Some(crate::doctor::database_auth::IamConnect {
            role: Some("arn:aws:iam::1:role/coder-task".to_string()),
            user: Some("coder".to_string()),
            permission: crate::doctor::policy_simulation::Permission::Yes,
        });
        task.database_paths = vec![through_proxy];
        let (steps, _) = answer(&task, &[], &coverage());
        assert!(
            steps[1].evidence[0].ends_with(
                "; RDS Proxy coder reports its targets available (coder-db); and 1 network ACL and route checks"
            ),
            "{:?}",
            steps[1].evidence
        );
        assert_eq!(
            steps[1].evidence[1],
            "task role arn:aws:iam::1:role/coder-task may rds-db:connect to RDS instance coder-postgres as coder (iam:SimulatePrincipalPolicy)"
        );

        // The URL inside an unread secret: no network or URL verdict.
        task.database_paths.clear();
        let hidden = Coverage {
            urls_known: 0,
            urls_in_secrets: vec!["CODER_PG_CONNECTION_URL".to_string()],
            ..coverage()
        };
        let (steps, _) = answer(&task, &[], &hidden);
        assert_eq!(steps[1].status, Status::CouldNotDecide);
        assert!(steps[1].evidence[0].contains("--read-secrets"));
        assert_eq!(steps[4].status, Status::CouldNotDecide);
        // Its VPC listed in its place, and found empty; or not listed: each said.
        let listed = Coverage {
            vpc_listing: VpcListing::Listed,
            ..hidden.clone()
        };
        let (steps, _) = answer(&task, &[], &listed);
        assert!(
            steps[1].evidence[1].starts_with("checked instead: the task's VPC has no RDS instance"),
            "{:?}",
            steps[1].evidence
        );
        let failed = Coverage {
            vpc_listing: VpcListing::Failed("rds:DescribeDBProxies: access denied".to_string()),
            ..hidden.clone()
        };
        let (steps, _) = answer(&task, &[], &failed);
        assert_eq!(
            steps[1].evidence[1],
            "the task VPC's databases could not be listed in its place: rds:DescribeDBProxies: access denied"
        );

        // A blocked path fails step 2 with the rule's words; an unrelated finding is "other".
        task.database_paths = vec![path(Path::Blocked(Blocker::DatabaseIngress {
            groups: vec!["sg-db".to_string()],
            port: 5432,
        }))];
        let findings =
            crate::rules::evaluate_task(&task, &crate::profiles::Profiles::built_in().unwrap());
        let mut findings = findings;
        findings.push(Finding::new(
            RuleId::EndpointWithoutLoadBalancer,
            Severity::Medium,
            "no load balancer",
        ));
        let (steps, others) = answer(&task, &findings, &coverage());
        assert_eq!(steps[1].status, Status::Fail);
        assert!(
            steps[1].evidence[0].contains("sg-db"),
            "{:?}",
            steps[1].evidence
        );
        assert!(steps[1].fix[0].starts_with("Add an inbound rule to security group sg-db"));
        assert_eq!(others.len(), 1);
    }

    #[test]
    fn a_failed_read_leaves_every_step_undecided_and_no_app_no_verdict() {
        let task = TaskContext {
            database_paths: vec![path(Path::Open(Vec::new()))],
            ..Default::default()
        };
        let mut gap = Finding::new(
            RuleId::AuditIncomplete,
            Severity::Medium,
            "could not read coder:1",
        );
        gap.facts.insert(
            "operation".to_string(),
            "ecs:DescribeTaskDefinition".to_string(),
        );
        let (steps, _) = answer(&task, &[gap], &coverage());
        assert!(
            steps
                .iter()
                .all(|step| step.status == Status::CouldNotDecide),
            "{steps:#?}"
        );

        let (steps, _) = answer(
            &task,
            &[],
            &Coverage {
                apps: Vec::new(),
                ..coverage()
            },
        );
        assert_eq!(steps[0].status, Status::CouldNotDecide);
        assert_eq!(steps[5].status, Status::CouldNotDecide);
        // An undecided check names itself: only its step is in doubt.
        let mut skipped = Finding::new(
            RuleId::AuditIncomplete,
            Severity::Medium,
            "could not decide the path",
        );
        skipped.facts.insert(
            "skipped_checks".to_string(),
            "database-unreachable".to_string(),
        );
        let (steps, _) = answer(&task, &[skipped], &coverage());
        assert_eq!(steps[1].status, Status::CouldNotDecide);
        assert_eq!(steps[0].status, Status::Pass);
    }
}
