//! `database-auth-misconfigured`: the app is set to authenticate to Amazon RDS with IAM tokens
//! (Coder's `CODER_PG_AUTH=awsiamrds`, from the profile's `rds_iam_authentication`), but RDS
//! refuses its tokens: the RDS instance its database address names has IAM database
//! authentication off (RDS User Guide, "IAM database authentication"), or the task role that
//! signs them may not `rds-db:connect` as the URL's user (`doctor/database_auth.rs`). The
//! instance is the doctor's (`DescribeDBInstances`); an image older than the version that
//! reads the setting is not judged.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::container::AppContainer;
use crate::doctor::policy_simulation::Permission;
use crate::finding::{Finding, RuleId, Severity};
use crate::profiles::image::TagVersion;
use crate::profiles::image_tag;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::DatabaseAuthMisconfigured,
    severity: Severity::High,
    other_severities: &[],
    fires_when: "the app authenticates to RDS with IAM tokens (Coder's CODER_PG_AUTH=awsiamrds) but the RDS instance or Aurora cluster its database address names has IAM database authentication off (DescribeDBInstances), or the task role may not rds-db:connect as the URL's user (iam:SimulatePrincipalPolicy on the dbuser ARN)",
    why: "RDS refuses every IAM token while IAM database authentication is off: the app cannot \
          open a connection to its database, and retries or fails to start.",
    console: &[ConsolePage::Databases],
    suppression: Suppression::Window,
    from_log: None,
};

/// The setting by which the app signs IAM tokens for its database, and its value, when it
/// does: the profile's `rds_iam_authentication` set to one of its values, on an image that
/// reads it (an older one ignores the setting and uses the password).
pub(crate) fn signs_iam_tokens<'a>(
    app: &AppContainer<'a>,
) -> Option<(
    &'a crate::profiles::facts::RdsIamAuthentication,
    crate::container::Setting<'a>,
    &'a str,
)> {
    let auth = app.database()?.rds_iam_authentication.as_ref()?;
    let setting = app.setting(&auth.setting)?;
    let value = app.known_value(&setting)?.trim();
    if !auth.values.iter().any(|wanted| wanted == value) {
        return None;
    }
    let older = auth
        .since
        .as_deref()
        .and_then(TagVersion::parse)
        .zip(image_tag(&app.container.image).and_then(TagVersion::parse))
        .is_some_and(|(since, tag)| tag.before(&since));
    (!older).then_some((auth, setting, value))
}

