//! `check` on the seed's task definition as a task definition file and as a Terraform plan.

use super::*;
use serde_json::{Value, json};

const SEED: &str = include_str!("../../events/task-definitions/coder-seed.json");
const FIXED: &str = include_str!("../../events/task-definitions/coder-fixed.json");

fn rules_of(checked: &Checked) -> Vec<String> {
    let mut rules: Vec<String> = checked
        .findings
        .iter()
        .map(|finding| finding.rule.to_string())
        .collect();
    rules.sort();
    rules
}

fn check(text: &str) -> Vec<Checked> {
    check_text("file.json", text, &Profiles::built_in().unwrap()).unwrap()
}

/// The seed's task definition as `terraform show -json` writes a plan that creates it:
/// `container_definitions` a JSON string, `volume` blocks in snake_case, inside a module.
fn plan_of(definition: &str, volumes: Value, after_unknown: Value) -> String {
    let definition: Value = serde_json::from_str(definition).unwrap();
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": [
            {
                "address": "module.coder.aws_ecs_task_definition.coder",
                "module_address": "module.coder",
                "mode": "managed",
                "type": "aws_ecs_task_definition",
                "name": "coder",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": ["create"],
                    "before": null,
                    "after": {
                        "family": "coder",
                        "container_definitions": definition["containerDefinitions"].to_string(),
                        "cpu": "1024",
                        "memory": "2048",
                        "network_mode": "awsvpc",
                        "requires_compatibilities": ["FARGATE"],
                        "volume": volumes,
                        "tags": null
                    },
                    "after_unknown": after_unknown,
                    "before_sensitive": false,
                    "after_sensitive": {"volume": [], "tags_all": {}}
                }
            },
            {
                "address": "aws_ecs_cluster.coder",
                "mode": "managed",
                "type": "aws_ecs_cluster",
                "name": "coder",
                "change": {"actions": ["create"], "before": null, "after": {"name": "coder"}, "after_unknown": {"arn": true}}
            }
        ]
    })
    .to_string()
}

#[test]
fn the_seed_task_definition_file_fails_and_the_fixed_one_passes() {
    let seed = check(SEED);
    assert_eq!(seed.len(), 1);
    assert_eq!(seed[0].resource, "coder");
    assert_eq!(
        rules_of(&seed[0]),
        ["database-setting-misnamed", "ephemeral-data-directory"]
    );
    let report = CheckReport {
        checked: seed,
        ..Default::default()
    };
    assert!(report.fails(Severity::High));
    let fixed = CheckReport {
        checked: check(FIXED),
        ..Default::default()
    };
    assert_eq!(rules_of(&fixed.checked[0]), Vec::<String>::new());
    assert!(!fixed.fails(Severity::Low));
}

#[test]
fn describe_task_definition_output_is_read_too() {
    let definition: Value = serde_json::from_str(SEED).unwrap();
    let mut described = definition.clone();
    described["taskDefinitionArn"] =
        json!("arn:aws:ecs:us-east-1:123456789012:task-definition/coder:7");
    described["revision"] = json!(7);
    let checked = check(&json!({"taskDefinition": described, "tags": []}).to_string());
    assert_eq!(checked[0].resource, "coder:7");
    assert_eq!(
        rules_of(&checked[0]),
        ["database-setting-misnamed", "ephemeral-data-directory"]
    );
}

#[test]
fn the_seed_as_a_terraform_plan_gives_the_same_findings() {
    let checked = check(&plan_of(
        SEED,
        json!([]),
        json!({"arn": true, "revision": true}),
    ));
    assert_eq!(checked.len(), 1, "only the task definition is checked");
    assert_eq!(
        checked[0].resource,
        "module.coder.aws_ecs_task_definition.coder"
    );
    assert_eq!(
        rules_of(&checked[0]),
        ["database-setting-misnamed", "ephemeral-data-directory"]
    );
    let fixed = check(&plan_of(FIXED, json!([]), json!({})));
    assert_eq!(rules_of(&fixed[0]), Vec::<String>::new());
}

