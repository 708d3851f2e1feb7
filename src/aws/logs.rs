//! The CloudWatch Logs read of [`super::AwsInventory`]: recent lines of a log group, for the
//! scheduled sweep.

use super::classify;
use crate::inventory::RecentLine;
use crate::model::ReadError;
use aws_sdk_cloudwatchlogs::Client;

/// `logs:FilterLogEvents` on `group` since `since_ms`, narrowed to `stream_prefix` and
/// `filter_pattern` on the server side, at most `limit` lines (pages are followed until then).
pub(crate) async fn recent_lines(
    client: &Client,
    group: &str,
    stream_prefix: Option<&str>,
    filter_pattern: &str,
    since_ms: i64,
    limit: usize,
) -> Result<Vec<RecentLine>, ReadError> {
    let mut lines = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let output = client
            .filter_log_events()
            .log_group_name(group)
            .set_log_stream_name_prefix(stream_prefix.map(str::to_string))
            .filter_pattern(filter_pattern)
            .start_time(since_ms)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|error| {
                let (failure, message) = classify(&error);
                ReadError {
                    operation: "logs:FilterLogEvents",
                    resource: format!("log group {group}"),
                    failure,
                    message,
                }
            })?;
        for event in output.events() {
            if lines.len() == limit {
                return Ok(lines);
            }
            lines.push(RecentLine {
                stream: event.log_stream_name().unwrap_or_default().to_string(),
                id: event.event_id().unwrap_or_default().to_string(),
                timestamp: event.timestamp().unwrap_or_default(),
                message: event.message().unwrap_or_default().to_string(),
            });
        }
        match output.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(lines),
        }
    }
}
