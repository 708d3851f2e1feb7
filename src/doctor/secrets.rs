//! The doctor's secret checks (issue 16): does the secret a task's `valueFrom` names exist
//! with the version it names (`secretsmanager:DescribeSecret`, no value read), and may the
//! task's execution role read it (`iam:SimulatePrincipalPolicy` on the secret's ARN, with the
//! secret's resource policy weighed beside it, and `kms:Decrypt` on its customer managed key).
//!
//! What ECS does, from the ECS container agent (aws/amazon-ecs-agent,
//! `agent/taskresource/asmsecret/asmsecret.go`): with the execution role's credentials it calls
//! `GetSecretValue` with `SecretId` = the ARN up to the name and the reference's
//! `VersionStage` or `VersionId`; Secrets Manager decrypts with the secret's KMS key through
//! `kms:ViaService` = `secretsmanager.REGION.amazonaws.com`. So the role needs
//! `secretsmanager:GetSecretValue` on the secret and, for a customer managed key,
//! `kms:Decrypt` on the key (AWS docs: "Required IAM permissions for Amazon ECS secrets").
//!
//! A verdict is only given for what was evaluated: another account's secret (its resource
//! policy decides with the role's), a key whose key policy was not read, context keys the
//! simulator asked for and we could not give, are "could not decide", with the reason.

use super::key_policy::{Caller, KeyFacts};
use super::policy_simulation::{
    Decision, Permission, PolicySimulator, SimulationRequest, ask, simulated,
};
use crate::inspect::secret_reference::{self, SecretReference};
use crate::model::ReadError;
use crate::model::arn::arn_field;
use std::collections::BTreeMap;
use std::future::Future;

/// What `secretsmanager:DescribeSecret` says of a secret; no value is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretMetadata {
    /// The full ARN, with its `-AbCdEf` suffix.
    pub arn: String,
    pub name: String,
    /// Set when the secret is scheduled for deletion (`DeletedDate`, as AWS wrote it).
    pub deleted_date: Option<String>,
    /// `KmsKeyId`: absent for the AWS managed key `aws/secretsmanager`.
    pub kms_key_id: Option<String>,
    /// `VersionIdsToStages`: each version id with its stages.
    pub versions: BTreeMap<String, Vec<String>>,
}

/// What `ssm:DescribeParameters` says of a parameter; no value is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParameterMetadata {
    pub name: String,
    /// `String`, `StringList` or `SecureString`.
    pub kind: String,
    /// A `SecureString`'s key (`alias/aws/ssm` for the AWS managed one).
    pub key_id: Option<String>,
}

/// The read-only calls the secret checks make, owned here and implemented for AWS in
/// `aws/secretsmanager.rs` and `aws/iam.rs`.
pub trait SecretReads: PolicySimulator {
    /// `secretsmanager:DescribeSecret`; `None`: no such secret.
    fn describe_secret(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<Option<SecretMetadata>, ReadError>> + Send;
    /// `ssm:DescribeParameters` for one name in the reader's region; `None`: no such
    /// parameter.
    fn describe_parameter(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ParameterMetadata>, ReadError>> + Send;
    /// `secretsmanager:GetResourcePolicy`; `None`: the secret has none.
    fn secret_policy(
        &self,
        secret_arn: &str,
    ) -> impl Future<Output = Result<Option<String>, ReadError>> + Send;
    /// `kms:DescribeKey`, and for a customer managed key `kms:GetKeyPolicy` and
    /// `kms:ListGrants`.
    fn key(&self, key_id: &str) -> impl Future<Output = Result<KeyFacts, ReadError>> + Send;
}

/// What is wrong with the secret a reference names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceProblem {
    NotFound,
    ScheduledForDeletion {
        deleted_date: String,
    },
    NoSuchStage {
        stage: String,
    },
    NoSuchVersion {
        version_id: String,
    },
    /// The value (read when allowed) has no such JSON key, or is not a JSON object.
    NoSuchJsonKey {
        key: String,
    },
    /// A partial ARN whose name ends in a hyphen and six characters: Secrets Manager takes it
    /// for a complete ARN and finds nothing, while the secret of that name exists.
    PartialArnReadAsComplete {
        /// The full ARN of the secret the reference names.
        secret_arn: String,
    },
}

/// A problem found in a secret's value, read only when allowed (`--read-secrets`,
/// `READ_SECRET_VALUES`): ECS would fail the same way when it injects it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueProblem {
    pub container: String,
    pub setting: String,
    /// The secret as the alert names it: its ARN up to the name.
    pub secret: String,
    pub problem: ReferenceProblem,
}

