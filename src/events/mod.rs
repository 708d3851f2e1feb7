//! Decoding: raw event bytes in, a typed [`Event`] (or a reason to ignore it) out.
//!
//! Both front doors (the Lambda handler and the CLI) hand the raw JSON to [`decode`]. An event
//! of a kind the auditor does not handle is *ignored with a reason*; an event of a known kind
//! that cannot be decoded is a [`DecodeError`].

pub mod cloudtrail;
pub mod ecs;
pub mod firelens;
pub mod logs;

use crate::model::EventOrigin;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use ecs::{DeploymentStateChange, EcsEvent, ServiceAction, TaskStateChange};
use logs::LogBatch;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::borrow::Cow;

/// Limits applied while decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest inflated CloudWatch Logs payload, in bytes.
    pub max_log_payload_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_log_payload_bytes: 8 * 1024 * 1024,
        }
    }
}

/// A decoded event.
#[derive(Debug)]
pub enum Event<'a> {
    TaskStateChange(Box<EcsEvent<TaskStateChange>>),
    DeploymentStateChange(Box<EcsEvent<DeploymentStateChange>>),
    ServiceAction(Box<EcsEvent<ServiceAction>>),
    Logs(LogBatch<'a>),
    /// The scheduled sweep: audit every service of the clusters as they stand now.
    Sweep(EventOrigin),
    /// A task definition was registered (CloudTrail `RegisterTaskDefinition`, succeeded).
    TaskDefinitionRegistered(Box<EcsEvent<cloudtrail::ApiCall>>),
    /// A service was created or pointed at a revision (CloudTrail `CreateService` or
    /// `UpdateService` naming a task definition, succeeded).
    ServiceDeployed(Box<EcsEvent<cloudtrail::ApiCall>>),
}

/// What [`decode`] makes of an input.
#[derive(Debug)]
pub enum Decoded<'a> {
    Event(Event<'a>),
    /// A well-formed input the auditor deliberately does not handle, and why.
    Ignored(String),
}

/// An input that claims to be a supported event but cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("event is not valid JSON: {0}")]
    Json(String),
    #[error("event is not a JSON object")]
    NotAnObject,
    #[error("{kind} event has an unexpected shape: {message}")]
    Shape { kind: &'static str, message: String },
    #[error("awslogs.data is not valid base64: {0}")]
    Base64(String),
    #[error("awslogs.data is not valid gzip: {0}")]
    Gzip(String),
    #[error("{what} is larger than the limit of {limit} bytes ({setting})")]
    TooLarge {
        what: &'static str,
        limit: usize,
        setting: &'static str,
    },
}

/// Just enough of any input to tell what it is.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default, borrow)]
    awslogs: Option<AwsLogsEnvelope<'a>>,
    #[serde(default, borrow)]
    source: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "detail-type")]
    detail_type: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct AwsLogsEnvelope<'a> {
    #[serde(borrow)]
    data: Cow<'a, str>,
}

