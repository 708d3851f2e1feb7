//! May a role decrypt with a customer managed KMS key? The key's own policy decides with the
//! role's IAM policies (AWS KMS Developer Guide, "Determining access to AWS KMS keys"): the
//! role may use the key when the key policy allows the role itself, or when it lets the
//! account's IAM policies grant access (a statement for `arn:aws:iam::ACCOUNT:root`) and they
//! do, or when a grant gives it the operation; an explicit deny in either policy wins. The
//! console's "key users" are written into the key policy by role ARN, so a role with no IAM
//! statement for the key is often allowed: judging by the simulator alone would be a false
//! alarm.
//!
//! Pure: the reads are `SecretReads::key` (`kms:DescribeKey`, `kms:GetKeyPolicy`,
//! `kms:ListGrants`, in `aws/kms.rs`). Conditions are evaluated for the keys whose values the
//! doctor knows (`kms:ViaService`, `kms:CallerAccount`, `aws:PrincipalArn`,
//! `aws:PrincipalAccount`); any other makes its statement "may apply", and the verdict
//! "could not decide" where it matters.

use super::policy_simulation::{Decision, Permission, Simulation};
use serde_json::Value;

/// The words of a deny the key policy decides alone (no statement for the role, none letting
/// IAM policies count): the rule's fix goes to the key policy then, not to an IAM policy.
pub const KEY_POLICY_LETS_NOTHING_IN: &str =
    "neither allows the role nor lets IAM policies grant access";

/// A KMS key as the decision needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyFacts {
    /// The key's ARN (`DescribeKey` resolves an alias or key id to it).
    pub arn: String,
    /// `KeyManager` `AWS`: an AWS managed key, whose policy lets the account's principals use
    /// it through the service.
    pub aws_managed: bool,
    /// The `default` key policy document (JSON); empty for an AWS managed key.
    pub policy: String,
    /// The key's grants.
    pub grants: Vec<KeyGrant>,
}

/// One grant (`ListGrants`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyGrant {
    /// `GranteePrincipal`: a role ARN, an account or a service principal.
    pub grantee: String,
    /// `Operations`: `Decrypt`, `Encrypt`...
    pub operations: Vec<String>,
    /// `Constraints` (an encryption context the call must carry) are present.
    pub constrained: bool,
}

/// Who asks, and through what.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    pub role: &'a str,
    pub account: &'a str,
    /// `kms:ViaService`: `secretsmanager.us-east-1.amazonaws.com`.
    pub via_service: &'a str,
}

/// Does a statement (or part of it) apply to the call?
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Applies {
    No,
    Maybe,
    Yes,
}

/// Whom a statement's `Principal` names, for this role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Principal {
    /// The role itself, or everyone (`"*"`).
    Role,
    /// The account (`arn:aws:iam::ACCOUNT:root` or `ACCOUNT`): IAM policies decide.
    Account,
    Other,
    /// `NotPrincipal`, or a form not understood.
    Unknown,
}

