//! Checks a container secret's `valueFrom`: a Secrets Manager ARN (optionally with a JSON key,
//! version stage and version id), an SSM parameter ARN, or an SSM parameter name.
//!
//! Formats from the ECS developer guide ("Pass Secrets Manager secrets through environment
//! variables", "specifying sensitive data"):
//! `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf[:JSON_KEY:VERSION_STAGE:VERSION_ID]`
//! (the JSON-key form always has all three trailing parts, empty ones as bare colons) and
//! `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME` or a parameter name.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretReferenceProblem {
    Empty,
    /// `arn:` but not a Secrets Manager or SSM ARN.
    UnsupportedService {
        service: String,
    },
    /// A Secrets Manager ARN with a part count other than 7 (whole secret) or 10 (JSON key form).
    WrongNumberOfParts {
        parts: usize,
    },
    NotASecretArn,
    MissingRegion,
    BadAccount {
        account: String,
    },
    OtherRegion {
        secret_region: String,
        task_region: String,
    },
    /// A JSON key is selected on a name without the 6-character random suffix (partial ARN).
    JsonKeyOnPartialArn {
        name: String,
    },
    BadName {
        name: String,
    },
    /// Not an ARN and not a valid SSM parameter name.
    NotAReference,
}

impl fmt::Display for SecretReferenceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SecretReferenceProblem::*;
        match self {
            Empty => f.write_str("valueFrom is empty"),
            UnsupportedService { service } => write!(
                f,
                "the ARN is for {service:?}, not Secrets Manager (secretsmanager) or SSM Parameter Store (ssm)"
            ),
            WrongNumberOfParts { parts } => write!(
                f,
                "a Secrets Manager reference has 7 colon-separated parts, or 10 when it selects a JSON key \
                 (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf:JSON_KEY:VERSION_STAGE:VERSION_ID, \
                 empty ones as bare colons, e.g. ...:url::); this one has {parts}"
            ),
            NotASecretArn => f.write_str("the ARN's resource type is not \"secret\""),
            MissingRegion => f.write_str("the ARN has no region"),
            BadAccount { account } => {
                write!(f, "the account {account:?} is not a 12-digit account id")
            }
            OtherRegion {
                secret_region,
                task_region,
            } => write!(
                f,
                "the secret is in {secret_region} but the task runs in {task_region}"
            ),
            JsonKeyOnPartialArn { name } => write!(
                f,
                "a JSON key is selected on {name:?}, which lacks the 6-character suffix of a full \
                 secret ARN (NAME-AbCdEf); use the complete ARN from the Secrets Manager console"
            ),
            BadName { name } => write!(f, "{name:?} is not a valid secret or parameter name"),
            NotAReference => f.write_str(
                "valueFrom is neither a Secrets Manager or SSM ARN nor an SSM parameter name",
            ),
        }
    }
}

/// What a well-formed reference points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretReference<'a> {
    SecretsManager {
        region: &'a str,
        name: &'a str,
        json_key: Option<&'a str>,
    },
    SsmParameter {
        region: Option<&'a str>,
        name: &'a str,
    },
}

