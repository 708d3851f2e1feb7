//! May the app's task role connect to its RDS database with an IAM token (issue 16)?
//!
//! Coder with `CODER_PG_AUTH=awsiamrds` (`coderd/database/awsiamrds/awsiamrds.go`, v2.10.0 on)
//! signs a token with the AWS SDK's default credentials, which on ECS are the task role's (the
//! container credentials endpoint), for the user and `host:port` of its connection URL
//! (`auth.BuildAuthToken(ctx, host:port, cfg.Region, url.User.Username(), cfg.Credentials)`).
//! RDS takes the token when IAM database authentication is on and the signer may
//! `rds-db:connect` on `arn:PARTITION:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/USER` (RDS User
//! Guide, "Creating and using an IAM policy for IAM database access"). Only the signer's own
//! policies grant that action (RDS has no resource policy for it), so the simulator's answer
//! decides; that the database user holds `rds_iam` is inside the database, out of sight.

use super::facts::DbInstance;
use super::policy_simulation::{Permission, PolicySimulator, SimulationRequest, ask, simulated};
use crate::model::ReadError;
use crate::model::arn::arn_field;

/// The action RDS checks a token's signer for.
pub const ACTION: &str = "rds-db:connect";

/// Whose credentials sign the app's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signer {
    /// The task definition's `taskRoleArn`.
    TaskRole(String),
    /// No task role: on Fargate with no access keys in the environment the app has no
    /// credentials at all; on EC2 the instance's role may answer, unseen.
    NoTaskRole {
        fargate_only: bool,
        keys_in_environment: bool,
    },
}

/// The doctor's answer for one database the app signs tokens for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IamConnect {
    /// The role that signs the token, when the task definition names one.
    pub role: Option<String>,
    /// The database user the token is for (the URL's user).
    pub user: Option<String>,
    pub permission: Permission,
}

/// `arn:PARTITION:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/USER`, from the database's own ARN
/// and resource id; `None` when RDS gave either not.
pub fn dbuser_arn(database: &DbInstance, user: &str) -> Option<String> {
    let arn = database.arn.as_deref()?;
    let (partition, region, account) = (arn_field(arn, 1)?, arn_field(arn, 3)?, arn_field(arn, 4)?);
    let resource_id = database.resource_id.as_deref()?;
    Some(format!(
        "arn:{partition}:rds-db:{region}:{account}:dbuser:{resource_id}/{user}"
    ))
}

/// The user a connection URL names, percent-decoded as Go's `url.User.Username()` gives it;
/// `None` for a URL without one or a value that is not a URL.
pub fn url_user(value: &str) -> Option<String> {
    let url = url::Url::parse(value.trim()).ok()?;
    let user = percent_encoding::percent_decode_str(url.username())
        .decode_utf8()
        .ok()?;
    (!user.is_empty()).then(|| user.into_owned())
}