#[test]
fn an_efs_volume_block_in_a_plan_holds_the_data() {
    // The seed with Coder's home on EFS, the file system created by the same plan (its id
    // unknown until apply): the data outlives the task.
    let mut seed: Value = serde_json::from_str(SEED).unwrap();
    seed["containerDefinitions"][0]["secrets"][0]["name"] = json!("CODER_PG_CONNECTION_URL");
    seed["containerDefinitions"][0]["mountPoints"] =
        json!([{"sourceVolume": "home", "containerPath": "/home/coder"}]);
    let volumes = json!([{
        "name": "home",
        "host_path": null,
        "configure_at_launch": false,
        "docker_volume_configuration": [],
        "efs_volume_configuration": [{"root_directory": "/", "transit_encryption": "ENABLED", "authorization_config": []}],
        "fsx_windows_file_server_volume_configuration": []
    }]);
    let unknown = json!({"volume": [{"efs_volume_configuration": [{"file_system_id": true}]}]});
    let checked = check(&plan_of(&seed.to_string(), volumes, unknown));
    assert_eq!(rules_of(&checked[0]), Vec::<String>::new());
}

#[test]
fn unknown_container_definitions_are_not_checked_and_never_pass() {
    let plan: Value = serde_json::from_str(&plan_of(SEED, json!([]), json!({}))).unwrap();
    let mut plan = plan;
    let change = &mut plan["resource_changes"][0]["change"];
    change["after"]
        .as_object_mut()
        .unwrap()
        .remove("container_definitions");
    change["after_unknown"] = json!({"container_definitions": true, "arn": true});
    let checked = check(&plan.to_string());
    assert_eq!(checked[0].findings, vec![]);
    assert!(checked[0].not_checked[0].contains("not known until apply"));
    let report = CheckReport {
        checked,
        ..Default::default()
    };
    assert!(
        report.fails(Severity::Critical),
        "what was not seen never passes"
    );
    assert!(output::summary(&report, Severity::High).contains("1 could not be checked"));
}

#[test]
fn a_task_definition_the_plan_only_deletes_is_not_checked() {
    let mut plan: Value = serde_json::from_str(&plan_of(SEED, json!([]), json!({}))).unwrap();
    plan["resource_changes"][0]["change"]["actions"] = json!(["delete"]);
    assert_eq!(check(&plan.to_string()), vec![]);
}

