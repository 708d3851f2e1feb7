//! `task-failed-to-start`: a task that stopped before its app ever ran, and why, in words a
//! person can act on.
//!
//! ECS says why in `stoppedReason` (and each container's `reason`). The texts come from the
//! ECS agent (aws/amazon-ecs-agent: `asmsecret.go`, `ssmsecret.go`, the image pull and EFS
//! volume code) and from Fargate; the classes below follow the texts users report (cases in
//! `tests/real_world/`). A task never ran when `stopCode` is `TaskFailedToStart` or it has no
//! `startedAt`; one whose essential container exited within [`EXITED_AT_START_SECONDS`] of
//! starting failed at start too (a crash loop), and kept nothing worth an alarm.

use super::declaration::{RuleInfo, Suppression};
use crate::container::AppContainer;
use crate::finding::{Finding, RuleId, Severity};
use crate::model::{StopFacts, TaskContext, VolumeDurability};
use crate::profiles::Profiles;
use crate::redact;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::TaskFailedToStart,
    severity: Severity::High,
    other_severities: &[(
        Severity::Critical,
        "it concerns a profiled app's database secret or the volume that holds its data",
    )],
    fires_when: "a task stopped before its app ran (stopCode TaskFailedToStart, no startedAt because an essential container failed, or an essential container that exited within a minute; not one stopped on purpose while pending), classified from stoppedReason: secret or parameter access denied, KMS not allowed, secret or JSON key not found, no network path to Secrets Manager, SSM or the registry, image pull, EFS mount, essential container exited, other; critical when it concerns a profiled app's database secret or data volume; a crash loop is one alert with a count",
    why: "The service cannot start its app: ECS keeps replacing the task, and nothing runs until \
          the cause is fixed. The reason ECS gives is precise but terse; the alert says what it \
          means and what to change.",
    console: &[],
    suppression: Suppression::Window,
    from_log: None,
};

/// An essential container that exits this soon after the task started failed at start.
pub(crate) const EXITED_AT_START_SECONDS: i64 = 60;

/// Why a task did not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailureClass {
    /// The execution role may not read a Secrets Manager secret.
    SecretAccessDenied,
    /// The execution role may not read an SSM parameter.
    ParameterAccessDenied,
    /// KMS would not decrypt the secret or parameter for the execution role.
    KmsDenied,
    /// The secret or parameter (or its version) does not exist.
    SecretNotFound,
    /// The secret exists but has no such JSON key, or is not JSON.
    JsonKeyNotFound,
    /// No network path to Secrets Manager, SSM, ECR or the registry.
    NoNetworkPath,
    /// The image could not be pulled (not found, access denied, rate limited).
    ImagePull,
    /// The EFS volume could not be mounted.
    EfsMount,
    /// An essential container exited right after it started.
    EssentialContainerExited,
    Other,
}