impl ReferenceProblem {
    pub fn describe(&self, secret: &str) -> String {
        match self {
            ReferenceProblem::NotFound => format!("secret {secret} does not exist"),
            ReferenceProblem::ScheduledForDeletion { deleted_date } => {
                format!("secret {secret} is scheduled for deletion ({deleted_date})")
            }
            ReferenceProblem::NoSuchStage { stage } => {
                format!("secret {secret} has no version labelled {stage}")
            }
            ReferenceProblem::NoSuchVersion { version_id } => {
                format!("secret {secret} has no version {version_id}")
            }
            ReferenceProblem::PartialArnReadAsComplete { secret_arn } => format!(
                "{secret} is a partial ARN whose name ends in a hyphen and six characters, so Secrets Manager reads it as a complete ARN and finds no secret, though {secret_arn} has that name"
            ),
            ReferenceProblem::NoSuchJsonKey { key } => format!(
                "secret {secret} holds no JSON key {key} (its value is not a JSON object with that key), so ECS cannot inject it"
            ),
        }
    }
}

/// The doctor's answer for one secret reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretDiagnosis {
    /// The container and the variable the secret is injected as.
    pub container: String,
    pub setting: String,
    /// The secret as the alert names it: its ARN up to the name.
    pub secret: String,
    /// `None`: the reference resolves, or was not checked (`reference_checked`).
    pub reference: Option<ReferenceProblem>,
    /// Whether `DescribeSecret` was asked (not for an SSM parameter or another account's
    /// secret).
    pub reference_checked: bool,
    pub readable: Permission,
    /// When the read itself is denied, and `kms:Decrypt` on the customer managed key is denied
    /// too: that verdict, so that both fixes are given at once, not one per deployment.
    pub decrypt_denied: Option<Permission>,
    /// The customer managed key whose `kms:Decrypt` was weighed (`None`: an AWS managed key,
    /// or the read was not decided far enough to ask).
    pub key: Option<String>,
}

impl SecretDiagnosis {
    /// Nothing decided yet for `secret` (as the alert names it), injected into `container` as
    /// `setting`.
    fn new(container: &str, setting: &str, secret: String) -> Self {
        SecretDiagnosis {
            container: container.to_string(),
            setting: setting.to_string(),
            secret,
            reference: None,
            reference_checked: false,
            readable: Permission::Undecided(String::new()),
            decrypt_denied: None,
            key: None,
        }
    }
}

/// Whether `metadata` (or its absence) has what `reference` names.
pub fn reference_problem(
    metadata: Option<&SecretMetadata>,
    version_stage: Option<&str>,
    version_id: Option<&str>,
) -> Option<ReferenceProblem> {
    let Some(metadata) = metadata else {
        return Some(ReferenceProblem::NotFound);
    };
    if let Some(deleted_date) = &metadata.deleted_date {
        return Some(ReferenceProblem::ScheduledForDeletion {
            deleted_date: deleted_date.clone(),
        });
    }
    if let Some(version_id) = version_id
        && !metadata.versions.contains_key(version_id)
    {
        return Some(ReferenceProblem::NoSuchVersion {
            version_id: version_id.to_string(),
        });
    }
    // ECS asks for AWSCURRENT when the reference names neither.
    let stage = version_stage.unwrap_or("AWSCURRENT");
    let labelled = metadata
        .versions
        .values()
        .any(|stages| stages.iter().any(|label| label == stage));
    if version_id.is_none() && !labelled && !metadata.versions.is_empty() {
        return Some(ReferenceProblem::NoSuchStage {
            stage: stage.to_string(),
        });
    }
    None
}

