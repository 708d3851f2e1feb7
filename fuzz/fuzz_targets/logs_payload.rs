//! Any inflated JSON through the CloudWatch Logs path (base64 and gzip done here), then the
//! log rules on whatever decodes: the borrowed parse, the scanner and the findings.
#![no_main]

use base64::Engine;
use ecs_auditor::events::{self, DecodeLimits, Decoded, Event};
use ecs_auditor::finding::Location;
use ecs_auditor::profiles::Profiles;
use ecs_auditor::rules::logs;
use ecs_auditor::scan::LogScanner;
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::sync::LazyLock;

static PROFILES: LazyLock<Profiles> = LazyLock::new(|| Profiles::built_in().unwrap());
static SCANNER: LazyLock<LogScanner> = LazyLock::new(|| LogScanner::new(&PROFILES, 4096).unwrap());

fuzz_target!(|data: &[u8]| {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(data).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
    let event = format!(r#"{{"awslogs":{{"data":"{encoded}"}}}}"#);
    let mut scratch = String::new();
    let limits = DecodeLimits { max_log_payload_bytes: 1 << 20 };
    if let Ok(Decoded::Event(Event::Logs(batch))) = events::decode(event.as_bytes(), &limits, &mut scratch) {
        let findings = logs::findings(SCANNER.scan_lines(&batch.log_events), &PROFILES, &Location::default());
        for finding in findings {
            for line in &finding.evidence {
                assert!(!line.chars().any(char::is_control), "evidence keeps control characters: {line:?}");
            }
        }
    }
});
