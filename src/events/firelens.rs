//! Log lines that come through FireLens (a Fluent Bit log router in the task) rather than the
//! awslogs driver: each CloudWatch Logs event is a JSON record with the app's line in `log`
//! and, unless `enable-ecs-log-metadata` is false, the task in `ecs_task_arn`.
//!
//! Shapes, from aws/amazon-ecs-agent (`agent/taskresource/firelens/firelensconfig_unix.go`: a
//! `record_modifier` adds `ecs_cluster`, `ecs_task_arn`, `ecs_task_definition`, and
//! `ec2_instance_id` on EC2; `agent/engine/docker_task_engine.go`: the tag is
//! `<container>-firelens-<task id>`), aws-for-fluent-bit's debugging guide (the Fluentd log
//! driver adds `container_id`, `container_name`, `source`, `log`; key order varies, the Go
//! outputs sort them) and Fluent Bit's `cloudwatch_logs` output (`log_stream_prefix` + tag; with
//! `log_key log` only the line is sent, without any metadata).

use serde::Deserialize;
use std::borrow::Cow;

/// A FireLens record.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct FireLensRecord<'a> {
    /// The app's line.
    #[serde(borrow)]
    pub log: Cow<'a, str>,
    #[serde(default, borrow)]
    pub ecs_task_arn: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub ecs_cluster: Option<Cow<'a, str>>,
    /// `family:revision`.
    #[serde(default, borrow)]
    pub ecs_task_definition: Option<Cow<'a, str>>,
    /// The task definition's name on Fargate; `/ecs-FAMILY-REVISION-NAME-HASH` on EC2.
    #[serde(default, borrow)]
    pub container_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub container_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub source: Option<Cow<'a, str>>,
}

impl<'a> FireLensRecord<'a> {
    /// Reads a CloudWatch Logs message as a FireLens record: a JSON object with a string
    /// `log` and at least one key the log driver or FireLens adds, so that an app's own JSON
    /// line with a `log` field is not mistaken for one.
    pub fn parse(message: &'a str) -> Option<FireLensRecord<'a>> {
        let trimmed = message.trim_start();
        if !trimmed.starts_with('{') || !trimmed.contains("\"log\"") {
            return None;
        }
        let record: FireLensRecord = serde_json::from_str(trimmed).ok()?;
        let from_firelens = record.ecs_task_arn.is_some()
            || record.container_id.is_some()
            || record.container_name.is_some()
            || record
                .source
                .as_deref()
                .is_some_and(|source| source == "stdout" || source == "stderr");
        from_firelens.then_some(record)
    }

    /// The container's name as the task definition says it (EC2 reports Docker's name,
    /// `/ecs-FAMILY-REVISION-NAME-HASH`).
    pub fn container(&self) -> Option<String> {
        let name = self.container_name.as_deref()?;
        let Some(docker) = name.strip_prefix("/ecs-") else {
            return Some(name.to_string());
        };
        let (family, revision) = self
            .ecs_task_definition
            .as_deref()
            .and_then(|definition| definition.rsplit_once(':'))?;
        let rest = docker.strip_prefix(&format!("{family}-{revision}-"))?;
        rest.rsplit_once('-')
            .map(|(container, _hash)| container.to_string())
    }
}

/// The task id a FireLens log stream names: `PREFIX<container>-firelens-<task id>` (the
/// FireLens tag after a `log_stream_prefix`), or a bare task id (`$(ecs_task_id)`).
pub fn stream_task_id(stream: &str) -> Option<&str> {
    let candidate = stream
        .rsplit_once("-firelens-")
        .map_or(stream, |(_, id)| id);
    let looks_like_task_id = (candidate.len() == 32 || candidate.len() == 36)
        && candidate.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    looks_like_task_id.then_some(candidate)
}

/// Whether a stream is a FireLens tag's (`...-firelens-<task id>`).
pub fn is_firelens_stream(stream: &str) -> bool {
    stream.contains("-firelens-") && stream_task_id(stream).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_in_every_key_order_and_without_metadata() {
        let fargate = r#"{"container_id":"4f9c2a1be7d84c0f9a1e2b3c4d5e6f70-3301744245","container_name":"coder","ecs_cluster":"coder-prod","ecs_task_arn":"arn:aws:ecs:us-east-1:123456789012:task/coder-prod/4f9c2a1be7d84c0f9a1e2b3c4d5e6f70","ecs_task_definition":"coder-prod-coder:3","log":"Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)\r","source":"stdout"}"#;
        let record = FireLensRecord::parse(fargate).unwrap();
        assert_eq!(
            record.log,
            "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)\r"
        );
        assert_eq!(
            record.ecs_task_arn.as_deref(),
            Some(
                "arn:aws:ecs:us-east-1:123456789012:task/coder-prod/4f9c2a1be7d84c0f9a1e2b3c4d5e6f70"
            )
        );
        assert_eq!(record.container().as_deref(), Some("coder"));
        // The debugging guide's order, metadata off.
        let plain = r#"{"source":"stderr","log":"{\"msg\":\"Connecting to DB\",\"dbtype\":\"sqlite3\"}","container_id":"x","container_name":"grafana"}"#;
        let record = FireLensRecord::parse(plain).unwrap();
        assert_eq!(
            record.log,
            r#"{"msg":"Connecting to DB","dbtype":"sqlite3"}"#
        );
        assert_eq!(record.ecs_task_arn, None);
        // EC2: Docker's container name.
        let ec2 = r#"{"container_name":"/ecs-grafana-task-12-grafana-a4eafbb3d4c7f1e16e00","ecs_task_definition":"grafana-task:12","log":"x","source":"stdout"}"#;
        assert_eq!(
            FireLensRecord::parse(ec2).unwrap().container().as_deref(),
            Some("grafana")
        );
        // An app's own JSON with a log field is not a FireLens record; neither is text.
        assert_eq!(FireLensRecord::parse(r#"{"log":"x","level":"info"}"#), None);
        assert_eq!(FireLensRecord::parse("Using built-in PostgreSQL"), None);
    }

    #[test]
    fn stream_names() {
        assert_eq!(
            stream_task_id("ecs-coder-firelens-4f9c2a1be7d84c0f9a1e2b3c4d5e6f70"),
            Some("4f9c2a1be7d84c0f9a1e2b3c4d5e6f70")
        );
        assert_eq!(
            stream_task_id("4f9c2a1be7d84c0f9a1e2b3c4d5e6f70"),
            Some("4f9c2a1be7d84c0f9a1e2b3c4d5e6f70")
        );
        assert_eq!(stream_task_id("grafana-logs"), None);
        assert!(is_firelens_stream(
            "from-fluent-bit-grafana-firelens-4f9c2a1be7d84c0f9a1e2b3c4d5e6f70"
        ));
        assert!(!is_firelens_stream(
            "ecs/coder/4f9c2a1be7d84c0f9a1e2b3c4d5e6f70"
        ));
    }
}
