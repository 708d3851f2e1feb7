//! `AWS API Call via CloudTrail` events for `ecs.amazonaws.com` (EventBridge delivers them when
//! the account has a CloudTrail trail with management events, best effort, usually within
//! minutes). `RegisterTaskDefinition` is audited: the revision is read from
//! `responseElements.taskDefinition.taskDefinitionArn`; so are `CreateService` and an
//! `UpdateService` that names a task definition (the service points at a revision): the service
//! and its revision from `responseElements.service`. Calls that failed (`errorCode`) changed
//! nothing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const API_CALL: &str = "AWS API Call via CloudTrail";
pub const REGISTER_TASK_DEFINITION: &str = "RegisterTaskDefinition";
pub const CREATE_SERVICE: &str = "CreateService";
pub const UPDATE_SERVICE: &str = "UpdateService";

/// The CloudTrail record in the event's `detail`, as far as the auditor reads it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiCall {
    #[serde(default)]
    pub event_source: String,
    #[serde(default)]
    pub event_name: String,
    #[serde(default, rename = "eventID")]
    pub event_id: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub user_identity: Option<Value>,
    #[serde(default)]
    pub request_parameters: Option<Value>,
    #[serde(default)]
    pub response_elements: Option<Value>,
}

impl ApiCall {
    /// The ARN of the task definition a `RegisterTaskDefinition` call registered.
    pub fn registered_task_definition(&self) -> Option<&str> {
        self.response_elements
            .as_ref()?
            .get("taskDefinition")?
            .get("taskDefinitionArn")?
            .as_str()
    }

    /// Whether the call names a task definition (an `UpdateService` that only scales does not).
    pub fn names_task_definition(&self) -> bool {
        self.request_parameters
            .as_ref()
            .and_then(|parameters| parameters.get("taskDefinition"))
            .is_some_and(|value| !value.is_null())
    }

    /// The service a `CreateService` or `UpdateService` call left, as `responseElements` gives
    /// it: (cluster ARN, service name, task definition ARN).
    pub fn deployed_service(&self) -> Option<(&str, &str, &str)> {
        let service = self.response_elements.as_ref()?.get("service")?;
        Some((
            service.get("clusterArn")?.as_str()?,
            service.get("serviceName")?.as_str()?,
            service.get("taskDefinition")?.as_str()?,
        ))
    }

    /// Who made the call: the principal's ARN, when CloudTrail gives one.
    pub fn caller(&self) -> Option<&str> {
        self.user_identity.as_ref()?.get("arn")?.as_str()
    }
}