#[test]
fn unreadable_files_say_why() {
    let profiles = Profiles::built_in().unwrap();
    let error = check_text("x.json", "{not json", &profiles).unwrap_err();
    assert!(matches!(error, InputError::NotJson(_)));
    let error = check_text("x.json", r#"{"family": "coder"}"#, &profiles).unwrap_err();
    assert_eq!(error, InputError::UnknownKind);
    let error = check_text(
        "x.json",
        r#"{"containerDefinitions": [{"name": 7}]}"#,
        &profiles,
    )
    .unwrap_err();
    assert!(matches!(error, InputError::Malformed { .. }), "{error}");
}

#[test]
fn outputs_keep_passwords_out() {
    let password = "xR7pf7MPgZyIChIXWqwO3srnp0Gflg";
    let mut seed: Value = serde_json::from_str(SEED).unwrap();
    seed["containerDefinitions"][0]["environment"] = json!([{
        "name": "CODER_PG_CONNECTION_URL",
        "value": format!("postgres://coder:{password}@db.example.com:5432/coder")
    }]);
    let checked = check(&seed.to_string());
    assert!(rules_of(&checked[0]).contains(&"plaintext-database-credentials".to_string()));
    let report = CheckReport {
        checked,
        ..Default::default()
    };
    let text = output::text(&report, Severity::High, false);
    let json = output::json(&report, Severity::High);
    assert!(!text.contains(password), "{text}");
    assert!(!json.contains(password), "{json}");
    let document: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(document["fails"], json!(true));
    assert!(text.contains("plaintext-database-credentials"));
}

#[test]
fn a_plan_that_removes_the_efs_volume_is_persistence_removed() {
    // Coder on its built-in PostgreSQL with its home on EFS; the change drops the volume.
    let mut kept: Value = serde_json::from_str(SEED).unwrap();
    kept["containerDefinitions"][0]["secrets"] = json!([]);
    kept["containerDefinitions"][0]["mountPoints"] =
        json!([{"sourceVolume": "home", "containerPath": "/home/coder"}]);
    let mut dropped = kept.clone();
    dropped["containerDefinitions"][0]["mountPoints"] = json!([]);
    let efs = json!([{"name": "home", "efs_volume_configuration": [{"file_system_id": "fs-0123456789abcdef0"}]}]);
    let mut plan: Value =
        serde_json::from_str(&plan_of(&dropped.to_string(), json!([]), json!({}))).unwrap();
    let change = &mut plan["resource_changes"][0]["change"];
    change["actions"] = json!(["delete", "create"]);
    change["before"] = json!({
        "family": "coder",
        "container_definitions": kept["containerDefinitions"].to_string(),
        "volume": efs
    });
    let checked = check(&plan.to_string());
    assert!(
        rules_of(&checked[0]).contains(&"persistence-removed".to_string()),
        "{:?}",
        rules_of(&checked[0])
    );
    // The same change without the removal: no persistence-removed.
    change_after_is_before(&mut plan);
    let checked = check(&plan.to_string());
    assert!(!rules_of(&checked[0]).contains(&"persistence-removed".to_string()));
}

fn change_after_is_before(plan: &mut Value) {
    let change = &mut plan["resource_changes"][0]["change"];
    change["after"] = change["before"].clone();
}

// CloudFormation and SAM templates.

const SEED_TEMPLATE: &str = include_str!("../../events/templates/coder-seed.yaml");
const FIXED_TEMPLATE: &str = include_str!("../../events/templates/coder-fixed.yaml");

/// A template with one Coder task definition: `container` is its one container definition
/// (YAML, indented by 8), `extra` more properties of the task definition (indented by 6).
fn template(parameters: &str, container: &str, extra: &str) -> String {
    format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nParameters:\n  Unused:\n    Type: String\n{parameters}Resources:\n  Td:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Family: coder\n{extra}      ContainerDefinitions:\n        - Name: coder\n          Image: ghcr.io/coder/coder:v2.18.0\n{container}"
    )
}

#[test]
fn the_seed_as_a_cloudformation_template_fails_and_the_fixed_one_passes() {
    let checked = check(SEED_TEMPLATE);
    assert_eq!(checked.len(), 1, "one task definition among four resources");
    assert_eq!(checked[0].resource, "CoderTaskDefinition");
    assert_eq!(
        rules_of(&checked[0]),
        ["database-setting-misnamed", "ephemeral-data-directory"]
    );
    assert!(
        checked[0].not_checked.is_empty(),
        "{:?}",
        checked[0].not_checked
    );
    // The image came from a parameter's Default: the findings say so.
    assert!(
        checked[0].findings[0].evidence.iter().any(
            |line| line.starts_with("judged on the Defaults of template parameters CoderImage")
        )
    );
    let fixed = check(FIXED_TEMPLATE);
    assert_eq!(fixed[0].findings, vec![]);
    assert!(
        !CheckReport {
            checked: fixed,
            ..Default::default()
        }
        .fails(Severity::Low)
    );

    // The same template in JSON, intrinsics in their long form.
    let as_json =
        serde_json::to_string_pretty(&document::Document::parse(SEED_TEMPLATE).unwrap().value)
            .unwrap();
    assert!(as_json.contains("\"Fn::GetAtt\""));
    assert_eq!(rules_of(&check(&as_json)[0]), rules_of(&checked[0]));
}

#[test]
fn a_parameter_default_is_judged_and_the_finding_says_so() {
    let text = template(
        "  DatabaseUrl:\n    Type: String\n    Default: postgres://coder@db.example.com:5432:5432/coder\n",
        "          Environment:\n            - Name: CODER_PG_CONNECTION_URL\n              Value: !Ref DatabaseUrl\n",
        "",
    );
    let checked = check(&text);
    assert_eq!(rules_of(&checked[0]), ["database-url-malformed"]);
    assert!(
        checked[0].findings[0]
            .evidence
            .iter()
            .any(|line| line.contains("Defaults of template parameters DatabaseUrl")),
        "{:?}",
        checked[0].findings[0].evidence
    );
}

