//! Checks a container secret's `valueFrom` the way ECS reads it, and reports only what ECS
//! rejects or what can never resolve.
//!
//! The grammar, from the ECS container agent (aws/amazon-ecs-agent v1.105.0,
//! `agent/taskresource/asmsecret/asmsecret.go` `getASMParametersFromInput`, and
//! `agent/taskresource/ssmsecret/ssmsecret.go`) and the ECS API reference (`Secret`):
//!
//! - A Secrets Manager reference is an ARN, `arn:PARTITION:secretsmanager:REGION:ACCOUNT:RESOURCE`,
//!   parsed with the SDK's `arn.Parse` (6 sections; partition, region and account are not
//!   checked). `RESOURCE` split on `:` has 2 fields (`secret:NAME`, the whole secret) or 5
//!   (`secret:NAME:JSON_KEY:VERSION_STAGE:VERSION_ID`, empty ones as bare colons); any other
//!   count stops the task: "an invalid ARN format for the AWS Secrets Manager secret was
//!   specified". The name's characters are never checked (RDS names its managed secrets
//!   `rds!db-<uuid>`), and a partial ARN (no `-AbCdEf` suffix) is passed on to Secrets
//!   Manager, which accepts it.
//! - Anything else is an SSM parameter, sent verbatim to `ssm:GetParameters`: a name in the
//!   task's region, or `arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME` in any region ("If
//!   the parameter exists in a different Region, then the full ARN must be specified", API
//!   reference `Secret.valueFrom`). Registration refuses a name with characters other than
//!   `a-zA-Z0-9_.-` and `/` ("The Systems Manager parameter name specified for secret X is
//!   invalid", which a `name:version` selector also gets); SSM refuses a hierarchical name
//!   without its leading `/` and an empty path segment (`/api//key`).
//!
//! Never reported: another region than the task's, another partition, a partial ARN, an empty
//! JSON key with a version stage (`::AWSCURRENT:`), a version stage and id together.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SecretReferenceProblem {
    Empty,
    /// `arn:` but fewer than the 6 sections `arn.Parse` needs.
    NotAnArn,
    /// An ARN of another service: ECS sends it to SSM, which has no such parameter.
    UnsupportedService {
        service: String,
    },
    /// A Secrets Manager ARN whose resource has other than 2 or 5 `:`-fields; `meant` is the
    /// ending it most likely meant (`...:password` -> `...:password::`).
    WrongNumberOfParts {
        parts: usize,
        meant: Option<String>,
    },
    /// The resource does not begin with `secret:`.
    NotASecretArn,
    MissingRegion,
    BadAccount {
        account: String,
    },
    /// An empty name, or one with whitespace.
    BadName {
        name: String,
    },
    /// An SSM parameter name with characters registration refuses.
    BadParameterName {
        name: String,
    },
    /// A hierarchical SSM parameter name without its leading `/`, or with an empty segment.
    BadParameterPath {
        name: String,
    },
}

impl fmt::Display for SecretReferenceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SecretReferenceProblem::*;
        match self {
            Empty => f.write_str("valueFrom is empty"),
            NotAnArn => f.write_str(
                "it starts with arn: but has fewer than the 6 colon-separated sections of an ARN",
            ),
            UnsupportedService { service } => write!(
                f,
                "the ARN is for {service:?}, not Secrets Manager (secretsmanager) or SSM Parameter Store (ssm)"
            ),
            WrongNumberOfParts { parts, meant } => {
                write!(
                    f,
                    "it has {parts} colon-separated parts; ECS takes 7 (the whole secret) or 10 \
                     (...:JSON_KEY:VERSION_STAGE:VERSION_ID, empty ones left empty) and otherwise stops \
                     the task"
                )?;
                match meant {
                    Some(meant) => write!(f, "; write ...{meant}"),
                    None => Ok(()),
                }
            }
            NotASecretArn => f.write_str("the ARN's resource does not begin with secret:"),
            MissingRegion => f.write_str("the ARN has no region"),
            BadAccount { account } => {
                write!(f, "the account {account:?} is not a 12-digit account id")
            }
            BadName { name } => write!(f, "{name:?} is not a secret name"),
            BadParameterName { name } => write!(
                f,
                "{name:?} is not an SSM parameter name ECS accepts: letters, digits and _ . - / only \
                 (a :version or :label selector is refused too)"
            ),
            BadParameterPath { name } => write!(
                f,
                "{name:?} is not an SSM parameter path: a name with / must begin with / and have no empty segment"
            ),
        }
    }
}