/// Decodes one event. `scratch` receives the inflated bytes of a CloudWatch Logs payload;
/// the returned [`Event::Logs`] borrows from it, so no log line is copied.
pub fn decode<'a>(
    input: &'a [u8],
    limits: &DecodeLimits,
    scratch: &'a mut String,
) -> Result<Decoded<'a>, DecodeError> {
    let first = input.iter().find(|byte| !byte.is_ascii_whitespace());
    match first {
        Some(b'{') => {}
        None => return Err(DecodeError::Json("the input is empty".to_string())),
        Some(_) => {
            // Say "not JSON" for garbage, "not an object" for JSON arrays, strings, numbers.
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(input) {
                    Ok(_) => DecodeError::NotAnObject,
                    Err(error) => DecodeError::Json(redacted_serde_error(&error)),
                },
            );
        }
    }
    let probe: Probe<'a> = serde_json::from_slice(input).map_err(|error| {
        if error.is_data() {
            DecodeError::Shape {
                kind: "event",
                message: redacted_serde_error(&error),
            }
        } else {
            DecodeError::Json(redacted_serde_error(&error))
        }
    })?;

    if let Some(awslogs) = probe.awslogs {
        logs::inflate(&awslogs.data, limits.max_log_payload_bytes, scratch)?;
        let batch = logs::parse(scratch)?;
        return Ok(match batch.message_type.as_ref() {
            logs::DATA_MESSAGE => Decoded::Event(Event::Logs(batch)),
            logs::CONTROL_MESSAGE => Decoded::Ignored(
                "CloudWatch Logs CONTROL_MESSAGE (a reachability check) acknowledged".to_string(),
            ),
            other => Decoded::Ignored(format!(
                "CloudWatch Logs message type {:?} is not audited",
                crate::redact::excerpt(other, 60)
            )),
        });
    }

    let (Some(source), Some(detail_type)) = (probe.source, probe.detail_type) else {
        return Ok(Decoded::Ignored(
            "neither an EventBridge event (source, detail-type) nor a CloudWatch Logs subscription payload (awslogs)"
                .to_string(),
        ));
    };
    if source == "aws.events" && detail_type == ecs::SCHEDULED_EVENT {
        let envelope: EcsEvent<serde_json::Value> = ecs_event(input, ecs::SCHEDULED_EVENT)?;
        return Ok(Decoded::Event(Event::Sweep(envelope.origin)));
    }
    if source != "aws.ecs" {
        return Ok(Decoded::Ignored(format!(
            "events from {:?} ({:?}) are not audited; only aws.ecs",
            crate::redact::excerpt(&source, 60),
            crate::redact::excerpt(&detail_type, 60)
        )));
    }
    let event = match detail_type.as_ref() {
        cloudtrail::API_CALL => {
            let call: EcsEvent<cloudtrail::ApiCall> = ecs_event(input, cloudtrail::API_CALL)?;
            let name = call.detail.event_name.clone();
            let audited = [
                cloudtrail::REGISTER_TASK_DEFINITION,
                cloudtrail::CREATE_SERVICE,
                cloudtrail::UPDATE_SERVICE,
            ];
            if !audited.contains(&name.as_str()) {
                return Ok(Decoded::Ignored(format!(
                    "CloudTrail ecs:{} calls are not audited",
                    crate::redact::excerpt(&name, 60)
                )));
            }
            if let Some(code) = &call.detail.error_code {
                return Ok(Decoded::Ignored(format!(
                    "CloudTrail ecs:{name} failed ({}): nothing changed",
                    crate::redact::excerpt(code, 60)
                )));
            }
            if name == cloudtrail::REGISTER_TASK_DEFINITION {
                if call.detail.registered_task_definition().is_none() {
                    return Err(DecodeError::Shape {
                        kind: cloudtrail::API_CALL,
                        message: "RegisterTaskDefinition without responseElements.taskDefinition.taskDefinitionArn".to_string(),
                    });
                }
                Event::TaskDefinitionRegistered(Box::new(call))
            } else {
                if name == cloudtrail::UPDATE_SERVICE && !call.detail.names_task_definition() {
                    return Ok(Decoded::Ignored(
                        "CloudTrail ecs:UpdateService names no task definition (scaling or settings): the service's revision is audited when its tasks start".to_string(),
                    ));
                }
                if call.detail.deployed_service().is_none() {
                    return Err(DecodeError::Shape {
                        kind: cloudtrail::API_CALL,
                        message: format!(
                            "{name} without responseElements.service (clusterArn, serviceName, taskDefinition)"
                        ),
                    });
                }
                Event::ServiceDeployed(Box::new(call))
            }
        }
        ecs::TASK_STATE_CHANGE => {
            Event::TaskStateChange(Box::new(ecs_event(input, detail_type.as_ref())?))
        }
        ecs::DEPLOYMENT_STATE_CHANGE => {
            Event::DeploymentStateChange(Box::new(ecs_event(input, ecs::DEPLOYMENT_STATE_CHANGE)?))
        }
        ecs::SERVICE_ACTION => {
            Event::ServiceAction(Box::new(ecs_event(input, ecs::SERVICE_ACTION)?))
        }
        other => {
            return Ok(Decoded::Ignored(format!(
                "aws.ecs {:?} events are not audited",
                crate::redact::excerpt(other, 60)
            )));
        }
    };
    Ok(Decoded::Event(event))
}

fn ecs_event<T: serde::Serialize + DeserializeOwned>(
    input: &[u8],
    kind: &str,
) -> Result<EcsEvent<T>, DecodeError> {
    let envelope: EventBridgeEvent<T> =
        serde_json::from_slice(input).map_err(|error| DecodeError::Shape {
            kind: match kind {
                ecs::TASK_STATE_CHANGE => ecs::TASK_STATE_CHANGE,
                ecs::DEPLOYMENT_STATE_CHANGE => ecs::DEPLOYMENT_STATE_CHANGE,
                ecs::SCHEDULED_EVENT => ecs::SCHEDULED_EVENT,
                cloudtrail::API_CALL => cloudtrail::API_CALL,
                _ => ecs::SERVICE_ACTION,
            },
            message: redacted_serde_error(&error),
        })?;
    Ok(EcsEvent::from_envelope(envelope))
}