/// The simulator cannot weigh a resource policy for a role (IAM API reference,
/// `SimulatePrincipalPolicy`: `CallerArn`, which a `ResourcePolicy` needs, must be an IAM
/// user), so the secret's own policy is weighed here, conservatively: a Deny statement in it
/// may deny what the role's policies allow, an Allow statement may grant what they do not
/// (within one account a resource policy naming the role suffices). Either leaves the verdict
/// undecided rather than guessed; an explicit deny in the role's policies stands.
pub fn weighed_with_resource_policy(
    verdict: Permission,
    resource_policy: Option<&str>,
) -> Permission {
    let Some(policy) = resource_policy else {
        return verdict;
    };
    let effects: Vec<String> = serde_json::from_str::<serde_json::Value>(policy)
        .ok()
        .and_then(|policy| {
            let statements = match &policy["Statement"] {
                serde_json::Value::Array(list) => list.clone(),
                single @ serde_json::Value::Object(_) => vec![single.clone()],
                _ => return None,
            };
            Some(
                statements
                    .iter()
                    .filter_map(|statement| statement["Effect"].as_str().map(str::to_string))
                    .collect(),
            )
        })
        .unwrap_or_else(|| vec!["Allow".to_string(), "Deny".to_string()]);
    let has = |effect: &str| effects.iter().any(|found| found == effect);
    match verdict {
        Permission::Yes if has("Deny") => Permission::Undecided(
            "the role's policies allow it, but the secret's resource policy has a Deny statement, which the policy simulator cannot weigh for a role".to_string(),
        ),
        Permission::No { ref deciding, .. } if has("Allow") && !deciding.contains(" denies it") => {
            Permission::Undecided(
                "no statement in the role's policies allows it, but the secret's resource policy has an Allow statement that may, which the policy simulator cannot weigh for a role".to_string(),
            )
        }
        verdict => verdict,
    }
}

/// Whether `role` may decrypt with customer managed `key` through `service` (`kms:ViaService`
/// = `SERVICE.REGION.amazonaws.com`, as the service's call on ECS's behalf carries it): the
/// role's IAM policies simulated on the key's ARN, weighed with the key's policy and grants
/// ([`super::key_policy`]). A key whose policy cannot be read leaves an allow, or an implicit
/// deny (the key policy may name the role), undecided.
async fn decrypt(
    reads: &impl SecretReads,
    role: &str,
    key: &str,
    service: &str,
    region: &str,
) -> Result<Permission, ReadError> {
    let facts = reads.key(key).await;
    let via_service = format!("{service}.{region}.amazonaws.com");
    let answer = ask(
        reads,
        SimulationRequest {
            principal: role.to_string(),
            action: "kms:Decrypt",
            resource: facts
                .as_ref()
                .map_or_else(|_| key.to_string(), |facts| facts.arn.clone()),
            context: vec![
                ("kms:ViaService", via_service.clone()),
                ("aws:RequestedRegion", region.to_string()),
            ],
        },
    )
    .await?;
    let facts = match facts {
        Ok(facts) => facts,
        Err(error) => {
            return Ok(match answer.decision {
                Decision::ExplicitDeny => simulated(&answer, role),
                _ => Permission::Undecided(format!(
                    "the key policy of {key} decides with the role's policies, and it could not be read ({error})"
                )),
            });
        }
    };
    Ok(super::key_policy::weigh(
        &answer,
        &facts,
        Caller {
            role,
            account: arn_field(role, 4).unwrap_or_default(),
            via_service: &via_service,
        },
    ))
}

