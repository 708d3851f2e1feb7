//! The EC2 read of [`super::AwsInventory`]: a task ENI's public IP.

use super::classify;
use crate::context::ReadError;
use aws_sdk_ec2::Client;

/// `ec2:DescribeNetworkInterfaces` for one ENI: its public IPv4 address, if it has one. A
/// stopped task's ENI is deleted, so this only works while the task runs.
pub async fn public_ip(
    client: &Client,
    network_interface: &str,
) -> Result<Option<String>, ReadError> {
    let output = client
        .describe_network_interfaces()
        .network_interface_ids(network_interface)
        .send()
        .await
        .map_err(|error| {
            let (failure, message) = classify(&error);
            ReadError {
                operation: "ec2:DescribeNetworkInterfaces",
                resource: network_interface.to_string(),
                failure,
                message,
            }
        })?;
    Ok(output
        .network_interfaces()
        .first()
        .and_then(|interface| interface.association())
        .and_then(|association| association.public_ip())
        .map(str::to_string))
}
