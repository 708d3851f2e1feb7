//! ARNs and names as ECS writes them.

/// `service:NAME` -> `NAME`: the service of a task, from its `group`.
pub fn service_name_from_group(group: Option<&str>) -> Option<&str> {
    group
        .and_then(|group| group.strip_prefix("service:"))
        .filter(|name| !name.is_empty())
}

/// The last path segment of an ARN: `arn:aws:ecs:r:a:cluster/coder-cluster` -> `coder-cluster`.
/// A plain name comes back unchanged.
pub fn resource_name(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    resource.rsplit('/').next().unwrap_or(resource)
}

/// `arn:aws:ecs:r:a:task-definition/coder:7` -> `coder:7`.
pub fn short_task_definition(arn: &str) -> &str {
    arn.rsplit_once("task-definition/")
        .map(|(_, name)| name)
        .unwrap_or(arn)
}

/// The n-th colon-separated field of an ARN (3 = region, 4 = account), if present and non-empty.
pub fn arn_field(arn: &str, index: usize) -> Option<&str> {
    if !arn.starts_with("arn:") {
        return None;
    }
    arn.split(':').nth(index).filter(|field| !field.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_helpers() {
        let task = "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/0f1e2d3c4b5a";
        assert_eq!(resource_name(task), "0f1e2d3c4b5a");
        assert_eq!(arn_field(task, 3), Some("us-east-1"));
        assert_eq!(arn_field(task, 4), Some("123456789012"));
        assert_eq!(arn_field("coder", 3), None);
        assert_eq!(
            short_task_definition("arn:aws:ecs:us-east-1:1:task-definition/coder:7"),
            "coder:7"
        );
        assert_eq!(
            service_name_from_group(Some("service:coder-service")),
            Some("coder-service")
        );
        assert_eq!(service_name_from_group(Some("family:coder")), None);
    }
}
