//! `database-auth-misconfigured` for a task role that may not `rds-db:connect`: the RDS
//! instance (IAM authentication on), the network and the running task from the emulator, IAM's
//! policy simulator (which the emulator lacks) from a scripted endpoint answering in AWS's
//! recorded shape.

mod support;

use ecs_auditor::RuleId;
use support::*;

const TASK_ROLE: &str = "arn:aws:iam::123456789012:role/coder-task-role";

#[tokio::test]
async fn a_task_role_that_may_not_connect_as_the_urls_user_is_named() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let (task_subnet, task_group) = network(&moto).await;
    let Database {
        group: database_group,
        host,
    } = rds_instance_behind_its_own_group(
        &moto,
        &task_subnet,
        "&EnableIAMDatabaseAuthentication=true",
    );
    // The path is open (the task's group may reach the database's port): only IAM is left.
    moto.query_call(
        "ec2",
        &format!(
            "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId={database_group}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=5432&IpPermissions.1.ToPort=5432&IpPermissions.1.Groups.1.GroupId={task_group}"
        ),
    );
    let described = moto.query_call(
        "rds",
        "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=coder-postgres",
    );
    let dbuser = format!(
        "arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:{}/coder",
        xml_value(&described, "DbiResourceId")
    );
    let iam = ScriptedEndpoint::start(vec![
        (
            200,
            simulation_answer("implicitDeny", "rds-db:connect", &dbuser, &[]),
        ),
        // Then the auditor's own role loses iam:SimulatePrincipalPolicy (IAM's error shape).
        (
            403,
            r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/ecs-auditor/x is not authorized to perform: iam:SimulatePrincipalPolicy</Message></Error><RequestId>1</RequestId></ErrorResponse>"#.to_string(),
        ),
    ]);
    // The only test in this binary: no other thread reads the environment meanwhile.
    unsafe { std::env::set_var("AWS_ENDPOINT_URL_IAM", &iam.endpoint) };

    let (_, event) = run_seed_with_environment(
        &moto,
        &config,
        serde_json::json!([
            {"name": "CODER_PG_AUTH", "value": "awsiamrds"},
            {"name": "CODER_PG_CONNECTION_URL", "value": format!("postgres://coder@{host}:5432/coder?sslmode=require")}
        ]),
        Some(TASK_ROLE),
        &task_subnet,
        &task_group,
    )
    .await;
    let auditor = dry_run_auditor(&config);
    let report = auditor.process(&event).await.unwrap();
    let rules: Vec<RuleId> = report.findings.iter().map(|finding| finding.rule).collect();
    assert!(!rules.contains(&RuleId::DatabaseUnreachable), "{rules:?}");
    let denied: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.rule == RuleId::DatabaseAuthMisconfigured)
        .collect();
    assert_eq!(denied.len(), 1, "{:#?}", report.findings);
    assert_eq!(
        denied[0].summary,
        format!(
            "Coder signs IAM tokens for RDS instance coder-postgres as coder (CODER_PG_AUTH=awsiamrds), but task role {TASK_ROLE} may not rds-db:connect there: no statement in the policies of {TASK_ROLE} allows it"
        )
    );
    assert!(denied[0].fix[0].contains(&dbuser), "{:?}", denied[0].fix);

    // What IAM was asked: the task role (not the execution role), rds-db:connect, the dbuser
    // ARN from the instance's own ARN and DbiResourceId.
    let asked = iam.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    for part in [
        "Action=SimulatePrincipalPolicy&".to_string(),
        format!("PolicySourceArn={}", form_encoded(TASK_ROLE)),
        "ActionNames.member.1=rds-db%3Aconnect".to_string(),
        format!("ResourceArns.member.1={}", form_encoded(&dbuser)),
    ] {
        assert!(asked[0].contains(&part), "{part} not in {}", asked[0]);
    }

    // The same task audited again within the minute: the same verdict, and IAM not asked again.
    let again = auditor.process(&event).await.unwrap();
    assert!(
        again
            .findings
            .iter()
            .any(|finding| finding.rule == RuleId::DatabaseAuthMisconfigured),
        "{:#?}",
        again.findings
    );
    assert_eq!(iam.requests().len(), 1);

    // A cold function whose simulation is refused: no verdict on the task role, and said so
    // (audit-incomplete with the refused call in its evidence: one alert per rule and place,
    // merged with this task's other gap), never a pass.
    let cold = dry_run_auditor(&config);
    let refused = cold.process(&event).await.unwrap();
    assert_eq!(iam.requests().len(), 2, "the cold function asked IAM");
    assert!(
        !refused
            .findings
            .iter()
            .any(|finding| finding.rule == RuleId::DatabaseAuthMisconfigured),
        "{:#?}",
        refused.findings
    );
    assert!(
        refused
            .findings
            .iter()
            .any(|finding| finding.rule == RuleId::AuditIncomplete
                && finding.evidence.iter().any(|line| {
                    line.contains("iam:SimulatePrincipalPolicy") && line.contains("AccessDenied")
                })),
        "{:#?}",
        refused.findings
    );
}