#[test]
fn a_value_known_only_at_deployment_is_not_checked_and_never_passes() {
    // No Default: the URL is only known when the stack is deployed.
    let text = template(
        "  DatabaseUrl:\n    Type: String\n    NoEcho: true\n",
        "          Environment:\n            - Name: CODER_PG_CONNECTION_URL\n              Value: !Sub 'postgres://coder@${Db.Endpoint.Address}:${DbPort}/coder'\n            - Name: CODER_TELEMETRY_ENABLE\n              Value: !Ref AWS::NoValue\n            - Name: LOG_REGION\n              Value: !Ref AWS::Region\n",
        "",
    );
    let checked = check(&text);
    assert_eq!(checked[0].findings, vec![], "no guess on an unknown URL");
    assert_eq!(
        checked[0].not_checked.len(),
        1,
        "{:?}",
        checked[0].not_checked
    );
    assert!(
        checked[0].not_checked[0].contains("CODER_PG_CONNECTION_URL")
            && checked[0].not_checked[0].contains("${Db.Endpoint.Address}"),
        "{:?}",
        checked[0].not_checked
    );
    assert!(
        CheckReport {
            checked,
            ..Default::default()
        }
        .fails(Severity::Critical)
    );

    // The whole Environment chosen by a condition: nothing of the container is known.
    let hidden = template(
        "",
        "          Environment: !If [IsProd, [{Name: CODER_PG_CONNECTION_URL, Value: x}], !Ref AWS::NoValue]\n",
        "",
    );
    let checked = check(&hidden);
    assert_eq!(checked[0].findings, vec![]);
    assert!(
        checked[0].not_checked[0]
            .contains("ContainerDefinitions/0/Environment is chosen at deployment (Fn::If)"),
        "{:?}",
        checked[0].not_checked
    );

    // An image known only at deployment, with no setting that names the app.
    let image = "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  ImageUri:\n    Type: String\nResources:\n  Td:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: app\n          Image: !Ref ImageUri\n";
    let checked = check(image);
    assert!(
        checked[0].not_checked[0].contains("image ${ImageUri} is known only at deployment"),
        "{:?}",
        checked[0].not_checked
    );
}

#[test]
fn a_secret_resolved_into_environment_is_plaintext() {
    for value in [
        "'{{resolve:secretsmanager:coder/db:SecretString:url}}'",
        "!Sub 'postgres://coder:{{resolve:secretsmanager:${DbSecret}:SecretString:password}}@${Db.Endpoint.Address}:5432/coder'",
    ] {
        let text = template(
            "",
            &format!(
                "          Environment:\n            - Name: CODER_PG_CONNECTION_URL\n              Value: {value}\n"
            ),
            "",
        );
        let checked = check(&text);
        assert_eq!(
            rules_of(&checked[0]),
            ["plaintext-database-credentials"],
            "{value}"
        );
        let finding = &checked[0].findings[0];
        assert!(
            finding.evidence[0].contains("in clear text at deployment"),
            "{:?}",
            finding.evidence
        );
        assert!(finding.fix[0].contains("`Secrets`"), "{:?}", finding.fix);
        // A secret inside a URL is one part of it: the whole URL goes into a secret.
        assert_eq!(
            finding.fix[0].contains("store the whole value"),
            value.starts_with("!Sub"),
            "{:?}",
            finding.fix
        );
        assert!(
            !finding.evidence[0].contains("password}}"),
            "redacted: {:?}",
            finding.evidence
        );
    }
    // A secret reference in `Secrets`, from a resource of the same template: nothing to say.
    let text = template(
        "",
        "          Secrets:\n            - Name: CODER_PG_CONNECTION_URL\n              ValueFrom: !Ref DatabaseUrl\n",
        "",
    );
    let checked = check(&text);
    assert_eq!(checked[0].findings, vec![]);
    assert!(checked[0].not_checked.is_empty());
}