/// The verdict for `kms:Decrypt` on `key` by `caller`, from the simulator's answer for the
/// role's IAM policies (`identity`) and the key's policy and grants.
pub fn weigh(identity: &Simulation, key: &KeyFacts, caller: Caller) -> Permission {
    let iam = super::policy_simulation::simulated(identity, caller.role);
    if identity.decision == Decision::ExplicitDeny || key.aws_managed {
        return iam;
    }
    let statements: Vec<Value> = match serde_json::from_str::<Value>(&key.policy) {
        Ok(policy) => match &policy["Statement"] {
            Value::Array(list) => list.clone(),
            single @ Value::Object(_) => vec![single.clone()],
            _ => Vec::new(),
        },
        Err(_) => {
            return Permission::Undecided(format!(
                "the key policy of {} is not a JSON policy the doctor can read",
                key.arn
            ));
        }
    };
    let effect = |statement: &Value| statement["Effect"].as_str().unwrap_or("").to_string();
    let sid = |statement: &Value| match statement["Sid"].as_str() {
        Some(sid) if !sid.is_empty() => format!("statement {sid:?}"),
        _ => "a statement".to_string(),
    };
    let mut deny = (Applies::No, String::new());
    let mut direct = Applies::No;
    let mut account = Applies::No;
    for statement in &statements {
        let principal = principal(statement, caller);
        let applies = action(statement).min(condition(statement, caller));
        match (effect(statement).as_str(), principal) {
            ("Deny", Principal::Unknown) if applies > Applies::No && deny.0 < Applies::Maybe => {
                deny = (Applies::Maybe, sid(statement));
            }
            ("Deny", Principal::Role | Principal::Account) if applies > deny.0 => {
                deny = (applies, sid(statement));
            }
            ("Allow", Principal::Role) => direct = direct.max(applies),
            ("Allow", Principal::Account) => account = account.max(applies),
            ("Allow", Principal::Unknown) => direct = direct.max(applies.min(Applies::Maybe)),
            _ => {}
        }
    }
    let grant = key
        .grants
        .iter()
        .filter(|grant| grant.grantee == caller.role)
        .filter(|grant| {
            grant
                .operations
                .iter()
                .any(|operation| operation == "Decrypt")
        })
        .map(|grant| {
            if grant.constrained {
                Applies::Maybe
            } else {
                Applies::Yes
            }
        })
        .max()
        .unwrap_or(Applies::No);
    let policy_of = format!("the key policy of {}", key.arn);
    match deny {
        (Applies::Yes, statement) => {
            return Permission::No {
                action: "kms:Decrypt".to_string(),
                resource: key.arn.clone(),
                deciding: format!("{statement} of {policy_of} denies it"),
            };
        }
        (Applies::Maybe, statement) => {
            return Permission::Undecided(format!(
                "{statement} of {policy_of} denies kms:Decrypt under a condition or to principals the doctor cannot evaluate"
            ));
        }
        (Applies::No, _) => {}
    }
    let through_iam = match (&iam, account) {
        (_, Applies::No) => Applies::No,
        (Permission::Yes, applies) => applies,
        (Permission::Undecided(_), _) | (_, Applies::Maybe) => Applies::Maybe,
        (Permission::No { .. }, Applies::Yes) => Applies::No,
    };
    if direct == Applies::Yes || grant == Applies::Yes || through_iam == Applies::Yes {
        // The key allows it; an explicit deny in IAM would have been decided above, but one
        // the simulator could not evaluate (missing context) leaves it open.
        return match iam {
            Permission::Undecided(why) if direct == Applies::Yes || grant == Applies::Yes => {
                Permission::Undecided(format!(
                    "{policy_of} allows the role, but its IAM policies may deny it: {why}"
                ))
            }
            _ => Permission::Yes,
        };
    }
    if direct == Applies::Maybe || grant == Applies::Maybe || through_iam == Applies::Maybe {
        return Permission::Undecided(match iam {
            Permission::Undecided(why) => why,
            _ => format!(
                "{policy_of} (or a grant) may allow the role under a condition the doctor cannot evaluate"
            ),
        });
    }
    if account == Applies::Yes {
        // IAM policies decide, and none allows it.
        return iam;
    }
    Permission::No {
        action: "kms:Decrypt".to_string(),
        resource: key.arn.clone(),
        deciding: format!(
            "{policy_of} {KEY_POLICY_LETS_NOTHING_IN} (no statement for arn:aws:iam::{}:root), and no grant gives it Decrypt",
            caller.account
        ),
    }
}

/// The strings of a policy element that is a string or a list of them.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn principal(statement: &Value, caller: Caller) -> Principal {
    if statement.get("NotPrincipal").is_some() {
        return Principal::Unknown;
    }
    let named: Vec<&str> = match &statement["Principal"] {
        Value::String(star) if star == "*" => return Principal::Role,
        Value::Object(map) => match map.get("AWS") {
            Some(aws) => strings(aws),
            None => return Principal::Other,
        },
        _ => return Principal::Unknown,
    };
    let root = format!(":iam::{}:root", caller.account);
    if named
        .iter()
        .any(|name| *name == "*" || *name == caller.role)
    {
        Principal::Role
    } else if named
        .iter()
        .any(|name| *name == caller.account || name.ends_with(&root))
    {
        Principal::Account
    } else {
        Principal::Other
    }
}