/// serde messages quote offending values (`invalid type: string "..."`); a value could be a
/// secret, so messages are redacted and shortened.
pub(crate) fn redacted_serde_error(error: &serde_json::Error) -> String {
    crate::redact::excerpt(&error.to_string(), 200)
}

impl Event<'_> {
    /// A short description for logs and CLI progress: "ECS Task State Change (RUNNING)".
    pub fn describe(&self) -> String {
        match self {
            Event::ServiceDeployed(event) => {
                let (_, service, revision) = event.detail.deployed_service().unwrap_or_default();
                format!(
                    "{} ({} {service} -> {})",
                    cloudtrail::API_CALL,
                    event.detail.event_name,
                    crate::model::short_task_definition(revision)
                )
            }
            Event::TaskDefinitionRegistered(event) => format!(
                "{} (RegisterTaskDefinition {})",
                cloudtrail::API_CALL,
                crate::model::short_task_definition(
                    event
                        .detail
                        .registered_task_definition()
                        .unwrap_or_default()
                )
            ),
            Event::TaskStateChange(event) => format!(
                "{} ({}) for task {}",
                ecs::TASK_STATE_CHANGE,
                event
                    .detail
                    .last_status
                    .as_deref()
                    .unwrap_or("unknown status"),
                crate::model::resource_name(&event.detail.task_arn)
            ),
            Event::DeploymentStateChange(event) => format!(
                "{} ({})",
                ecs::DEPLOYMENT_STATE_CHANGE,
                event.detail.event_name
            ),
            Event::ServiceAction(event) => {
                format!("{} ({})", ecs::SERVICE_ACTION, event.detail.event_name)
            }
            Event::Logs(batch) => format!(
                "CloudWatch Logs batch of {} line(s) from {} {}",
                batch.log_events.len(),
                batch.log_group,
                batch.log_stream
            ),
            Event::Sweep(_) => "scheduled sweep".to_string(),
        }
    }

    /// The cluster an ECS event belongs to: `detail.clusterArn`, or for deployment events the
    /// cluster name inside the service ARN (`arn:...:service/CLUSTER/SERVICE`).
    pub fn cluster_arn(&self) -> Option<&str> {
        match self {
            Event::TaskStateChange(event) => Some(&event.detail.cluster_arn),
            Event::ServiceAction(event) => event.detail.cluster_arn.as_deref(),
            Event::DeploymentStateChange(event) => event
                .resources
                .first()
                .and_then(|service| service.split_once(":service/"))
                .and_then(|(_, path)| path.split_once('/'))
                .map(|(cluster, _)| cluster),
            Event::ServiceDeployed(event) => event
                .detail
                .deployed_service()
                .map(|(cluster, _, _)| cluster),
            Event::Logs(_) | Event::Sweep(_) | Event::TaskDefinitionRegistered(_) => None,
        }
    }

    pub fn origin(&self) -> Option<&EventOrigin> {
        match self {
            Event::TaskStateChange(event) => Some(&event.origin),
            Event::DeploymentStateChange(event) => Some(&event.origin),
            Event::ServiceAction(event) => Some(&event.origin),
            Event::Sweep(origin) => Some(origin),
            Event::TaskDefinitionRegistered(event) | Event::ServiceDeployed(event) => {
                Some(&event.origin)
            }
            Event::Logs(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_str(input: &str) -> Result<String, DecodeError> {
        let mut scratch = String::new();
        decode(input.as_bytes(), &DecodeLimits::default(), &mut scratch).map(
            |decoded| match decoded {
                Decoded::Event(event) => format!("event: {}", event.describe()),
                Decoded::Ignored(reason) => format!("ignored: {reason}"),
            },
        )
    }

    const TASK: &str = r#"{"version":"0","id":"e1","detail-type":"ECS Task State Change","source":"aws.ecs",
        "account":"123456789012","time":"2026-11-24T03:12:40Z","region":"us-east-1",
        "resources":["arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/0123456789abcdef0123456789abcdef"],
        "detail":{"clusterArn":"arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster",
          "taskArn":"arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/0123456789abcdef0123456789abcdef",
          "taskDefinitionArn":"arn:aws:ecs:us-east-1:123456789012:task-definition/coder:7",
          "group":"service:coder-service","lastStatus":"RUNNING","brandNewField":[1,2,3],
          "attachments":[{"id":"a","type":"eni","status":"ATTACHED","details":[
             {"name":"networkInterfaceId","value":"eni-0abc"},{"name":"privateIPv4Address","value":"10.0.1.23"}]}],
          "version":3}}"#;

    #[test]
    fn decodes_a_task_state_change_ignoring_unknown_fields() {
        let mut scratch = String::new();
        let Decoded::Event(Event::TaskStateChange(event)) =
            decode(TASK.as_bytes(), &DecodeLimits::default(), &mut scratch).unwrap()
        else {
            panic!("expected a task event");
        };
        assert_eq!(event.detail.last_status.as_deref(), Some("RUNNING"));
        assert_eq!(event.detail.private_ip(), Some("10.0.1.23"));
        assert_eq!(event.detail.network_interface_id(), Some("eni-0abc"));
        assert_eq!(event.detail.version, Some(3));
        assert_eq!(event.origin.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            event.origin.time.as_deref(),
            Some("2026-11-24T03:12:40+00:00")
        );
    }

    #[test]
    fn decodes_deployment_and_service_events() {
        let deployment = r#"{"detail-type":"ECS Deployment State Change","source":"aws.ecs","resources":["arn:aws:ecs:us-east-1:1:service/c/s"],
            "detail":{"eventType":"INFO","eventName":"SERVICE_DEPLOYMENT_IN_PROGRESS","deploymentId":"ecs-svc/1"}}"#;
        assert_eq!(
            decode_str(deployment).unwrap(),
            "event: ECS Deployment State Change (SERVICE_DEPLOYMENT_IN_PROGRESS)"
        );
        let action = r#"{"detail-type":"ECS Service Action","source":"aws.ecs",
            "detail":{"eventType":"INFO","eventName":"SERVICE_STEADY_STATE","clusterArn":"arn:aws:ecs:us-east-1:1:cluster/c"}}"#;
        assert_eq!(
            decode_str(action).unwrap(),
            "event: ECS Service Action (SERVICE_STEADY_STATE)"
        );
    }

    #[test]
    fn the_daily_schedule_is_a_sweep() {
        let scheduled = r#"{"version":"0","id":"s1","detail-type":"Scheduled Event","source":"aws.events",
            "account":"123456789012","time":"2026-11-24T06:00:00Z","region":"us-east-1",
            "resources":["arn:aws:events:us-east-1:123456789012:rule/ecs-auditor-Sweep"],"detail":{}}"#;
        assert_eq!(decode_str(scheduled).unwrap(), "event: scheduled sweep");
    }

    #[test]
    fn ignores_other_events_with_a_reason() {
        let ec2 = r#"{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}"#;
        assert!(
            decode_str(ec2)
                .unwrap()
                .starts_with("ignored: events from \"aws.ec2\"")
        );
        let container_instance = r#"{"detail-type":"ECS Container Instance State Change","source":"aws.ecs","detail":{}}"#;
        assert!(
            decode_str(container_instance)
                .unwrap()
                .contains("not audited")
        );
        assert!(decode_str("{}").unwrap().starts_with("ignored: neither"));
        let control = format!(
            r#"{{"awslogs":{{"data":"{}"}}}}"#,
            logs::tests::encode(br#"{"messageType":"CONTROL_MESSAGE","logEvents":[]}"#)
        );
        assert!(decode_str(&control).unwrap().contains("CONTROL_MESSAGE"));
    }

    #[test]
    fn rejects_undecodable_input_with_a_clear_error() {
        assert!(matches!(decode_str("not json"), Err(DecodeError::Json(_))));
        assert!(matches!(decode_str(""), Err(DecodeError::Json(_))));
        assert_eq!(decode_str("[1,2]"), Err(DecodeError::NotAnObject));
        assert!(matches!(decode_str("{\"a\":"), Err(DecodeError::Json(_))));
        let wrong_type = TASK.replace("\"version\":3", "\"version\":\"three\"");
        let error = decode_str(&wrong_type).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("ECS Task State Change event has an unexpected shape"),
            "{error}"
        );
        let missing_task = r#"{"detail-type":"ECS Task State Change","source":"aws.ecs","detail":{"clusterArn":"x"}}"#;
        assert!(matches!(
            decode_str(missing_task),
            Err(DecodeError::Shape { .. })
        ));
    }

    #[test]
    fn decode_errors_never_echo_secrets() {
        let leaky = TASK.replace(
            "\"version\":3",
            "\"version\":\"postgres://coder:hunter2@db:5432/coder\"",
        );
        let error = decode_str(&leaky).unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }
}
