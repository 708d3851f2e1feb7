//! The AWS SDK side of the narrow traits: `ecs` implements [`crate::inventory::Inventory`],
//! `sns` implements [`crate::publish::AlertSink`]. Clients are built once at cold start.

pub mod ecs;
pub mod sns;

use crate::context::ReadFailure;
use aws_config::BehaviorVersion;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The shared SDK configuration: region, credentials and endpoints from the environment
/// (`AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_ECS`, ...), so tests and the demo can
/// point the real SDK at a local emulator.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(3))
                .operation_attempt_timeout(std::time::Duration::from_secs(10))
                .build(),
        )
        .load()
        .await
}

/// Sorts an SDK error into why it failed, with a short, redacted message.
pub(crate) fn classify<E, R>(error: &SdkError<E, R>) -> (ReadFailure, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (failure, message) = match error {
        SdkError::ServiceError(service_error) => {
            let err = service_error.err();
            let code = err.code().unwrap_or("unknown error");
            let text = err.message().unwrap_or_default();
            (failure_from_code(code, text), format!("{code}: {text}"))
        }
        other => {
            let chain = error_chain(other);
            let failure = if chain.contains("credentials") {
                ReadFailure::NoCredentials
            } else if matches!(
                other,
                SdkError::TimeoutError(_)
                    | SdkError::DispatchFailure(_)
                    | SdkError::ResponseError(_)
            ) {
                ReadFailure::Unavailable
            } else {
                ReadFailure::Other
            };
            (failure, chain)
        }
    };
    (failure, crate::redact::excerpt(&message, 300))
}

/// "outer: inner: innermost", from `Display` only (SDK `Debug` output is unreadable in alerts).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = inner.source();
    }
    parts.join(": ")
}

fn failure_from_code(code: &str, message: &str) -> ReadFailure {
    match code {
        "AccessDeniedException"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "AuthFailure"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "AuthorizationError"
        | "ExpiredTokenException" => ReadFailure::AccessDenied,
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "Throttled" => ReadFailure::Throttled,
        "ResourceNotFoundException"
        | "ServiceNotFoundException"
        | "ClusterNotFoundException"
        | "NotFound"
        | "NotFoundException" => ReadFailure::NotFound,
        "ServerException"
        | "ServiceUnavailable"
        | "InternalFailure"
        | "InternalError"
        | "ServiceUnavailableException" => ReadFailure::Unavailable,
        // ECS answers ClientException for "Unable to describe task definition."
        "ClientException" | "InvalidParameterException"
            if message.to_ascii_lowercase().contains("unable to describe")
                || message.to_ascii_lowercase().contains("not found")
                || message.to_ascii_lowercase().contains("does not exist") =>
        {
            ReadFailure::NotFound
        }
        "ClientException" if message.to_ascii_lowercase().contains("not authorized") => {
            ReadFailure::AccessDenied
        }
        _ => ReadFailure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_map_to_failures() {
        assert_eq!(
            failure_from_code("AccessDeniedException", ""),
            ReadFailure::AccessDenied
        );
        assert_eq!(
            failure_from_code("ThrottlingException", ""),
            ReadFailure::Throttled
        );
        assert_eq!(
            failure_from_code("ClientException", "Unable to describe task definition."),
            ReadFailure::NotFound
        );
        assert_eq!(
            failure_from_code("ClientException", "bad"),
            ReadFailure::Other
        );
        assert_eq!(
            failure_from_code("ServerException", ""),
            ReadFailure::Unavailable
        );
    }
}