impl FailureClass {
    /// Whether the failure is over a secret or parameter, which the doctor can diagnose.
    pub(crate) fn concerns_secrets(self) -> bool {
        matches!(
            self,
            FailureClass::SecretAccessDenied
                | FailureClass::ParameterAccessDenied
                | FailureClass::KmsDenied
                | FailureClass::SecretNotFound
        )
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FailureClass::SecretAccessDenied => "secret-access-denied",
            FailureClass::ParameterAccessDenied => "parameter-access-denied",
            FailureClass::KmsDenied => "kms-denied",
            FailureClass::SecretNotFound => "secret-not-found",
            FailureClass::JsonKeyNotFound => "json-key-not-found",
            FailureClass::NoNetworkPath => "no-network-path",
            FailureClass::ImagePull => "image-pull",
            FailureClass::EfsMount => "efs-mount",
            FailureClass::EssentialContainerExited => "essential-container-exited",
            FailureClass::Other => "other",
        }
    }

    /// What happened, for the summary.
    fn says(self) -> &'static str {
        match self {
            FailureClass::SecretAccessDenied => {
                "its execution role may not read a Secrets Manager secret"
            }
            FailureClass::ParameterAccessDenied => {
                "its execution role may not read an SSM parameter"
            }
            FailureClass::KmsDenied => "KMS would not decrypt a secret for its execution role",
            FailureClass::SecretNotFound => "a secret or parameter it names does not exist",
            FailureClass::JsonKeyNotFound => "a secret lacks the JSON key its reference names",
            FailureClass::NoNetworkPath => {
                "the ECS agent could not reach Secrets Manager, SSM or the image registry"
            }
            FailureClass::ImagePull => "its image could not be pulled",
            FailureClass::EfsMount => "its EFS volume could not be mounted",
            FailureClass::EssentialContainerExited => "an essential container exited at start",
            FailureClass::Other => "ECS could not start it",
        }
    }

    fn fix(self) -> &'static [&'static str] {
        match self {
            FailureClass::SecretAccessDenied => &[
                "Allow the task's execution role (not the task role) secretsmanager:GetSecretValue on the secret's full ARN (a partial ARN in the policy needs a trailing -?????? or *).",
                "Check the secret's resource policy and any service control policy for a deny.",
            ],
            FailureClass::ParameterAccessDenied => &[
                "Allow the task's execution role ssm:GetParameters on the parameter's ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME).",
            ],
            FailureClass::KmsDenied => &[
                "The secret is encrypted with a customer managed KMS key: allow the execution role kms:Decrypt on that key, in the key policy or in an IAM policy the key policy permits.",
            ],
            FailureClass::SecretNotFound => &[
                "Check that the secret or parameter exists in the account and region the reference names (a parameter in another region needs its full ARN), and that its version stage or id exists.",
            ],
            FailureClass::JsonKeyNotFound => &[
                "Check the secret's JSON: the key after the secret's name in valueFrom (...:KEY::) must be one of its keys, and the secret must be a JSON object.",
            ],
            FailureClass::NoNetworkPath => &[
                "Give the task's subnets a route to the AWS APIs: a NAT gateway, a public IP with an internet gateway (assignPublicIp ENABLED), or VPC endpoints for secretsmanager, ssm, ecr.api, ecr.dkr, logs and the S3 gateway.",
                "Check that the task's security group allows outbound HTTPS (443) to them.",
            ],
            FailureClass::ImagePull => &[
                "Check the image name and tag, and that the execution role may pull it (ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer) or that repositoryCredentials reach the private registry; Docker Hub limits anonymous pulls.",
            ],
            FailureClass::EfsMount => &[
                "Allow NFS (TCP 2049) from the task's security group in the EFS mount targets' security group, in every subnet the task uses.",
                "With IAM authorization, allow the task role elasticfilesystem:ClientMount (and ClientWrite); check the access point and that transitEncryption is ENABLED with it.",
            ],
            FailureClass::EssentialContainerExited => &[
                "Read the container's log for why it exited right away (its exit code is in the evidence): a wrong setting, a database it cannot reach, a missing volume.",
            ],
            FailureClass::Other => {
                &["Read stoppedReason in the evidence; ECS stopped the task before the app ran."]
            }
        }
    }
}

/// A task that failed to start: its class and the words that say so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FailedStart {
    pub class: FailureClass,
    /// `stoppedReason`, or a container's `reason` when the task has none.
    pub reason: String,
    /// Containers' own `reason`s that say more than `reason` (on EC2 the task's reason is often
    /// the generic "Essential container in task exited" and the pull error is the container's).
    pub container_reasons: Vec<(String, String)>,
    /// The essential container that exited, and its exit code.
    pub exited: Option<(String, Option<i64>)>,
}

/// Seconds since the epoch of an RFC 3339 time as ECS writes it (`2026-11-24T03:13:21.4Z`).
fn seconds(time: &str) -> Option<i64> {
    aws_smithy_types::DateTime::from_str(time, aws_smithy_types::date_time::Format::DateTime)
        .ok()
        .map(|time| time.secs())
}

/// Whether the stopped task failed to start, and why. `None` for a task that ran.
/// When the simulator allows every secret the execution role was refused, the alert says so:
/// what denied it is out of the simulator's sight.
pub(crate) fn attach_readable(
    finding: &mut Finding,
    diagnoses: &[crate::doctor::secrets::SecretDiagnosis],
) {
    use crate::doctor::policy_simulation::Permission;
    if diagnoses.is_empty()
        || !diagnoses
            .iter()
            .all(|diagnosis| diagnosis.reference.is_none() && diagnosis.readable == Permission::Yes)
    {
        return;
    }
    let secrets: Vec<&str> = diagnoses
        .iter()
        .map(|diagnosis| diagnosis.secret.as_str())
        .collect();
    finding.evidence.push(format!(
        "diagnosis: IAM's policy simulator allows the execution role to read {}: what denied it is out of its sight (a VPC endpoint policy, a resource control policy), or the policies changed since",
        secrets.join(", ")
    ));
}