/// Whether `Action` covers `kms:Decrypt` (`*` and `?` wildcards, case-insensitive).
fn action(statement: &Value) -> Applies {
    if statement.get("NotAction").is_some() {
        return Applies::Maybe;
    }
    if strings(&statement["Action"])
        .iter()
        .any(|pattern| glob(&pattern.to_ascii_lowercase(), "kms:decrypt"))
    {
        Applies::Yes
    } else {
        Applies::No
    }
}

/// Whether every condition holds for the call: `No` when one the doctor can evaluate does not,
/// `Maybe` when one it cannot is present.
fn condition(statement: &Value, caller: Caller) -> Applies {
    let Some(Value::Object(operators)) = statement.get("Condition") else {
        return Applies::Yes;
    };
    let mut verdict = Applies::Yes;
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else {
            return Applies::Maybe;
        };
        for (key, wanted) in keys {
            let value = match key.to_ascii_lowercase().as_str() {
                "kms:viaservice" => caller.via_service,
                "kms:calleraccount" | "aws:principalaccount" => caller.account,
                "aws:principalarn" => caller.role,
                _ => {
                    verdict = verdict.min(Applies::Maybe);
                    continue;
                }
            };
            let wanted = strings(wanted);
            let holds = match operator.as_str() {
                "StringEquals" | "ArnEquals" => wanted.contains(&value),
                "StringEqualsIgnoreCase" => wanted.iter().any(|w| w.eq_ignore_ascii_case(value)),
                "StringLike" | "ArnLike" => wanted.iter().any(|w| glob(w, value)),
                "StringNotEquals" | "ArnNotEquals" => !wanted.contains(&value),
                "StringNotLike" | "ArnNotLike" => !wanted.iter().any(|w| glob(w, value)),
                _ => {
                    verdict = verdict.min(Applies::Maybe);
                    continue;
                }
            };
            if !holds {
                return Applies::No;
            }
        }
    }
    verdict
}

