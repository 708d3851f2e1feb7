//! One assembly for both front doors: the [`Auditor`] with its AWS adapters (inventory, alert
//! destination, state store), built from [`Config`] the same way for the Lambda handler and
//! the CLI.

use crate::audit::{Auditor, StartupError};
use crate::aws::{AwsInventory, StateBackend, sns::SnsSink};
use crate::config::Config;
use crate::memory::MemoryStore;
use crate::publish::{AlertSink, DryRun};

/// Where alerts go: the SNS topic, or nowhere (`--dry-run`, which also keeps the state in the
/// process so that `STATE_TABLE` is not touched).
pub(crate) enum Destination {
    Sns(SnsSink),
    DryRun(DryRun),
}

impl AlertSink for Destination {
    async fn publish(
        &self,
        alert: &crate::alert::Alert,
    ) -> Result<(), crate::publish::PublishError> {
        match self {
            Destination::Sns(sink) => sink.publish(alert).await,
            Destination::DryRun(sink) => sink.publish(alert).await,
        }
    }

    fn delivers(&self) -> bool {
        matches!(self, Destination::Sns(_))
    }
}

/// The auditor as deployed: reads through the AWS SDK, alerts to SNS (or not), remembers in
/// DynamoDB or in the process.
pub(crate) type AwsAuditor = Auditor<AwsInventory, Destination, StateBackend>;

/// Whether alerts are published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alerts {
    /// To `SNS_TOPIC_ARN`, which must be set.
    Publish,
    /// Nowhere; the state lasts for this process only.
    DryRun,
}

/// Why the auditor could not be built. The message names what to fix.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AssemblyError {
    /// Alerts are to be published and `SNS_TOPIC_ARN` is not set; each front door says how to
    /// set it.
    #[error("SNS_TOPIC_ARN is not set")]
    NoTopic,
    #[error(transparent)]
    Startup(#[from] StartupError),
}

/// Builds the auditor from `config`: the SDK configuration (region, credentials, endpoint) is
/// loaded once, and every client made here.
pub(crate) async fn build(config: Config, alerts: Alerts) -> Result<AwsAuditor, AssemblyError> {
    let topic = match alerts {
        Alerts::Publish => Some(config.sns_topic_arn.clone().ok_or(AssemblyError::NoTopic)?),
        Alerts::DryRun => None,
    };
    let sdk = crate::aws::sdk_config().await;
    let region = sdk.region().map(|region| region.to_string());
    let inventory = AwsInventory::new(&sdk, config.clusters.clone());
    let (destination, state) = match topic {
        Some(topic) => (
            Destination::Sns(SnsSink::new(crate::aws::sns::client(&sdk), topic)),
            StateBackend::from_config(&sdk, config.state_table.as_deref()),
        ),
        None => (
            Destination::DryRun(DryRun),
            StateBackend::Memory(MemoryStore::new()),
        ),
    };
    Ok(Auditor::new(config, inventory, destination, state, region)?)
}
