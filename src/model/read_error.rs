//! What could not be read, and which checks that prevented.

/// Why something could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFailure {
    AccessDenied,
    Throttled,
    NotFound,
    /// No credentials could be found to sign the request.
    NoCredentials,
    /// Network errors, timeouts, 5xx answers.
    Unavailable,
    Other,
}

impl ReadFailure {
    pub fn describe(self) -> &'static str {
        match self {
            ReadFailure::AccessDenied => "access denied",
            ReadFailure::Throttled => "throttled",
            ReadFailure::NotFound => "not found",
            ReadFailure::NoCredentials => "no AWS credentials",
            ReadFailure::Unavailable => "service unavailable",
            ReadFailure::Other => "request failed",
        }
    }
}

/// Something the auditor needed and could not read. Becomes an `audit-incomplete` finding.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{operation} on {resource}: {} ({message})", failure.describe())]
pub struct ReadError {
    /// IAM action, e.g. `ecs:DescribeTaskDefinition`.
    pub operation: &'static str,
    /// What was being read, e.g. the task definition ARN.
    pub resource: String,
    pub failure: ReadFailure,
    /// The service's message, redacted.
    pub message: String,
}

/// Which checks a gap prevented, said in the alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditGap {
    pub error: ReadError,
    pub skipped_checks: &'static str,
}
