//! Any text through `check`'s readers (JSON, YAML with CloudFormation tags, task definition
//! files, templates, Terraform plans) and its three reports: an error or a report, never a
//! panic.
#![no_main]

use ecs_auditor::check::{CheckReport, check_text, output, sarif};
use ecs_auditor::finding::Severity;
use ecs_auditor::profiles::Profiles;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static PROFILES: OnceLock<Profiles> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let profiles = PROFILES.get_or_init(|| Profiles::built_in().expect("built-in profiles"));
    if let Ok(checked) = check_text("fuzz.yaml", text, profiles) {
        let report = CheckReport { checked, ..Default::default() };
        let _ = output::text(&report, Severity::High, false);
        let _ = output::json(&report, Severity::High);
        let _ = sarif::sarif(&report);
    }
});
