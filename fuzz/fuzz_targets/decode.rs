//! Any bytes through the event decoder: EventBridge envelopes, CloudWatch Logs payloads.
#![no_main]

use ecs_auditor::events::{self, DecodeLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits {
        max_log_payload_bytes: 1 << 20,
    };
    let mut scratch = String::new();
    if let Ok(events::Decoded::Event(event)) = events::decode(data, &limits, &mut scratch) {
        let _ = event.describe();
        let _ = event.cluster_arn();
    }
});
