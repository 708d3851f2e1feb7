//! CloudWatch Logs subscription payloads: `{"awslogs":{"data":"<base64 of gzip of JSON>"}}`.
//!
//! The payload is base64-decoded, then gunzipped into a caller-owned buffer with a hard size
//! limit, then parsed without copying: messages borrow from that buffer unless JSON
//! escapes force a copy. A small gzip that inflates to gigabytes stops at the limit.

use super::DecodeError;
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use std::borrow::Cow;
use std::io::Read;

/// Standard alphabet; CloudWatch pads, other producers (and aws_lambda_events) do not.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub const DATA_MESSAGE: &str = "DATA_MESSAGE";
pub const CONTROL_MESSAGE: &str = "CONTROL_MESSAGE";

/// A decoded subscription payload. Strings borrow from the inflated buffer.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LogBatch<'a> {
    #[serde(borrow)]
    pub message_type: Cow<'a, str>,
    #[serde(default, borrow)]
    pub owner: Cow<'a, str>,
    #[serde(default, borrow)]
    pub log_group: Cow<'a, str>,
    #[serde(default, borrow)]
    pub log_stream: Cow<'a, str>,
    #[serde(default, borrow)]
    pub log_events: Vec<LogLine<'a>>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// Unique per log event: a deduplication key.
    #[serde(default, borrow)]
    pub id: Cow<'a, str>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub timestamp: i64,
    #[serde(borrow)]
    pub message: Cow<'a, str>,
}

/// Base64-decodes and gunzips `data` into `out`, refusing to produce more than `limit` bytes.
/// Invalid UTF-8 (an app that wrote raw bytes) is replaced with U+FFFD rather than losing the
/// whole batch.
///
/// The compressed bytes are decoded in one go (they are small next to what they inflate to), and
/// the output is sized up front from the gzip trailer, so inflating copies each byte once.
pub fn inflate(data: &str, limit: usize, out: &mut String) -> Result<(), DecodeError> {
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    let compressed = BASE64
        .decode(data.trim_ascii())
        .map_err(|error| DecodeError::Base64(error.to_string()))?;
    bytes.reserve(inflated_size_hint(&compressed).min(limit) + 1);
    let mut gunzip = flate2::read::GzDecoder::new(&compressed[..]).take(limit as u64 + 1);
    if let Err(error) = gunzip.read_to_end(&mut bytes) {
        return Err(DecodeError::Gzip(error.to_string()));
    }
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            what: "the inflated awslogs.data",
            limit,
            setting: "MAX_LOG_PAYLOAD_BYTES",
        });
    }
    *out = String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
    Ok(())
}

/// The size a gzip member says it inflates to (its trailer's ISIZE, the size modulo 2^32).
/// Only a hint: a hostile or truncated stream can claim anything, so callers cap it.
fn inflated_size_hint(gzip: &[u8]) -> usize {
    match gzip.len().checked_sub(4).map(|start| &gzip[start..]) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]) as usize,
        _ => 0,
    }
}

/// Parses an inflated payload; messages borrow from `inflated` unless JSON escapes force a copy.
pub fn parse(inflated: &str) -> Result<LogBatch<'_>, DecodeError> {
    // From `str`, not bytes: `inflate` validated the UTF-8 once for the whole buffer.
    serde_json::from_str(inflated).map_err(|error| DecodeError::Shape {
        kind: "CloudWatch Logs",
        message: super::redacted_serde_error(&error),
    })
}

/// What the awslogs driver's stream name says: `PREFIX/CONTAINER/TASK_ID`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamName<'a> {
    pub prefix: &'a str,
    pub container: &'a str,
    pub task_id: &'a str,
}