/// Whether `signer` may connect to `database` as `user`: a task role's policies simulated for
/// `rds-db:connect`; no role on Fargate is a deny; anything the doctor cannot see (an EC2
/// instance's role, another account's role, a URL without a user, a database RDS gave no
/// resource id for) is "could not decide", with why.
pub async fn may_connect(
    simulator: &impl PolicySimulator,
    signer: &Signer,
    user: Option<&str>,
    database: &DbInstance,
) -> Result<IamConnect, ReadError> {
    let resource = user.and_then(|user| dbuser_arn(database, user));
    let answer = |role: Option<&str>, permission| IamConnect {
        role: role.map(str::to_string),
        user: user.map(str::to_string),
        permission,
    };
    let role = match signer {
        Signer::TaskRole(role) => role.as_str(),
        Signer::NoTaskRole {
            fargate_only: true,
            keys_in_environment: false,
        } => {
            return Ok(answer(
                None,
                Permission::No {
                    action: ACTION.to_string(),
                    resource: resource.unwrap_or_else(|| database.describe()),
                    deciding: "the task definition has no task role, so on Fargate the app has no AWS credentials to sign a token with".to_string(),
                },
            ));
        }
        Signer::NoTaskRole {
            keys_in_environment: true,
            ..
        } => {
            return Ok(answer(
                None,
                Permission::Undecided(
                    "the task definition has no task role and the app signs with access keys from its environment, whose user the doctor does not know".to_string(),
                ),
            ));
        }
        Signer::NoTaskRole { .. } => {
            return Ok(answer(
                None,
                Permission::Undecided(
                    "the task definition has no task role: on EC2 the container instance's role may sign the token, and the doctor does not read it".to_string(),
                ),
            ));
        }
    };
    if user.is_none() {
        return Ok(answer(
            Some(role),
            Permission::Undecided(
                "the connection URL names no user, for whom the token would be signed".to_string(),
            ),
        ));
    }
    let Some(resource) = resource else {
        return Ok(answer(
            Some(role),
            Permission::Undecided(format!(
                "RDS did not give {}'s ARN and resource id, which the policy's dbuser ARN names",
                database.describe()
            )),
        ));
    };
    if arn_field(role, 4) != arn_field(&resource, 4) {
        return Ok(answer(
            Some(role),
            Permission::Undecided(format!(
                "the task role is in another account than {}: IAM authentication across accounts goes through a role assumed there, which the doctor does not follow",
                database.describe()
            )),
        ));
    }
    let simulation = ask(
        simulator,
        SimulationRequest {
            principal: role.to_string(),
            action: ACTION,
            resource,
            context: Vec::new(),
        },
    )
    .await?;
    Ok(answer(Some(role), simulated(&simulation, role)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::policy_simulation::{Decision, Simulation, Statement};
    use std::sync::Mutex;

    fn database() -> DbInstance {
        DbInstance {
            id: "coder-postgres".to_string(),
            address: "coder-postgres.abc.us-east-1.rds.amazonaws.com".to_string(),
            resource_id: Some("db-ABCDEFGHIJKL01234".to_string()),
            arn: Some("arn:aws:rds:us-east-1:111122223333:db:coder-postgres".to_string()),
            iam_authentication: Some(true),
            ..DbInstance::default()
        }
    }

    /// A simulator with one decision, keeping what it was asked.
    struct Simulator(Decision, Mutex<Vec<SimulationRequest>>);

    impl PolicySimulator for Simulator {
        async fn simulate(&self, request: &SimulationRequest) -> Result<Simulation, ReadError> {
            self.1.lock().unwrap().push(request.clone());
            Ok(Simulation {
                action: request.action.to_string(),
                resource: request.resource.clone(),
                decision: self.0,
                matched: match self.0 {
                    Decision::ExplicitDeny => vec![Statement {
                        policy: "deny-db".to_string(),
                        policy_type: "IAM Policy".to_string(),
                        line: Some(3),
                    }],
                    _ => Vec::new(),
                },
                missing_context: Vec::new(),
                denied_by_organizations: false,
                denied_by_boundary: false,
            })
        }
    }

    const ROLE: &str = "arn:aws:iam::111122223333:role/coder-task";

    async fn decide(decision: Decision, signer: Signer, user: Option<&str>) -> IamConnect {
        let simulator = Simulator(decision, Mutex::new(Vec::new()));
        may_connect(&simulator, &signer, user, &database())
            .await
            .unwrap()
    }

    #[test]
    fn the_dbuser_arn_is_built_from_the_databases_arn_and_resource_id() {
        assert_eq!(
            dbuser_arn(&database(), "coder").as_deref(),
            Some("arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/coder")
        );
        let no_id = DbInstance {
            resource_id: None,
            ..database()
        };
        assert_eq!(dbuser_arn(&no_id, "coder"), None);
    }

    #[test]
    fn the_urls_user_is_read_as_go_reads_it() {
        assert_eq!(
            url_user("postgres://coder@db.abc.us-east-1.rds.amazonaws.com:5432/coder").as_deref(),
            Some("coder")
        );
        assert_eq!(
            url_user(" postgresql://app%2Dadmin:x@db:5432/coder ").as_deref(),
            Some("app-admin")
        );
        assert_eq!(url_user("postgres://db.abc:5432/coder"), None);
        assert_eq!(url_user("host=db user=coder"), None);
    }

    #[tokio::test]
    async fn the_task_roles_policies_decide_and_a_deny_names_its_statement() {
        let simulator = Simulator(Decision::ExplicitDeny, Mutex::new(Vec::new()));
        let found = may_connect(
            &simulator,
            &Signer::TaskRole(ROLE.to_string()),
            Some("coder"),
            &database(),
        )
        .await
        .unwrap();
        assert_eq!(
            found.permission,
            Permission::No {
                action: "rds-db:connect".to_string(),
                resource: "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/coder"
                    .to_string(),
                deciding: "the statement at line 3 of policy deny-db denies it".to_string(),
            }
        );
        {
            let asked = simulator.1.lock().unwrap();
            assert_eq!(asked.len(), 1);
            assert_eq!(asked[0].principal, ROLE);
            assert_eq!(asked[0].action, "rds-db:connect");
        }

        let role = || Signer::TaskRole(ROLE.to_string());
        assert_eq!(
            decide(Decision::Allowed, role(), Some("coder"))
                .await
                .permission,
            Permission::Yes
        );
        let Permission::No { deciding, .. } = decide(Decision::ImplicitDeny, role(), Some("coder"))
            .await
            .permission
        else {
            panic!("an implicit deny is a deny");
        };
        assert_eq!(
            deciding,
            format!("no statement in the policies of {ROLE} allows it")
        );
    }

    #[tokio::test]
    async fn what_the_doctor_cannot_see_is_undecided_and_no_role_on_fargate_is_a_deny() {
        let fargate = Signer::NoTaskRole {
            fargate_only: true,
            keys_in_environment: false,
        };
        assert!(matches!(
            decide(Decision::Allowed, fargate, Some("coder")).await.permission,
            Permission::No { deciding, .. } if deciding.contains("no task role")
        ));
        for signer in [
            Signer::NoTaskRole {
                fargate_only: false,
                keys_in_environment: false,
            },
            Signer::NoTaskRole {
                fargate_only: true,
                keys_in_environment: true,
            },
        ] {
            assert!(matches!(
                decide(Decision::Allowed, signer, Some("coder"))
                    .await
                    .permission,
                Permission::Undecided(_)
            ));
        }
        let role = || Signer::TaskRole(ROLE.to_string());
        // No user in the URL; a role in another account: undecided, never asked as a pass.
        assert!(matches!(
            decide(Decision::Allowed, role(), None).await.permission,
            Permission::Undecided(why) if why.contains("names no user")
        ));
        assert!(matches!(
            decide(
                Decision::Allowed,
                Signer::TaskRole("arn:aws:iam::999999999999:role/coder-task".to_string()),
                Some("coder")
            )
            .await
            .permission,
            Permission::Undecided(why) if why.contains("another account")
        ));
    }
}
