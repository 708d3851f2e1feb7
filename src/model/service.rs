//! A service, and where a task belongs.

/// A service as far as the rules care.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    pub arn: String,
    pub name: String,
    pub cluster_arn: String,
    pub task_definition: String,
    pub load_balancers: usize,
    pub service_registries: usize,
    /// `awsvpcConfiguration.assignPublicIp`, when the service uses awsvpc.
    pub assign_public_ip: Option<bool>,
    /// `awsvpcConfiguration.securityGroups`: the groups its tasks' interfaces get.
    pub security_groups: Vec<String>,
    pub desired_count: i32,
    pub launch_type: Option<String>,
}

/// Where a running or recently stopped task belongs, found from its id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskLocation {
    pub task_arn: String,
    pub cluster_arn: String,
    pub task_definition_arn: String,
    /// `service:NAME` or `family:NAME`.
    pub group: Option<String>,
    /// The `networkInterfaceId` of its ENI attachment (`awsvpc` tasks), where it was read.
    pub network_interface: Option<String>,
}
