//! Any text as log lines through the scanner of every shipped profile: what it finds is what the
//! signatures' regexes find on their own, and its evidence is redacted.
#![no_main]

use ecs_auditor::events::logs::LogLine;
use ecs_auditor::finding::{Location, RuleId};
use ecs_auditor::profiles::Profiles;
use ecs_auditor::redact::redact_text;
use ecs_auditor::rules::logs;
use ecs_auditor::scan::LogScanner;
use libfuzzer_sys::fuzz_target;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

static PROFILES: LazyLock<Profiles> = LazyLock::new(|| Profiles::built_in().unwrap());
const MAX_LINE_BYTES: usize = 512;
static SCANNER: LazyLock<LogScanner> =
    LazyLock::new(|| LogScanner::new(&PROFILES, MAX_LINE_BYTES).unwrap());

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<LogLine> = text
        .split('\n')
        .enumerate()
        .map(|(index, line)| LogLine {
            id: Cow::Owned(index.to_string()),
            timestamp: index as i64,
            message: Cow::Borrowed(line),
        })
        .collect();
    let matches = SCANNER.scan_lines(&lines);
    // The prefilter never hides a match: every signature's regex, run on every line without
    // it, counts the same lines for its rule and profile as the scanner does.
    let mut expected: BTreeMap<(RuleId, usize), u64> = BTreeMap::new();
    for line in &lines {
        let examined = ecs_auditor::scan::examined_part(&line.message, MAX_LINE_BYTES);
        for signature in PROFILES.signatures() {
            if signature.regex.is_match(examined) {
                *expected.entry((signature.rule, signature.profile)).or_default() += 1;
            }
        }
    }
    let found: BTreeMap<(RuleId, usize), u64> = matches
        .iter()
        .filter_map(|m| Some(((m.rule, m.profile?), m.count)))
        .collect();
    assert_eq!(found, expected, "the scanner and the plain regexes disagree");
    let findings = logs::findings(matches, &PROFILES, &Location::default());
    for finding in findings {
        for line in &finding.evidence {
            assert!(!line.chars().any(char::is_control), "evidence keeps control characters");
            // Evidence is already redacted: redacting again changes nothing (unless the cut
            // at the length limit split a masked value).
            if !line.ends_with('…') {
                assert_eq!(redact_text(line), line.as_str());
            }
        }
    }
});
