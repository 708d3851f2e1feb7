//! Where alerts go, behind a narrow trait. The SNS implementation lives in `crate::aws::sns`.

use crate::alert::Alert;
use std::future::Future;

/// A destination for alerts.
pub trait AlertSink: Send + Sync {
    fn publish(&self, alert: &Alert) -> impl Future<Output = Result<(), PublishError>> + Send;

    /// Whether alerts really go anywhere. A sink that does not deliver (a dry run) must not
    /// leave traces in the state store: no claims, no processed deliveries.
    fn delivers(&self) -> bool {
        true
    }
}

/// An alert that could not be delivered. The Lambda handler returns it as an error so that
/// AWS retries the event (and finally parks it in the dead-letter queue): an alert is never
/// silently dropped.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("could not publish alert {subject:?} to {destination}: {message}")]
pub struct PublishError {
    pub destination: String,
    pub subject: String,
    pub message: String,
}

/// A sink that drops alerts: used for `--dry-run`, where findings are printed instead.
#[derive(Clone, Copy, Debug, Default)]
pub struct DryRun;

impl AlertSink for DryRun {
    async fn publish(&self, _alert: &Alert) -> Result<(), PublishError> {
        Ok(())
    }

    fn delivers(&self) -> bool {
        false
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records alerts in memory; fails when `fail` is set, or once on the alert numbered
    /// `fail_once_at` (counting from 0 over all calls).
    #[derive(Default)]
    pub(crate) struct RecordingSink {
        pub alerts: Mutex<Vec<Alert>>,
        pub fail: bool,
        pub fail_once_at: Mutex<Option<usize>>,
        pub calls: Mutex<usize>,
    }

    impl AlertSink for RecordingSink {
        async fn publish(&self, alert: &Alert) -> Result<(), PublishError> {
            let call = {
                let mut calls = self.calls.lock().unwrap();
                *calls += 1;
                *calls - 1
            };
            let fail_now = {
                let mut once = self.fail_once_at.lock().unwrap();
                if *once == Some(call) {
                    *once = None;
                    true
                } else {
                    false
                }
            };
            if self.fail || fail_now {
                return Err(PublishError {
                    destination: "test".to_string(),
                    subject: alert.subject.clone(),
                    message: "unavailable".to_string(),
                });
            }
            self.alerts.lock().unwrap().push(alert.clone());
            Ok(())
        }
    }
}
