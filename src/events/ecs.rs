//! EventBridge `aws.ecs` events: task state changes, deployment state changes, service actions.
//!
//! Only the fields the auditor uses are declared; AWS adds fields without notice and serde
//! ignores what is not declared. Optional fields default, so a sparse event still decodes.

use crate::model::EventOrigin;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub const TASK_STATE_CHANGE: &str = "ECS Task State Change";
pub const DEPLOYMENT_STATE_CHANGE: &str = "ECS Deployment State Change";
pub const SERVICE_ACTION: &str = "ECS Service Action";
/// EventBridge's schedule (`source: aws.events`): the daily sweep.
pub const SCHEDULED_EVENT: &str = "Scheduled Event";

/// An ECS event with its envelope facts.
#[derive(Clone, Debug, PartialEq)]
pub struct EcsEvent<T> {
    pub origin: EventOrigin,
    pub resources: Vec<String>,
    pub detail: T,
}

impl<T: Serialize + DeserializeOwned> EcsEvent<T> {
    pub(crate) fn from_envelope(envelope: EventBridgeEvent<T>) -> Self {
        EcsEvent {
            origin: EventOrigin {
                id: envelope.id,
                account: envelope.account,
                region: envelope.region,
                time: envelope.time.map(|time| time.to_rfc3339()),
            },
            resources: envelope.resources.unwrap_or_default(),
            detail: envelope.detail,
        }
    }
}

/// `detail` of `ECS Task State Change`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TaskStateChange {
    pub cluster_arn: String,
    pub task_arn: String,
    #[serde(default)]
    pub task_definition_arn: String,
    /// `service:NAME` for service tasks, `family:NAME` for standalone ones.
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub started_by: Option<String>,
    #[serde(default)]
    pub last_status: Option<String>,
    #[serde(default)]
    pub desired_status: Option<String>,
    #[serde(default)]
    pub launch_type: Option<String>,
    #[serde(default)]
    pub platform_version: Option<String>,
    #[serde(default)]
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub connectivity: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub stopping_at: Option<String>,
    #[serde(default)]
    pub stopped_at: Option<String>,
    #[serde(default)]
    pub stop_code: Option<String>,
    #[serde(default)]
    pub stopped_reason: Option<String>,
    #[serde(default)]
    pub containers: Vec<ContainerState>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Increments with each change; task ARN + version identifies one delivery.
    #[serde(default)]
    pub version: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerState {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub last_status: Option<String>,
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub network_interfaces: Vec<ContainerNetworkInterface>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerNetworkInterface {
    #[serde(default)]
    pub attachment_id: Option<String>,
    #[serde(default)]
    pub private_ipv4_address: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub details: Vec<NameValue>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct NameValue {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

impl TaskStateChange {
    fn eni_detail(&self, name: &str) -> Option<&str> {
        self.attachments
            .iter()
            .filter(|attachment| {
                matches!(
                    attachment.kind.as_deref(),
                    Some("eni") | Some("ElasticNetworkInterface")
                )
            })
            .flat_map(|attachment| attachment.details.iter())
            .find(|detail| detail.name == name)
            .and_then(|detail| detail.value.as_deref())
    }

    /// The task's private IPv4 address, from its ENI attachment or a container's interface.
    pub fn private_ip(&self) -> Option<&str> {
        self.eni_detail("privateIPv4Address").or_else(|| {
            self.containers
                .iter()
                .flat_map(|container| container.network_interfaces.iter())
                .find_map(|interface| interface.private_ipv4_address.as_deref())
        })
    }

    /// The ENI id (`eni-...`), needed to look up the public IP.
    pub fn network_interface_id(&self) -> Option<&str> {
        self.eni_detail("networkInterfaceId")
    }

    /// The subnet of the task's ENI (kept in the event after the ENI is deleted).
    pub fn subnet_id(&self) -> Option<&str> {
        self.eni_detail("subnetId")
    }
}

/// `detail` of `ECS Deployment State Change`; `resources[0]` is the service ARN.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStateChange {
    #[serde(default)]
    pub event_type: Option<String>,
    pub event_name: String,
    #[serde(default)]
    pub deployment_id: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `detail` of `ECS Service Action`; `resources[0]` is the service ARN.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAction {
    #[serde(default)]
    pub event_type: Option<String>,
    pub event_name: String,
    #[serde(default)]
    pub cluster_arn: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}