/// What a well-formed reference points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SecretReference<'a> {
    SecretsManager {
        region: &'a str,
        account: &'a str,
        /// `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME`: what `DescribeSecret`
        /// and the execution role's policy see.
        secret_id: &'a str,
        name: &'a str,
        json_key: Option<&'a str>,
        version_stage: Option<&'a str>,
        version_id: Option<&'a str>,
    },
    SsmParameter {
        /// `None` for a bare name: the task's own region.
        region: Option<&'a str>,
        name: &'a str,
    },
}

/// Checks `value_from` as ECS resolves it.
pub(crate) fn check(value_from: &str) -> Result<SecretReference<'_>, Vec<SecretReferenceProblem>> {
    use SecretReferenceProblem::*;
    let value = value_from.trim();
    if value.is_empty() {
        return Err(vec![Empty]);
    }
    let Some(rest) = value.strip_prefix("arn:") else {
        return check_parameter_name(value)
            .map(|name| SecretReference::SsmParameter { region: None, name });
    };
    // arn.Parse: SplitN(":", 6) after the prefix check.
    let sections: Vec<&str> = rest.splitn(5, ':').collect();
    let [_partition, service, region, account, resource] = sections[..] else {
        return Err(vec![NotAnArn]);
    };
    let mut problems = Vec::new();
    if region.is_empty() {
        problems.push(MissingRegion);
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        problems.push(BadAccount {
            account: crate::redact::truncate_chars(account, 40),
        });
    }
    match service {
        "secretsmanager" => {
            let fields: Vec<&str> = resource.split(':').collect();
            if fields.len() != 2 && fields.len() != 5 {
                // One or two of the three trailing parts written: the colons of the rest are
                // missing (`...:password` for `...:password::`).
                let meant = match &fields[2.min(fields.len())..] {
                    [key] => Some(format!(":{key}::")),
                    [key, stage] => Some(format!(":{key}:{stage}:")),
                    _ => None,
                };
                problems.push(WrongNumberOfParts {
                    parts: fields.len() + 5,
                    meant,
                });
            }
            if fields[0] != "secret" {
                problems.push(NotASecretArn);
            }
            let name = fields.get(1).copied().unwrap_or_default();
            if name.is_empty() || name.contains(char::is_whitespace) {
                problems.push(BadName {
                    name: crate::redact::truncate_chars(name, 80),
                });
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            let field = |index: usize| fields.get(index).copied().filter(|part| !part.is_empty());
            // The secret itself: the ARN up to its name, without the key, stage and id.
            let secret_id_length = value.len() - resource.len() + "secret:".len() + name.len();
            Ok(SecretReference::SecretsManager {
                region,
                account,
                secret_id: &value[..secret_id_length],
                name,
                json_key: field(2),
                version_stage: field(3),
                version_id: field(4),
            })
        }
        "ssm" => {
            match resource.strip_prefix("parameter") {
                // `parameter/a/b` is `/a/b`, `parameter/flat` is `flat`.
                Some(path) if path.starts_with('/') && path.len() > 1 => {
                    let name = if path[1..].contains('/') {
                        path
                    } else {
                        &path[1..]
                    };
                    if let Err(mut more) = check_parameter_name(name) {
                        problems.append(&mut more);
                    }
                }
                _ => problems.push(BadParameterName {
                    name: crate::redact::truncate_chars(resource, 80),
                }),
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            let name = resource.strip_prefix("parameter").unwrap_or(resource);
            Ok(SecretReference::SsmParameter {
                region: Some(region),
                name,
            })
        }
        other => Err(vec![UnsupportedService {
            service: crate::redact::truncate_chars(other, 40),
        }]),
    }
}

/// An SSM parameter name as registration and SSM accept it.
fn check_parameter_name(name: &str) -> Result<&str, Vec<SecretReferenceProblem>> {
    let allowed = name.len() <= 2048
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'));
    if !allowed {
        return Err(vec![SecretReferenceProblem::BadParameterName {
            name: crate::redact::truncate_chars(&crate::redact::redact_text(name), 80),
        }]);
    }
    if name.contains('/') && (!name.starts_with('/') || name[1..].split('/').any(str::is_empty)) {
        return Err(vec![SecretReferenceProblem::BadParameterPath {
            name: name.to_string(),
        }]);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::SecretReferenceProblem::*;
    use super::*;

    #[test]
    fn references_ecs_resolves() {
        for value in [
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7",
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:url::",
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7::AWSCURRENT:",
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:::9d4cb84b-0000",
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:db-AbCdEf:username:AWSPREVIOUS:",
            // RDS-managed master user secrets (manage_master_user_password).
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-3f6c2b1e-8d4a-4c7e-9b1f-2a5d7e9c0b13-Zx8Kp2:password::",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-033d7456-2c96-450d-9d48-f5de3025e51c-xmJRDx",
            // A partial ARN (no -AbCdEf suffix), with or without a JSON key: Secrets Manager takes it.
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url",
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url:url::",
            // Another region or partition than the task's.
            "arn:aws:secretsmanager:eu-west-1:132880019009:secret:db-AbCdEf",
            "arn:aws-cn:secretsmanager:cn-north-1:132880019009:secret:db-AbCdEf",
            "arn:aws:ssm:us-west-2:123456789012:parameter/platform/coder/pg-connection-url",
            "arn:aws:ssm:us-east-1:132880019009:parameter/coder/db-url",
            "arn:aws:ssm:us-east-1:132880019009:parameter/flat-name",
            "coder-db-url",
            "/coder/db-url",
            "/aws/reference/secretsmanager/coder-db-url",
            "/epub/keycloak/db-password",
        ] {
            assert!(check(value).is_ok(), "{value}: {:?}", check(value));
        }
        assert_eq!(
            check("arn:aws:secretsmanager:us-east-1:132880019009:secret:db-AbCdEf:url::"),
            Ok(SecretReference::SecretsManager {
                region: "us-east-1",
                account: "132880019009",
                secret_id: "arn:aws:secretsmanager:us-east-1:132880019009:secret:db-AbCdEf",
                name: "db-AbCdEf",
                json_key: Some("url"),
                version_stage: None,
                version_id: None,
            })
        );
        assert_eq!(
            check(" arn:aws:secretsmanager:us-east-1:132880019009:secret:db-AbCdEf::AWSPREVIOUS:"),
            Ok(SecretReference::SecretsManager {
                region: "us-east-1",
                account: "132880019009",
                secret_id: "arn:aws:secretsmanager:us-east-1:132880019009:secret:db-AbCdEf",
                name: "db-AbCdEf",
                json_key: None,
                version_stage: Some("AWSPREVIOUS"),
                version_id: None,
            })
        );
        assert_eq!(
            check("arn:aws:ssm:us-west-2:123456789012:parameter/a/b"),
            Ok(SecretReference::SsmParameter {
                region: Some("us-west-2"),
                name: "/a/b"
            })
        );
    }

    #[test]
    fn secrets_manager_references_have_seven_or_ten_parts() {
        let base = "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7";
        for (suffix, parts, meant) in [
            (":url", 8, Some(":url::")),
            (":url:", 9, Some(":url::")),
            (":url:AWSCURRENT", 9, Some(":url:AWSCURRENT:")),
            (":url:::", 11, None),
        ] {
            assert_eq!(
                check(&format!("{base}{suffix}")),
                Err(vec![WrongNumberOfParts {
                    parts,
                    meant: meant.map(str::to_string)
                }]),
                "{suffix}"
            );
        }
        assert_eq!(
            check(&format!("{base}:password")).unwrap_err()[0].to_string(),
            "it has 8 colon-separated parts; ECS takes 7 (the whole secret) or 10 \
             (...:JSON_KEY:VERSION_STAGE:VERSION_ID, empty ones left empty) and otherwise stops the \
             task; write ...:password::"
        );
        // `secret/name` (6 parts) is not the secret resource form either.
        assert_eq!(
            check("arn:aws:secretsmanager:us-east-1:132880019009:secret/db"),
            Err(vec![
                WrongNumberOfParts {
                    parts: 6,
                    meant: None
                },
                NotASecretArn,
                BadName {
                    name: String::new()
                }
            ])
        );
    }

    #[test]
    fn what_can_never_resolve() {
        assert_eq!(
            check("arn:aws:secretsmanager:us-east-1:account:secret:db-AbCdEf"),
            Err(vec![BadAccount {
                account: "account".to_string()
            }])
        );
        assert_eq!(
            check("arn:aws:s3:::bucket/key"),
            Err(vec![UnsupportedService {
                service: "s3".to_string()
            }])
        );
        assert_eq!(
            check("arn:aws:s3:us-east-1:132880019009:bucket"),
            Err(vec![UnsupportedService {
                service: "s3".to_string()
            }])
        );
        // The seed's shorthand "arn:secret-id:key::".
        assert_eq!(check("arn:secret-id:key::"), Err(vec![NotAnArn]));
        assert_eq!(check(""), Err(vec![Empty]));
        assert!(matches!(
            check("secret name with spaces").unwrap_err()[0],
            BadParameterName { .. }
        ));
        // A version selector is refused at registration; relative and empty paths by SSM.
        assert!(matches!(
            check("/hello-world/config.json:2").unwrap_err()[0],
            BadParameterName { .. }
        ));
        assert!(matches!(
            check("coder/db-url").unwrap_err()[0],
            BadParameterPath { .. }
        ));
        assert!(matches!(
            check("arn:aws:ssm:us-east-1:132880019009:parameter/api//key").unwrap_err()[0],
            BadParameterPath { .. }
        ));
        assert!(check("arn:aws:ssm:us-east-1:132880019009:parameter").is_err());
    }
}
