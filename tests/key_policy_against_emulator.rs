//! A secret under a customer managed key whose key policy names the execution role (as the
//! KMS console's "key users" do) is readable, though no IAM statement of the role names the
//! key; under a key whose policy names neither the role nor the account, it is not. KMS and
//! Secrets Manager from the emulator, IAM's policy simulator (which the emulator lacks) from a
//! scripted endpoint answering in AWS's recorded shape.

mod support;

use ecs_auditor::aws::AwsInventory;
use ecs_auditor::doctor::policy_simulation::Permission;
use ecs_auditor::inventory::Inventory;
use support::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/coder-ecs-task-execution-role";

#[tokio::test]
async fn the_key_policy_decides_with_the_roles_policies() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let key_with = |principal: &str| {
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Key administrators", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::123456789012:role/admin"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": principal},
             "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
        ]});
        let created: serde_json::Value = serde_json::from_str(&moto.json_call(
            "TrentService.CreateKey",
            &serde_json::json!({"Policy": policy.to_string()}).to_string(),
        ))
        .unwrap();
        created["KeyMetadata"]["Arn"].as_str().unwrap().to_string()
    };
    let secret_under = |name: &str, key: &str| {
        let created: serde_json::Value = serde_json::from_str(&moto.json_call(
            "secretsmanager.CreateSecret",
            &serde_json::json!({"Name": name, "KmsKeyId": key, "SecretString": "postgres://coder:not-a-real-one@db:5432/coder"}).to_string(),
        ))
        .unwrap();
        created["ARN"].as_str().unwrap().to_string()
    };
    let roles_key = key_with(ROLE);
    let for_the_role = secret_under("coder-url", &roles_key);
    let other_key = key_with("arn:aws:iam::123456789012:role/someone-else");
    let for_another = secret_under("coder-url-2", &other_key);
    // The role's own policies allow GetSecretValue and say nothing of the key.
    let iam = ScriptedEndpoint::start(vec![
        (
            200,
            simulation_answer(
                "allowed",
                "secretsmanager:GetSecretValue",
                &for_the_role,
                &[],
            ),
        ),
        (
            200,
            simulation_answer("implicitDeny", "kms:Decrypt", "*", &[]),
        ),
        (
            200,
            simulation_answer(
                "allowed",
                "secretsmanager:GetSecretValue",
                &for_another,
                &[],
            ),
        ),
        (
            200,
            simulation_answer("implicitDeny", "kms:Decrypt", "*", &[]),
        ),
    ]);
    // The only test in this binary: no other thread reads the environment meanwhile.
    unsafe { std::env::set_var("AWS_ENDPOINT_URL_IAM", &iam.endpoint) };
    let inventory = AwsInventory::new(&config, vec![]);
    let diagnose = |value_from: String| {
        let inventory = &inventory;
        async move {
            inventory
                .diagnose_secret(Some(ROLE), "coder", "CODER_PG_CONNECTION_URL", &value_from)
                .await
                .unwrap()
                .unwrap()
        }
    };

    let named = diagnose(for_the_role.clone()).await;
    assert_eq!(named.readable, Permission::Yes, "{named:?}");
    assert_eq!(
        named.key.as_deref(),
        Some(roles_key.as_str()),
        "the key was weighed"
    );
    let unnamed = diagnose(for_another.clone()).await;
    let Permission::No {
        action,
        resource,
        deciding,
    } = &unnamed.readable
    else {
        panic!("{unnamed:?}")
    };
    assert_eq!(action, "kms:Decrypt");
    assert_eq!(resource, &other_key);
    assert_eq!(
        deciding,
        &format!(
            "the key policy of {other_key} neither allows the role nor lets IAM policies grant access (no statement for arn:aws:iam::123456789012:root), and no grant gives it Decrypt"
        )
    );
    // kms:Decrypt was simulated on the key's ARN, through Secrets Manager.
    let asked = iam.requests();
    assert_eq!(asked.len(), 4, "{asked:?}");
    assert!(
        asked[1].contains("ActionNames.member.1=kms%3ADecrypt"),
        "{}",
        asked[1]
    );
    assert!(
        asked[1].contains("ContextKeyValues.member.1=secretsmanager.us-east-1.amazonaws.com"),
        "{}",
        asked[1]
    );
}
