//! `database-auth-misconfigured`: the app is set to authenticate to Amazon RDS with IAM tokens
//! (Coder's `CODER_PG_AUTH=awsiamrds`, from the profile's `rds_iam_authentication`), but the RDS
//! instance its database address names has IAM database authentication off, so RDS refuses
//! every token (RDS User Guide, "IAM database authentication"). The instance is the doctor's
//! (`DescribeDBInstances`); an image older than the version that reads the setting is not
//! judged.

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::container::AppContainer;
use crate::finding::{Finding, RuleId, Severity};
use crate::profiles::image::TagVersion;
use crate::profiles::image_tag;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::DatabaseAuthMisconfigured,
    severity: Severity::High,
    other_severities: &[],
    fires_when: "the app authenticates to RDS with IAM tokens (Coder's CODER_PG_AUTH=awsiamrds) but the RDS instance its database address names has IAM database authentication off (read by the doctor from DescribeDBInstances)",
    why: "RDS refuses every IAM token while IAM database authentication is off: the app cannot \
          open a connection to its database, and retries or fails to start.",
    console: &[ConsolePage::Databases],
    suppression: Suppression::Window,
    from_log: None,
};

/// One finding per instance the container authenticates to with tokens it refuses.
pub(crate) fn database_auth_misconfigured(app: &AppContainer) -> Vec<Finding> {
    let Some(auth) = app
        .database()
        .and_then(|database| database.rds_iam_authentication.as_ref())
    else {
        return Vec::new();
    };
    let Some(setting) = app.setting(&auth.setting) else {
        return Vec::new();
    };
    let Some(value) = app.known_value(&setting) else {
        return Vec::new();
    };
    if !auth.values.iter().any(|wanted| wanted == value.trim()) {
        return Vec::new();
    }
    // An image older than the version that reads the setting ignores it.
    let older = auth
        .since
        .as_deref()
        .and_then(TagVersion::parse)
        .zip(image_tag(&app.container.image).and_then(TagVersion::parse))
        .is_some_and(|(since, tag)| tag.before(&since));
    if older {
        return Vec::new();
    }
    app.task
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
                    app.profile.name, instance.describe(), auth.setting, value.trim()
                ),
            );
            finding.evidence = vec![
                setting.describe(),
                format!("{}: IAMDatabaseAuthenticationEnabled false", instance.describe()),
            ];
            finding
                .facts
                .insert("setting".to_string(), auth.setting.clone());
            finding
                .facts
                .insert("database".to_string(), instance.id.clone());
            finding.fix = vec![
                format!(
                    "Turn on IAM database authentication: aws rds {} {} --enable-iam-database-authentication --apply-immediately (Terraform: iam_database_authentication_enabled = true).",
                    super::remediation::rds_modify(instance),
                    instance.id
                ),
                format!(
                    "Let the task role (not the execution role) rds-db:connect on arn:aws:rds-db:REGION:ACCOUNT:dbuser:<the {}>/<the URL's user>, and GRANT rds_iam TO that user in the database.",
                    if instance.is_cluster() {
                        "cluster's DbClusterResourceId"
                    } else {
                        "instance's DbiResourceId"
                    }
                ),
            ];
            finding
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
                security_groups: Vec::new(),
                subnets: Vec::new(),
                vpc_id: "vpc-1".to_string(),
                backup_retention_days: Some(7),
                deletion_protection: Some(true),
                iam_authentication: Some(iam_on),
                other_addresses: Vec::new(),
                cluster: None,
                engine: Some("postgres".to_string()),
            }),
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
}
