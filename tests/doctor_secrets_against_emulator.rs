//! The doctor's secret checks: Secrets Manager from the emulator, IAM's policy simulator (which
//! the emulator lacks) from a scripted endpoint answering in AWS's recorded shape. A task that
//! failed to start with "unable to pull secrets" gets its alert with the diagnosis in it
//! (issue 16's second "done when").

mod support;

use ecs_auditor::RuleId;
use ecs_auditor::aws::AwsInventory;
use support::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/coder-ecs-task-execution-role";

#[tokio::test]
async fn a_task_that_could_not_pull_its_secret_is_told_which_role_and_statement() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let created: serde_json::Value = serde_json::from_str(&moto.json_call(
        "secretsmanager.CreateSecret",
        r#"{"Name": "coder-postgres-url", "SecretString": "{\"url\": \"postgres://coder:not-a-real-one@db.example:5432/coder\"}"}"#,
    ))
    .unwrap();
    let secret = created["ARN"].as_str().unwrap().to_string();
    let iam = ScriptedEndpoint::start(vec![(
        200,
        simulation_answer(
            "explicitDeny",
            "secretsmanager:GetSecretValue",
            &secret,
            &[("coder-ecs-secrets-policy", 4)],
        ),
    )]);
    // The only test in this binary: no other thread reads the environment meanwhile.
    unsafe { std::env::set_var("AWS_ENDPOINT_URL_IAM", &iam.endpoint) };

    let ecs = aws_sdk_ecs::Client::new(&config);
    ecs.create_cluster()
        .cluster_name("coder-cluster")
        .send()
        .await
        .unwrap();
    register_seed_with_secret(&moto, &secret);
    // The sample failed start, with the reason ECS gives when the role may not read the
    // secret (the ECS agent's words, as in tests/real_world/events/e04-*.json).
    let reason = format!(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {secret} from secrets manager: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/coder-ecs-task-execution-role/7e1f0a2b3c4d5e6f708192a3b4c5d6e7 is not authorized to perform: secretsmanager:GetSecretValue on resource: {secret} with an explicit deny in an identity-based policy status code: 400, request id: 6e1c2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    );
    let mut event: serde_json::Value =
        serde_json::from_slice(&read_event("task-stopped-failed-to-start.json")).unwrap();
    event["detail"]["stoppedReason"] = serde_json::Value::String(reason);
    event["detail"]["taskDefinitionArn"] = serde_json::Value::String(
        "arn:aws:ecs:us-east-1:123456789012:task-definition/coder:1".to_string(),
    );
    let auditor = dry_run_auditor(&config);
    let report = auditor
        .process(&serde_json::to_vec(&event).unwrap())
        .await
        .unwrap();
    let failed: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.rule == RuleId::TaskFailedToStart)
        .collect();
    assert_eq!(failed.len(), 1, "{:#?}", report.findings);
    let failed = failed[0];
    let diagnosis = format!(
        "diagnosis (secret-not-readable): the execution role may not read secret {secret} (CODER_POSTGRES_URL of container coder): the statement at line 4 of policy coder-ecs-secrets-policy denies it"
    );
    assert!(
        failed.evidence.contains(&diagnosis),
        "{:#?}",
        failed.evidence
    );
    assert!(
        failed.fix[0].starts_with(&format!(
            "Remove or narrow the statement at line 4 of policy coder-ecs-secrets-policy, so that it no longer denies {ROLE} secretsmanager:GetSecretValue on {secret}"
        )),
        "{:#?}",
        failed.fix
    );
    // One alert, not a second one for the same cause.
    assert!(
        !report
            .findings
            .iter()
            .any(|finding| finding.rule == RuleId::SecretNotReadable)
    );
    // What was asked of IAM: the execution role, GetSecretValue, the secret's full ARN, the
    // stage ECS asks for; and of Secrets Manager no value (the emulator would have answered).
    let asked = iam.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    for part in [
        "Action=SimulatePrincipalPolicy&".to_string(),
        format!("PolicySourceArn={}", form_encoded(ROLE)),
        "ActionNames.member.1=secretsmanager%3AGetSecretValue".to_string(),
        format!("ResourceArns.member.1={}", form_encoded(&secret)),
        "ContextKeyName=secretsmanager%3AVersionStage".to_string(),
        "ContextKeyValues.member.1=AWSCURRENT".to_string(),
    ] {
        assert!(asked[0].contains(&part), "{part} not in {}", asked[0]);
    }
    let text = format!("{:?}", report.findings);
    assert!(!text.contains("not-a-real-one"), "a secret value leaked");

    // An SSM parameter: looked up in the emulator's Parameter Store, its read simulated.
    use ecs_auditor::doctor::policy_simulation::Permission;
    use ecs_auditor::doctor::secrets::ReferenceProblem;
    use ecs_auditor::inventory::Inventory;
    let (status, body) = http(
        moto.port,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "AmazonSSM.PutParameter"),
            ("Content-Type", "application/x-amz-json-1.1"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20261124/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=0",
            ),
        ],
        r#"{"Name": "/coder/db-url", "Value": "postgres://coder:not-a-real-one@db:5432/coder", "Type": "SecureString"}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let inventory = AwsInventory::new(&config, vec![]);
    let found = inventory
        .diagnose_secret(
            Some(ROLE),
            "coder",
            "CODER_PG_CONNECTION_URL",
            "/coder/db-url",
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        found.reference_checked && found.reference.is_none(),
        "{found:?}"
    );
    let Permission::No {
        action,
        resource,
        deciding,
    } = &found.readable
    else {
        panic!("{found:?}")
    };
    assert_eq!(action, "ssm:GetParameters");
    assert_eq!(
        resource,
        "arn:aws:ssm:us-east-1:123456789012:parameter/coder/db-url"
    );
    assert!(
        deciding.contains("line 4 of policy coder-ecs-secrets-policy"),
        "{deciding}"
    );
    let missing = inventory
        .diagnose_secret(
            Some(ROLE),
            "coder",
            "CODER_PG_CONNECTION_URL",
            "/coder/none",
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(missing.reference, Some(ReferenceProblem::NotFound));
}