/// Puts the doctor's answer for a start that found no network path into its alert: how the
/// task's subnet reaches each AWS API it needs, and for those it cannot, the fix first.
pub(crate) fn attach_api_paths(
    finding: &mut Finding,
    paths: &[(String, crate::doctor::egress::ApiPath)],
    subnet: &str,
) {
    use crate::doctor::egress::ApiPath;
    let mut fixes: Vec<String> = Vec::new();
    let mut blocked_services = Vec::new();
    for (service, path) in paths {
        finding.evidence.push(match path {
            ApiPath::Way(via) => format!("diagnosis: {service}: {via}"),
            ApiPath::Blocked(blocked) => {
                blocked_services.push(service.clone());
                format!(
                    "diagnosis: {service} is not reachable: {}",
                    blocked.describe(subnet, service)
                )
            }
            ApiPath::Undecided(why) => format!("diagnosis: {service}: could not decide: {why}"),
        });
    }
    let ecr_image = paths.iter().any(|(service, _)| service == "ecr.dkr");
    for (_, path) in paths {
        if let ApiPath::Blocked(blocked) = path {
            let fix = blocked.fix(subnet, &blocked_services, ecr_image);
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
    }
    if !blocked_services.is_empty() {
        finding.facts.insert(
            "diagnosis".to_string(),
            format!("no path to {}", blocked_services.join(", ")),
        );
        // The diagnosed fixes replace the general routing advice.
        finding.fix = fixes;
    } else if !paths.is_empty()
        && paths
            .iter()
            .all(|(_, path)| matches!(path, ApiPath::Way(_)))
    {
        finding.fix = vec![
            "A way to each API exists: look at what the doctor does not read: the network ACL of the NAT gateway's subnet, a VPC endpoint's policy, DNS resolution in the VPC (enableDnsSupport), or a transient outage (ECS retries the start).".to_string(),
        ];
    }
}

pub(crate) fn failed_start(stop: &StopFacts) -> Option<FailedStart> {
    let code = stop.stop_code.as_deref().unwrap_or_default();
    // Without startedAt a task never ran; that is a failure only when ECS says so or an
    // essential container is why (EC2 agents report a pull failure that way, older ones with
    // no stopCode at all). A person, a deployment scaling in or a Spot reclaim stopping a
    // pending task is no failure (stopCode UserInitiated, ServiceSchedulerInitiated,
    // SpotInterruption, TerminationNotice: ECS API reference, Task.stopCode).
    let never_ran = code == "TaskFailedToStart"
        || (stop.started_at.is_none() && matches!(code, "" | "EssentialContainerExited"));
    let ran_for = match (&stop.started_at, &stop.stopped_at) {
        (Some(started), Some(stopped)) => Some(seconds(stopped)? - seconds(started)?),
        _ => None,
    };
    let exited_early = code == "EssentialContainerExited"
        && ran_for.is_some_and(|seconds| seconds <= EXITED_AT_START_SECONDS);
    if !never_ran && !exited_early {
        return None;
    }
    let mut container_reasons: Vec<(String, String)> = stop
        .containers
        .iter()
        .filter_map(|container| Some((container.name.clone(), container.reason.clone()?)))
        .filter(|(_, said)| !said.trim().is_empty())
        .collect();
    let reason = match &stop.stopped_reason {
        Some(reason) => reason.clone(),
        None if !container_reasons.is_empty() => container_reasons.remove(0).1,
        None => format!("stopCode {code}"),
    };
    container_reasons.retain(|(_, said)| *said != reason);
    let words = std::iter::once(reason.as_str())
        .chain(container_reasons.iter().map(|(_, said)| said.as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    let exited = stop
        .containers
        .iter()
        .find(|container| container.exit_code.is_some_and(|code| code != 0))
        .map(|container| (container.name.clone(), container.exit_code));
    Some(FailedStart {
        class: classify(&words, exited_early),
        reason,
        container_reasons,
        exited,
    })
}

/// The class of a failure from ECS's words. Which store ECS was reading is told by the agent's
/// own phrases ("unable to retrieve secret from asm", "... secrets from ssm", "unable to
/// retrieve ecr registry auth", EC2's "Fetching secret data from SSM Parameter Store"), never
/// by the "unable to pull secrets or registry auth" every ResourceInitializationError starts
/// with. A reason cut short (consoles end it with "...") is classed by what it still says;
/// one that names no cause is `Other`, quoted, rather than a guess.
pub(crate) fn classify(words: &str, exited_early: bool) -> FailureClass {
    let text = words.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|needle| text.contains(needle));
    let secrets = has(&[
        "from asm",
        "asm fetching",
        "secrets manager",
        "secretsmanager",
    ]);
    let parameters = has(&[
        "from ssm",
        "ssm parameter",
        "parameter store",
        "ssm:getparameter",
        ":parameter/",
    ]);
    let registry = has(&[
        "ecr registry auth",
        "api.ecr",
        ".dkr.ecr",
        "cannotpullcontainer",
        "pull image",
        "pulling image",
        "image manifest",
        "inspect image",
        "ref pull",
        "failed to resolve ref",
        "pull access denied",
        "toomanyrequests",
    ]);
    let network = has(&[
        "i/o timeout",
        "context deadline",
        "request context canceled",
        "requestcanceled",
        "send request failed",
        "connection timed out",
        "dial tcp",
        "no such host",
        "connection refused",
        "network is unreachable",
    ]);
    let denied = has(&[
        "accessdenied",
        "access denied",
        "not authorized",
        "not allowed",
    ]);
    if has(&["efs", "mount.nfs", "nfs4"]) && !secrets && !parameters {
        return FailureClass::EfsMount;
    }
    if secrets && has(&["did not contain json key", "invalid character", "json key"]) {
        return FailureClass::JsonKeyNotFound;
    }
    if (secrets || parameters) && has(&["kms"]) && denied {
        return FailureClass::KmsDenied;
    }
    if (secrets || parameters || registry) && network {
        return FailureClass::NoNetworkPath;
    }
    if parameters && !secrets && denied {
        return FailureClass::ParameterAccessDenied;
    }
    if secrets && denied {
        return FailureClass::SecretAccessDenied;
    }
    if (secrets || parameters)
        && has(&[
            "resourcenotfound",
            "can't find the specified secret",
            "invalid ssm parameters",
            "invalid parameters",
            "parameternotfound",
            "not found",
        ])
    {
        return FailureClass::SecretNotFound;
    }
    if registry {
        return FailureClass::ImagePull;
    }
    // CannotStartContainerError: the container never ran, so it did not "exit at start".
    if !has(&["cannotstartcontainer"])
        && (exited_early || has(&["essential container in task exited"]))
    {
        return FailureClass::EssentialContainerExited;
    }
    FailureClass::Other
}

/// The finding for a task that failed to start. Critical when the failure concerns a
/// profiled app's database secret or the volume of its data directory, high otherwise.
/// `failures` is how many of this service's (or family's) tasks failed the same way lately.
pub(crate) fn finding(
    task: &TaskContext,
    failure: &FailedStart,
    profiles: &Profiles,
    failures: u64,
) -> Finding {
    let concerns = concerns_the_data(task, failure, profiles);
    let severity = if concerns.is_some() {
        Severity::Critical
    } else {
        RULE.severity
    };
    let what = task
        .service_name()
        .map(|service| format!("a task of {service}"))
        .unwrap_or_else(|| {
            format!(
                "task {}",
                crate::model::resource_name(&task.task_arn)
                    .chars()
                    .take(8)
                    .collect::<String>()
            )
        });
    let mut finding = Finding::new(
        RuleId::TaskFailedToStart,
        severity,
        format!("{what} failed to start: {}", failure.class.says()),
    );
    finding.app = concerns.as_ref().map(|(app, _)| app.clone());
    finding.location = task.location();
    finding.evidence = vec![format!(
        "stoppedReason: {}",
        redact::excerpt(&failure.reason, 600)
    )];
    for (container, said) in &failure.container_reasons {
        finding.evidence.push(format!(
            "container {container}: {}",
            redact::excerpt(said, 600)
        ));
    }
    if let Some((container, code)) = &failure.exited {
        finding.evidence.push(format!(
            "container {container} exited{}",
            code.map(|code| format!(" with code {code}"))
                .unwrap_or_default()
        ));
    }
    if let Some((_, why)) = &concerns {
        finding.evidence.push(why.clone());
    }
    if failures > 1 {
        finding.evidence.push(format!(
            "{failures} tasks of this {} failed to start this way lately (a crash loop: ECS keeps replacing them)",
            if task.service_name().is_some() { "service" } else { "task family" }
        ));
    }
    finding.occurrences = failures.max(1);
    finding
        .facts
        .insert("class".to_string(), failure.class.as_str().to_string());
    if let Some(stop) = &task.stop
        && let Some(code) = &stop.stop_code
    {
        finding.facts.insert("stop_code".to_string(), code.clone());
    }
    finding.fix = failure
        .class
        .fix()
        .iter()
        .map(|step| step.to_string())
        .collect();
    finding
}

/// Whether the failure is about a profiled app's database secret or data volume: the app and
/// why, for the alert.
fn concerns_the_data(
    task: &TaskContext,
    failure: &FailedStart,
    profiles: &Profiles,
) -> Option<(String, String)> {
    let definition = task.task_definition.as_ref()?;
    for container in &definition.container_definitions {
        let names: Vec<&str> = container.setting_names().collect();
        let Some(profile) = profiles.recognise(&container.image, &names) else {
            continue;
        };
        let app = AppContainer::new(task, definition, container, profile);
        match failure.class {
            FailureClass::SecretAccessDenied
            | FailureClass::ParameterAccessDenied
            | FailureClass::KmsDenied
            | FailureClass::SecretNotFound
            | FailureClass::JsonKeyNotFound
            | FailureClass::NoNetworkPath => {
                for setting in app.database_settings_set() {
                    let crate::container::SettingSource::Secret(value_from) = setting.source else {
                        continue;
                    };
                    let named =
                        secret_name(value_from).is_some_and(|name| failure.reason.contains(name));
                    if named {
                        return Some((
                            profile.name.clone(),
                            format!(
                                "the secret is {}'s database setting {} ({})",
                                profile.name,
                                setting.name,
                                crate::container::describe_value_from(value_from)
                            ),
                        ));
                    }
                }
            }
            FailureClass::EfsMount => {
                let directory = app.data_directory()?;
                // When ECS names the file system (`fs-...` in the mount error), it must be the
                // one holding the data directory.
                let named = failure
                    .reason
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                    .find(|word| word.starts_with("fs-") && word.len() > 3);
                let on_efs = definition.mounts_of(container).into_iter().any(|mount| {
                    definition
                        .volume(&mount.source_volume)
                        .is_some_and(|volume| {
                            volume.durability() == VolumeDurability::Persistent
                                && crate::container::path_contains(
                                    &mount.container_path,
                                    &directory,
                                )
                                && named.is_none_or(|id| {
                                    volume
                                        .efs_volume_configuration
                                        .as_ref()
                                        .is_none_or(|efs| efs.file_system_id == id)
                                })
                        })
                });
                if on_efs {
                    return Some((
                        profile.name.clone(),
                        format!(
                            "the EFS volume holds {}'s data directory {directory}",
                            profile.name
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

/// The secret's or parameter's name in a `valueFrom`, as a stopped reason quotes it: the
/// ARN without a JSON key part, or the parameter name.
fn secret_name(value_from: &str) -> Option<&str> {
    match crate::inspect::secret_reference::check(value_from).ok()? {
        crate::inspect::secret_reference::SecretReference::SecretsManager { name, .. } => {
            Some(name)
        }
        crate::inspect::secret_reference::SecretReference::SsmParameter { name, .. } => Some(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_from_what_ecs_says() {
        let cases = [
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-1:210987654321:secret:x-Hj7Kq2 from secrets manager: AccessDeniedException: Access to KMS is not allowed status code: 400",
                FailureClass::KmsDenied,
            ),
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf from secrets manager: AccessDeniedException: User: arn:aws:sts::1:assumed-role/exec/x is not authorized to perform: secretsmanager:GetSecretValue",
                FailureClass::SecretAccessDenied,
            ),
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: /api//new-relic-license-key",
                FailureClass::SecretNotFound,
            ),
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf from secrets manager: RequestCanceled: request context canceled caused by: context deadline exceeded",
                FailureClass::NoNetworkPath,
            ),
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: retrieved secret from Secrets Manager did not contain json key password",
                FailureClass::JsonKeyNotFound,
            ),
            (
                "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/nginx:latest2: not found",
                FailureClass::ImagePull,
            ),
            (
                "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: mount.nfs4: Connection timed out",
                FailureClass::EfsMount,
            ),
            (
                "Essential container in task exited",
                FailureClass::EssentialContainerExited,
            ),
            ("Something new", FailureClass::Other),
            // Cut short by a console: "context deadli..." still says no network path, and
            // "secrets" in the generic prefix is no ECR ("s-ecr-ets").
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadli...",
                FailureClass::NoNetworkPath,
            ),
            // SSM, though "retrieve secrets" is in the text.
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::1:assumed-role/exec/x is",
                FailureClass::ParameterAccessDenied,
            ),
            // Names no cause: quoted as other, not guessed.
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to get registry auth from asm: service call has been retried 5 time(s): asm fetching secret from the service for ...",
                FailureClass::Other,
            ),
            (
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post \"https://api.ecr.us-east-1.amazonaws.com/\"",
                FailureClass::NoNetworkPath,
            ),
            (
                "Essential container in task exited CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: OCI runtime create failed: exec: \"/opt/sonarqube/bin/run.sh\": stat /opt/sonarqube/bin/run.sh: no such file or directory",
                FailureClass::Other,
            ),
        ];
        for (words, class) in cases {
            assert_eq!(classify(words, false), class, "{words}");
        }
    }

    #[test]
    fn a_container_reason_that_says_more_is_read_and_shown() {
        // EC2: the task's reason is generic, the pull error is the container's.
        let stop = StopFacts {
            stop_code: Some("EssentialContainerExited".to_string()),
            stopped_reason: Some("Essential container in task exited".to_string()),
            containers: vec![crate::model::StoppedContainer {
                name: "app".to_string(),
                reason: Some("CannotPullContainerError: Error response from daemon: pull access denied for 123456789012.dkr.ecr.us-east-1.amazonaws.com/foo/app, repository does not exist or may require 'docker login'".to_string()),
                exit_code: None,
            }],
            ..Default::default()
        };
        let failure = failed_start(&stop).unwrap();
        assert_eq!(failure.class, FailureClass::ImagePull);
        let task = TaskContext {
            task_arn:
                "arn:aws:ecs:us-east-1:123456789012:task/apps/0123456789abcdef0123456789abcdef"
                    .to_string(),
            stop: Some(stop),
            ..Default::default()
        };
        let finding = finding(&task, &failure, &Profiles::built_in().unwrap(), 1);
        assert_eq!(
            finding.evidence[0],
            "stoppedReason: Essential container in task exited"
        );
        assert!(
            finding.evidence[1].starts_with("container app: CannotPullContainerError"),
            "{:?}",
            finding.evidence
        );
    }

    #[test]
    fn a_task_that_ran_did_not_fail_to_start() {
        let ran = StopFacts {
            stop_code: Some("ServiceSchedulerInitiated".to_string()),
            stopped_reason: Some(
                "Scaling activity initiated by (deployment ecs-svc/1)".to_string(),
            ),
            started_at: Some("2026-11-24T03:00:00Z".to_string()),
            stopped_at: Some("2026-11-24T05:00:00Z".to_string()),
            ..Default::default()
        };
        assert_eq!(failed_start(&ran), None);
        let never = StopFacts {
            stop_code: Some("TaskFailedToStart".to_string()),
            stopped_reason: Some("CannotPullContainerError: pull access denied".to_string()),
            ..ran.clone()
        };
        assert_eq!(failed_start(&never).unwrap().class, FailureClass::ImagePull);
        let crashed_at_once = StopFacts {
            stop_code: Some("EssentialContainerExited".to_string()),
            stopped_reason: Some("Essential container in task exited".to_string()),
            started_at: Some("2026-11-24T03:00:00Z".to_string()),
            stopped_at: Some("2026-11-24T03:00:20.5Z".to_string()),
            ..Default::default()
        };
        assert_eq!(
            failed_start(&crashed_at_once).unwrap().class,
            FailureClass::EssentialContainerExited
        );
        // Stopped on purpose while pending: never ran, but did not fail.
        for code in [
            "UserInitiated",
            "ServiceSchedulerInitiated",
            "SpotInterruption",
            "TerminationNotice",
        ] {
            let stopped = StopFacts {
                stop_code: Some(code.to_string()),
                stopped_reason: Some("Task stopped by user".to_string()),
                ..Default::default()
            };
            assert_eq!(failed_start(&stopped), None, "{code}");
        }
        // EC2: the pull failure is an essential container's, and the task never started.
        let pull_failed = StopFacts {
            stop_code: Some("EssentialContainerExited".to_string()),
            stopped_reason: Some("Essential container in task exited".to_string()),
            ..Default::default()
        };
        assert!(failed_start(&pull_failed).is_some());
        let crashed_later = StopFacts {
            stopped_at: Some("2026-11-24T04:00:00Z".to_string()),
            ..crashed_at_once
        };
        assert_eq!(failed_start(&crashed_later), None);
    }
}