/// IAM's wildcard match: `*` any run, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(at) = star {
            p = at + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::111122223333:role/coder-ecs-task-execution-role";
    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn caller() -> Caller<'static> {
        Caller {
            role: ROLE,
            account: "111122223333",
            via_service: "secretsmanager.us-east-1.amazonaws.com",
        }
    }

    fn identity(decision: Decision) -> Simulation {
        Simulation {
            action: "kms:Decrypt".to_string(),
            resource: KEY.to_string(),
            decision,
            matched: Vec::new(),
            missing_context: Vec::new(),
            denied_by_organizations: false,
            denied_by_boundary: false,
        }
    }

    fn key(statements: Value) -> KeyFacts {
        KeyFacts {
            arn: KEY.to_string(),
            policy: serde_json::json!({"Version": "2012-10-17", "Statement": statements})
                .to_string(),
            ..KeyFacts::default()
        }
    }

    /// The console's default: the account's IAM policies enabled.
    fn account_root() -> Value {
        serde_json::json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"})
    }

    /// The console's "key users": the role named in the key policy.
    fn key_user(condition: Option<Value>) -> Value {
        let mut statement = serde_json::json!({"Sid": "Allow use of the key", "Effect": "Allow",
            "Principal": {"AWS": [ROLE]},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*"});
        if let Some(condition) = condition {
            statement["Condition"] = condition;
        }
        statement
    }

    #[test]
    fn a_role_named_in_the_key_policy_may_decrypt_without_an_iam_statement() {
        let verdict = weigh(
            &identity(Decision::ImplicitDeny),
            &key(serde_json::json!([account_root(), key_user(None)])),
            caller(),
        );
        assert_eq!(verdict, Permission::Yes);
        // Named only under kms:ViaService for the service the call goes through.
        let via = |service: &str| {
            key_user(Some(
                serde_json::json!({"StringEquals": {"kms:ViaService": service}}),
            ))
        };
        assert_eq!(
            weigh(
                &identity(Decision::ImplicitDeny),
                &key(serde_json::json!([via(
                    "secretsmanager.us-east-1.amazonaws.com"
                )])),
                caller()
            ),
            Permission::Yes
        );
        // ...but for another service only: IAM decides, and it allows nothing.
        let Permission::No { deciding, .. } = weigh(
            &identity(Decision::ImplicitDeny),
            &key(serde_json::json!([
                account_root(),
                via("rds.us-east-1.amazonaws.com")
            ])),
            caller(),
        ) else {
            panic!()
        };
        assert_eq!(
            deciding,
            format!("no statement in the policies of {ROLE} allows it")
        );
    }

    #[test]
    fn the_accounts_iam_policies_decide_only_where_the_key_policy_lets_them() {
        let default = key(serde_json::json!([account_root()]));
        assert_eq!(
            weigh(&identity(Decision::Allowed), &default, caller()),
            Permission::Yes
        );
        // A key policy that names neither the role nor the account: no IAM allow helps.
        let other = key(serde_json::json!([{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/admin"}, "Action": "kms:*", "Resource": "*"}]));
        let Permission::No { deciding, .. } = weigh(&identity(Decision::Allowed), &other, caller())
        else {
            panic!()
        };
        assert!(
            deciding.contains("neither allows the role nor lets IAM policies grant access"),
            "{deciding}"
        );
        // A grant to the role gives it Decrypt; a constrained one may.
        let mut granted = other.clone();
        granted.grants = vec![KeyGrant {
            grantee: ROLE.to_string(),
            operations: vec!["Decrypt".to_string()],
            constrained: false,
        }];
        assert_eq!(
            weigh(&identity(Decision::ImplicitDeny), &granted, caller()),
            Permission::Yes
        );
        granted.grants[0].constrained = true;
        assert!(matches!(
            weigh(&identity(Decision::ImplicitDeny), &granted, caller()),
            Permission::Undecided(_)
        ));
    }

    #[test]
    fn a_deny_wins_and_a_condition_the_doctor_cannot_evaluate_is_undecided() {
        let deny = serde_json::json!({"Sid": "NoDecryptOutsideVpc", "Effect": "Deny", "Principal": "*",
            "Action": "kms:Decrypt", "Resource": "*"});
        let Permission::No { deciding, .. } = weigh(
            &identity(Decision::Allowed),
            &key(serde_json::json!([account_root(), deny])),
            caller(),
        ) else {
            panic!()
        };
        assert_eq!(
            deciding,
            format!("statement \"NoDecryptOutsideVpc\" of the key policy of {KEY} denies it")
        );
        let conditional = serde_json::json!({"Effect": "Deny", "Principal": "*", "Action": "kms:*",
            "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}});
        assert!(matches!(
            weigh(
                &identity(Decision::Allowed),
                &key(serde_json::json!([account_root(), conditional])),
                caller()
            ),
            Permission::Undecided(_)
        ));
        // An explicit deny in the role's policies stands, whatever the key says.
        let mut denied = identity(Decision::ExplicitDeny);
        denied.matched = vec![crate::doctor::policy_simulation::Statement {
            policy: "no-kms".to_string(),
            policy_type: "IAM Policy".to_string(),
            line: Some(2),
        }];
        assert!(matches!(
            weigh(&denied, &key(serde_json::json!([key_user(None)])), caller()),
            Permission::No { deciding, .. } if deciding.contains("policy no-kms denies it")
        ));
        assert!(matches!(
            weigh(
                &identity(Decision::Allowed),
                &KeyFacts {
                    policy: "{".to_string(),
                    ..key(Value::Null)
                },
                caller()
            ),
            Permission::Undecided(_)
        ));
    }

    #[test]
    fn wildcards_match_as_iam_matches_them() {
        assert!(glob("kms:*", "kms:decrypt"));
        assert!(glob("kms:de?rypt", "kms:decrypt"));
        assert!(glob("*", "anything"));
        assert!(!glob("kms:encrypt", "kms:decrypt"));
        assert!(glob(
            "secretsmanager.*.amazonaws.com",
            "secretsmanager.us-east-1.amazonaws.com"
        ));
    }
}
