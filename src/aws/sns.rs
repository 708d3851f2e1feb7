//! [`AlertSink`] over SNS: one `Publish` per alert with `MessageStructure=json`, so email
//! subscribers get the readable text and machine subscribers (SQS, Lambda, HTTP/S, Firehose)
//! get the JSON document. Message attributes allow subscription filter policies.

use crate::alert::Alert;
use crate::publish::{AlertSink, PublishError};
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

/// How many times one publish is tried: throttling and 5xx answers are retried with
/// exponential backoff and jitter before the event itself fails (and is retried by Lambda).
pub const PUBLISH_ATTEMPTS: u32 = 5;

/// An SNS client for alerts: the shared configuration with a more patient retry policy.
pub fn client(sdk: &aws_config::SdkConfig) -> Client {
    let config = aws_sdk_sns::config::Builder::from(sdk)
        .retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(PUBLISH_ATTEMPTS),
        )
        .build();
    Client::from_conf(config)
}

#[derive(Clone, Debug)]
pub struct SnsSink {
    client: Client,
    topic_arn: String,
}

impl SnsSink {
    pub fn new(client: Client, topic_arn: String) -> Self {
        SnsSink { client, topic_arn }
    }
}

/// The per-protocol message bodies of one alert.
pub fn message_structure(alert: &Alert) -> String {
    let document = alert.document.to_string();
    serde_json::json!({
        "default": alert.text,
        "email": alert.text,
        "email-json": document,
        "sqs": document,
        "lambda": document,
        "http": document,
        "https": document,
        "firehose": document,
        "sms": alert.subject,
    })
    .to_string()
}

impl AlertSink for SnsSink {
    async fn publish(&self, alert: &Alert) -> Result<(), PublishError> {
        let failed = |message: String| PublishError {
            destination: self.topic_arn.clone(),
            subject: alert.subject.clone(),
            message: crate::redact::excerpt(&message, 300),
        };
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&alert.subject)
            .message_structure("json")
            .message(message_structure(alert));
        for (name, value) in &alert.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|error| failed(error.to_string()))?;
            request = request.message_attributes(*name, attribute);
        }
        request.send().await.map_err(|error| {
            let message = match error.as_service_error() {
                Some(service_error) => format!(
                    "{}: {}",
                    aws_smithy_types::error::metadata::ProvideErrorMetadata::code(service_error)
                        .unwrap_or("unknown error"),
                    aws_smithy_types::error::metadata::ProvideErrorMetadata::message(service_error)
                        .unwrap_or_default()
                ),
                None => super::error_chain(&error),
            };
            failed(message)
        })?;
        Ok(())
    }
}