/// One finding per database the container signs IAM tokens for that RDS refuses: IAM
/// authentication off, or a signer the doctor found may not `rds-db:connect`.
pub(crate) fn database_auth_misconfigured(app: &AppContainer) -> Vec<Finding> {
    let Some((auth, setting, value)) = signs_iam_tokens(app) else {
        return Vec::new();
    };
    let mut findings = not_permitted(app, &setting, value);
    let off = app
        .task
        .database_paths
        .iter()
        .filter(|path| path.container == app.container.name)
        .filter_map(|path| path.instance.as_ref())
        .filter(|instance| instance.iam_authentication == Some(false))
        .map(|instance| {
            let mut finding = app.finding(
                RuleId::DatabaseAuthMisconfigured,
                RULE.severity,
                format!(
                    "{} authenticates to {} with IAM tokens ({}={}), but it has IAM database authentication off",
                    app.profile.name, instance.describe(), auth.setting, value
                ),
            );
            finding.evidence = vec![
                setting.describe(),
                if instance.is_proxy() {
                    format!("{}: IAMAuth DISABLED in every Auth entry (DescribeDBProxies)", instance.describe())
                } else {
                    format!("{}: IAMDatabaseAuthenticationEnabled false", instance.describe())
                },
            ];
            finding
                .facts
                .insert("setting".to_string(), auth.setting.clone());
            finding
                .facts
                .insert("database".to_string(), instance.id.clone());
            // The dbuser ARN with what RDS told (region, account, resource id).
            let dbuser = crate::doctor::database_auth::dbuser_arn(instance, "<the URL's user>");
            finding.fix = if instance.is_proxy() {
                vec![
                    format!(
                        "Require IAM authentication on the proxy: aws rds modify-db-proxy --db-proxy-name {} --auth AuthScheme=SECRETS,SecretArn=<its secret's ARN>,IAMAuth=REQUIRED, repeating every Auth entry it has, as --auth replaces them all (Terraform: auth {{ iam_auth = \"REQUIRED\" }} in aws_db_proxy).",
                        instance.id
                    ),
                    format!(
                        "Let the task role (not the execution role) rds-db:connect on {}; the proxy signs in to the database with its own secret.",
                        dbuser.clone().unwrap_or_else(|| "arn:aws:rds-db:REGION:ACCOUNT:dbuser:<the proxy's prx- resource id>/<the URL's user>".to_string())
                    ),
                ]
            } else {
                vec![
                    format!(
                        "Turn on IAM database authentication: aws rds {} {} --enable-iam-database-authentication --apply-immediately (Terraform: iam_database_authentication_enabled = true).",
                        super::remediation::rds_modify(instance),
                        instance.id
                    ),
                    format!(
                        "Let the task role (not the execution role) rds-db:connect on {}, and GRANT rds_iam TO that user in the database.",
                        dbuser.clone().unwrap_or_else(|| format!(
                            "arn:aws:rds-db:REGION:ACCOUNT:dbuser:<the {}>/<the URL's user>",
                            if instance.is_cluster() {
                                "cluster's DbClusterResourceId"
                            } else {
                                "instance's DbiResourceId"
                            }
                        ))
                    ),
                ]
            };
            finding
        });
    findings.extend(off);
    findings
}