#[test]
fn an_efs_volume_from_the_same_template_holds_the_data() {
    let text = template(
        "",
        "          MountPoints:\n            - SourceVolume: data\n              ContainerPath: /home/coder/.config/coderv2\n              ReadOnly: false\n",
        "      Volumes:\n        - Name: data\n          EFSVolumeConfiguration:\n            FilesystemId: !Ref FileSystem\n            TransitEncryption: ENABLED\n",
    );
    let checked = check(&text);
    // EFS at the data directory: no ephemeral-data-directory; the built-in database on EFS
    // is its own finding.
    assert!(
        !rules_of(&checked[0]).contains(&"ephemeral-data-directory".to_string()),
        "{:?}",
        rules_of(&checked[0])
    );
    assert!(checked[0].not_checked.is_empty());
}

#[test]
fn templates_without_task_definitions_and_bad_yaml() {
    let none = check("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n");
    assert_eq!(none, vec![]);
    let error = check_text(
        "t.yaml",
        "Resources:\n  - a\n  b: c\n",
        &Profiles::built_in().unwrap(),
    )
    .unwrap_err();
    assert!(matches!(error, InputError::NotYaml(_)), "{error}");
    assert!(error.to_string().contains("line 3"), "{error}");
}

/// The seed's last fault: the fixed task definition takes CODER_PG_CONNECTION_URL from a secret
/// the same plan writes, built from the RDS `endpoint` (which already ends in :5432) and
/// `:5432` again.
#[test]
fn a_secret_the_plan_writes_is_judged_like_a_plain_url_and_never_shown() {
    let mut plan: Value = serde_json::from_str(&plan_of(FIXED, json!([]), json!({}))).unwrap();
    let url =
        "postgres://coder:S3cretPw@coder-db.abc123.us-east-1.rds.amazonaws.com:5432:5432/coder";
    plan["resource_changes"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "address": "aws_secretsmanager_secret_version.coder_postgres_url",
            "mode": "managed",
            "type": "aws_secretsmanager_secret_version",
            "name": "coder_postgres_url",
            "change": {
                "actions": ["update"],
                "before": {"secret_id": "arn:aws:secretsmanager:us-east-1:123456789012:secret:coder-postgres-url-PO7CI7", "secret_string": "{\"url\": \"old\"}"},
                "after": {
                    "secret_id": "arn:aws:secretsmanager:us-east-1:123456789012:secret:coder-postgres-url-PO7CI7",
                    "secret_string": json!({"url": url}).to_string(),
                    "version_stages": null
                },
                "after_unknown": {"version_id": true, "version_stages": true},
                "after_sensitive": {"secret_string": true}
            }
        }));
    let checked = check(&plan.to_string());
    assert_eq!(rules_of(&checked[0]), ["database-url-malformed"]);
    let finding = &checked[0].findings[0];
    assert!(
        finding.summary.contains("CODER_PG_CONNECTION_URL"),
        "{}",
        finding.summary
    );
    assert!(finding.fix[0].contains("`address`"), "{:?}", finding.fix);
    let report = CheckReport {
        checked,
        ..Default::default()
    };
    for shown in [
        output::json(&report, Severity::High),
        output::text(&report, Severity::High, false),
        sarif::sarif(&report),
        format!("{:?}", report.checked),
    ] {
        assert!(!shown.contains("S3cretPw"), "{shown}");
        assert!(
            !shown.contains("abc123"),
            "the secret's host stays in it too: {shown}"
        );
    }
    // Without the secret in the plan, the same task definition passes (its value unseen).
    let plain = check(&plan_of(FIXED, json!([]), json!({})));
    assert_eq!(plain[0].findings, vec![]);
}

