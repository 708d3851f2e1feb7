//! Keeps `template.yaml` true to the code: the settings the function reads, the log filter
//! pattern the profiles need, and least privilege (the role grants exactly the AWS calls the
//! code makes, plus what Lambda itself needs for the dead-letter queue and the topic's key).

use ecs_auditor::profiles::Profiles;
use ecs_auditor::scan::subscription_filter_pattern;
use regex::Regex;
use std::collections::BTreeSet;
use std::path::Path;

fn read(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).unwrap()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} not found"))
        + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end} not found"))
        + from;
    &text[from..to]
}

#[test]
fn the_function_gets_every_setting_it_reads_with_the_same_default() {
    use ecs_auditor::config::{InTemplate, SETTINGS};
    let template = read("template.yaml");
    let environment = between(&template, "Variables:", "# EventBridge");
    for setting in SETTINGS {
        let variable = setting.variable;
        let reference = match setting.in_template {
            InTemplate::Parameter(name) | InTemplate::Resource(name) => name,
            InTemplate::NotSet => {
                assert!(
                    !environment.contains(&format!("{variable}: ")),
                    "template.yaml sets {variable}, which the settings table says it does not"
                );
                continue;
            }
        };
        assert!(
            environment.contains(&format!("{variable}: !Ref {reference}\n")),
            "template.yaml does not set {variable}: !Ref {reference}"
        );
        if let InTemplate::Parameter(name) = setting.in_template {
            let parameter = between(&template, &format!("\n  {name}:\n"), "Description:");
            let default = parameter
                .lines()
                .find_map(|line| line.trim().strip_prefix("Default: "))
                .unwrap_or_else(|| panic!("parameter {name} has no Default"))
                .trim_matches('"');
            assert_eq!(
                default,
                setting.default.unwrap_or(""),
                "parameter {name}'s Default is not {variable}'s default"
            );
        }
    }
}

#[test]
fn the_default_log_filter_pattern_is_the_profiles_pattern() {
    let template = read("template.yaml");
    let parameter = between(&template, "  LogFilterPattern:", "Description:");
    let expected = subscription_filter_pattern(&Profiles::built_in().unwrap());
    assert!(
        parameter.contains(&format!("Default: \"{expected}\"")),
        "set LogFilterPattern's Default to \"{expected}\" (ecs-auditor filter-pattern)"
    );
}

/// `service:Operation` for every `client.operation()` call in the SDK adapters, every
/// `Action=Operation` of a hand-signed Query API request, and the `service:Operation`
/// constants a hand-signed request declares (`s3:GetObject`).
fn calls_in_code() -> BTreeSet<String> {
    let call = Regex::new(r"\bclient\s*\.\s*([a-z_]+)\(\)").unwrap();
    let query = Regex::new(r"Action=([A-Z][A-Za-z]+)&").unwrap();
    let declared = Regex::new(r#"const [A-Z_]+: &str = "([a-z0-9]+:[A-Z][A-Za-z]+)";"#).unwrap();
    let mut calls = BTreeSet::new();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws")).unwrap() {
        let path = entry.unwrap().path();
        let service = path.file_stem().unwrap().to_string_lossy().to_string();
        if service == "mod" {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for captures in call.captures_iter(&source) {
            let operation: String = captures[1]
                .split('_')
                .map(|word| {
                    let mut chars = word.chars();
                    chars
                        .next()
                        .unwrap()
                        .to_uppercase()
                        .chain(chars)
                        .collect::<String>()
                })
                .collect();
            calls.insert(format!("{service}:{operation}"));
        }
        for captures in query.captures_iter(&source) {
            calls.insert(format!("{service}:{}", &captures[1]));
        }
        for captures in declared.captures_iter(&source) {
            calls.insert(captures[1].to_string());
        }
    }
    calls
}

#[test]
fn the_role_grants_exactly_the_calls_the_code_makes() {
    let template = read("template.yaml");
    let policies = between(&template, "      Policies:", "      Events:");
    let action = Regex::new(r"\b([a-z0-9]+:[A-Z][A-Za-z0-9*]*)").unwrap();
    let granted: BTreeSet<String> = action
        .captures_iter(policies)
        .map(|captures| captures[1].to_string())
        .filter(|action| !action.starts_with("arn:"))
        .collect();
    // Not called by our code: Lambda sends failed events to the dead-letter queue with the
    // function's role, and publishing to a KMS-encrypted topic needs the key.
    let infrastructure: BTreeSet<String> =
        ["sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"]
            .into_iter()
            .map(str::to_string)
            .collect();
    let code = calls_in_code();
    for expected in [
        "ecs:DescribeTaskDefinition",
        "ec2:DescribeNetworkInterfaces",
        "s3:GetObject",
        "logs:FilterLogEvents",
        "dynamodb:PutItem",
        "sns:Publish",
    ] {
        assert!(
            code.contains(expected),
            "the scan of src/aws missed {expected}: {code:?}"
        );
    }
    let needed: BTreeSet<String> = code.union(&infrastructure).cloned().collect();
    assert_eq!(
        granted, needed,
        "template.yaml grants vs. what the code calls"
    );
    assert!(!policies.contains("Action: \"*\"") && !policies.contains("- \"*\"\n"));
}

#[test]
fn wildcard_resources_only_where_aws_allows_nothing_narrower() {
    let template = read("template.yaml");
    let policies = between(&template, "      Policies:", "      Events:");
    // Each statement with Resource "*" lists only actions without resource-level permissions.
    for statement in policies.split("- Sid: ").skip(1) {
        if statement.contains("Resource: \"*\"") {
            let actions: Vec<&str> = statement
                .lines()
                .filter_map(|line| line.trim().strip_prefix("- "))
                .chain(
                    statement
                        .lines()
                        .filter_map(|line| line.trim().strip_prefix("Action: ")),
                )
                .collect();
            for action in actions {
                assert!(
                    [
                        "ecs:DescribeTaskDefinition",
                        "ecs:ListClusters",
                        "ecs:ListServices",
                        "ec2:DescribeNetworkInterfaces",
                        // Service Authorization Reference: EC2's Describe actions list no
                        // resource types.
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeNetworkAcls",
                        "ec2:DescribeRouteTables",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeVpcEndpoints",
                        "ec2:DescribeNatGateways",
                        // Service Authorization Reference: no resource types.
                        "ssm:DescribeParameters",
                        // Narrowed by its ecs:cluster condition instead (template.yaml).
                        "ecs:ListTasks",
                    ]
                    .contains(&action),
                    "{action} is granted on Resource \"*\" but supports narrower resources"
                );
            }
        }
    }
}