/// The secret name of a partial ARN that Secrets Manager reads as a complete one: a name
/// ending in a hyphen and six characters "cause Secrets Manager to assume that you're
/// specifying a complete ARN" (Secrets Manager API reference, `SecretId`), so
/// `arn:...:secret:coder-prod01` looks for secret `coder` with suffix `prod01`, not for secret
/// `coder-prod01`. `None` for a plain name or an ARN whose name does not end so.
fn name_read_as_suffixed(secret_id: &str) -> Option<&str> {
    let name = secret_id.strip_prefix("arn:")?.split_once(":secret:")?.1;
    let (_, suffix) = name.rsplit_once('-')?;
    (suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric())).then_some(name)
}

/// Weighs `kms:Decrypt` on a customer managed `key` into the diagnosis: after an allowed read
/// it is the verdict; beside a denied read, a denied decrypt is kept too (`decrypt_denied`).
async fn with_decrypt(
    reads: &impl SecretReads,
    diagnosis: &mut SecretDiagnosis,
    role: &str,
    key: Option<&str>,
    service: &str,
    region: &str,
) -> Result<(), ReadError> {
    let Some(key) = key else {
        return Ok(());
    };
    if !matches!(diagnosis.readable, Permission::Undecided(_)) {
        diagnosis.key = Some(key.to_string());
    }
    match diagnosis.readable {
        Permission::Yes => diagnosis.readable = decrypt(reads, role, key, service, region).await?,
        Permission::No { .. } => {
            let verdict = decrypt(reads, role, key, service, region).await?;
            if matches!(verdict, Permission::No { .. }) {
                diagnosis.decrypt_denied = Some(verdict);
            }
        }
        Permission::Undecided(_) => {}
    }
    Ok(())
}

/// Diagnoses one `valueFrom` for the task's execution role. SSM parameters are "could not
/// decide" for now (their reads are not implemented); a malformed reference is left to
/// `secret-reference-malformed`.
pub async fn diagnose(
    reads: &impl SecretReads,
    execution_role: Option<&str>,
    region: &str,
    container: &str,
    setting: &str,
    value_from: &str,
) -> Result<Option<SecretDiagnosis>, ReadError> {
    let Ok(reference) = secret_reference::check(value_from) else {
        return Ok(None);
    };
    let (region, account, secret_id, version_stage, version_id) = match reference {
        SecretReference::SecretsManager {
            region,
            account,
            secret_id,
            version_stage,
            version_id,
            ..
        } => (region, account, secret_id, version_stage, version_id),
        SecretReference::SsmParameter {
            region: named_region,
            name,
        } => {
            return diagnose_parameter(
                reads,
                execution_role,
                named_region.unwrap_or(region),
                region,
                container,
                setting,
                value_from,
                name,
            )
            .await
            .map(Some);
        }
    };
    let mut diagnosis = SecretDiagnosis::new(container, setting, secret_id.to_string());
    let Some(role) = execution_role else {
        diagnosis.readable = Permission::No {
            action: "secretsmanager:GetSecretValue".to_string(),
            resource: secret_id.to_string(),
            deciding: "the task definition has no execution role, which ECS needs to read secrets"
                .to_string(),
        };
        return Ok(Some(diagnosis));
    };
    if arn_field(role, 4) != Some(account) {
        diagnosis.readable = Permission::Undecided(format!(
            "the secret is in account {account}, the execution role in another: the secret's resource policy and its key's policy decide there, where the doctor does not read"
        ));
        return Ok(Some(diagnosis));
    }
    let metadata = reads.describe_secret(secret_id).await?;
    diagnosis.reference_checked = true;
    diagnosis.reference = reference_problem(metadata.as_ref(), version_stage, version_id);
    let Some(metadata) = metadata else {
        // A partial ARN whose name ends like a suffix is read as a complete ARN: the secret
        // the user meant may exist under that name.
        if let Some(name) = name_read_as_suffixed(secret_id)
            && let Some(named) = reads.describe_secret(name).await?
        {
            diagnosis.reference = Some(ReferenceProblem::PartialArnReadAsComplete {
                secret_arn: named.arn,
            });
        }
        diagnosis.readable = Permission::Undecided("the secret does not exist".to_string());
        return Ok(Some(diagnosis));
    };
    let resource_policy = reads.secret_policy(&metadata.arn).await?;
    let mut context = vec![
        ("aws:RequestedRegion", region.to_string()),
        ("secretsmanager:SecretId", metadata.arn.clone()),
    ];
    if version_id.is_none() {
        context.push((
            "secretsmanager:VersionStage",
            version_stage.unwrap_or("AWSCURRENT").to_string(),
        ));
    }
    let read = ask(
        reads,
        SimulationRequest {
            principal: role.to_string(),
            action: "secretsmanager:GetSecretValue",
            resource: metadata.arn.clone(),
            context,
        },
    )
    .await?;
    diagnosis.readable =
        weighed_with_resource_policy(simulated(&read, role), resource_policy.as_deref());
    // A customer managed key: the role needs kms:Decrypt through Secrets Manager too.
    let key = metadata
        .kms_key_id
        .as_deref()
        .filter(|key| !key.ends_with("alias/aws/secretsmanager"));
    with_decrypt(reads, &mut diagnosis, role, key, "secretsmanager", region).await?;
    Ok(Some(diagnosis))
}