/// Checks `value_from` for a task running in `task_region` (if known).
pub fn check<'a>(
    value_from: &'a str,
    task_region: Option<&str>,
) -> Result<SecretReference<'a>, Vec<SecretReferenceProblem>> {
    use SecretReferenceProblem::*;
    let value = value_from.trim();
    if value.is_empty() {
        return Err(vec![Empty]);
    }
    if !value.starts_with("arn:") {
        let valid = value.len() <= 2048
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
        return if valid {
            Ok(SecretReference::SsmParameter {
                region: None,
                name: value,
            })
        } else {
            Err(vec![NotAReference])
        };
    }

    let parts: Vec<&str> = value.split(':').collect();
    let service = parts.get(2).copied().unwrap_or_default();
    let mut problems = Vec::new();
    let region = parts.get(3).copied().unwrap_or_default();
    let account = parts.get(4).copied().unwrap_or_default();
    let check_region_and_account = |problems: &mut Vec<SecretReferenceProblem>| {
        if region.is_empty() {
            problems.push(MissingRegion);
        } else if let Some(task_region) = task_region
            && task_region != region
        {
            problems.push(OtherRegion {
                secret_region: region.to_string(),
                task_region: task_region.to_string(),
            });
        }
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            problems.push(BadAccount {
                account: account.to_string(),
            });
        }
    };

    match service {
        "secretsmanager" => {
            if parts.len() != 7 && parts.len() != 10 {
                problems.push(WrongNumberOfParts { parts: parts.len() });
            }
            if parts.len() >= 6 {
                check_region_and_account(&mut problems);
            }
            if parts.get(5).copied() != Some("secret") {
                problems.push(NotASecretArn);
            }
            let name = parts.get(6).copied().unwrap_or_default();
            let name_valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
            if !name_valid {
                problems.push(BadName {
                    name: name.to_string(),
                });
            }
            let json_key = parts.get(7).copied().filter(|key| !key.is_empty());
            if json_key.is_some() && name_valid && !has_random_suffix(name) {
                problems.push(JsonKeyOnPartialArn {
                    name: name.to_string(),
                });
            }
            if problems.is_empty() {
                Ok(SecretReference::SecretsManager {
                    region,
                    name,
                    json_key,
                })
            } else {
                Err(problems)
            }
        }
        "ssm" => {
            if parts.len() != 6 {
                problems.push(NotAReference);
            } else {
                check_region_and_account(&mut problems);
            }
            let name = parts
                .get(5)
                .and_then(|resource| resource.strip_prefix("parameter"))
                .unwrap_or_default();
            if !name.starts_with('/') || name.len() < 2 {
                problems.push(BadName {
                    name: parts.get(5).copied().unwrap_or_default().to_string(),
                });
            }
            if problems.is_empty() {
                Ok(SecretReference::SsmParameter {
                    region: Some(region),
                    name,
                })
            } else {
                Err(problems)
            }
        }
        other => Err(vec![UnsupportedService {
            service: crate::redact::truncate_chars(other, 40),
        }]),
    }
}

/// Full secret ARNs end in `-` plus 6 random alphanumeric characters.
fn has_random_suffix(name: &str) -> bool {
    name.rsplit_once('-').is_some_and(|(base, suffix)| {
        !base.is_empty() && suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::SecretReferenceProblem::*;
    use super::*;

    const REGION: Option<&str> = Some("us-east-1");

    #[test]
    fn well_formed_references() {
        for value in [
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7",
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:url::",
            "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7::AWSCURRENT:",
            "arn:aws:ssm:us-east-1:132880019009:parameter/coder/db-url",
            "coder-db-url",
            "/coder/db-url",
        ] {
            assert!(
                check(value, REGION).is_ok(),
                "{value}: {:?}",
                check(value, REGION)
            );
        }
        assert_eq!(
            check(
                "arn:aws:secretsmanager:us-east-1:132880019009:secret:db-AbCdEf:url::",
                REGION
            ),
            Ok(SecretReference::SecretsManager {
                region: "us-east-1",
                name: "db-AbCdEf",
                json_key: Some("url")
            })
        );
    }

    #[test]
    fn json_key_form_needs_all_ten_parts() {
        assert_eq!(
            check(
                "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:url",
                REGION
            ),
            Err(vec![WrongNumberOfParts { parts: 8 }])
        );
        assert_eq!(
            check(
                "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7:url:",
                REGION
            ),
            Err(vec![WrongNumberOfParts { parts: 9 }])
        );
    }

    #[test]
    fn json_key_on_a_partial_arn() {
        assert_eq!(
            check(
                "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url:url::",
                REGION
            ),
            Err(vec![JsonKeyOnPartialArn {
                name: "coder-postgres-url".to_string()
            }])
        );
        // Without a JSON key a partial ARN is accepted by ECS.
        assert!(
            check(
                "arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url",
                REGION
            )
            .is_ok()
        );
    }

    #[test]
    fn region_account_and_service_mistakes() {
        assert_eq!(
            check(
                "arn:aws:secretsmanager:eu-west-1:132880019009:secret:db-AbCdEf",
                REGION
            ),
            Err(vec![OtherRegion {
                secret_region: "eu-west-1".to_string(),
                task_region: "us-east-1".to_string()
            }])
        );
        assert_eq!(
            check(
                "arn:aws:secretsmanager:us-east-1:account:secret:db-AbCdEf",
                REGION
            ),
            Err(vec![BadAccount {
                account: "account".to_string()
            }])
        );
        assert_eq!(
            check("arn:aws:s3:::bucket/key", REGION),
            Err(vec![UnsupportedService {
                service: "s3".to_string()
            }])
        );
        // The seed's shorthand "arn:secret-id:key::".
        assert!(check("arn:secret-id:key::", REGION).is_err());
        assert_eq!(check("", REGION), Err(vec![Empty]));
        assert_eq!(
            check("secret name with spaces", REGION),
            Err(vec![NotAReference])
        );
        assert!(check("arn:aws:ssm:us-east-1:132880019009:parameter", REGION).is_err());
    }
}