#[test]
fn template_values_as_cloudformation_takes_them() {
    // An empty Default is left to whoever deploys: not judged as "no database".
    let text = template(
        "  DatabaseUrl:\n    Type: String\n    Default: ''\n",
        "          Environment:\n            - Name: CODER_PG_CONNECTION_URL\n              Value: !Ref DatabaseUrl\n          MountPoints:\n            - SourceVolume: data\n              ContainerPath: /home/coder/.config/coderv2\n              ReadOnly: 'false'\n",
        "      Volumes:\n        - Name: data\n          EFSVolumeConfiguration:\n            FilesystemId: fs-0123456789abcdef0\n",
    );
    let checked = check(&text);
    assert_eq!(checked[0].findings, vec![]);
    assert!(
        checked[0].not_checked[0].contains("CODER_PG_CONNECTION_URL = ${DatabaseUrl}"),
        "{:?}",
        checked[0].not_checked
    );
    // Properties that are not a mapping: an error naming the resource, no panic.
    let error = check_text(
        "t.yaml",
        "Resources:\n  Td:\n    Type: AWS::ECS::TaskDefinition\n    Properties: [1]\n",
        &Profiles::built_in().unwrap(),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Td (AWS::ECS::TaskDefinition): "),
        "{error}"
    );
    // YAML anchors and aliases are followed.
    let alias = "Resources:\n  Td:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Family: &f coder\n      Other: *f\n";
    let document = document::Document::parse(alias).unwrap();
    assert_eq!(
        document.value["Resources"]["Td"]["Properties"]["Other"],
        "coder"
    );
}

/// Parameter values given as the stack is deployed win over Defaults and settle what only
/// deployment would know (the n8n case's mount path, from its repository's parameters file).
#[test]
fn given_parameter_values_are_judged_as_written() {
    let template =
        include_str!("../../tests/real_world/templates/c06-n8n-efs-path-and-image-parameters.yaml");
    let profiles = Profiles::built_in().unwrap();
    let undecided = check_text("t.yaml", template, &profiles).unwrap();
    assert_eq!(undecided[0].findings, vec![]);
    assert_eq!(undecided[0].not_checked.len(), 1);

    let given = TemplateParameters::from_json(
        r#"[{"ParameterKey": "ImagePath", "ParameterValue": "docker.n8n.io/n8nio/n8n"},
            {"ParameterKey": "EfsMountPath", "ParameterValue": "/home/node/.n8n"}]"#,
    )
    .unwrap();
    let deployed = check_text_with("t.yaml", template, &profiles, &given).unwrap();
    assert_eq!(deployed[0].findings, vec![]);
    assert_eq!(deployed[0].not_checked, Vec::<String>::new());

    let mut elsewhere = given.clone();
    elsewhere.set("EfsMountPath=/mnt/elsewhere").unwrap();
    let checked = check_text_with("t.yaml", template, &profiles, &elsewhere).unwrap();
    assert_eq!(rules_of(&checked[0]), ["ephemeral-data-directory"]);
    assert!(
        !checked[0].findings[0]
            .evidence
            .iter()
            .any(|line| line.contains("judged on the Defaults")),
        "a given value is not a Default"
    );
}

/// Found by trying `check` as a new user: a value with `password=` in it broke the JSON report
/// (the redactor ran over the serialized text and took the closing quote).
#[test]
fn reports_stay_valid_json_whatever_the_values() {
    for url in [
        "jdbc:postgresql://db:5432/kc?password=TopSecret99",
        "jdbc:postgresql://db:5432/kc?ssl=true&password=TopSecret99",
        "jdbc:sqlserver://db:1433;password=TopSecret99",
        "postgres://kc:TopSecret99@db/kc\"",
    ] {
        let definition = json!({
            "family": "keycloak",
            "containerDefinitions": [{"name": "keycloak", "image": "quay.io/keycloak/keycloak:26.0",
                "command": ["start"],
                "environment": [{"name": "KC_DB", "value": "postgres"}, {"name": "KC_DB_URL", "value": url}]}]
        });
        let report = CheckReport {
            checked: check(&definition.to_string()),
            ..Default::default()
        };
        for shown in [output::json(&report, Severity::High), sarif::sarif(&report)] {
            let parsed: Result<Value, _> = serde_json::from_str(&shown);
            assert!(parsed.is_ok(), "{url}: {shown}");
            assert!(!shown.contains("TopSecret99"), "{shown}");
        }
    }
}