/// The SSM side of [`diagnose`]: does the parameter exist (`DescribeParameters`, in the
/// reader's region only), may the execution role `ssm:GetParameters` it, and `kms:Decrypt` a
/// `SecureString`'s customer managed key (ECS's call: Amazon ECS Developer Guide, "Pass
/// Systems Manager parameters as environment variables").
#[allow(clippy::too_many_arguments)]
async fn diagnose_parameter(
    reads: &impl SecretReads,
    execution_role: Option<&str>,
    region: &str,
    reader_region: &str,
    container: &str,
    setting: &str,
    value_from: &str,
    name: &str,
) -> Result<SecretDiagnosis, ReadError> {
    let mut diagnosis =
        SecretDiagnosis::new(container, setting, format!("SSM parameter {value_from}"));
    let Some(role) = execution_role else {
        diagnosis.readable = Permission::No {
            action: "ssm:GetParameters".to_string(),
            resource: value_from.to_string(),
            deciding:
                "the task definition has no execution role, which ECS needs to read parameters"
                    .to_string(),
        };
        return Ok(diagnosis);
    };
    let Some(account) = arn_field(role, 4) else {
        diagnosis.readable = Permission::Undecided(format!("{role} is not a role ARN"));
        return Ok(diagnosis);
    };
    let parameter_arn = if value_from.starts_with("arn:") {
        value_from.to_string()
    } else {
        let partition = arn_field(role, 1).unwrap_or("aws");
        format!(
            "arn:{partition}:ssm:{region}:{account}:parameter/{}",
            name.trim_start_matches('/')
        )
    };
    if region != reader_region || arn_field(&parameter_arn, 4) != Some(account) {
        diagnosis.readable = Permission::Undecided(format!(
            "the parameter is in {} (another region or account than the doctor reads)",
            parameter_arn
        ));
        return Ok(diagnosis);
    }
    let metadata = reads.describe_parameter(name).await?;
    diagnosis.reference_checked = true;
    let Some(metadata) = metadata else {
        diagnosis.reference = Some(ReferenceProblem::NotFound);
        diagnosis.readable = Permission::Undecided("the parameter does not exist".to_string());
        return Ok(diagnosis);
    };
    let read = ask(
        reads,
        SimulationRequest {
            principal: role.to_string(),
            action: "ssm:GetParameters",
            resource: parameter_arn.clone(),
            context: vec![("aws:RequestedRegion", region.to_string())],
        },
    )
    .await?;
    diagnosis.readable = simulated(&read, role);
    let key = metadata
        .key_id
        .as_deref()
        .filter(|key| metadata.kind == "SecureString" && !key.ends_with("alias/aws/ssm"));
    with_decrypt(reads, &mut diagnosis, role, key, "ssm", region).await?;
    Ok(diagnosis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::policy_simulation::{Simulation, Statement};

    fn metadata() -> SecretMetadata {
        SecretMetadata {
            arn: "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7"
                .to_string(),
            name: "coder-postgres-url".to_string(),
            deleted_date: None,
            kms_key_id: None,
            versions: BTreeMap::from([("v1".to_string(), vec!["AWSCURRENT".to_string()])]),
        }
    }

    #[test]
    fn a_reference_resolves_or_says_what_it_lacks() {
        assert_eq!(reference_problem(Some(&metadata()), None, None), None);
        assert_eq!(
            reference_problem(None, None, None),
            Some(ReferenceProblem::NotFound)
        );
        assert_eq!(
            reference_problem(Some(&metadata()), Some("AWSPREVIOUS"), None),
            Some(ReferenceProblem::NoSuchStage {
                stage: "AWSPREVIOUS".to_string()
            })
        );
        assert_eq!(
            reference_problem(Some(&metadata()), None, Some("v2")),
            Some(ReferenceProblem::NoSuchVersion {
                version_id: "v2".to_string()
            })
        );
        assert_eq!(reference_problem(Some(&metadata()), None, Some("v1")), None);
        let deleted = SecretMetadata {
            deleted_date: Some("2026-11-29T10:00:00Z".to_string()),
            ..metadata()
        };
        assert!(matches!(
            reference_problem(Some(&deleted), None, None),
            Some(ReferenceProblem::ScheduledForDeletion { .. })
        ));
    }

    fn simulation(decision: Decision) -> Simulation {
        Simulation {
            action: "secretsmanager:GetSecretValue".to_string(),
            resource: metadata().arn,
            decision,
            matched: Vec::new(),
            missing_context: Vec::new(),
            denied_by_organizations: false,
            denied_by_boundary: false,
        }
    }

    /// A Parameter Store with one SecureString under a customer managed key (whose policy, when
    /// readable, is the console's default: the account's IAM policies decide), and a simulator
    /// with one decision for every question.
    struct Store(Decision, bool);

    impl PolicySimulator for Store {
        async fn simulate(&self, request: &SimulationRequest) -> Result<Simulation, ReadError> {
            Ok(Simulation {
                action: request.action.to_string(),
                resource: request.resource.clone(),
                ..simulation(self.0)
            })
        }
    }

    impl SecretReads for Store {
        async fn describe_secret(&self, _: &str) -> Result<Option<SecretMetadata>, ReadError> {
            Ok(None)
        }
        async fn describe_parameter(
            &self,
            name: &str,
        ) -> Result<Option<ParameterMetadata>, ReadError> {
            Ok((name == "/coder/db-url").then(|| ParameterMetadata {
                name: name.to_string(),
                kind: "SecureString".to_string(),
                key_id: Some("arn:aws:kms:us-east-1:132880019009:key/k-1".to_string()),
            }))
        }
        async fn secret_policy(&self, _: &str) -> Result<Option<String>, ReadError> {
            Ok(None)
        }
        async fn key(&self, key_id: &str) -> Result<KeyFacts, ReadError> {
            if !self.1 {
                return Err(ReadError {
                    operation: "kms:GetKeyPolicy",
                    resource: key_id.to_string(),
                    failure: crate::model::ReadFailure::AccessDenied,
                    message: "not authorized".to_string(),
                });
            }
            Ok(KeyFacts {
                arn: key_id.to_string(),
                aws_managed: false,
                policy: r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::132880019009:root"},"Action":"kms:*","Resource":"*"}]}"#.to_string(),
                grants: Vec::new(),
            })
        }
    }

    #[tokio::test]
    async fn a_parameter_is_looked_up_and_its_read_simulated() {
        let role = Some("arn:aws:iam::132880019009:role/exec");
        let diagnose = |store, value_from: &'static str| async move {
            diagnose(&store, role, "us-east-1", "coder", "URL", value_from)
                .await
                .unwrap()
                .unwrap()
        };
        let missing = diagnose(Store(Decision::Allowed, true), "/coder/nothing").await;
        assert_eq!(missing.reference, Some(ReferenceProblem::NotFound));
        assert_eq!(missing.secret, "SSM parameter /coder/nothing");
        let denied = diagnose(Store(Decision::ImplicitDeny, true), "/coder/db-url").await;
        let Permission::No {
            action, resource, ..
        } = denied.readable
        else {
            panic!("{denied:?}")
        };
        assert_eq!(action, "ssm:GetParameters");
        // The key's decrypt is denied too (IAM decides there, and allows nothing): kept.
        assert!(
            matches!(&denied.decrypt_denied, Some(Permission::No { action, .. }) if action == "kms:Decrypt"),
            "{:?}",
            denied.decrypt_denied
        );
        assert_eq!(
            resource,
            "arn:aws:ssm:us-east-1:132880019009:parameter/coder/db-url"
        );
        // Allowed by the role's policies, and the key's policy lets them decide.
        let allowed = diagnose(Store(Decision::Allowed, true), "/coder/db-url").await;
        assert_eq!(allowed.readable, Permission::Yes);
        // A key policy that cannot be read leaves it undecided.
        let unread = diagnose(Store(Decision::Allowed, false), "/coder/db-url").await;
        assert!(
            matches!(unread.readable, Permission::Undecided(why) if why.contains("key policy")),
        );
        // Another region's parameter: not looked up.
        let elsewhere = diagnose(
            Store(Decision::Allowed, true),
            "arn:aws:ssm:eu-west-1:132880019009:parameter/coder/db-url",
        )
        .await;
        assert!(!elsewhere.reference_checked);
    }

    #[test]
    fn a_resource_policy_the_simulator_cannot_weigh_leaves_the_verdict_undecided() {
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
        let allow = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::132880019009:role/exec"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
        let implicit = Permission::No {
            action: "secretsmanager:GetSecretValue".to_string(),
            resource: "arn".to_string(),
            deciding: "no statement in the policies of r allows it".to_string(),
        };
        let explicit = Permission::No {
            action: "secretsmanager:GetSecretValue".to_string(),
            resource: "arn".to_string(),
            deciding: "the statement at line 4 of policy p denies it".to_string(),
        };
        assert_eq!(
            weighed_with_resource_policy(Permission::Yes, None),
            Permission::Yes
        );
        assert!(matches!(
            weighed_with_resource_policy(Permission::Yes, Some(deny)),
            Permission::Undecided(_)
        ));
        assert_eq!(
            weighed_with_resource_policy(Permission::Yes, Some(allow)),
            Permission::Yes
        );
        assert!(matches!(
            weighed_with_resource_policy(implicit.clone(), Some(allow)),
            Permission::Undecided(_)
        ));
        assert_eq!(
            weighed_with_resource_policy(implicit.clone(), Some(deny)),
            implicit
        );
        assert_eq!(
            weighed_with_resource_policy(explicit.clone(), Some(allow)),
            explicit
        );
        // A policy that cannot be read is weighed as if it had both.
        assert!(matches!(
            weighed_with_resource_policy(Permission::Yes, Some("{")),
            Permission::Undecided(_)
        ));
    }

    #[test]
    fn a_deny_names_what_decided_it() {
        let role = "arn:aws:iam::132880019009:role/coder-ecs-task-execution-role";
        assert_eq!(
            simulated(&simulation(Decision::Allowed), role),
            Permission::Yes
        );
        let Permission::No { deciding, .. } = simulated(&simulation(Decision::ImplicitDeny), role)
        else {
            panic!()
        };
        assert_eq!(
            deciding,
            format!("no statement in the policies of {role} allows it")
        );
        let mut explicit = simulation(Decision::ExplicitDeny);
        explicit.matched.push(Statement {
            policy: "coder-ecs-secrets-policy".to_string(),
            policy_type: "IAM Policy".to_string(),
            line: Some(4),
        });
        let Permission::No { deciding, .. } = simulated(&explicit, role) else {
            panic!()
        };
        assert_eq!(
            deciding,
            "the statement at line 4 of policy coder-ecs-secrets-policy denies it"
        );
        let mut scp = simulation(Decision::ImplicitDeny);
        scp.denied_by_organizations = true;
        assert!(
            matches!(simulated(&scp, role), Permission::No { deciding, .. } if deciding.contains("service control policy"))
        );
        // A deny that hangs on a condition key we did not give is not a verdict.
        let mut missing = simulation(Decision::ImplicitDeny);
        missing.missing_context.push("aws:SourceVpce".to_string());
        assert!(
            matches!(simulated(&missing, role), Permission::Undecided(why) if why.contains("aws:SourceVpce"))
        );
    }

    /// Secrets Manager holding one secret named `coder-prod01`, found by its name or its full
    /// ARN only (as AWS reads a partial ARN that ends like a suffix).
    struct Named;

    const NAMED: &str = "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-prod01-AbCdEf";

    impl PolicySimulator for Named {
        async fn simulate(&self, request: &SimulationRequest) -> Result<Simulation, ReadError> {
            Ok(Simulation {
                action: request.action.to_string(),
                resource: request.resource.clone(),
                ..simulation(Decision::Allowed)
            })
        }
    }

    impl SecretReads for Named {
        async fn describe_secret(&self, id: &str) -> Result<Option<SecretMetadata>, ReadError> {
            Ok(
                (id == "coder-prod01" || id == NAMED).then(|| SecretMetadata {
                    arn: NAMED.to_string(),
                    name: "coder-prod01".to_string(),
                    ..metadata()
                }),
            )
        }
        async fn describe_parameter(
            &self,
            _: &str,
        ) -> Result<Option<ParameterMetadata>, ReadError> {
            Ok(None)
        }
        async fn secret_policy(&self, _: &str) -> Result<Option<String>, ReadError> {
            Ok(None)
        }
        async fn key(&self, key_id: &str) -> Result<KeyFacts, ReadError> {
            Ok(KeyFacts {
                arn: key_id.to_string(),
                aws_managed: true,
                ..KeyFacts::default()
            })
        }
    }

    #[tokio::test]
    async fn a_partial_arn_whose_name_ends_like_a_suffix_is_said_to_be_read_as_complete() {
        let role = Some("arn:aws:iam::132880019009:role/exec");
        let partial = "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-prod01";
        let found = diagnose(&Named, role, "us-east-1", "coder", "URL", partial)
            .await
            .unwrap()
            .unwrap();
        let problem = found.reference.expect("a broken reference");
        assert_eq!(
            problem,
            ReferenceProblem::PartialArnReadAsComplete {
                secret_arn: NAMED.to_string()
            }
        );
        assert_eq!(
            problem.describe(partial),
            format!(
                "{partial} is a partial ARN whose name ends in a hyphen and six characters, so Secrets Manager reads it as a complete ARN and finds no secret, though {NAMED} has that name"
            )
        );
        // The complete ARN resolves; a partial ARN of a name that does not end so is not
        // second-guessed; a plain name is looked up as a name.
        let complete = diagnose(&Named, role, "us-east-1", "coder", "URL", NAMED)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(complete.reference, None);
        assert_eq!(complete.readable, Permission::Yes);
        assert_eq!(name_read_as_suffixed(partial), Some("coder-prod01"));
        assert_eq!(
            name_read_as_suffixed("arn:aws:secretsmanager:us-east-1:1:secret:coder-db"),
            None
        );
        assert_eq!(name_read_as_suffixed("coder-prod01"), None);
    }
}