/// The databases whose token signer the doctor found may not `rds-db:connect` (an undecided
/// answer is `audit-incomplete`'s).
fn not_permitted(
    app: &AppContainer,
    setting: &crate::container::Setting,
    value: &str,
) -> Vec<Finding> {
    app.task
        .database_paths
        .iter()
        .filter(|path| path.container == app.container.name)
        .filter_map(|path| Some((path.instance.as_ref()?, path.iam_connect.as_ref()?)))
        .filter_map(|(instance, connect)| {
            let Permission::No {
                action,
                resource,
                deciding,
            } = &connect.permission
            else {
                return None;
            };
            let signer = connect
                .role
                .as_deref()
                .map_or("the app".to_string(), |role| format!("task role {role}"));
            let user = connect.user.as_deref().unwrap_or("its user");
            let mut finding = app.finding(
                RuleId::DatabaseAuthMisconfigured,
                RULE.severity,
                format!(
                    "{} signs IAM tokens for {} as {user} ({}={value}), but {signer} may not {action} there: {deciding}",
                    app.profile.name,
                    instance.describe(),
                    setting.name,
                ),
            );
            finding.evidence = vec![
                setting.describe(),
                match &connect.role {
                    Some(_) => format!("iam:SimulatePrincipalPolicy: {action} on {resource}: {deciding}"),
                    None => format!("{action} on {resource}: {deciding}"),
                },
            ];
            finding
                .facts
                .insert("setting".to_string(), setting.name.to_string());
            finding
                .facts
                .insert("database".to_string(), instance.id.clone());
            finding.fix = vec![match &connect.role {
                Some(role) => format!(
                    "Allow the task role {action} on {resource} (an IAM policy statement on role {}; the execution role does not sign the app's tokens).",
                    role.rsplit('/').next().unwrap_or(role)
                ),
                None => "Give the task definition a task role (taskRoleArn) that may rds-db:connect as the URL's user: the app signs its tokens with the task role's credentials.".to_string(),
            }];
            // Through a proxy, the proxy signs in to the database with its own secret.
            if !instance.is_proxy() {
                finding
                    .fix
                    .push(format!("In the database: GRANT rds_iam TO {user};"));
            }
            Some(finding)
        })
        .collect()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::facts::DbInstance;
    use crate::doctor::network::Path;
    use crate::model::DatabasePath;
    use crate::rules::testing::*;

    fn task(image: &str, auth: &str, iam_on: bool) -> crate::model::TaskContext {
        let mut task = task_with(serde_json::json!({
            "family": "coder", "revision": 1,
            "containerDefinitions": [{
                "name": "coder", "image": image,
                "environment": [
                    {"name": "CODER_PG_AUTH", "value": auth},
                    {"name": "CODER_PG_CONNECTION_URL", "value": "postgres://coder@db.abc.us-east-1.rds.amazonaws.com:5432/coder"}
                ]
            }]
        }));
        task.database_paths = vec![DatabasePath {
            container: "coder".to_string(),
            database: "RDS instance coder-postgres".to_string(),
            port: 5432,
            path: Path::Open(Vec::new()),
            instance: Some(DbInstance {
                id: "coder-postgres".to_string(),
                address: "db.abc.us-east-1.rds.amazonaws.com".to_string(),
                port: Some(5432),
                vpc_id: "vpc-1".to_string(),
                backup_retention_days: Some(7),
                deletion_protection: Some(true),
                iam_authentication: Some(iam_on),
                engine: Some("postgres".to_string()),
                ..DbInstance::default()
            }),
            iam_connect: None,
        }];
        task
    }

    fn fired(task: &crate::model::TaskContext) -> Vec<Finding> {
        evaluate(task, &crate::profiles::Profiles::built_in().unwrap())
            .into_iter()
            .filter(|finding| finding.rule == RuleId::DatabaseAuthMisconfigured)
            .collect()
    }

    #[test]
    fn iam_tokens_to_an_instance_without_iam_authentication_are_refused() {
        let found = fired(&task("ghcr.io/coder/coder:v2.18.0", "awsiamrds", false));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].summary,
            "Coder authenticates to RDS instance coder-postgres with IAM tokens (CODER_PG_AUTH=awsiamrds), but it has IAM database authentication off"
        );
        assert!(found[0].fix[0].contains("--enable-iam-database-authentication"));
        assert!(crate::rules::severity_declared(&found[0]));
        // IAM authentication on, password authentication, or a Coder that predates the
        // setting (v2.9 reads no CODER_PG_AUTH): nothing.
        assert!(fired(&task("ghcr.io/coder/coder:v2.18.0", "awsiamrds", true)).is_empty());
        assert!(fired(&task("ghcr.io/coder/coder:v2.18.0", "password", false)).is_empty());
        assert!(fired(&task("ghcr.io/coder/coder:v2.9.4", "awsiamrds", false)).is_empty());
        // An untagged image is judged by the newest version.
        assert_eq!(
            fired(&task("ghcr.io/coder/coder:latest", "awsiamrds", false)).len(),
            1
        );
    }

    fn with_connect(permission: Permission, role: Option<&str>) -> crate::model::TaskContext {
        let mut task = task("ghcr.io/coder/coder:v2.18.0", "awsiamrds", true);
        task.database_paths[0].iam_connect = Some(crate::doctor::database_auth::IamConnect {
            role: role.map(str::to_string),
            user: Some("coder".to_string()),
            permission,
        });
        task
    }

    #[test]
    fn a_task_role_that_may_not_connect_is_named_with_its_deciding_statement() {
        let role = "arn:aws:iam::111122223333:role/coder-task";
        let dbuser = "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/coder";
        let denied = with_connect(
            Permission::No {
                action: "rds-db:connect".to_string(),
                resource: dbuser.to_string(),
                deciding: format!("no statement in the policies of {role} allows it"),
            },
            Some(role),
        );
        let found = fired(&denied);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].summary,
            format!(
                "Coder signs IAM tokens for RDS instance coder-postgres as coder (CODER_PG_AUTH=awsiamrds), but task role {role} may not rds-db:connect there: no statement in the policies of {role} allows it"
            )
        );
        assert!(found[0].evidence[1].contains(dbuser), "{found:#?}");
        assert_eq!(
            found[0].fix[0],
            format!(
                "Allow the task role rds-db:connect on {dbuser} (an IAM policy statement on role coder-task; the execution role does not sign the app's tokens)."
            )
        );
        assert_eq!(found[0].fix[1], "In the database: GRANT rds_iam TO coder;");
        // Allowed: nothing. A Coder too old to sign tokens: nothing, whatever was found.
        assert!(fired(&with_connect(Permission::Yes, Some(role))).is_empty());
        let mut old = denied.clone();
        if let Some(definition) = old.task_definition.as_mut() {
            definition.container_definitions[0].image = "ghcr.io/coder/coder:v2.9.4".to_string();
        }
        assert!(fired(&old).is_empty());
    }

    #[test]
    fn an_undecided_signer_is_audit_incomplete_never_a_pass() {
        let task = with_connect(
            Permission::Undecided(
                "the connection URL names no user, for whom the token would be signed".to_string(),
            ),
            Some("arn:aws:iam::111122223333:role/coder-task"),
        );
        assert!(fired(&task).is_empty());
        let incomplete: Vec<Finding> =
            evaluate(&task, &crate::profiles::Profiles::built_in().unwrap())
                .into_iter()
                .filter(|finding| finding.rule == RuleId::AuditIncomplete)
                .collect();
        assert_eq!(incomplete.len(), 1, "{incomplete:#?}");
        assert_eq!(
            incomplete[0].summary,
            "could not decide whether container coder may connect to RDS instance coder-postgres with an IAM token: the connection URL names no user, for whom the token would be signed"
        );
        assert_eq!(
            incomplete[0]
                .facts
                .get("skipped_checks")
                .map(String::as_str),
            Some("database-auth-misconfigured")
        );
    }

    #[test]
    fn through_an_rds_proxy_the_fixes_are_the_proxys() {
        let mut off = task("ghcr.io/coder/coder:v2.18.0", "awsiamrds", false);
        let proxy = |iam: bool| {
            crate::doctor::facts::proxy_database(&crate::doctor::facts::DbProxy {
                name: "coder-proxy".to_string(),
                endpoint: "coder-proxy.proxy-abc.us-east-1.rds.amazonaws.com".to_string(),
                engine_family: "POSTGRESQL".to_string(),
                iam_authentication: Some(iam),
                ..Default::default()
            })
        };
        off.database_paths[0].instance = Some(proxy(false));
        let found = fired(&off);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].evidence[1],
            "RDS Proxy coder-proxy: IAMAuth DISABLED in every Auth entry (DescribeDBProxies)"
        );
        assert!(
            found[0].fix[0].starts_with(
                "Require IAM authentication on the proxy: aws rds modify-db-proxy --db-proxy-name coder-proxy"
            ),
            "{:?}",
            found[0].fix
        );
        assert!(!found[0].fix.iter().any(|fix| fix.contains("GRANT rds_iam")));
        // A task role that may not connect to the proxy: no grant inside the database helps.
        let mut denied = with_connect(
            Permission::No {
                action: "rds-db:connect".to_string(),
                resource: "arn:aws:rds-db:us-east-1:1:dbuser:prx-1/coder".to_string(),
                deciding: "no statement allows it".to_string(),
            },
            None,
        );
        denied.database_paths[0].instance = Some(proxy(true));
        let found = fired(&denied);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].fix.len(), 1, "{:?}", found[0].fix);
        // Without a task role no simulation ran, and the evidence does not say one did.
        assert_eq!(
            found[0].evidence[1],
            "rds-db:connect on arn:aws:rds-db:us-east-1:1:dbuser:prx-1/coder: no statement allows it"
        );
    }
}
