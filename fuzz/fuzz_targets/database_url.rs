//! Any string through the database URL inspector and the redactor. Whenever the inspector
//! finds a password in a `scheme://user:password@host` value, neither its redacted form nor
//! the redactor's output may contain that password.
#![no_main]

use ecs_auditor::redact::redact_text;
use ecs_auditor::rules::database_url::inspect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let schemes = vec!["postgres".to_string(), "postgresql".to_string()];
    let inspection = inspect(text, &schemes, true);
    for problem in &inspection.problems {
        let _ = problem.to_string();
    }
    let redacted = redact_text(text);
    // The password as the inspector sees it: after "://user:", up to the last '@'.
    if let Some((_, rest)) = text.split_once("://")
        && !text.chars().any(char::is_whitespace)
        && let Some(at) = rest.rfind('@')
        && let Some((user, password)) = rest[..at].split_once(':')
        && password.len() >= 6
        && !user.contains('/')
        // The password's text appears nowhere else in the value (else its "leak" is not one).
        && text.matches(password).count() == 1
    {
        assert!(!inspection.redacted.contains(password), "inspector leaks {password:?}");
        assert!(!redacted.contains(password), "redactor leaks {password:?} in {redacted:?}");
    }
});