/// A parameter of an SSM type names an SSM parameter: its Default is not the value.
#[test]
fn an_ssm_parameter_default_is_not_its_value() {
    let text = template(
        "  CoderDbUrl:\n    Type: AWS::SSM::Parameter::Value<String>\n    Default: /coder/db-url\n",
        "          Environment:\n            - Name: CODER_PG_CONNECTION_URL\n              Value: !Ref CoderDbUrl\n",
        "",
    );
    let checked = check(&text);
    assert_eq!(checked[0].findings, vec![], "not a malformed URL");
    assert!(
        checked[0].not_checked[0].contains("CODER_PG_CONNECTION_URL"),
        "{:?}",
        checked[0].not_checked
    );
    // Nor is a value given for it.
    let mut given = TemplateParameters::default();
    given.set("CoderDbUrl=/coder/other").unwrap();
    let checked = check_text_with("t.yaml", &text, &Profiles::built_in().unwrap(), &given).unwrap();
    assert_eq!(checked[0].findings, vec![]);
    assert_eq!(checked[0].not_checked.len(), 1);
}

/// `audit-incomplete` says a check did not run: whatever its severity, the run fails.
#[test]
fn an_incomplete_audit_never_passes() {
    let text = template(
        "",
        "          EntryPoint: [sh, -c]\n          Command: ['. /config/env.sh && exec /opt/coder server']\n",
        "",
    );
    let checked = check(&text);
    assert_eq!(rules_of(&checked[0]), ["audit-incomplete"]);
    assert!(checked[0].findings[0].severity < Severity::High);
    assert!(
        CheckReport {
            checked,
            ..Default::default()
        }
        .fails(Severity::Critical)
    );
}

/// Conditions over parameters known before deployment choose their branch (the Defaults said);
/// over anything else they stay unknown.
#[test]
fn conditions_on_parameter_defaults_choose_their_branch() {
    let with = |use_efs: &str, condition: &str| {
        format!(
            "Parameters:\n  UseEfs:\n    Type: String\n    Default: '{use_efs}'\nConditions:\n  HasEfs: {condition}\n  NoEfs: !Not [!Condition HasEfs]\nResources:\n  Td:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: coder\n          Image: ghcr.io/coder/coder:v2.18.0\n          Environment:\n            - Name: CODER_PG_CONNECTION_URL\n              Value: !If [NoEfs, !Ref AWS::NoValue, postgres://coder@db.example.com/coder]\n          MountPoints: !If\n            - HasEfs\n            - [{{SourceVolume: data, ContainerPath: /home/coder/.config/coderv2}}]\n            - !Ref AWS::NoValue\n      Volumes:\n        - !If [HasEfs, {{Name: data, EFSVolumeConfiguration: {{FilesystemId: fs-1}}}}, !Ref AWS::NoValue]\n  Unused:\n    Type: AWS::ECS::TaskDefinition\n    Condition: NoEfs\n    Properties:\n      ContainerDefinitions: [{{Name: x, Image: grafana/grafana}}]\n"
        )
    };
    let equals = "!Equals [!Ref UseEfs, 'true']";
    let on = check(&with("true", equals));
    assert_eq!(
        on.len(),
        1,
        "the resource whose condition is false is not created"
    );
    assert_eq!(on[0].findings, vec![]);
    assert!(on[0].not_checked.is_empty(), "{:?}", on[0].not_checked);
    assert_eq!(on[0].parameter_defaults, ["UseEfs"]);

    let off = check(&with("false", equals));
    assert_eq!(off.len(), 2);
    assert!(
        rules_of(&off[0]).contains(&"ephemeral-data-directory".to_string()),
        "{:?}",
        rules_of(&off[0])
    );
    assert_eq!(off[0].parameter_defaults, ["UseEfs"]);

    // A condition on the region is decided only at deployment.
    let unknown = check(&with("true", "!Equals [!Ref 'AWS::Region', us-east-1]"));
    assert_eq!(unknown.len(), 2);
    assert_eq!(unknown[0].findings, vec![]);
    assert!(
        unknown[0].not_checked[0].contains("MountPoints is chosen at deployment (Fn::If)"),
        "{:?}",
        unknown[0].not_checked
    );
}