impl<'a> StreamName<'a> {
    pub fn parse(stream: &'a str) -> Option<StreamName<'a>> {
        let mut parts = stream.rsplitn(3, '/');
        let task_id = parts.next()?;
        let container = parts.next()?;
        let prefix = parts.next()?;
        // ECS task ids are 32 hex characters (older ones are UUIDs).
        let looks_like_task_id = (task_id.len() == 32 || task_id.len() == 36)
            && task_id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        (looks_like_task_id && !container.is_empty()).then_some(StreamName {
            prefix,
            container,
            task_id,
        })
    }
}

/// A line without its ANSI colour and charset codes (`ESC [ ... m`, `ESC ( B`): apps that
/// colour their output whatever the terminal (Uptime Kuma 2, Baserow, Metabase) put them into
/// CloudWatch. Borrowed when there is none.
pub fn without_colours(line: &str) -> std::borrow::Cow<'_, str> {
    // memchr's SIMD search: a third of `str::contains`'s time, on every line scanned.
    if memchr::memchr(0x1b, line.as_bytes()).is_none() {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            // CSI: parameters and intermediates, then one final byte in @..~.
            Some('[') => {
                chars.next();
                for next in chars.by_ref() {
                    if ('@'..='~').contains(&next) {
                        break;
                    }
                }
            }
            // Character set designation: one more character.
            Some('(' | ')') => {
                chars.next();
                chars.next();
            }
            _ => {}
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::Engine;
    use std::io::Write;

    pub(crate) fn encode(json: &[u8]) -> String {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(json).unwrap();
        base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap())
    }

    #[test]
    fn inflates_and_parses_a_payload_borrowing_its_messages() {
        let json =
            br#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/ecs/coder",
            "logStream":"ecs/coder/0123456789abcdef0123456789abcdef","subscriptionFilters":["f"],
            "logEvents":[{"id":"1","timestamp":1,"message":"Using built-in PostgreSQL (/x)"}]}"#;
        let mut buffer = String::new();
        inflate(&encode(json), 1 << 20, &mut buffer).unwrap();
        let batch = parse(&buffer).unwrap();
        assert_eq!(batch.message_type, DATA_MESSAGE);
        assert_eq!(batch.log_events.len(), 1);
        assert!(matches!(batch.log_events[0].message, Cow::Borrowed(_)));
    }

    #[test]
    fn accepts_unpadded_base64() {
        let padded = encode(b"{\"messageType\":\"CONTROL_MESSAGE\"}");
        let unpadded = padded.trim_end_matches('=');
        let mut buffer = String::new();
        inflate(unpadded, 1024, &mut buffer).unwrap();
        assert_eq!(parse(&buffer).unwrap().message_type, CONTROL_MESSAGE);
    }

    #[test]
    fn refuses_a_payload_that_inflates_past_the_limit() {
        let big = vec![b' '; 100_000];
        let mut buffer = String::new();
        let error = inflate(&encode(&big), 10_000, &mut buffer).unwrap_err();
        assert!(matches!(error, DecodeError::TooLarge { limit: 10_000, .. }));
        assert!(buffer.is_empty());
    }

    #[test]
    fn tells_bad_base64_from_bad_gzip() {
        let mut buffer = String::new();
        assert!(matches!(
            inflate("not base64!!", 1024, &mut buffer),
            Err(DecodeError::Base64(_))
        ));
        let truncated = {
            let full = encode(b"{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[]}");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(full)
                .unwrap();
            base64::engine::general_purpose::STANDARD.encode(&bytes[..bytes.len() / 2])
        };
        assert!(matches!(
            inflate(&truncated, 1024, &mut buffer),
            Err(DecodeError::Gzip(_))
        ));
    }

    #[test]
    fn invalid_utf8_in_a_line_is_replaced_not_fatal() {
        let mut json = br#"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1,"message":"bad "#.to_vec();
        json.extend_from_slice(&[0xff, 0xfe]);
        json.extend_from_slice(br#" Using built-in PostgreSQL (/x)"}]}"#);
        let mut buffer = String::new();
        inflate(&encode(&json), 1 << 20, &mut buffer).unwrap();
        let batch = parse(&buffer).unwrap();
        assert_eq!(
            batch.log_events[0].message,
            "bad \u{fffd}\u{fffd} Using built-in PostgreSQL (/x)"
        );
    }

    #[test]
    fn stream_names_of_the_awslogs_driver() {
        let name = StreamName::parse("ecs/coder/0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(name.prefix, "ecs");
        assert_eq!(name.container, "coder");
        assert_eq!(name.task_id, "0123456789abcdef0123456789abcdef");
        assert_eq!(StreamName::parse("2026/11/24/[$LATEST]abc"), None);
        assert_eq!(StreamName::parse("just-a-stream"), None);
    }

    #[test]
    fn colour_codes_do_not_hide_a_line() {
        assert_eq!(
            without_colours("\x1b[32mINFO\x1b[0m \x1b(Bplain"),
            "INFO plain"
        );
        assert!(matches!(without_colours("plain"), Cow::Borrowed("plain")));
    }
}
