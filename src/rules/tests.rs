//! The configuration rules together: what fires for whole task definitions.

use super::*;
use crate::rules::testing::*;

#[test]
fn a_correct_setup_has_no_database_finding() {
    let (mounts, volumes) = no_mounts();
    let task = task_with(coder_definition(
        serde_json::json!([{"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:3000"}]),
        serde_json::json!([{"name": "CODER_PG_CONNECTION_URL", "valueFrom": SEED_SECRET}]),
        mounts,
        volumes,
    ));
    assert_eq!(rules_fired(&task), vec![]);
}

#[test]
fn a_setting_read_from_a_file_counts_as_set_where_the_app_reads_files() {
    use RuleId::*;
    let from_file =
        serde_json::json!([{"name": "DATABASE_URL_FILE", "value": "/run/secrets/db-url"}]);
    assert_eq!(shaped("example/schemed", from_file.clone()), vec![]);
    // The near miss stands for a setting that is set (from its file): not a mistake.
    let mut with_near_miss = from_file.as_array().unwrap().clone();
    with_near_miss.push(serde_json::json!({"name": "DATABASE_URI", "value": "postgres://db/vw"}));
    assert_eq!(
        shaped("example/schemed", serde_json::Value::Array(with_near_miss)),
        vec![]
    );
    // An empty file name is no setting; a profile without file_suffix reads no files.
    assert_eq!(
        shaped(
            "example/schemed",
            serde_json::json!([{"name": "DATABASE_URL_FILE", "value": " "}])
        ),
        vec![NoExternalDatabase, EphemeralDataDirectory]
    );
    assert_eq!(
        shaped(
            "example/typed",
            serde_json::json!([{"name": "DB_TYPE_FILE", "value": "/run/secrets/type"}])
        ),
        vec![NoExternalDatabase, EphemeralDataDirectory]
    );
}

#[test]
fn other_containers_are_not_judged_as_coder() {
    let task = task_with(serde_json::json!({
        "family": "web", "revision": 1,
        "containerDefinitions": [{"name": "nginx", "image": "nginx:1.27"}]
    }));
    assert_eq!(rules_fired(&task), vec![]);
}

#[test]
fn every_rule_is_declared_exactly_once() {
    for rule in RuleId::ALL {
        assert_eq!(CATALOG.iter().filter(|info| info.id == rule).count(), 1);
    }
}

#[test]
fn a_severity_a_rule_does_not_declare_is_caught() {
    use crate::finding::Severity;
    let declared = Finding::new(RuleId::PublicIpChanged, Severity::High, "no load balancer");
    assert!(severity_declared(&declared));
    let undeclared = Finding::new(RuleId::PublicIpChanged, Severity::Critical, "invented");
    assert!(!severity_declared(&undeclared));
}

#[test]
fn the_rules_raised_by_log_lines_are_those_that_read_a_log_match() {
    for info in CATALOG {
        assert_eq!(
            info.id.raised_by_log_lines(),
            info.from_log.is_some(),
            "{}: RuleId::raised_by_log_lines and RULE.from_log disagree",
            info.id
        );
    }
}
